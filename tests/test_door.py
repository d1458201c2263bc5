"""The way into a session under pressure: guessed codes, floods of joins, a full room.

The door's logic is tested on the `Hub` directly, with made-up addresses and a made-up
clock (a flood from ten thousand addresses takes a fraction of a second); its wiring once
on the real server, whose clients come from many loopback addresses (127.0.x.y: on Linux
every one of them reaches a server bound to 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import CODE, FACILITATOR_KEY, MakeServer, WaitUntil
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from whytree.server import hub
from whytree.server.app import Server
from whytree.server.hub import ConnId, Disconnect, Hub, Notice, Send
from whytree.shared import protocol as p
from whytree.shared.joincode import grouped_code
from whytree.shared.model import Session
from whytree.shared.protocol import Limits

KEY = FACILITATOR_KEY
WRONG = "000000"


class Door:
    """Joins and commands on a bare `Hub`, from any address at any time."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.hub = Hub(Session(), CODE, KEY, limits)
        self.conns = itertools.count(1)
        self.ops = itertools.count(1)
        self.notices: list[str] = []
        self.frames: list[bytes] = []
        """Every frame the hub sent to anyone."""

    def join(self, address: str, at: float, **fields: Any) -> tuple[dict[str, Any], ConnId]:
        """The first answer to a `join` with `fields`, and the connection (closed unless
        welcomed)."""
        conn = next(self.conns)
        self.hub.connect(conn, address, at)
        out = self.hub.receive(conn, json.dumps({"type": "join", **fields}), at)
        self.notices += [o.message for o in out if isinstance(o, Notice)]
        self.frames += [o.data for o in out if isinstance(o, Send)]
        first: dict[str, Any] = next(json.loads(o.data) for o in out if isinstance(o, Send) and conn in o.to)
        if first["type"] != "welcome":
            assert any(isinstance(o, Disconnect) and o.conn == conn for o in out)
            self.hub.disconnect(conn)
        return first, conn

    def knock(self, address: str, code: str, at: float) -> str:
        """`welcome`, or the error code of the refusal."""
        first, _ = self.join(address, at, code=code)
        return "welcome" if first["type"] == "welcome" else str(first["code"])

    def do(self, conn: ConnId, kind: str, at: float, **fields: Any) -> dict[str, Any]:
        """The event or rejection that answers a command sent on `conn`."""
        op = f"op-{next(self.ops)}"
        out = self.hub.receive(conn, json.dumps({"type": kind, "op": op, **fields}), at)
        self.frames += [o.data for o in out if isinstance(o, Send)]
        answers = [json.loads(o.data) for o in out if isinstance(o, Send) and conn in o.to]
        answer: dict[str, Any] = next(a for a in answers if a.get("op") == op)
        return answer


def flood_address(i: int) -> str:
    return f"10.{1 + i // 65536}.{i // 256 % 256}.{i % 256}"


# --- guessing the code ------------------------------------------------------------------------


def test_generated_codes_have_a_billion_values_and_guessing_stays_under_a_thousandth() -> None:
    code = hub.new_code()
    assert len(code) == 9 and code.isdigit()
    assert grouped_code(code) == f"{code[:3]} {code[3:6]} {code[6:]}"
    assert Limits().guess_bound(3 * 60 * 60) < 0.001


def test_a_participant_who_mistyped_once_gets_in_while_many_addresses_flood() -> None:
    door = Door()
    overall, window = Limits().wrong_overall
    rng = random.Random(7)
    flood_rate = 400.0  # wrong codes a second, each from a new address (what was measured)
    ann = "192.168.1.23"
    assert door.knock(ann, "246801", at=0.5) == "wrong_code"  # a typo, before the flood
    answers: list[tuple[float, str]] = []
    ann_tries: list[str] = []
    now, next_try, i = 1.0, 2.0, 0
    while now < 40.0 and "welcome" not in ann_tries:
        now += rng.expovariate(flood_rate)
        if now >= next_try:  # Ann presses Enter again, about once a second
            ann_tries.append(door.knock(ann, CODE, at=next_try))
            next_try += 1.0 + rng.random()
        answers.append((now, door.knock(flood_address(i), f"{rng.randrange(10**9):09d}", at=now)))
        i += 1
    assert "throttled" not in ann_tries, ann_tries
    assert ann_tries[-1] == "welcome", f"Ann never got in: {ann_tries}"
    assert len(ann_tries) <= 15, ann_tries
    # Of the flood, at most `overall` wrong codes a window were looked at (after a first
    # burst of as many); the rest were refused without looking at the code.
    checked = [at for at, answer in answers if answer == "wrong_code"]
    assert {answer for _, answer in answers} == {"wrong_code", "busy"}
    for count, at in enumerate(checked, start=2):  # Ann's typo was the first
        assert count <= overall + (at - 0.5) * overall / window + 1e-6
    assert len(checked) > overall * (now - 1.0) / window * 0.9  # the door stayed open that much


def test_while_code_joins_pause_the_refusal_says_nothing_about_the_code() -> None:
    door = Door()
    overall, window = Limits().wrong_overall
    for i in range(overall):
        assert door.knock(flood_address(i), WRONG, at=0.1) == "wrong_code"
    right, _ = door.join("10.9.0.1", 0.1, code=CODE)
    wrong, _ = door.join("10.9.0.2", 0.1, code="135791")
    assert right == wrong and right["code"] == "busy"
    # The facilitator's key is not a code anyone can guess: it is checked, and gets in.
    facilitator, _ = door.join("10.9.0.3", 0.1, facilitator_key=KEY)
    assert facilitator["type"] == "welcome"
    assert door.knock("10.9.0.1", CODE, at=0.1 + window) == "welcome"


def test_the_host_is_told_once_a_minute_while_someone_guesses() -> None:
    door = Door()
    for i in range(20_000):  # 200 s of 100 wrong codes a second from new addresses
        door.knock(flood_address(i), WRONG, at=i / 100)
    assert 3 <= len(door.notices) <= 200 / hub.NOTICE_EVERY + 1
    assert all("new code" in notice for notice in door.notices)


def test_a_new_code_stops_the_old_one_but_not_the_people_in() -> None:
    door = Door()
    welcome, ann = door.join("10.0.0.7", 0.0, code=CODE, name="Ann")
    token = welcome["token"]
    door.hub.change_code("482 913 057")
    assert door.knock("10.0.0.8", CODE, at=1.0) == "wrong_code"
    assert door.knock("10.0.0.9", "482913057", at=1.0) == "welcome"
    assert door.knock("10.0.0.9", "482-913 057", at=1.0) == "welcome"
    # Ann is still in, and comes back after a drop with her token and the old code.
    assert door.do(ann, "set_done", 1.0, done=True)["type"] == "event"
    door.hub.disconnect(ann)
    back, _ = door.join("10.0.0.7", 2.0, code=CODE, token=token)
    assert back["type"] == "welcome" and back["you"]["id"] == welcome["you"]["id"]


# --- the room ---------------------------------------------------------------------------------


def test_commands_are_limited_per_person_not_per_connection() -> None:
    door = Door()
    welcome, first = door.join("10.0.0.7", 0.0, code=CODE, name="Ann")
    answers = [door.do(first, "set_done", 0.0, done=i % 2 == 0)["type"]
               for i in range(int(Limits().commands[0]))]
    assert set(answers) == {"event"}
    # A new connection of hers (it takes over from the first) shares her budget: no more.
    _, second = door.join("10.0.0.7", 0.0, code=CODE, token=welcome["token"])
    busy = door.do(second, "set_done", 0.0, done=True)
    assert busy["type"] == "rejected" and busy["reason"] == "busy"
    # Someone else is not slowed down by her.
    _, ben = door.join("10.0.0.8", 0.0, code=CODE, name="Ben")
    assert door.do(ben, "set_done", 0.0, done=True)["type"] == "event"
    assert door.do(second, "set_done", 1.0, done=False)["type"] == "event"


def test_joins_are_limited_per_person() -> None:
    door = Door()
    burst, rate = Limits().joins_per_person
    welcome, _ = door.join("10.0.0.7", 0.0, code=CODE, name="Ann")
    token = welcome["token"]
    answers = [door.join(f"10.0.{i}.7", 0.0, code=CODE, token=token)[0] for i in range(int(burst) + 1)]
    assert [a["type"] for a in answers[:-1]] == ["welcome"] * (int(burst) - 1) + ["welcome"]
    assert answers[-1]["type"] == "error" and answers[-1]["code"] == "busy"
    again, _ = door.join("10.0.0.7", 1 / rate, code=CODE, token=token)
    assert again["type"] == "welcome"


def test_new_people_come_in_at_a_bounded_rate_but_the_facilitator_always_gets_in() -> None:
    door = Door()
    burst, rate = Limits().new_people
    answers = [door.knock(flood_address(i), CODE, at=0.0) for i in range(int(burst) + 5)]
    assert answers == ["welcome"] * int(burst) + ["busy"] * 5
    facilitator, _ = door.join("10.9.9.9", 0.0, facilitator_key=KEY, name="Fran")
    assert facilitator["type"] == "welcome" and facilitator["you"]["role"] == "facilitator"
    assert door.knock("10.9.9.8", CODE, at=1 / rate) == "welcome"
    people = door.hub.state.people
    assert len(people) == int(burst) + 2


def test_removed_people_free_their_seat_and_the_facilitator_always_has_one() -> None:
    door = Door(Limits(new_people=(1e9, 1e9)))
    ids = []
    for i in range(p.MAX_PEOPLE):
        welcome, _ = door.join(flood_address(i), 0.0, code=CODE)
        ids.append(welcome["you"]["id"])
    assert door.knock("10.9.0.1", CODE, at=1.0) == "full"
    # The facilitator, joining for the first time (as with `whytree serve`), still gets in.
    welcome, fran = door.join("10.9.0.2", 1.0, facilitator_key=KEY, name="Fran")
    assert welcome["type"] == "welcome" and welcome["you"]["role"] == "facilitator"
    assert door.do(fran, "remove_person", 1.0, person=ids[0])["type"] == "event"
    assert door.knock("10.9.0.1", CODE, at=2.0) == "welcome"
    assert door.knock("10.9.0.3", CODE, at=2.0) == "full"


def test_everyone_who_ever_joined_stays_bounded_and_every_frame_decodes() -> None:
    door = Door(Limits(new_people=(1e9, 1e9)))
    _, fran = door.join("10.9.0.2", 0.0, facilitator_key=KEY, name="Fran")
    for i in itertools.count():
        welcome, _ = door.join(flood_address(i), float(i), code=CODE, name=f"Guest {i}")
        if welcome["type"] != "welcome":
            assert welcome["code"] == "full"
            break
        assert door.do(fran, "remove_person", float(i), person=welcome["you"]["id"])["type"] == "event"
    assert len(door.hub.state.people) == p.MAX_PEOPLE_EVER
    assert sum(not person.removed for person in door.hub.state.people.values()) == 1
    # Anonymity turned on names everyone who ever joined: every client must still decode it.
    assert door.do(fran, "set_settings", float(i), anonymous=True)["type"] == "event"
    for frame in door.frames:
        p.decode_server_frame(frame)


# --- on the real server -----------------------------------------------------------------------


async def _open(server: Server, source: str) -> ClientConnection:
    return await connect(server.local_url, compression=None, proxy=None, local_addr=(source, 0))


async def _join(server: Server, source: str, **fields: Any) -> tuple[ClientConnection, dict[str, Any]]:
    ws = await _open(server, source)
    await ws.send(json.dumps({"type": "join", **fields}))
    first: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return ws, first


async def test_a_participant_who_mistyped_once_gets_in_during_a_flood_on_the_real_server(
    make_server: MakeServer, wait_until: WaitUntil
) -> None:
    # A smaller server-wide limit than the real one, so that a loaded test machine's flood
    # goes past it.
    overall = 10
    notices: list[str] = []
    srv = await make_server(on_notice=notices.append, limits=Limits(wrong_overall=(overall, 1.0)))
    fran, welcome = await _join(srv, "127.0.0.1", facilitator_key=KEY, name="Fran")
    assert welcome["type"] == "welcome"
    ann, first = await _join(srv, "127.1.0.1", code="246801")  # Ann's typo
    assert first["code"] == "wrong_code"

    answers: list[str] = []
    addresses = (f"127.0.{1 + i // 250 % 250}.{1 + i % 250}" for i in itertools.count())

    flooding = True

    async def guess() -> None:  # each try from another address: no per-address limit helps
        while flooding:
            ws, first = await _join(srv, next(addresses), code=f"{len(answers):09d}")
            answers.append(first["code"])
            await ws.close()

    flood = [asyncio.create_task(guess()) for _ in range(8)]
    try:
        await wait_until(lambda: "busy" in answers, timeout=30, what="code joins paused")
        assert sum("new code" in notice for notice in notices) == 1, notices
        # People in are not affected...
        await fran.send(json.dumps({"type": "set_phase", "op": "why", "phase": "why"}))
        assert json.loads(await fran.recv())["type"] == "event"
        # ...and Ann, trying again while the flood goes on, gets in.
        for _ in range(300):
            ann, first = await _join(srv, "127.1.0.1", code=CODE, name="Ann")
            if first["type"] == "welcome":
                break
            assert first["code"] == "busy", first
            await ann.close()
            await asyncio.sleep(0.02)
        assert first["type"] == "welcome"
        assert not any(task.done() for task in flood), "the flood stopped"
    finally:
        flooding = False  # (not cancelled: `wait_for` may swallow a cancellation on 3.11)
        await asyncio.gather(*flood, return_exceptions=True)
    assert answers.count("busy") > answers.count("wrong_code")
    for ws in (fran, ann):
        await ws.close()


async def test_a_new_code_is_kept_over_a_restart(make_server: MakeServer) -> None:
    server = await make_server()
    ann, welcome = await _join(server, "127.0.0.1", code=CODE, name="Ann")
    code = server.new_code()
    assert code != CODE and len(code) == 9
    assert server.code == code
    await ann.close()
    await server.stop()

    again = await make_server(port=server.port)
    assert again.resumed and again.code == code
    stranger, first = await _join(again, "127.0.0.2", code=CODE)
    assert first["code"] == "wrong_code"
    newcomer, first = await _join(again, "127.0.0.3", code=grouped_code(code), name="Ben")
    assert first["type"] == "welcome"
    back, first = await _join(again, "127.0.0.1", code=CODE, token=welcome["token"])
    assert first["type"] == "welcome" and first["you"]["id"] == welcome["you"]["id"]
    for ws in (stranger, newcomer, back):
        await ws.close()


async def test_connections_that_never_join_are_capped_per_address_and_overall(
    make_server: MakeServer, wait_until: WaitUntil
) -> None:
    server = await make_server(limits=Limits(unjoined_per_address=3, unjoined_overall=5))
    idle = [await _open(server, "127.0.1.1") for _ in range(3)]
    with pytest.raises(InvalidStatus) as refused:
        await _open(server, "127.0.1.1")
    assert refused.value.response.status_code == 503
    # Another laptop is not affected; past the overall cap the oldest idle connection goes.
    others = [await _open(server, "127.0.1.2") for _ in range(3)]
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(idle[0].recv(), 5)
    assert idle[1].state.name == "OPEN"
    # Joined connections do not count: the first laptop may connect again once one joined.
    await idle[1].send(json.dumps({"type": "join", "code": CODE, "name": "Ann"}))
    assert json.loads(await idle[1].recv())["type"] == "welcome"
    ws, first = await _join(server, "127.0.1.1", code=CODE, name="Ben")
    assert first["type"] == "welcome"
    for conn in [*idle, *others, ws]:
        await conn.close()


@pytest.fixture
def flood_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.INFO)
    yield caplog


async def test_a_flood_of_bad_handshakes_leaves_a_few_log_lines(
    make_server: MakeServer, flood_log: pytest.LogCaptureFixture
) -> None:
    limits = Limits(log_burst=10)
    server = await make_server(limits=limits)
    flood_log.clear()
    requests = [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"garbage\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"]
    for i in range(300):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(requests[i % len(requests)])
        await reader.read()
        writer.close()
        await writer.wait_closed()
    lines = [r for r in flood_log.records if r.name in ("websockets.server", "asyncio", "whytree.server.app")]
    assert 0 < len(lines) <= 3 * limits.log_burst
    # The server still works.
    ws, first = await _join(server, "127.0.0.1", code=CODE, name="Ann")
    assert first["type"] == "welcome"
    await ws.close()


def test_the_facilitators_key_gets_in_from_an_address_that_mistyped_the_code() -> None:
    """The host's own screen connects from 127.0.0.1, like a projector page on the same
    laptop: five wrong codes there must not keep the facilitator out."""
    door = Door()
    for n in range(5):
        wrong, _ = door.join("127.0.0.1", float(n), code="000000")
        assert wrong["code"] == "wrong_code"
    throttled, _ = door.join("127.0.0.1", 5.0, code=CODE)
    assert throttled["code"] == "throttled"  # the code is not even looked at now
    welcome, _ = door.join("127.0.0.1", 5.0, facilitator_key=KEY, name="Fran")
    assert welcome["type"] == "welcome" and welcome["you"]["role"] == "facilitator"
    # A wrong key from there is still refused as throttled, and counts.
    guessed, _ = door.join("127.0.0.1", 5.0, facilitator_key="not-the-key")
    assert guessed["code"] == "throttled"
