"""Snapshots of every step at 80×24 (an old laptop) and 120×35 (a projector), for the
facilitator and a participant, with texts as long as people type them.

A cut in any of them shows up as a diff: a 200-character situation, causes of more than
100 characters, a long name. At 80 columns the tree and the step's panel take turns
(`r`), so the panel steps (votes revealed, act, agree, closed) are shot showing the panel;
the others show the tree with its selected answer in full under it.

One real server serves the whole module: it runs in a thread of its own, because
`snap_compare` runs each app in its own event loop. The session moves forward one step at
a time (the tests run in step order; one picked alone brings the session up to its step
first), driven by plain websocket clients (`tests/netclient.py`) for the facilitator and
two participants. The facilitator shot is the facilitator's key on another screen; the
participant shot is Ben's own seat (his token, as his laptop would have kept it). Pings
are off and presence settles at once, so who is online is the same in every run.

Update after an intended change: `pytest tests/test_tui_snapshots_steps.py --snapshot-update`.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import CODE, FACILITATOR_KEY
from netclient import NetClient
from textual.pilot import Pilot
from textual.widgets import Input

from whytree.server.app import Server, ServerConfig
from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp
from whytree.tui.identities import Identities

T = TypeVar("T")

SITUATION = ("Our fifth graders get into trouble after school, and twice this spring a shop owner "
             "on Elm Street said he would call the police on them because nobody was around to "
             "pick them up")
HOME = ("Nobody is at home after school because both parents work until six or later, often "
        "in two jobs")
PROGRAMME = ("They are not in the after school programme because it costs forty dollars a week "
             "and has a waiting list")
PLAYGROUND = ("The school playground is locked at 3pm and there is no other safe place nearby "
              "where they can play")
BUDGET = ("Budget cuts. Positions for youth workers at the rec centre were cut two years ago and "
          "never came back")
GATE = ("Open the school playground until six with parent volunteers taking turns on a rota "
        "that the caretaker agrees to")
CITY = "Ask the city to bring back the youth worker positions at the rec centre"
LONG_NAME = "Maria-Fernanda Oyelaran-Whitcombe"

STEPS = ("describe", "why", "weigh-hidden", "weigh-revealed", "act", "agree", "closed")
PHASES = {"describe": "situation", "why": "why", "weigh-hidden": "weigh", "weigh-revealed": "weigh",
          "act": "act", "agree": "agree", "closed": "closed"}
SIZES = {"80x24": (80, 24), "120x35": (120, 35)}
PANEL_STEPS = ("weigh-revealed", "act", "agree")
"""Steps whose panel an 80-column shot shows (`r`); a closed session shows it by itself."""


class Room:
    """A real server in a thread of its own, and the session it holds, moved step by step."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        limits = p.Limits(ping_interval=None, presence_settle=0.0, presence_every=0.05,
                          joins_per_person=(1000.0, 100.0))
        self.server = Server(ServerConfig(
            data_dir=folder / "data", port=0, bind="127.0.0.1",
            title="Tuesday group at the Elm Street community centre", code=CODE,
            facilitator_key=FACILITATOR_KEY, advertise=False, limits=limits))
        self.run(self.server.start())
        self.url = self.server.local_url
        self.ana = NetClient(self.url)
        self.run(self.ana.join(facilitator_key=FACILITATOR_KEY, name="Ana"))
        self.chloe = NetClient(self.url)
        self.run(self.chloe.join(code=CODE, name=LONG_NAME))
        ben = NetClient(self.url)
        self.run(ben.join(code=CODE, name="Ben"))
        self.ben_token = ben.mirror.token
        self.run(ben.close())  # his seat is his laptop's, in the shots
        self.identities = Identities(folder / "ben")
        assert self.ben_token is not None
        self.identities.remember(self.url, self.ana.state.id, "participant", self.ben_token, "Ben")
        self.done = -1
        """The index in `STEPS` of the last step set up."""

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def up_to(self, step: str) -> None:
        """Bring the session up to `step` (steps only go forward)."""
        target = STEPS.index(step)
        assert target >= self.done, "the steps are shot in order"
        while self.done < target:
            self.done += 1
            self.run(self._set_up(STEPS[self.done]))

    async def _set_up(self, step: str) -> None:
        ana, chloe = self.ana, self.chloe
        match step:
            case "describe":
                await ana.ok(p.SetSituation(op="", text=SITUATION))
            case "why":
                await ana.ok(p.SetPhase(op="", phase="why"))
                home = await self._add(None, HOME, ana)
                playground = await self._add(None, PLAYGROUND, chloe)
                await self._add(home, PROGRAMME, chloe)
                await self._add(playground, BUDGET, ana)
            case "weigh-hidden":
                await ana.ok(p.SetPhase(op="", phase="weigh"))
                ben = NetClient(self.url)
                ben.mirror.token = self.ben_token
                await ben.join(code=CODE, name="Ben")
                for client, text, dots, answer in (
                    (ben, HOME, 2, "we"), (ben, BUDGET, 1, "others"),
                    (chloe, PLAYGROUND, 2, "we"), (chloe, PROGRAMME, 0, "no"),
                    (ana, HOME, 1, "others"),
                ):
                    cause = self.cause(text)
                    if dots:
                        await client.ok(p.SetDots(op="", cause=cause, dots=dots))
                    await client.ok(p.SetChange(op="", cause=cause, answer=answer))  # type: ignore[arg-type]
                await ben.close()
            case "weigh-revealed":
                await ana.ok(p.RevealVotes(op="", revealed=True))
            case "act":
                await ana.ok(p.SetPhase(op="", phase="act"))
                await chloe.ok(p.AddAction(op="", text=GATE, causes=[self.cause(PLAYGROUND)], by="inside",
                                           who="the parents' group and the caretaker"))
                await ana.ok(p.AddAction(op="", text=CITY, causes=[self.cause(BUDGET), self.cause(HOME)],
                                         by="outside", who="the city council's youth committee"))
            case "agree":
                await ana.ok(p.SetPhase(op="", phase="agree"))
                gate = next(a.id for a in ana.state.actions.values() if a.text == GATE)
                await ana.ok(p.SetAgreement(op="", action=gate, agreed=True,
                                            first_step="Ask the caretaker which days the gate can stay open",
                                            owner=LONG_NAME, due="Friday 12 June"))
            case "closed":
                await ana.ok(p.Close(op=""))

    async def _add(self, parent: str | None, text: str, client: NetClient) -> str:
        await client.ok(p.AddCause(op="", parent=parent, text=text))
        return self.cause(text, client)

    def cause(self, text: str, client: NetClient | None = None) -> str:
        state = (client or self.ana).state
        return next(cause.id for cause in state.causes.values() if cause.text == text)

    def stop(self) -> None:
        for client in (self.ana, self.chloe):
            self.run(client.close())
        self.run(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    room = Room(tmp_path_factory.mktemp("steps"))
    yield room
    room.stop()


async def _until(pilot: Pilot[None], predicate: Any, what: str, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, f"the app did not get there in time: {what}"
        await pilot.pause(0.02)


def online(app: WhytreeApp) -> set[str]:
    state = app.mirror.state
    return set() if state is None else {person.name for person in state.online_people()}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("who", ["facilitator", "participant"])
@pytest.mark.parametrize("step", STEPS)
def test_every_step(snap_compare: Any, room: Room, step: str, who: str, size: str) -> None:
    room.up_to(step)
    if who == "facilitator":
        app = WhytreeApp(url=room.url, name="Ana", facilitator_key=FACILITATOR_KEY, discover=False)
        here = {"Ana", LONG_NAME}
    else:
        app = WhytreeApp(url=room.url, code=CODE, discover=False, identities=room.identities)
        here = {"Ana", LONG_NAME, "Ben"}
    narrow = SIZES[size][0] < 100

    async def run_before(pilot: Pilot[None]) -> None:
        await _until(pilot, lambda: app.session_screen is not None and app.screen is app.session_screen
                     and app.mirror.state is not None and app.mirror.state.phase == PHASES[step],
                     "the session screen")
        await _until(pilot, lambda: online(app) == here, f"{here} online")
        screen = app.session_screen
        assert screen is not None
        if step == "why":
            await pilot.press("down", "down")  # a long answer under a long answer
        elif step == "weigh-hidden":
            await pilot.press("down")  # and its "can it change?" answer
        if narrow and step in PANEL_STEPS:
            await pilot.press("r")
            await _until(pilot, lambda: screen.has_class("-panel-view"), "the panel")
        await pilot.pause(0.3)
        for widget in app.screen.query(Input):
            widget.cursor_blink = False
        await pilot.pause()

    with warnings.catch_warnings():
        # `snap_compare` closes the app's event loop as soon as the shot is taken, before its
        # link to this server (in another loop) has finished closing; the socket it leaves
        # is collected here rather than as an error in some later test.
        warnings.simplefilter("ignore", ResourceWarning)
        same = snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
        gc.collect()
    assert same
