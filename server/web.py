"""The browser client's front door: plain HTTP on the websocket's own port.

A phone has no whytree installed, so the host serves the browser client itself, fully
offline. Every request arrives at websockets' opening handshake, and `WebFront.
process_request` (the server's `process_request` hook) answers the ones that are not a
websocket:

* `GET /` (and `/?view` for a projector) -- the page; `GET /<file>` -- one of the
  fixed files of `whytree.web` (an allow-list: nothing else on the disk can be asked for);
  `GET /core.json` -- the core's rules and words (`shared.export`); `GET /qr.svg` -- the
  QR code of the browser address, and `GET /join.json` -- that address as text (the
  projector shows both; neither holds the join code). Everything with `Cache-Control: no-cache`, so a new
  version of whytree is never mixed with an old one in a phone's cache.
* A websocket request (`Upgrade: websocket`) goes on to the websocket -- if its `Origin`
  is acceptable (`origin_allowed`): none at all (terminal clients), or this server's own
  page at an address given as a number or `localhost`. Any other origin gets 403, so a
  page on another site, or a name re-pointed at the host (DNS rebinding), cannot drive a
  session from somebody's browser.
"""

from __future__ import annotations

import http
import ipaddress
from collections.abc import Callable
from importlib import resources
from urllib.parse import urlsplit

import msgspec
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from whytree.shared.export import core_json

from . import qr

PAGE = "index.html"
FILES: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "main.js": "text/javascript; charset=utf-8",
    "link.js": "text/javascript; charset=utf-8",
    "mirror.js": "text/javascript; charset=utf-8",
    "apply.js": "text/javascript; charset=utf-8",
    "ranking.js": "text/javascript; charset=utf-8",
    "core.js": "text/javascript; charset=utf-8",
    "render.js": "text/javascript; charset=utf-8",
    "dom.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
"""Every file of `whytree.web` that may be served, with its content type."""

_SECURITY_HEADERS = (
    ("Cache-Control", "no-cache"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy",
     "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self'; "
     "style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
     "form-action 'none'"),
)


def web_file(name: str) -> bytes:
    """The bytes of one file of the browser client, as installed with whytree."""
    return resources.files("whytree.web").joinpath(name).read_bytes()


def origin_allowed(headers: Headers) -> bool:
    """Whether a websocket request's `Origin` may open a session (see the module doc)."""
    origins = headers.get_all("Origin")
    if not origins:
        return True  # not a browser: a terminal client, a script
    if len(origins) != 1:
        return False
    hosts = headers.get_all("Host")
    if len(hosts) != 1:
        return False
    host = hosts[0].strip().lower()
    if origins[0].strip().lower() not in (f"http://{host}", f"https://{host}"):
        return False
    try:
        name = urlsplit(f"//{host}").hostname
    except ValueError:
        return False
    if name is None:
        return False
    if name == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False  # a name could be anybody's page re-pointed at this host
    return True


class WebFront:
    """Answers plain HTTP requests and screens websocket origins (`process_request`)."""

    def __init__(self, browser_urls: Callable[[], list[str]]) -> None:
        self._browser_urls = browser_urls
        self._core = core_json()
        self._files: dict[str, bytes] = {}

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """The websockets `process_request` hook: None lets the websocket handshake go on."""
        if "websocket" in request.headers.get("Upgrade", "").lower():
            if origin_allowed(request.headers):
                return None
            return _response(http.HTTPStatus.FORBIDDEN, b"This page may not join the session.\n",
                             "text/plain; charset=utf-8")
        path = urlsplit(request.path).path
        if path in ("/", ""):
            return self._file(PAGE)
        if path == "/core.json":
            return _response(http.HTTPStatus.OK, self._core, "application/json")
        if path == "/join.json":
            body = msgspec.json.encode({"urls": self._browser_urls()})
            return _response(http.HTTPStatus.OK, body, "application/json")
        if path == "/qr.svg":
            urls = self._browser_urls()
            if not urls:
                return _not_found()
            return _response(http.HTTPStatus.OK, qr.svg(urls[0]), "image/svg+xml")
        name = path.removeprefix("/")
        if name in FILES:
            return self._file(name)
        return _not_found()

    def _file(self, name: str) -> Response:
        body = self._files.get(name)
        if body is None:
            body = self._files[name] = web_file(name)
        return _response(http.HTTPStatus.OK, body, FILES[name])


def _not_found() -> Response:
    return _response(http.HTTPStatus.NOT_FOUND, b"Not found.\n", "text/plain; charset=utf-8")


def _response(status: http.HTTPStatus, body: bytes, content_type: str) -> Response:
    headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(body))),
                       ("Connection", "close"), *_SECURITY_HEADERS])
    return Response(status.value, status.phrase, headers, body)
