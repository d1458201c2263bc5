"""How fast the terminal client feels: start to painted, and a key in one screen to the
answer painted on another, next to the floor that Textual and websockets set.

    .venv/bin/python benchmarks/bench_tui.py [--answers 0,500,2000] [--starts 5] [--keys 12] [--rounds 3]

Everything runs as a person would see it: real `whytree join` processes, each in its own
pseudo-terminal of 100×30 (what a terminal emulator gives them), against a real
`whytree serve` on 127.0.0.1 whose journal holds a tree of 0, 500 or 2,000 answers. The
script reads what each program writes to its terminal, as the terminal would, and times:

* **start**: from starting `whytree join URL --name .. --code ..` to the session (its
  situation) painted on the terminal;
* **key**: from the Enter that sends an answer in one participant's screen to that answer
  painted on another participant's screen;
* **resume**: a participant whose host went away (the server stopped) while the room made
  500 changes: from the screen's connection coming back (seen by a relay in front of the
  server) to the last change painted, and whether any state half-way was painted;
* **idle**: the share of one CPU an idle `whytree join`, an idle `whytree host` and the
  minimal Textual app use over a minute in which nothing happens.

In the same run it measures the **floor** for each: a minimal Textual app with a `Tree` of
the same shape (start), and two minimal Textual apps joined by a bare websockets relay, a
key in one adding a `Tree` node in the other (key), each timed in turn with whytree's (a
floor start, a whytree start, ...) so that both meet the same load. The table puts each
whytree number next to its floor, with the ratio; a second table puts `key` next to the
floor made durable (its relay syncs each message to a file on the disk before sending it
on, as whytree's host does with every change). It asserts nothing and is not part of the
test suite.

Bounded and local: only loopback, every wait has a deadline, every child is killed at the
end (and when the script is interrupted).
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import compileall
import contextlib
import fcntl
import os
import pty
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

COLS, ROWS = 100, 30
CODE = "424242"
KEY = "bench-tui-facilitator-key"
SITUATION = "Benchmark situation zqroot"
ANCHORS = 12
"""Leaf answers at the top of the tree; each measured key adds its answer under one of
them, last anchor first, so the new answer always lands in view (row <= ANCHORS + 2)."""
DEADLINE = 20.0
"""Seconds any single wait may take before the run gives up on it."""

HERE = Path(__file__).resolve()
PYTHON = sys.executable
SELF = [PYTHON, "-c",
        f"import sys; sys.path.insert(0, {str(HERE.parent)!r}); import bench_tui; bench_tui.main()"]
"""This script as a child (a floor app, the relay), imported rather than run as a file, so
that Python keeps it compiled as it keeps whytree (see `compile_ahead`)."""
WHYTREE = str(Path(PYTHON).with_name("whytree"))


# --- a program in a pseudo-terminal ------------------------------------------------------------

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC, DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]"  # other escapes
    r"|[\x00-\x08\x0b-\x1f\x7f]"
)


class Terminal:
    """A child process on its own pseudo-terminal of COLS×ROWS. A reader thread keeps the
    text it has written (escape sequences removed) with the time each piece arrived."""

    def __init__(self, argv: list[str], env: dict[str, str], cols: int = COLS, rows: int = ROWS) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        start_new_session=True, close_fds=True)
        os.close(slave)
        self._fd = master
        self._lock = threading.Lock()
        self._text = ""
        self._marks: list[tuple[int, float]] = []  # (length of text after a read, time)
        self._pending = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            now = time.perf_counter()
            data = self._pending + self._decoder.decode(chunk)
            cut = data.rfind("\x1b")
            if cut != -1 and len(data) - cut < 512 and not _ESCAPES.match(data, cut):
                data, self._pending = data[:cut], data[cut:]  # an escape split across reads
            else:
                self._pending = ""
            plain = _ESCAPES.sub("", data)
            with self._lock:
                self._text += plain
                self._marks.append((len(self._text), now))

    @property
    def position(self) -> int:
        with self._lock:
            return len(self._text)

    def wait_for(self, needle: str, after: int = 0, timeout: float = DEADLINE) -> float:
        """The time the text `needle` was first written after position `after`."""
        deadline = time.perf_counter() + timeout
        while True:
            with self._lock:
                found = self._text.find(needle, after)
                if found != -1:
                    end = found + len(needle)
                    return next(t for length, t in self._marks if length >= end)
            if time.perf_counter() > deadline or self.process.poll() is not None:
                tail = self._text[-400:] if self._text else ""
                raise TimeoutError(f"{needle!r} never appeared; the screen's last text: {tail!r}")
            time.sleep(0.001)

    def type(self, keys: str) -> float:
        os.write(self._fd, keys.encode())
        return time.perf_counter()

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        with contextlib.suppress(OSError):
            os.close(self._fd)


# --- the tree every measurement uses ----------------------------------------------------------


def tree_shape(answers: int) -> list[int | None]:
    """Parents (index into this list, or None for the situation) of `answers` answers: the
    anchors first, then a bushy tree up to six levels deep, the same in every run."""
    rng = random.Random(answers)
    parents: list[int | None] = [None] * min(ANCHORS, answers)
    depth: list[int] = [1] * len(parents)
    while len(parents) < answers:
        candidates = [i for i in range(ANCHORS, len(parents)) if depth[i] < 6]
        parent = rng.choice(candidates) if candidates and rng.random() < 0.8 else None
        parents.append(parent)
        depth.append(1 if parent is None else depth[parent] + 1)
    return parents


def answer_text(index: int) -> str:
    return f"Anchor {index + 1}" if index < ANCHORS else f"Answer {index + 1} about the situation"


def seed_journal(data_dir: Path, answers: int) -> None:
    """A journal holding a session in the "why" step with `answers` answers, written by the
    real hub (with a made-up clock, so the flood limit never bites) into the real journal."""
    from whytree.server.app import _initial_state
    from whytree.server.hub import Hub
    from whytree.server.journal import Journal
    from whytree.shared import protocol as p

    journal = Journal(data_dir)
    row = journal.create_session(session_id="bench", title="Benchmark", code=CODE, facilitator_key=KEY)
    hub = Hub(_initial_state(row), row.code, row.facilitator_key)
    now = time.time()
    hub.connect(1, "127.0.0.1", now)
    hub.receive(1, p.encode(p.Join(facilitator_key=KEY, name="Facilitator")), now)
    ops = iter(range(1, 10**6))

    def send(command: p.ClientCommand) -> None:
        nonlocal now
        now += 0.06  # under the flood limit of 20 a second
        hub.receive(1, p.encode(command), now)

    send(p.SetSituation(op=f"s{next(ops)}", text=SITUATION))
    send(p.SetPhase(op=f"s{next(ops)}", phase="why"))
    ids: list[str] = []
    for index, parent in enumerate(tree_shape(answers)):
        before = set(hub.state.causes)
        send(p.AddCause(op=f"s{next(ops)}", parent=None if parent is None else ids[parent],
                        text=answer_text(index)))
        (new_id,) = set(hub.state.causes) - before
        ids.append(new_id)
    hub.disconnect(1)
    journal.write(row.id, hub.take_unsaved())
    journal.close()


# --- the floor: minimal Textual apps and a bare relay -------------------------------------------


def floor_tree_app(answers: int, relay: str | None) -> None:
    """A minimal Textual app: a `Tree` of the benchmark's shape; with a relay, each message
    `k|text` adds `text` under anchor k."""
    from textual.app import App, ComposeResult
    from textual.widgets import Tree

    class TreeApp(App[None]):
        def compose(self) -> ComposeResult:
            tree: Tree[None] = Tree(SITUATION)
            tree.root.expand()
            nodes = []
            for index, parent in enumerate(tree_shape(answers)):
                under = tree.root if parent is None else nodes[parent]
                node = under.add(answer_text(index), expand=True)
                nodes.append(node)
            self.anchors = nodes[:ANCHORS]
            yield tree

        def on_mount(self) -> None:
            if relay is not None:
                self.run_worker(self.listen(), exclusive=True)

        async def listen(self) -> None:
            from websockets.asyncio.client import connect

            async with connect(relay) as ws:
                async for message in ws:
                    anchor, _, text = str(message).partition("|")
                    under = self.anchors[int(anchor)] if int(anchor) >= 0 else self.query_one(Tree).root
                    under.add_leaf(text)

    TreeApp().run()


def floor_input_app(relay: str) -> None:
    """A minimal Textual app: an `Input`; Enter sends its text to the relay."""
    from textual.app import App, ComposeResult
    from textual.widgets import Input

    class InputApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Input(placeholder="type")

        async def on_mount(self) -> None:
            from websockets.asyncio.client import connect

            self.ws = await connect(relay)

        async def on_input_submitted(self, event: Input.Submitted) -> None:
            await self.ws.send(event.value)
            event.input.value = ""

    InputApp().run()


def relay_child(sync_to: str | None = None) -> None:
    """A bare websockets relay on 127.0.0.1: every message goes to every other connection.
    A message that starts with `SYNCED` (which it drops) is first appended to the file
    `sync_to` and synced to the disk, in a thread of its own, as whytree's journal commits
    a change before anyone sees it. Prints its port; exits when its stdin closes."""
    from concurrent.futures import ThreadPoolExecutor

    from websockets.asyncio.server import broadcast, serve
    from websockets.exceptions import ConnectionClosed

    journal = os.open(sync_to, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if sync_to else None
    writer = ThreadPoolExecutor(max_workers=1)

    def durable(message: str) -> None:
        assert journal is not None
        os.write(journal, message.encode() + b"\n")
        os.fdatasync(journal)

    async def main() -> None:
        peers = set()
        loop = asyncio.get_running_loop()

        async def handler(ws):  # type: ignore[no-untyped-def]
            peers.add(ws)
            try:
                async for message in ws:
                    if journal is not None and str(message).startswith(SYNCED):
                        message = str(message).removeprefix(SYNCED)
                        await loop.run_in_executor(writer, durable, message)
                    broadcast([peer for peer in peers if peer is not ws], message)
            except ConnectionClosed:
                pass
            finally:
                peers.discard(ws)

        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            print(next(iter(server.sockets)).getsockname()[1], flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(main())


# --- running the measurements ---------------------------------------------------------------------


class Children:
    """Every child process started, killed at the end."""

    def __init__(self) -> None:
        self.terminals: list[Terminal] = []
        self.processes: list[subprocess.Popen[str]] = []
        self.folders: list[str] = []

    def terminal(self, argv: list[str], env: dict[str, str]) -> Terminal:
        terminal = Terminal(argv, env)
        self.terminals.append(terminal)
        return terminal

    def close(self) -> None:
        for terminal in self.terminals:
            terminal.close()
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)
        for folder in self.folders:
            shutil.rmtree(folder, ignore_errors=True)
        self.terminals.clear()
        self.processes.clear()
        self.folders.clear()


def _server(children: Children, data_dir: Path, env: dict[str, str], port: int = 0) -> str:
    argv = [WHYTREE, "serve", "--data-dir", str(data_dir), "--port", str(port), "--bind", "127.0.0.1",
            "--code", CODE, "--facilitator-key", KEY, "--no-discovery"]
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=env)
    children.processes.append(process)
    assert process.stdout is not None
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        match = re.search(r"port:\s+(\d+)", line)
        if match:
            return f"ws://127.0.0.1:{match.group(1)}"
    raise RuntimeError("whytree serve did not say its port")


def _join(children: Children, url: str, name: str, env: dict[str, str]) -> Terminal:
    """`whytree join` as a laptop of its own: a data folder of its own, so that it is not
    taken for the person who joined before it from the same folder (who it was is kept)."""
    home = tempfile.mkdtemp(prefix="whytree-bench-laptop-")
    children.folders.append(home)
    own = dict(env, XDG_DATA_HOME=home, XDG_CONFIG_HOME=home, HOME=home)
    return children.terminal([WHYTREE, "join", url, "--name", name, "--code", CODE], own)


Times = tuple[list[float], list[float]]
"""Start times and key times, in milliseconds."""


def measure(answers: int, starts: int, keys: int, env: dict[str, str]) -> tuple[Times, Times, list[float]]:
    """Start and key times (ms) for whytree with a tree of `answers` answers, and for the
    floor with a tree of the same shape; and the floor's key times with each change made
    durable first. They are timed in turn -- a floor start, a whytree start, a floor key,
    a whytree key, a durable floor key... -- so that all meet the same load on a busy
    machine, and their ratios mean something."""
    children = Children()
    try:
        with tempfile.TemporaryDirectory(prefix="whytree-bench-") as folder:
            data_dir = Path(folder) / "host"
            seed_journal(data_dir, answers)  # `main` leaves room for the timed answers
            url = _server(children, data_dir, env)
            relay = subprocess.Popen([*SELF, "--relay", "--sync-to", str(Path(folder) / "floor.log")],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
            children.processes.append(relay)
            assert relay.stdout is not None
            relay_url = f"ws://127.0.0.1:{relay.stdout.readline().strip()}"

            ours_start, floor_start = [], []
            for index in range(starts):
                terminal = children.terminal([*SELF, "--floor-tree", str(answers)], env)
                floor_start.append((terminal.wait_for(SITUATION) - terminal.started) * 1000)
                terminal.close()
                terminal = _join(children, url, f"Starter {index + 1}", env)
                ours_start.append((terminal.wait_for(SITUATION) - terminal.started) * 1000)
                terminal.close()

            receiver = children.terminal(
                [*SELF, "--floor-tree", str(answers), "--relay-url", relay_url], env)
            sender = children.terminal([*SELF, "--floor-input", relay_url], env)
            author = _join(children, url, "Ana", env)
            watcher = _join(children, url, "Ben", env)
            for terminal in (receiver, author, watcher):
                terminal.wait_for(SITUATION)
            sender.wait_for("type")
            time.sleep(0.5)  # let them settle (presence, first paint)
            ours_key, floor_key, synced_key = [], [], []
            for rep in range(min(keys, ANCHORS)):
                floor_key.append(_floor_key(sender, receiver, answers, rep))
                ours_key.append(_whytree_key(author, watcher, answers, rep))
                synced_key.append(_floor_key(sender, receiver, answers, rep, synced=True))
            return (ours_start, ours_key), (floor_start, floor_key), synced_key
    finally:
        children.close()


def _whytree_key(author: Terminal, watcher: Terminal, answers: int, rep: int) -> float:
    """Milliseconds from the Enter that sends an answer in `author` to it painted in
    `watcher`. Under the last anchor first, so every new answer lands in view (with no
    anchors, the empty tree, under the situation)."""
    anchor = min(ANCHORS, answers) - rep
    marker = f"zq{answers}r{rep}x"
    author.type("\x1b[A" * (ANCHORS + 3))  # up to the situation
    author.type("\x1b[B" * max(anchor, 0))  # down to the anchor
    time.sleep(0.05)  # (a key right behind a burst of arrows can be lost)
    mark = author.position
    author.type("w")
    author.wait_for("Escape cancels", after=mark)
    author.type(marker)
    author.wait_for(marker, after=mark)
    time.sleep(0.05)
    seen_from = watcher.position
    sent = author.type("\r")
    painted = watcher.wait_for(marker, after=seen_from)
    time.sleep(0.1)
    return (painted - sent) * 1000


def _floor_key(sender: Terminal, receiver: Terminal, answers: int, rep: int, *,
               synced: bool = False) -> float:
    """The same for the floor: `anchor|text` typed in the sender's `Input`, Enter, the
    text painted as a new node under that anchor in the receiver's `Tree`. `synced`: the
    relay first writes it to a file and syncs that to the disk."""
    anchor = min(ANCHORS, answers) - rep - 1 if answers else -1
    marker = f"f{'s' if synced else 'l'}{answers}r{rep}x"
    mark = sender.position
    sender.type(f"{SYNCED if synced else ''}{anchor}|{marker}")
    sender.wait_for(marker, after=mark)
    time.sleep(0.05)
    seen_from = receiver.position
    sent = sender.type("\r")
    painted = receiver.wait_for(marker, after=seen_from)
    time.sleep(0.1)
    return (painted - sent) * 1000


SYNCED = "SYNCED:"
"""What the floor's sender puts before a message the relay must make durable first."""

MISSED = 500
"""Events a participant misses while away, for the `resume` row."""


class Relay:
    """A TCP relay on 127.0.0.1 in front of the server, in a thread of its own: it notes
    when each connection arrives (a screen coming back), and passes bytes both ways."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.accepted: list[float] = []
        """When each connection arrived (`time.perf_counter`)."""
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.accepted.append(time.perf_counter())
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=2)
            except OSError:
                client.close()  # the server is down: the screen tries again later
                continue
            upstream.settimeout(None)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._listener.close()


def append_missed(data_dir: Path, first: str, last: str) -> int:
    """Write `MISSED` events into the journal of a stopped server, as the room would while
    a participant was away: `first`, an answer under the first anchor (in view), then
    answers under the situation (below the view), then `first` edited to read `last`.
    Returns the number of events written."""
    from whytree.server.app import _replayed
    from whytree.server.journal import Journal
    from whytree.shared import protocol as p

    journal = Journal(data_dir)
    row = journal.latest_open_session()
    assert row is not None
    hub = _replayed(journal, row)
    seq = hub.state.seq
    now = time.time()
    hub.connect(1, "127.0.0.1", now)
    hub.receive(1, p.encode(p.Join(facilitator_key=KEY, name="Facilitator")), now)
    ops = iter(range(1, 10**6))

    def send(command: p.ClientCommand) -> None:
        nonlocal now
        now += 0.06  # under the flood limit of 20 a second
        hub.receive(1, p.encode(command), now)

    anchor = next((c.id for c in hub.state.causes.values() if c.text == answer_text(0)), None)
    send(p.AddCause(op=f"m{next(ops)}", parent=anchor, text=first))
    (added,) = [c.id for c in hub.state.causes.values() if c.text == first]
    while hub.state.seq < seq + MISSED - 1:
        send(p.AddCause(op=f"m{next(ops)}", parent=None, text=f"Missed answer {next(ops)}"))
    send(p.EditCause(op=f"m{next(ops)}", cause=added, text=last))
    hub.disconnect(1)
    journal.write(row.id, hub.take_unsaved())
    journal.close()
    return hub.state.seq - seq


def measure_resume(answers: int, env: dict[str, str]) -> tuple[float, int, bool]:
    """A participant whose host went away (the server stopped) while the room went on by
    `MISSED` events: milliseconds from the screen's connection coming back to the last
    missed event painted, the events missed, and whether a state half-way was painted."""
    children = Children()
    relay: Relay | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="whytree-bench-") as folder:
            data_dir = Path(folder) / "host"
            seed_journal(data_dir, answers)
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            _server(children, data_dir, env, port)
            server = children.processes[-1]
            relay = Relay(port)
            watcher = _join(children, f"ws://127.0.0.1:{relay.port}", "Ben", env)
            watcher.wait_for(SITUATION)
            time.sleep(0.5)
            server.kill()
            server.wait(5)
            watcher.wait_for("reconnecting")
            first, last = f"zq{answers}firstmissed", f"zq{answers}lastmissed"
            missed = append_missed(data_dir, first, last)
            mark = watcher.position
            _server(children, data_dir, env, port)
            painted = watcher.wait_for(last, after=mark, timeout=DEADLINE * 2)
            back = max(t for t in relay.accepted if t <= painted)
            with watcher._lock:
                half_way = watcher._text.find(first, mark) != -1
            return (painted - back) * 1000, missed, half_way
    finally:
        if relay is not None:
            relay.close()
        children.close()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, in seconds) process `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_idle(seconds: float, env: dict[str, str]) -> list[tuple[str, float]]:
    """Share of one CPU an idle `whytree join` and an idle `whytree host` use over `seconds`
    (nothing happens in the session meanwhile), and the floor's minimal `Tree` app."""
    children = Children()
    try:
        with tempfile.TemporaryDirectory(prefix="whytree-bench-") as folder:
            data_dir = Path(folder) / "host"
            seed_journal(data_dir, 50)
            url = _server(children, data_dir, env)
            join = _join(children, url, "Idle", env)
            host = children.terminal([WHYTREE, "host", "--data-dir", str(Path(folder) / "h2"),
                                      "--port", "0", "--bind", "127.0.0.1", "--no-discovery",
                                      "--code", CODE], env)
            floor = children.terminal([*SELF, "--floor-tree", "50"], env)
            join.wait_for(SITUATION)
            host.wait_for("no situation yet")
            floor.wait_for(SITUATION)
            time.sleep(3)  # past the first paint and the welcome's presence settling
            watched = {"join": join, "host": host, "floor": floor}
            before = {name: cpu_seconds(t.process.pid) for name, t in watched.items()}
            time.sleep(seconds)
            return [(name, (cpu_seconds(t.process.pid) - before[name]) / seconds * 100)
                    for name, t in watched.items()]
    finally:
        children.close()


def _stats(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def _rows(answers: int, what: str, ours: list[float], floor: list[float]) -> Iterator[str]:
    o50, o95, omax = _stats(ours)
    f50, f95, fmax = _stats(floor)
    yield (f"{what:<6} {answers:>7} {len(ours):>3}  {o50:>8.1f} {o95:>8.1f} {omax:>8.1f}   "
           f"{f50:>8.1f} {f95:>8.1f} {fmax:>8.1f}   {o50 / f50:>6.2f}× {o95 / f95:>6.2f}×")


def compile_ahead(env: dict[str, str]) -> None:
    """Compile whytree's modules and this script once, before timing anything. Python keeps
    each module it imports compiled (in `__pycache__`), so a person's every start after the
    first skips compiling; a machine that forbids writing those files
    (PYTHONDONTWRITEBYTECODE) would otherwise make every timed start compile all of
    whytree's code again, which no laptop in a room does."""
    root = HERE.parent.parent
    for package in ("shared", "server", "tui"):
        compileall.compile_dir(root / package, quiet=1)
    compileall.compile_file(HERE, quiet=1)
    env.pop("PYTHONDONTWRITEBYTECODE", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", default="0,500,2000", help="tree sizes (comma-separated)")
    parser.add_argument("--starts", type=int, default=5, help="starts timed per size")
    parser.add_argument("--keys", type=int, default=ANCHORS,
                        help=f"answers timed per size (at most {ANCHORS})")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of keys per size, each on fresh screens and a fresh session "
                             f"(at most {ANCHORS} answers fit in view in one): the p95 of 12 keys "
                             "is the second slowest, of 36 the fourth")
    parser.add_argument("--resumes", type=int, default=3,
                        help=f"resumes timed per size (a screen back after {MISSED} missed events)")
    parser.add_argument("--idle", type=float, default=60.0,
                        help="seconds to measure idle screens' CPU (0: skip)")
    parser.add_argument("--floor-tree", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--relay-url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--floor-input", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--relay", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sync-to", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_tree is not None:
        return floor_tree_app(args.floor_tree, args.relay_url)
    if args.floor_input is not None:
        return floor_input_app(args.floor_input)
    if args.relay:
        return relay_child(args.sync_to)

    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor", LANG="C.UTF-8")
    home = tempfile.mkdtemp(prefix="whytree-bench-home-")
    env.update(XDG_DATA_HOME=home, XDG_CONFIG_HOME=home, XDG_CACHE_HOME=home, HOME=home)
    compile_ahead(env)
    from whytree.shared.protocol import MAX_CAUSES

    keys = min(args.keys, ANCHORS)
    # A session holds at most MAX_CAUSES answers: the largest tree is seeded so that it
    # reaches that with the timed answers.
    sizes = [min(int(size), MAX_CAUSES - keys) for size in args.answers.split(",")]
    print(f"terminal {COLS}×{ROWS}; times in ms; floor = minimal Textual apps (+ bare websockets relay)")
    print(f"{'what':<6} {'answers':>7} {'n':>3}  {'p50':>8} {'p95':>8} {'max':>8}   "
          f"{'floor50':>8} {'floor95':>8} {'floormax':>8}   {'×p50':>7} {'×p95':>7}")
    resumes: list[str] = []
    synced_rows: list[str] = []
    for answers in sizes:
        (start, key), (floor_start, floor_key), synced_key = measure(answers, args.starts, keys, env)
        for _ in range(args.rounds - 1):
            (_, more), (_, floor_more), synced_more = measure(answers, 0, keys, env)
            key, floor_key, synced_key = key + more, floor_key + floor_more, synced_key + synced_more
        for line in (*_rows(answers, "start", start, floor_start), *_rows(answers, "key", key, floor_key)):
            print(line, flush=True)
        synced_rows.extend(_rows(answers, "key", key, synced_key))
        if args.resumes:
            # The session holds at most MAX_CAUSES answers, the missed ones too.
            base = max(0, min(answers, MAX_CAUSES - MISSED - keys))
            runs = [measure_resume(base, env) for _ in range(args.resumes)]
            times = [ms for ms, _, _ in runs]
            o50, o95, omax = _stats(times)
            half_way = sum(1 for _, _, seen in runs if seen)
            resumes.append(f"{'resume':<6} {base:>7} {len(runs):>3}  {o50:>8.1f} {o95:>8.1f} {omax:>8.1f}   "
                           f"{runs[0][1]} events missed; a state half-way painted in {half_way} of "
                           f"{len(runs)}")
    print("\nkey next to a floor that also makes each change durable (its relay writes it to a file "
          "and syncs that to the disk before sending it on, as whytree's host does)")
    for line in synced_rows:
        print(line, flush=True)
    if resumes:
        print(f"\nresume: from the screen's connection back (after the host was away while the room "
              f"made {MISSED} changes) to the last change painted; target 300 ms, nothing half-way")
        for line in resumes:
            print(line, flush=True)
    if args.idle:
        print(f"\nidle: share of one CPU over {args.idle:.0f} s with nothing happening "
              f"(resolution {100 / os.sysconf('SC_CLK_TCK') / args.idle:.2f} %)")
        for name, share in measure_idle(args.idle, env):
            print(f"idle   {name:<6} {share:>6.2f} %", flush=True)


if __name__ == "__main__":
    main()
