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

from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp
from whytree.tui.driver import AT_ONCE, PromptDriver

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the driver of Linux and macOS")


def read_now(fd: int) -> str:
    """What the pipe holds now (nothing waits)."""
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 1 << 20).decode()
    except BlockingIOError:
        return ""


@contextlib.contextmanager
def driver_on_a_pipe(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[PromptDriver, int]]:
    """A `PromptDriver` whose terminal is a pipe, with its writing thread made but not yet
    started (what it is handed waits, as behind a terminal slow to read)."""
    read_end, write_end = os.pipe()
    terminal = open(write_end, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    monkeypatch.setattr(sys, "__stderr__", terminal)
    driver = PromptDriver(WhytreeApp())
    driver._writer_thread = WriterThread(driver._file)  # as start_application_mode does
    try:
        yield driver, read_end
    finally:
        if driver._writer_thread.is_alive():
            driver._writer_thread.stop()
        terminal.close()
        os.close(read_end)


async def test_a_small_update_is_written_at_once_and_never_before_one_still_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with driver_on_a_pipe(monkeypatch) as (driver, terminal):
        driver.write("\x1b[2;1Hfirst row")
        assert read_now(terminal) == "\x1b[2;1Hfirst row"  # the thread never ran

        whole_screen = "x" * (AT_ONCE + 1)
        driver.write(whole_screen)  # to the thread, which has not written it yet
        driver.write("\x1b[3;1Hsecond row")
        assert read_now(terminal) == ""  # so the small one waits behind it

        writer = driver._writer_thread
        assert writer is not None
        writer.start()
        deadline = time.monotonic() + 10
        got = ""
        while len(got) < len(whole_screen) + len("\x1b[3;1Hsecond row") and time.monotonic() < deadline:
            got += read_now(terminal)
            await asyncio.sleep(0.01)
        assert got == whole_screen + "\x1b[3;1Hsecond row"

        driver.write("\x1b[4;1Hthird row")  # the thread has written all it was given
        assert read_now(terminal) == "\x1b[4;1Hthird row"


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
