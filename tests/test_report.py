"""The report as its own pure module (`shared/report.py`), and what reads it back.

Any client renders the same handout the host saves, at the time it gives: the report reads
no clock and no file. `whytree report` still prints a saved report when its `report.md` is
lost or damaged, and a broken saved session is skipped rather than crashing `whytree
sessions`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_results import make_session

from whytree.server.results import save_results
from whytree.shared import report
from whytree.tui.cli import main

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


@pytest.mark.parametrize("damage", ["lost", "not text"])
def test_whytree_report_makes_a_lost_report_again_from_the_saved_session(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str) -> None:
    folder = save_results(make_session(), tmp_path, now=NOW)
    os.utime(folder / "session.json", (NOW, NOW))  # saved at NOW
    handout = (folder / "report.md").read_text(encoding="utf-8")
    if damage == "lost":
        (folder / "report.md").unlink()
    else:
        (folder / "report.md").write_bytes(b"\xff\xfe half a report")

    assert main(["report", folder.name, "--data-dir", str(tmp_path)]) == 0

    assert capsys.readouterr().out == handout


def test_a_saved_session_nested_too_deeply_is_skipped_not_a_crash(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = save_results(make_session(), tmp_path, now=NOW)
    broken = tmp_path / "sessions" / "2024-06-02-broken"
    broken.mkdir()
    (broken / "session.json").write_bytes(b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")

    assert main(["sessions", "--data-dir", str(tmp_path)]) == 0
    listing = capsys.readouterr().out
    assert good.name in listing and broken.name not in listing

    assert main(["report", broken.name, "--data-dir", str(tmp_path)]) == 1
    assert "no saved session matches" in capsys.readouterr().err
