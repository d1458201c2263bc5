"""`run.py` installs what each command runs: the runtime for the app, the test tools for `test`.

The decision is read from the stamp `run.py` writes after an install (in a temporary
folder here); the real pip install was tried by hand on a fresh clone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import run


@pytest.fixture
def stamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / ".whytree-installed"
    monkeypatch.setattr(run, "STAMP", path)
    return path


def plan(dev: bool) -> str | None:
    return run.install_plan(run._installed(), "digest", dev=dev)


def test_the_app_gets_the_runtime_only_and_test_adds_the_tools(stamp: Path) -> None:
    assert plan(dev=False) == "runtime"  # `run.py host` on a fresh laptop: no pytest, mypy...
    stamp.write_text("digest runtime")
    assert plan(dev=False) is None  # the next `run.py join` installs nothing
    assert plan(dev=True) == "dev"  # `run.py test` after `host` adds the test tools, once
    stamp.write_text("digest dev")
    assert plan(dev=True) is None
    assert plan(dev=False) is None  # and `host` after `test` does not reinstall


def test_a_changed_project_reinstalls_and_keeps_the_test_tools(stamp: Path) -> None:
    stamp.write_text("older-digest dev")
    assert plan(dev=False) == "dev"
    stamp.write_text("older-digest runtime")
    assert plan(dev=False) == "runtime"


def test_a_stamp_from_before_had_the_test_tools(stamp: Path) -> None:
    stamp.write_text("digest")
    assert plan(dev=True) is None and plan(dev=False) is None
