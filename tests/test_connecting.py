"""`whytree join ADDRESS --name .. --code ..` goes straight in, without building the form.

With everything given on the command line the person sees the session as soon as the host
answers (a host slow to answer first gets one line, "Connecting to …"): the join form
(most of what a start cost) is built only when there is something to fix on it, and then
it shows the problem next to the field, filled in with what was given.

The tests run the real server and a real Textual app.
"""

from __future__ import annotations

import gc
import socket
from collections.abc import Iterator

import pytest
from conftest import CODE, WaitUntil
from textual.widgets import Input

from whytree.server.app import Server
from whytree.tui import app as app_module
from whytree.tui.app import WhytreeApp
from whytree.tui.screens.connecting import ConnectingScreen
from whytree.tui.screens.dialogs import ConfirmScreen
from whytree.tui.screens.join import JoinScreen

SIZE = (100, 30)


class _Counted(ConnectingScreen):
    """`ConnectingScreen`, counting the times it is put up."""

    made = 0

    def __init__(self, url: str) -> None:
        super().__init__(url)
        _Counted.made += 1


async def test_everything_given_goes_straight_in_without_the_join_form(
    server: Server, wait_until: WaitUntil, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "ConnectingScreen", _Counted)
    monkeypatch.setattr(app_module, "CONNECTING_AFTER", 10.0)  # (however busy the machine)
    _Counted.made = 0
    app = WhytreeApp(server.local_url, name="Ben", code=CODE, discover=False)
    screens: list[str] = []
    async with app.run_test(size=SIZE):

        def follow() -> bool:
            screens.append(type(app.screen).__name__)
            return app.session_screen is not None and app.screen is app.session_screen

        await wait_until(follow, what="Ben in the session")
    assert "JoinScreen" not in screens
    assert app.join_screen is None
    # A host that answers in time: no "Connecting to ..." flashing before the session.
    assert _Counted.made == 0


async def test_a_host_slow_to_answer_gets_a_line_saying_where_it_connects(
    wait_until: WaitUntil
) -> None:
    with socket.socket() as silent:  # listens, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        app = WhytreeApp(address, name="Ben", code=CODE, discover=False)
        async with app.run_test(size=SIZE):
            await wait_until(lambda: isinstance(app.screen, ConnectingScreen), what="the connecting line")
            assert address in str(app.screen.query_one("#connecting").render())


async def test_the_connecting_line_waits_for_a_dialog_to_close(
    wait_until: WaitUntil, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A first join over TLS asks the person to confirm the host's fingerprint: the line
    # must neither cover that dialog nor be forgotten once it is answered.
    monkeypatch.setattr(app_module, "CONNECTING_AFTER", 0.2)
    with socket.socket() as silent:  # listens, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app = WhytreeApp(f"127.0.0.1:{silent.getsockname()[1]}", name="Ben", code=CODE, discover=False)
        async with app.run_test(size=SIZE) as pilot:
            dialog = ConfirmScreen("Does it match?")
            await app.push_screen(dialog)
            await pilot.pause(0.5)
            assert app.screen is dialog
            dialog.dismiss(True)
            await wait_until(lambda: isinstance(app.screen, ConnectingScreen), what="the connecting line")


async def test_an_address_that_does_not_answer_brings_up_the_form_to_fix_it(
    wait_until: WaitUntil
) -> None:
    with socket.socket() as silent:  # listens, never answers: a host that is not whytree
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app = WhytreeApp(f"127.0.0.1:{silent.getsockname()[1]}", name="Ben", code=CODE, discover=False)
        async with app.run_test(size=SIZE):
            await wait_until(lambda: isinstance(app.screen, ConnectingScreen), what="the connecting line")
            await wait_until(lambda: isinstance(app.screen, JoinScreen) and app.screen.problem_shown(),
                             what="the problem on the join form")
            screen = app.screen
            assert isinstance(screen, JoinScreen)
            assert "Can't reach" in screen.problem_shown()
            await wait_until(lambda: screen.query_one("#address", Input).has_focus,
                             what="the address field, ready to fix")
            assert screen.query_one("#name", Input).value == "Ben"
            assert screen.query_one("#code", Input).value == CODE
            # Only the form: the connecting line is gone from under it.
            assert not any(isinstance(s, ConnectingScreen) for s in app.screen_stack)


@pytest.fixture
def start_paused() -> Iterator[None]:
    """Garbage collection paused as `whytree join` and `whytree host` pause it for the start;
    whatever the test leaves, on and unfrozen again afterwards."""
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable()


@pytest.mark.usefixtures("start_paused")
async def test_garbage_is_collected_again_once_the_session_is_painted(
    server: Server, wait_until: WaitUntil, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "START_PAUSE_LIMIT", 60.0)  # not by the fallback
    app = WhytreeApp(server.local_url, name="Ben", code=CODE, discover=False)
    async with app.run_test(size=SIZE):
        assert not gc.isenabled()  # the start makes its objects without collections
        await wait_until(lambda: app.session_screen is not None and app.screen is app.session_screen,
                         what="Ben in the session")
        await wait_until(gc.isenabled, what="collections back on")
        assert gc.get_freeze_count() > 0  # what the start made is kept out of later ones


@pytest.mark.usefixtures("start_paused")
async def test_garbage_is_collected_again_even_when_no_screen_comes(
    wait_until: WaitUntil, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "START_PAUSE_LIMIT", 0.3)
    with socket.socket() as silent:  # listens, never answers: "Connecting to ..." stays
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app = WhytreeApp(f"127.0.0.1:{silent.getsockname()[1]}", name="Ben", code=CODE, discover=False)
        async with app.run_test(size=SIZE):
            await wait_until(gc.isenabled, what="collections back on")
            assert isinstance(app.screen, ConnectingScreen)
