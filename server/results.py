"""Saving a session's results when it closes, and finding saved results again.

At close the server calls `save_results(state, data_dir)`, which writes one folder
`<data_dir>/sessions/<YYYY-MM-DD>-<slug>/` holding:

* `session.json` -- the final state, as the room sees it (see `saved_state`);
* `report.md` -- a handout: the situation, the tree, the ranking, the 2×2, the actions and
  the agreed next steps, in the session's wording (problem or success);
* `report.html` -- the same, self-contained and printable;
* `actions.csv` -- one row per action, for a spreadsheet.

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
import csv
import html
import io
import itertools
import logging
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from ..shared.model import Doer, Mode, Session
from ..shared.ranking import BOX_TITLES, box_meaning, matters_threshold, ranked, tree_order, two_by_two
from ..shared.views import project
from ..shared.wording import CHANGE_LABELS, DOER_LABELS, action_question, cause_word
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


class AmbiguousSession(LookupError):
    """A prefix given to `find_saved` matches more than one saved session."""

    def __init__(self, prefix: str, matches: list[str]) -> None:
        super().__init__(f"{prefix!r} matches {len(matches)} saved sessions: {', '.join(matches)}")
        self.prefix = prefix
        self.matches = matches


# --- saving ------------------------------------------------------------------------------------


def save_results(state: Session, data_dir: Path) -> Path:
    """Write the results of `state` into its folder under `<data_dir>/sessions/` and return
    that folder. Saving the same session again (same `state.id`) replaces the files of the
    folder it was saved in, even when its date or title has changed since."""
    # Render everything before touching the disk: a bug in a report must not leave a
    # folder with only some of the files.
    files = {
        "report.md": report_markdown(state).encode(),
        "report.html": report_html(state).encode(),
        # A byte-order mark, so that spreadsheet programs read names with accents right.
        "actions.csv": actions_csv(state).encode("utf-8-sig"),
        STATE_FILE: msgspec.json.format(msgspec.json.encode(saved_state(state))) + b"\n",
    }
    sessions = _sessions_dir(data_dir)
    _sweep(sessions, _STAGING_PREFIX + "*")
    when = state.closed_at if state.closed_at is not None else time.time()
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
        except (OSError, msgspec.DecodeError) as error:
            log.warning("Skipping saved session %s: %s", folder.name, error)
            continue
        found.append(SavedSession(
            id=folder.name, path=folder, title=state.title, situation=state.situation,
            mode=state.mode, closed_at=state.closed_at, causes=len(state.causes),
            actions=len(state.actions),
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
    """The text of a saved session's `report.md`, for `whytree report`."""
    return (saved.path / REPORT_FILE).read_text(encoding="utf-8")


# --- the reports: one document, two renderings ---------------------------------------------------
#
# The handout is built once as a few plain blocks holding plain text (ours and the room's);
# each renderer escapes every piece of text for its format, so no user text is ever read
# as Markdown, HTML or a spreadsheet formula.


@dataclass(frozen=True)
class _Strong:
    text: str


_Inline = str | _Strong


@dataclass(frozen=True)
class _Heading:
    level: int
    text: str


@dataclass(frozen=True)
class _Para:
    parts: tuple[_Inline, ...]
    muted: bool = False


@dataclass(frozen=True)
class _Items:
    """A list; each item has a depth (1 = top level), which nests it under the one before."""

    items: tuple[tuple[int, tuple[_Inline, ...]], ...]


@dataclass(frozen=True)
class _Table:
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class _Box:
    title: str
    meaning: str
    causes: tuple[str, ...]


@dataclass(frozen=True)
class _Grid:
    """The 2×2: boxes in `BOXES` order, i.e. rows "matters"/"matters less", columns "can
    change"/"not for now"."""

    boxes: tuple[_Box, ...]
    rows: tuple[str, str] = ("Matters most", "Matters less")
    columns: tuple[str, str] = ("Can change", "Not for now")


_Block = _Heading | _Para | _Items | _Table | _Grid


@dataclass
class _Report:
    title: str
    subtitle: str
    blocks: list[_Block] = field(default_factory=list)


def _when(timestamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(time.time() if timestamp is None else timestamp))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _dots(count: int) -> str:
    return f"{count} dot{'' if count == 1 else 's'}"


def _report(state: Session) -> _Report:
    mode = state.mode
    causes_word = cause_word(mode, plural=True)
    cause_label = _capital(cause_word(mode))
    title = state.title or state.situation or "whytree session"
    subtitle = f"{'Problem' if mode == 'problem' else 'Success'} session · closed {_when(state.closed_at)}"
    if state.voters:
        subtitle += f" · {state.voters} {'person' if state.voters == 1 else 'people'} voted"
    report = _Report(title, subtitle)
    add = report.blocks.append

    add(_Heading(2, "The problem" if mode == "problem" else "The success"))
    add(_Para((state.situation or "(no situation was written)",)))

    add(_Heading(2, f"{'Why it happens' if mode == 'problem' else 'Why it went well'}: "
                    f"the {causes_word}"))
    tree = tree_order(state)
    if tree:
        add(_Items(tuple((depth, (cause.text,)) for cause, depth in tree)))
    else:
        add(_Para((f"No {causes_word} were found.",), muted=True))

    ranking = ranked(state)
    add(_Heading(2, "What matters most, and can it change?"))
    if not ranking:
        add(_Para((f"No {causes_word} to weigh.",), muted=True))
    elif not state.revealed:
        add(_Para((f"The votes were not revealed before the session closed, so the {causes_word} "
                   "are not ranked.",), muted=True))
    elif not any(item.dots or item.tally.votes_on_change() for item in ranking):
        add(_Para(("Nobody voted.",), muted=True))
    else:
        add(_Table(
            ("Rank", cause_label, "Matters (dots)", _capital(CHANGE_LABELS["we"]),
             _capital(CHANGE_LABELS["others"]), _capital(CHANGE_LABELS["no"]), "The room says"),
            tuple((str(item.place), item.cause.text, str(item.dots), str(item.tally.we),
                   str(item.tally.others), str(item.tally.no), CHANGE_LABELS[item.answer])
                  for item in ranking),
        ))
        threshold = matters_threshold(ranking)
        add(_Heading(2, "Matters × can change"))
        add(_Para((f"“Matters most” means {_dots(threshold)} or more: at least the average of the "
                   f"{causes_word} that got any dot. “Can change” means more than half of the "
                   f"answers said “{CHANGE_LABELS['we']}” or “{CHANGE_LABELS['others']}”.",),
                  muted=True))
        add(_Grid(tuple(
            _Box(BOX_TITLES[box], box_meaning(box, mode),
                 tuple(f"{item.cause.text} ({_dots(item.dots)}; {CHANGE_LABELS[item.answer]})"
                       for item in causes))
            for box, causes in two_by_two(state).items()
        )))

    add(_Heading(2, "Actions"))
    add(_Para((action_question(mode),), muted=True))
    if state.actions:
        items: list[tuple[int, tuple[_Inline, ...]]] = []
        for action in state.actions.values():
            parts: list[_Inline] = [_Strong(action.text)]
            if action.agreed:
                parts.append(" (agreed)")
            items.append((1, tuple(parts)))
            targets = _cause_texts(state, action.causes)
            if targets:
                items.append((2, (f"For: {'; '.join(targets)}",)))
            items.append((2, (f"Who can do it: {_doers(action.by, action.who)}",)))
        add(_Items(tuple(items)))
    else:
        add(_Para(("No actions were proposed.",), muted=True))

    add(_Heading(2, "Agreed next steps"))
    agreed = [action for action in state.actions.values() if action.agreed]
    if agreed:
        add(_Table(
            ("Action", "First step", "Who takes it", "By when"),
            tuple((action.text, action.first_step or "—", action.owner or "—", action.due or "—")
                  for action in agreed),
        ))
    else:
        add(_Para(("No actions were agreed.",), muted=True))

    add(_Para((f"Saved by whytree on {_when(None)}.",), muted=True))
    return report


def _cause_texts(state: Session, cause_ids: Sequence[str]) -> list[str]:
    return [state.causes[cause_id].text for cause_id in cause_ids if cause_id in state.causes]


def _doers(by: Doer, who: str) -> str:
    label = DOER_LABELS[by]
    return f"{label}: {who}" if who else label


# --- Markdown ----------------------------------------------------------------------------------

# Characters that could turn text into Markdown (or inline HTML) anywhere in a line, and
# what starts a heading, a quote or a list at the start of a line.
_MD_INLINE = re.compile(r"[\\`*_\[\]<>|~]|&(?=#?\w+;)")
_MD_LINE_START = re.compile(r"[#>+=-]|\d+(?=[.)])")


def _md(text: str) -> str:
    """`text` escaped so that Markdown shows it as it is (and a viewer runs no HTML in it)."""
    text = _MD_INLINE.sub(lambda match: "\\" + match.group(), text)
    start = _MD_LINE_START.match(text)
    if start is None:
        return text
    if start.group().isdigit():  # "1. " would start a list: escape the dot instead
        return text[: start.end()] + "\\" + text[start.end():]
    return "\\" + text


def _md_inline(parts: Sequence[_Inline]) -> str:
    return "".join(f"**{_md(part.text)}**" if isinstance(part, _Strong) else _md(part) for part in parts)


def report_markdown(state: Session) -> str:
    """The handout as Markdown (`report.md`): readable as plain text too."""
    report = _report(state)
    lines = [f"# {_md(report.title)}", "", f"*{_md(report.subtitle)}*", ""]
    for block in report.blocks:
        match block:
            case _Heading(level=level, text=text):
                lines += ["#" * level + " " + _md(text), ""]
            case _Para(parts=parts, muted=muted):
                text = _md_inline(parts)
                lines += [f"*{text}*" if muted else text, ""]
            case _Items(items=items):
                lines += ["  " * (depth - 1) + f"- {_md_inline(parts)}" for depth, parts in items]
                lines.append("")
            case _Table(head=head, rows=rows):
                lines.append("| " + " | ".join(_md(cell) for cell in head) + " |")
                lines.append("|" + "|".join("---" for _ in head) + "|")
                lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]
                lines.append("")
            case _Grid(boxes=boxes):
                for box in boxes:
                    lines += [f"### {_md(box.title)}", "", f"*{_md(box.meaning)}*", ""]
                    lines += [f"- {_md(cause)}" for cause in box.causes] or ["- (none)"]
                    lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# --- HTML --------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.45;
       max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
h1 { font-size: 1.8rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
.muted { color: #555; font-style: italic; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
th, td { border: 1px solid #bbb; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.number { text-align: right; }
table.grid td { width: 45%; }
table.grid th[scope=row] { width: 10%; }
.box-title { font-weight: bold; }
.box-meaning { color: #555; font-size: 0.9rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; color: #000; }
  h2 { break-after: avoid; }
  table, li { break-inside: avoid; }
  th { background: none; }
}
"""


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _html_inline(parts: Sequence[_Inline]) -> str:
    return "".join(f"<strong>{_h(part.text)}</strong>" if isinstance(part, _Strong) else _h(part)
                   for part in parts)


def _html_items(items: Sequence[tuple[int, Sequence[_Inline]]]) -> list[str]:
    """Nested <ul>s: an item deeper than the one before opens a list inside it."""
    out: list[str] = []
    depth = 0
    for wanted, parts in items:
        level = min(wanted, depth + 1)  # a list can't skip a level
        if level > depth:
            out.append("<ul>")
        else:
            out.append("</li></ul>" * (depth - level) + "</li>")
        out.append(f"<li>{_html_inline(parts)}")
        depth = level
    out.append("</li></ul>" * depth)
    return out


def report_html(state: Session) -> str:
    """The handout as one self-contained, printable HTML page (`report.html`)."""
    report = _report(state)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        # Nothing to load and no script to run: only the inline style below.
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(report.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{_h(report.title)}</h1>",
        f'<p class="muted">{_h(report.subtitle)}</p>',
    ]
    for block in report.blocks:
        match block:
            case _Heading(level=level, text=text):
                out.append(f"<h{level}>{_h(text)}</h{level}>")
            case _Para(parts=parts, muted=muted):
                opening = '<p class="muted">' if muted else "<p>"
                out.append(f"{opening}{_html_inline(parts)}</p>")
            case _Items(items=items):
                out += _html_items(items)
            case _Table(head=head, rows=rows):
                out.append("<table>")
                out.append("<thead><tr>" + "".join(f"<th>{_h(cell)}</th>" for cell in head) + "</tr></thead>")
                out.append("<tbody>")
                for row in rows:
                    cells = "".join(
                        f'<td class="number">{_h(cell)}</td>' if cell.isdigit() else f"<td>{_h(cell)}</td>"
                        for cell in row
                    )
                    out.append(f"<tr>{cells}</tr>")
                out.append("</tbody></table>")
            case _Grid(boxes=boxes, rows=rows, columns=columns):
                out.append('<table class="grid">')
                out.append("<thead><tr><td></td>"
                           + "".join(f'<th scope="col">{_h(column)}</th>' for column in columns)
                           + "</tr></thead><tbody>")
                for row_name, row_boxes in zip(rows, (boxes[:2], boxes[2:]), strict=True):
                    cells = "".join(_html_box(box) for box in row_boxes)
                    out.append(f'<tr><th scope="row">{_h(row_name)}</th>{cells}</tr>')
                out.append("</tbody></table>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def _html_box(box: _Box) -> str:
    causes = "".join(f"<li>{_h(cause)}</li>" for cause in box.causes) or '<li class="muted">(none)</li>'
    return (f'<td><div class="box-title">{_h(box.title)}</div>'
            f'<div class="box-meaning">{_h(box.meaning)}</div><ul>{causes}</ul></td>')


# --- CSV ---------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A spreadsheet cell that shows `text` as text: one starting like a formula gets a
    leading apostrophe, so opening the file never runs anything."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def actions_csv(state: Session) -> str:
    """One row per action (`actions.csv`): what, for which causes, who, and the plan."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Action", _capital(cause_word(state.mode, plural=True)), "Who can do it",
                     "Who exactly", "Agreed", "First step", "Owner", "Due"])
    for action in state.actions.values():
        writer.writerow([_cell(cell) for cell in (
            action.text,
            "; ".join(_cause_texts(state, action.causes)),
            "inside the group" if action.by == "inside" else "outside the group",
            action.who,
            "yes" if action.agreed else "no",
            action.first_step,
            action.owner,
            action.due,
        )])
    return buffer.getvalue()
