"""The real server on port 0 with plain websockets clients: joining, commands, broadcast."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CODE, FACILITATOR_KEY
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from whytree.server.app import Server, ServerConfig

KEY = FACILITATOR_KEY


async def recv(ws: ClientConnection, timeout: float = 3.0) -> dict[str, Any]:
    data = await asyncio.wait_for(ws.recv(), timeout)
    frame: dict[str, Any] = json.loads(data)
    return frame


async def until(ws: ClientConnection, command_type: str) -> dict[str, Any]:
    """The next event of `command_type`, skipping others (people joining, ...)."""
    while (frame := await recv(ws))["type"] != "event" or frame["command"]["type"] != command_type:
        pass
    return frame


async def join(server: Server, **fields: Any) -> tuple[ClientConnection, dict[str, Any]]:
    ws = await connect(server.local_url, compression=None)
    await ws.send(json.dumps({"type": "join", **fields}))
    return ws, await recv(ws)


async def test_participant_and_facilitator_see_each_others_changes(server: Server) -> None:
    fac, welcome = await join(server, facilitator_key=KEY, name="Fran")
    assert welcome["type"] == "welcome" and welcome["you"]["role"] == "facilitator"
    ann, welcome = await join(server, code=f"{CODE[:3]} {CODE[3:]}", name="Ann")
    assert welcome["you"]["role"] == "participant"
    assert (await recv(fac))["command"]["type"] == "person_joined"

    await fac.send(json.dumps({"type": "set_phase", "op": "f1", "phase": "why"}))
    assert (await recv(fac))["command"]["phase"] == "why"
    assert (await recv(ann))["command"]["phase"] == "why"

    await ann.send(json.dumps({"type": "add_cause", "op": "a1", "parent": None,
                               "text": "No safe place \x1b]52;c;aGk=\x07to go"}))
    mine, theirs = await recv(ann), await recv(fac)
    assert mine["op"] == "a1" and mine["command"]["text"] == "No safe place to go"
    assert theirs["op"] is None and theirs["by"] == mine["by"]
    assert theirs["command"]["id"] == mine["command"]["id"]


async def test_wrong_code_is_refused_without_session_data(server: Server) -> None:
    ws, frame = await join(server, code="000000", name="Mallory")
    assert frame == {"type": "error", "code": "wrong_code", "message": frame["message"]}
    with pytest.raises(ConnectionClosed):
        await recv(ws)


async def test_participant_cannot_edit_someone_elses_answer(server: Server) -> None:
    fac, _ = await join(server, facilitator_key=KEY)
    await fac.send(json.dumps({"type": "set_phase", "op": "f1", "phase": "why"}))
    ann, _ = await join(server, code=CODE, name="Ann")
    bob, _ = await join(server, code=CODE, name="Bob")
    await ann.send(json.dumps({"type": "add_cause", "op": "a1", "parent": None, "text": "Ann's"}))
    cause = (await until(ann, "add_cause"))["command"]["id"]
    await until(bob, "add_cause")
    await bob.send(json.dumps({"type": "edit_cause", "op": "b1", "cause": cause, "text": "Bob's now"}))
    assert await recv(bob) == {"type": "rejected", "op": "b1", "reason": "not_allowed",
                               "message": "Only its author or the facilitator can edit an answer."}


async def test_browser_origin_is_refused(server: Server) -> None:
    with pytest.raises(InvalidStatus):
        await connect(server.local_url, origin="http://evil.example")  # type: ignore[arg-type]


async def test_restart_resumes_the_session_with_the_same_code(tmp_path: Path) -> None:
    config = ServerConfig(data_dir=tmp_path, port=0, bind="127.0.0.1", advertise=False)
    first = Server(config)
    await first.start()
    code, key = first.code, first.facilitator_key
    fac, _ = await join(first, facilitator_key=key)
    await fac.send(json.dumps({"type": "set_situation", "op": "s", "text": "Kids bored", "mode": "problem"}))
    await recv(fac)
    await fac.close()
    await first.stop()

    second = Server(config)
    await second.start()
    try:
        assert second.resumed and (second.code, second.facilitator_key) == (code, key)
        _, welcome = await join(second, code=code)
        assert welcome["state"]["situation"] == "Kids bored"
    finally:
        await second.stop()
