"""The room does not wait for the facilitator's screen: `whytree host` runs its server on
an event loop of its own.

The real host app (server inside, port 0, a temporary data folder) under Pilot. Its own
loop is held on purpose by a handler that blocks (as a long redraw of a big tree would);
meanwhile a participant -- a plain websockets client in a thread of its own, since the
test shares the app's loop -- adds an answer. The answer must come back accepted while
the app's loop is still held: the handler only lets go once it has (or after a long
while, which is the failure).
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

from conftest import CODE, FACILITATOR_KEY, WaitUntil
from websockets.sync.client import connect

from tests.commands import new_command
from whytree.server.app import ServerConfig
from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp
from whytree.tui.messages import SendCommand

SIZE = (100, 30)
HOLD_AT_MOST = 15.0
"""Seconds the blocking handler holds the app's loop at most (when the answer never comes
back while it holds: the failure this test is about)."""


async def test_a_participant_is_answered_while_the_host_screen_is_busy(
    tmp_path: Path, wait_until: WaitUntil
) -> None:
    config = ServerConfig(data_dir=tmp_path / "data", port=0, bind="127.0.0.1", title="Busy screen",
                          code=CODE, facilitator_key=FACILITATOR_KEY, advertise=False)
    host = WhytreeApp(name="Ana", host=config)
    async with host.run_test(size=SIZE):
        await wait_until(lambda: host.session_screen is not None, what="the hosted session")
        for command in (new_command(host, p.SetSituation, text="The bus stops at four"),
                        new_command(host, p.SetPhase, phase="why")):
            host.post_message(SendCommand(command))
            await wait_until(lambda: not host.mirror.outbox, what="the facilitator's command answered")
        assert host.server is not None
        url = host.server.local_url

        ben_in, held, answered, let_go = (threading.Event() for _ in range(4))

        def busy_screen() -> None:
            """A handler that keeps the app's loop to itself (a slow redraw, say)."""
            held.set()
            answered.wait(HOLD_AT_MOST)
            let_go.set()

        def ben_answers() -> tuple[dict[str, object], bool]:
            """Ben joins, then adds an answer while the host's screen is busy; his answer
            as it came back, and whether the host's loop was still held when it did."""
            with connect(url, compression=None, open_timeout=10) as ben:
                ben.send(json.dumps({"type": "join", "code": CODE, "name": "Ben"}))
                while json.loads(ben.recv(timeout=10))["type"] != "welcome":
                    pass
                ben_in.set()
                assert held.wait(HOLD_AT_MOST), "the host's loop was never held"
                ben.send(json.dumps({"type": "add_cause", "op": "ben-1", "parent": None,
                                     "text": "The buses are full"}))
                while True:
                    frame = json.loads(ben.recv(timeout=3 * HOLD_AT_MOST))
                    if frame.get("op") == "ben-1":
                        still_held = not let_go.is_set()
                        answered.set()
                        return frame, still_held

        try:
            ben = asyncio.ensure_future(asyncio.to_thread(ben_answers))
            await wait_until(lambda: ben_in.is_set() or ben.done(), what="Ben in")
            host.call_later(busy_screen)
            frame, still_held = await ben
        finally:
            answered.set()
            held.set()
        assert frame["type"] == "event", frame  # accepted ...
        assert still_held, "Ben's answer waited for the host's screen"  # ... without waiting
        # And the host's screen shows it once it is free again.
        await wait_until(lambda: host.mirror.state is not None and any(
            cause.text == "The buses are full" for cause in host.mirror.state.causes.values()),
            what="the answer on the host's screen")
