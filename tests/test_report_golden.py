"""The reports and the words on screen, exactly as people read them.

The handouts (`report.md`, `report.html`, `actions.csv`) of a few typical sessions -- a
full one, an empty one, one closed before the reveal, one where nobody voted, a success
one -- and every sentence of `shared/wording.py` are compared with the files under
`tests/golden/`. Any change to what people read shows up here as a diff to look at: a
heading lost, a table column dropped, a wrong word for the session's mode.

After an intended change, rewrite the files and read the diff before committing:

    WHYTREE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_report_golden.py
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_results import make_session

from whytree.server.results import actions_csv, report_html, report_markdown
from whytree.shared import ranking, wording
from whytree.shared.model import PHASES, Action, Cause, Session, Tally

GOLDEN = Path(__file__).resolve().parent / "golden"
NOW = 1_717_243_200.0  # 2024-06-01 12:00 UTC


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Reports print the time they were saved, in local time: make both fixed."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(time, "time", lambda: NOW)
    yield
    monkeypatch.undo()
    time.tzset()


def compare(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("WHYTREE_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode())
    assert path.read_bytes().decode() == text, f"{name} differs from tests/golden/{name}"


SESSIONS: dict[str, Callable[[], Session]] = {
    "full": make_session,
    "empty": lambda: Session(title="", situation="", phase="closed", closed_at=NOW),
    "not-revealed": lambda: Session(
        title="Library", situation="The library is empty", phase="closed", closed_at=NOW,
        causes={"c1": Cause(id="c1", parent=None, text="It closes at five")},
        actions={"a1": Action(id="a1", text="Open later", causes=["c1"])}, voters=1),
    "nobody-voted": lambda: Session(
        situation="Nobody comes to meetings", phase="closed", closed_at=NOW, revealed=True,
        causes={"c1": Cause(id="c1", parent=None, text="Wrong time"),
                "c2": Cause(id="c2", parent="c1", text="Shifts")}),
    "success": lambda: Session(
        title="Teen centre", situation="The teen centre is always full", mode="success",
        phase="closed", closed_at=NOW, revealed=True, voters=3,
        causes={"c1": Cause(id="c1", parent=None, text="Free food"),
                "c2": Cause(id="c2", parent=None, text="Friendly staff"),
                "c3": Cause(id="c3", parent="c2", text="They are trained")},
        tally={"c1": Tally(dots=4, we=2, others=1), "c2": Tally(dots=2, no=2, we=1),
               "c3": Tally(dots=1, others=2, we=2)},
        actions={"a1": Action(id="a1", text="Cook together", causes=["c1"], who="", agreed=True),
                 "a2": Action(id="a2", text="Ask the council", causes=[], by="outside",
                              who="the council", agreed=True, first_step="", owner="", due="")}),
}


@pytest.mark.parametrize("name", SESSIONS)
def test_the_handouts_read_as_before(name: str) -> None:
    state = SESSIONS[name]()
    compare(f"{name}.md", report_markdown(state))
    compare(f"{name}.html", report_html(state))
    compare(f"{name}.csv", actions_csv(state))


def test_the_words_on_screen_read_as_before() -> None:
    from whytree.tui.widgets.status import HOW_TO  # the terminal's own words for its keys

    lines: list[str] = []
    for mode in ("problem", "success"):
        lines += [f"## {mode}", wording.why_prompt(mode), wording.cause_word(mode),
                  wording.cause_word(mode, plural=True), wording.action_question(mode),
                  wording.situation_prompt(mode)]
        for phase in PHASES:
            lines.append(f"{phase}: {wording.step_help(phase, mode, how=HOW_TO)}")
        lines.append(f"weigh, revealed: {wording.step_help('weigh', mode, revealed=True, how=HOW_TO)}")
        for box in ranking.BOXES:
            lines.append(f"{box}: {ranking.BOX_TITLES[box]} -- {ranking.box_meaning(box, mode)}")
        lines.append(wording.CHANGE_QUESTION[mode])
        lines += [f"{answer}: {label}" for answer, label in wording.CHANGE_LABELS[mode].items()]
    lines += [f"{phase}: {title}" for phase, title in wording.STEP_TITLES.items()]
    lines += [f"{doer}: {label}" for doer, label in wording.DOER_LABELS.items()]
    compare("wording.txt", "\n".join(lines) + "\n")
