"""Anonymity that was on stays on for what was said then; presence ties nobody to anything.

The real server on port 0 and real websocket clients (`NetClient`, the `Mirror` the TUI
uses). What is checked is what reaches the other people in the room:

* whatever was sent while the session was anonymous is sent again (a resume from
  `since: 0`, a newcomer's welcome) without its author, `by` or op, also after the
  facilitator turned anonymity off;
* somebody who comes back to an anonymous session is not announced right before the
  commands their client resends;
* a link that drops and comes back again and again does not grow the journal.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from conftest import CODE, FACILITATOR_KEY, MakeServer, WaitUntil
from websockets.asyncio.client import connect

from tests.netclient import NetClient
from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.shared.protocol import Limits


async def joined(server: Server, **fields: Any) -> NetClient:
    client = NetClient(server.local_url)
    welcome = await client.join(**fields)
    assert isinstance(welcome, p.Welcome), welcome
    return client


async def raw_frames(server: Server, join: p.Join) -> list[dict[str, Any]]:
    """Join with exactly `join` and read until the last event the server has."""
    frames: list[dict[str, Any]] = []
    async with connect(server.local_url, compression=None) as ws:
        await ws.send(p.encode(join).decode())
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
            frames.append(frame)
            if frame["type"] == "welcome" and frame["state"] is not None:
                break  # a newcomer: the whole state, nothing after it
            if frame["type"] == "event" and frame["seq"] == server.state.seq:
                break
    return frames


def leaks(frames: list[dict[str, Any]], person: str, ops: set[str]) -> list[str]:
    """Everything in `frames` that names `person` as an author, or carries one of `ops`."""
    found: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("by", "author") and value == person:
                    found.append(f"{where}.{key}")
                if key == "op" and value in ops:
                    found.append(f"{where}.op")
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    for frame in frames:
        walk(frame, f"{frame['type']} {frame.get('seq')}")
    return found


async def test_what_was_said_anonymously_stays_anonymous_after_anonymity_is_turned_off(
    make_server: MakeServer,
) -> None:
    server = await make_server(anonymous=True)
    fac = await joined(server, facilitator_key=FACILITATOR_KEY, name="Fran")
    ann = await joined(server, code=CODE, name="Ann Quill")
    bob = await joined(server, code=CODE, name="Bo Rivet")
    await fac.ok(p.SetPhase(op=fac.mirror.new_op(), phase="why"))
    said = [await ann.ok(p.SetDone(op=ann.mirror.new_op(), done=True)),
            await ann.ok(p.AddCause(op=ann.mirror.new_op(), parent=None, text="Nobody listens"))]
    assert all(event.by == ann.id for event in said)  # Ann herself knows what is hers
    ann_ops = {event.op for event in said if event.op is not None}
    cause = said[1].command
    assert isinstance(cause, p.AddCause) and cause.id is not None
    await fac.ok(p.RemoveCause(op=fac.mirror.new_op(), cause=cause.id))
    await fac.ok(p.SetSettings(op=fac.mirror.new_op(), anonymous=False))
    assert not server.state.settings.anonymous
    await bob.catch_up(server.state.seq)

    # Bob comes back from the very start; a newcomer joins; Bob's own copy all along.
    token = bob.mirror.token
    from_start = await raw_frames(server, p.Join(code=CODE, token=token, since=0))
    assert from_start[0]["type"] == "welcome" and from_start[0]["state"] is None
    assert [f["seq"] for f in from_start[1:]] == list(range(1, server.state.seq + 1))
    newcomer = await raw_frames(server, p.Join(code=CODE, name="Cy Tam"))
    live = bob.frames()
    for frames in (from_start, newcomer, live):
        assert not leaks(frames, ann.id, ann_ops), leaks(frames, ann.id, ann_ops)
    added = [f for f in from_start if f["type"] == "event" and f["command"]["type"] == "add_cause"]
    assert added and added[0]["by"] is None and added[0]["command"]["op"] == "-"
    # Names are back for what comes after: that was the point of turning it off.
    assert from_start[-1]["command"]["names"][ann.id] == "Ann Quill"


async def test_coming_back_to_an_anonymous_session_is_not_announced_next_to_the_resent_command(
    make_server: MakeServer, wait_until: WaitUntil
) -> None:
    server = await make_server(anonymous=True, limits=Limits(presence_every=0.1, presence_settle=1.0))
    fac = await joined(server, facilitator_key=FACILITATOR_KEY, name="Fran")
    bob = await joined(server, code=CODE, name="Bo Rivet")
    ann = await joined(server, code=CODE, name="Ann Quill")
    await fac.ok(p.SetPhase(op=fac.mirror.new_op(), phase="why"))
    await ann.close()
    await wait_until(lambda: not server.state.people[ann.id].online, what="Ann shown away")

    # While away, Ann typed an answer; her client sends it again right after its welcome.
    ann.mirror.command(p.AddCause(op=ann.mirror.new_op(), parent=None, text="Buses stop at six"))
    welcome = await ann.join(code=CODE)
    assert isinstance(welcome, p.Welcome) and welcome.state is None
    assert ann.ws is not None
    for frame in ann.mirror.pending_frames():
        await ann.ws.send(frame, text=True)
    await wait_until(lambda: server.state.causes, what="the answer")
    await wait_until(lambda: server.state.people[ann.id].online, what="Ann shown back")
    await bob.catch_up(server.state.seq)

    events = [f for f in bob.frames() if f["type"] == "event"]
    kinds = [(f["command"]["type"], f["command"].get("person"), f["command"].get("online")) for f in events]
    added = next(i for i, f in enumerate(events) if f["command"]["type"] == "add_cause")
    back = kinds.index(("presence", ann.id, True))
    assert kinds[added - 1] != ("presence", ann.id, True), kinds
    assert back > added, kinds
    assert events[added]["by"] is None


async def test_a_link_that_keeps_dropping_does_not_grow_the_journal(
    make_server: MakeServer, wait_until: WaitUntil
) -> None:
    # Her 15 joins in a row would meet the limit of joins per person: lifted here.
    server = await make_server(limits=Limits(joins_per_person=(100.0, 10.0), presence_every=0.1,
                                             presence_settle=1.0))
    fac = await joined(server, facilitator_key=FACILITATOR_KEY, name="Fran")
    ann = await joined(server, code=CODE, name="Ann Quill")
    before = server.state.seq
    for _ in range(15):  # a phone on bad Wi-Fi
        await ann.close()
        again = await ann.join(code=CODE)
        assert isinstance(again, p.Welcome)
    await ann.close()
    await wait_until(lambda: not server.state.people[ann.id].online, what="Ann shown away")
    await fac.catch_up(server.state.seq)
    presence = [f["command"] for f in fac.frames() if f["type"] == "event" and f["seq"] > before]
    assert presence == [{"type": "presence", "person": ann.id, "online": False}]
    assert server.state.seq == before + 1
