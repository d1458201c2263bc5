"""A host that crashes again and again loses nothing it acknowledged: real processes.

`whytree serve` runs as a child process on a data folder in `tmp_path` (port 0: each start
may get another port, read from what it prints). A facilitator and a few participants --
plain websockets connections driven by the same `Mirror` the TUI uses -- add causes and
vote, and note every `op` the server acknowledged (the event carrying it came back). The
test kills the server with SIGKILL at random moments, several times, and starts it again
on the same folder; the clients notice, reconnect, rejoin with their token and `since`, and
send again whatever was not answered. At the end:

* every acknowledged op is in the journal exactly once, at the seq it was acknowledged
  with; no rejected op is in it; every op sent was answered;
* nobody was ever welcomed back with fewer events than they had already seen, and
  everybody kept their identity across every crash;
* every client's mirror equals the state a fresh client gets, and its own ballot equals
  the one the journal gives.

The seed of the random moments is printed on failure (`WHYTREE_CRASH_SEED` replays one).
Also here: `whytree serve` on a damaged journal stops with a clear message.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from whytree.server.hub import Hub
from whytree.server.journal import FILE_NAME, Journal
from whytree.shared import protocol as p
from whytree.shared.mirror import Mirror, ResyncNeeded
from whytree.shared.model import Session

CODE = "864202"
KEY = "crash-test-key"
ROUNDS = 6
PARTICIPANTS = 4
IN_FLIGHT = 4
"""Unanswered commands a client keeps at most (well under the server's flood limit)."""


def serve_command(data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "whytree.tui.cli", "serve", "--port", "0", "--bind", "127.0.0.1",
            "--data-dir", str(data_dir), "--code", CODE, "--facilitator-key", KEY, "--no-discovery"]


class ServerProcess:
    """`whytree serve` as a child process."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir = data_dir
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> str:
        """Start it; return its URL once it listens."""
        self.starts += 1
        with open(self.log, "ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            self.proc = await asyncio.create_subprocess_exec(
                *serve_command(self.data_dir), stdout=asyncio.subprocess.PIPE, stderr=log,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        assert self.proc.stdout is not None
        printed: list[str] = []
        async with asyncio.timeout(15):
            while True:
                line = (await self.proc.stdout.readline()).decode()
                if not line:
                    log_tail = self.log.read_text()[-2000:]
                    raise AssertionError(f"whytree serve stopped: {printed}, log: {log_tail}")
                printed.append(line)
                if line.strip().startswith("port:"):
                    return f"ws://127.0.0.1:{int(line.split(':', 1)[1])}"

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind runs."""
        await self._end(signal.SIGKILL)

    async def stop(self) -> None:
        """SIGTERM: the server stops cleanly (as Ctrl+C)."""
        await self._end(signal.SIGTERM)

    async def _end(self, sig: int) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        await proc.communicate()


class Cluster:
    """Where the server is now; clients wait here while it is down."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.runs = 0
        self.up = asyncio.Event()
        self.stop_sending = asyncio.Event()
        self.target_seq: int | None = None
        """Set at the end: clients read until they have seen this event, then leave."""

    def set_up(self, url: str) -> None:
        self.current = url
        self.runs += 1
        self.up.set()

    def set_down(self) -> None:
        self.up.clear()

    async def url(self) -> str:
        await self.up.wait()
        assert self.current is not None
        return self.current


class Person:
    """One person's client: a Mirror over a websocket that comes back after every crash."""

    def __init__(self, name: str, facilitator: bool, rng: random.Random) -> None:
        self.name = name
        self.facilitator = facilitator
        self.rng = rng
        self.mirror = Mirror()
        self.id: str | None = None
        self.sent: dict[str, p.ClientCommand] = {}
        self.acked: dict[str, int] = {}
        """op -> seq of the event that acknowledged it."""
        self.rejected: dict[str, str] = {}
        self.problems: list[str] = []
        self.connections = 0
        self.resent = 0
        """Commands sent again after a rejoin."""
        self.serving = 0
        """Which start of the server this client is talking to (1, 2, ...)."""
        self.sent_in: dict[str, int] = {}
        """op -> the server start it was first sent to."""
        self.acked_in: dict[str, int] = {}
        """op -> the server start that acknowledged it."""
        self.texts = 0
        self.want_weigh = False
        self.ws: ClientConnection | None = None

    # --- the life of the client --------------------------------------------------------

    async def run(self, cluster: Cluster) -> None:
        while True:
            url = await cluster.url()
            try:
                async with connect(url, compression=None, open_timeout=2, close_timeout=0.2,
                                   ping_interval=None, max_size=2**24) as ws:
                    if await self._session(ws, cluster):
                        return
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
                await asyncio.sleep(0.05)  # the server is gone: wait for the next one

    async def _session(self, ws: ClientConnection, cluster: Cluster) -> bool:
        """One connection; True when this person is done."""
        self.connections += 1
        self.ws = ws
        self.serving = cluster.runs
        join = (self.mirror.join_frame(facilitator_key=KEY, name=self.name) if self.facilitator
                else self.mirror.join_frame(code=CODE, name=self.name))
        await ws.send(join.decode())
        self._receive(await asyncio.wait_for(ws.recv(), 5))
        for frame in self.mirror.pending_frames():  # what was not answered before the crash
            self.resent += 1
            await ws.send(frame.decode())

        async def read() -> None:
            async for data in ws:
                self._receive(data)

        reader = asyncio.create_task(read())
        try:
            while not reader.done():
                if self._done(cluster):
                    return True
                if not cluster.stop_sending.is_set() and len(self.mirror.outbox) < IN_FLIGHT:
                    command = self._next_command()
                    if command is not None:
                        self.sent[command.op] = command
                        self.sent_in[command.op] = self.serving
                        await ws.send(self.mirror.command(command).decode())
                await asyncio.sleep(self.rng.uniform(0.04, 0.1))
            reader.result()  # raises ConnectionClosed: the server went away
            return False
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await reader

    async def burst(self, count: int) -> None:
        """Send `count` commands at once (the crash is about to come)."""
        ws = self.ws
        if ws is None:
            return
        for _ in range(count):
            command = self._next_command()
            if command is None:
                return
            self.sent[command.op] = command
            self.sent_in[command.op] = self.serving
            with contextlib.suppress(ConnectionClosed):
                await ws.send(self.mirror.command(command).decode())

    def _done(self, cluster: Cluster) -> bool:
        state = self.mirror.state
        return (cluster.stop_sending.is_set() and not self.mirror.outbox
                and cluster.target_seq is not None and state is not None and state.seq >= cluster.target_seq)

    def _receive(self, data: str | bytes) -> None:
        frame = p.decode_server_frame(data)
        state = self.mirror.state
        if isinstance(frame, p.Welcome):
            if state is not None and frame.seq < state.seq:
                self.problems.append(f"welcomed back at seq {frame.seq} after seeing {state.seq}: lost")
            if self.id is not None and frame.you.id != self.id:
                self.problems.append(f"came back as {frame.you.id}, was {self.id}")
            self.id = frame.you.id
        if isinstance(frame, p.Event) and frame.op is not None:
            if frame.op not in self.sent:
                self.problems.append(f"an event for op {frame.op} this client never sent")
            elif frame.op in self.acked and self.acked[frame.op] != frame.seq:
                self.problems.append(f"op {frame.op} acknowledged at {self.acked[frame.op]} and {frame.seq}")
            elif frame.op in self.rejected:
                self.problems.append(f"op {frame.op} rejected ({self.rejected[frame.op]}), then applied")
            self.acked_in.setdefault(frame.op, self.serving)
            self.acked[frame.op] = frame.seq
        if isinstance(frame, p.Rejected):
            if frame.op in self.acked:
                self.problems.append(f"op {frame.op} acknowledged, then rejected ({frame.reason})")
            self.rejected[frame.op] = frame.reason
        if isinstance(frame, p.Error):
            self.problems.append(f"error frame: {frame.code} {frame.message}")
        try:
            self.mirror.receive(data, time.time())
        except ResyncNeeded as exc:
            self.problems.append(f"gap in the events: {exc}")
            raise

    # --- what people do -----------------------------------------------------------------

    def _next_command(self) -> p.ClientCommand | None:
        state = self.mirror.state
        if state is None:
            return None
        op = self.mirror.new_op()
        causes = list(state.causes)
        if self.facilitator:
            if state.phase == "situation":
                return p.SetPhase(op=op, phase="why")
            if self.want_weigh and state.phase == "why":
                return p.SetPhase(op=op, phase="weigh")
            return self._add_cause(op, causes)
        if state.phase == "why":
            return self._add_cause(op, causes)
        if state.phase == "weigh" and causes:
            cause = self.rng.choice(causes)
            if self.rng.random() < 0.6:
                return p.SetDots(op=op, cause=cause, dots=self.rng.randint(0, 2))
            answer = self.rng.choice(["we", "others", "no", None])
            return p.SetChange(op=op, cause=cause, answer=answer)  # type: ignore[arg-type]
        return None

    def _add_cause(self, op: str, causes: list[str]) -> p.AddCause:
        self.texts += 1
        parent = self.rng.choice(causes) if causes and self.rng.random() < 0.6 else None
        return p.AddCause(op=op, parent=parent, text=f"{self.name} cause {self.texts}")


def replay_journal(data_dir: Path) -> tuple[list[p.Event], Session]:
    """Every event in the journal, and the state they give (as the server restores it)."""
    journal = Journal(data_dir)
    try:
        row = journal.latest_open_session()
        assert row is not None
        hub = Hub(Session(id=row.id, title=row.title, created_at=row.created_at), row.code,
                  row.facilitator_key)
        events: list[p.Event] = []
        for record in journal.records(row.id):
            hub.replay(record)
            if record.event is not None:
                events.append(record.event)
        return events, hub.state
    finally:
        journal.close()


def builtins(value: object) -> object:
    return msgspec.to_builtins(value)


async def test_every_acknowledged_op_survives_repeated_sigkills(tmp_path: Path) -> None:
    seed = int(os.environ.get("WHYTREE_CRASH_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir, tmp_path / "serve.log")
    cluster = Cluster()
    people = [Person("Fran", True, random.Random(rng.random()))]
    people += [Person(f"P{i}", False, random.Random(rng.random())) for i in range(PARTICIPANTS)]
    clients = [asyncio.create_task(person.run(cluster)) for person in people]
    kills: list[float] = []
    try:
        for round_ in range(ROUNDS):
            cluster.set_up(await server.start())
            if round_ == ROUNDS // 2:
                people[0].want_weigh = True  # from answering why to weighing, mid-way
            uptime = rng.uniform(0.3, 1.5)
            kills.append(round(uptime, 2))
            await asyncio.sleep(uptime)
            if rng.random() < 0.8:  # kill while everyone's burst is being taken and answered
                for person in people:
                    await person.burst(IN_FLIGHT)
                await asyncio.sleep(rng.choice([0, rng.uniform(0, 0.005)]))
            cluster.set_down()
            await server.kill()
            await asyncio.sleep(rng.uniform(0, 0.3))  # sometimes clients find nobody there

        # The last start: everyone sends what is still unanswered, then catches up.
        cluster.set_up(await server.start())
        cluster.stop_sending.set()
        async with asyncio.timeout(20):
            while any(person.mirror.outbox or person.mirror.state is None for person in people):
                await asyncio.sleep(0.05)
        async with connect(await cluster.url(), compression=None) as observer:
            await observer.send(p.encode(p.Join(code=CODE, role="viewer")).decode())
            welcome = p.decode_server_frame(await observer.recv())
        assert isinstance(welcome, p.Welcome) and welcome.state is not None, welcome
        fresh = welcome.state
        cluster.target_seq = fresh.seq
        async with asyncio.timeout(20):
            await asyncio.gather(*clients)
        await server.stop()
    finally:
        for task in clients:
            task.cancel()
        await asyncio.gather(*clients, return_exceptions=True)
        await server.kill()

    context = f"seed {seed} (WHYTREE_CRASH_SEED), uptimes {kills}, log {tmp_path / 'serve.log'}"
    events, final = replay_journal(data_dir)
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), context
    in_journal = Counter((e.by, e.op) for e in events if e.op is not None)
    by_seq = {e.seq: e for e in events}
    total_acked = 0
    for person in people:
        assert not person.problems, (person.name, person.problems, context)
        assert person.id is not None and person.mirror.state is not None
        assert set(person.sent) == set(person.acked) | set(person.rejected), (person.name, context)
        for op, seq in person.acked.items():
            assert in_journal[(person.id, op)] == 1, (person.name, op, context)
            assert by_seq[seq].op == op and by_seq[seq].by == person.id, (person.name, op, seq, context)
        for op in person.rejected:
            assert in_journal[(person.id, op)] == 0, (person.name, op, context)
        total_acked += len(person.acked)
        # The same state everywhere: each mirror, a fresh client, the journal.
        mine = person.mirror.state
        assert builtins(mine.causes) == builtins(fresh.causes) == builtins(final.causes), (person.name,
                                                                                          context)
        assert builtins(mine.ballots.get(person.id)) == builtins(final.ballots.get(person.id)), context
        assert mine.phase == final.phase, context

    # Every cause acknowledged is there once (texts are unique per person).
    texts = Counter(cause.text for cause in final.causes.values())
    for person in people:
        for op, _ in person.acked.items():
            command = person.sent[op]
            if isinstance(command, p.AddCause):
                assert texts[command.text] == 1, (command.text, context)
    assert server.starts == ROUNDS + 1
    assert total_acked > 50, f"too little happened to prove anything ({total_acked}); {context}"
    # How many commands a crash caught: sent to one start, answered by a later one; and of
    # those, how many that start had already made durable (the acknowledgement was lost).
    assert all(person.connections >= ROUNDS for person in people), context
    resumed_at = resumed_seqs(tmp_path / "serve.log")
    caught = already = 0
    for person in people:
        for op, run in person.sent_in.items():
            if op in person.acked and person.acked_in[op] > run:
                caught += 1
                already += person.acked[op] <= resumed_at.get(run + 1, 0)
    assert caught > 0, f"no crash caught a command in flight; {context}"
    print(f"{total_acked} ops acknowledged, {len(events)} events; {caught} caught by a crash, "
          f"{already} of them already durable; {context}")


def resumed_seqs(log: Path) -> dict[int, int]:
    """Server start -> the event it resumed at (from its log)."""
    found: dict[int, int] = {}
    run = 0
    for line in log.read_text().splitlines():
        if line.startswith("--- start "):
            run = int(line.split()[-1])
        elif "resumed session" in line and " at event " in line:
            found[run] = int(line.rsplit(" ", 1)[-1])
    return found


def test_serve_refuses_a_damaged_journal_with_a_clear_message(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with contextlib.closing(sqlite3.connect(data_dir / FILE_NAME)) as db:
        db.executescript(
            "CREATE TABLE sessions (id TEXT PRIMARY KEY, title TEXT NOT NULL, code TEXT NOT NULL, "
            "facilitator_key TEXT NOT NULL, created_at REAL NOT NULL, closed INTEGER NOT NULL DEFAULT 0);"
            "CREATE TABLE records (session TEXT NOT NULL, n INTEGER NOT NULL, body BLOB NOT NULL, "
            "PRIMARY KEY (session, n));"
        )
        db.execute("INSERT INTO sessions VALUES ('s1', 'T', ?, ?, 1.0, 0)", (CODE, KEY))
        db.executemany("INSERT INTO records VALUES ('s1', ?, ?)", [(0, b"{broken"), (1, b"{}")])
        db.commit()
    before = rows(data_dir)
    done = subprocess.run(serve_command(data_dir), capture_output=True, text=True, timeout=20)
    assert done.returncode != 0
    assert "damaged at record 0" in done.stderr and str(data_dir / FILE_NAME) in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert rows(data_dir) == before  # nothing deleted or rewritten


def rows(data_dir: Path) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(data_dir / FILE_NAME)) as db:
        return list(db.execute("SELECT * FROM sessions")) + list(db.execute("SELECT * FROM records"))
