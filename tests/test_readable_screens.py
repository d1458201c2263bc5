"""Nothing a person needs is cut without a way to read it, on an old laptop's 80×24.

Real Textual apps under `run_test`, joined to the real server; the session is set up by
plain websocket clients (`tests/netclient.py`). "Readable" is checked on what the screen
shows: the text as rendered, its lines joined again, must hold the whole sentence (a
line that wraps at a space reads the same; a line cut at the edge does not).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import CODE, FACILITATOR_KEY, MakeServer, WaitUntil
from netclient import NetClient
from textual.app import App
from textual.widget import Widget
from textual.widgets._toast import Toast

from whytree.server.app import Server, ServerConfig
from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp
from whytree.tui.widgets.status import step_help

OLD_LAPTOP = (80, 24)
PROJECTOR = (120, 35)

SITUATION = ("Our fifth graders get into trouble after school, and twice this spring a shop owner "
             "on Elm Street said he would call the police on them because nobody was around to "
             "pick them up before six")
HOME = ("Nobody is at home after school because both parents work until six or later, often in "
        "two jobs, and the grandparents who used to help moved back to the other side of the "
        "country last year, so the children walk home alone and wait on the steps until dark")
PARK = ("The school playground is locked at 3pm and there is no other safe place nearby "
        "where they can play")


def screen_text(app: App[None], where: Widget | None = None) -> str:
    """Everything on screen now (or in the region of `where`), as plain text lines."""
    strips = app.screen._compositor.render_strips()
    if where is None:
        return "\n".join(strip.text for strip in strips)
    region = where.region
    return "\n".join(strip.crop(region.x, region.right).text for strip in strips[region.y:region.bottom])


def reads(text: str, app: App[None], where: Widget | None = None) -> bool:
    """Whether the whole of `text` is on screen (in the region of `where`), wrapped over
    lines or not."""
    def flat(words: str) -> str:
        return re.sub(r"\s+", " ", words).strip()

    return flat(text) in flat(screen_text(app, where))


async def weighed_session(server: Server, *, phase: str = "weigh", revealed: bool = False) -> NetClient:
    """A session with a long situation and long causes, up to `phase`; the facilitator's
    client (still connected) is returned."""
    ana = NetClient(server.local_url)
    await ana.join(facilitator_key=FACILITATOR_KEY, name="Ana")
    await ana.ok(p.SetSituation(op="", text=SITUATION))
    await ana.ok(p.SetPhase(op="", phase="why"))
    await ana.ok(p.AddCause(op="", parent=None, text=HOME))
    await ana.ok(p.AddCause(op="", parent=None, text=PARK))
    home, park = list(ana.state.causes)
    await ana.ok(p.SetPhase(op="", phase="weigh"))
    await ana.ok(p.SetDots(op="", cause=home, dots=2))
    await ana.ok(p.SetChange(op="", cause=home, answer="we"))
    await ana.ok(p.SetChange(op="", cause=park, answer="others"))
    if revealed:
        await ana.ok(p.RevealVotes(op="", revealed=True))
    if phase != "weigh":
        await ana.ok(p.SetPhase(op="", phase=phase))  # type: ignore[arg-type]
    return ana


def participant(server: Server) -> WhytreeApp:
    return WhytreeApp(url=server.local_url, name="Ben", code=CODE, discover=False)


async def test_the_situation_and_the_step_help_are_whole_on_an_old_laptop(
        server: Server, wait_until: WaitUntil) -> None:
    ana = await weighed_session(server)
    ben = participant(server)
    async with ben.run_test(size=OLD_LAPTOP):
        await wait_until(lambda: ben.session_screen is not None and ben.mirror.state is not None
                         and ben.mirror.state.phase == "weigh"
                         and "Nobody is at home" in screen_text(ben), what="the weigh step, painted")
        assert ben.mirror.state is not None
        help_now = step_help(ben.mirror.state)
        await wait_until(lambda: reads(SITUATION, ben) and reads(help_now, ben),
                         what="the situation and the step's help, whole")
    await ana.close()


async def test_a_long_answer_is_whole_under_the_tree_and_the_tree_has_the_width(
        server: Server, wait_until: WaitUntil) -> None:
    ana = await weighed_session(server)
    ben = participant(server)
    async with ben.run_test(size=OLD_LAPTOP) as pilot:
        await wait_until(lambda: ben.session_screen is not None and ben.mirror.state is not None
                         and ben.mirror.state.phase == "weigh"
                         and "Nobody is at home" in screen_text(ben), what="the weigh step, painted")
        screen = ben.session_screen
        assert screen is not None
        await pilot.press("down")
        await wait_until(lambda: reads(HOME, ben), what="the selected answer whole")
        # The tree has the whole width: the weigh panel waits one key away, which the
        # footer names.
        assert screen.cause_tree.size.width >= OLD_LAPTOP[0] - 4
        await wait_until(lambda: "r Votes" in screen_text(ben), what="the key to the votes")
        assert "dots left" not in screen_text(ben)
        await pilot.press("r")
        await wait_until(lambda: "You have 3 of your 3 dots left" in screen_text(ben), what="the votes")
        assert not screen.cause_tree.display or not screen.query_one("#tree-side").display
        assert "r Tree" in screen_text(ben)
        await pilot.press("plus")  # the keys still act on the selected answer
        await wait_until(lambda: "You have 2 of your 3 dots left" in screen_text(ben), what="the dot")
        await pilot.press("r")
        await wait_until(lambda: reads(HOME, ben), what="the tree again")
        assert screen.cause_tree.has_focus
    await ana.close()


@pytest.mark.parametrize("size", [PROJECTOR, OLD_LAPTOP], ids=["projector", "old laptop"])
async def test_the_act_and_agree_steps_show_what_was_weighed(
        server: Server, wait_until: WaitUntil, size: tuple[int, int]) -> None:
    ana = await weighed_session(server, phase="act", revealed=True)
    ben = participant(server)
    async with ben.run_test(size=size) as pilot:
        await wait_until(lambda: ben.session_screen is not None and ben.mirror.state is not None
                         and ben.mirror.state.phase == "act"
                         and "Nobody is at home" in screen_text(ben), what="the act step, painted")
        if size == OLD_LAPTOP:  # the tree, then (r) the actions, then (r) the votes
            await wait_until(lambda: "r Actions" in screen_text(ben), what="the key to the actions")
            await pilot.press("r")
            await wait_until(lambda: "What can we do about it?" in screen_text(ben), what="the actions")
            await wait_until(lambda: "r Votes" in screen_text(ben), what="the key to the votes")
            await pilot.press("r")
            await wait_until(lambda: "r Tree" in screen_text(ben), what="the key to the tree")
        else:  # beside the tree, under the actions
            assert "What can we do about it?" in screen_text(ben)
        # The ranking, each cause whole, and the 2×2.
        ranking = ben.screen.query_one("#weighed-ranking")
        await wait_until(lambda: reads(f"1. ●● 2 {HOME} — we can change it: 1", ben, ranking),
                         what="the ranking")
        assert "What the room weighed" in screen_text(ben)
        assert "Act here first" in screen_text(ben)
    await ana.close()


async def test_the_offline_line_is_whole_on_an_old_laptop(make_server: MakeServer,
                                                          wait_until: WaitUntil) -> None:
    server = await make_server()
    ana = await weighed_session(server)
    await ana.close()
    ben = participant(server)
    async with ben.run_test(size=OLD_LAPTOP):
        await wait_until(lambda: ben.session_screen is not None and ben.mirror.state is not None,
                         what="the session")
        await server.stop()
        await wait_until(lambda: "reconnecting… (attempt" in screen_text(ben), what="reconnecting")
        await wait_until(lambda: reads("— changes are kept and sent when back", ben),
                         what="the offline line, whole")


async def test_a_message_does_not_cover_the_panel(server: Server, wait_until: WaitUntil) -> None:
    ana = await weighed_session(server)
    ben = participant(server)
    async with ben.run_test(size=PROJECTOR) as pilot:
        await wait_until(lambda: ben.session_screen is not None and ben.mirror.state is not None
                         and ben.mirror.state.phase == "weigh"
                         and "Nobody is at home" in screen_text(ben), what="the weigh step, painted")
        await pilot.press("down", "minus")  # no dot of his there to take back: he is told so
        await wait_until(lambda: "You have no dot on this one to take back." in screen_text(ben),
                         what="the message")
        panel = ben.screen.query_one("#panels").region
        covered = {
            (x, y) for y in range(panel.y, panel.bottom) for x in range(panel.x, panel.right)
            if isinstance(ben.screen.get_widget_at(x, y)[0], Toast)
        }
        assert not covered, "a message covers the weigh panel"
    await ana.close()


async def test_the_facilitators_keys_for_the_weigh_step_fit_an_old_laptop(
        server: Server, wait_until: WaitUntil) -> None:
    ana = await weighed_session(server)
    host = WhytreeApp(url=server.local_url, name="Ana", facilitator_key=FACILITATOR_KEY, discover=False)
    async with host.run_test(size=OLD_LAPTOP):
        await wait_until(lambda: "v Reveal votes" in screen_text(host), what="the weigh step's keys")
        footer = screen_text(host).splitlines()[-1]
        for key in ("r Votes", "+ Dot", "c Can change?", "v Reveal votes", "] Next step", "? Help"):
            assert key in footer, footer
        assert host.session_screen is not None  # the palette's key is in the help instead
        assert "ctrl+p" in dict(host.session_screen.keys_now())
    await ana.close()


async def test_the_selected_answer_shows_the_rooms_votes_its_tree_line_cuts_off(
        server: Server, wait_until: WaitUntil) -> None:
    ana = await weighed_session(server, phase="act", revealed=True)
    ben = participant(server)
    async with ben.run_test(size=PROJECTOR) as pilot:
        await wait_until(lambda: ben.session_screen is not None and ben.mirror.state is not None
                         and ben.mirror.state.phase == "act"
                         and "Nobody is at home" in screen_text(ben), what="the act step, painted")
        await pilot.press("down")
        selected = ben.screen.query_one("#selected-full")
        await wait_until(lambda: reads(HOME, ben, selected), what="the answer in full")
        assert reads("The room's votes: 2 “matters” dots · we can change it", ben, selected)
    await ana.close()


def footer(app: App[None]) -> str:
    """The footer's keys: the screen's last line with something on it."""
    return [line for line in screen_text(app).splitlines() if line.strip()][-1].strip()


async def test_the_hosts_keys_for_every_step_fit_an_old_laptop(tmp_path: Path,
                                                               wait_until: WaitUntil) -> None:
    """The host's footer has one key more than a facilitator's elsewhere ("j Join info"): in
    every step, what it shows fits 80 columns, down to "? Help" (nothing cut mid-word)."""
    host = WhytreeApp(name="Ana", host=ServerConfig(
        data_dir=tmp_path / "data", port=0, bind="127.0.0.1", title="Tuesday group", code=CODE,
        facilitator_key=FACILITATOR_KEY, advertise=False))
    async with host.run_test(size=OLD_LAPTOP) as keys:
        await wait_until(lambda: host.session_screen is not None and host.server is not None,
                         what="the hosted session")
        assert host.server is not None
        fran = NetClient(host.server.local_url)
        await fran.join(facilitator_key=FACILITATOR_KEY, name="Fran")
        await fran.ok(p.SetSituation(op="x", text="Our fifth graders get into trouble", mode="problem"))
        for phase in ("situation", "why", "weigh", "act", "agree"):
            if phase != "situation":
                await fran.ok(p.SetPhase(op="x", phase=phase))  # type: ignore[arg-type]
            if phase == "why":
                await fran.ok(p.AddCause(op="x", parent=None, text="Nobody is at home"))
            await wait_until(lambda step=phase: host.mirror.state is not None  # type: ignore[misc]
                             and host.mirror.state.phase == step, what=f"the {phase} step")
            for view in ("tree", "panel"):
                await wait_until(lambda: footer(host).endswith(("? Help", "j Join info")),
                                 what=f"the {phase} step's keys, whole, in the {view} view")
                if phase != "situation":
                    await keys.press("r")
        await fran.close()
