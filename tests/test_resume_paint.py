"""Back from a drop, a screen shows everything it missed at once, never a state half-way.

A laptop whose Wi-Fi dropped for a few minutes comes back to a session that went on: the
server sends `welcome` (with the newest event's `seq` in `latest`) and every event missed.
The app applies them all to its copy of the session before it shows anything: the tree,
the rest of the screen and the "connected" line change once, together, when the last
missed event is in -- not once per read of the socket, each showing a state the room had
left minutes ago.

The test runs the real server, a scripted facilitator and a real Textual app joined
through a relay it can cut (`test_batching.Relay`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from conftest import CODE, FACILITATOR_KEY, MakeServer, WaitUntil
from netclient import NetClient
from test_batching import Relay

from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.shared.mirror import Received
from whytree.shared.protocol import Limits
from whytree.tui.app import WhytreeApp

MISSED = 500
"""Answers the room adds while the app is away."""


@pytest.fixture
async def room(make_server: MakeServer) -> AsyncIterator[tuple[Server, NetClient, Relay]]:
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


async def test_a_resume_of_500_events_is_shown_once_with_all_of_them(
    room: tuple[Server, NetClient, Relay], wait_until: WaitUntil
) -> None:
    server, fran, relay = room
    url = await relay.start()
    app = WhytreeApp(url, name="Ann", code=CODE, discover=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(lambda: app.session_screen is not None and app.mirror.state is not None,
                         what="Ann in the session")
        screen = app.session_screen
        assert screen is not None and app.link is not None
        relay.open = False
        relay.cut()
        await wait_until(lambda: app.link is not None and not app.link.joined, what="the link down")
        for i in range(MISSED):
            await fran.ok(p.AddCause(op="x", parent=None, text=f"Reason {i}"))
        await asyncio.sleep(0.1)

        shown: list[tuple[int, int]] = []
        """(events in the batch, answers in the tree before it) for each update of the screen."""
        said_connected: list[int] = []
        """Answers in the tree each time the status line said "connected"."""
        follow, connected = screen.follow, screen.status_line.connected

        def counted_follow(received: Received) -> None:
            shown.append((len(received.applied), len(screen.cause_tree.root.children)))
            follow(received)

        def counted_connected() -> None:
            said_connected.append(len(screen.cause_tree.root.children))
            connected()

        screen.follow = counted_follow  # type: ignore[method-assign]
        screen.status_line.connected = counted_connected  # type: ignore[method-assign]
        relay.open = True
        await wait_until(lambda: len(screen.cause_tree.root.children) == MISSED, timeout=30,
                         what="every missed answer in the tree")
        await pilot.pause()
        await asyncio.sleep(0.2)  # anything still queued for the screen is handled
        await pilot.pause()
        assert app.mirror.state is not None and app.mirror.state.seq == server.state.seq
        # One update of the screen, with every missed event (and the people coming and
        # going around them), made from a tree that showed none of them yet.
        assert len(shown) == 1, shown
        events, before = shown[0]
        assert events >= MISSED and before == 0
        # "connected" showed with the answers, not before them.
        assert said_connected == [MISSED]
