"""The whytree server: the `Hub` on a real websockets server, with a durable journal.

This is the thin asyncio adapter around `hub.Hub` (which decides everything): it accepts
connections, feeds their frames to the hub, makes the hub's journal records durable and
only then sends the frames the hub produced.

**Group commit.** The journal's commit waits for the disk (an fsync, milliseconds on a
laptop, far more on an SD card), so it runs in a thread of its own, one commit at a time
(`_commit_while_queued`), while the event loop goes on receiving, deciding and applying.
Each commit takes everything accepted since the one before, in one transaction (one disk
sync for the whole batch); when it is durable, the loop sends that batch's frames, in the
order the hub produced them, and starts the next commit with whatever queued meanwhile.
So no frame leaves before every record produced before it is on disk (a retry's answer,
a welcome or a refusal that comes after an unsaved event waits for it too), nothing is
reordered, and a failed commit drops its batch and everything queued behind it
(`_storage_failed`). `stop` waits until everything queued is committed.

It also: serves the browser client on the same port and refuses websockets from other
sites' pages (`web.WebFront`), caps the connections that have not joined yet (per address,
refused at the handshake with HTTP 503; and overall, the oldest goes), closes a connection
that sends no `join` in time, keeps the log of a flood (bad handshakes, accept errors) to a
few lines a minute, notices dead links with short pings, drops a client that stops reading
before its backlog grows (it comes back and resumes from its last `seq`), stops taking
changes with a clear message when the disk fails, writes the results when the session
closes, and resumes the latest open session from the journal on start.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import logging
import secrets
import ssl
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

import msgspec
import websockets
from websockets.asyncio.server import Server as WebsocketServer
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State

from whytree.shared import protocol as p
from whytree.shared.joincode import chosen_code
from whytree.shared.model import Session, deep_copy
from whytree.shared.protocol import Limits
from whytree.shared.text import clean, fit

from . import hub as server_hub
from .discovery import Advertiser, lan_addresses
from .hub import ConnId, Disconnect, Hub, Notice, Output, Send, new_key
from .journal import Journal, JournalDamaged, JournalError, SessionRow, cannot_save
from .records import Record
from .web import WebFront

log = logging.getLogger(__name__)



@dataclass
class ServerConfig:
    """How to run a server; the command line fills it."""

    data_dir: Path
    port: int = p.DEFAULT_PORT
    bind: str = "0.0.0.0"
    title: str = ""
    code: str | None = None
    facilitator_key: str | None = None
    tls: bool = False
    anonymous: bool = False
    advertise: bool = True
    new: bool = False
    """Start a new session even when an open one could be resumed."""
    on_notice: Callable[[str], None] | None = field(default=None, repr=False)
    """Called with a sentence for the host's screen (results saved, storage trouble...)."""
    limits: Limits = field(default_factory=Limits)
    """The limits and timings a client meets (deadlines, pings, rates, the door)."""
    probe_every: float = 3.0
    """Seconds between write tries while the journal cannot be written."""


class Server:
    """A running whytree server for one session."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.port = config.port
        self.code = ""
        self.facilitator_key = ""
        self.urls: list[str] = []
        self.resumed = False
        self.moved_from: int | None = None
        """The port a resumed session listened on before, when it was taken and the
        session now listens on another one (participants need the new address)."""
        self.fingerprint: str | None = None
        self.results_dir: Path | None = None
        self.hub: Hub | None = None
        self._journal: Journal | None = None
        self._session_row: SessionRow | None = None
        self._server: WebsocketServer | None = None
        self._sockets: dict[ConnId, ServerConnection] = {}
        self._ids = itertools.count(1)
        self._pending: list[Output] = []
        """Frames and closes waiting for the records produced before them to be durable."""
        self._flush_handle: asyncio.Handle | None = None
        self._committer: asyncio.Task[None] | None = None
        """Commits what is queued, a batch at a time, while there is something queued."""
        self._writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="whytree-journal")
        """The one thread that commits to the journal (its disk syncs never stop the loop)."""
        self._probe_task: asyncio.Task[None] | None = None
        self._presence_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._saver: asyncio.Task[None] | None = None
        self._save_wanted = False
        self._advertiser: Advertiser | None = None
        self._web = WebFront(lambda: self.browser_urls)
        self._unjoined: OrderedDict[ServerConnection, str] = OrderedDict()
        """Connections past the handshake that have not joined yet (oldest first) -> address."""
        self._unjoined_by_address: dict[str, int] = {}
        self._log_filters: list[tuple[logging.Logger, logging.Filter]] = []

    @property
    def browser_urls(self) -> list[str]:
        """The browser client's addresses (numeric, as in `urls`), best first."""
        scheme = "https" if self.config.tls else "http"
        return [f"{scheme}://{url.split('://', 1)[1]}/" for url in self.urls]

    @property
    def local_url(self) -> str:
        scheme = "wss" if self.config.tls else "ws"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def _session_id(self) -> str:
        assert self._session_row is not None, "the server is not started"
        return self._session_row.id

    @property
    def advertising(self) -> bool:
        """Announced on the local network (it takes a moment after `start`)."""
        return self._advertiser is not None and self._advertiser.advertising

    @property
    def state(self) -> Session:
        assert self.hub is not None, "the server is not started"
        return self.hub.state

    # --- start and stop ------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            if self._journal is not None:  # a start that failed leaves the data folder free
                self._journal.close()
                self._journal = None
            raise

    async def _start(self) -> None:
        config = self.config
        journal = self._journal = Journal(config.data_dir)
        row = None if config.new else journal.latest_open_session()
        if row is not None:
            self.resumed = True
            hub = _replayed(journal, row, config.limits)
            hub.resume()  # nobody is connected yet; written with the first turn's records
            log.info("resumed session %s at event %d", row.id, hub.state.seq)
        else:
            row = journal.create_session(
                session_id=secrets.token_hex(6),
                title=fit(clean(config.title), p.MAX_TITLE),
                code=chosen_code(config.code) if config.code else server_hub.new_code(),
                facilitator_key=config.facilitator_key or new_key(),
            )
            hub = Hub(_initial_state(row), row.code, row.facilitator_key, config.limits)
            hub.begin(anonymous=config.anonymous)  # in the journal, so a restart keeps it
            journal.write(row.id, hub.take_unsaved())
        self.hub, self._session_row = hub, row
        self.code, self.facilitator_key = hub.code, hub.facilitator_key

        for name in FLOOD_LOGGERS:
            logger, bounded = logging.getLogger(name), BoundedLog(config.limits.log_burst,
                                                                  config.limits.log_window)
            logger.addFilter(bounded)
            self._log_filters.append((logger, bounded))

        ssl_context: ssl.SSLContext | None = None
        if config.tls:
            from . import tls

            info = tls.ensure_certificate(config.data_dir)
            self.fingerprint = info.fingerprint
            ssl_context = tls.server_ssl_context(info)

        # A resumed session comes back on the port it had, so everyone's screen reconnects
        # by itself; when that port is taken, it goes on where it was asked to.
        # (A new session that cannot have its port stops with the error, as before.)
        last_port = journal.last_port(row.id) if self.resumed else 0
        ports = [config.port]
        if last_port:
            ports = list(dict.fromkeys([last_port, config.port, 0]))
        for index, port in enumerate(ports):
            try:
                self._server = await self._listen(port, ssl_context)
                break
            except OSError as exc:
                if index == len(ports) - 1:
                    raise
                log.warning("port %d is taken (%s); trying another", port, exc)
        assert self._server is not None
        self.port = next(iter(self._server.sockets)).getsockname()[1]
        if last_port and self.port != last_port:
            self.moved_from = last_port
        if self.port != last_port:
            try:
                journal.set_port(row.id, self.port)
            except JournalError as exc:  # the first write will say it again, to everyone
                log.warning("could not keep the port in the journal: %s", exc)
        self.urls = [f"{'wss' if config.tls else 'ws'}://{address}:{self.port}"
                     for address in _addresses(config.bind)]
        self._presence_task = asyncio.get_running_loop().create_task(self._publish_presence())
        # In the journal's thread, queued before any commit: the commits after it write into
        # a log that no longer grows (`Journal.make_room`).
        self._spawn(asyncio.get_running_loop().run_in_executor(self._writer, journal.make_room))
        if config.advertise:  # it takes a moment (mDNS probes the name): don't wait for it
            self._spawn(self._advertise())
        if self.resumed and hub.state.phase == "closed":
            # Closed, but the host stopped before the results were written: write them now.
            self._request_save()

    async def _listen(self, port: int, ssl_context: ssl.SSLContext | None) -> WebsocketServer:
        limits = self.config.limits
        return await serve(
            self._serve_connection,
            self.config.bind,
            port,
            ssl=ssl_context,
            compression=None,
            origins=None,  # checked by the web front: terminal clients and this host's own page
            process_request=self._process_request,
            max_size=p.MAX_FRAME_BYTES,
            max_queue=8,
            ping_interval=limits.ping_interval,
            ping_timeout=limits.ping_timeout,
            # Pings and closes wait until the write buffer is below this; with the default
            # (32 KiB) a dead link with a little backlog blocks its ping forever, and is never
            # noticed. Below `max_backlog` they never wait; above it, `_send` cuts the link.
            write_limit=4 * limits.max_backlog,
            open_timeout=limits.join_deadline,
            close_timeout=2,
            server_header=None,
        )

    async def stop(self) -> None:
        if self._presence_task is not None:
            self._presence_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._presence_task
            self._presence_task = None
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        if self.hub is not None and self._journal is not None and not self.hub.storage_error:
            self.hub.all_away()  # everyone is disconnected now: say so in the journal
        await self._drain()
        self._writer.shutdown(wait=True)
        if self._probe_task is not None:
            self._probe_task.cancel()
        for task in list(self._background):
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await task
        if self._advertiser is not None:
            with contextlib.suppress(Exception):
                await self._advertiser.stop()
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        for logger, bounded in self._log_filters:
            logger.removeFilter(bounded)
        self._log_filters = []

    async def _advertise(self) -> None:
        try:
            advertiser = Advertiser()
            self._advertiser = advertiser
            await advertiser.start(title=self.state.title or "whytree session", port=self.port,
                                   tls=self.config.tls, fingerprint=self.fingerprint)
        except Exception as exc:  # noqa: BLE001 - never let discovery stop a session
            log.warning("not advertised on the network (%s); joining by address still works", exc)

    # --- the door ---------------------------------------------------------------------------

    def new_code(self) -> str:
        """Give the session a new join code (someone is guessing, or the code got out) and
        return it. It is in the journal first, so a restarted host keeps it; people already
        in stay in and come back with their token. Raises `JournalError` (nothing changed)."""
        hub, journal, row = self.hub, self._journal, self._session_row
        assert hub is not None and journal is not None and row is not None, "not started"
        code = server_hub.new_code()
        while code == hub.code:
            code = server_hub.new_code()
        journal.set_code(row.id, code)
        self._session_row = msgspec.structs.replace(row, code=code)
        hub.change_code(code)
        self.code = hub.code
        log.info("the session has a new join code")
        return self.code

    def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        """At the handshake: the browser client's files and the check of a page's origin
        (`web.WebFront`), then, for a websocket, the cap on connections not joined yet."""
        response = self._web.process_request(ws, request)
        return response if response is not None else self._admit(ws, request)

    def _admit(self, ws: ServerConnection, request: Request) -> Response | None:
        """At the handshake (before any frame): cap the connections that have not joined.
        One address gets at most `unjoined_per_address` (more are refused, HTTP 503, at no
        cost); all together at most `unjoined_overall` -- then the oldest is cut, so that a
        flood from many addresses cannot keep out someone who joins at once."""
        limits = self.config.limits
        address = _address(ws)
        if self._unjoined_by_address.get(address, 0) >= limits.unjoined_per_address:
            return ws.respond(HTTPStatus.SERVICE_UNAVAILABLE,
                              "Too many connections from this address that have not joined.\n")
        while len(self._unjoined) >= max(1, limits.unjoined_overall):
            oldest = next(iter(self._unjoined))
            self._no_longer_unjoined(oldest)
            oldest.transport.abort()
        self._unjoined[ws] = address
        self._unjoined_by_address[address] = self._unjoined_by_address.get(address, 0) + 1
        ws.connection_lost_waiter.add_done_callback(lambda _: self._no_longer_unjoined(ws))
        return None

    def _no_longer_unjoined(self, ws: ServerConnection) -> None:
        address = self._unjoined.pop(ws, None)
        if address is None:
            return
        left = self._unjoined_by_address.get(address, 1) - 1
        if left > 0:
            self._unjoined_by_address[address] = left
        else:
            self._unjoined_by_address.pop(address, None)

    # --- connections ---------------------------------------------------------------------

    async def _serve_connection(self, ws: ServerConnection) -> None:
        hub = self.hub
        assert hub is not None
        conn = next(self._ids)
        self._sockets[conn] = ws
        hub.connect(conn, _address(ws), time.time())
        try:
            try:
                first = await asyncio.wait_for(ws.recv(), self.config.limits.join_deadline)
            except TimeoutError:
                await ws.send(p.encode(p.Error(code="join_timeout",
                                               message="No join frame in time.")), text=True)
                await ws.close(p.CLOSE_POLICY, "join_timeout")
                return
            self._receive(conn, first)
            if hub.person_of(conn) is not None:
                self._no_longer_unjoined(ws)
            async for message in ws:
                self._receive(conn, message)
        except ConnectionClosed:
            pass
        finally:
            self._sockets.pop(conn, None)
            self._queue(hub.disconnect(conn))

    def _receive(self, conn: ConnId, message: str | bytes) -> None:
        assert self.hub is not None
        if isinstance(message, bytes):
            error = p.Error(code="bad_frame", message="Frames are JSON text, not binary.")
            self._queue([Send([conn], p.encode(error))])
            if self.hub.person_of(conn) is None:
                self._queue([Disconnect(conn, p.CLOSE_UNSUPPORTED, "bad_frame")])
            return
        self._queue(self.hub.receive(conn, message, time.time()))

    def _queue(self, outputs: list[Output]) -> None:
        if not outputs:
            return
        self._pending.extend(outputs)
        if self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """Start committing what is queued, unless a commit is running (when it ends, the
        next one takes everything queued meanwhile)."""
        self._flush_handle = None
        if self.hub is None or self._journal is None:
            return
        if self._committer is None or self._committer.done():
            self._committer = asyncio.get_running_loop().create_task(self._commit_while_queued())

    async def _commit_while_queued(self) -> None:
        """Commit the queued records in one transaction, in the writer thread; then send the
        frames queued with them; again while more was queued meanwhile."""
        hub, journal = self.hub, self._journal
        assert hub is not None and journal is not None
        loop = asyncio.get_running_loop()
        while self._pending or hub.unsaved:
            records = hub.take_unsaved()
            outputs, self._pending = self._pending, []
            if records:
                try:
                    await loop.run_in_executor(self._writer, journal.write, self._session_id, records)
                except JournalError as exc:
                    self._storage_failed(str(exc))
                    return
                except Exception as exc:  # noqa: BLE001 - a bug must not leave frames unsent forever
                    log.exception("journal write failed")
                    self._storage_failed(cannot_save(_describe(exc)))
                    return
            self._deliver(outputs, records)
            if journal.mark_due:  # (after the frames: it is not what makes them durable)
                try:
                    await loop.run_in_executor(self._writer, journal.sync_mark)
                except JournalError as exc:
                    self._storage_failed(str(exc))
                    return

    async def _drain(self) -> None:
        """Wait until everything queued is committed and sent (or dropped by a failure)."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        hub = self.hub
        while self._committer is not None and not self._committer.done() or (
                hub is not None and self._journal is not None and (self._pending or hub.unsaved)):
            self._flush()
            assert self._committer is not None
            await self._committer

    def _deliver(self, outputs: list[Output], records: list[Record]) -> None:
        """Send a committed batch's frames, in order, and act on what it holds. Each
        connection gets all its frames of the batch in one write (one system call, not one
        per event); a close or a notice waits for the frames before it."""
        frames: dict[ConnId, list[bytes]] = {}
        for output in outputs:
            if isinstance(output, Send):
                for conn in output.to:
                    frames.setdefault(conn, []).append(output.data)
                continue
            self._write_all(frames)
            if isinstance(output, Notice):
                self._notice(output.message)
            else:
                ws = self._sockets.get(output.conn)
                if ws is not None:
                    self._spawn(ws.close(output.code, output.reason))
        self._write_all(frames)
        self._after_commit(records)

    def _write_all(self, frames: dict[ConnId, list[bytes]]) -> None:
        """Write each connection's frames (already encoded, the same bytes for everyone
        who sees the same view), as text frames, in order; then forget them."""
        for conn, datas in frames.items():
            ws = self._sockets.get(conn)
            if ws is not None:
                self._write(conn, ws, datas)
        frames.clear()

    def _write(self, conn: ConnId, ws: ServerConnection, datas: list[bytes]) -> None:
        """What `websockets.broadcast` does for one frame, for several: the protocol frames
        each one, and the transport gets them together, up to WRITE_CHUNK bytes a write.
        Before each write, a connection that is not reading is dropped."""
        transport = ws.transport
        if transport is None or ws.protocol.state is not State.OPEN:
            return  # closing: the frames would be refused (broadcast skips it too)
        chunk: list[bytes] = []
        size = 0
        try:
            for index, data in enumerate(datas):
                ws.protocol.send_text(data)
                for piece in ws.protocol.data_to_send():
                    chunk.append(piece)
                    size += len(piece)
                last = index == len(datas) - 1
                if not last and size + len(datas[index + 1]) + 16 <= WRITE_CHUNK:
                    continue
                if transport.get_write_buffer_size() > self.config.limits.max_backlog:
                    log.info("dropping connection %d: it is not reading (it will resume)", conn)
                    # Cut it at once: a close frame would wait behind everything it is not
                    # reading (`ws.close()` waits for the buffer to drain, so it never ends),
                    # and every frame until then would come back here.
                    self._sockets.pop(conn, None)
                    transport.abort()
                    return
                transport.write(b"".join(chunk))
                chunk, size = [], 0
        except Exception as exc:  # noqa: BLE001 - as broadcast: one link's failure stays its own
            log.warning("could not write to connection %d: %s", conn, exc)

    def _after_commit(self, records: list[Record]) -> None:
        for record in records:
            if record.event is None:
                continue
            body = record.event.command
            if isinstance(body, p.Close):
                self._request_save()
            elif isinstance(body, p.Reopen):
                self._mark_closed(False)

    def _request_save(self) -> None:
        """Save the results of the latest close. Saves run one at a time: closes that come
        while one runs are folded into one more save of the state as it is then."""
        self._save_wanted = True
        if self._saver is None or self._saver.done():
            self._saver = asyncio.get_running_loop().create_task(self._save_while_wanted())
            self._background.add(self._saver)
            self._saver.add_done_callback(self._background.discard)

    async def _save_while_wanted(self) -> None:
        while self._save_wanted:
            self._save_wanted = False
            await self._save_results()

    async def _save_results(self) -> None:
        hub, journal = self.hub, self._journal
        if hub is None or journal is None or hub.state.phase != "closed":
            return  # reopened before its turn came: the next close saves again
        from .results import save_results

        snapshot = deep_copy(hub.state)
        try:
            folder = await asyncio.to_thread(save_results, snapshot, self.config.data_dir)
        except Exception as exc:  # noqa: BLE001 - whatever it is, the facilitator must hear of it
            # One line (and the traceback when it is a bug, not the disk), and one notice.
            self._notice(f"Could not save the results ({_describe(exc)}). Everything is kept in "
                         f"the journal: fix the folder {self.config.data_dir}, then reopen and "
                         "close the session again (or restart the host).",
                         level=logging.ERROR, exc_info=not isinstance(exc, OSError))
            return
        self.results_dir = folder
        # Closed for good only if this save belongs to the close still in force: after a
        # reopen the journal must keep saying "open", so a crash resumes the session.
        if hub.state.phase == "closed" and hub.state.closed_at == snapshot.closed_at:
            self._mark_closed(True)
            self._notice(f"Results saved in {folder}", level=logging.INFO)  # news, not trouble

    def _mark_closed(self, closed: bool) -> None:
        """Whether the next start resumes this session (open) or begins a new one."""
        if self._journal is None:
            return
        try:
            self._journal.set_closed(self._session_id, closed)
        except JournalError as exc:
            self._notice(f"{exc} (The session's state is safe in the journal.)")

    async def _publish_presence(self) -> None:
        """Who is connected, as the hub publishes it: in batches, a tick at a time."""
        hub = self.hub
        assert hub is not None
        while True:
            await asyncio.sleep(self.config.limits.presence_every)
            try:
                self._queue(hub.publish_presence(time.time()))
            except Exception:  # a bug here must not stop presence, nor the session
                log.exception("publishing presence failed")

    # --- storage trouble ---------------------------------------------------------------

    def _storage_failed(self, message: str) -> None:
        """Nothing of this batch, nor of what queued behind it, was saved: forget it, tell
        everyone, pause changes."""
        hub, journal = self.hub, self._journal
        assert hub is not None and journal is not None
        log.error("journal write failed: %s", message)
        assert self._session_row is not None
        self._pending = []  # frames of changes that are not saved: never sent
        hub.roll_back(_replayed(journal, self._session_row), message)
        error = p.encode(p.Error(code="storage", message=message))
        websockets.broadcast(list(self._sockets.values()), error, text=True)
        self._notice(message)
        if self._probe_task is None or self._probe_task.done():
            self._probe_task = asyncio.get_running_loop().create_task(self._probe_storage())

    async def _probe_storage(self) -> None:
        hub, journal = self.hub, self._journal
        while hub is not None and journal is not None and hub.storage_error:
            await asyncio.sleep(self.config.probe_every)
            try:
                journal.probe()
            except JournalError:
                continue
            hub.storage_error = None
            self._notice("Saving works again; changes are back on.")
            # Everyone reconnects, resumes from what they have and resends what was kept.
            for ws in list(self._sockets.values()):
                self._spawn(ws.close(p.CLOSE_RESTART, "storage is back"))

    # --- helpers ---------------------------------------------------------------------------

    def _notice(self, message: str, *, level: int = logging.WARNING, exc_info: bool = False) -> None:
        log.log(level, "%s", message, exc_info=exc_info)
        if self.config.on_notice is not None:
            self.config.on_notice(message)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        async def run() -> None:
            with contextlib.suppress(ConnectionClosed):
                await coroutine

        task = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)


WRITE_CHUNK = 4096
"""Bytes of frames written to one connection at once, at most (unless one frame is larger):
one system call for a batch of events, while a connection that stops reading is still
cut within a few KB of its `max_backlog`."""

FLOOD_LOGGERS = ("websockets.server", "asyncio", __name__)
"""Loggers a flood can make talk (a bad handshake, an accept error, a dropped client):
each keeps to `Limits.log_burst` lines a `Limits.log_window`."""


class BoundedLog(logging.Filter):
    """Lets at most `burst` records through per `window` seconds; the rest are counted,
    and the first record of the next window says how many were left out. A flood of bad
    handshakes or of accept errors then costs a few lines a minute, not a disk of tracebacks."""

    def __init__(self, burst: int, window: float) -> None:
        super().__init__()
        self.burst, self.window = burst, window
        self._window_start = -window
        self._passed = 0
        self._left_out = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now - self._window_start >= self.window:
            self._window_start, self._passed = now, 0
            if self._left_out:
                record.msg = (f"[{self._left_out} more lines from {record.name} were left out: "
                              f"too many in {self.window:g} s] {record.msg}")
                self._left_out = 0
        if self._passed >= self.burst:
            self._left_out += 1
            return False
        self._passed += 1
        return True


def _address(ws: ServerConnection) -> str:
    return str(ws.remote_address[0]) if ws.remote_address else "?"


def _initial_state(row: SessionRow) -> Session:
    """A session before its first event (what the journal's session row says)."""
    return Session(id=row.id, title=row.title, created_at=row.created_at)


def _replayed(journal: Journal, row: SessionRow, limits: Limits | None = None) -> Hub:
    """A hub holding exactly what the journal holds for `row`'s session."""
    hub = Hub(_initial_state(row), row.code, row.facilitator_key, limits)
    for record in journal.records(row.id):
        try:
            hub.replay(record)
        except Exception as exc:  # a record that decodes but cannot apply
            raise JournalDamaged(
                f"The journal {journal.path} does not replay at event "
                f"{record.event.seq if record.event else '?'} of session {row.id} ({exc!r}). "
                "Nothing was changed; keep the file for recovery, or start with --new."
            ) from exc
    return hub


def _describe(exc: Exception) -> str:
    """An exception as a short phrase for people: the OS's words for an OSError."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _addresses(bind: str) -> list[str]:
    if bind not in ("", "0.0.0.0", "::"):
        return [bind]
    try:
        return lan_addresses() or ["127.0.0.1"]
    except Exception:  # noqa: BLE001 - an address list is a convenience
        return ["127.0.0.1"]
