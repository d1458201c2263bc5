"""Closing and reopening in quick succession loses nothing.

The real server on port 0 with its journal and results in `tmp_path`, and the facilitator
as a plain websockets client (`NetClient`). A close starts a save of the results in the
background; these tests send closes and reopens faster than a save takes and check what
a facilitator would find afterwards: the session resumes after a restart when it was
reopened last, one results folder per session with the latest close in it, and a save
that fails is told to the facilitator once, never lost as an unretrieved task exception.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import sqlite3
from pathlib import Path

import pytest
from conftest import FACILITATOR_KEY, MakeServer, WaitUntil

from tests.netclient import NetClient
from whytree.server.app import Server
from whytree.server.journal import FILE_NAME, Journal
from whytree.server.records import Record
from whytree.shared import protocol as p


async def facilitator(server: Server) -> NetClient:
    fac = NetClient(server.local_url)
    welcome = await fac.join(facilitator_key=FACILITATOR_KEY, name="Fran")
    assert isinstance(welcome, p.Welcome)
    await fac.ok(p.SetSituation(op="-", text="Our fifth graders get into trouble after school"))
    await fac.ok(p.SetPhase(op="-", phase="why"))
    await fac.ok(p.AddCause(op="-", parent=None, text="Nowhere to go after school"))
    return fac


async def burst(fac: NetClient, *commands: p.ClientCommand) -> None:
    """Send `commands` at once, without waiting for any answer, then wait for them all."""
    assert fac.ws is not None
    frames = [fac.mirror.command(command) for command in commands]
    for frame in frames:
        await fac.ws.send(frame.decode())
    ops = {json.loads(frame)["op"] for frame in frames}
    while ops:
        frame = await fac._next()
        if isinstance(frame, p.Event | p.Rejected) and frame.op in ops:
            assert isinstance(frame, p.Event), frame
            ops.discard(frame.op)


def closed_flags(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(data_dir / FILE_NAME) as db:
        return dict(db.execute("SELECT id, closed FROM sessions").fetchall())


def result_folders(data_dir: Path) -> list[Path]:
    return sorted(f for f in (data_dir / "sessions").iterdir() if not f.name.startswith("."))


async def test_a_session_reopened_right_after_closing_resumes_after_a_restart(
    make_server: MakeServer, tmp_path: Path
) -> None:
    server = await make_server()
    fac = await facilitator(server)
    await burst(fac, p.Close(op=fac.mirror.new_op()), p.Reopen(op=fac.mirror.new_op()))
    await fac.ok(p.AddCause(op="-", parent=None, text="Said after the reopen"))
    await fac.close()
    await server.stop()  # waits for the save the close started

    data_dir = tmp_path / "data"
    assert closed_flags(data_dir) == {server.state.id: 0}
    again = await make_server()
    assert again.resumed and again.state.id == server.state.id
    assert again.state.phase == "agree"
    assert [c.text for c in again.state.causes.values()] == ["Nowhere to go after school",
                                                              "Said after the reopen"]


async def test_closing_again_saves_into_the_same_folder_and_ends_closed(
    make_server: MakeServer, tmp_path: Path, wait_until: WaitUntil
) -> None:
    notices: list[str] = []
    server = await make_server(on_notice=notices.append)
    fac = await facilitator(server)
    op = fac.mirror.new_op
    await burst(fac, p.Close(op=op()), p.Reopen(op=op()), p.Close(op=op()), p.Reopen(op=op()),
                p.Close(op=op()))
    data_dir = tmp_path / "data"
    await wait_until(lambda: closed_flags(data_dir)[server.state.id] == 1, what="marked closed")
    # Reopened once more, the situation worded anew (a new name for a new folder), closed.
    await burst(fac, p.Reopen(op=op()))
    await fac.ok(p.SetSituation(op="-", text="Our teens get into trouble at night"))
    await burst(fac, p.Close(op=op()))
    await fac.close()
    await server.stop()

    folders = result_folders(data_dir)
    assert len(folders) == 1, folders
    saved = json.loads((folders[0] / "session.json").read_bytes())
    assert saved["situation"] == "Our teens get into trouble at night"
    assert saved["closed_at"] == server.state.closed_at
    assert closed_flags(data_dir) == {server.state.id: 1}
    assert all(notice.startswith("Results saved in") for notice in notices), notices


async def test_a_results_folder_that_cannot_be_written_is_told_to_the_facilitator(
    make_server: MakeServer, tmp_path: Path, wait_until: WaitUntil, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "sessions").write_text("a file where the results folder should be")
    notices: list[str] = []
    server = await make_server(on_notice=notices.append)
    fac = await facilitator(server)
    with caplog.at_level(logging.WARNING, logger="whytree"):
        await burst(fac, p.Close(op=fac.mirror.new_op()))
        await wait_until(lambda: notices, what="a notice")
        await asyncio.sleep(0.2)  # nothing more comes
    assert len(notices) == 1 and "results" in notices[0] and "saved in" not in notices[0], notices
    assert str(data_dir) in notices[0]
    assert [r.getMessage() for r in caplog.records if r.name.startswith("whytree")] == notices
    assert closed_flags(data_dir) == {server.state.id: 0}  # a restart saves again
    await fac.close()
    await server.stop()

    (data_dir / "sessions").unlink()
    again = await make_server(on_notice=notices.append)
    assert again.resumed and again.state.phase == "closed"
    await wait_until(lambda: again.results_dir is not None, what="saved after the restart")
    assert closed_flags(data_dir) == {server.state.id: 1}


async def test_results_that_cannot_be_rendered_are_told_never_lost_in_a_task(
    make_server: MakeServer, tmp_path: Path, wait_until: WaitUntil
) -> None:
    """A session journaled before depth had a limit: a chain 1,200 answers deep, closed.
    Its results are saved, or the facilitator hears they could not be: never silence."""
    data_dir = tmp_path / "data"
    journal = Journal(data_dir)
    journal.create_session("s1", "Deep", "123456", FACILITATOR_KEY)
    records, parent = [], None
    for seq in range(1, 1201):
        body = p.AddCause(op=str(seq), parent=parent, text=f"Because {seq}", id=f"c{seq}")
        records.append(Record(event=p.Event(seq=seq, by=None, op=None, command=body)))
        parent = f"c{seq}"
    records.append(Record(event=p.Event(seq=1201, by=None, op=None, command=p.Close(op="x", closed_at=1e9))))
    journal.write("s1", records)
    journal.close()

    unretrieved: list[object] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: unretrieved.append(context))
    notices: list[str] = []
    server = await make_server(on_notice=notices.append)
    assert server.resumed and server.state.phase == "closed"
    await wait_until(lambda: notices, what="a notice", timeout=10)
    await server.stop()
    gc.collect()
    await asyncio.sleep(0)
    loop.set_exception_handler(None)
    assert not unretrieved, unretrieved
    assert len(notices) == 1
    assert notices[0].startswith(("Results saved in", "Could not save the results")), notices
