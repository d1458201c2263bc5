"""Frames that arrive together are shown together: a resume of many events redraws once.

A laptop that slept comes back to a session that went on without it: the server sends
`welcome` and every event it missed at once. The app applies them all, then updates the
tree and refreshes the rest of the screen once for the whole batch, not once per event --
and what it shows is exactly what a full redraw of the same state shows.

These tests run the real server, a scripted facilitator and a real Textual app that joins
through a relay the test can cut, so that the app misses events and resumes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from conftest import CODE, FACILITATOR_KEY, MakeServer, WaitUntil
from netclient import NetClient
from textual.widgets.tree import TreeNode

from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.shared.model import Session
from whytree.shared.protocol import Limits
from whytree.tui.app import WhytreeApp
from whytree.tui.screens.session import Kinds, SessionScreen

MISSED = 150
"""Answers the room adds while the app is away."""


class Relay:
    """A TCP relay between the app and the real server that can cut every connection and
    turn new ones away for a while: a laptop whose lid is closed."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.open = True
        """False: new connections are closed at once (the laptop is still asleep)."""
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._accepted, "127.0.0.1", 0)
        return f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers += [writer, up_writer]
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while chunk := await source.read(65536):
                sink.write(chunk)
                await sink.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            sink.transport.abort()

    def cut(self) -> None:
        """Every connection through the relay breaks, without a close frame."""
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@pytest.fixture
async def room(make_server: MakeServer) -> AsyncIterator[tuple[Server, NetClient, Relay]]:
    # The facilitator types far faster than a person (the test's flood of answers).
    server = await make_server(limits=Limits(commands=(1e9, 1e9)))
    fran = NetClient(server.local_url)
    await fran.join(facilitator_key=FACILITATOR_KEY, name="Fran")
    await fran.ok(p.SetSituation(op="x", text="Our fifth graders get into trouble after school"))
    await fran.ok(p.SetPhase(op="x", phase="why"))
    relay = Relay(server.port)
    try:
        yield server, fran, relay
    finally:
        await fran.close()
        await relay.stop()


def causes(state: Session) -> dict[str, tuple[str | None, str]]:
    return {cause.id: (cause.parent, cause.text) for cause in state.causes.values()}


def lines(node: TreeNode[str], depth: int = 0) -> list[tuple[int, str | None, str, bool]]:
    """Every node below `node` as (depth, cause id, label, unfolded), in the order shown."""
    found = []
    for child in node.children:
        found.append((depth, child.data, str(child.label), child.is_expanded))
        found += lines(child, depth + 1)
    return found


async def away_and_back(app: WhytreeApp, server: Server, relay: Relay, wait_until: WaitUntil,
                        meanwhile: AsyncIterator[None] | None = None) -> tuple[SessionScreen, int]:
    """Cut the app's link, let `meanwhile` change the session, let the app resume; return
    its screen and how often the screen refreshed while catching up."""
    screen = app.session_screen
    assert screen is not None and app.link is not None
    refreshes = 0
    refresh = screen._refresh_around

    def counted(changed: Kinds | None = None) -> None:
        nonlocal refreshes
        refreshes += 1
        refresh(changed)

    relay.open = False
    relay.cut()
    await wait_until(lambda: app.link is not None and not app.link.joined, what="the link down")
    if meanwhile is not None:
        async for _ in meanwhile:
            pass
    await asyncio.sleep(0.1)
    screen._refresh_around = counted  # type: ignore[method-assign]
    relay.open = True
    await wait_until(lambda: app.mirror.state is not None and app.mirror.state.seq >= server.state.seq,
                     timeout=20, what="the app caught up")
    await asyncio.sleep(0.2)  # anything still queued for the screen is handled
    screen._refresh_around = refresh  # type: ignore[method-assign]
    return screen, refreshes


async def test_a_resume_of_many_events_refreshes_the_screen_once(
    room: tuple[Server, NetClient, Relay], wait_until: WaitUntil
) -> None:
    server, fran, relay = room
    url = await relay.start()
    app = WhytreeApp(url, name="Ann", code=CODE, discover=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: app.session_screen is not None and app.mirror.state is not None,
                         what="Ann in the session")

        async def answers() -> AsyncIterator[None]:
            for i in range(MISSED):
                await fran.ok(p.AddCause(op="x", parent=None, text=f"Reason {i}"))
                yield

        screen, refreshes = await away_and_back(app, server, relay, wait_until, answers())
        await pilot.pause()
        assert app.mirror.state is not None
        assert len(app.mirror.state.causes) == MISSED
        assert len(screen.cause_tree.node_for(None).children) == MISSED
        # One refresh for the batch (a second when the events came in two reads of the
        # socket), where it was one per event.
        assert 1 <= refreshes <= 5, refreshes


async def test_a_batch_shows_what_a_full_redraw_shows(
    room: tuple[Server, NetClient, Relay], wait_until: WaitUntil
) -> None:
    server, fran, relay = room
    first = await fran.ok(p.AddCause(op="x", parent=None, text="Nobody is at home"))
    assert isinstance(first.command, p.AddCause) and first.command.id is not None
    home = first.command.id
    url = await relay.start()
    app = WhytreeApp(url, name="Ann", code=CODE, discover=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: app.session_screen is not None and app.mirror.state is not None,
                         what="Ann in the session")

        async def changes() -> AsyncIterator[None]:
            """Every kind of change to the tree, each building on the ones before."""
            ids = []
            for i in range(12):
                parent = ids[i // 2] if i >= 2 else None
                event = await fran.ok(p.AddCause(op="x", parent=parent, text=f"Reason {i}"))
                assert isinstance(event.command, p.AddCause) and event.command.id is not None
                ids.append(event.command.id)
            await fran.ok(p.EditCause(op="x", cause=ids[3], text="Reason 3, said better"))
            await fran.ok(p.MoveCause(op="x", cause=ids[2], parent=home))
            await fran.ok(p.MergeCauses(op="x", cause=ids[4], into=ids[5]))
            await fran.ok(p.RemoveCause(op="x", cause=ids[1]))
            await fran.ok(p.RestoreCause(op="x", cause=ids[1]))
            await fran.ok(p.RemoveCause(op="x", cause=ids[0]))
            late = await fran.ok(p.AddCause(op="x", parent=ids[1], text="Added last"))
            assert isinstance(late.command, p.AddCause) and late.command.id is not None
            await fran.ok(p.MoveCause(op="x", cause=late.command.id, parent=None))
            yield

        screen, refreshes = await away_and_back(app, server, relay, wait_until, changes())
        await pilot.pause()
        assert refreshes <= 5, refreshes
        me = app.mirror.me
        assert me is not None and app.mirror.state is not None
        assert causes(app.mirror.state) == causes(server.state)
        batched = lines(screen.cause_tree.root)
        screen.cause_tree.show_state(app.mirror.state, me)  # the full redraw
        await pilot.pause()
        assert lines(screen.cause_tree.root) == batched
        assert len(batched) == len(server.state.causes)
