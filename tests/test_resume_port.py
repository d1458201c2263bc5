"""A restarted host keeps its address; when it cannot, everyone can follow it.

The real server restarted on the same data folder resumes on the port it had (even with
`--port 0`); when another program took that port, the host's screen says where the session
moved, and a participant's screen, reconnecting in vain, takes the new address with F2
and goes on as the same person, with what was typed meanwhile.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import CODE, MakeServer, WaitUntil

from tests.commands import new_command
from whytree.server.app import ServerConfig
from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp
from whytree.tui.messages import SendCommand
from whytree.tui.screens.relink import AddressScreen


@contextmanager
def taken(port: int) -> Iterator[None]:
    """Another program listening on `port` (it never answers)."""
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past the old TIME_WAITs
        other.bind(("127.0.0.1", port))
        other.listen()
        yield


async def test_a_resumed_session_listens_on_its_last_port(make_server: MakeServer) -> None:
    first = await make_server(port=0)
    port = first.port
    await first.stop()
    again = await make_server(port=0)  # `--port 0` again, as after a crash
    assert again.resumed and again.port == port and again.moved_from is None
    assert again.code == CODE


async def test_when_the_port_is_taken_the_host_says_where_it_moved(
    tmp_path: Path, make_server: MakeServer, wait_until: WaitUntil
) -> None:
    first = await make_server(port=0)
    port = first.port
    await first.stop()
    with taken(port):
        config = ServerConfig(data_dir=tmp_path / "data", port=0, bind="127.0.0.1", code=CODE,
                              advertise=False)
        host = WhytreeApp(host=config)
        async with host.run_test(size=(120, 35)):
            await wait_until(lambda: host.session_screen is not None, what="host in")
            server = host.server
            assert server is not None and server.resumed
            assert server.port != port and server.moved_from == port
            said = " ".join(str(n.message) for n in host._notifications)
            assert f"port {port}" in said and f"port {server.port}" in said
            banner = host.session_screen.banner if host.session_screen else None
            assert banner is not None and banner.urls == [f"ws://127.0.0.1:{server.port}"]


async def test_a_participant_types_the_new_address_and_keeps_their_place(
    make_server: MakeServer, wait_until: WaitUntil
) -> None:
    server = await make_server(port=0)
    port = server.port
    ben = WhytreeApp(url=server.local_url, name="Ben", code=CODE, discover=False)
    async with ben.run_test(size=(80, 24)) as keys:
        await wait_until(lambda: ben.session_screen is not None, what="Ben in")
        me = ben.mirror.me
        assert me is not None
        await server.stop()
        with taken(port):
            moved = await make_server(port=0)
            assert moved.port != port
            await wait_until(lambda: ben.link is not None and not ben.link.joined, what="link down")
            # Typed while offline: kept, and sent once back.
            ben.post_message(SendCommand(new_command(ben, p.SetDone, done=True)))
            await wait_until(lambda: len(ben.mirror.outbox) == 1, what="queued")
            await keys.press("f2")
            await wait_until(lambda: isinstance(ben.screen, AddressScreen), what="the address dialog")
            await keys.press(*["backspace"] * 30, *f"127.0.0.1:{moved.port}", "enter")
            await wait_until(lambda: ben.link is not None and ben.link.joined, timeout=10, what="back in")
            assert ben.mirror.me is not None and ben.mirror.me.id == me.id  # the same person
            await wait_until(lambda: moved.state.people[me.id].done, what="the offline change arrived")
            assert [person.name for person in moved.state.people.values()] == ["Ben"]
