"""Snapshot tests of the screens people see most: joining, and the tree in the why step.

`snap_compare` runs the app in its own event loop, so these tests are plain functions and
the session screen is shot from a hosted app (`host=`: the real server starts inside the
app's loop) with a fixed code and key; the join banner, the only place with the random
port, is hidden with `j` first. Input cursors do not blink, so every shot is the same.

Update the stored snapshots after an intended change with `pytest --snapshot-update`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from conftest import CODE, FACILITATOR_KEY
from textual.pilot import Pilot
from textual.widgets import Input

from tests.commands import new_command
from whytree.server.app import ServerConfig
from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp
from whytree.tui.messages import SendCommand

SIZE = (120, 40)


async def _no_blink(pilot: Pilot[None]) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


async def _until(pilot: Pilot[None], predicate: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "the app did not get there in time"
        await pilot.pause(0.02)


def test_join_screen(snap_compare: Any) -> None:
    app = WhytreeApp(url="192.168.1.20", discover=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=_no_blink)


def test_session_screen_in_the_why_step(snap_compare: Any, tmp_path: Path) -> None:
    config = ServerConfig(data_dir=tmp_path, port=0, bind="127.0.0.1", title="Tuesday group",
                          code=CODE, facilitator_key=FACILITATOR_KEY, advertise=False)
    app = WhytreeApp(name="Ana", host=config)

    async def grow_a_tree(pilot: Pilot[None]) -> None:
        await _until(pilot, lambda: app.session_screen is not None)
        await pilot.press("j")  # hide the join banner (it shows the random port)

        def send(command: p.ClientCommand) -> None:
            app.post_message(SendCommand(command))

        send(new_command(app, p.SetSituation, text="Our fifth graders get into trouble after school"))
        send(new_command(app, p.SetPhase, phase="why"))
        send(new_command(app, p.AddCause, parent=None, text="Nobody is at home after school"))
        await _until(pilot, lambda: app.mirror.state is not None and len(app.mirror.state.causes) == 1)
        assert app.mirror.state is not None
        home = next(iter(app.mirror.state.causes))
        send(new_command(app, p.AddCause, parent=home, text="Parents work until six"))
        send(new_command(app, p.AddCause, parent=None, text="The [bold]park[/bold] is closed"))
        await _until(pilot, lambda: app.mirror.state is not None and len(app.mirror.state.causes) == 3)
        await pilot.press("down")
        await pilot.pause(0.1)
        await _no_blink(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=grow_a_tree)


STEPS = ("situation", "weigh", "act", "agree", "closed")


async def _session_up_to(pilot: Pilot[None], app: WhytreeApp, step: str) -> None:
    """The facilitator runs a session for the room (scribe mode) up to `step`."""
    await _until(pilot, lambda: app.session_screen is not None)
    await pilot.press("j")  # hide the join banner (it shows the random port)

    def state() -> Any:
        return app.mirror.state

    await _until(pilot, lambda: state() is not None)
    start, sent = state().seq, 0

    def send(command: p.ClientCommand) -> None:
        nonlocal sent
        sent += 1
        app.post_message(SendCommand(command))

    async def settled() -> None:
        """Every command sent so far is answered (each one here is accepted: one event each)."""
        target = start + sent
        await _until(pilot, lambda: state() is not None and state().seq >= target and not app.mirror.outbox)

    send(new_command(app, p.SetSituation, text="Our fifth graders get into trouble after school"))
    await settled()
    if step != "situation":
        send(new_command(app, p.SetPhase, phase="why"))
        send(new_command(app, p.AddCause, parent=None, text="Nobody is at home after school"))
        send(new_command(app, p.AddCause, parent=None, text="The park is closed"))
        await settled()
        home, park = list(state().causes)
        send(new_command(app, p.AddCause, parent=home, text="Parents work until six"))
        send(new_command(app, p.SetPhase, phase="weigh"))
        send(new_command(app, p.SetDots, cause=home, dots=2))
        send(new_command(app, p.SetChange, cause=home, answer="we"))
        send(new_command(app, p.SetDots, cause=park, dots=1))
        send(new_command(app, p.SetChange, cause=park, answer="others"))
        send(new_command(app, p.RevealVotes, revealed=True))
        await settled()
        if step != "weigh":
            send(new_command(app, p.SetPhase, phase="act"))
            send(new_command(app, p.AddAction, text="An after-school club in the library", causes=[home],
                             by="inside", who="parents' group"))
            send(new_command(app, p.AddAction, text="Ask the city to reopen the park", causes=[park],
                             by="outside", who="the city council"))
            await settled()
        if step in ("agree", "closed"):
            club = next(iter(state().actions))
            send(new_command(app, p.SetPhase, phase="agree"))
            send(new_command(app, p.SetAgreement, action=club, agreed=True, first_step="Ask the librarian",
                                owner="Ana", due="next Friday"))
            await settled()
        if step == "closed":
            send(new_command(app, p.Close))
            await settled()
    await _until(pilot, lambda: state() is not None and state().phase == step)
    await pilot.pause(0.2)
    app.clear_notifications()  # "results saved in <temporary folder>" differs every run
    await _no_blink(pilot)


def test_session_screen_in_each_step(snap_compare: Any, tmp_path: Path) -> None:
    for step in STEPS:
        config = ServerConfig(data_dir=tmp_path / step, port=0, bind="127.0.0.1", title="Tuesday group",
                              code=CODE, facilitator_key=FACILITATOR_KEY, advertise=False)
        app = WhytreeApp(name="Fran", host=config)

        async def run_before(pilot: Pilot[None], app: WhytreeApp = app, step: str = step) -> None:
            await _session_up_to(pilot, app, step)

        assert snap_compare(app, terminal_size=SIZE, run_before=run_before), f"the {step} step"
