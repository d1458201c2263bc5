"""The saved reports are safe to open, whatever people typed.

Every piece of people's text that a report shows -- the title, the situation, each answer
(in the tree, the ranking and the 2×2), each action, who can do it, its first step, owner
and date -- is written into `report.html` escaped: opening the page runs and formats
nothing people typed. Every cell of `actions.csv` that a spreadsheet would read as a
formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return) starts with an
apostrophe instead, whichever column it is in.
"""

from __future__ import annotations

import csv
import html
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from whytree.server.results import actions_csv, report_html, report_markdown
from whytree.shared.model import Action, Cause, Session, Tally

FIELDS = ("title", "situation", "answer", "child", "action", "who", "first_step", "owner", "due")


def session_with(texts: dict[str, str]) -> Session:
    """A closed session with revealed votes (so answers show in the ranking and the 2×2)
    and an agreed action (so it shows in the next steps), with `texts` in every field."""
    return Session(
        title=texts["title"], situation=texts["situation"], phase="closed", revealed=True,
        closed_at=1_700_000_000.0, voters=2,
        causes={"c1": Cause(id="c1", parent=None, text=texts["answer"]),
                "c2": Cause(id="c2", parent="c1", text=texts["child"])},
        tally={"c1": Tally(dots=3, we=2), "c2": Tally(dots=1, no=1)},
        actions={"a1": Action(id="a1", text=texts["action"], causes=["c1", "c2"], by="outside",
                              who=texts["who"], agreed=True, first_step=texts["first_step"],
                              owner=texts["owner"], due=texts["due"])},
    )


@pytest.mark.parametrize("field", FIELDS)
def test_html_escapes_each_piece_of_user_text(field: str) -> None:
    texts = {name: f"plain {name}" for name in FIELDS}
    texts[field] = f'<img src=x onerror="alert(1)"> & <b>{field}</b>'
    page = report_html(session_with(texts))
    assert "<img" not in page and "<b>" not in page, field
    assert html.escape(texts[field], quote=True) in page, field


def tags_of(page: str) -> set[str]:
    body = page.split("<body>", 1)[1]
    return {part.split(">", 1)[0].split(" ", 1)[0].strip("/") for part in body.split("<")[1:]}


markup = st.text(st.sampled_from(list("<>&\"'/= ab")), min_size=1, max_size=20)


@settings(max_examples=60, deadline=None)
@given(st.fixed_dictionaries({name: markup for name in FIELDS}))
def test_no_user_text_becomes_markup(texts: dict[str, str]) -> None:
    page = report_html(session_with(texts))
    # Every tag in the page is one the report makes for plain words in the same places
    # (headings, lists, the tree picture, the chart): no `<` that people typed survives.
    ours = tags_of(report_html(session_with({name: f"plain {name}" for name in FIELDS})))
    assert tags_of(page) <= ours, tags_of(page) - ours
    for field, text in texts.items():
        assert html.escape(text, quote=True) in page, field


FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]
CSV_COLUMNS = {"action": 0, "answer": 1, "who": 3, "first_step": 5, "owner": 6, "due": 7}


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=["equals", "plus", "minus", "at", "tab", "return"])
@pytest.mark.parametrize("field", CSV_COLUMNS)
def test_every_csv_column_defuses_formulas(field: str, start: str) -> None:
    texts = {name: f"plain {name}" for name in FIELDS}
    texts[field] = f'{start}HYPERLINK("http://example.invalid","{field}")'
    rows = list(csv.reader(io.StringIO(actions_csv(session_with(texts)), newline="")))
    cell = rows[1][CSV_COLUMNS[field]]
    assert cell.startswith("'" + start), (field, cell)


@settings(max_examples=60, deadline=None)
@given(st.fixed_dictionaries({name: st.text(st.sampled_from(list("=+-@\t\r ab;,\"")), max_size=6)
                              for name in FIELDS}))
def test_no_csv_cell_starts_like_a_formula(texts: dict[str, str]) -> None:
    rows = list(csv.reader(io.StringIO(actions_csv(session_with(texts)), newline="")))
    assert len(rows) == 2
    for cell in rows[1]:
        assert not cell.startswith(tuple(FORMULA_STARTS)), rows[1]


@pytest.mark.parametrize("text, shown", [("1. Rain", "1\\. Rain"), ("12) Wind", "12\\) Wind"),
                                         ("# Cold", "\\# Cold"), ("- Snow", "\\- Snow")])
def test_markdown_never_turns_an_answer_into_a_list_or_a_heading(text: str, shown: str) -> None:
    texts = {name: f"plain {name}" for name in FIELDS}
    texts["child"] = text
    lines = report_markdown(session_with(texts)).splitlines()
    assert f"  - {shown}" in lines, "the answer, nested under its parent, as typed"


def test_votes_with_only_dots_or_only_answers_are_ranked() -> None:
    texts = {name: f"plain {name}" for name in FIELDS}
    for tally in ({"c1": Tally(dots=2)}, {"c1": Tally(others=1)}):
        state = session_with(texts)
        state.tally = tally
        report = report_markdown(state)
        assert "Nobody voted." not in report and "| 1 | plain answer |" in report
