"""Shared fixtures: a real whytree server on port 0, and helpers for the TUI tests.

`server` starts the real `Server` (never a mock) on 127.0.0.1, port 0, in a temporary data
folder, with a fixed join code and facilitator key so screens are reproducible; it stops
the server after the test. `make_server` does the same for tests that need to start a
server again on the same data folder and port (a host that restarts).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from whytree.server.app import Server, ServerConfig

CODE = "246810"
FACILITATOR_KEY = "test-facilitator-key"

MakeServer = Callable[..., Awaitable[Server]]


@pytest.fixture
async def make_server(tmp_path: Path) -> AsyncIterator[MakeServer]:
    """Start real servers (stopped at the end); keyword arguments go to `ServerConfig`."""
    started: list[Server] = []

    async def make(**changes: object) -> Server:
        options: dict[str, object] = dict(
            data_dir=tmp_path / "data", port=0, bind="127.0.0.1", title="Test session",
            code=CODE, facilitator_key=FACILITATOR_KEY, advertise=False,
        )
        options.update(changes)
        server = Server(ServerConfig(**options))  # type: ignore[arg-type]
        await server.start()
        started.append(server)
        return server

    yield make
    for server in reversed(started):
        await server.stop()


@pytest.fixture
async def server(make_server: MakeServer) -> Server:
    """A real whytree server on 127.0.0.1, port 0, with code `CODE`."""
    return await make_server()


WaitUntil = Callable[..., Awaitable[None]]


@pytest.fixture
def wait_until() -> WaitUntil:
    """`await wait_until(predicate, timeout=10.0, what="...")`: poll until true, or fail (the
    default is generous: a wait that passes ends as soon as it can, and shared machines are slow)."""
    import asyncio
    import time

    async def wait(predicate: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or predicate}")
            await asyncio.sleep(0.02)

    return wait


def fill_database(db: sqlite3.Connection) -> None:
    """The journal's database as a full disk leaves it: no free page left to reuse (such as
    the room `Journal.make_room` leaves), and SQLite's `max_page_count` at its size, so the
    next write that needs a page fails with SQLite's real "database or disk is full"."""
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    if free:
        db.execute("CREATE TABLE IF NOT EXISTS filler (x)")
        db.execute("INSERT INTO filler VALUES (zeroblob(?))", (free * page_size,))
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
