"""How much a whytree server takes: events per second, broadcast latency, commits, memory.

    .venv/bin/python benchmarks/bench_server.py [--clients 10,50,100] [--seconds 3]

For each number of clients it starts a fresh real server (`Server`, real SQLite journal in
a temporary folder) in a child process on 127.0.0.1, connects that many participants from
a few worker processes, and runs two stages:

* `add_cause` (the "why" step): every participant keeps `--window` answers in flight; the
  stage ends after `--seconds` or when the tree is nearly full (`MAX_CAUSES`);
* `set_dots` (the "weigh" step): every participant moves a dot on and off one cause.

It prints one table (no assertions): accepted events per second, broadcast latency from
the author's send to another participant's receipt (p50/p95, measured on a sample of
receivers), the journal's commits and records per commit, the median commit time, and
the server's resident memory. `benchmarks/README.md` explains the numbers.

Everything is loopback and bounded: every stage stops by itself, every wait has a
deadline, and the server child exits when its parent goes away (its stdin closes).

The server's per-person flood limit (20 commands a second) is lifted in the child unless
`--keep-flood-limit` is given; otherwise the limiter, not the server, sets the rate.

Next to it, with the same clients: the floor (a bare websockets fan-out) and "floor+fsync"
(the floor with one fdatasync per batch before broadcast: what durability costs by itself).

    .venv/bin/python benchmarks/bench_server.py --room 30 [--room-with serve]

runs a room of 30 people at a person's pace against a real `whytree host` (or `serve`) for
a minute, and prints the host process's CPU and memory (from /proc) and round trips.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import msgspec

CODE = "555123"
KEY = "bench-facilitator-key"
SAMPLED_RECEIVERS = 8
"""Receivers per worker whose receipt times are kept (all of them read everything)."""
STAGE_DRAIN = 3.0
"""Seconds to wait for answers still in flight when a stage ends."""


# --- the server child -----------------------------------------------------------------------


def serve_child(data_dir: Path, keep_flood_limit: bool) -> None:
    """Run the real server here; print its port; answer `stats` / `reset` on stdin."""
    from whytree.server.app import Server, ServerConfig
    from whytree.server.journal import Journal
    from whytree.shared.protocol import Limits


    batches: list[int] = []
    commit_ms: list[float] = []
    original_write = Journal.write

    def measured_write(self: Journal, session_id: str, records: list[Any]) -> None:
        started = time.perf_counter()
        original_write(self, session_id, records)
        if records:
            batches.append(len(records))
            commit_ms.append((time.perf_counter() - started) * 1000)

    Journal.write = measured_write  # type: ignore[method-assign]

    async def main() -> None:
        # The whole room joins at once, from one address: past the door's limits on new
        # people and on connections not joined yet, which are not what is measured here.
        # Without `keep_flood_limit` the clients may also send as fast as they can.
        door = Limits(new_people=(1e9, 1e9), unjoined_per_address=10**6, unjoined_overall=10**6,
                      **({} if keep_flood_limit else {"commands": (1e9, 1e9)}))
        server = Server(ServerConfig(data_dir=data_dir, port=0, bind="127.0.0.1", title="Benchmark",
                                     code=CODE, facilitator_key=KEY, advertise=False, limits=door))
        await server.start()
        print(f"port {server.port}", flush=True)
        loop = asyncio.get_running_loop()
        cpu_at_reset = time.process_time()
        try:
            while line := await loop.run_in_executor(None, sys.stdin.readline):
                if line.strip() == "stats":
                    cpu_s = time.process_time() - cpu_at_reset
                    stats = {"batches": batches, "commit_ms": commit_ms, "cpu_s": cpu_s, **memory()}
                    print(json.dumps(stats), flush=True)
                elif line.strip() == "reset":
                    batches.clear()
                    commit_ms.clear()
                    cpu_at_reset = time.process_time()
        finally:
            await server.stop()

    profile_dir = os.environ.get("WHYTREE_BENCH_PROFILE")
    if not profile_dir:
        asyncio.run(main())
        return
    import cProfile

    profiler = cProfile.Profile()  # the event loop's thread only (the writer thread waits on the disk)
    profiler.enable()
    try:
        asyncio.run(main())
    finally:
        profiler.disable()
        profiler.dump_stats(Path(profile_dir) / f"server-{os.getpid()}.prof")


def floor_child(sync_dir: Path | None = None) -> None:
    """The floor: a bare websockets server that only fans out. It answers `join` with a
    `welcome`, and every other frame with an `event` carrying it, encoded once and
    broadcast to every connection -- no rules, no journal, no views. Same stdin protocol
    as `serve_child` (`stats`, `reset`).

    With `sync_dir` ("floor+fsync"), the floor plus durability and nothing else: the events
    are appended to a file in `sync_dir` by one thread, everything queued in one write and
    one `fdatasync` (a group commit, as the server does), and broadcast when it returns.
    What it costs over the floor is what an fsync before broadcast costs by itself."""
    import concurrent.futures

    from websockets.asyncio.server import ServerConnection, broadcast, serve
    from websockets.exceptions import ConnectionClosed

    batches: list[int] = []
    commit_ms: list[float] = []

    def write_and_sync(fd: int, frames: list[str]) -> None:
        started = time.perf_counter()
        os.write(fd, "\n".join(frames).encode() + b"\n")
        os.fdatasync(fd)
        batches.append(len(frames))
        commit_ms.append((time.perf_counter() - started) * 1000)

    async def main() -> None:
        peers: set[ServerConnection] = set()
        seq = 0
        queued: list[str] = []
        committer: asyncio.Task[None] | None = None
        writer = concurrent.futures.ThreadPoolExecutor(1)
        log_fd = (os.open(sync_dir / "floor.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                  if sync_dir is not None else -1)

        async def commit_while_queued() -> None:
            loop = asyncio.get_running_loop()
            while queued:
                batch = queued[:]
                queued.clear()
                await loop.run_in_executor(writer, write_and_sync, log_fd, batch)
                for frame in batch:
                    broadcast(peers, frame)

        async def handler(ws: ServerConnection) -> None:
            nonlocal seq, committer
            try:
                async for data in ws:
                    frame = json.loads(data)
                    if frame["type"] == "join":
                        peers.add(ws)
                        await ws.send(json.dumps({"type": "welcome", "seq": seq}))
                        continue
                    seq += 1
                    event = {"type": "event", "seq": seq, "by": "p0", "op": frame.get("op"), "command": frame}
                    if sync_dir is None:
                        broadcast(peers, json.dumps(event))
                        continue
                    queued.append(json.dumps(event))
                    if committer is None or committer.done():
                        committer = asyncio.get_running_loop().create_task(commit_while_queued())
            except ConnectionClosed:
                pass
            finally:
                peers.discard(ws)

        async with serve(handler, "127.0.0.1", 0, compression=None, max_size=2**16,
                         ping_interval=None) as server:
            print(f"port {next(iter(server.sockets)).getsockname()[1]}", flush=True)
            loop = asyncio.get_running_loop()
            cpu_at_reset = time.process_time()
            while line := await loop.run_in_executor(None, sys.stdin.readline):
                if line.strip() == "stats":
                    stats = {"batches": batches, "commit_ms": commit_ms,
                             "cpu_s": time.process_time() - cpu_at_reset, **memory()}
                    print(json.dumps(stats), flush=True)
                elif line.strip() == "reset":
                    batches.clear()
                    commit_ms.clear()
                    cpu_at_reset = time.process_time()

    asyncio.run(main())


def memory() -> dict[str, float]:
    """This process's resident memory now and at its peak, in MB."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
        rss, peak = (int(fields[name].split()[0]) / 1024 for name in ("VmRSS", "VmHWM"))
        return {"rss_mb": rss, "peak_mb": peak}
    except (OSError, KeyError, ValueError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak_mb = peak / 1024 / (1024 if sys.platform == "darwin" else 1)
        return {"rss_mb": float("nan"), "peak_mb": peak_mb}


class ServerChild:
    """The parent's handle on the server child."""

    def __init__(self, data_dir: Path, keep_flood_limit: bool, kind: str = "whytree") -> None:
        command = [sys.executable, __file__, "--serve-child", str(data_dir)]
        if kind == "floor":
            command = [sys.executable, __file__, "--floor-child"]
        elif kind == "floor+fsync":
            command = [sys.executable, __file__, "--floor-child", "--floor-sync", str(data_dir)]
        if keep_flood_limit:
            command.append("--keep-flood-limit")
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("port "):
            raise SystemExit(f"the server did not start: {line!r}")
        self.url = f"ws://127.0.0.1:{int(line.split()[1])}"

    def ask(self, what: str) -> dict[str, Any] | None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(what + "\n")
        self.proc.stdin.flush()
        if what != "stats":
            return None
        answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return answer

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


# --- the clients (in worker processes) --------------------------------------------------------


class Head(msgspec.Struct):
    """The few fields of a server frame the clients look at; the rest is skipped."""

    type: str
    seq: int | None = None
    op: str | None = None


_head = msgspec.json.Decoder(Head)


@dataclass
class Client:
    """One participant: sends commands, notes when its own come back and (if sampled)
    when everyone's arrive."""

    ws: Any
    name: str
    sampled: bool
    inflight: dict[str, float] = field(default_factory=dict)
    own: list[tuple[int, float, float]] = field(default_factory=list)
    """(seq, sent at, answered at) of this client's accepted commands."""
    received: list[tuple[int, float]] = field(default_factory=list)
    rejected: int = 0
    sent: int = 0
    dots: int = 0
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    async def read(self) -> None:
        async for data in self.ws:
            now = time.monotonic()
            head = _head.decode(data)
            if head.type == "event" and head.seq is not None:
                if head.op is not None and head.op in self.inflight:
                    self.own.append((head.seq, self.inflight.pop(head.op), now))
                    self.answered.set()
                elif self.sampled:
                    self.received.append((head.seq, now))
            elif head.type == "rejected" and head.op is not None:
                self.inflight.pop(head.op, None)
                self.rejected += 1
                self.answered.set()

    async def send(self, stage: str, cause: str) -> None:
        self.sent += 1
        op = f"{self.name}-{self.sent}"
        if stage == "add_cause":
            frame = {"type": "add_cause", "op": op, "parent": None, "text": f"{self.name} answer {self.sent}"}
        else:
            self.dots = 1 - self.dots
            frame = {"type": "set_dots", "op": op, "cause": cause, "dots": self.dots}
        self.inflight[op] = time.monotonic()
        await self.ws.send(json.dumps(frame))


async def _worker(conn: Connection, url: str, names: list[str], window: int, rate: float) -> None:
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    loop = asyncio.get_running_loop()
    clients: list[Client] = []
    # Every other client speaks as a browser page does: with the `Origin` of the host's
    # own page (the server checks it); the others as terminal clients, with none.
    page = Origin("http" + url.removeprefix("ws"))
    for index, name in enumerate(names):
        origin = page if int(name.removeprefix("p")) % 2 == 0 else None
        ws = await connect(url, compression=None, max_size=2**24, ping_interval=None, open_timeout=20,
                           origin=origin)
        await ws.send(json.dumps({"type": "join", "code": CODE, "name": name}))
        first = json.loads(await asyncio.wait_for(ws.recv(), 20))
        if first["type"] != "welcome":
            raise SystemExit(f"{name} was not let in: {first}")
        clients.append(Client(ws=ws, name=name, sampled=index < SAMPLED_RECEIVERS))
    readers = [asyncio.create_task(client.read()) for client in clients]
    conn.send(("ready", len(clients)))
    try:
        while True:
            message = await loop.run_in_executor(None, conn.recv)
            if message[0] == "quit":
                break
            _, stage, seconds, start_at, quota, cause = message
            conn.send(await _stage(clients, stage, seconds, start_at, quota, cause, window, rate))
    finally:
        for client in clients:
            await client.ws.close()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)


async def _stage(clients: list[Client], stage: str, seconds: float, start_at: float, quota: int,
                 cause: str, window: int, rate: float) -> dict[str, Any]:
    for client in clients:
        client.own.clear()
        client.received.clear()
        client.rejected = 0
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    deadline = start_at + seconds

    async def paced(client: Client, offset: float) -> None:
        sent, next_at = 0, start_at + offset
        while next_at < deadline and sent < quota:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            await client.send(stage, cause)
            sent += 1
            next_at += 1 / rate
        drain_until = time.monotonic() + STAGE_DRAIN
        while client.inflight and time.monotonic() < drain_until:
            await asyncio.sleep(0.01)

    async def pump(client: Client) -> None:
        sent = 0
        while time.monotonic() < deadline and sent < quota:
            while len(client.inflight) < window and sent < quota:
                await client.send(stage, cause)
                sent += 1
            client.answered.clear()
            try:
                await asyncio.wait_for(client.answered.wait(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                pass
        drain_until = time.monotonic() + STAGE_DRAIN
        while client.inflight and time.monotonic() < drain_until:
            await asyncio.sleep(0.01)

    if rate > 0:  # open loop: each client at `rate` commands a second, spread out
        await asyncio.gather(*(paced(client, index / len(clients) / rate)
                               for index, client in enumerate(clients)))
    else:  # closed loop: each client keeps `window` commands in flight
        await asyncio.gather(*(pump(client) for client in clients))
    return {
        "own": [item for client in clients for item in client.own],
        "received": [item for client in clients for item in client.received],
        "rejected": sum(client.rejected for client in clients),
        "unanswered": sum(len(client.inflight) for client in clients),
    }


def worker_process(conn: Connection, url: str, names: list[str], window: int, rate: float) -> None:
    asyncio.run(_worker(conn, url, names, window, rate))


# --- the parent -----------------------------------------------------------------------------------


@dataclass
class Row:
    server: str
    """"whytree" (rules, journal, views), "floor" (a bare websockets fan-out) or "floor+fsync"
    (the floor with a group commit to a file, one fdatasync per batch, before broadcast)."""
    clients: int
    stage: str
    accepted_per_s: float
    rejected: int
    unanswered: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    commits: int
    records_mean: float
    records_p95: float
    records_max: int
    commit_ms_p50: float
    server_cpu: float
    """Share of one CPU the server used during the stage: near 100 % means the server is
    the limit; well below, the clients (or the disk) are."""
    rss_mb: float
    peak_mb: float


class Facilitator:
    """The facilitator's connection in the parent: reads everything, answers `do`."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def join(cls, url: str) -> Facilitator:
        from websockets.asyncio.client import connect

        ws = await connect(url, compression=None, max_size=2**24, ping_interval=None)
        await ws.send(json.dumps({"type": "join", "facilitator_key": KEY, "name": "Bench"}))
        await ws.recv()
        return cls(ws)

    async def _read(self) -> None:
        async for data in self.ws:
            head = _head.decode(data)
            if head.op is not None and head.op in self.waiting:
                self.waiting.pop(head.op).set_result(json.loads(data))

    async def do(self, **command: Any) -> dict[str, Any]:
        answer = self.waiting[command["op"]] = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps(command))
        return await asyncio.wait_for(answer, 20)

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()
        await asyncio.gather(self.reader, return_exceptions=True)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run_one(count: int, args: argparse.Namespace, kind: str = "whytree") -> list[Row]:
    """One fresh server (`kind`: "whytree", or the bare "floor", or "floor+fsync"), `count`
    clients, both stages."""
    floor = kind != "whytree"
    from whytree.shared.protocol import MAX_CAUSES

    loop = asyncio.get_running_loop()

    async def receive(pipe: Connection, timeout: float, what: str) -> Any:
        if not await loop.run_in_executor(None, pipe.poll, timeout):
            raise SystemExit(f"a worker did not {what} in time")
        return pipe.recv()

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="whytree-bench-") as folder:
        server = await loop.run_in_executor(None, ServerChild, Path(folder), args.keep_flood_limit, kind)
        workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
        fac: Facilitator | None = None
        tuis: list[Any] = []
        try:
            cause = "c1"
            if not floor:
                fac = await Facilitator.join(server.url)
                await fac.do(type="set_phase", op="phase-why", phase="why")
                shared = await fac.do(type="add_cause", op="shared", parent=None,
                                      text="The cause everyone votes on")
                cause = shared["command"]["id"]
                tuis = await loop.run_in_executor(None, _start_tuis, server.url, args.tuis)

            context = multiprocessing.get_context("spawn")
            # The room holds `count` people: the TUIs count among them.
            clients = count - len(tuis)
            n_workers = max(1, min(args.workers, clients))
            names = [f"p{i}" for i in range(clients)]
            for w in range(n_workers):
                parent_end, child_end = context.Pipe()
                process = context.Process(target=worker_process,
                                          args=(child_end, server.url, names[w::n_workers], args.window,
                                                args.rate),
                                          daemon=True)
                process.start()
                workers.append((process, parent_end))
            for _, pipe in workers:
                await receive(pipe, 60, "connect its clients")

            quota_total = MAX_CAUSES - 100
            for stage in ("add_cause", "set_dots"):
                if stage == "set_dots" and fac is not None:
                    await fac.do(type="set_phase", op="phase-weigh", phase="weigh")
                server.ask("reset")
                quota = quota_total // count if stage == "add_cause" else 10**9
                start_at = time.monotonic() + 0.5
                for _, pipe in workers:
                    pipe.send(("stage", stage, args.seconds, start_at, quota, cause))
                results = [await receive(pipe, args.seconds + STAGE_DRAIN + 30, "finish its stage")
                           for _, pipe in workers]
                stats = server.ask("stats")
                assert stats is not None
                rows.append(_row(kind, count, stage, start_at, results, stats))
        finally:
            for terminal in tuis:
                terminal.close()
            for process, pipe in workers:
                try:
                    pipe.send(("quit",))
                except (BrokenPipeError, OSError):
                    pass
                await loop.run_in_executor(None, process.join, 10)
                if process.is_alive():
                    process.kill()
            if fac is not None:
                await fac.close()
            await loop.run_in_executor(None, server.stop)
    return rows


def _start_tuis(url: str, count: int, wait_text: str = "The cause everyone votes on") -> list[Any]:
    """`count` real `whytree join` processes, each on its own pseudo-terminal, in the room
    for the whole run (what the host serves them is part of its load)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_tui import CODE as _unused  # noqa: F401 -- the same folder's helper
    from bench_tui import WHYTREE, Terminal

    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8")
    home = tempfile.mkdtemp(prefix="whytree-bench-home-")
    env.update(XDG_DATA_HOME=home, XDG_CONFIG_HOME=home, HOME=home)
    terminals = [Terminal([WHYTREE, "join", url, "--name", f"Screen {i + 1}", "--code", CODE], env)
                 for i in range(count)]
    for terminal in terminals:
        terminal.wait_for(wait_text)
    return terminals


def _row(server: str, count: int, stage: str, start_at: float, results: list[dict[str, Any]],
         stats: dict[str, Any]) -> Row:
    own = [item for result in results for item in result["own"]]
    sent_at = {seq: sent for seq, sent, _ in own}
    latencies = [(at - sent_at[seq]) * 1000 for result in results for seq, at in result["received"]
                 if seq in sent_at]
    last = max((answered for _, _, answered in own), default=start_at)
    elapsed = max(1e-6, last - start_at)
    batches: list[int] = stats["batches"]
    return Row(
        server=server, clients=count, stage=stage, accepted_per_s=len(own) / elapsed,
        rejected=sum(result["rejected"] for result in results),
        unanswered=sum(result["unanswered"] for result in results),
        p50_ms=percentile(latencies, 0.5), p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        commits=len(batches), records_mean=statistics.fmean(batches) if batches else float("nan"),
        records_p95=percentile([float(b) for b in batches], 0.95), records_max=max(batches, default=0),
        commit_ms_p50=percentile(stats["commit_ms"], 0.5), server_cpu=100 * stats["cpu_s"] / elapsed,
        rss_mb=stats["rss_mb"], peak_mb=stats["peak_mb"],
    )


def print_table(rows: list[Row]) -> None:
    header = ("server", "clients", "stage", "events/s", "rejected", "lost", "p50 ms", "p95 ms", "p99 ms",
              "commits", "rec/commit", "p95", "max", "commit ms", "server CPU", "RSS MB", "peak MB")
    lines = [header]
    for r in rows:
        lines.append((r.server, str(r.clients), r.stage, f"{r.accepted_per_s:.0f}", str(r.rejected),
                      str(r.unanswered), f"{r.p50_ms:.1f}", f"{r.p95_ms:.1f}", f"{r.p99_ms:.1f}",
                      str(r.commits), f"{r.records_mean:.1f}", f"{r.records_p95:.0f}", str(r.records_max),
                      f"{r.commit_ms_p50:.2f}", f"{r.server_cpu:.0f} %", f"{r.rss_mb:.1f}",
                      f"{r.peak_mb:.1f}"))
    _print_aligned(lines, left={0, 2})
    floors = {(r.clients, r.stage): r for r in rows if r.server == "floor"}
    ratios = [("server", "clients", "stage", "events/s ×", "p50 ×", "p99 ×")]
    for r in rows:
        floor = floors.get((r.clients, r.stage))
        if r.server != "floor" and floor is not None:
            ratios.append((r.server, str(r.clients), r.stage,
                           f"{r.accepted_per_s / floor.accepted_per_s:.2f}",
                           f"{r.p50_ms / floor.p50_ms:.2f}", f"{r.p99_ms / floor.p99_ms:.2f}"))
    if len(ratios) > 1:
        print()
        print("next to the floor (÷ floor):")
        _print_aligned(ratios, left={0, 2})


def _print_aligned(lines: list[tuple[str, ...]], left: set[int]) -> None:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for index, line in enumerate(lines):
        print("  ".join(cell.ljust(width) if i in left else cell.rjust(width)
                        for i, (cell, width) in enumerate(zip(line, widths, strict=True))))
        if index == 0:
            print("  ".join("-" * width for width in widths))


# --- a room of N at a person's pace, against a real `whytree host` ------------------------------

ROOM_SITUATION = "Our fifth graders get into trouble after school"


@dataclass
class RoomStage:
    name: str
    seconds: float
    events: int
    rejected: int
    cpu_percent: float
    """Share of one CPU the host process used (from /proc/<pid>/stat)."""
    rss_mean_mb: float
    rss_max_mb: float
    """The host's resident memory (VmRSS in /proc/<pid>/status), sampled twice a second."""
    p50_ms: float
    p99_ms: float
    """From a participant's send to its own event coming back."""


class RoomPerson:
    """A participant at a person's pace: reads everything, acts every few seconds."""

    def __init__(self, ws: Any, name: str, causes: list[str]) -> None:
        self.ws, self.name, self.causes = ws, name, causes
        self.inflight: dict[str, float] = {}
        self.round_trips: list[float] = []
        self.rejected = 0
        self.events = 0
        self.sent = 0
        self.dots: dict[str, int] = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for data in self.ws:
            frame = json.loads(data)
            if frame["type"] == "event":
                self.events += 1
                command = frame["command"]
                if command.get("type") == "add_cause" and command.get("id"):
                    if command["id"] not in self.causes:
                        self.causes.append(command["id"])
                sent = self.inflight.pop(command.get("op") or "", None)
                if sent is not None:
                    self.round_trips.append((time.monotonic() - sent) * 1000)
            elif frame["type"] == "rejected":
                self.inflight.pop(frame.get("op") or "", None)
                self.rejected += 1

    async def act(self, stage: str, rng: Any) -> None:
        self.sent += 1
        op = f"{self.name}-{self.sent}"
        if stage == "why" or not self.causes:
            parent = rng.choice(self.causes) if self.causes and rng.random() < 0.7 else None
            frame: dict[str, Any] = {"type": "add_cause", "op": op, "parent": parent,
                                     "text": f"Because of something {self.name} noticed ({self.sent})"}
        elif rng.random() < 0.6:  # a dot on or off, within the budget of 3
            cause = rng.choice(self.causes)
            dots = 1 - self.dots.get(cause, 0)
            if dots and sum(self.dots.values()) >= 3:
                cause, dots = next(c for c, d in self.dots.items() if d), 0
            self.dots[cause] = dots
            frame = {"type": "set_dots", "op": op, "cause": cause, "dots": dots}
        else:
            frame = {"type": "set_change", "op": op, "cause": rng.choice(self.causes),
                     "answer": rng.choice(["we", "others", "no"])}
        self.inflight[op] = time.monotonic()
        await self.ws.send(json.dumps(frame))


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` so far (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_room(count: int, args: argparse.Namespace) -> list[RoomStage]:
    """A room of `count` people on `count` screens against a real `whytree host` (the
    facilitator's own screen, on a pseudo-terminal, with the server in the same process;
    or `whytree serve` with `--room-with serve`, and the facilitator's screen left out):
    `--tuis` real `whytree join` screens and protocol clients for everyone else, each acting
    every 2-8 s (an answer in "why"; a dot or a "can it change?" in "weigh")."""
    import random

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_tui import WHYTREE, Terminal

    loop = asyncio.get_running_loop()
    rng = random.Random(30)
    folder = tempfile.mkdtemp(prefix="whytree-bench-room-")
    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", XDG_DATA_HOME=folder,
               XDG_CONFIG_HOME=folder, HOME=folder)
    port = _free_port()
    url = f"ws://127.0.0.1:{port}"
    host = Terminal([WHYTREE, args.room_with, "--port", str(port), "--bind", "127.0.0.1", "--data-dir",
                     str(Path(folder) / "data"), "--no-discovery", "--code", CODE,
                     "--facilitator-key", KEY, "--title", f"A room of {count}"], env)
    pid = host.process.pid
    people: list[RoomPerson] = []
    tuis: list[Any] = []
    fac: Facilitator | None = None
    try:
        deadline = time.monotonic() + 60
        while fac is None:
            try:
                fac = await Facilitator.join(url)
            except OSError:
                if time.monotonic() > deadline or host.process.poll() is not None:
                    raise SystemExit("`whytree host` did not start") from None
                await asyncio.sleep(0.2)
        await fac.do(type="set_situation", op="situation", text=ROOM_SITUATION, mode="problem")
        await fac.do(type="set_phase", op="phase-why", phase="why")
        tuis = await loop.run_in_executor(None, _start_tuis, url, args.tuis, ROOM_SITUATION)
        from websockets.asyncio.client import connect

        causes: list[str] = []
        for index in range(count - 1 - len(tuis)):  # the host's own screen is one of the room
            ws = await connect(url, compression=None, max_size=2**24, open_timeout=20)
            await ws.send(json.dumps({"type": "join", "code": CODE, "name": f"Person {index + 1}"}))
            await ws.recv()
            people.append(RoomPerson(ws, f"p{index}", causes))

        stages: list[RoomStage] = []
        plan = [("idle", args.room_seconds / 6), ("why", args.room_seconds / 2),
                ("weigh", args.room_seconds / 3)]
        for stage, seconds in plan:
            if stage == "weigh":
                await fac.do(type="set_phase", op="phase-weigh", phase="weigh")
            for person in people:
                person.round_trips.clear()
                person.rejected = 0
            events_before = people[0].events if people else 0
            cpu_before, started = _cpu_seconds(pid), time.monotonic()
            rss: list[float] = []
            stop_at = started + seconds

            async def pace(person: RoomPerson, stage: str = stage, stop_at: float = stop_at) -> None:
                while True:
                    wait = rng.uniform(2, 8)
                    if time.monotonic() + wait >= stop_at:
                        return
                    await asyncio.sleep(wait)
                    await person.act(stage, rng)

            actors = [asyncio.create_task(pace(person)) for person in people] if stage != "idle" else []
            while time.monotonic() < stop_at:
                rss.append(_rss_mb(pid))
                await asyncio.sleep(0.5)
            await asyncio.gather(*actors)
            elapsed = time.monotonic() - started
            cpu = _cpu_seconds(pid) - cpu_before
            trips = [trip for person in people for trip in person.round_trips]
            stages.append(RoomStage(
                name=stage, seconds=elapsed,
                events=(people[0].events - events_before) if people else 0,
                rejected=sum(person.rejected for person in people),
                cpu_percent=100 * cpu / elapsed, rss_mean_mb=statistics.fmean(rss),
                rss_max_mb=max(rss), p50_ms=percentile(trips, 0.5), p99_ms=percentile(trips, 0.99)))
        return stages
    finally:
        for person in people:
            await person.ws.close()
            person.reader.cancel()
        await asyncio.gather(*(person.reader for person in people), return_exceptions=True)
        if fac is not None:
            await fac.close()
        for terminal in tuis:
            terminal.close()
        host.close()


def print_room(count: int, tuis: int, with_: str, stages: list[RoomStage]) -> None:
    what = ("`whytree host` (the facilitator's screen and the server, one process)" if with_ == "host"
            else "`whytree serve` (the server alone)")
    print(f"A room of {count} against {what}: {tuis} `whytree join` screens, "
          f"{count - 1 - tuis} protocol clients, each acting every 2-8 s")
    lines: list[tuple[str, ...]] = [("stage", "seconds", "events", "events/s", "rejected", "host CPU",
                                     "RSS MB", "RSS max", "p50 ms", "p99 ms")]
    for st in stages:
        lines.append((st.name, f"{st.seconds:.0f}", str(st.events), f"{st.events / st.seconds:.1f}",
                      str(st.rejected), f"{st.cpu_percent:.1f} %", f"{st.rss_mean_mb:.1f}",
                      f"{st.rss_max_mb:.1f}", f"{st.p50_ms:.1f}", f"{st.p99_ms:.1f}"))
    _print_aligned(lines, left={0})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", default="10,50,100", help="comma-separated client counts")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each stage")
    parser.add_argument("--window", type=int, default=2, help="commands each client keeps in flight")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="commands a second per client, spread out (default: as fast as answered)")
    parser.add_argument("--workers", type=int, default=max(1, min(4, (os.cpu_count() or 2) - 1)),
                        help="client processes (the server has its own)")
    parser.add_argument("--keep-flood-limit", action="store_true",
                        help="keep the server's 20 commands/s per person limit")
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the floor (a bare websockets fan-out with the same clients)")
    parser.add_argument("--tuis", type=int, default=2,
                        help="real `whytree join` screens in the room, on pseudo-terminals (default 2)")
    parser.add_argument("--room", type=int, default=0,
                        help="instead: a room of this many people at a person's pace against a real "
                             "`whytree host`, measuring the host's CPU and memory")
    parser.add_argument("--room-with", choices=("host", "serve"), default="host",
                        help="what the room runs against: `whytree host` (the server and the "
                             "facilitator's screen, the default) or `whytree serve` (the server alone)")
    parser.add_argument("--room-seconds", type=float, default=60.0,
                        help="how long the room lasts (1/6 idle, 1/2 answering, 1/3 weighing)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="write a cProfile of each whytree server child into this folder")
    parser.add_argument("--serve-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--floor-sync", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-fsync-floor", action="store_true",
                        help="skip the floor with one fsync per batch before broadcast")
    args = parser.parse_args(argv)
    if args.serve_child is not None:
        serve_child(args.serve_child, args.keep_flood_limit)
        return 0
    if args.floor_child:
        floor_child(args.floor_sync)
        return 0
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        os.environ["WHYTREE_BENCH_PROFILE"] = str(args.profile.resolve())
    if args.room:
        print_room(args.room, args.tuis, args.room_with, asyncio.run(run_room(args.room, args)))
        return 0
    counts = [int(part) for part in args.clients.split(",") if part.strip()]
    load = f"{args.rate:g} commands/s per client" if args.rate > 0 else f"{args.window} in flight per client"
    print(f"whytree server benchmark: {args.seconds:g} s per stage, {load}, "
          f"{args.workers} client process(es), flood limit {'kept' if args.keep_flood_limit else 'lifted'}, "
          f"{os.cpu_count()} CPUs", flush=True)
    rows: list[Row] = []
    for count in counts:
        rows += asyncio.run(run_one(count, args))
        if not args.no_floor:
            rows += asyncio.run(run_one(count, args, "floor"))
            if not args.no_fsync_floor:
                rows += asyncio.run(run_one(count, args, "floor+fsync"))
    print()
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
