"""Leaving is deliberate: the host's quit asks first, and the close dialog does what it says.

Real host apps (the server inside) under Pilot: `ctrl+q` and the command palette's Quit
ask before the session stops for everyone, say what happens to the participants, and the
default button does what the facilitator asked. Afterwards `farewell` (printed by
`whytree host`) says how to resume, or where the results are.
"""

from __future__ import annotations

from pathlib import Path

from conftest import CODE, FACILITATOR_KEY, WaitUntil
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button

from tests.commands import new_command
from whytree.server.app import ServerConfig
from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp
from whytree.tui.messages import SendCommand
from whytree.tui.screens.dialogs import ConfirmScreen

SIZE = (120, 35)


def host(tmp_path: Path) -> WhytreeApp:
    config = ServerConfig(data_dir=tmp_path / "data", port=0, bind="127.0.0.1", title="Tuesday group",
                          code=CODE, facilitator_key=FACILITATOR_KEY, advertise=False)
    return WhytreeApp(name="Ana", host=config)


def question_text(app: App[None]) -> str:
    dialog = app.screen
    assert isinstance(dialog, ConfirmScreen), f"no question on screen: {dialog!r}"
    return dialog.question


async def hosting(app: WhytreeApp, wait_until: WaitUntil) -> None:
    await wait_until(lambda: app.session_screen is not None and app.screen is app.session_screen,
                     timeout=10, what="the hosted session")


async def test_ctrl_q_on_the_host_asks_and_says_what_happens_to_the_room(
    tmp_path: Path, wait_until: WaitUntil
) -> None:
    app = host(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await hosting(app, wait_until)
        # A participant's ctrl+q quits at once: the host keeps their place.
        assert app.server is not None
        ben = WhytreeApp(url=app.server.local_url, name="Ben", code=CODE, discover=False)
        async with ben.run_test(size=SIZE) as ben_keys:
            await wait_until(lambda: ben.session_screen is not None, what="Ben joined")
            await ben_keys.press("ctrl+q")
            await wait_until(lambda: not ben.is_running, what="Ben's app quit")
        assert app.is_running and app.screen is app.session_screen
        # The host's asks first.
        await pilot.press("ctrl+q")
        await pilot.pause()
        question = question_text(app)
        assert "participants" in question and "reconnecting" in question
        assert "whytree host" in question and "same code" in question
        # Escape: nothing happened, the session goes on.
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and app.screen is app.session_screen and app.server is not None
        # Asked again, Enter quits: that is what the facilitator asked for.
        await pilot.press("ctrl+q")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert dialog.focused is dialog.query_one("#yes", Button)
        await pilot.press("enter")
        await wait_until(lambda: not app.is_running, what="the app quit")
    assert app.farewell is not None
    assert "paused, not closed" in app.farewell
    assert f"whytree host --data-dir {tmp_path / 'data'}" in app.farewell


async def test_the_palette_quit_asks_too_and_ctrl_q_again_quits(
    tmp_path: Path, wait_until: WaitUntil
) -> None:
    app = host(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await hosting(app, wait_until)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"quit")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        assert app.is_running
        assert "participants" in question_text(app)
        await pilot.press("ctrl+q")  # pressed again while it asks: that is an answer
        await wait_until(lambda: not app.is_running, what="the app quit")
    assert app.farewell is not None and "whytree host" in app.farewell


async def send_and_wait(app: WhytreeApp, pilot: Pilot[None], command: p.ClientCommand,
                        wait_until: WaitUntil) -> None:
    app.post_message(SendCommand(command))
    await pilot.pause()
    await wait_until(lambda: not app.mirror.outbox, what="the command answered")


async def test_enter_in_the_close_dialog_closes_and_saves(tmp_path: Path, wait_until: WaitUntil) -> None:
    app = host(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await hosting(app, wait_until)
        await send_and_wait(app, pilot, new_command(app, p.SetSituation, text="The bus stops at four"),
                            wait_until)
        await send_and_wait(app, pilot, new_command(app, p.SetPhase, phase="why"), wait_until)
        await pilot.press("x")
        await pilot.pause()
        question = question_text(app)
        # It says what closing does, and does not say that nothing can change after it
        # while offering to reopen in the same breath.
        assert "save the results" in question and "x reopens" in question
        assert "Nothing can change" not in question
        await pilot.press("enter")  # the default button: "Close and save"
        await wait_until(lambda: app.mirror.state is not None and app.mirror.state.phase == "closed",
                         what="the session closed")
        assert app.server is not None
        server = app.server
        await wait_until(lambda: server.results_dir is not None, what="the results saved")
        results = server.results_dir
        assert results is not None and (results / "report.md").exists()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert f"saved in {results}" in question_text(app)
        await pilot.press("enter")
        await wait_until(lambda: not app.is_running, what="the app quit")
    assert app.farewell is not None
    assert f"results are in {results}" in app.farewell and "whytree sessions" in app.farewell
