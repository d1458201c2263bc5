"""The report as its own pure module (`shared/report.py`).

Any client renders the same handout the host saves, at the time it gives: the report reads
no clock and no file.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_results import make_session

from whytree.server.results import save_results
from whytree.shared import report

NOW = 1_717_243_200.0  # 2024-06-01 12:00 UTC


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Reports print times in local time: make it UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_client_makes_the_report_at_the_time_it_gives_without_reading_the_clock(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_clock() -> float:
        raise AssertionError("the report read the clock")

    monkeypatch.setattr(time, "time", no_clock)
    still_open = make_session(phase="agree", closed_at=None)

    handout = report.markdown(still_open, NOW)
    page = report.html(still_open, NOW)

    assert "*Problem session · closed 2024-06-01 12:00 · 3 people voted*" in handout
    assert handout.endswith("*Saved by whytree on 2024-06-01 12:00.*\n")
    assert '<p class="muted">Saved by whytree on 2024-06-01 12:00.</p>' in page
    assert report.csv(still_open).startswith("Action,Causes,Who can do it,")


def test_the_saved_files_are_the_report_made_at_the_save(tmp_path: Path) -> None:
    state = make_session()
    folder = save_results(state, tmp_path, now=NOW)

    assert (folder / "report.md").read_text(encoding="utf-8") == report.markdown(state, NOW)
    assert (folder / "report.html").read_text(encoding="utf-8") == report.html(state, NOW)
    assert (folder / "actions.csv").read_bytes() == report.csv(state).encode("utf-8-sig")
    assert "Saved by whytree on 2024-06-01 12:00." in report.markdown(state, NOW)
