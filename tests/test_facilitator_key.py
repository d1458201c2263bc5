"""The projected screen never shows the facilitator key.

The host's screen is often on the projector, and anyone who reads the facilitator key can
join with the facilitator's powers. These tests run the real host app (its own server
inside) and a real `--view` app through every step of a session and read what each screen
shows, and check that the key appears only in the dialog behind `k`, after a warning.
"""

from __future__ import annotations

from pathlib import Path

from conftest import CODE, FACILITATOR_KEY, WaitUntil
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Digits, Static

from tests.commands import new_command
from whytree.server.app import ServerConfig
from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp
from whytree.tui.messages import SendCommand
from whytree.tui.screens.dialogs import FacilitatorKeyScreen

SIZE = (120, 35)
"""A facilitator's laptop on a projector."""


def screen_text(app: App[None]) -> str:
    """Everything on screen now, as plain text lines (what the room would read)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def readable(app: App[None]) -> str:
    """The screen's text without spaces and line breaks: a key cut over two lines, or
    spread out in large letters, is still found."""
    return "".join(screen_text(app).split())


def key_is_shown(app: App[None]) -> bool:
    return FACILITATOR_KEY in readable(app) or FACILITATOR_KEY.replace("-", "") in readable(app)


def scene(ana: WhytreeApp) -> list[tuple[str, list[p.ClientCommand]]]:
    """A whole session, step by step: (the step, the commands that lead there), for the
    facilitator `ana` to send."""
    return [
        ("situation", [new_command(ana, p.SetSituation,
                                   text="Our fifth graders get into trouble after school")]),
        ("why", [new_command(ana, p.SetPhase, phase="why"),
                 new_command(ana, p.AddCause, parent=None, text="Nobody is at home after school")]),
        ("weigh", [new_command(ana, p.SetPhase, phase="weigh")]),
        ("weigh", [new_command(ana, p.RevealVotes, revealed=True)]),
        ("act", [new_command(ana, p.SetPhase, phase="act")]),
        ("agree", [new_command(ana, p.SetPhase, phase="agree")]),
        ("closed", [new_command(ana, p.Close)]),
    ]


async def test_no_screen_of_the_host_or_of_the_projector_view_shows_the_key(
    tmp_path: Path, wait_until: WaitUntil
) -> None:
    config = ServerConfig(data_dir=tmp_path, port=0, bind="127.0.0.1", title="Tuesday group",
                          code=CODE, facilitator_key=FACILITATOR_KEY, advertise=False)
    ana = WhytreeApp(name="Ana", host=config)
    async with ana.run_test(size=SIZE) as pilot:
        await wait_until(lambda: ana.session_screen is not None and ana.server is not None,
                         timeout=10, what="hosted session")
        screen = ana.session_screen
        assert screen is not None and screen.banner is not None and ana.server is not None
        view = WhytreeApp(url=ana.server.local_url, code=CODE, viewer=True, discover=False)
        async with view.run_test(size=SIZE) as view_keys:
            await wait_until(lambda: view.session_screen is not None, timeout=10, what="the view")
            for step, commands in scene(ana):
                for command in commands:
                    ana.post_message(SendCommand(command))
                await wait_until(lambda step=step: all(
                    app.mirror.state is not None and app.mirror.state.phase == step and not app.mirror.outbox
                    for app in (ana, view)), timeout=10, what=step)
                await pilot.pause()
                await view_keys.pause()
                assert screen.banner.display, "the join banner is on the screen"
                assert f"{CODE[:3]} {CODE[3:]}" in [digits.value for digits in ana.screen.query(Digits)]
                assert not key_is_shown(ana), f"the key is on the host's screen in the {step} step"
                assert not key_is_shown(view), f"the key is on the projector view in the {step} step"
                # Nor in the help, which the facilitator opens in front of the room.
                await pilot.press("question_mark")
                await pilot.pause()
                assert not key_is_shown(ana), f"the key is in the help of the {step} step"
                await pilot.press("escape")
                # `k` on the projector view: it has no key to show.
                await view_keys.press("k")
                await view_keys.pause()
                assert view.screen is view.session_screen and not key_is_shown(view)


async def open_key_dialog(pilot: Pilot[None], app: WhytreeApp) -> FacilitatorKeyScreen:
    await pilot.press("k")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, FacilitatorKeyScreen)
    return dialog


async def test_k_shows_the_key_to_the_host_after_a_warning(tmp_path: Path, wait_until: WaitUntil) -> None:
    config = ServerConfig(data_dir=tmp_path, port=0, bind="127.0.0.1", title="Tuesday group",
                          code=CODE, facilitator_key=FACILITATOR_KEY, advertise=False)
    ana = WhytreeApp(name="Ana", host=config)
    async with ana.run_test(size=SIZE) as pilot:
        await wait_until(lambda: ana.session_screen is not None, timeout=10, what="hosted session")
        dialog = await open_key_dialog(pilot, ana)
        # First the warning, and no key yet: the room may be reading this screen.
        assert "projector" in screen_text(ana)
        assert not key_is_shown(ana)
        assert dialog.focused is dialog.query_one("#show", Button)
        await pilot.press("enter")  # "Show the key": what the facilitator asked for
        await pilot.pause()
        assert key_is_shown(ana)
        assert ana.server is not None
        how = f"whytree join {ana.server.urls[0]} --facilitator-key {FACILITATOR_KEY}"
        assert how in str(dialog.query_one("#key-shown", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert ana.screen is ana.session_screen
        assert not key_is_shown(ana)
        # Cancelled before it showed: the key never appears.
        await open_key_dialog(pilot, ana)
        await pilot.press("escape")
        await pilot.pause()
        assert ana.screen is ana.session_screen and not key_is_shown(ana)
        # A participant's `k` shows nothing: only the host has the key to give.
        assert ana.server is not None
        ben = WhytreeApp(url=ana.server.local_url, name="Ben", code=CODE, discover=False)
        async with ben.run_test(size=SIZE) as ben_keys:
            await wait_until(lambda: ben.session_screen is not None, what="Ben joined")
            await ben_keys.press("k")
            await ben_keys.pause()
            assert ben.screen is ben.session_screen
