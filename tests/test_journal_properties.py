"""Properties of the real SQLite journal (the convergence tests use an in-memory stand-in).

* A batch is all or nothing: when one record of a batch cannot be written, none of the
  batch is on disk, and the records written before are untouched -- a restarted host
  never resumes half of a turn that nobody was told about.
* Replay equals the state: whatever commands a session went through, a fresh hub that
  replays the journal file has exactly the state the running hub had, and the same
  accepted ops (so a retry after the restart is still recognised).
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from room import CODE, KEY, Room

from whytree.server.hub import Hub, Record
from whytree.server.journal import Journal, JournalError
from whytree.shared import protocol as p
from whytree.shared.model import Session

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    phases=[Phase.explicit, Phase.reuse, Phase.generate])


def presence(seq: int) -> Record:
    body = p.Presence(person="p1", online=seq % 2 == 0)
    return Record(event=p.Event(seq=seq, by=None, op=None, command=body))


def stored(journal: Journal, session: str) -> list[bytes]:
    return [msgspec.json.encode(record) for record in journal.records(session)]


@SETTINGS
@given(before=st.integers(1, 5), batch=st.integers(2, 8), data=st.data())
def test_a_batch_is_all_or_nothing(before: int, batch: int, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        journal = Journal(Path(folder))
        journal.create_session("s", "Title", CODE, KEY)
        journal.write("s", [presence(seq) for seq in range(1, before + 1)])
        kept = stored(journal, "s")
        # Another writer took the slot of one record of the next batch (not the first), so
        # writing that record fails half-way through the batch.
        clash = data.draw(st.integers(1, batch - 1), label="failing record")
        with sqlite3.connect(Path(folder) / "journal.sqlite3") as other:
            other.execute("INSERT INTO records (session, n, body) VALUES ('s', ?, x'00')", (before + clash,))
        other.close()
        with pytest.raises(JournalError):
            journal.write("s", [presence(seq) for seq in range(before + 1, before + batch + 1)])
        journal.close()

        reopened = Journal(Path(folder))
        rows = reopened._db.execute("SELECT n FROM records WHERE session = 's' ORDER BY n").fetchall()
        assert [n for (n,) in rows] == [*range(before), before + clash], "part of the batch was kept"
        reopened._db.execute("DELETE FROM records WHERE n = ?", (before + clash,))
        assert stored(reopened, "s") == kept
        reopened.close()


command = st.one_of(
    st.builds(lambda text: ("Ann", "add", text), st.sampled_from(["No bus", "Rain", "No money"])),
    st.builds(lambda i, text: ("Ann", "edit", i, text), st.integers(0, 5),
              st.sampled_from(["Edited", "Again"])),
    st.builds(lambda i: ("Fran", "remove", i), st.integers(0, 5)),
    st.builds(lambda i, j: ("Fran", "merge", i, j), st.integers(0, 5), st.integers(0, 5)),
    st.builds(lambda i, n: ("Ann", "dots", i, n), st.integers(0, 5), st.integers(0, 2)),
    st.builds(lambda i, a: ("Bob", "change", i, a), st.integers(0, 5),
              st.sampled_from(["we", "others", "no", None])),
    st.builds(lambda step: ("Fran", "phase", step), st.sampled_from(["why", "weigh", "act", "agree"])),
    st.builds(lambda r: ("Fran", "reveal", r), st.booleans()),
    st.builds(lambda text, who: ("Bob", "action", text, who), st.sampled_from(["Ask", "Call"]),
              st.sampled_from(["", "the city"])),
    st.builds(lambda d: ("Ann", "done", d), st.booleans()),
    st.builds(lambda s: ("Fran", "timer", s), st.sampled_from([None, 60, 600])),
    st.just(("Fran", "close")), st.just(("Fran", "reopen")), st.just(("Carl", "join")),
)


def make(room: Room, step: tuple[object, ...]) -> p.ClientCommand | None:
    causes = list(room.state.causes) or ["c0"]
    pick = lambda i: causes[int(i) % len(causes)]  # noqa: E731
    match step[1:]:
        case ("add", text):
            parent = causes[-1] if room.state.causes and len(causes) % 2 else None
            return p.AddCause(op=room.op(), parent=parent, text=str(text))
        case ("edit", i, text):
            return p.EditCause(op=room.op(), cause=pick(i), text=str(text))
        case ("remove", i):
            return p.RemoveCause(op=room.op(), cause=pick(i))
        case ("merge", i, j):
            return p.MergeCauses(op=room.op(), cause=pick(i), into=pick(j))
        case ("dots", i, n):
            return p.SetDots(op=room.op(), cause=pick(i), dots=int(n))  # type: ignore[call-overload]
        case ("change", i, answer):
            return p.SetChange(op=room.op(), cause=pick(i), answer=answer)  # type: ignore[arg-type]
        case ("phase", step_name):
            return p.SetPhase(op=room.op(), phase=step_name)  # type: ignore[arg-type]
        case ("reveal", revealed):
            return p.RevealVotes(op=room.op(), revealed=bool(revealed))
        case ("action", text, who):
            return p.AddAction(op=room.op(), text=str(text), causes=causes[:1], who=str(who))
        case ("done", done):
            return p.SetDone(op=room.op(), done=bool(done))
        case ("timer", seconds):
            return p.SetTimer(op=room.op(), seconds=seconds)  # type: ignore[arg-type]
        case ("close",):
            return p.Close(op=room.op())
        case ("reopen",):
            return p.Reopen(op=room.op())
    return None


@SETTINGS
@given(steps=st.lists(command, min_size=1, max_size=40), anonymous=st.booleans())
def test_replaying_the_journal_gives_the_state_back(steps: list[tuple[object, ...]], anonymous: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        room = Room(Path(folder))
        room.join("Fran", facilitator=True)
        room.join("Ann")
        room.join("Bob")
        room.send("Fran", p.SetSettings(op=room.op(), anonymous=anonymous))
        room.send("Fran", p.SetPhase(op=room.op(), phase="why"))
        for step in steps:
            if step[1] == "join":
                room.join(str(step[0]))
                continue
            made = make(room, step)
            assert made is not None
            room.send(str(step[0]), made)

        assert room.journal is not None
        room.journal.close()  # the host stopped: a new one opens the folder (one at a time)
        fresh = Hub(Session(id=room.session_id, title="Room"), CODE, KEY)
        reopened = Journal(Path(folder))
        for record in reopened.records(room.session_id):
            fresh.replay(record)
        reopened.close()
        assert msgspec.to_builtins(fresh.state) == msgspec.to_builtins(room.state)
        assert fresh.accepted == room.hub.accepted
        assert fresh.tokens == room.hub.tokens
