"""The link to the server: one websocket, kept alive by itself, as a Textual worker body.

`Link.run` is the whole life of a connection to one session. It connects, sends the
`join` frame the mirror builds (with the token and `since` once this person has been in),
and, when the `welcome` comes, first sends again every command the mirror still holds
(commands made while offline), then passes every frame up. When the link drops it tries
again by itself, with a jittered exponential back-off suited to a LAN: the first retry
comes after a fraction of a second, later ones at most a few seconds apart.

It never touches the screen and never changes the session: it posts messages up
(`Link.Connecting`, `Link.FrameReceived`, `Link.Down`, `Link.Reconnecting`,
`Link.Refused`, `Link.Failed`) and the app applies frames through the `Mirror`. Sending
goes through `Link.send`, which drops the frame while offline -- it is still in the
mirror's outbox and goes out again after the rejoin.

`normalize_url` turns what a person types ("192.168.1.20", "192.168.1.20:8765") into a
websocket URL, or says in plain words what is wrong with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import msgspec
from textual.message import Message
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.protocol import State

from whytree.shared import protocol as p
from whytree.tui.trust import client_ssl_context, peer_fingerprint

FATAL_ERRORS = frozenset({"wrong_code", "throttled", "locked", "removed", "full"})
"""`error` codes at join after which trying again cannot help."""
FINAL_CLOSES = {"opened_elsewhere": "This session was opened on another screen."}
"""Close reasons after which the link must not come back by itself: the same person
opened the session on another screen, and coming back would take it from that one."""

FIRST_RETRY = (0.2, 0.5)
"""Seconds before the first retry (a random point in this range)."""
MAX_RETRY = 3.0
"""Longest wait between two attempts, in seconds."""

OPEN_TIMEOUT = 4.0
PING_INTERVAL = 5.0
PING_TIMEOUT = 5.0
MAX_INCOMING = 16 * 2**20
"""A `welcome` carries the whole session: allow far more than any real one needs."""


def normalize_url(text: str) -> str:
    """A websocket URL from what a person typed; raises `ValueError` with a sentence.

    Accepts `ws://host:port`, `wss://host:port`, `host:port` and a bare `host`
    (the default port is added).
    """
    text = text.strip()
    if not text:
        raise ValueError("Type the address shown on the host's screen, e.g. 192.168.1.20:8765.")
    if "://" not in text:
        text = "ws://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(f"“{text}” is not an address whytree understands "
                         "(the port must be a number, e.g. 192.168.1.20:8765).") from None
    if parts.scheme not in ("ws", "wss"):
        raise ValueError(f"“{text}” should start with ws:// (or just type 192.168.1.20:8765).")
    host = parts.hostname
    if not host or " " in host:
        raise ValueError(f"“{text}” has no computer address in it (e.g. 192.168.1.20).")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"“{text}” has extra parts after the address; type only ADDRESS:PORT.")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{port or p.DEFAULT_PORT}"


def retry_delay(attempt: int) -> float:
    """Seconds to wait before attempt number `attempt` (1 for the first retry)."""
    low, high = FIRST_RETRY
    base = min(MAX_RETRY, low * 2 ** (attempt - 1))
    return min(MAX_RETRY, random.uniform(base, base * high / low))


class Link:
    """One person's connection to one session, re-established whenever it drops."""

    class Connecting(Message):
        """A connection attempt to `url` starts."""

        def __init__(self, url: str, attempt: int) -> None:
            super().__init__()
            self.url = url
            self.attempt = attempt

    class FrameReceived(Message):
        """A frame from the server, to give to the mirror (in order)."""

        def __init__(self, data: str | bytes, local_time: float) -> None:
            super().__init__()
            self.data = data
            self.local_time = local_time

    class Down(Message):
        """The link was up and dropped at `since` (local clock); it is being retried."""

        def __init__(self, since: float, reason: str) -> None:
            super().__init__()
            self.since = since
            self.reason = reason

    class Reconnecting(Message):
        """Attempt number `attempt` starts after `delay` seconds."""

        def __init__(self, attempt: int, delay: float) -> None:
            super().__init__()
            self.attempt = attempt
            self.delay = delay

    class Refused(Message):
        """The server said no at join (`code` from `protocol.ERRORS`); no more retries."""

        def __init__(self, code: str, message: str) -> None:
            super().__init__()
            self.code = code
            self.message = message

    class Failed(Message):
        """The very first attempt could not reach the server; nothing more is tried."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    def __init__(
        self,
        url: str,
        *,
        join_frame: Callable[[], bytes],
        pending_frames: Callable[[], list[bytes]],
        post: Callable[[Message], object],
        retry_first: bool = False,
        check_fingerprint: Callable[[str], Awaitable[str | None]] | None = None,
    ) -> None:
        self.url = url
        self._check_fingerprint = check_fingerprint
        """With `wss://`: given the host's certificate fingerprint, None to go on, or why
        not (a changed certificate): checked before the `join` carries any code."""
        self._join_frame = join_frame
        self._pending_frames = pending_frames
        self._post = post
        self._retry_first = retry_first
        self._ws: ClientConnection | None = None
        self._closing: asyncio.Task[None] | None = None
        self._outgoing: asyncio.Queue[bytes] = asyncio.Queue()
        self._writing = False
        """The writer task is sending a frame (a new one must not overtake it)."""
        self.joined = False
        """True between a `welcome` and the next drop: frames sent now go out at once."""
        self.ever_joined = False

    # --- called by the app ----------------------------------------------------------------

    def send(self, frame: bytes) -> None:
        """Send `frame` now if the link is up; otherwise the mirror's outbox keeps it.

        "Now" means before this call returns, when nothing is waiting to go before it: the
        frame is written to the socket at once, as `ClientConnection.send` itself would. A
        frame handed to the writer task instead waits until the event loop gets to it --
        after the repaint the same key press caused, some 15-25 ms on an old laptop."""
        if not self.joined:
            return
        ws = self._ws
        if (ws is not None and self._outgoing.empty() and not self._writing
                and _write_now(ws, frame)):
            return
        self._outgoing.put_nowait(frame)

    def drop(self) -> None:
        """Close the current connection; `run` reconnects (used after a gap in events)."""
        if self._ws is not None:
            self._closing = asyncio.get_running_loop().create_task(self._ws.close())

    # --- the worker body -------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, stay connected, and reconnect until refused or cancelled."""
        attempt = 0
        while True:
            self._post(self.Connecting(self.url, attempt))
            reason = await self._session_once()
            if reason is None:
                return  # refused: the message is posted
            if not self.ever_joined and not self._retry_first:
                self._post(self.Failed(reason))
                return
            attempt += 1
            delay = retry_delay(attempt)
            self._post(self.Reconnecting(attempt, delay))
            await asyncio.sleep(delay)

    async def _session_once(self) -> str | None:
        """One connection, from opening to closing. Returns why it ended (to retry), or
        None when the server refused this person (never retry)."""
        tls = self.url.startswith("wss://")
        try:
            ws = await connect(
                self.url,
                ssl=client_ssl_context() if tls else None,
                compression=None,
                proxy=None,
                open_timeout=OPEN_TIMEOUT,
                ping_interval=PING_INTERVAL,
                ping_timeout=PING_TIMEOUT,
                max_size=MAX_INCOMING,
            )
        except InvalidURI:
            return f"“{self.url}” is not a valid address."
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            return f"Can't reach {self.url} — same Wi-Fi? right address? ({_short(exc)})"
        self._ws = ws
        writer: asyncio.Task[None] | None = None
        was_joined = False
        try:
            if tls:
                problem = await self._fingerprint_problem(ws)
                if problem is not None:
                    self._post(self.Refused("fingerprint_changed", problem))
                    return None
            await ws.send(self._join_frame(), text=True)
            async with asyncio.timeout(OPEN_TIMEOUT * 2):
                first = await ws.recv()
            refused = _refusal(first)
            if refused is not None:
                code, message = refused
                if code not in FATAL_ERRORS:
                    return message
                self._post(self.Refused(code, message))
                return None
            # Commands made while offline go out before anything typed from now on.
            for frame in self._pending_frames():
                await ws.send(frame, text=True)
            self._outgoing = asyncio.Queue()
            self.joined = was_joined = self.ever_joined = True
            writer = asyncio.create_task(self._write(ws))
            self._post(self.FrameReceived(first, time.time()))
            async for data in ws:
                self._post(self.FrameReceived(data, time.time()))
            return "the host closed the connection"
        except TimeoutError:
            return f"{self.url} did not answer in time"
        except ConnectionClosed as exc:
            reason = exc.rcvd.reason if exc.rcvd else ""
            if reason in FINAL_CLOSES:
                self._post(self.Refused(reason, FINAL_CLOSES[reason]))
                return None
            return f"the connection was closed ({reason or 'no reason'})"
        except OSError as exc:
            return f"the connection broke ({_short(exc)})"
        finally:
            self.joined = False
            self._ws = None
            if writer is not None:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer
            await ws.close()
            if was_joined:
                self._post(self.Down(time.time(), "link lost"))

    async def _fingerprint_problem(self, ws: ClientConnection) -> str | None:
        try:
            fingerprint = peer_fingerprint(ws)
        except ValueError:
            return "The host did not show a security certificate; not sending the code."
        if self._check_fingerprint is None:
            return None
        return await self._check_fingerprint(fingerprint)

    async def _write(self, ws: ClientConnection) -> None:
        while True:
            frame = await self._outgoing.get()
            self._writing = True
            try:
                await ws.send(frame, text=True)
            finally:
                self._writing = False


WRITE_NOW_LIMIT = 64 * 1024
"""Bytes already waiting in the socket's buffer above which a frame waits its turn in the
writer task instead (which then waits for the buffer to drain)."""


def _write_now(ws: ClientConnection, frame: bytes) -> bool:
    """Write `frame` as a text frame on `ws` before returning, as `ws.send` does in its
    first step (the sans-I/O protocol makes the bytes, the transport takes them); False
    when that cannot be done here (not open, a full buffer): then the writer task sends it."""
    protocol = getattr(ws, "protocol", None)
    transport = getattr(ws, "transport", None)
    if (protocol is None or transport is None or not hasattr(ws, "send_data")
            or protocol.state is not State.OPEN or transport.is_closing()
            or transport.get_write_buffer_size() > WRITE_NOW_LIMIT):
        return False
    protocol.send_text(frame)
    ws.send_data()
    return True


def _refusal(data: str | bytes) -> tuple[str, str] | None:
    """(code, message) when the first frame after `join` is an error that ends tries."""
    try:
        frame = p.decode_server_frame(data)
    except msgspec.DecodeError:
        return ("bad_frame", "The host answered with something whytree does not understand.")
    if isinstance(frame, p.Error):
        return (frame.code, frame.message)
    return None


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 80 else text[:77] + "…"
