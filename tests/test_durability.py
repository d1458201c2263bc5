"""Nothing the server accepted is lost: the real server, real SQLite, plain websockets clients.

Each test starts the real `Server` on 127.0.0.1 port 0 with its journal in `tmp_path`, and
talks to it with plain websockets clients sending JSON frames, as any client would:

* exactly once -- a retried command (same `op`, same content) is applied once and the retry
  is answered with the original event; the same `op` with other content is `op_reused`;
  both also after a restart, when the server rebuilds what it accepted from the journal;
* resume -- a client that comes back with its token and `since` gets only what it missed;
  one with an unknown token is a new person and gets the whole state;
* a torn last record of the journal is dropped with a log line and the session resumes;
  damage before the last record stops start-up with `JournalDamaged` and deletes nothing;
* a failed write (a really full disk: a small tmpfs, or SQLite's own `max_page_count`):
  changes are refused with reason `storage`, everyone gets an `error` frame `storage`,
  nothing acknowledged is missing after a restart, and when space comes back everyone is
  closed with 1012, comes back and resends what was not saved;
* a client that stops reading is dropped before its backlog passes `max_backlog` and does
  not slow anybody else down;
* a half-open link (a proxy that silently stops forwarding) is noticed by the pings and
  the person shows as offline to the others within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import fill_database
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from whytree.server import journal as journal_module
from whytree.server.app import Server, ServerConfig
from whytree.server.journal import FILE_NAME, JournalDamaged
from whytree.shared.protocol import Limits

CODE = "135790"
KEY = "durability-key"

Frame = dict[str, Any]


# --- helpers ---------------------------------------------------------------------------------


PROBE_EVERY = 0.2
"""Seconds between the server's write tries while storage fails, in these tests."""
PINGS = 0.5
"""The ping interval and timeout of the half-open link test (seconds)."""


def config_for(data_dir: Path, **changes: Any) -> ServerConfig:
    """A server on `data_dir`; keyword arguments change `ServerConfig` fields, and those
    that name `Limits` fields change its limits."""
    limits = {name: changes.pop(name) for name in list(changes) if name in Limits.__dataclass_fields__}
    return ServerConfig(data_dir=data_dir, port=0, bind="127.0.0.1", title="Durability",
                        code=CODE, facilitator_key=KEY, advertise=False, limits=Limits(**limits),
                        **changes)


class Servers:
    """Real servers on one data folder, started again and again (a restart)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.running: list[Server] = []

    async def start(self, **changes: Any) -> Server:
        server = Server(config_for(self.data_dir, **changes))
        self.running.append(server)
        await server.start()
        return server

    async def stop_all(self) -> None:
        while self.running:
            await self.running.pop().stop()


StartServer = Callable[..., Awaitable[Server]]


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[Servers]:
    """Servers on `tmp_path / "data"`; every one still running is stopped at the end."""
    started = Servers(tmp_path / "data")
    yield started
    await started.stop_all()


@pytest.fixture
def start_server(servers: Servers) -> StartServer:
    return servers.start


async def stop(server: Server) -> None:
    """Stop `server` (safe to call again later)."""
    await server.stop()


async def recv(ws: ClientConnection, timeout: float = 3.0) -> Frame:
    data = await asyncio.wait_for(ws.recv(), timeout)
    assert isinstance(data, str), "the server sends text frames"
    frame: Frame = json.loads(data)
    return frame


_clients: list[ClientConnection] = []


@pytest.fixture(autouse=True)
async def _close_clients(servers: Servers) -> AsyncIterator[None]:
    """Cut every client connection a test opened, read to the end or not (a client that
    stops reading would never see the server's close, and leak its socket); before the
    servers stop, so that they need not wait for those clients."""
    yield
    for ws in _clients:
        if ws.transport is not None:
            ws.transport.abort()
    _clients.clear()
    await asyncio.sleep(0)


async def join(server: Server, **fields: Any) -> tuple[ClientConnection, Frame]:
    ws = await connect(server.local_url, compression=None)
    _clients.append(ws)
    await ws.send(json.dumps({"type": "join", **fields}))
    return ws, await recv(ws)


async def answer(ws: ClientConnection, op: str, timeout: float = 3.0) -> Frame:
    """The server's answer to this client's command `op`: its event, or a rejection.
    An `error` frame (the server could not take anything) is an answer too."""
    deadline = time.monotonic() + timeout
    while True:
        frame = await recv(ws, max(0.01, deadline - time.monotonic()))
        if frame["type"] in ("event", "rejected") and frame.get("op") == op:
            return frame
        if frame["type"] == "error":
            return frame


async def do(ws: ClientConnection, op: str, **command: Any) -> Frame:
    await ws.send(json.dumps({"op": op, **command}))
    return await answer(ws, op)


async def frames_until(ws: ClientConnection, predicate: Callable[[Frame], bool],
                       timeout: float = 3.0) -> list[Frame]:
    """Every frame received up to and including the first one matching `predicate`."""
    deadline = time.monotonic() + timeout
    seen: list[Frame] = []
    while True:
        seen.append(await recv(ws, max(0.01, deadline - time.monotonic())))
        if predicate(seen[-1]):
            return seen


def cause_texts(state: Frame) -> list[str]:
    return [cause["text"] for cause in state["causes"].values()]


async def fresh_state(server: Server) -> Frame:
    """The whole state, as a new viewer who joins now sees it."""
    ws, welcome = await join(server, code=CODE, role="viewer")
    await ws.close()
    assert welcome["type"] == "welcome" and welcome["state"] is not None
    state: Frame = welcome["state"]
    return state


def journal_rows(data_dir: Path) -> list[tuple[str, int, bytes]]:
    with contextlib.closing(sqlite3.connect(data_dir / FILE_NAME)) as db:
        return list(db.execute("SELECT session, n, body FROM records ORDER BY session, n"))


async def setup_why(server: Server) -> tuple[ClientConnection, ClientConnection, Frame]:
    """A facilitator and a participant, Ann, in the `why` step: (facilitator, Ann, Ann's welcome)."""
    fac, welcome = await join(server, facilitator_key=KEY, name="Fran")
    assert welcome["type"] == "welcome"
    assert (await do(fac, "f-phase", type="set_phase", phase="why"))["type"] == "event"
    ann, ann_welcome = await join(server, code=CODE, name="Ann")
    assert ann_welcome["type"] == "welcome"
    return fac, ann, ann_welcome


# --- exactly once ------------------------------------------------------------------------------


async def test_a_retry_is_applied_once_and_answered_with_the_original_event(
    start_server: StartServer,
) -> None:
    server = await start_server()
    fac, ann, _ = await setup_why(server)
    command = {"type": "add_cause", "op": "a1", "parent": None, "text": "No bus after six"}

    await ann.send(json.dumps(command))
    await ann.send(json.dumps(command))  # the same frame twice in one turn
    first, second = await answer(ann, "a1"), await answer(ann, "a1")
    assert first["type"] == "event" and first["command"]["id"]
    assert second == first
    await ann.send(json.dumps(command))  # and once more, later
    assert await answer(ann, "a1") == first

    reused = await do(ann, "a1", type="add_cause", parent=None, text="Something else")
    assert reused["type"] == "rejected" and reused["reason"] == "op_reused"
    assert reused["message"]

    # Everyone else heard of it once; the state holds it once.
    await fac.send(json.dumps({"type": "set_timer", "op": "f-mark", "seconds": 60}))
    seen = await frames_until(fac, lambda f: f.get("op") == "f-mark")
    assert [f["command"]["type"] for f in seen if f["type"] == "event"].count("add_cause") == 1
    assert cause_texts(await fresh_state(server)) == ["No bus after six"]


async def test_exactly_once_survives_a_restart(start_server: StartServer) -> None:
    server = await start_server()
    _, ann, ann_welcome = await setup_why(server)
    command = {"type": "add_cause", "op": "a1", "parent": None, "text": "Parents work late"}
    original = await do(ann, **command)
    assert original["type"] == "event"
    await stop(server)  # the acknowledgement may have been lost on the way: retry after the restart

    server = await start_server()
    assert server.resumed
    ann, welcome = await join(server, code=CODE, token=ann_welcome["token"], since=original["seq"])
    assert welcome["type"] == "welcome" and welcome["you"]["id"] == ann_welcome["you"]["id"]
    await ann.send(json.dumps(command))
    assert await answer(ann, "a1") == original  # the dedupe map was rebuilt from the journal
    reused = await do(ann, "a1", type="add_cause", parent=None, text="Parents work nights")
    assert reused["type"] == "rejected" and reused["reason"] == "op_reused"
    fresh = await do(ann, "a2", type="add_cause", parent=None, text="No money for clubs")
    assert fresh["type"] == "event" and fresh["seq"] > original["seq"]
    assert sorted(cause_texts(await fresh_state(server))) == ["No money for clubs", "Parents work late"]


async def test_commits_write_into_a_log_that_no_longer_grows_and_all_survive_a_restart(
    start_server: StartServer, tmp_path: Path
) -> None:
    # Once up, the server gives the journal's `-wal` its working size (`make_room`): a
    # commit that makes a file longer costs the disk twice the sync. Nothing may be lost
    # by it, at the restart either.
    server = await start_server()
    wal = tmp_path / "data" / f"{FILE_NAME}-wal"
    _, ann, _ = await setup_why(server)
    assert (await do(ann, "a0", type="add_cause", parent=None, text="Answer 0"))["type"] == "event"
    size = wal.stat().st_size
    assert size >= journal_module.WAL_ROOM
    for index in range(1, 41):
        await asyncio.sleep(0.06)  # (a person's pace: under the flood limit)
        event = await do(ann, f"a{index}", type="add_cause", parent=None, text=f"Answer {index}")
        assert event["type"] == "event", event
    assert wal.stat().st_size == size
    await stop(server)

    server = await start_server()
    assert server.resumed
    assert sorted(cause_texts(await fresh_state(server))) == sorted(f"Answer {i}" for i in range(41))


# --- resume ------------------------------------------------------------------------------------


async def test_rejoin_with_token_and_since_gets_only_what_was_missed(
    start_server: StartServer,
) -> None:
    server = await start_server(presence_settle=60.0)
    fac, ann, welcome = await setup_why(server)
    added = await do(ann, "a1", type="add_cause", parent=None, text="Nowhere to go")
    since = added["seq"]
    await ann.close()

    missed = [await do(fac, f"f{i}", type="add_cause", parent=None, text=f"Reason {i}") for i in range(3)]
    assert all(f["type"] == "event" for f in missed)

    back, again = await join(server, code=CODE, token=welcome["token"], since=since)
    assert again["type"] == "welcome" and again["state"] is None
    assert again["seq"] == since and again["you"]["id"] == welcome["you"]["id"]
    await fac.send(json.dumps({"type": "set_timer", "op": "f-mark", "seconds": 60}))
    events = await frames_until(back, lambda f: f["type"] == "event" and f["command"]["type"] == "set_timer")
    assert all(f["type"] == "event" for f in events)
    seqs = [f["seq"] for f in events]
    assert seqs == list(range(since + 1, since + 1 + len(seqs)))  # after `since`, no gap, no repeat
    kinds = [f["command"]["type"] for f in events]
    assert kinds.count("add_cause") == 3
    presence = [f["command"] for f in events if f["command"]["type"] == "presence"]
    assert presence == []  # away for less than PRESENCE_SETTLE: nobody is told
    texts = [f["command"]["text"] for f in events if f["command"]["type"] == "add_cause"]
    assert texts == ["Reason 0", "Reason 1", "Reason 2"]

    stranger, other = await join(server, code=CODE, token="not-a-token-we-gave", since=since, name="Zed")
    assert other["type"] == "welcome" and other["state"] is not None
    assert other["you"]["id"] != welcome["you"]["id"] and other["token"] != welcome["token"]
    assert sorted(cause_texts(other["state"])) == ["Nowhere to go", "Reason 0", "Reason 1", "Reason 2"]
    assert other["seq"] == other["state"]["seq"]


async def test_since_older_than_the_resume_window_gets_the_whole_state(
    start_server: StartServer,
) -> None:
    server = await start_server(resume_window=3)
    fac, ann, welcome = await setup_why(server)
    await ann.close()
    for i in range(5):
        assert (await do(fac, f"f{i}", type="add_cause", parent=None, text=f"R{i}"))["type"] == "event"
    _, again = await join(server, code=CODE, token=welcome["token"], since=welcome["seq"])
    assert again["type"] == "welcome" and again["state"] is not None
    assert again["you"]["id"] == welcome["you"]["id"]
    assert len(again["state"]["causes"]) == 5


# --- a damaged journal ------------------------------------------------------------------------


async def _a_session_with_three_causes(start_server: StartServer) -> tuple[Frame, int, int]:
    """Run a short session and stop the server: (Ann's welcome, the last seq she saw,
    the last seq in the journal)."""
    server = await start_server()
    _, ann, welcome = await setup_why(server)
    seen = 0
    for i in range(3):
        event = await do(ann, f"a{i}", type="add_cause", parent=None, text=f"Cause {i}")
        assert event["type"] == "event"
        seen = event["seq"]
    await stop(server)  # (people going offline are events too)
    return welcome, seen, server.state.seq


TORN_BODIES = {
    "cut short": lambda whole: whole[: len(whole) // 2],
    "garbage": lambda whole: b"\x00\xff\x13garbage\x00",
    "empty": lambda whole: b"",
    "seq gap": lambda whole: whole.replace(b'"seq":', b'"seq":9', 1),
}


@pytest.mark.parametrize("kind", sorted(TORN_BODIES))
async def test_a_torn_last_record_is_dropped_and_the_session_resumes(
    start_server: StartServer, tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    welcome, seen, last = await _a_session_with_three_causes(start_server)
    data_dir = tmp_path / "data"
    rows = journal_rows(data_dir)
    session, n, body = rows[-1]
    # What a crash in the middle of writing the next event could leave behind.
    torn = TORN_BODIES[kind](body.replace(f'"seq":{last}'.encode(), f'"seq":{last + 1}'.encode()))
    with contextlib.closing(sqlite3.connect(data_dir / FILE_NAME)) as db:
        db.execute("INSERT INTO records (session, n, body) VALUES (?, ?, ?)", (session, n + 1, torn))
        db.commit()

    caplog.set_level(logging.WARNING, logger="whytree.server.journal")
    server = await start_server()
    assert server.resumed and server.state.seq == last
    assert any("torn last record" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert journal_rows(data_dir) == rows  # the torn row is gone, every other row is kept

    ann, again = await join(server, code=CODE, token=welcome["token"], since=seen)
    assert again["type"] == "welcome" and again["state"] is None and again["seq"] == seen
    more = await do(ann, "a-after", type="add_cause", parent=None, text="After the crash")
    assert more["type"] == "event" and more["seq"] > last
    assert cause_texts(await fresh_state(server)) == ["Cause 0", "Cause 1", "Cause 2", "After the crash"]


async def test_the_mark_is_synced_as_soon_as_a_torn_last_record_is_dropped(
    start_server: StartServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dropping a torn last record writes a mark naming the record before it; the other
    slot may still name the dropped one, so a power cut before that mark is synced would
    leave the journal looking as if it had lost a change (a false alarm at the next start).
    It is synced before the session goes on."""
    _, _, last = await _a_session_with_three_causes(start_server)
    data_dir = tmp_path / "data"
    session, n, body = journal_rows(data_dir)[-1]
    torn = body.replace(f'"seq":{last}'.encode(), f'"seq":{last + 1}'.encode())[:20]
    with contextlib.closing(sqlite3.connect(data_dir / FILE_NAME)) as db:
        db.execute("INSERT INTO records (session, n, body) VALUES (?, ?, ?)", (session, n + 1, torn))
        db.commit()
    synced: list[int] = []
    own_sync = journal_module._sync

    def watched(fd: int) -> None:
        synced.append(fd)
        own_sync(fd)

    monkeypatch.setattr(journal_module, "_sync", watched)
    server = await start_server()
    assert server.resumed and server.state.seq == last
    journal = server._journal
    assert journal is not None and journal._mark_fd in synced
    assert journal._read_mark() is not None and journal._read_mark()[1:] == (journal._id, session, n)


@pytest.mark.parametrize("damage", ["garbage", "seq out of order"])
async def test_damage_before_the_last_record_stops_start_up_and_deletes_nothing(
    start_server: StartServer, tmp_path: Path, damage: str
) -> None:
    await _a_session_with_three_causes(start_server)
    data_dir = tmp_path / "data"
    rows = journal_rows(data_dir)
    session, n, body = rows[len(rows) // 2]
    bad = b"{not json" if damage == "garbage" else body.replace(b'"seq":', b'"seq":7', 1)
    with contextlib.closing(sqlite3.connect(data_dir / FILE_NAME)) as db:
        db.execute("UPDATE records SET body = ? WHERE session = ? AND n = ?", (bad, session, n))
        db.commit()
    damaged = journal_rows(data_dir)

    with pytest.raises(JournalDamaged) as caught:
        await start_server()
    message = str(caught.value)
    assert str(data_dir / FILE_NAME) in message and f"record {n}" in message
    assert "recovery" in message
    assert journal_rows(data_dir) == damaged  # nothing deleted, nothing rewritten
    with pytest.raises(JournalDamaged):  # and it stays that way on the next try
        await start_server()
    assert journal_rows(data_dir) == damaged


# --- a failed write -------------------------------------------------------------------------------


class Storage:
    """A way to make the server's journal writes fail for real, and to let them work again."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def prepare(self) -> None:
        """Before the server starts."""

    def fail(self, server: Server) -> None:
        raise NotImplementedError

    def recover(self, server: Server) -> None:
        raise NotImplementedError

    def cleanup(self) -> None:
        """After every server on the data folder has stopped."""


class FullDatabase(Storage):
    """SQLite's `max_page_count` on the server's own connection: the database cannot grow,
    and SQLite fails the write with its real "database or disk is full" error."""

    def fail(self, server: Server) -> None:
        fill_database(server._journal._db)  # type: ignore[union-attr]

    def recover(self, server: Server) -> None:
        server._journal._db.execute("PRAGMA max_page_count = 1073741823")  # type: ignore[union-attr]


class FullDisk(Storage):
    """The data folder on its own small tmpfs, filled up by another file, as a laptop's
    disk fills up; freeing that file gives the space back. Needs root (mount)."""

    SIZE = 2 * 1024 * 1024

    def prepare(self) -> None:
        if not sys.platform.startswith("linux") or shutil.which("mount") is None:
            pytest.skip("needs Linux and mount(8) to make a small filesystem")
        self.data_dir.mkdir(parents=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.SIZE},mode=0700", "tmpfs",
                               str(self.data_dir)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
        self.filler = self.data_dir / "filler"

    def fail(self, server: Server) -> None:
        chunk = b"\0" * 4096
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, chunk):
                pass
        except OSError:
            pass  # ENOSPC: the disk is full
        finally:
            os.close(fd)

    def recover(self, server: Server) -> None:
        self.filler.unlink()

    def cleanup(self) -> None:
        done = subprocess.run(["umount", str(self.data_dir)], capture_output=True)
        if done.returncode != 0:
            subprocess.run(["umount", "-l", str(self.data_dir)], capture_output=True)


@pytest.mark.parametrize("way", [FullDatabase, FullDisk])
async def test_a_failed_write_refuses_changes_loses_nothing_and_recovers(
    servers: Servers, way: type[Storage]
) -> None:
    storage = way(servers.data_dir)
    storage.prepare()
    try:
        await _failed_write_scenario(servers.start, storage)
    finally:
        await servers.stop_all()  # before the filesystem under them goes away
        storage.cleanup()


async def _failed_write_scenario(start_server: StartServer, storage: Storage) -> None:
    server = await start_server(probe_every=PROBE_EVERY)
    fac, ann, ann_welcome = await setup_why(server)
    acked: dict[str, Frame] = {}
    texts: dict[str, str] = {}

    async def add(op: str) -> Frame:
        texts[op] = f"Cause {op} " + "x" * 200
        frame = await do(ann, op, type="add_cause", parent=None, text=texts[op])
        if frame["type"] == "event":
            acked[op] = frame
        return frame

    for i in range(3):
        assert (await add(f"before{i}"))["type"] == "event"

    storage.fail(server)
    lost: str | None = None
    for i in range(200):  # the first write that does not fit
        frame = await add(f"during{i}")
        if frame["type"] == "error":
            lost = f"during{i}"
            break
    assert lost is not None, "the journal never failed"
    assert frame["code"] == "storage" and "disk is full" in frame["message"], frame
    told = await frames_until(fac, lambda f: f["type"] == "error")  # everyone, the same sentence
    assert told[-1] == frame
    assert server.state.seq == max(f["seq"] for f in acked.values())  # the lost turn is forgotten

    refused = await add("refused")
    assert refused["type"] == "rejected" and refused["reason"] == "storage"
    assert "disk is full" in refused["message"]
    again = await add(lost)  # what the client still holds: refused too, not applied
    assert again["type"] == "rejected" and again["reason"] == "storage"
    newcomer, welcome = await join(server, code=CODE, name="Late")
    assert welcome["type"] == "error" and welcome["code"] == "storage"
    await newcomer.close()

    # While the disk stays full, nobody is told that saving works again.
    await asyncio.sleep(PROBE_EVERY * 4)
    assert server.hub is not None and server.hub.storage_error
    still = await add("still-full")
    assert still["type"] == "rejected" and still["reason"] == "storage"

    storage.recover(server)
    for ws in (ann, fac):  # everyone is asked to come back
        with pytest.raises(ConnectionClosed):
            while True:
                await recv(ws, timeout=PROBE_EVERY * 10)
        assert ws.close_code == 1012
    last_seen = max(f["seq"] for f in acked.values())
    ann, back = await join(server, code=CODE, token=ann_welcome["token"], since=last_seen)
    assert back["type"] == "welcome" and back["state"] is None
    for op in (lost, "refused", "still-full", "before0"):  # what was kept, and one old retry
        assert (await add(op))["type"] == "event"
    assert acked["before0"]["seq"] < last_seen

    await stop(server)
    server = await start_server()
    state = await fresh_state(server)
    found = cause_texts(state)
    for op in acked:
        assert found.count(texts[op]) == 1, op
    assert len(found) == len(acked)


# --- a client that stops reading --------------------------------------------------------------


async def test_a_client_that_stops_reading_is_dropped_without_slowing_anyone(
    start_server: StartServer, caplog: pytest.LogCaptureFixture
) -> None:
    backlog = 64 * 1024
    caplog.set_level(logging.INFO, logger="whytree.server.app")
    server = await start_server(
        max_backlog=backlog,
        commands=(1e9, 1e9),  # the facilitator floods on purpose
        resume_window=50_000,  # to catch up from `since` after the flood
        presence_every=0.05, presence_settle=0.0,  # shown away as soon as it is dropped
    )
    fac, _, _ = await setup_why(server)
    cause = (await do(fac, "f-cause", type="add_cause", parent=None, text="Flooded"))["command"]["id"]
    quick, _ = await join(server, code=CODE, name="Quick")

    # The slow client: a small receive buffer, and it stops reading after its welcome.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
    slow = await connect(server.local_url, sock=sock, compression=None, ping_interval=None)
    _clients.append(slow)
    await slow.send(json.dumps({"type": "join", "code": CODE, "name": "Slow"}))
    slow_welcome = await recv(slow)
    assert slow_welcome["type"] == "welcome"
    slow_port = sock.getsockname()[1]
    server_side = next(ws for ws in server._sockets.values() if ws.remote_address[1] == slow_port)
    assert slow.transport is not None
    slow.transport.pause_reading()

    biggest = 0  # bytes waiting in the server's process for the slow client, at most

    async def watch() -> None:
        nonlocal biggest
        while True:
            transport = server_side.transport
            if transport is not None and not transport.is_closing():
                biggest = max(biggest, transport.get_write_buffer_size())
            await asyncio.sleep(0.001)

    edits = 0
    arrived: dict[str, float] = {}

    async def read_quick() -> None:
        nonlocal edits
        while True:
            frame = await recv(quick, timeout=10)
            if frame["type"] == "event" and frame["command"]["type"] == "edit_cause":
                edits += 1
            if frame["type"] == "event" and frame["command"]["type"] == "set_timer":
                arrived[str(frame["command"]["seconds"])] = time.monotonic()

    def dropped() -> bool:
        return any("not reading" in r.getMessage() for r in caplog.records)

    watcher = asyncio.create_task(watch())
    reader = asyncio.create_task(read_quick())
    delays: list[float] = []
    sent = 0
    try:
        started = time.monotonic()
        # Fill the slow client's buffers (the kernel's take a few MB on loopback) with bursts;
        # between bursts, time one change from the facilitator to the quick client.
        while not dropped() or len(delays) < 3:
            assert time.monotonic() - started < 20, "the slow client was never dropped"
            for _ in range(300):
                sent += 1
                await fac.send(json.dumps({"type": "edit_cause", "op": f"e{sent}", "cause": cause,
                                           "text": f"{sent} " + "y" * 270}))
            while edits < sent:
                await asyncio.sleep(0.002)
                assert time.monotonic() - started < 20, "the quick client fell behind"
            marker = str(len(delays) + 100)
            marked = time.monotonic()
            await fac.send(json.dumps({"type": "set_timer", "op": f"t{marker}", "seconds": int(marker)}))
            while marker not in arrived:
                await asyncio.sleep(0.001)
                assert time.monotonic() - marked < 5, "the quick client waited for the slow one"
            delays.append(arrived[marker] - marked)
        dropped_after = time.monotonic() - started
    finally:
        watcher.cancel()
        reader.cancel()
        await asyncio.gather(watcher, reader, return_exceptions=True)

    delays.sort()
    assert delays[len(delays) // 2] < 0.1 and delays[-1] < 0.5, delays
    assert biggest <= backlog + 4096, f"{biggest} bytes waited for the slow client"
    assert dropped_after < 15
    assert sum("not reading" in r.getMessage() for r in caplog.records) == 1  # dropped once

    # The server let it go: its socket is closed and its person shows offline.
    for _ in range(100):
        if server_side.transport is None or server_side.transport.is_closing():
            break
        await asyncio.sleep(0.05)
    assert server_side.transport is None or server_side.transport.is_closing()
    slow_id = slow_welcome["you"]["id"]
    for _ in range(100):
        if not server.state.people[slow_id].online:
            break
        await asyncio.sleep(0.05)
    assert not server.state.people[slow_id].online

    # It can come back and catch up from where it was.
    back, again = await join(server, code=CODE, token=slow_welcome["token"], since=slow_welcome["seq"])
    assert again["type"] == "welcome" and again["state"] is None and again["you"]["id"] == slow_id
    caught_up = await frames_until(back, lambda f: f["type"] == "event" and f["seq"] == server.state.seq)
    assert [f["seq"] for f in caught_up] == list(range(slow_welcome["seq"] + 1, server.state.seq + 1))


# --- a half-open link ------------------------------------------------------------------------------


class FreezableProxy:
    """A TCP proxy we control: it forwards both ways until `freeze`, then forwards nothing
    and closes nothing -- a laptop whose Wi-Fi died, as seen from the server. Its socket
    towards the server has a small receive buffer, as a dead peer's window is small."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pumps: list[asyncio.Task[None]] = []
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", self.target_port))
        up_reader, up_writer = await asyncio.open_connection(sock=sock)
        self._writers += [writer, up_writer]
        self._pumps += [asyncio.create_task(self._pump(reader, up_writer)),
                        asyncio.create_task(self._pump(up_reader, writer))]

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()

    def freeze(self) -> None:
        for pump in self._pumps:
            pump.cancel()
        for writer in self._writers:  # and read nothing more from the sockets
            writer.transport.pause_reading()

    async def close(self) -> None:
        self.freeze()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        for writer in self._writers:
            writer.transport.abort()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.mark.parametrize("traffic", ["quiet", "busy"])
async def test_a_half_open_link_is_noticed_by_the_pings(
    start_server: StartServer, traffic: str
) -> None:
    """`busy`: right after the link dies the session sends ~200 kB to everyone -- far less
    than `max_backlog`, but more than the dead link's buffers take, so it waits in the
    server: the pings must still go out, and time out."""
    server = await start_server(
        ping_interval=PINGS, ping_timeout=PINGS, commands=(1e9, 1e9),
        presence_every=0.05, presence_settle=0.0,  # shown away as soon as it is noticed
    )
    fac, _, _ = await setup_why(server)
    cause = (await do(fac, "f-cause", type="add_cause", parent=None, text="Busy"))["command"]["id"]
    proxy = FreezableProxy(server.port)
    await proxy.start()
    try:
        far = await connect(f"ws://127.0.0.1:{proxy.port}", compression=None, ping_interval=None,
                            close_timeout=0.1)
        _clients.append(far)
        await far.send(json.dumps({"type": "join", "code": CODE, "name": "Far away"}))
        far_welcome = await recv(far)
        far_id = far_welcome["you"]["id"]
        await frames_until(fac, lambda f: f["type"] == "event" and f["command"]["type"] == "person_joined")
        far_side = next(ws for ws in server._sockets.values() if ws.remote_address[1] != fac.local_address[1]
                        and ws.remote_address[1] != _clients[1].local_address[1])
        # The server's kernel buffer for the dead link: what a short-lived LAN link has, not
        # the megabytes loopback grows to.
        far_side.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
        await asyncio.sleep(1.5)  # pings and pongs go through while the link is alive
        assert server.state.people[far_id].online

        proxy.freeze()
        frozen_at = time.monotonic()
        if traffic == "busy":
            for i in range(700):
                await fac.send(json.dumps({"type": "edit_cause", "op": f"e{i}", "cause": cause,
                                           "text": f"{i} " + "b" * 270}))
        gone = await frames_until(
            fac, lambda f: f["type"] == "event" and f["command"] == {"type": "presence", "person": far_id,
                                                                     "online": False},
            timeout=15,
        )
        noticed = time.monotonic() - frozen_at
    finally:
        await proxy.close()
    assert gone
    # A ping goes out at most `ping_interval` after the freeze, times out `ping_timeout` later;
    # closing the dead link then waits the server's close timeout (2 s) before giving up.
    assert noticed < PINGS + PINGS + 2 + 1, noticed


async def test_a_record_that_decodes_but_cannot_apply_stops_start_up(tmp_path: Path) -> None:
    from whytree.server.hub import Record
    from whytree.server.journal import Journal
    from whytree.shared import protocol as p

    journal = Journal(tmp_path)
    journal.create_session("s1", "Damaged", "123456", "key")
    edit_nothing = p.EditCause(op="x", cause="c404", text="an answer that never existed")
    journal.write("s1", [Record(event=p.Event(seq=1, by="p1", op="x", command=edit_nothing))])
    journal.close()
    server = Server(ServerConfig(data_dir=tmp_path, port=0, bind="127.0.0.1", advertise=False))
    with pytest.raises(JournalDamaged) as caught:
        await server.start()
    assert "does not replay at event 1" in str(caught.value)
    await server.stop()
