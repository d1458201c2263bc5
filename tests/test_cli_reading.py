"""`whytree sessions` and `whytree report` as a person at a terminal reads them.

`sessions` says when each session was held, how many took part, what it found and where
it is saved. `report` lays the report out in a terminal (no Markdown signs, no `\\[`
escapes) and gives the Markdown as saved when piped into a file or another program. The
host's log records a saved result as news, not as a warning.
"""

from __future__ import annotations

import logging
import os
import pty
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FACILITATOR_KEY, MakeServer, WaitUntil
from test_results import CLOSED_AT, make_session

from tests.netclient import NetClient
from whytree.server.results import save_results
from whytree.shared import protocol as p
from whytree.tui.cli import main

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_sessions_says_when_who_what_and_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = save_results(make_session(), tmp_path)

    assert main(["sessions", "--data-dir", str(tmp_path)]) == 0

    listing = capsys.readouterr().out
    assert f"{folder.name}  Fifth graders after school" in listing
    # CLOSED_AT is 2024-05-14 15:20 UTC; the session began two hours before.
    assert time.strftime("%Y-%m-%d %H:%M", time.gmtime(CLOSED_AT)) == "2024-05-14 15:20"
    assert "held 2024-05-14 13:20–15:20 · 3 people took part · 8 causes · 3 actions" in listing
    assert f"folder: {folder}" in listing


def run_in_terminal(args: list[str]) -> str:
    """What `whytree` prints when its output is a terminal (a pseudo-terminal here)."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "LINES": "40", "TERM": "xterm-256color", "TZ": "UTC"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-m", "whytree.tui.cli", *args], stdout=terminal,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    os.close(terminal)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the other end closed: the command is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert process.wait(timeout=60) == 0
    if process.stderr is not None:
        process.stderr.close()
    return ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")).replace("\r\n", "\n")


def test_report_in_a_terminal_is_laid_out_without_markdown_signs(tmp_path: Path) -> None:
    folder = save_results(make_session(), tmp_path)

    shown = run_in_terminal(["report", folder.name, "--data-dir", str(tmp_path)])

    assert "Fifth graders after school" in shown
    assert "[bold]Older kids[/bold] hang around the bus stop" in shown  # as typed
    assert "\\[" not in shown and "\\<" not in shown
    assert "## " not in shown and "**" not in shown and "|---|" not in shown


def test_report_piped_is_the_markdown_as_saved(tmp_path: Path) -> None:
    folder = save_results(make_session(), tmp_path)

    piped = subprocess.run([sys.executable, "-m", "whytree.tui.cli", "report", folder.name,
                            "--data-dir", str(tmp_path)], capture_output=True, text=True, check=True)

    assert piped.stdout == (folder / "report.md").read_text(encoding="utf-8")


async def test_the_log_records_saved_results_as_information(
        make_server: MakeServer, wait_until: WaitUntil, caplog: pytest.LogCaptureFixture) -> None:
    server = await make_server()
    fac = NetClient(server.local_url)
    assert isinstance(await fac.join(facilitator_key=FACILITATOR_KEY, name="Fran"), p.Welcome)
    with caplog.at_level(logging.INFO, logger="whytree"):
        await fac.ok(p.Close(op="-"))
        await wait_until(lambda: server.results_dir is not None, what="the results saved")
        await wait_until(lambda: any("Results saved in" in r.getMessage() for r in caplog.records),
                         what="the log line")
    saved = [r for r in caplog.records if "Results saved in" in r.getMessage()]
    assert [r.levelno for r in saved] == [logging.INFO]
    assert not [r for r in caplog.records if r.name.startswith("whytree") and r.levelno >= logging.WARNING]
    await fac.close()
