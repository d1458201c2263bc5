"""The durable journal: every accepted event, in SQLite, before anyone hears of it.

One SQLite file (`journal.sqlite3` in the data directory, WAL mode, `synchronous=FULL`)
holds every session this host has run: a row per session (title, join code, facilitator
key, open or closed) and a row per journal record (an event, or a token that lets a person
come back). The server writes everything it accepted since its last commit in one
transaction (`write`, from a thread of its own), then sends the frames; so an event is
durable before it is broadcast or acknowledged, and a burst of votes costs one commit, not
one per vote. The methods take a lock, so the server's event loop may also use the
journal (a new code, the closed flag) while a commit runs.

Start-up reads the records back (`records`). SQLite's own journal makes a transaction all
or nothing, so a power cut loses at most the batch that was being committed, which nobody
had been told about. A record that still does not decode is treated as follows: the last
record of a session is dropped with a log line (a torn write); anything damaged before it
stops start-up with `JournalDamaged`, never silent loss. Write failures (a full disk, a
read-only or vanished file) raise `JournalError` with a sentence for people.

**Lost commits.** SQLite reads its write-ahead log (`journal.sqlite3-wal`) up to the first
frame whose checksum is wrong and silently ignores the rest; a truncated or damaged
`-wal` therefore loses committed records without a word, and the next event would reuse
their `seq`. So after each commit the journal also notes the last record it committed in
`journal.mark`, a small file outside SQLite, and start-up refuses, with `JournalDamaged`,
a journal that ends before that record. The mark is written after the commit, so it is
never ahead of what SQLite made durable (no false alarm); two checksummed slots written
in turn mean a torn write of it leaves the one before. It is written at every commit but
synced at most once every MARK_SYNC_EVERY seconds (and at close): a sync per commit
would halve the server's rate in a burst of votes, and the mark matters when the `-wal`
is damaged or cut short after the fact, by which time the system has written it out. The
server syncs it (`sync_mark`) after it has sent the commit's frames, so a change after a
quiet second waits for one disk sync before it reaches the screens, not two.

**A log that does not grow at every commit.** SQLite deletes its `-wal` when the journal
closes, so after every start each commit made that file longer, and a disk sync that must
also record a file's new length costs about twice one that overwrites what is there (on
the test machine, 1.4 ms against 0.6-1.0 ms: most of the time between a key and the
answer on the other screens). So once the server is up, `make_room` writes and frees
about `WAL_ROOM` bytes and restarts the log from its start: the file then has the size it
reaches between two of SQLite's automatic checkpoints, and the session's commits write
into it.

**One server per folder.** The journal holds an exclusive lock on `journal.lock` while it
is open; a second server on the same data folder stops at once with `JournalBusy`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import msgspec

from .files import private_dir, touch_private
from .records import Record

log = logging.getLogger(__name__)

FILE_NAME = "journal.sqlite3"
MARK_NAME = "journal.mark"
LOCK_NAME = "journal.lock"
_MARK_SLOT = 128
MARK_SYNC_EVERY = 1.0
WAL_ROOM = 2 * 2**20
"""Bytes `make_room` writes and frees: the `-wal` grows to about twice this, the size it
reaches anyway between two automatic checkpoints (1,000 pages)."""
ROOM_ONLY_WITH = 64 * 2**20
"""Free bytes on the data folder's disk below which `make_room` leaves the log as it is."""

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, one server per folder is up to you
    fcntl = None  # type: ignore[assignment]

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
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_ADD_PORT = "ALTER TABLE sessions ADD COLUMN port INTEGER NOT NULL DEFAULT 0"
"""The port a session last listened on, so that a restarted host resumes on the same
address. Added to an older journal only when a port is first written: opening a journal
(a damaged one, say) changes nothing in it."""

_record_decoder: msgspec.json.Decoder[Record] = msgspec.json.Decoder(Record)
_encoder = msgspec.json.Encoder()


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _one_at_a_time(method: Callable[Concatenate[Journal, _P], _R]) -> Callable[Concatenate[Journal, _P], _R]:
    """Run `method` holding the journal's lock: the server commits from a thread of its
    own while its event loop may set a flag or a code, and one SQLite connection must not
    mix the two into one transaction."""

    @wraps(method)
    def guarded(self: Journal, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self._guard:
            return method(self, *args, **kwargs)

    return guarded


class JournalError(Exception):
    """The journal could not be written; the message says what to do."""


class JournalDamaged(Exception):
    """The journal file is damaged somewhere other than its last record, or has lost
    records it had committed."""


class JournalBusy(JournalError):
    """Another server is using the same data folder."""


class SessionRow(msgspec.Struct):
    id: str
    title: str
    code: str
    facilitator_key: str
    created_at: float
    closed: bool


class Journal:
    """The SQLite journal in `data_dir`.

    Its methods may be called from more than one thread (the server writes from a thread
    of its own): one at a time, each in its own transaction."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME
        self._guard = threading.RLock()
        self._lock_fd: int | None = None
        self._mark_fd: int | None = None
        try:
            private_dir(data_dir)
            self._lock(data_dir)
            touch_private(self.path)  # private before SQLite opens it (its -wal copies the mode)
            self._mark_fd = os.open(data_dir / MARK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            self._release()
            raise JournalError(
                f"The data folder {data_dir} cannot be used: {exc.strerror or exc}. Choose a folder "
                "this user can write with --data-dir (or WHYTREE_DATA_DIR)."
            ) from exc
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('id', ?)", (secrets.token_hex(8),))
            self._id = str(self._db.execute("SELECT value FROM meta WHERE key = 'id'").fetchone()[0])
            check = self._db.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError as exc:
            self._release()
            if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc):
                raise JournalError(f"The data folder {data_dir} cannot be written ({exc}). Choose a "
                                   "folder this user can write with --data-dir.") from exc
            raise JournalDamaged(
                f"The journal {self.path} cannot be read ({exc}). Nothing was changed; "
                f"move the file aside to start afresh, or keep it for recovery."
            ) from exc
        if check is None or check[0] != "ok":
            self._release()
            raise JournalDamaged(f"The journal {self.path} is damaged ({check}). Nothing was changed.")
        self._next_n: dict[str, int] = {}
        self._marks = 0
        self._mark_synced = 0.0
        self._marks_synced = -1
        """`_marks` when the mark was last synced."""
        try:
            self._check_mark()
        except JournalDamaged:
            self._release()
            raise

    def _lock(self, data_dir: Path) -> None:
        """Hold `journal.lock` while the journal is open; refuse when another server does."""
        if fcntl is None:  # pragma: no cover
            return
        fd = self._lock_fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            self._release()
            raise JournalBusy(
                f"Another whytree server{f' (process {holder})' if holder.isdigit() else ''} is "
                f"already using the data folder {data_dir}. Stop it first, or give this one another "
                "folder with --data-dir."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)

    def _release(self) -> None:
        if self._mark_fd is not None:
            with contextlib.suppress(OSError):
                _sync(self._mark_fd)
        if getattr(self, "_db", None) is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        for fd in (self._mark_fd, self._lock_fd):  # closing the lock file releases the lock
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._mark_fd = self._lock_fd = None

    # --- the mark of the last commit ----------------------------------------------------

    def _read_mark(self) -> tuple[int, str, str, int] | None:
        """(counter, journal id, session, n) of the newest whole slot, or None."""
        assert self._mark_fd is not None
        data = os.pread(self._mark_fd, 2 * _MARK_SLOT, 0)
        best: tuple[int, str, str, int] | None = None
        for start in (0, _MARK_SLOT):
            fields = data[start:start + _MARK_SLOT].rstrip(b"\0 \n").split(b" ")
            whole = len(fields) == 5 and fields[4].isdigit()
            if not whole or int(fields[4]) != zlib.crc32(b" ".join(fields[:4])):
                continue
            try:
                slot = (int(fields[0]), fields[1].decode(), fields[2].decode(), int(fields[3]))
            except (ValueError, UnicodeDecodeError):
                continue
            if best is None or slot[0] > best[0]:
                best = slot
        return best

    def _write_mark(self, session_id: str, n: int) -> None:
        """Note (durably) that record `n` of `session_id` is committed."""
        assert self._mark_fd is not None
        self._marks += 1
        body = f"{self._marks} {self._id} {session_id} {n}".encode()
        slot = f"{body.decode()} {zlib.crc32(body)}\n".encode().ljust(_MARK_SLOT, b"\0")
        if len(slot) > _MARK_SLOT:  # pragma: no cover - ids are short
            return
        os.pwrite(self._mark_fd, slot, (self._marks % 2) * _MARK_SLOT)

    @property
    def mark_due(self) -> bool:
        """The mark was written since it was last synced, at least MARK_SYNC_EVERY ago."""
        return (self._mark_fd is not None and self._marks != self._marks_synced
                and time.monotonic() - self._mark_synced >= MARK_SYNC_EVERY)

    @_one_at_a_time
    def sync_mark(self) -> None:
        """Make the mark durable when it is due (`mark_due`); JournalError if the disk
        refuses."""
        if self.mark_due:
            self._sync_mark()

    def _sync_mark(self) -> None:
        assert self._mark_fd is not None
        try:
            _sync(self._mark_fd)
        except OSError as exc:
            raise JournalError(cannot_save(exc.strerror or str(exc))) from exc
        self._mark_synced, self._marks_synced = time.monotonic(), self._marks

    def _check_mark(self) -> None:
        mark = self._read_mark()
        if mark is None:
            return
        self._marks, journal_id, session_id, n = mark
        if journal_id != self._id:  # a journal moved aside and started afresh: a new mark
            log.info("journal: %s belongs to another journal file; starting it afresh", MARK_NAME)
            return
        row = self._db.execute("SELECT MAX(n) FROM records WHERE session = ?", (session_id,)).fetchone()
        last = -1 if row is None or row[0] is None else int(row[0])
        if last < n:
            raise JournalDamaged(
                f"The journal {self.path} has lost changes it had saved: session {session_id} ends at "
                f"record {last}, but record {n} was saved (its -wal file is damaged or cut short). "
                "Nothing was changed; keep the files for recovery, or start with --new."
            )

    @_one_at_a_time
    def close(self) -> None:
        self._release()

    def _has_port(self) -> bool:
        return any(row[1] == "port" for row in self._db.execute("PRAGMA table_info(sessions)"))

    # --- sessions ------------------------------------------------------------------------

    @_one_at_a_time
    def latest_open_session(self) -> SessionRow | None:
        row = self._db.execute(
            "SELECT id, title, code, facilitator_key, created_at, closed FROM sessions "
            "WHERE closed = 0 ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return SessionRow(row[0], row[1], row[2], row[3], row[4], bool(row[5]))

    @_one_at_a_time
    def create_session(self, session_id: str, title: str, code: str, facilitator_key: str) -> SessionRow:
        row = SessionRow(session_id, title, code, facilitator_key, time.time(), False)
        self._transaction(
            "INSERT INTO sessions (id, title, code, facilitator_key, created_at, closed) "
            "VALUES (?, ?, ?, ?, ?, 0)",
            (row.id, row.title, row.code, row.facilitator_key, row.created_at),
        )
        return row

    @_one_at_a_time
    def last_port(self, session_id: str) -> int:
        """The port the session last listened on (0: not known)."""
        if not self._has_port():
            return 0
        row = self._db.execute("SELECT port FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return int(row[0]) if row is not None and row[0] else 0

    @_one_at_a_time
    def set_port(self, session_id: str, port: int) -> None:
        if not self._has_port():
            self._transaction(_ADD_PORT, ())
        self._transaction("UPDATE sessions SET port = ? WHERE id = ?", (port, session_id))

    @_one_at_a_time
    def set_code(self, session_id: str, code: str) -> None:
        """A new join code for the session: a restarted host resumes with it."""
        self._transaction("UPDATE sessions SET code = ? WHERE id = ?", (code, session_id))

    @_one_at_a_time
    def set_closed(self, session_id: str, closed: bool) -> None:
        self._transaction("UPDATE sessions SET closed = ? WHERE id = ?", (int(closed), session_id))

    # --- records ---------------------------------------------------------------------------

    def records(self, session_id: str) -> Iterator[Record]:
        """The session's records in order. A last record that does not decode is dropped
        (and deleted) with a log line; damage anywhere else raises `JournalDamaged`."""
        with self._guard:
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
                    with self._guard:
                        self._transaction("DELETE FROM records WHERE session = ? AND n = ?", (session_id, n))
                        self._write_mark(session_id, n - 1)
                        # At once: the slot before still names the dropped record, which a
                        # power cut now would leave ahead of the journal (a false alarm).
                        self._sync_mark()
                    break
                raise JournalDamaged(
                    f"The journal {self.path} is damaged at record {n} of session {session_id} "
                    f"({exc}); later records exist, so nothing is resumed. Keep the file for recovery."
                ) from exc
            if record.event is not None:
                last_seq = record.event.seq
            self._next_n[session_id] = n + 1
            yield record

    @_one_at_a_time
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
        try:
            self._write_mark(session_id, start + len(rows) - 1)
        except OSError as exc:  # committed, but the next start could not tell a loss: say so
            raise JournalError(cannot_save(exc.strerror or str(exc))) from exc

    @_one_at_a_time
    def make_room(self) -> None:
        """Give the `-wal` file its working size once (see the module's docstring), so
        that commits overwrite it instead of making it longer. Only speed depends on it:
        a failure is logged and left to the first real write to report."""
        wal = self.path.with_name(self.path.name + "-wal")
        try:
            if (wal.exists() and wal.stat().st_size >= WAL_ROOM
                    or shutil.disk_usage(self.path.parent).free < ROOM_ONLY_WITH):
                return  # (on a nearly full disk, the room is for the session's changes)
            self._db.execute("CREATE TABLE IF NOT EXISTS probe (x)")
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT INTO probe VALUES (zeroblob(?))", (WAL_ROOM,))
            self._db.execute("COMMIT")
            self._db.execute("DELETE FROM probe")
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except (OSError, sqlite3.Error) as exc:
            self._rollback()
            log.info("journal: could not give the log its working size (%s)", exc)

    @_one_at_a_time
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

    @_one_at_a_time
    def _transaction(self, sql: str, args: tuple[object, ...]) -> None:
        try:
            self._db.execute(sql, args)
        except sqlite3.Error as exc:
            raise JournalError(_explain(exc)) from exc


def _sync(fd: int) -> None:
    getattr(os, "fdatasync", os.fsync)(fd)


def _explain(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "full" in text:
        return "The host laptop's disk is full: changes are paused until space is freed."
    if "readonly" in text or "read-only" in text:
        return "The host cannot write its data folder (read-only): changes are paused."
    return cannot_save(text)


def cannot_save(reason: str) -> str:
    """What people read when the host cannot write a change, for `reason`."""
    return f"The host cannot save changes ({reason}): changes are paused."
