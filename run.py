#!/usr/bin/env python3
"""Set up whytree in a local virtual environment, then run it.

    python3 run.py host [options]     host a session (server + facilitator screen)
    python3 run.py join [URL] [...]   join a session as a participant
    python3 run.py test [pytest args] lint, type-check, check the layers, run the tests
    python3 run.py <any whytree subcommand>

The first run creates `.venv/` beside this file and installs whytree into it: only what
whytree needs to run for `host`, `join` and every other command, and the test tools
(pytest, mypy, ruff, ...) too for `test`. Later runs reinstall only when `pyproject.toml`
has changed, or to add the test tools the first time `test` runs. Needs Python 3.11 or
newer and, for an install, access to the Python package index.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".whytree-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _say(message: str) -> None:
    print(f"[whytree set-up] {message}", file=sys.stderr, flush=True)


def _python() -> Path:
    return BIN / ("python.exe" if os.name == "nt" else "python")


def _wanted_stamp() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _installed() -> tuple[str, bool] | None:
    """(stamp, with the test tools) of the last install, or None when there was none.

    The stamp file holds the digest, then "dev" (the test tools are in) or "runtime". A
    stamp from before that distinction (the digest alone) always had them."""
    try:
        words = STAMP.read_text().split()
    except OSError:
        return None
    if not words:
        return None
    return words[0], len(words) == 1 or words[1:] == ["dev"]


def install_plan(installed: tuple[str, bool] | None, wanted: str, *, dev: bool) -> str | None:
    """What to install: None (it is all there), "runtime" or "dev" (with the test tools).

    `installed` is what `_installed` read; `dev` whether this command needs the test tools.
    A reinstall after a change keeps the test tools that were there."""
    has_dev = installed is not None and installed[1]
    if installed is not None and installed[0] == wanted and (has_dev or not dev):
        return None
    return "dev" if dev or has_dev else "runtime"


def ensure_environment(*, dev: bool = False) -> None:
    """Create the virtual environment and install whytree into it when needed: what it
    needs to run, and with `dev` the test tools too. An environment that has the test
    tools keeps them (running the app after the tests does not reinstall anything)."""
    if sys.version_info < (3, 11):  # noqa: UP036 (this script may run on an older python)
        sys.exit(f"whytree needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not _python().exists():
        _say(f"creating a virtual environment in {VENV} ...")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = _wanted_stamp()
    plan = install_plan(_installed(), wanted, dev=dev)
    if plan is None:
        return
    dev = plan == "dev"
    what = "whytree, its dependencies and the test tools" if dev else "whytree and its dependencies"
    _say(f"installing {what} (needs the internet; only when something changed) ...")
    pip = [str(_python()), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    try:
        subprocess.run([*pip, "-e", f"{ROOT}[dev]" if dev else str(ROOT)], check=True)
    except subprocess.CalledProcessError:
        sys.exit(
            "Installing whytree failed (see the messages above). Check the internet "
            "connection and run the same command again."
        )
    STAMP.write_text(f"{wanted} dev" if dev else wanted + " runtime")
    _say("ready.")


def run_tests(args: list[str]) -> int:
    """Lint, type-check, check the layers' import contracts (pyproject.toml), then run
    pytest; stop at the first step that fails."""
    steps = [
        ("ruff", [str(BIN / "ruff"), "check", "."]),
        ("mypy", [str(BIN / "mypy")]),
        ("import-linter", [str(BIN / "lint-imports"), "--no-logo"]),
        ("pytest", [str(_python()), "-m", "pytest", *args]),
    ]
    for name, command in steps:
        _say(f"running {name} ...")
        code = subprocess.run(command, cwd=ROOT).returncode
        if code != 0:
            _say(f"{name} failed (exit {code}).")
            return code
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    ensure_environment(dev=argv[0] == "test")
    if argv[0] == "test":
        return run_tests(argv[1:])
    whytree = BIN / ("whytree.exe" if os.name == "nt" else "whytree")
    command = [str(whytree), *argv]
    if os.name == "nt":
        return subprocess.run(command).returncode
    os.execv(command[0], command)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
