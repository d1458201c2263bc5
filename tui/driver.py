"""The terminal driver: Textual's own, but a small update is written at once.

Textual's `LinuxDriver` hands every write to a thread of its own (`WriterThread`), so
that a terminal slow to read never holds up the app. The thread must then be woken, and
on a busy two-core laptop, with the other screens and the host painting at the same
moment, it often waited 1-3 ms for a core after the app had finished its repaint and gone
idle: the largest part of the slowest answers' way to the other screens
(`benchmarks/README.md`, "A fifth round").

`PromptDriver` writes an update of up to `AT_ONCE` bytes itself, from the app's thread,
when everything handed to the writing thread has been written (`Queue.unfinished_tasks`
counts what was handed, from any thread; `CountedFile` what was written). It writes
through a file description of its own on the terminal, opened non-blocking: a terminal
that has stopped reading never holds up the app (what does not fit goes to the thread),
and the writing thread's own file is never touched from two threads. Anything larger (a
whole screen), anything written from another thread (the input thread answers the
terminal's queries), and anything behind a write still waiting goes to the thread, as in
Textual; so what reaches the terminal is always in the order it was written. No lock is
held while writing: a ctrl+z (SIGTSTP, handled on the app's thread) arriving in the middle
of a write stops the writing thread as it would in Textual.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any, TextIO

from textual.app import App
from textual.drivers.linux_driver import LinuxDriver

AT_ONCE = 8192
"""The longest write (in bytes) made from the app's own thread."""


class CountedFile:
    """The terminal as one writing thread sees it: each write flushed at once and counted
    (so that, once `written` has caught up with what was handed over, everything handed
    over is on its way to the terminal). Bytes (what a write at once left over) are
    written as they are."""

    def __init__(self, file: TextIO) -> None:
        self.file = file
        self.written = 0

    def write(self, text: str | bytes) -> int:
        try:
            if isinstance(text, bytes):
                self.file.flush()
                count = self.file.buffer.write(text)
                self.file.buffer.flush()
                return count
            count = self.file.write(text)
            self.file.flush()
            return count
        finally:
            self.written += 1

    def flush(self) -> None:
        self.file.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)


class PromptDriver(LinuxDriver):
    """`LinuxDriver`, writing a small update from the app's thread when it can."""

    def __init__(self, app: App[Any], **options: Any) -> None:
        super().__init__(app, **options)
        assert self._file is not None
        self._terminal: TextIO = self._file
        self._counted: CountedFile | None = None
        self._app_thread = threading.get_ident()
        self._now_fd: int | None = None
        """The terminal, opened again non-blocking, for writes made at once."""

    def start_application_mode(self) -> None:
        self._counted = CountedFile(self._terminal)
        self._file = self._counted  # type: ignore[assignment]  # the new writing thread's
        if self._now_fd is None:  # (kept open until the driver goes: a ctrl+z in the
            # middle of a write closes and starts application mode again under it)
            self._now_fd = _open_non_blocking(self._terminal)
            if self._now_fd is not None:
                weakref.finalize(self, os.close, self._now_fd)
        super().start_application_mode()  # type: ignore[no-untyped-call]

    def write(self, data: str) -> None:
        writer, counted = self._writer_thread, self._counted
        if (self._now_fd is not None and writer is not None and counted is not None
                and threading.get_ident() == self._app_thread
                and counted.written == writer._queue.unfinished_tasks):
            rest = self._write_now(self._now_fd, data, self._terminal.encoding)
            if rest is None:
                return
            if rest:
                writer.write(rest)  # type: ignore[arg-type]  # (CountedFile takes bytes)
                return
        super().write(data)

    @staticmethod
    def _write_now(fd: int, data: str, encoding: str) -> bytes | None:
        """Write `data` to the terminal now: None when all of it was written, the bytes
        left over when only a part fitted, b"" when nothing was written."""
        encoded = data.encode(encoding, "backslashreplace")
        if len(encoded) > AT_ONCE:
            return b""
        try:
            count = os.write(fd, encoded)
        except OSError:  # full (BlockingIOError), or gone: the thread deals with it
            return b""
        return None if count == len(encoded) else encoded[count:]


def _open_non_blocking(terminal: TextIO) -> int | None:
    """A file description of its own on `terminal`, non-blocking; None when it is not a
    terminal or cannot be opened again."""
    try:
        name = os.ttyname(terminal.fileno())
        return os.open(name, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
