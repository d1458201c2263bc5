"""A scriptable whytree client over a real websocket, for tests.

It is the same `Mirror` the TUI uses, driven by a plain websockets connection: tests send
commands as a person would and wait for their outcome, and every raw frame received is kept
so a test can inspect exactly what reached this client.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect

from whytree.shared import protocol as p
from whytree.shared.mirror import Mirror
from whytree.shared.model import Session


class NetClient:
    """One person connected to a real server."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.mirror = Mirror()
        self.raw: list[str] = []
        """Every frame this client received, as sent."""
        self.ws: ClientConnection | None = None

    @property
    def state(self) -> Session:
        assert self.mirror.state is not None, "not joined"
        return self.mirror.state

    @property
    def id(self) -> str:
        assert self.mirror.me is not None, "not joined"
        return self.mirror.me.id

    async def join(self, **fields: Any) -> p.ServerFrame:
        self.ws = await connect(self.url, compression=None)
        await self.ws.send(self.mirror.join_frame(**fields), text=True)
        frame = await self._next()
        return frame

    async def _next(self, timeout: float = 5.0) -> p.ServerFrame:
        assert self.ws is not None
        data = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(data, str), "the server sends text frames"
        self.raw.append(data)
        return self.mirror.receive(data, time.time()).frame

    async def do(self, command: p.ClientCommand) -> p.Event | p.Rejected:
        """Send `command` (its op is replaced) and return its outcome."""
        assert self.ws is not None
        command = msgspec.structs.replace(command, op=self.mirror.new_op())
        await self.ws.send(self.mirror.command(command), text=True)
        while True:
            frame = await self._next()
            if isinstance(frame, p.Event | p.Rejected) and frame.op == command.op:
                return frame

    async def ok(self, command: p.ClientCommand) -> p.Event:
        """Send `command` and insist it was accepted."""
        outcome = await self.do(command)
        assert isinstance(outcome, p.Event), outcome
        return outcome

    async def catch_up(self, seq: int) -> None:
        """Read frames until this client has applied event `seq`."""
        while self.mirror.state is None or self.mirror.state.seq < seq:
            await self._next()

    def frames(self) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self.raw]

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
