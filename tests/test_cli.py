"""The `whytree` command line: help, saved sessions and reports, and `serve` as a process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_results import make_session

from whytree.server.results import save_results
from whytree.tui.cli import main


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    shown = capsys.readouterr().out
    for command in ("host", "serve", "join", "sessions", "report"):
        # Its own line in the list of commands, with what it does ("serve" alone, not
        # inside "server").
        assert re.search(rf"^ +{command} +\S", shown, flags=re.MULTILINE), (command, shown)


def test_sessions_and_report_print_what_was_saved(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions", "--data-dir", str(tmp_path)]) == 0
    assert "No saved sessions" in capsys.readouterr().out

    folder = save_results(make_session(), tmp_path)
    assert main(["sessions", "--data-dir", str(tmp_path)]) == 0
    listing = capsys.readouterr().out
    assert folder.name in listing

    assert main(["report", folder.name[:12], "--data-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == (folder / "report.md").read_text()

    assert main(["report", "no-such-session", "--data-dir", str(tmp_path)]) == 1
    assert "no saved session matches" in capsys.readouterr().err


def test_serve_prints_where_and_how_to_join(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "whytree.tui.cli", "serve", "--port", "0", "--bind", "127.0.0.1",
         "--data-dir", str(tmp_path), "--no-discovery", "--title", "Library"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(6)]
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    text = "".join(lines)
    assert "Serving a new session: Library" in text
    assert "join address: ws://127.0.0.1:" in text
    code = next(line for line in lines if "join code" in line).split(":")[1].split()
    assert len(code) == 3 and all(part.isdigit() and len(part) == 3 for part in code)  # 10**9 codes
    assert "facilitator key:" in text


def test_serve_says_clearly_when_the_port_is_taken(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "whytree.tui.cli", "serve", "--port", str(port), "--bind", "127.0.0.1",
             "--data-dir", str(tmp_path), "--no-discovery"],
            capture_output=True, text=True, timeout=30,
        )
    assert result.returncode != 0
    assert "cannot listen on 127.0.0.1" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("code", ["42", " ", "-", "12 34"])
def test_a_join_code_too_short_to_keep_strangers_out_is_refused(
    code: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--code", code, "--data-dir", str(tmp_path), "--port", "0", "--no-discovery"])
    assert exit_.value.code == 2
    assert "too short: use at least 6 letters or digits" in capsys.readouterr().err
    assert not (tmp_path / "journal.sqlite3").exists()  # nothing started


def test_the_server_refuses_a_short_code_from_its_configuration(tmp_path: Path) -> None:
    import asyncio

    from whytree.server.app import Server, ServerConfig

    server = Server(ServerConfig(data_dir=tmp_path, port=0, bind="127.0.0.1", code=" - ",
                                 advertise=False))
    with pytest.raises(ValueError, match="too short"):
        asyncio.run(server.start())
