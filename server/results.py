"""Saving a session's results when it closes, and finding saved results again.

At close the server calls `save_results(state, data_dir)`, which writes one folder
`<data_dir>/sessions/<YYYY-MM-DD>-<slug>/` holding:

* `session.json` -- the final state, as the room sees it (see `saved_state`);
* `report.md` -- a handout: the situation, the tree, the ranking, the 2×2, the actions and
  the agreed next steps, in the session's wording (problem or success);
* `report.html` -- the same, self-contained and printable;
* `actions.csv` -- one row per action, for a spreadsheet.

What the reports say, and how, is `shared/report.py` (pure: the session and the time in,
text out); this module only reads the clock, writes the files and finds them again.
`whytree sessions` uses `list_saved`, `whytree report ID` uses `find_saved` and
`report_text`.

**Crash safety.** No crash ever leaves a half-written file in a results folder, and a new
results folder appears complete or not at all:

* every file is written to a temporary file in the folder it belongs in, flushed,
  fsynced and moved over its final name with `os.replace` (atomic);
* a *new* folder is first filled under a hidden staging name (`.partial-...`) and then
  renamed into place in one step, so `list_saved` never sees half a session;
* saving a session *again* (closed, reopened, closed) replaces the files of its existing
  folder one by one. A crash in the middle can leave some files from the earlier close
  next to some from the later one -- each of them whole -- and `session.json` is written
  last, so it is never newer than the reports.

Leftovers of a crash (hidden staging folders and temporary files) are never read, and
are removed by a later save once they are an hour old.

**Privacy.** Results are for the host's user only: folders are 0o700, files 0o600. The
reports never name who wrote a cause or proposed an action, and in an anonymous session
no name or author appears in any file.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import shutil
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import msgspec

from ..shared import report
from ..shared.model import Mode, Session
from ..shared.views import project
from .files import fsync_dir, private_dir, write_private

log = logging.getLogger(__name__)

SESSIONS_DIR = "sessions"
REPORT_FILE = "report.md"
STATE_FILE = "session.json"
_STAGING_PREFIX = ".partial-"
_STALE_AFTER = 3600.0
"""Seconds after which a crash's leftovers are surely not a save still in progress."""
_SLUG_LENGTH = 40


@dataclass(frozen=True)
class SavedSession:
    """One saved session, as `whytree sessions` lists it."""

    id: str
    """The folder name, e.g. `2024-05-14-fifth-graders-after-school`."""
    path: Path
    title: str
    situation: str
    mode: Mode
    closed_at: float | None
    causes: int
    actions: int
    created_at: float = 0.0
    """When the session began (0 when unknown)."""
    people: int = 0
    """How many took part: everyone who joined to answer or vote, not read-only viewers."""


class AmbiguousSession(LookupError):
    """A prefix given to `find_saved` matches more than one saved session."""

    def __init__(self, prefix: str, matches: list[str]) -> None:
        super().__init__(f"{prefix!r} matches {len(matches)} saved sessions: {', '.join(matches)}")
        self.prefix = prefix
        self.matches = matches


# --- saving ------------------------------------------------------------------------------------


def save_results(state: Session, data_dir: Path, now: float | None = None) -> Path:
    """Write the results of `state` into its folder under `<data_dir>/sessions/` and return
    that folder; `now` (default: the clock) is when they are saved. Saving the same session
    again (same `state.id`) replaces the files of the folder it was saved in, even when its
    date or title has changed since."""
    now = time.time() if now is None else now
    # Render everything before touching the disk: a bug in a report must not leave a
    # folder with only some of the files.
    files = {
        REPORT_FILE: report_markdown(state, now).encode(),
        "report.html": report_html(state, now).encode(),
        # A byte-order mark, so that spreadsheet programs read names with accents right.
        "actions.csv": actions_csv(state).encode("utf-8-sig"),
        STATE_FILE: msgspec.json.format(msgspec.json.encode(saved_state(state))) + b"\n",
    }
    sessions = _sessions_dir(data_dir)
    _sweep(sessions, _STAGING_PREFIX + "*")
    when = state.closed_at if state.closed_at is not None else now
    slug = _slug(state.title) or _slug(state.situation) or "session"
    base = f"{time.strftime('%Y-%m-%d', time.localtime(when))}-{slug}"

    existing = _folder_of(sessions, state.id)
    if existing is not None:  # closed, reopened, closed: the same folder, whatever its name
        _overwrite(existing, files)
        return existing

    staging: Path | None = None
    try:
        for number in itertools.count(1):
            folder = sessions / (base if number == 1 else f"{base}-{number}")
            if folder.exists() or folder.is_symlink():
                if state.id and not folder.is_symlink() and _saved_id(folder) == state.id:
                    _overwrite(folder, files)
                    return folder
                continue
            if staging is None:
                staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=sessions))
                for name, data in files.items():
                    write_private(staging / name, data)
                fsync_dir(staging)
            try:
                os.rename(staging, folder)
            except OSError:
                if folder.exists():
                    continue  # another save took this name a moment ago
                raise
            staging = None
            fsync_dir(sessions)
            return folder
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    raise AssertionError("unreachable")  # pragma: no cover


def report_markdown(state: Session, now: float | None = None) -> str:
    """`report.md` as saved at `now` (default: the clock); see `shared.report.markdown`."""
    return report.markdown(state, time.time() if now is None else now)


def report_html(state: Session, now: float | None = None) -> str:
    """`report.html` as saved at `now` (default: the clock); see `shared.report.html`."""
    return report.html(state, time.time() if now is None else now)


def actions_csv(state: Session) -> str:
    """`actions.csv` (as text, without its byte-order mark); see `shared.report.csv`."""
    return report.csv(state)


def saved_state(state: Session) -> Session:
    """The state written to `session.json`: the session as the room sees it -- everything
    but each person's own ballot (the revealed totals stay), and, in an anonymous session,
    without names and authors."""
    return project(state, viewer="")


def _sessions_dir(data_dir: Path) -> Path:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    sessions = data_dir / SESSIONS_DIR
    sessions.mkdir(mode=0o700, exist_ok=True)
    # It may exist from before with looser permissions, and mkdir's mode is masked by umask.
    private_dir(sessions)
    return sessions


def _overwrite(folder: Path, files: dict[str, bytes]) -> None:
    private_dir(folder)
    _sweep(folder, ".*.tmp")
    for name, data in files.items():  # session.json comes last
        write_private(folder / name, data)
    fsync_dir(folder)


def _sweep(folder: Path, pattern: str) -> None:
    """Remove a crash's leftovers matching `pattern` in `folder`, once they are stale."""
    cutoff = time.time() - _STALE_AFTER
    for leftover in folder.glob(pattern):
        with contextlib.suppress(OSError):
            if leftover.is_symlink() or leftover.lstat().st_mtime > cutoff:
                continue
            if leftover.is_dir():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()


class _Identity(msgspec.Struct):
    id: str = ""


def _folder_of(sessions: Path, session_id: str) -> Path | None:
    """The folder where the session `session_id` was saved before, if any."""
    if not session_id:
        return None
    for folder in sorted(sessions.iterdir()):
        if folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
            continue
        if _saved_id(folder) == session_id:
            return folder
    return None


def _saved_id(folder: Path) -> str | None:
    """The session id saved in `folder`, or None when it can't be read."""
    try:
        return msgspec.json.decode((folder / STATE_FILE).read_bytes(), type=_Identity).id
    except (OSError, msgspec.DecodeError, RecursionError):  # RecursionError: `[[[[...`
        return None


def _slug(text: str) -> str:
    """A short ascii name for a folder: `Après l'école!` -> `apres-l-ecole`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > _SLUG_LENGTH:
            break
        slug = longer
    return slug or (words[0][:_SLUG_LENGTH] if words else "")


# --- finding saved sessions ----------------------------------------------------------------------


def list_saved(data_dir: Path) -> list[SavedSession]:
    """Every saved session under `data_dir`, newest first. A folder that can't be read is
    skipped with a warning in the log."""
    sessions = data_dir / SESSIONS_DIR
    if not sessions.is_dir():
        return []
    found: list[SavedSession] = []
    for folder in sessions.iterdir():
        if folder.name.startswith(".") or not folder.is_dir():
            continue  # staging folders of a save in progress (or crashed), stray files
        try:
            state = msgspec.json.decode((folder / STATE_FILE).read_bytes(), type=Session)
        except (OSError, msgspec.DecodeError, RecursionError) as error:  # `{"x": [[[[...`
            log.warning("Skipping saved session %s: %s", folder.name, error)
            continue
        found.append(SavedSession(
            id=folder.name, path=folder, title=state.title, situation=state.situation,
            mode=state.mode, closed_at=state.closed_at, causes=len(state.causes),
            actions=len(state.actions), created_at=state.created_at,
            people=sum(1 for person in state.people.values() if person.role != "viewer"),
        ))
    found.sort(key=lambda saved: (saved.closed_at or 0.0, saved.id), reverse=True)
    return found


def find_saved(data_dir: Path, id_or_prefix: str) -> SavedSession | None:
    """The saved session whose folder name is `id_or_prefix`, or the only one starting with
    it; None if there is none. Raises `AmbiguousSession` if several start with it."""
    key = id_or_prefix.strip()
    if not key:
        return None
    saved = list_saved(data_dir)
    for candidate in saved:
        if candidate.id == key:
            return candidate
    matches = [candidate for candidate in saved if candidate.id.startswith(key)]
    if len(matches) > 1:
        raise AmbiguousSession(key, [match.id for match in matches])
    return matches[0] if matches else None


def report_text(saved: SavedSession) -> str:
    """The text of a saved session's `report.md`, for `whytree report`. Should that file be
    lost or damaged, the same report is made again from `session.json`, as of the time that
    was saved. Raises `OSError` or `ValueError` when neither can be read."""
    try:
        return (saved.path / REPORT_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        log.warning("Making the report of %s again from %s: %s", saved.id, STATE_FILE, error)
    state_file = saved.path / STATE_FILE
    try:
        state = msgspec.json.decode(state_file.read_bytes(), type=Session)
    except RecursionError as error:
        raise ValueError(f"{state_file} is nested too deeply") from error
    return report.markdown(state, state_file.stat().st_mtime)
