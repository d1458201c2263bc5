"""The browser client is served by the real server, on its own port, fully offline.

Plain HTTP on the websocket's port: the page, its fixed files with the right types, the
core's rules and words, the join QR code -- and nothing from anywhere else. A websocket
from a browser is let in only from this server's own page at a numeric address (or
localhost); terminal clients (no `Origin`) work as before.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from conftest import CODE
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from whytree.server import qr, web
from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.shared.export import core_data

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
"""An XML namespace name, which no browser fetches."""


async def http_get(server: Server, path: str, host: str | None = None,
                   extra: str = "") -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP/1.1 GET: status, headers (lower-case names) and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    host = host or f"127.0.0.1:{server.port}"
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    lines = head.decode("latin-1").strip().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    body = await asyncio.wait_for(reader.readexactly(length), 5) if length else b""
    writer.close()
    return status, headers, body


async def test_the_page_and_every_file_are_served_with_their_types(server: Server) -> None:
    for path in ("/", "/?view"):
        status, headers, body = await http_get(server, path)
        assert status == 200
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert headers["cache-control"] == "no-cache"
        assert b'<script type="module" src="/main.js">' in body
    for name, kind in web.FILES.items():
        status, headers, body = await http_get(server, f"/{name}")
        assert (status, headers["content-type"]) == (200, kind), name
        assert headers["cache-control"] == "no-cache"
        assert body == web.web_file(name)


@pytest.mark.parametrize("path", ["/../server/app.py", "/web.py", "/__init__.py", "/%2e%2e/pyproject.toml",
                                  "/etc/passwd", "/main.js/../../run.py", "/nothing"])
async def test_nothing_but_the_listed_files_can_be_asked_for(server: Server, path: str) -> None:
    status, _, body = await http_get(server, path)
    assert status == 404
    assert body == b"Not found.\n"


async def test_no_served_file_refers_to_another_host(server: Server) -> None:
    """Nothing comes from a CDN, a font service or any host but the page's own."""
    external = re.compile(r"""(?:https?:)?//[\w.-]+\.[a-z]{2,}|https?://|["'(=]\s*//""", re.IGNORECASE)
    paths = ["/", "/core.json", "/qr.svg", "/join.json", *(f"/{name}" for name in web.FILES)]
    for path in paths:
        status, _, body = await http_get(server, path)
        assert status == 200, path
        text = body.decode().replace(SVG_NAMESPACE, "")
        if path == "/join.json":  # the page's own address, for the projector to show
            text = text.replace(f"http://127.0.0.1:{server.port}/", "")
        assert not external.findall(text), (path, external.findall(text))


async def test_core_json_is_the_cores_rules_and_words(server: Server) -> None:
    status, headers, body = await http_get(server, "/core.json")
    assert status == 200 and headers["content-type"] == "application/json"
    core = json.loads(body)
    assert core == json.loads(json.dumps(core_data()))
    assert core["limits"]["MAX_CAUSE_TEXT"] == p.MAX_CAUSE_TEXT
    assert core["reasons"] == p.REASONS
    assert core["role_may"]["set_phase"] == ["facilitator"]
    assert core["open_in"]["set_dots"]["participant"] == ["weigh"]
    # The words for phones speak of tapping, never of the terminal's keys.
    for mode in core["words"]["modes"].values():
        for text in mode["step_help"].values():
            assert "press" not in text, text


async def test_the_qr_code_is_the_numeric_browser_address(server: Server) -> None:
    status, headers, body = await http_get(server, "/join.json")
    urls = json.loads(body)["urls"]
    assert urls == [f"http://127.0.0.1:{server.port}/"]
    status, headers, body = await http_get(server, "/qr.svg")
    assert (status, headers["content-type"]) == (200, "image/svg+xml")
    assert body == qr.svg(urls[0])
    assert b'fill="#fff"' in body and b'stroke="#000"' in body  # dark on light


def test_the_qr_code_as_text_rows_is_dark_on_light_half_blocks() -> None:
    import segno

    url = "http://192.168.1.20:8765/"
    rows = qr.text_rows(url, border=2)
    matrix = [list(row) for row in segno.make(url, error="m", micro=False).matrix_iter(scale=1, border=2)]
    assert len(rows) == (len(matrix) + 1) // 2
    assert {len(row) for row in rows} == {len(matrix[0])}
    assert set("".join(rows)) <= {" ", "▀", "▄", "█"}
    for y, row in enumerate(rows):  # a mark is a dark module, top or bottom half
        for x, glyph in enumerate(row):
            top = bool(matrix[2 * y][x])
            bottom = bool(matrix[2 * y + 1][x]) if 2 * y + 1 < len(matrix) else False
            assert glyph == {(False, False): " ", (True, False): "▀", (False, True): "▄",
                             (True, True): "█"}[top, bottom]
    assert rows[0].strip() == ""  # the light quiet zone is part of the picture


async def join_with_origin(server: Server, origin: str | None) -> dict[str, object]:
    extra = {} if origin is None else {"origin": origin}
    async with connect(f"ws://127.0.0.1:{server.port}", proxy=None, **extra) as ws:  # type: ignore[arg-type]
        await ws.send(json.dumps({"type": "join", "code": CODE, "name": "Ann"}))
        frame: dict[str, object] = json.loads(await ws.recv())
        return frame


async def test_only_the_servers_own_page_may_open_a_websocket(server: Server) -> None:
    assert (await join_with_origin(server, f"http://127.0.0.1:{server.port}"))["type"] == "welcome"
    assert (await join_with_origin(server, f"https://127.0.0.1:{server.port}"))["type"] == "welcome"
    assert (await join_with_origin(server, None))["type"] == "welcome"  # terminal clients
    # Another site, no site, another port, the right address under another name (the
    # request's Host is 127.0.0.1), another scheme: all refused before the websocket opens.
    for origin in ("http://evil.example", "null", "http://127.0.0.1", "http://127.0.0.1:1",
                   f"http://localhost:{server.port}", f"ftp://127.0.0.1:{server.port}"):
        with pytest.raises(InvalidStatus) as info:
            await join_with_origin(server, origin)
        assert info.value.response.status_code == 403, origin


UPGRADE = ("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")


async def test_a_page_at_a_name_is_refused_even_when_origin_and_host_agree(server: Server) -> None:
    """DNS rebinding: evil.example re-pointed at the host has the host's address, and
    Origin and Host both say evil.example. Only numbers and localhost are trusted."""
    port = server.port
    status, _, _ = await http_get(server, "/", host=f"evil.example:{port}",
                                  extra=f"{UPGRADE}Origin: http://evil.example:{port}\r\n")
    assert status == 403
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
        status, _, _ = await http_get(server, "/", host=host, extra=f"{UPGRADE}Origin: http://{host}\r\n")
        assert status == 101, host
