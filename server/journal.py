"""The durable journal: every accepted event, in SQLite, before anyone hears of it.

One SQLite file (`journal.sqlite3` in the data directory, WAL mode, `synchronous=FULL`)
holds every session this host has run: a row per session (title, join code, facilitator
key, open or closed) and a row per journal record (an event, or a token that lets a person
come back). The server writes the records of one turn of its event loop in one
transaction (`write`), then sends the frames; so an event is durable before it is
broadcast or acknowledged, and a burst of votes costs one commit, not one per vote.

Start-up reads the records back (`records`). SQLite's own journal makes a transaction all
or nothing, so a power cut loses at most the batch that was being committed, which nobody
had been told about. A record that still does not decode is treated as follows: the last
record of a session is dropped with a log line (a torn write); anything damaged before it
stops start-up with `JournalDamaged`, never silent loss. Write failures (a full disk, a
read-only or vanished file) raise `JournalError` with a sentence for people.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec

from .files import private_dir, touch_private
from .hub import Record

log = logging.getLogger(__name__)

FILE_NAME = "journal.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    code TEXT NOT NULL,
    facilitator_key TEXT NOT NULL,
    created_at REAL NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS records (
    session TEXT NOT NULL,
    n INTEGER NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (session, n)
);
"""

_record_decoder: msgspec.json.Decoder[Record] = msgspec.json.Decoder(Record)
_encoder = msgspec.json.Encoder()


class JournalError(Exception):
    """The journal could not be written; the message says what to do."""


class JournalDamaged(Exception):
    """The journal file is damaged somewhere other than its last record."""


class SessionRow(msgspec.Struct):
    id: str
    title: str
    code: str
    facilitator_key: str
    created_at: float
    closed: bool


class Journal:
    """The SQLite journal in `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME
        private_dir(data_dir)
        touch_private(self.path)  # private before SQLite opens it (its -wal copies the mode)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            check = self._db.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError as exc:
            raise JournalDamaged(
                f"The journal {self.path} cannot be read ({exc}). Nothing was changed; "
                f"move the file aside to start afresh, or keep it for recovery."
            ) from exc
        if check is None or check[0] != "ok":
            raise JournalDamaged(f"The journal {self.path} is damaged ({check}). Nothing was changed.")
        self._next_n: dict[str, int] = {}

    def close(self) -> None:
        self._db.close()

    # --- sessions ------------------------------------------------------------------------

    def latest_open_session(self) -> SessionRow | None:
        row = self._db.execute(
            "SELECT id, title, code, facilitator_key, created_at, closed FROM sessions "
            "WHERE closed = 0 ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return SessionRow(row[0], row[1], row[2], row[3], row[4], bool(row[5]))

    def create_session(self, session_id: str, title: str, code: str, facilitator_key: str) -> SessionRow:
        row = SessionRow(session_id, title, code, facilitator_key, time.time(), False)
        self._transaction(
            "INSERT INTO sessions (id, title, code, facilitator_key, created_at, closed) "
            "VALUES (?, ?, ?, ?, ?, 0)",
            (row.id, row.title, row.code, row.facilitator_key, row.created_at),
        )
        return row

    def set_code(self, session_id: str, code: str) -> None:
        """A new join code for the session: a restarted host resumes with it."""
        self._transaction("UPDATE sessions SET code = ? WHERE id = ?", (code, session_id))

    def set_closed(self, session_id: str, closed: bool) -> None:
        self._transaction("UPDATE sessions SET closed = ? WHERE id = ?", (int(closed), session_id))

    # --- records ---------------------------------------------------------------------------

    def records(self, session_id: str) -> Iterator[Record]:
        """The session's records in order. A last record that does not decode is dropped
        (and deleted) with a log line; damage anywhere else raises `JournalDamaged`."""
        rows = self._db.execute(
            "SELECT n, body FROM records WHERE session = ? ORDER BY n", (session_id,)
        ).fetchall()
        last_seq = 0
        for index, (n, body) in enumerate(rows):
            try:
                record = _record_decoder.decode(body)
                if record.event is not None and record.event.seq != last_seq + 1:
                    raise ValueError(f"event {record.event.seq} follows event {last_seq}")
            except (msgspec.DecodeError, ValueError) as exc:
                if index == len(rows) - 1:
                    log.warning("journal: dropping a torn last record (%s) of session %s", exc, session_id)
                    self._transaction("DELETE FROM records WHERE session = ? AND n = ?", (session_id, n))
                    break
                raise JournalDamaged(
                    f"The journal {self.path} is damaged at record {n} of session {session_id} "
                    f"({exc}); later records exist, so nothing is resumed. Keep the file for recovery."
                ) from exc
            if record.event is not None:
                last_seq = record.event.seq
            self._next_n[session_id] = n + 1
            yield record

    def write(self, session_id: str, records: list[Record]) -> None:
        """Append `records` in one transaction: all are durable, or none (and JournalError)."""
        if not records:
            return
        start = self._next_n.get(session_id)
        if start is None:
            row = self._db.execute(
                "SELECT COALESCE(MAX(n), -1) + 1 FROM records WHERE session = ?", (session_id,)
            ).fetchone()
            start = int(row[0])
        rows = [(session_id, start + i, _encoder.encode(r)) for i, r in enumerate(records)]
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT INTO records (session, n, body) VALUES (?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        except sqlite3.Error as exc:
            raise JournalError(_explain(exc)) from exc
        self._next_n[session_id] = start + len(rows)

    def probe(self) -> None:
        """Try a small real write (and delete it): raises JournalError while writes fail.

        It is committed, not rolled back: in WAL mode a rolled-back transaction never
        leaves SQLite's page cache, so it would "succeed" on a disk that is still full."""
        try:
            self._db.execute("CREATE TABLE IF NOT EXISTS probe (x)")
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT INTO probe VALUES (zeroblob(65536))")
            self._db.execute("COMMIT")
            self._db.execute("DELETE FROM probe")
        except sqlite3.Error as exc:
            self._rollback()
            raise JournalError(_explain(exc)) from exc

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already (it rolls back by itself on
        a full disk); a failing ROLLBACK must not hide the error that matters."""
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def _transaction(self, sql: str, args: tuple[object, ...]) -> None:
        try:
            self._db.execute(sql, args)
        except sqlite3.Error as exc:
            raise JournalError(_explain(exc)) from exc


def _explain(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "full" in text:
        return "The host laptop's disk is full: changes are paused until space is freed."
    if "readonly" in text or "read-only" in text:
        return "The host cannot write its data folder (read-only): changes are paused."
    return f"The host cannot save changes ({text}): changes are paused."
