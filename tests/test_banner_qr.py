"""The host's join banner shows the browser address and its QR code, dark on light.

Most people in the room carry a phone: the banner on the projector tells them the address
to open in a browser and draws it as a QR code to scan. The real host app (its own server
inside) is run at a projector's size and at an old laptop's; what the screen shows is read
back, and the QR code on it is decoded module by module into the address it carries.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import segno
from conftest import CODE, FACILITATOR_KEY, WaitUntil
from textual.app import App
from textual.color import Color
from textual.widgets import Static

from whytree.server.app import ServerConfig
from whytree.tui.app import WhytreeApp
from whytree.tui.widgets.banner import JoinBanner


def readable(app: App[None]) -> str:
    """The screen's text without spaces and line breaks (an address cut over two lines is
    still found)."""
    return "".join("".join(strip.text for strip in app.screen._compositor.render_strips()).split())


def host(tmp_path: Path) -> WhytreeApp:
    return WhytreeApp(host=ServerConfig(data_dir=tmp_path, port=0, bind="127.0.0.1", title="Tuesday group",
                                        code=CODE, facilitator_key=FACILITATOR_KEY, advertise=False))


def modules(rows: list[str]) -> list[list[bool]]:
    """The dark modules drawn by half blocks: two rows of modules per line of text."""
    top = {"▀": True, "█": True}
    bottom = {"▄": True, "█": True}
    grid: list[list[bool]] = []
    for line in rows:
        grid.append([top.get(char, False) for char in line])
        grid.append([bottom.get(char, False) for char in line])
    return grid


async def test_the_projected_banner_shows_the_browser_address_and_its_qr_code(
    tmp_path: Path, wait_until: WaitUntil
) -> None:
    app = host(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await wait_until(lambda: app.session_screen is not None, what="hosted session")
        await pilot.pause()
        assert app.server is not None
        address = f"http://127.0.0.1:{app.server.port}/"
        assert address in readable(app)
        assert "scanthesquarecode" in readable(app)  # (read without spaces)
        banner = app.screen.query_one(JoinBanner)
        qr = banner.query_one(".banner-qr", Static)
        assert qr.display and qr.region.width > 0, "the QR code is on screen"
        drawn = str(qr.render()).split("\n")
        expected = [[bool(cell) for cell in row] for row in segno.make(address, error="m").matrix_iter(
            scale=1, border=1)]
        assert modules(drawn)[: len(expected)] == expected  # it carries the address, exactly
        # Dark modules on a light ground whatever the theme, so a phone can read it.
        assert qr.styles.color == Color(0, 0, 0) and qr.styles.background == Color(255, 255, 255)


async def test_an_old_laptop_keeps_the_address_and_leaves_out_the_qr_code(
    tmp_path: Path, wait_until: WaitUntil
) -> None:
    app = host(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: app.session_screen is not None, what="hosted session")
        await pilot.pause()
        assert app.server is not None
        assert f"http://127.0.0.1:{app.server.port}/" in readable(app)
        qr = app.screen.query_one(JoinBanner).query_one(".banner-qr", Static)
        assert qr.region.height == 0, "no room for the QR code: the session keeps its space"
        # ...and the banner does not ask people to scan a code that is not there.
        await wait_until(lambda: "openhttp" in readable(app), what="the browser line")
        assert "scan" not in readable(app)


async def test_the_banner_follows_the_screen_width_without_a_resize(
    tmp_path: Path, wait_until: WaitUntil, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual can show a widget again at another width without sending it a `Resize`
    (`whytree.tui.widgets.sizes`): with none at all, the banner still leaves out the QR
    code at 80×24 and draws it on a projector."""
    monkeypatch.setattr(JoinBanner, "on_resize", lambda self, event: None, raising=False)
    app = host(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: app.session_screen is not None, what="hosted session")
        await pilot.pause()
        qr = app.screen.query_one(JoinBanner).query_one(".banner-qr", Static)
        await wait_until(lambda: qr.region.height == 0, what="no room for the QR code")
        await pilot.resize_terminal(120, 35)
        await wait_until(lambda: qr.region.height > 0 and "scanthesquarecode" in readable(app),
                         what="the QR code on a projector")
