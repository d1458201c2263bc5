"""The session screen refreshes only what a batch of events can have changed.

People come and go all session long (a laptop lid closes, Wi-Fi drops, someone new sits
down); on an old laptop each such event used to redraw the header, the step panel and the
footer's keys. Now people coming in change the "Here:" line and nothing else, while the
step panel still shows every change that is its own.

The tests run the real server, scripted people and a real Textual app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conftest import CODE, FACILITATOR_KEY, WaitUntil
from netclient import NetClient
from textual.widgets import Static

from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp
from whytree.tui.screens.session import SessionScreen
from whytree.tui.widgets.actions import ActionsPanel
from whytree.tui.widgets.weigh import WeighPanel

SIZE = (120, 40)


def counting(target: Any, name: str) -> list[int]:
    """Count the calls of `target.name` from now on (it still does what it did)."""
    calls = [0]
    method: Callable[..., Any] = getattr(target, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return method(*args, **kwargs)

    setattr(target, name, counted)
    return calls


def screen_text(app: WhytreeApp) -> str:
    """Everything on screen now, as plain text lines (what a person would read)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def people_line(screen: SessionScreen) -> str:
    return str(screen.query_one("#header-people", Static).visual)


async def test_people_joining_refresh_the_people_line_not_the_panel_or_the_keys(
    server: Server, wait_until: WaitUntil
) -> None:
    fran = NetClient(server.local_url)
    await fran.join(facilitator_key=FACILITATOR_KEY, name="Fran")
    await fran.ok(p.SetSituation(op="x", text="Our fifth graders get into trouble after school"))
    await fran.ok(p.SetPhase(op="x", phase="why"))
    home = await fran.ok(p.AddCause(op="x", parent=None, text="Nobody is at home"))
    assert isinstance(home.command, p.AddCause) and home.command.id is not None
    await fran.ok(p.SetPhase(op="x", phase="act"))
    await fran.ok(p.AddAction(op="x", text="An after-school club", causes=[home.command.id]))
    app = WhytreeApp(server.local_url, name="Ann", code=CODE, discover=False)
    guests = [NetClient(server.local_url) for _ in range(3)]
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(lambda: app.session_screen is not None and app.mirror.state is not None
                             and app.mirror.state.phase == "act", what="Ann in the act step")
            screen = app.session_screen
            assert screen is not None
            await pilot.pause()
            panel = screen.query_one(ActionsPanel)
            assert "An after-school club" in screen_text(app)
            panel_refreshes = counting(panel, "show_state")
            key_refreshes = counting(screen, "refresh_bindings")
            seq = app.mirror.state.seq if app.mirror.state is not None else 0

            for guest, name in zip(guests, ("Ben", "Chloe", "Dev"), strict=True):
                await guest.join(code=CODE, name=name)
            await wait_until(lambda: all(name in people_line(screen) for name in ("Ben", "Chloe", "Dev")),
                             what="the newcomers on the people line")
            await pilot.pause()
            assert app.mirror.state is not None and app.mirror.state.seq > seq
            assert panel_refreshes == [0], "people joining do not change the actions panel"
            assert key_refreshes == [0], "nor the keys that apply"

            # The panel still follows what is its own.
            await fran.ok(p.AddAction(op="x", text="Ask the library", causes=[home.command.id]))
            await wait_until(lambda: panel_refreshes[0] >= 1, what="the panel refreshed")
            await wait_until(lambda: "Ask the library" in screen_text(app), what="the new action listed")
    finally:
        for guest in guests:
            await guest.close()
        await fran.close()


async def test_someone_coming_in_while_people_vote_updates_how_many_have_voted(
    server: Server, wait_until: WaitUntil
) -> None:
    """The weigh panel counts the people here ("1 of 3 people have voted"): a presence
    event changes it, so it is refreshed for one."""
    fran = NetClient(server.local_url)
    await fran.join(facilitator_key=FACILITATOR_KEY, name="Fran")
    await fran.ok(p.SetSituation(op="x", text="Our fifth graders get into trouble after school"))
    await fran.ok(p.SetPhase(op="x", phase="why"))
    await fran.ok(p.AddCause(op="x", parent=None, text="Nobody is at home"))
    await fran.ok(p.SetPhase(op="x", phase="weigh"))
    app = WhytreeApp(server.local_url, name="Ann", code=CODE, discover=False)
    ben = NetClient(server.local_url)
    try:
        async with app.run_test(size=SIZE):
            await wait_until(lambda: app.session_screen is not None and app.mirror.state is not None
                             and app.mirror.state.phase == "weigh", what="Ann in the weigh step")
            screen = app.session_screen
            assert screen is not None
            voters = screen.query_one(WeighPanel).query_one("#weigh-voters", Static)
            await wait_until(lambda: "0 of 2 people have voted" in str(voters.visual), what="two here")
            await ben.join(code=CODE, name="Ben")
            await wait_until(lambda: "0 of 3 people have voted" in str(voters.visual), what="three here")
    finally:
        await ben.close()
        await fran.close()
