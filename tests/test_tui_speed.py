"""The terminal client does no work proportional to the tree, and none while idle.

An answer someone adds appears on every screen in the room; on an old laptop with a tree
of hundreds of answers, what the screen does for it decides how soon. These tests count
(never time) what a real Textual app does when one answer arrives: it measures the lines
in view, not every line of the tree; it leaves the footer's keys alone when they stay the
same (and still shows new ones when the step changes); and with no step timer running,
nothing in the header ticks.

They run the real server, a scripted facilitator and a real Textual app.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from conftest import CODE, FACILITATOR_KEY, MakeServer, WaitUntil
from netclient import NetClient
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Footer, Tree
from textual.widgets._footer import FooterKey

from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.shared.protocol import Limits
from whytree.tui.app import WhytreeApp
from whytree.tui.screens.session import SessionScreen
from whytree.tui.widgets.actions import ActionsPanel
from whytree.tui.widgets.cause_tree import CauseTree
from whytree.tui.widgets.status import SessionHeader
from whytree.tui.widgets.summary import SummaryPanel
from whytree.tui.widgets.weigh import WeighPanel

SIZE = (100, 30)
ANSWERS = 300


def screen_text(app: WhytreeApp) -> str:
    """Everything on screen now, as plain text lines (what a person would read)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def counting(target: Any, name: str) -> list[int]:
    """Count the calls of `target.name` from now on (it still does what it did)."""
    calls = [0]
    method = getattr(target, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return method(*args, **kwargs)

    setattr(target, name, counted)
    return calls


@pytest.fixture
async def room(make_server: MakeServer) -> AsyncIterator[tuple[Server, NetClient]]:
    # The facilitator types far faster than a person (the test's tree of answers).
    server = await make_server(limits=Limits(commands=(1e9, 1e9)))
    fran = NetClient(server.local_url)
    await fran.join(facilitator_key=FACILITATOR_KEY, name="Fran")
    await fran.ok(p.SetSituation(op="x", text="Our fifth graders get into trouble after school"))
    await fran.ok(p.SetPhase(op="x", phase="why"))
    try:
        yield server, fran
    finally:
        await fran.close()


async def joined(app: WhytreeApp, wait_until: WaitUntil) -> SessionScreen:
    await wait_until(lambda: app.session_screen is not None and app.mirror.state is not None,
                     what="Ann in the session")
    screen = app.session_screen
    assert screen is not None
    return screen


@contextlib.asynccontextmanager
async def ann_in_a_big_session(
    room: tuple[Server, NetClient], wait_until: WaitUntil
) -> AsyncIterator[tuple[Pilot[None], WhytreeApp, CauseTree]]:
    """Ann's screen on a session of ANSWERS answers, the whole tree shown."""
    server, fran = room
    for i in range(ANSWERS):
        await fran.ok(p.AddCause(op="x", parent=None, text=f"Reason number {i}"))
    app = WhytreeApp(server.local_url, name="Ann", code=CODE, discover=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await joined(app, wait_until)
        tree = screen.cause_tree
        await wait_until(lambda: len(tree.root.children) == ANSWERS, what="the whole tree")
        await pilot.pause()
        yield pilot, app, tree


async def test_an_answer_added_to_a_big_tree_measures_only_the_lines_in_view(
    room: tuple[Server, NetClient], wait_until: WaitUntil
) -> None:
    _, fran = room
    async with ann_in_a_big_session(room, wait_until) as (pilot, _app, tree):
        rendered = counting(tree, "render_label")

        await fran.ok(p.AddCause(op="x", parent=None, text="A much longer reason than any other one"))
        await wait_until(lambda: len(tree.root.children) == ANSWERS + 1, what="the new answer")
        await pilot.pause()
        await pilot.pause()
        # Textual's own `Tree` rendered every label of the tree again to measure it (301
        # here, 2,000 in a full session); the lines in view are all that need rendering.
        assert rendered[0] <= 2 * SIZE[1], rendered
        # ...and the tree is still as wide as its widest line (the new one), as measured
        # by Textual's own way, so it scrolls sideways as far as it must.
        widest = max(Tree.get_label_width(tree, line.node)
                     + line._get_guide_width(tree.guide_depth, tree.show_root)
                     for line in tree._tree_lines)
        assert tree.virtual_size.width == widest


async def test_the_footer_is_rebuilt_only_when_its_keys_change(
    room: tuple[Server, NetClient], wait_until: WaitUntil
) -> None:
    server, fran = room
    await fran.ok(p.AddCause(op="x", parent=None, text="Nobody is at home"))
    app = WhytreeApp(server.local_url, name="Ann", code=CODE, discover=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await joined(app, wait_until)
        await pilot.pause()
        footer = screen.query_one(Footer)
        rebuilt = counting(footer, "recompose")

        for i in range(3):
            await fran.ok(p.AddCause(op="x", parent=None, text=f"Another reason {i}"))
        await wait_until(lambda: len(screen.cause_tree.root.children) == 4, what="the answers")
        await pilot.press("down", "down", "up")  # the cursor moves: the same keys apply
        await pilot.pause()
        await pilot.pause()
        assert rebuilt == [0], "the keys that apply did not change"

        # The weigh step brings its own keys: the footer shows them.
        await fran.ok(p.SetPhase(op="x", phase="weigh"))
        await wait_until(lambda: rebuilt[0] >= 1, what="the footer rebuilt")
        await wait_until(lambda: "Dot" in [key.description for key in footer.query(FooterKey)],
                         what="the weigh step's keys")


async def test_an_idle_header_does_not_tick(room: tuple[Server, NetClient], wait_until: WaitUntil) -> None:
    server, fran = room
    app = WhytreeApp(server.local_url, name="Ann", code=CODE, discover=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await joined(app, wait_until)
        await pilot.pause()
        header = screen.query_one(SessionHeader)

        def ticking() -> bool:
            return any(timer._task is not None and not timer._task.done() for timer in header._timers)

        assert not ticking(), "no step timer: nothing to count down"

        # A step timer counts down once a second; once it has run out, nothing ticks again.
        await fran.ok(p.SetTimer(op="x", seconds=1))
        await wait_until(ticking, what="the countdown")
        await wait_until(lambda: header.has_class("-time-up"), what="time is up")
        await wait_until(lambda: not ticking(), what="the countdown stopped")


async def test_a_command_is_written_to_the_host_before_the_screen_moves_on(
    room: tuple[Server, NetClient], wait_until: WaitUntil
) -> None:
    """Enter on an answer: its frame is on the socket before the key's own repaint (and the
    footer's, the focus's...) -- not queued for a writer task the event loop reaches only
    after them, which on an old laptop took 15-25 ms of the time to the other screens."""
    server, fran = room
    app = WhytreeApp(server.local_url, name="Ann", code=CODE, discover=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await joined(app, wait_until)
        await pilot.pause()
        assert app.link is not None and app.link._ws is not None
        transport = app.link._ws.transport
        written: list[bytes] = []
        write = transport.write

        def recorded(data: bytes | bytearray | memoryview) -> None:
            written.append(bytes(data))
            write(data)

        transport.write = recorded  # type: ignore[method-assign]
        command = p.AddCause(op=app.mirror.new_op(), parent=None, text="Nobody is at home")
        screen.send(command)
        # No await in between: nothing else has run yet.
        assert len(written) == 1, "written as the key is handled"
        await wait_until(lambda: any(c.text == "Nobody is at home" for c in server.state.causes.values()),
                         what="the answer at the host")
        await wait_until(lambda: command.op not in app.mirror.outbox, what="the answer confirmed")


async def test_a_step_panel_is_built_when_its_step_comes(
    room: tuple[Server, NetClient], wait_until: WaitUntil
) -> None:
    """A session starts in "But why?", which shows no step panel: the weigh, actions and
    summary panels are not built at start (a tenth of what a start cost), and each shows,
    filled in, when its step comes."""
    server, fran = room
    await fran.ok(p.AddCause(op="x", parent=None, text="Nobody is at home"))
    app = WhytreeApp(server.local_url, name="Ann", code=CODE, discover=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await joined(app, wait_until)
        await pilot.pause()
        assert not screen.query(WeighPanel) and not screen.query(ActionsPanel)
        assert not screen.query(SummaryPanel)

        await fran.ok(p.SetPhase(op="x", phase="weigh"))
        await wait_until(lambda: bool(screen.query(WeighPanel)) and screen.query_one(WeighPanel).display,
                         what="the weigh panel")
        await wait_until(lambda: "Nobody is at home" in screen_text(app), what="the ranking filled in")
        assert not screen.query(ActionsPanel)


async def test_showing_a_big_session_takes_each_label_as_built(
    room: tuple[Server, NetClient], wait_until: WaitUntil, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session of hundreds of answers is shown at once when a screen joins: Textual's
    `Tree` copied every label twice on its way in (for its first line), which was half of
    the time it took. Labels here are one line, built for the tree: taken as they are."""
    async with ann_in_a_big_session(room, wait_until) as (_pilot, app, tree):
        copies = [0]
        split = Text.split

        def counted(self: Text, *args: Any, **kwargs: Any) -> Any:
            copies[0] += 1
            return split(self, *args, **kwargs)

        monkeypatch.setattr(Text, "split", counted)
        assert app.mirror.state is not None
        tree.show_state(app.mirror.state, app.mirror.me)  # the whole session, as at a join
        monkeypatch.undo()
        assert copies == [0]
        assert [str(node.label) for node in tree.root.children][:2] == [
            "Reason number 0  — Fran", "Reason number 1  — Fran"]
