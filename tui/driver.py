"""The terminal driver: Textual's own, but a small update is written at once.

Textual's `LinuxDriver` hands every write to a thread of its own (`WriterThread`), so
that a terminal slow to read never holds up the app. The thread must then be woken, and
on a busy two-core laptop, with the other screens and the host painting at the same
moment, it often waited 1-3 ms for a core after the app had finished its repaint and gone
idle: the largest part of the slowest answers' way to the other screens
(`benchmarks/README.md`, "A fifth round").

`PromptDriver` writes an update of up to `AT_ONCE` characters itself, from the app's
thread, when nothing handed to the writing thread is still waiting to be written; anything
larger (a whole screen), or anything behind a write still waiting, goes to the thread as
before, so what reaches the terminal is always in the order it was written. An update
after a key is a few rows: a few hundred bytes, which the terminal's buffer takes at once.
"""

from __future__ import annotations

import logging
import threading
from typing import IO, Any

from textual.app import App
from textual.drivers.linux_driver import LinuxDriver

log = logging.getLogger(__name__)

AT_ONCE = 8192
"""The longest write (in characters) made from the app's own thread."""


class CountedFile:
    """The terminal as the writing thread sees it: its writes are counted, and each write
    or flush holds `lock`, so that the app's thread never writes in the middle of one."""

    def __init__(self, file: IO[str]) -> None:
        self.file = file
        self.lock = threading.Lock()
        self.written = 0
        """How many writes the writing thread has finished (or given up on)."""

    def write(self, text: str) -> int:
        with self.lock:
            try:
                return self.file.write(text)
            finally:
                self.written += 1

    def flush(self) -> None:
        with self.lock:
            self.file.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)


class PromptDriver(LinuxDriver):
    """`LinuxDriver`, writing a small update from the app's thread when it can."""

    def __init__(self, app: App[Any], **options: Any) -> None:
        super().__init__(app, **options)
        assert self._file is not None
        self.counted = CountedFile(self._file)
        self._file = self.counted  # type: ignore[assignment]  # the thread is made with it
        self.handed = 0
        """How many writes were handed to the writing thread."""

    def write(self, data: str) -> None:
        counted = self.counted
        if len(data) <= AT_ONCE and counted.lock.acquire(blocking=False):
            try:
                if counted.written == self.handed:  # nothing waits in the thread
                    self._write_now(counted.file, data)
                    return
            finally:
                counted.lock.release()
        self.handed += 1
        super().write(data)

    @staticmethod
    def _write_now(file: IO[str], data: str) -> None:
        try:
            file.write(data)
            file.flush()
        except OSError as exc:  # the terminal has gone: the app hears of it by a signal
            log.info("terminal: a write failed (%s)", exc)
