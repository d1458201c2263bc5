"""`ServerThread`: a `Server` on an event loop of its own, in a thread of its own.

`whytree host` runs the server and the facilitator's screen in one process. On one event
loop, every redraw of the facilitator's screen (the whole tree, after a burst of answers)
held the server up: with 30 people, the room's round trips went from 17 ms to 110 ms, and
up to a second at the worst. So the host runs the server here, on its own loop in its own
thread, and the facilitator's screen joins it over the websocket like every other screen:
the server keeps its own pace whatever the screen is doing.

What crosses between the two threads, and how:

* `start()`, awaited on the caller's loop, returns once the server listens, or raises what
  `Server.start` raised (`JournalDamaged`, `JournalError`, `OSError` for a taken port...);
* what does not change after the start (`urls`, `port`, `facilitator_key`, `fingerprint`,
  ...) is read directly; `code` and `results_dir` are single attributes that the server's
  loop replaces whole, so a read gets the old value or the new one;
* whatever changes the server (`new_code`, `stop`) runs on the server's loop, and the
  caller awaits it on its own (`asyncio.wrap_future`); `snapshot()` copies the session
  there, so a copy is never taken halfway through an event;
* the server's notices (`ServerConfig.on_notice`) are handed to the caller's loop
  (`call_soon_threadsafe`): the server never waits for the screen;
* the journal is opened, written and closed by the server's thread (and the writer thread
  the server starts for its commits), never by the caller's.

One process still has one GIL: the server's thread runs Python between the screen's steps,
not beside them. While the screen draws, the server gets the interpreter back within
`SWITCH_INTERVAL` of asking (not the default 5 ms, at every socket read and write of a
round trip); what the screen costs the room then is a share of the processor, no longer
every redraw in full.

`stop()` stops the server on its loop, waits for the results being written, and returns
once the thread is over. `stop_now()` does the same from a thread with no loop (the
process is ending without the screen having stopped it: an interrupt). The thread is a
daemon, so a process that ends anyway is never kept alive by it; the journal makes an
abrupt end lose nothing that anyone was told about.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from whytree.shared.model import Session, deep_copy

from .app import Server, ServerConfig

log = logging.getLogger(__name__)

_T = TypeVar("_T")

STOP_NOW_TIMEOUT = 30.0
"""Seconds `stop_now` waits for the server to stop (it waits for the journal's last commit
and for the results being written; a hung disk must not keep the process forever)."""


def _uncancellable() -> concurrent.futures.Future[None]:
    """A future only the server's thread settles: a caller that stops waiting for it (an app
    quitting while the server starts) cancels its own wrapper, never this future."""
    future: concurrent.futures.Future[None] = concurrent.futures.Future()
    future.set_running_or_notify_cancel()
    return future


SWITCH_INTERVAL = 0.0005
"""Seconds a thread waits for the GIL before it asks the thread holding it to let go (the
default is 5 ms), while a server thread runs. The server lets go of the GIL at every
socket read and write; while the screen's thread is busy drawing, it takes the GIL each
time, and the server waited up to the whole interval to get it back, time after time in
one round trip. Shorter, the server is back within half a millisecond; switching more
often costs the drawing next to nothing."""


class ServerStopped(RuntimeError):
    """The server is not running (not started yet, or stopped): nothing was changed."""


class ServerThread:
    """A whytree `Server` running on its own event loop, in its own thread."""

    def __init__(self, config: ServerConfig) -> None:
        self._on_notice = config.on_notice
        self._server = Server(dataclasses.replace(config, on_notice=self._notice))
        self._thread: threading.Thread | None = None
        self._home: asyncio.AbstractEventLoop | None = None
        """The loop that started the server: notices are handed to it."""
        self._loop: asyncio.AbstractEventLoop | None = None
        """The server's own loop, while it runs."""
        self._switch_back: float | None = None
        """The process's GIL switch interval before the start (put back at the stop)."""
        self._stop_wanted = False
        self._wake: asyncio.Event | None = None
        self._over = _uncancellable()
        """Done when the server's loop has ended (with what `Server.stop` raised, if anything)."""

    # --- facts that do not change after the start (or change as one attribute) ------------

    @property
    def config(self) -> ServerConfig:
        return self._server.config

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def urls(self) -> list[str]:
        return self._server.urls

    @property
    def browser_urls(self) -> list[str]:
        return self._server.browser_urls

    @property
    def local_url(self) -> str:
        return self._server.local_url

    @property
    def code(self) -> str:
        return self._server.code

    @property
    def facilitator_key(self) -> str:
        return self._server.facilitator_key

    @property
    def fingerprint(self) -> str | None:
        return self._server.fingerprint

    @property
    def resumed(self) -> bool:
        return self._server.resumed

    @property
    def moved_from(self) -> int | None:
        return self._server.moved_from

    @property
    def results_dir(self) -> Path | None:
        return self._server.results_dir

    @property
    def running(self) -> bool:
        """Started and not stopped yet."""
        return self._loop is not None and not self._over.done()

    # --- start and stop ------------------------------------------------------------------

    async def start(self) -> None:
        """Start the server in its thread; return once it listens, or raise why it could not."""
        if self._thread is not None:
            raise RuntimeError("the server was started already")
        self._home = asyncio.get_running_loop()
        self._switch_back = sys.getswitchinterval()
        sys.setswitchinterval(min(SWITCH_INTERVAL, self._switch_back))
        listening = _uncancellable()
        self._thread = threading.Thread(target=self._run, args=(listening,), name="whytree-server",
                                        daemon=True)
        self._thread.start()
        try:
            await asyncio.wrap_future(listening)
        except BaseException:
            self._want_stop()
            self._restore_switch_interval()
            raise

    async def stop(self) -> None:
        """Stop the server (it waits for the results being written, if any) and its thread."""
        if self._thread is None:
            return
        self._want_stop()
        try:
            await asyncio.wrap_future(self._over)
        finally:
            self._restore_switch_interval()
        self._thread.join()  # its last step is done: the join does not wait

    def stop_now(self, timeout: float = STOP_NOW_TIMEOUT) -> None:
        """`stop`, for a thread with no event loop: blocks until the server has stopped."""
        thread = self._thread
        if thread is None:
            return
        self._want_stop()
        thread.join(timeout)
        if thread.is_alive():
            log.error("the server did not stop within %g s", timeout)
        self._restore_switch_interval()

    def _restore_switch_interval(self) -> None:
        switch_back, self._switch_back = self._switch_back, None
        if switch_back is not None and sys.getswitchinterval() == min(SWITCH_INTERVAL, switch_back):
            sys.setswitchinterval(switch_back)

    # --- asking the server -----------------------------------------------------------

    async def new_code(self) -> str:
        """A new join code for the session (`Server.new_code`, run on the server's loop).
        Raises `JournalError` (nothing changed), or `ServerStopped`."""
        return await self._on_server_loop(self._server.new_code)

    async def snapshot(self) -> Session:
        """A copy of the session as the server holds it, taken on the server's loop (after
        the stop: the session as the server left it)."""
        if self._over.done():
            return self._server.state
        return await self._on_server_loop(lambda: deep_copy(self._server.state))

    @property
    def state(self) -> Session:
        """The session as the server holds it: a copy taken on the server's loop, which the
        calling thread waits for (a moment: that loop is never held up), or after the stop
        the session as the server left it. For a look from outside; a caller on an event
        loop awaits `snapshot()` instead."""
        loop = self._loop
        if self._over.done() or loop is None or threading.current_thread() is self._thread:
            return self._server.state
        asked = self._submit(loop, lambda: deep_copy(self._server.state))
        either: list[concurrent.futures.Future[Any]] = [asked, self._over]
        concurrent.futures.wait(either, return_when=concurrent.futures.FIRST_COMPLETED)
        if asked.done():
            return asked.result()
        return self._server.state  # it stopped meanwhile: this is where it left off

    async def _on_server_loop(self, call: Callable[[], _T]) -> _T:
        """Run `call` on the server's loop and return what it returned (or raise what it
        raised), without holding up the caller's loop; `ServerStopped` if it is not running."""
        loop = self._loop
        if loop is None or self._over.done():
            raise ServerStopped("the server is not running")
        asked = asyncio.wrap_future(self._submit(loop, call))
        over = asyncio.wrap_future(self._over)
        try:
            either: list[asyncio.Future[Any]] = [asked, over]
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        finally:
            over.cancel()  # (only this wrapper: `_over` itself cannot be cancelled)
        if not asked.done():  # the loop ended before it ran the call
            asked.cancel()
            raise ServerStopped("the server stopped")
        return asked.result()

    @staticmethod
    def _submit(loop: asyncio.AbstractEventLoop, call: Callable[[], _T]) -> concurrent.futures.Future[_T]:
        asked: concurrent.futures.Future[_T] = concurrent.futures.Future()

        def run() -> None:
            if not asked.set_running_or_notify_cancel():
                return
            try:
                asked.set_result(call())
            except BaseException as exc:  # noqa: BLE001 - handed over to the caller as it is
                asked.set_exception(exc)

        try:
            loop.call_soon_threadsafe(run)
        except RuntimeError:  # the loop has closed
            asked.cancel()
        return asked

    # --- on the server's thread ----------------------------------------------------------

    def _run(self, listening: concurrent.futures.Future[None]) -> None:
        try:
            asyncio.run(self._serve(listening))
        except BaseException as exc:  # noqa: BLE001 - whoever awaits the stop hears of it
            if not listening.done():
                listening.set_exception(exc)
            self._over.set_exception(exc)
        else:
            self._over.set_result(None)
        finally:
            self._loop = None

    async def _serve(self, listening: concurrent.futures.Future[None]) -> None:
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        try:
            await self._server.start()
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            listening.set_exception(exc)
            return
        listening.set_result(None)
        try:
            if not self._stop_wanted:
                await self._wake.wait()
        finally:
            await self._server.stop()

    def _want_stop(self) -> None:
        """Ask the server's loop to stop the server (from any thread; once is enough)."""
        self._stop_wanted = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has ended already
                loop.call_soon_threadsafe(wake.set)

    def _notice(self, message: str) -> None:
        """A notice from the server (on its loop), handed to the loop that started it."""
        home, on_notice = self._home, self._on_notice
        if home is None or on_notice is None:
            return
        with contextlib.suppress(RuntimeError):  # that loop has ended: nobody is there to tell
            home.call_soon_threadsafe(on_notice, message)
