"""The terminal client against the real server: several `WhytreeApp`s in one event loop.

Every test starts the real `Server` on port 0 (see `conftest.py`) and drives real Textual
apps under `run_test()` with the keys people press (DESIGN §6), then checks what they
would see: the tree's nodes, their parents and labels, the join screen's message.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import CODE, FACILITATOR_KEY, MakeServer, WaitUntil
from textual.pilot import Pilot
from textual.widgets import Digits, Static

from tests.commands import new_command
from whytree.server.app import Server, ServerConfig
from whytree.shared import protocol as p
from whytree.shared.fingerprint import format_fingerprint
from whytree.shared.model import Ballot
from whytree.tui.app import WhytreeApp
from whytree.tui.connection import Link
from whytree.tui.messages import SendCommand
from whytree.tui.screens.dialogs import ConfirmScreen
from whytree.tui.screens.join import JoinScreen
from whytree.tui.widgets.cause_tree import CauseTree
from whytree.tui.widgets.status import step_help

SIZE = (120, 40)


def facilitator(server: Server) -> WhytreeApp:
    return WhytreeApp(url=server.local_url, name="Ana", facilitator_key=FACILITATOR_KEY, discover=False)


def participant(server: Server, name: str) -> WhytreeApp:
    return WhytreeApp(url=server.local_url, name=name, code=CODE, discover=False)


@contextlib.asynccontextmanager
async def running(wait_until: WaitUntil, *apps: WhytreeApp) -> AsyncIterator[list[Pilot[None]]]:
    """Run `apps` side by side until each is in the session."""
    async with contextlib.AsyncExitStack() as stack:
        pilots = [await stack.enter_async_context(app.run_test(size=SIZE)) for app in apps]
        await wait_until(lambda: all(app.session_screen is not None for app in apps), what="joined")
        yield pilots


def tree_of(app: WhytreeApp) -> CauseTree:
    assert app.session_screen is not None
    return app.session_screen.cause_tree


def cause_id(app: WhytreeApp, text: str) -> str | None:
    state = app.mirror.state
    if state is None:
        return None
    return next((c.id for c in state.causes.values() if c.text == text), None)


def shown(app: WhytreeApp, text: str) -> bool:
    """The tree of `app` has a node for the cause `text`, labelled with it."""
    found = cause_id(app, text)
    if found is None:
        return False
    try:
        node = tree_of(app).node_for(found)
    except KeyError:
        return False
    return str(node.label).startswith(text)


def send(app: WhytreeApp, command: p.ClientCommand) -> None:
    app.post_message(SendCommand(command))


async def to_why_step(app: WhytreeApp, wait_until: WaitUntil) -> None:
    send(app, new_command(app, p.SetSituation, text="Our fifth graders get into trouble after school"))
    send(app, new_command(app, p.SetPhase, phase="why"))
    await wait_until(lambda: app.mirror.state is not None and app.mirror.state.phase == "why", what="why")


async def add(app: WhytreeApp, text: str, parent: str | None, wait_until: WaitUntil) -> str:
    send(app, new_command(app, p.AddCause, parent=parent, text=text))
    await wait_until(lambda: shown(app, text), what=f"{text!r} shown")
    found = cause_id(app, text)
    assert found is not None
    return found


async def test_a_cause_added_in_one_tui_shows_in_the_other(server: Server, wait_until: WaitUntil) -> None:
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben):
        await to_why_step(ana, wait_until)
        await add(ana, "Nobody is at home", None, wait_until)
        await wait_until(lambda: shown(ben, "Nobody is at home"), what="shown at Ben's")
        node = tree_of(ben).node_for(cause_id(ben, "Nobody is at home"))
        assert node.parent is tree_of(ben).root
        assert "Ana" in str(node.label)  # the author's name, in a session that is not anonymous


async def test_w_adds_an_answer_under_the_selected_node(server: Server, wait_until: WaitUntil) -> None:
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben) as (_, ben_keys):
        await to_why_step(ana, wait_until)
        first = await add(ana, "Nobody is at home", None, wait_until)
        await wait_until(lambda: shown(ben, "Nobody is at home"))
        tree = tree_of(ben)
        tree.select_cause(first)
        await wait_until(lambda: tree.selected_cause == first, what="cursor on the answer")
        await ben_keys.press("w")
        await ben_keys.press(*"Parents work late")
        await ben_keys.press("enter")
        await wait_until(lambda: shown(ben, "Parents work late") and shown(ana, "Parents work late"))
        for app in (ana, ben):
            child = tree_of(app).node_for(cause_id(app, "Parents work late"))
            assert child.parent is tree_of(app).node_for(first)
            assert str(child.label).startswith("Parents work late")
        # The cursor stays where it was, ready for the next answer at the same place.
        assert tree.selected_cause == first
        # Escape cancels an answer being typed: nothing is sent.
        await ben_keys.press("w", "x", "escape")
        await ben_keys.pause()
        assert ben.mirror.outbox == {}
        assert ben.session_screen is not None and ben.session_screen.focused is tree


async def test_markup_in_an_answer_is_shown_literally(server: Server, wait_until: WaitUntil) -> None:
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben) as (_, ben_keys):
        await to_why_step(ana, wait_until)
        await ben_keys.press("w", *"[bold]x[/bold]", "enter")
        await wait_until(lambda: shown(ana, "[bold]x[/bold]"))
        await add(ben, "[@click=app.quit]q[/]", None, wait_until)
        await wait_until(lambda: shown(ana, "[@click=app.quit]q[/]"))
        for text in ("[bold]x[/bold]", "[@click=app.quit]q[/]"):
            label = tree_of(ana).node_for(cause_id(ana, text)).label
            assert label.plain.startswith(text)
            assert not any(span.style == "bold" for span in label.spans[:1] if span.end <= len(text))
        assert ana.is_running  # the @click did not quit the app


async def test_markup_in_names_and_messages_is_shown_literally(server: Server, wait_until: WaitUntil) -> None:
    ana, ben = facilitator(server), participant(server, "[@click=app.quit]Ben[/]")
    async with running(wait_until, ana, ben) as (_, ben_keys):
        await to_why_step(ana, wait_until)
        await add(ben, "[bold]x", None, wait_until)
        await wait_until(lambda: shown(ana, "[bold]x"))
        label = tree_of(ana).node_for(cause_id(ana, "[bold]x")).label.plain
        assert label == "[bold]x  — [@click=app.quit]Ben[/]"
        assert ana.session_screen is not None
        people = ana.session_screen.query_one("#header-people", Static)
        assert "Here: you, [@click=app.quit]Ben[/]  ·  2 online" in str(people.render())

        # What the host says (a rejection, an error) is shown as plain words, whatever it holds.
        rejected = p.Rejected(op="x", reason="cap", message="[@click=app.quit]No[/] [bold]way")
        error = p.Error(code="odd", message="[@click=app.quit]Odd[/]")
        for frame in (rejected, error):
            ben.post_message(Link.FrameReceived(p.encode(frame), time.time()))
        await wait_until(lambda: len(ben._notifications) >= 2, what="the notifications")
        said = {n.message: n for n in ben._notifications}
        assert not said["[@click=app.quit]No[/] [bold]way"].markup
        assert not said["[@click=app.quit]Odd[/]"].markup
        await ben_keys.pause()
        assert ana.is_running and ben.is_running


async def test_folds_and_selection_survive_someone_else_adding(
    server: Server, wait_until: WaitUntil
) -> None:
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben) as (_, ben_keys):
        await to_why_step(ana, wait_until)
        home = await add(ana, "Nobody is at home", None, wait_until)
        await add(ana, "Parents work late", home, wait_until)
        street = await add(ana, "They play in the street", None, wait_until)
        await wait_until(lambda: shown(ben, "They play in the street") and shown(ben, "Parents work late"))
        tree = tree_of(ben)
        tree.select_cause(home)
        await wait_until(lambda: tree.selected_cause == home)
        await ben_keys.press("left")  # fold "Nobody is at home"
        assert not tree.node_for(home).is_expanded
        await ben_keys.press("down")
        assert tree.selected_cause == street

        await add(ana, "Grandparents are far away", home, wait_until)
        await add(ana, "It is the only open space", None, wait_until)
        await wait_until(lambda: shown(ben, "Grandparents are far away")
                         and shown(ben, "It is the only open space"))
        await ben_keys.pause()
        assert not tree.node_for(home).is_expanded
        assert tree.selected_cause == street
        assert tree.cursor_node is tree.node_for(street)


async def test_a_wrong_code_is_said_on_the_join_screen(server: Server, wait_until: WaitUntil) -> None:
    ben = WhytreeApp(url=server.local_url, name="Ben", code="000000", discover=False)
    async with ben.run_test(size=SIZE):
        # (Everything was given: the join form comes up when there is something to fix.)
        await wait_until(lambda: isinstance(ben.screen, JoinScreen), what="the join screen")
        screen = ben.screen
        assert isinstance(screen, JoinScreen)
        await wait_until(lambda: "code is not right" in screen.problem_shown(), what="the message")
        assert isinstance(ben.screen, JoinScreen)
        assert ben.session_screen is None


async def test_unreachable_and_bad_addresses_are_said_plainly(wait_until: WaitUntil) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    ben = WhytreeApp(discover=False)
    async with ben.run_test(size=SIZE) as keys:
        screen = ben.screen
        assert isinstance(screen, JoinScreen)
        await keys.click("#address")
        await keys.press(*"http://example", "tab", *"Ben", "tab", "tab")  # name, anonymous?, code
        await keys.press(*"123456", "enter")
        await wait_until(lambda: "ws://" in screen.problem_shown(), what="bad address")
        screen.query_one("#address").value = f"127.0.0.1:{free_port}"  # type: ignore[attr-defined]
        await keys.click("#join-button")
        await wait_until(lambda: "Can't reach ws://127.0.0.1" in screen.problem_shown(), what="unreachable")
        assert "same Wi-Fi" in screen.problem_shown()


async def test_facilitator_keys_set_the_situation_and_the_step(server: Server, wait_until: WaitUntil) -> None:
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben) as (ana_keys, ben_keys):
        assert ben.session_screen is not None and ana.session_screen is not None
        # A participant has no facilitator keys.
        assert not ben.session_screen.allowed("situation")
        await ben_keys.press("s", "right_square_bracket")
        await ben_keys.pause()
        assert ben.mirror.outbox == {}

        await ana_keys.press("s")
        await ana_keys.press(*"Why is the teen centre always full", "enter")
        await wait_until(lambda: ben.mirror.state is not None
                         and ben.mirror.state.situation == "Why is the teen centre always full")
        assert tree_of(ben).root.label.plain == "Why is the teen centre always full"

        await ana_keys.press("right_square_bracket")
        await wait_until(lambda: ben.mirror.state is not None and ben.mirror.state.phase == "why")
        header = ben.session_screen.query_one("#header-title", Static)
        await wait_until(lambda: "2 But why?" in str(header.render()))
        assert ben.session_screen.allowed("why")


async def test_a_dropped_link_reconnects_and_sends_what_was_typed_offline(
    make_server: MakeServer, wait_until: WaitUntil
) -> None:
    server = await make_server()
    port = server.port
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben) as (_, ben_keys):
        await to_why_step(ana, wait_until)
        home = await add(ana, "Nobody is at home", None, wait_until)
        await add(ana, "Parents work late", home, wait_until)
        street = await add(ana, "They play in the street", None, wait_until)
        await add(ana, "No park nearby", street, wait_until)
        await wait_until(lambda: shown(ben, "No park nearby") and shown(ben, "Parents work late"))
        tree = tree_of(ben)
        tree.node_for(home).collapse()
        tree.select_cause(street)
        await wait_until(lambda: tree.selected_cause == street)

        await server.stop()  # the host goes away: every link drops
        assert ben.session_screen is not None
        status = ben.session_screen.status_line
        await wait_until(lambda: "offline since" in str(status.render()), what="offline shown")
        assert "changes are kept" in str(status.render())

        await ben_keys.press("w", *"Nowhere else to go", "enter")  # typed while offline
        await ben_keys.pause()
        assert len(ben.mirror.outbox) == 1

        restarted = await make_server(port=port)
        await wait_until(lambda: shown(ben, "Nowhere else to go"), timeout=10, what="offline answer arrived")
        assert "● connected" in str(status.render())
        assert ben.mirror.outbox == {}
        new = cause_id(ben, "Nowhere else to go")
        assert new is not None
        assert restarted.state.causes[new].parent == street
        assert tree.node_for(new).parent is tree.node_for(street)
        await wait_until(lambda: shown(ana, "Nowhere else to go"), timeout=10, what="Ana converged")
        ben_state, ana_state = ben.mirror.state, ana.mirror.state
        assert ben_state is not None and ana_state is not None
        assert ben_state.causes == restarted.state.causes == ana_state.causes
        assert not tree.node_for(home).is_expanded
        assert tree.node_for(street).is_expanded
        assert tree.selected_cause == street


async def test_the_host_app_shows_the_code_and_stops_its_server(
    tmp_path: Path, wait_until: WaitUntil
) -> None:
    config = ServerConfig(data_dir=tmp_path / "host", port=0, bind="127.0.0.1", title="Host test",
                          code=CODE, facilitator_key=FACILITATOR_KEY, advertise=False)
    app = WhytreeApp(name="Ana", host=config)
    async with app.run_test(size=SIZE) as keys:
        await wait_until(lambda: app.session_screen is not None, what="hosted session")
        await wait_until(lambda: len(app.screen.query(Digits)) >= 2, what="the join banner")
        assert app.server is not None
        assert app.mirror.me is not None and app.mirror.me.role == "facilitator"
        big = [digits.value for digits in app.screen.query(Digits)]
        assert f"{CODE[:3]} {CODE[3:]}" in big
        assert any(str(app.server.port) in value for value in big)
        banner = app.screen.query_one("#banner")
        await keys.press("j")
        assert not banner.display
        await keys.press("j")
        assert banner.display
    assert app.server is None


async def test_votes_actions_and_a_rejection_from_the_keys(server: Server, wait_until: WaitUntil) -> None:
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben) as (_, ben_keys):
        await to_why_step(ana, wait_until)
        home = await add(ana, "Nobody is at home", None, wait_until)
        send(ana, new_command(ana, p.SetPhase, phase="weigh"))
        await wait_until(lambda: ben.mirror.state is not None and ben.mirror.state.phase == "weigh")
        tree = tree_of(ben)
        tree.select_cause(home)
        await wait_until(lambda: tree.selected_cause == home)

        await ben_keys.press("plus", "c", "1")
        await wait_until(lambda: ben.mirror.state is not None and home in ben.mirror.state.ballots.get(
            ben.mirror.me.id if ben.mirror.me else "", Ballot()).change, what="Ben's vote")
        label = tree.node_for(home).label.plain
        assert "● mine" in label and "we can change it" in label
        assert ana.mirror.state is not None and ana.mirror.state.voters == 1
        assert "● mine" not in tree_of(ana).node_for(home).label.plain  # hidden votes stay hidden

        await ben_keys.press("plus", "plus")  # a third dot on one cause: over the cap of 2
        await wait_until(lambda: any("At most 2" in str(n.message) for n in ben._notifications),
                         what="the rejection said")
        await ben_keys.press("minus")
        await wait_until(lambda: "●● mine" not in tree.node_for(home).label.plain
                         and "● mine" in tree.node_for(home).label.plain)

        send(ana, new_command(ana, p.RevealVotes, revealed=True))
        await wait_until(lambda: "● 1" in tree.node_for(home).label.plain, what="revealed dots")
        assert "[we can change it]" in tree.node_for(home).label.plain

        send(ana, new_command(ana, p.SetPhase, phase="act"))
        await wait_until(lambda: ben.mirror.state is not None and ben.mirror.state.phase == "act")
        await ben_keys.pause()
        await ben_keys.press("n")
        await wait_until(lambda: type(ben.screen).__name__ == "ProposeActionScreen", what="action dialog")


async def test_tls_host_and_a_participant_who_trusts_it_on_first_use(
    make_server: MakeServer, wait_until: WaitUntil, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHYTREE_DATA_DIR", str(tmp_path / "client"))
    server = await make_server(tls=True)
    assert server.local_url.startswith("wss://")
    ben = participant(server, "Ben")
    async with ben.run_test(size=SIZE) as keys:
        await wait_until(lambda: isinstance(ben.screen, ConfirmScreen) and bool(ben.screen.query("#yes")),
                         what="the fingerprint question")
        question = str(ben.screen.query_one(".dialog-text", Static).render())
        assert format_fingerprint(server.fingerprint or "") in question
        await keys.press("shift+tab", "enter")  # from "No, go back" (focused first) to "Yes"
        await wait_until(lambda: ben.session_screen is not None, what="joined after confirming")
    # Next time the same certificate is simply trusted; a changed one is refused.
    (tmp_path / "client" / "known_hosts.json").write_text(
        (tmp_path / "client" / "known_hosts.json").read_text().replace(
            server.fingerprint or "?", "AB" * 32))
    chloe = participant(server, "Chloe")
    async with chloe.run_test(size=SIZE):
        # (On the join form, which comes up to say it.)
        await wait_until(lambda: isinstance(chloe.screen, JoinScreen)
                         and "different security fingerprint" in chloe.screen.problem_shown())


async def test_remove_and_merge_change_only_what_they_touch(server: Server, wait_until: WaitUntil) -> None:
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben):
        await to_why_step(ana, wait_until)
        home = await add(ana, "Nobody is at home", None, wait_until)
        late = await add(ana, "Parents work late", home, wait_until)
        alone = await add(ana, "Kids are alone", None, wait_until)
        shifts = await add(ana, "Shift work", alone, wait_until)
        gone = await add(ana, "To be removed", None, wait_until)
        await add(ana, "Below it", gone, wait_until)
        await wait_until(lambda: shown(ben, "Below it") and shown(ben, "Shift work"))
        tree = tree_of(ben)
        untouched = tree.node_for(late)
        tree.node_for(home).collapse()
        tree.select_cause(shifts)
        await wait_until(lambda: tree.selected_cause == shifts)

        send(ana, new_command(ana, p.RemoveCause, cause=gone))
        send(ana, new_command(ana, p.MergeCauses, cause=alone, into=home))
        await wait_until(lambda: ben.mirror.state is not None and alone not in ben.mirror.state.causes
                         and gone not in ben.mirror.state.causes)
        await wait_until(lambda: tree.selected_cause == shifts, what="selection kept on the moved answer")
        assert [str(child.label).split("  ")[0] for child in tree.root.children] == ["Nobody is at home"]
        assert tree.node_for(late) is untouched  # the same node object: not rebuilt
        assert tree.node_for(shifts).parent is tree.node_for(home)
        assert tree.node_for(home).is_expanded  # unfolded to show the selection


async def test_the_viewer_sees_the_tree_without_input_keys(server: Server, wait_until: WaitUntil) -> None:
    ana = facilitator(server)
    projector = WhytreeApp(url=server.local_url, code=CODE, viewer=True, discover=False)
    async with running(wait_until, ana, projector) as (_, keys):
        await to_why_step(ana, wait_until)
        await add(ana, "Nobody is at home", None, wait_until)
        await wait_until(lambda: shown(projector, "Nobody is at home"))
        screen = projector.session_screen
        assert screen is not None
        assert not any(screen.allowed(action) for action in ("why", "edit", "dot", "done", "situation"))
        await keys.press("w", "d")
        await keys.pause()
        assert projector.mirror.outbox == {}
        assert not screen.query_one("#why-bar").display


async def test_a_restarted_host_resumes_and_says_so(tmp_path: Path, wait_until: WaitUntil) -> None:
    config = ServerConfig(data_dir=tmp_path / "host", port=0, bind="127.0.0.1", title="Resume test",
                          code=CODE, facilitator_key=FACILITATOR_KEY, advertise=False)
    first = WhytreeApp(host=config)
    async with first.run_test(size=SIZE):
        await wait_until(lambda: first.session_screen is not None, what="hosted session")
        send(first, new_command(first, p.SetSituation, text="Kids are bored", mode="problem"))
        await wait_until(lambda: first.mirror.state is not None and first.mirror.state.situation != "")
    again = WhytreeApp(host=config)
    async with again.run_test(size=SIZE):
        await wait_until(lambda: again.session_screen is not None, what="resumed session")
        assert any("Resumed the open session" in str(n.message) for n in again._notifications)
        assert again.code == CODE
        state = again.mirror.state
        assert state is not None and state.situation == "Kids are bored"


async def test_leaving_while_the_session_screen_opens_does_not_crash(
    server: Server, wait_until: WaitUntil
) -> None:
    """The app may stop (Ctrl+Q, a test ending) while the session screen is still being
    put together; the screen must not look for parts that were never mounted."""
    from whytree.tui.screens.session import SessionScreen

    def in_room(name: str) -> bool:
        return any(person.name == name and person.online for person in server.state.people.values())

    async def leave_at_once(app: WhytreeApp, name: str) -> None:
        async with app.run_test(size=SIZE):
            await wait_until(lambda: isinstance(app.screen, SessionScreen), what="the screen pushed")
            await wait_until(lambda: in_room(name), what=f"{name} in the room")
        assert app.return_code in (None, 0)
        # What the room notices: the person who left is shown as gone, not as still there.
        await wait_until(lambda: not in_room(name), what=f"{name} shown as gone")

    for name in ("Ben", "Chloe", "Dan"):
        await leave_at_once(participant(server, name), name)
    assert [person.name for person in server.state.people.values()] == ["Ben", "Chloe", "Dan"]


def footer(app: WhytreeApp) -> str:
    """The bottom line of the screen, as a person reads it."""
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    return lines[-1]


async def footer_shows(app: WhytreeApp, wait_until: WaitUntil, *keys: str) -> str:
    """Wait until the footer on screen shows `keys`, and return it.

    A change of step reaches the footer in several turns of the app's loop: the screen
    asks for new bindings, the footer recomposes itself after the next refresh (removing
    its keys -- for a moment the line is blank -- and mounting the new ones), and the new
    keys reach the screen at the refresh after that. `pilot.pause()` and `pilot.press()`
    wait for the app to be idle, which can come between those turns (on a busy machine
    the app looks idle while it waits for the processor), so every footer check waits for
    what a person would see instead; what must be gone is checked on that same, settled
    line, or waited for."""
    await wait_until(lambda: all(key in footer(app) for key in keys), what=f"the footer shows {keys}")
    return footer(app)


async def test_the_footer_shows_the_keys_of_this_step(server: Server, wait_until: WaitUntil) -> None:
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben) as (ana_keys, ben_keys):
        shown = await footer_shows(ana, wait_until, "s Situation", "] Next step")
        assert "I'm done" not in shown  # the facilitator has nobody to tell
        assert "Situation" not in await footer_shows(ben, wait_until, "d I'm done")

        await to_why_step(ana, wait_until)
        home = await add(ana, "Nobody is at home", None, wait_until)
        assert "s Situation" not in await footer_shows(ana, wait_until, "w But why?")

        send(ana, new_command(ana, p.SetPhase, phase="weigh"))
        await wait_until(lambda: ben.mirror.state is not None and ben.mirror.state.phase == "weigh")
        assert "But why?" not in await footer_shows(ana, wait_until, "v Reveal votes")
        assert "Reveal" not in await footer_shows(ben, wait_until, "+ Dot", "c Can change?")

        await ben_keys.press("d")
        await wait_until(lambda: ben.mirror.me is not None and ben.mirror.me.done, what="Ben is done")
        assert "I'm done" not in await footer_shows(ben, wait_until, "d Not done")

        tree_of(ben).select_cause(home)
        await wait_until(lambda: tree_of(ben).selected_cause == home)
        await ben_keys.press("plus")
        await ana_keys.press("v")
        await wait_until(lambda: ana.mirror.state is not None and ana.mirror.state.revealed)
        assert "Reveal" not in await footer_shows(ana, wait_until, "v Hide votes")
        await wait_until(lambda: ben.mirror.state is not None and ben.mirror.state.revealed)
        # voting is closed while the votes show
        await wait_until(lambda: "+ Dot" not in footer(ben), what="the dot keys gone")
        await ana_keys.press("v")
        await wait_until(lambda: ana.mirror.state is not None and not ana.mirror.state.revealed)
        await footer_shows(ana, wait_until, "v Reveal votes")

        send(ana, new_command(ana, p.Close))
        await wait_until(lambda: ana.mirror.state is not None and ana.mirror.state.phase == "closed")
        assert "Next step" not in await footer_shows(ana, wait_until, "x Reopen")
        await ana_keys.press("x")
        await wait_until(lambda: ana.mirror.state is not None and ana.mirror.state.phase != "closed")


async def test_an_old_laptop_80_by_24_keeps_what_matters_in_view(
    server: Server, wait_until: WaitUntil
) -> None:
    ana = facilitator(server)
    async with ana.run_test(size=(80, 24)) as keys:
        await wait_until(lambda: ana.session_screen is not None, what="joined")
        await to_why_step(ana, wait_until)
        await add(ana, "Nobody is at home", None, wait_until)
        send(ana, new_command(ana, p.SetPhase, phase="weigh"))
        await wait_until(lambda: ana.mirror.state is not None and ana.mirror.state.phase == "weigh")
        await wait_until(lambda: "v Reveal votes" in ana.screen._compositor.render_strips()[-1].text,
                         what="the weigh step's keys in the footer")
        screen = " ".join(" ".join(strip.text for strip in ana.screen._compositor.render_strips()).split())
        assert ana.mirror.state is not None
        assert step_help(ana.mirror.state) in screen  # the step's explanation is whole
        assert "Reveal the votes" not in screen  # the tree has the width; the panel is one key away
        await keys.press("r")
        await wait_until(lambda: any("Reveal the votes" in strip.text
                                     for strip in ana.screen._compositor.render_strips()),
                         what="the weigh panel and its button")

        await keys.press("question_mark")
        # Read the help once it is painted: a pause can return before the refresh.
        await wait_until(lambda: "You: give people time to vote" in "\n".join(
            strip.text for strip in ana.screen._compositor.render_strips()), what="the help")
        shown_help = "\n".join(strip.text for strip in ana.screen._compositor.render_strips())
        assert "Step 3 Weigh" in shown_help  # the help opens at its top
        assert "You: give people time to vote" in shown_help


async def test_the_join_screen_fits_80_columns(wait_until: WaitUntil) -> None:
    ben = WhytreeApp(discover=False)
    async with ben.run_test(size=(80, 24)):
        screen = ben.screen
        assert isinstance(screen, JoinScreen)
        screen.show_found([])
        await wait_until(lambda: "the main Wi-Fi." in "\n".join(  # painted, not only idle
            strip.text for strip in screen._compositor.render_strips()), what="the advice")
        text = "\n".join(strip.text for strip in screen._compositor.render_strips())
        assert "the main Wi-Fi." in text  # the advice wraps inside its box instead of being cut
        assert "(shown on the host's screen), e.g." in text


async def test_an_event_that_does_not_fit_makes_the_client_rejoin_not_crash(
    server: Server, wait_until: WaitUntil
) -> None:
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben):
        await to_why_step(ana, wait_until)
        await add(ana, "Nobody is at home", None, wait_until)
        await wait_until(lambda: shown(ben, "Nobody is at home"))
        assert ben.mirror.state is not None
        odd = p.Event(seq=ben.mirror.state.seq + 1, by=None, op=None,
                      command=p.EditCause(op="x", cause="no-such-cause", text="?"))
        ben.post_message(Link.FrameReceived(p.encode(odd), time.time()))
        await wait_until(lambda: ben.mirror.state is None, what="the copy forgotten")
        await wait_until(lambda: ben.mirror.state is not None, timeout=10, what="the whole session again")
        await add(ana, "Parents work late", None, wait_until)
        await wait_until(lambda: shown(ben, "Parents work late") and shown(ben, "Nobody is at home"))
        assert ben.is_running


async def test_odd_timer_minutes_are_refused_in_words(server: Server, wait_until: WaitUntil) -> None:
    ana = facilitator(server)
    async with running(wait_until, ana) as (keys,):
        for typed in ("nan", "inf", "soon"):
            await keys.press("t")
            await wait_until(lambda: type(ana.screen).__name__ == "TextScreen", what="the timer dialog")
            await keys.press("ctrl+a", "ctrl+k", *typed, "enter")
            await wait_until(lambda: any("as a number" in str(n.message) for n in ana._notifications))
            ana.clear_notifications()
        assert ana.mirror.outbox == {} and ana.is_running


async def test_removed_with_a_dialog_open_goes_back_to_the_join_screen(
    server: Server, wait_until: WaitUntil
) -> None:
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben) as (_, ben_keys):
        await ben_keys.press("question_mark")
        await wait_until(lambda: type(ben.screen).__name__ == "HelpScreen", what="help open")
        assert ben.mirror.me is not None
        send(ana, new_command(ana, p.RemovePerson, person=ben.mirror.me.id))
        await wait_until(lambda: isinstance(ben.screen, JoinScreen), timeout=10, what="back to joining")
        message = ben.screen.query_one("#join-message", Static)
        await wait_until(lambda: "removed you" in str(message.render()))
        assert [type(screen).__name__ for screen in ben.screen_stack] == ["Screen", "JoinScreen"]


async def test_n_on_the_situation_opens_the_action_dialog_with_nothing_ticked(
    server: Server, wait_until: WaitUntil
) -> None:
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben) as (ana_keys, ben_keys):
        await ana_keys.pause()
        assert "press s to write it" in tree_of(ana).root.label.plain
        assert "the facilitator writes it" in tree_of(ben).root.label.plain
        await to_why_step(ana, wait_until)
        await add(ana, "Nobody is at home", None, wait_until)
        send(ana, new_command(ana, p.SetPhase, phase="act"))
        await wait_until(lambda: ben.mirror.state is not None and ben.mirror.state.phase == "act")
        tree_of(ben).select_cause(None)
        await wait_until(lambda: tree_of(ben).cursor_node is tree_of(ben).root)
        await ben_keys.press("n")
        await wait_until(lambda: type(ben.screen).__name__ == "ProposeActionScreen", what="action dialog")
        assert ben.screen.query_one("#action-causes").selected == []  # type: ignore[attr-defined]


async def test_a_long_queue_typed_offline_all_arrives(make_server: MakeServer, wait_until: WaitUntil) -> None:
    """More changes than the host's flood limit lets through at once: none is lost."""
    server = await make_server()
    port = server.port
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben):
        await to_why_step(ana, wait_until)
        await wait_until(lambda: ben.mirror.state is not None and ben.mirror.state.phase == "why")
        await server.stop()
        assert ben.session_screen is not None
        status = ben.session_screen.status_line
        await wait_until(lambda: "offline since" in str(status.render()), what="offline shown")
        for n in range(60):
            send(ben, new_command(ben, p.AddCause, parent=None, text=f"Reason {n}"))
        await wait_until(lambda: len(ben.mirror.outbox) == 60, what="60 changes kept")

        restarted = await make_server(port=port)
        await wait_until(lambda: len(restarted.state.causes) == 60, timeout=15, what="all 60 arrived")
        await wait_until(lambda: ben.mirror.outbox == {}, what="the outbox emptied")
        texts = sorted(cause.text for cause in restarted.state.causes.values())
        assert texts == sorted(f"Reason {n}" for n in range(60))


async def test_merging_with_m_shows_which_answer_is_being_merged(
    server: Server, wait_until: WaitUntil
) -> None:
    ana = facilitator(server)
    async with running(wait_until, ana) as (keys,):
        await to_why_step(ana, wait_until)
        park = await add(ana, "No park", None, wait_until)
        parks = await add(ana, "No parks nearby", None, wait_until)
        send(ana, new_command(ana, p.SetPhase, phase="weigh"))  # m is not in this step's footer...
        await wait_until(lambda: ana.mirror.state is not None and ana.mirror.state.phase == "weigh")
        tree = tree_of(ana)
        tree.select_cause(park)
        await wait_until(lambda: tree.selected_cause == park)
        await keys.press("m")
        await footer_shows(ana, wait_until, "m Merge")  # ...but while merging it is
        assert "◆ merging" in tree.node_for(park).label.plain
        assert any("Merging “No park”" in str(n.message) for n in ana._notifications)
        tree.select_cause(parks)
        await wait_until(lambda: tree.selected_cause == parks)
        await keys.press("m")
        await wait_until(lambda: ana.mirror.state is not None and park not in ana.mirror.state.causes)
        assert "merging" not in tree.node_for(parks).label.plain
        await wait_until(lambda: "m Merge" not in footer(ana), what="m gone from the footer")


async def test_the_join_code_is_never_cut_off_on_a_narrow_screen() -> None:
    from textual.app import App, ComposeResult

    import whytree.tui.app
    from whytree.tui.widgets.banner import JoinBanner

    class BannerApp(App[None]):
        CSS_PATH = Path(whytree.tui.app.__file__).with_name("app.tcss")

        def compose(self) -> ComposeResult:
            yield JoinBanner(["ws://192.168.100.200:8765"], CODE, id="banner")

    for width, stacked in ((80, True), (120, False)):
        app = BannerApp()
        async with app.run_test(size=(width, 24)) as keys:
            await keys.pause()
            banner = app.query_one(JoinBanner)
            assert banner.has_class("-stacked") is stacked
            code = app.query(Digits).last()
            assert code.value == f"{CODE[:3]} {CODE[3:]}"
            assert code.region.right <= banner.content_region.right  # wholly on screen


async def test_a_long_answer_cut_in_the_tree_is_shown_whole_under_it(
    server: Server, wait_until: WaitUntil
) -> None:
    ana = facilitator(server)
    long_text = ("They have nowhere to go because the youth centre on Mill Street closed last spring "
                 "and the library shuts at four [bold]on weekdays[/bold]")
    async with ana.run_test(size=(80, 24)):
        await wait_until(lambda: ana.session_screen is not None, what="joined")
        await to_why_step(ana, wait_until)
        cause = await add(ana, long_text, None, wait_until)
        tree = tree_of(ana)
        tree.select_cause(cause)
        await wait_until(lambda: tree.selected_cause == cause)
        await wait_until(lambda: f"Selected: {long_text}" in " ".join(" ".join(  # painted, not only idle
            strip.text for strip in ana.screen._compositor.render_strips()).split()),
            what="the selected answer whole under the tree")
        screen = "\n".join(strip.text for strip in ana.screen._compositor.render_strips())
        tree_line = next(line for line in screen.splitlines() if "They have nowhere" in line)
        assert "on weekdays" not in tree_line  # cut at the tree's edge...
        whole = " ".join(screen.split())
        assert f"Selected: {long_text}" in whole  # ...and whole, literally, just under it
        assert "a reason for: Our fifth graders get into trouble after school" in whole
