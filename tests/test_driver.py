"""The terminal driver (`tui/driver.py`): a small update written at once, and what reaches
the terminal always in the order it was written; and the real app in a real terminal.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import fcntl
import io
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CODE, FACILITATOR_KEY
from netclient import NetClient
from textual.drivers._writer_thread import WriterThread
from textual.drivers.linux_driver import LinuxDriver

from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp
from whytree.tui.driver import AT_ONCE, PromptDriver

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the driver of Linux and macOS")


def read_bytes_now(fd: int) -> bytes:
    """What the terminal holds now (nothing waits)."""
    got = b""
    while select.select([fd], [], [], 0)[0]:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    return got


def read_now(fd: int) -> str:
    return read_bytes_now(fd).decode()


def read_until(fd: int, length: int) -> bytes:
    """`length` bytes from the terminal (or what came in 10 s)."""
    got = b""
    deadline = time.monotonic() + 10
    while len(got) < length and time.monotonic() < deadline:
        got += read_bytes_now(fd)
        time.sleep(0.005)
    return got


@contextlib.contextmanager
def driver_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[PromptDriver, int]]:
    """A `PromptDriver` on a pseudo-terminal (the file descriptor given is the terminal's
    other end, where what it shows is read), in application mode as far as writing goes:
    its writing thread made but not yet started (what it is handed waits, as behind a
    terminal slow to read)."""
    reader, slave = pty.openpty()
    attributes = termios.tcgetattr(slave)
    attributes[1] &= ~termios.OPOST  # (no "\n" turned into "\r\n": what was written, as it was)
    termios.tcsetattr(slave, termios.TCSANOW, attributes)
    terminal = open(slave, "w", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
    monkeypatch.setattr(sys, "__stderr__", terminal)
    driver = PromptDriver(WhytreeApp())
    monkeypatch.setattr(LinuxDriver, "start_application_mode",
                        lambda self: setattr(self, "_writer_thread", WriterThread(self._file)))
    driver.start_application_mode()
    try:
        yield driver, reader
    finally:
        writer = driver._writer_thread
        if writer is not None and writer.is_alive():  # (what it still has, read and dropped)
            stopped = threading.Event()
            drain = threading.Thread(target=lambda: [read_bytes_now(reader) for _ in iter(
                lambda: stopped.wait(0.005), True)])
            drain.start()
            writer.stop()
            stopped.set()
            drain.join()
        driver.close()
        terminal.close()
        os.close(reader)


async def test_a_small_update_is_written_at_once_and_never_before_one_still_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with driver_on_a_terminal(monkeypatch) as (driver, terminal):
        driver.write("\x1b[2;1Hfirst row")
        assert read_now(terminal) == "\x1b[2;1Hfirst row"  # the thread never ran

        whole_screen = "x" * (AT_ONCE + 1)
        driver.write(whole_screen)  # to the thread, which has not written it yet
        driver.write("\x1b[3;1Hsecond row")
        assert read_now(terminal) == ""  # so the small one waits behind it

        writer = driver._writer_thread
        assert writer is not None
        writer.start()
        expected = (whole_screen + "\x1b[3;1Hsecond row").encode()
        assert read_until(terminal, len(expected)) == expected

        driver.write("\x1b[4;1Hthird row")  # the thread has written all it was given
        assert read_now(terminal) == "\x1b[4;1Hthird row"


async def test_a_write_from_another_thread_goes_to_the_writing_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The input thread answers the terminal's queries with a write of its own: it never
    writes at once, so never at the same moment as the app's thread."""
    with driver_on_a_terminal(monkeypatch) as (driver, terminal):
        answer = threading.Thread(target=driver.write, args=("\x1b[?2048h",))
        answer.start()
        answer.join()
        assert read_now(terminal) == ""  # handed to the writing thread (not started)
        driver.write("\x1b[2;1Hrow")
        assert read_now(terminal) == ""  # and the app's write waits behind it
        writer = driver._writer_thread
        assert writer is not None
        writer.start()
        expected = b"\x1b[?2048h\x1b[2;1Hrow"
        assert read_until(terminal, len(expected)) == expected


async def test_a_terminal_that_stops_reading_never_holds_up_the_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Updates written while the terminal reads nothing and its buffer is full: each write
    returns at once (what does not fit waits in the writing thread, as in Textual), and
    all of it arrives, in order, once the terminal reads again."""
    with driver_on_a_terminal(monkeypatch) as (driver, terminal):
        writer = driver._writer_thread
        assert writer is not None
        writer.start()
        full = os.open(os.ttyname(sys.__stderr__.fileno()), os.O_WRONLY | os.O_NONBLOCK)
        filled = 0
        with contextlib.suppress(BlockingIOError):
            while True:
                filled += os.write(full, b"." * 1000)
        os.close(full)
        written, reading_began, early = threading.Event(), threading.Event(), bytearray()

        def read_if_stuck() -> None:  # (a write that waits for the terminal, let go)
            if not written.wait(5):
                reading_began.set()
                while not written.is_set():
                    early.extend(read_bytes_now(terminal))
                    time.sleep(0.005)

        watchdog = threading.Thread(target=read_if_stuck)
        watchdog.start()
        updates = [f"\x1b[{i % 30 + 1};1H{i:05d}" + "é" * 300 for i in range(25)]
        for update in updates:  # (Textual's writing thread queues up to 30)
            driver.write(update)
        written.set()
        watchdog.join()
        assert not reading_began.is_set(), "a write waited for the terminal to read"

        expected = b"." * filled + "".join(updates).encode()
        assert bytes(early) + read_until(terminal, len(expected) - len(early)) == expected


# --- the real app, in a real terminal -------------------------------------------------------

_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[P^_][^\x1b]*\x1b\\|[@-Z\\-_])")


class Terminal:
    """`whytree` in a pseudo-terminal of 100×30: the text it wrote, escapes left out."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        start_new_session=True, close_fds=True)
        os.close(slave)
        self.fd = master
        self.text = io.StringIO()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.text.write(decoder.decode(chunk))

    def shown(self) -> str:
        with self._lock:
            return _ESCAPES.sub("", self.text.getvalue())

    async def wait_for(self, needle: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.shown():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"{needle!r} never shown; last: {self.shown()[-600:]!r}")
            await asyncio.sleep(0.02)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.fd)


async def test_the_real_app_in_a_real_terminal_shows_each_answer(server: Server, tmp_path: Path) -> None:
    fran = NetClient(server.local_url)
    await fran.join(facilitator_key=FACILITATOR_KEY, name="Fran")
    await fran.ok(p.SetSituation(op="x", text="The bus to the centre is always late"))
    await fran.ok(p.SetPhase(op="x", phase="why"))
    env = dict(os.environ, TERM="xterm-256color", XDG_DATA_HOME=str(tmp_path), HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path))
    env.pop("TEXTUAL_DRIVER", None)
    ann = Terminal([sys.executable, "-m", "whytree.tui.cli", "join", server.local_url, "--name", "Ann",
                    "--code", CODE], env)
    try:
        await ann.wait_for("always late")
        for i in range(5):  # each a few rows, written at once from the app's own thread
            await fran.ok(p.AddCause(op="x", parent=None, text=f"Drivers leave early {i}"))
            await ann.wait_for(f"Drivers leave early {i}")
    finally:
        ann.close()
        await fran.close()
