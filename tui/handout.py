"""The summary a participant takes home: the closed session's report, saved on their laptop.

Everyone in the room can keep the summary, not only the host: on the closed screen one key
writes this laptop's copy of the session (the same `shared/report.py` handout the host
saves) as Markdown and as a page to print, into `~/Documents/whytree` when there is a
Documents folder, else into whytree's user data folder. The files are private to this
user and written whole or not at all (`files.write_private`).
"""

from __future__ import annotations

import re
import time
import unicodedata
from pathlib import Path

from whytree.shared import report
from whytree.shared.model import Session
from whytree.tui.datadir import default_data_dir
from whytree.tui.files import write_private

MAX_NAME = 60
"""The longest file name made from a session's title (without date and extension)."""


def handout_folder() -> Path:
    """Where summaries go: `~/Documents/whytree` if there is a Documents folder, else a
    `summaries` folder in whytree's user data folder."""
    documents = Path.home() / "Documents"
    if documents.is_dir():
        return documents / "whytree"
    return default_data_dir() / "summaries"


def _slug(text: str) -> str:
    """A file-name-safe, readable version of `text`: ASCII letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:MAX_NAME].rstrip("-") or "session"


def save_handout(state: Session, now: float, folder: Path | None = None) -> tuple[Path, Path]:
    """Write the summary of `state` as `<date>-<time>-<title>.md` and `.html` in `folder`
    (default `handout_folder()`); return both paths. Saving again replaces them. Raises
    OSError when it cannot write."""
    folder = handout_folder() if folder is None else folder
    held = time.localtime(state.closed_at if state.closed_at else now)
    base = f"{time.strftime('%Y-%m-%d-%H%M', held)}-{_slug(state.title or state.situation)}"
    markdown, page = folder / f"{base}.md", folder / f"{base}.html"
    write_private(markdown, report.markdown(state, now).encode("utf-8"))
    write_private(page, report.html(state, now).encode("utf-8"))
    return markdown, page
