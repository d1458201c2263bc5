"""A slow disk holds up only the frames that wait for it, never the room: the group commit.

The server commits the journal from a thread of its own, everything accepted since the
last commit in one transaction, and sends an event only once it is durable. These tests
make a commit wait as a slow disk would -- another SQLite connection holds the journal's
write lock, so the server's commit waits for it (real SQLite, real files, the real server
on port 0) -- and check what people would notice:

* while it waits, the server still answers (a ping is answered, new commands are taken in
  order), but nobody hears of anything that is not yet saved;
* when the disk is back, every command of a burst from many people is acknowledged, the
  journal holds them all in the order everyone received them, and a close sent right after
  the burst saves results holding every answer;
* a commit that fails (the disk full) tells everyone, and nothing of the failed batch, nor
  of what queued behind it, ever reached anyone;
* stopping the server while a commit waits saves everything it had taken in.

SQLite's busy timeout (5 s) is how long a commit waits for the lock before it fails: each
test releases the lock well before that. The old server committed on its event loop, so
the whole room, and these tests with it, stopped until the commit failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from conftest import CODE, FACILITATOR_KEY, MakeServer, WaitUntil, fill_database

from tests.netclient import NetClient
from whytree.server import journal as journal_module
from whytree.server.app import Server
from whytree.server.journal import FILE_NAME, Journal
from whytree.server.records import Record
from whytree.shared import protocol as p
from whytree.shared.protocol import Limits

PEOPLE = 8
ANSWERS_EACH = 4


@contextlib.contextmanager
def slow_disk(data_dir: Path) -> Iterator[sqlite3.Connection]:
    """The journal's write lock held by another connection: the server's next commit waits
    (as for a slow disk's sync) until the block ends."""
    locker = sqlite3.connect(data_dir / FILE_NAME, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        yield locker
    finally:
        if locker.in_transaction:
            locker.execute("ROLLBACK")
        locker.close()


def journal_events(data_dir: Path) -> list[p.Event]:
    """The events the journal file holds now, as a restarted host would find them."""
    decoder = msgspec.json.Decoder(Record)
    with contextlib.closing(sqlite3.connect(data_dir / FILE_NAME)) as db:
        bodies = [row[0] for row in db.execute("SELECT body FROM records ORDER BY session, n")]
    records = [decoder.decode(body) for body in bodies]
    return [record.event for record in records if record.event is not None]


async def room(make_server: MakeServer, wait_until: WaitUntil) -> tuple[Server, NetClient, list[NetClient]]:
    """A server (presence published at once, so it does not change the state later), the
    facilitator in the "why" step and PEOPLE participants, each up to date."""
    server = await make_server(limits=Limits(presence_every=0.05, presence_settle=0.0))
    fac = NetClient(server.local_url)
    assert isinstance(await fac.join(facilitator_key=FACILITATOR_KEY, name="Fran"), p.Welcome)
    await fac.ok(p.SetSituation(op="-", text="Our fifth graders get into trouble after school"))
    await fac.ok(p.SetPhase(op="-", phase="why"))
    people = []
    for i in range(PEOPLE):
        person = NetClient(server.local_url)
        assert isinstance(await person.join(code=CODE, name=f"Person {i}"), p.Welcome)
        people.append(person)
    assert server.hub is not None
    hub = server.hub
    await wait_until(hub.presence_settled, what="everyone shown online")
    for client in [fac, *people]:
        await client.catch_up(server.state.seq)
    return server, fac, people


async def send(client: NetClient, command: p.ClientCommand) -> str:
    """Send `command` without waiting for its answer; return its op."""
    assert client.ws is not None
    command = msgspec.structs.replace(command, op=client.mirror.new_op())
    await client.ws.send(client.mirror.command(command), text=True)
    return command.op


async def nothing_sent_yet(client: NetClient) -> None:
    """Nothing but what `client` had before reached it: a ping answered on its connection
    proves that every frame the server sent it earlier has arrived."""
    assert client.ws is not None
    await asyncio.wait_for(await client.ws.ping(), 10)
    with contextlib.suppress(TimeoutError):
        data = await asyncio.wait_for(client.ws.recv(), 0.05)
        raise AssertionError(f"sent before it was saved: {data!r}")


async def answers(client: NetClient, ops: set[str], until_seq: int = 0) -> list[p.Event]:
    """Read until every op in `ops` is answered and event `until_seq` has come; return
    every event read, in order."""
    events: list[p.Event] = []
    waiting = set(ops)
    while waiting or (events[-1].seq if events else 0) < until_seq:
        frame = await client._next(timeout=10)
        assert not isinstance(frame, p.Rejected | p.Error), frame
        if isinstance(frame, p.Event):
            events.append(frame)
            waiting.discard(op_of(frame))
    return events


def op_of(event: p.Event) -> str:
    """The op of the command an event carries (others see it without `by` and `op`)."""
    return str(getattr(event.command, "op", event.op))


async def test_while_a_commit_waits_the_room_is_answered_and_nothing_unsaved_is_sent(
    make_server: MakeServer, tmp_path: Path, wait_until: WaitUntil
) -> None:
    server, fac, people = await room(make_server, wait_until)
    ann, ben = people[0], people[1]
    before = server.state.seq
    data_dir = tmp_path / "data"
    with slow_disk(data_dir):
        first = await send(ann, p.AddCause(op="-", parent=None, text="Nowhere to go after school"))
        await wait_until(lambda: server.state.seq == before + 1, what="the answer taken in")
        # The room goes on: a ping is answered and more answers are taken in, in order.
        await nothing_sent_yet(ben)
        second = await send(ben, p.AddCause(op="-", parent=None, text="Parents work late"))
        third = await send(ann, p.AddCause(op="-", parent=None, text="The bus leaves at three"))
        await wait_until(lambda: server.state.seq == before + 3, what="more answers taken in")
        for client in (ann, ben, fac):
            await nothing_sent_yet(client)
        assert [e.seq for e in journal_events(data_dir)][-1] == before  # not saved yet
    seen = await answers(ben, {first, second, third})
    assert [e.seq for e in seen] == [before + 1, before + 2, before + 3]
    assert [op_of(e) for e in seen] == [first, second, third]
    await answers(ann, {first, third})
    saved = journal_events(data_dir)
    assert [(e.seq, op_of(e)) for e in saved[-3:]] == [(e.seq, op_of(e)) for e in seen]


async def test_a_burst_and_a_close_while_the_disk_is_slow_are_all_saved_in_order(
    make_server: MakeServer, tmp_path: Path, wait_until: WaitUntil
) -> None:
    server, fac, people = await room(make_server, wait_until)
    before = server.state.seq
    data_dir = tmp_path / "data"
    sent: dict[NetClient, set[str]] = {person: set() for person in people}
    with slow_disk(data_dir):
        for round_ in range(ANSWERS_EACH):
            for i, person in enumerate(people):
                sent[person].add(await send(person, p.AddCause(
                    op="-", parent=None, text=f"Answer {round_} of person {i}")))
        total = PEOPLE * ANSWERS_EACH
        await wait_until(lambda: server.state.seq == before + total, what="the burst taken in")
        close = await send(fac, p.Close(op="-"))
        await wait_until(lambda: server.state.phase == "closed", what="the close taken in")
        await nothing_sent_yet(fac)
    for person in people:
        seen = await answers(person, sent[person], until_seq=before + total)
        assert [e.seq for e in seen] == list(range(before + 1, before + total + 1))
    seen = await answers(fac, {close})
    assert [e.seq for e in seen] == list(range(before + 1, before + total + 2))
    saved = journal_events(data_dir)  # what a kill now would leave
    assert [(e.seq, op_of(e)) for e in saved if e.seq > before] == [(e.seq, op_of(e)) for e in seen]

    await wait_until(lambda: server.results_dir is not None, what="the results saved")
    assert server.results_dir is not None
    results = json.loads((server.results_dir / "session.json").read_text())
    texts = json.dumps(results)
    for round_ in range(ANSWERS_EACH):
        for i in range(PEOPLE):
            assert f"Answer {round_} of person {i}" in texts


async def test_a_commit_that_fails_sends_nothing_of_its_batch_nor_of_what_queued_behind(
    make_server: MakeServer, tmp_path: Path, wait_until: WaitUntil
) -> None:
    server, fac, people = await room(make_server, wait_until)
    before = server.state.seq
    data_dir = tmp_path / "data"
    # The disk is full: SQLite's own limit on the file's size, on the server's connection.
    db = server._journal._db  # type: ignore[union-attr]
    fill_database(db)
    with slow_disk(data_dir):
        for i, person in enumerate(people):  # one commit waits; the rest queue behind it
            await send(person, p.AddCause(op="-", parent=None, text=f"Answer of person {i} " + "x" * 200))
        await wait_until(lambda: server.state.seq == before + PEOPLE, what="the burst taken in")
    for client in [fac, *people]:
        while True:  # everyone hears the storage error, and no event before it
            frame = await client._next(timeout=10)
            assert not isinstance(frame, p.Event), frame
            if isinstance(frame, p.Error):
                assert frame.code == "storage" and "disk is full" in frame.message, frame
                break
    await wait_until(lambda: server.state.seq == before, what="the unsaved answers forgotten")
    assert [e.seq for e in journal_events(data_dir)][-1] == before
    refused = await fac.do(p.AddCause(op="-", parent=None, text="While the disk is full"))
    assert isinstance(refused, p.Rejected) and refused.reason == "storage"


async def test_stopping_while_a_commit_waits_saves_everything_taken_in(
    make_server: MakeServer, tmp_path: Path, wait_until: WaitUntil
) -> None:
    server, fac, people = await room(make_server, wait_until)
    before = server.state.seq
    data_dir = tmp_path / "data"
    ops: list[str] = []
    with slow_disk(data_dir):
        for i, person in enumerate(people):
            ops.append(await send(person, p.AddCause(op="-", parent=None, text=f"Answer of person {i}")))
        await wait_until(lambda: server.state.seq == before + PEOPLE, what="the burst taken in")
        stopping = asyncio.create_task(server.stop())
        await wait_until(lambda: all(c.ws is not None and c.ws.close_code is not None
                                     for c in [fac, *people]), what="everyone disconnected")
        assert not stopping.done()  # it waits for the commit
    await asyncio.wait_for(stopping, 30)
    journal = Journal(data_dir)
    try:
        row = journal.latest_open_session()
        assert row is not None
        events = [record.event for record in journal.records(row.id) if record.event is not None]
    finally:
        journal.close()
    assert {op_of(e) for e in events} >= set(ops)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(isinstance(e.command, p.Presence) and not e.command.online
               for e in events if e.seq > before + PEOPLE)  # everyone away, after the burst


async def test_the_mark_of_the_last_commit_is_synced_after_its_frames_are_sent(
    make_server: MakeServer, wait_until: WaitUntil, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal's mark (which lets a restart notice a `-wal` cut short) is synced once a
    second at most, after the frames of the commit went out: a change after a quiet
    second waits for one disk sync on its way to the screens, not two."""
    server, fac, people = await room(make_server, wait_until)
    journal = server._journal
    assert journal is not None
    synced: list[int] = []  # the marks written, at each sync of the mark
    own_sync = journal_module._sync

    def watched(fd: int) -> None:
        if fd == journal._mark_fd:
            synced.append(journal._marks)
        own_sync(fd)

    monkeypatch.setattr(journal_module, "_sync", watched)
    monkeypatch.setattr(journal, "_mark_synced", 0.0)  # a quiet second has passed
    op = await send(people[0], p.AddCause(op="-", parent=None, text="Nowhere to go after school"))
    await answers(fac, {op})
    await wait_until(lambda: bool(synced) and not journal.mark_due, what="the mark synced")
    assert synced == [journal._marks]
    _, _, session_id, last = journal._read_mark() or (0, "", "", -1)
    assert session_id == server.state.id and last == journal._next_n[session_id] - 1
    # A second change right after: its mark is written, not synced again within the second.
    op = await send(people[1], p.AddCause(op="-", parent=None, text="Parents work late"))
    await answers(fac, {op})
    await asyncio.sleep(0.1)
    assert len(synced) == 1 and journal.mark_due is False
