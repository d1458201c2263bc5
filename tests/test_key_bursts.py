"""Every key press counts: a burst of vote keys ends where the keys say, whatever the link.

A person who presses `+ +` means two dots, and `c 1 c 2` means the second "can it change?"
answer, however quickly they type and however slow the Wi-Fi. These tests drive real
Textual apps against the real server and press keys with no pause between them (the key
events queue up before the app has handled any of them), on a direct link, through a relay
that holds every frame back for a while, and with other people voting at the same time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from conftest import CODE, FACILITATOR_KEY, WaitUntil
from netclient import NetClient
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from whytree.server.app import Server, ServerConfig
from whytree.shared import protocol as p
from whytree.shared.model import Ballot
from whytree.tui.app import WhytreeApp
from whytree.tui.screens.join import JoinScreen
from whytree.tui.widgets.weigh import WeighPanel

SIZE = (120, 40)
DELAY = 0.3
"""Seconds the slow relay holds every chunk of bytes, each way."""
VOTES_EACH = 100
"""Most rounds of votes each other person in the room casts (they stop after the burst)."""


class SlowRelay:
    """A TCP relay between a client and the real server that delays every chunk it
    forwards by `delay` seconds, keeping their order: a slow room Wi-Fi, in one process."""

    def __init__(self, target_port: int, delay: float = DELAY) -> None:
        self.target_port = target_port
        self.delay = delay
        self.flowing = asyncio.Event()
        """Cleared: every byte waits (a link that is stuck for a moment)."""
        self.flowing.set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._accepted, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                if not chunk:
                    break
                await asyncio.sleep(max(0.0, due - loop.time()))
                await self.flowing.wait()
                sink.write(chunk)
                await sink.drain()

        delivery = asyncio.create_task(deliver())
        try:
            while chunk := await source.read(65536):
                queue.put_nowait((loop.time() + self.delay, chunk))
            queue.put_nowait((loop.time(), b""))
            await delivery
        except (ConnectionError, asyncio.CancelledError):
            delivery.cancel()
        finally:
            sink.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def burst(app: WhytreeApp, *keys: str) -> None:
    """Press `keys` with no pause at all: every key event is queued before the app has
    handled the first one, as when a person types faster than the app answers."""
    driver = app._driver
    assert driver is not None
    for key in keys:
        character = {"plus": "+", "minus": "-"}.get(key, key if len(key) == 1 else None)
        event = events.Key(key, character)
        event.set_sender(app)
        driver.send_message(event)


ANSWERS = ("Nobody is at home", "The club closed", "Buses stop at four")


async def to_weigh_step(fran: NetClient) -> list[str]:
    """The facilitator takes the session to the weigh step with three answers (their ids)."""
    await fran.ok(p.SetSituation(op="x", text="Our fifth graders get into trouble after school"))
    await fran.ok(p.SetPhase(op="x", phase="why"))
    causes = []
    for text in ANSWERS:
        event = await fran.ok(p.AddCause(op="x", parent=None, text=text))
        assert isinstance(event.command, p.AddCause) and event.command.id is not None
        causes.append(event.command.id)
    await fran.ok(p.SetPhase(op="x", phase="weigh"))
    return causes


async def on_first_answer(app: WhytreeApp, wait_until: WaitUntil) -> str:
    """Wait until `app` shows the weigh step with the three answers; select the first."""
    await wait_until(lambda: app.session_screen is not None and app.mirror.state is not None
                     and app.mirror.state.phase == "weigh" and len(app.mirror.state.causes) == 3,
                     timeout=10, what="in the weigh step")
    screen = app.session_screen
    assert screen is not None and app.mirror.state is not None
    first = next(c.id for c in app.mirror.state.causes.values() if c.text == ANSWERS[0])
    screen.cause_tree.select_cause(first)
    await wait_until(lambda: screen.cause_tree.selected_cause == first, what="cursor on the answer")
    return first


@contextlib.asynccontextmanager
async def in_weigh_step(server: Server, url: str, wait_until: WaitUntil,
                        app: WhytreeApp) -> AsyncIterator[tuple[NetClient, Pilot[None], list[str]]]:
    """The facilitator (a scripted client on the direct link) takes the session to the
    weigh step with three answers; `app` is in it, the cursor on the first answer."""
    fran = NetClient(server.local_url)
    await fran.join(facilitator_key=FACILITATOR_KEY, name="Fran")
    causes = await to_weigh_step(fran)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await on_first_answer(app, wait_until)
            yield fran, pilot, causes
    finally:
        await fran.close()


def participant(server: Server) -> WhytreeApp:
    return WhytreeApp(url=server.local_url, name="Ben", code=CODE, discover=False)


@contextlib.asynccontextmanager
async def in_why_step(server: Server, wait_until: WaitUntil, app: WhytreeApp) -> AsyncIterator[Pilot[None]]:
    """The facilitator (a scripted client) writes the situation and opens the why step;
    `app` is in it."""
    fran = NetClient(server.local_url)
    await fran.join(facilitator_key=FACILITATOR_KEY, name="Fran")
    await fran.ok(p.SetSituation(op="x", text="Our fifth graders get into trouble after school"))
    await fran.ok(p.SetPhase(op="x", phase="why"))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(lambda: app.session_screen is not None and app.mirror.state is not None
                             and app.mirror.state.phase == "why", what="in the why step")
            yield pilot
    finally:
        await fran.close()


@contextlib.asynccontextmanager
async def voting_room(url: str, causes: list[str], people: int = 4) -> AsyncIterator[None]:
    """`people` others, each on their own link, changing their votes without a pause."""

    stop = asyncio.Event()

    async def vote(client: NetClient, index: int) -> None:
        await client.join(code=CODE, name=f"Voter {index}")
        for turn in range(VOTES_EACH):
            if stop.is_set():
                return
            cause = causes[(turn + index) % len(causes)]
            await client.do(p.SetDots(op="x", cause=cause, dots=turn % 2))
            await client.do(p.SetChange(op="x", cause=cause, answer=("we", "others", "no", None)[turn % 4]))
            await asyncio.sleep(0.01)

    clients = [NetClient(url) for _ in range(people)]
    tasks = [asyncio.create_task(vote(client, index)) for index, client in enumerate(clients)]
    try:
        await asyncio.sleep(0)
        yield
    finally:
        # (Cancelling a task waiting in `asyncio.wait_for` may be lost: each stops itself.)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for client in clients:
            await client.close()


def settled(app: WhytreeApp) -> bool:
    """Every command of `app` has been answered by the server."""
    return not app.mirror.outbox


def ballot(app: WhytreeApp) -> Ballot:
    state, me = app.mirror.state, app.mirror.me
    assert state is not None and me is not None
    return state.ballots.get(me.id, Ballot())


def tree_label(app: WhytreeApp, cause_id: str) -> str:
    assert app.session_screen is not None
    return str(app.session_screen.cause_tree.node_for(cause_id).label)


def dots_left_line(app: WhytreeApp) -> str:
    assert app.session_screen is not None
    panel = app.session_screen.query_one(WeighPanel)
    return str(panel.query_one("#weigh-dots").render())



BURST = ("plus", "plus", "plus", "minus",      # at most 2 on one cause: the third + is refused
         "down", "c", "1", "c", "2", "c", "3",   # by us, only with others, not for now
         "down", "plus", "plus")                 # the third dot of three, and the fourth
EXPECTED_DOTS = [1, 0, 2]
EXPECTED_CHANGE = [None, "no", None]


def check_burst(app: WhytreeApp) -> None:
    """`app` ended exactly where `BURST` says, at the server and on its screen."""
    state = app.mirror.state
    assert state is not None
    ids = {c.text: c.id for c in state.causes.values()}
    mine = ballot(app)
    assert [mine.dots.get(ids[text], 0) for text in ANSWERS] == EXPECTED_DOTS
    assert [mine.change.get(ids[text]) for text in ANSWERS] == EXPECTED_CHANGE
    assert dots_left_line(app).startswith("You have 0 of your 3 dots left")


async def test_plus_plus_pressed_at_once_puts_two_dots(server: Server, wait_until: WaitUntil) -> None:
    ben = WhytreeApp(url=server.local_url, name="Ben", code=CODE, discover=False)
    async with in_weigh_step(server, server.local_url, wait_until, ben) as (_, keys, first):
        burst(ben, "plus", "plus")
        await keys.pause()
        await wait_until(lambda: settled(ben), what="every vote answered")
        assert ballot(ben).dots == {first[0]: 2}
        assert dots_left_line(ben).startswith("You have 1 of your 3 dots left")


async def test_c_1_c_2_pressed_at_once_gives_the_second_answer(server: Server, wait_until: WaitUntil) -> None:
    ben = WhytreeApp(url=server.local_url, name="Ben", code=CODE, discover=False)
    async with in_weigh_step(server, server.local_url, wait_until, ben) as (_, keys, causes):
        burst(ben, "c", "1", "c", "2")
        await keys.pause()
        await wait_until(lambda: settled(ben), what="every vote answered")
        assert ballot(ben).change == {causes[0]: "others"}


async def test_a_burst_on_a_slow_link_while_the_room_votes(server: Server, wait_until: WaitUntil) -> None:
    relay = SlowRelay(server.port)
    url = await relay.start()
    ben = WhytreeApp(url=url, name="Ben", code=CODE, discover=False)
    try:
        async with in_weigh_step(server, url, wait_until, ben) as (fran, keys, causes):
            await fran.close()  # she reads no more: her unread frames would hold up her goodbye
            async with voting_room(server.local_url, causes):
                burst(ben, *BURST)
                await keys.pause()
                await wait_until(lambda: settled(ben), timeout=15, what="every vote answered")
                check_burst(ben)
            await relay.stop()  # (a slow link also closes slowly)
    finally:
        await relay.stop()


async def test_a_burst_on_the_host_while_the_room_votes(tmp_path: Path, wait_until: WaitUntil) -> None:
    config = ServerConfig(data_dir=tmp_path, port=0, bind="127.0.0.1", title="Host test",
                          code=CODE, facilitator_key=FACILITATOR_KEY, advertise=False)
    ana = WhytreeApp(name="Ana", host=config)
    async with ana.run_test(size=SIZE) as keys:
        await wait_until(lambda: ana.session_screen is not None and ana.server is not None,
                         timeout=10, what="hosted session")
        assert ana.server is not None
        fran = NetClient(ana.server.local_url)  # a second facilitator screen sets the scene
        await fran.join(facilitator_key=FACILITATOR_KEY, name="Fran")
        causes = await to_weigh_step(fran)
        await fran.close()
        await on_first_answer(ana, wait_until)
        async with voting_room(ana.server.local_url, causes):
            burst(ana, *BURST)
            await keys.pause()
            await wait_until(lambda: settled(ana), timeout=15, what="every vote answered")
            check_burst(ana)


async def test_the_dots_left_count_votes_on_their_way_and_a_refused_one_goes_back(
    server: Server, wait_until: WaitUntil
) -> None:
    relay = SlowRelay(server.port, delay=0)
    url = await relay.start()
    ben = WhytreeApp(url=url, name="Ben", code=CODE, discover=False)
    try:
        async with in_weigh_step(server, url, wait_until, ben) as (fran, keys, causes):
            relay.flowing.clear()  # the Wi-Fi stalls: nothing reaches the host for now
            burst(ben, "plus", "plus")
            await keys.pause()
            await wait_until(lambda: len(ben.mirror.outbox) == 2, what="both dots queued")
            assert dots_left_line(ben).startswith("You have 1 of your 3 dots left")
            assert tree_label(ben, causes[0]).endswith("●● mine")
            # Meanwhile the facilitator allows one dot per cause: the second one is refused.
            await fran.ok(p.SetSettings(op="x", dots_per_person=3, dots_per_cause=1, anonymous=False))
            relay.flowing.set()
            await wait_until(lambda: settled(ben), what="every vote answered")
            assert ballot(ben).dots == {causes[0]: 1}
            await wait_until(lambda: dots_left_line(ben).startswith("You have 2 of your 3 dots left"),
                             what="the refused dot given back")
            assert tree_label(ben, causes[0]).endswith(" ● mine")
    finally:
        await relay.stop()


async def test_d_d_and_l_l_pressed_at_once_end_where_they_began(
    server: Server, wait_until: WaitUntil
) -> None:
    # "I'm done", then "not done after all"; the room locked, then unlocked.
    ben = WhytreeApp(url=server.local_url, name="Ben", code=CODE, discover=False)
    ana = WhytreeApp(url=server.local_url, name="Ana", facilitator_key=FACILITATOR_KEY, discover=False)
    async with in_weigh_step(server, server.local_url, wait_until, ben) as (_, ben_keys, _), \
            ana.run_test(size=SIZE) as ana_keys:
        await on_first_answer(ana, wait_until)
        start = server.state.seq
        burst(ben, "d", "d")
        burst(ana, "l", "l")
        await ben_keys.pause()
        await ana_keys.pause()
        await wait_until(lambda: settled(ben) and settled(ana), what="every command answered")
        await wait_until(lambda: server.state.seq >= start + 4, what="four events")
        assert server.state.seq == start + 4  # each key press went out
        assert ben.mirror.me is not None and not ben.mirror.me.done
        assert ana.mirror.state is not None and not ana.mirror.state.locked
        assert not server.state.locked


async def test_answers_typed_right_behind_w_go_into_the_bar(server: Server, wait_until: WaitUntil) -> None:
    # `w`, an answer and Enter, twice, faster than the bar opens and closes: each answer
    # whole, under the situation; none of its letters taken for the tree's keys.
    ben = participant(server)
    async with in_why_step(server, wait_until, ben) as keys:
        typed = ("nobody is at home", "the club closed")
        burst(ben, *(key for text in typed for key in ("w", *text, "enter")))
        await keys.pause()
        await wait_until(lambda: settled(ben) and ben.mirror.state is not None
                         and len(ben.mirror.state.causes) >= 2, what="both answers in")
        await keys.pause(0.3)
        state = ben.mirror.state
        assert state is not None
        assert sorted((c.text, c.parent) for c in state.causes.values()) == [
            (text, None) for text in sorted(typed)]


async def test_a_key_right_behind_enter_in_the_bar_is_not_typed_into_it(
    server: Server, wait_until: WaitUntil
) -> None:
    # Enter and the next answer arrive together (a busy laptop): the next `w` opens the bar
    # again and its letters go in; none is taken for the tree's keys (`d` is "I'm done").
    ben = participant(server)
    async with in_why_step(server, wait_until, ben) as keys:
        await keys.press("w", *"first")
        burst(ben, "enter", "w", *"second and done", "enter")
        await keys.pause()
        await wait_until(lambda: settled(ben) and ben.mirror.state is not None
                         and len(ben.mirror.state.causes) >= 2, what="both answers in")
        await keys.pause(0.3)
        state, me = ben.mirror.state, ben.mirror.me
        assert state is not None and me is not None
        assert sorted(c.text for c in state.causes.values()) == ["first", "second and done"]
        assert not me.done


async def test_the_code_typed_right_behind_the_name_goes_into_the_code(server: Server) -> None:
    # On the join form, Enter moves on to the next field: what is typed right behind it
    # belongs there, not to the name.
    app = WhytreeApp(url=server.local_url, discover=False)
    async with app.run_test(size=SIZE) as keys:
        screen = app.screen
        assert isinstance(screen, JoinScreen)
        assert screen.query_one("#name", Input).has_focus
        burst(app, *"Ana", "enter", *"246810")
        await keys.pause(0.3)
        assert screen.query_one("#name", Input).value == "Ana"
        assert screen.query_one("#code", Input).value == "246810"
