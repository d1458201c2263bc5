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

from whytree.server.app import ServerConfig
from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp
from whytree.tui.messages import DRAFT_OP, SendCommand

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

        send(p.SetSituation(op=DRAFT_OP, text="Our fifth graders get into trouble after school"))
        send(p.SetPhase(op=DRAFT_OP, phase="why"))
        send(p.AddCause(op=DRAFT_OP, parent=None, text="Nobody is at home after school"))
        await _until(pilot, lambda: app.mirror.state is not None and len(app.mirror.state.causes) == 1)
        assert app.mirror.state is not None
        home = next(iter(app.mirror.state.causes))
        send(p.AddCause(op=DRAFT_OP, parent=home, text="Parents work until six"))
        send(p.AddCause(op=DRAFT_OP, parent=None, text="The [bold]park[/bold] is closed"))
        await _until(pilot, lambda: app.mirror.state is not None and len(app.mirror.state.causes) == 3)
        await pilot.press("down")
        await pilot.pause(0.1)
        await _no_blink(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=grow_a_tree)
