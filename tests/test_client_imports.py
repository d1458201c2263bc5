"""`whytree join` loads only what it needs to paint the session.

Starting the terminal client on an old laptop is mostly importing Python modules. The
client never needs the server (nor its SQLite journal, its certificate maker or its QR
codes), the network discovery (zeroconf: only the join screen's "look for sessions"), nor
the report's code (only once the session closes), nor the dialogs a key opens, nor the
join form (only when something on it needs fixing) and the screens that ask for a new
address: they are loaded when they are used, not at start. Checked in a new interpreter,
as `test_layers.py` does, by looking at `sys.modules` after importing what `whytree join`
imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NOT_TO_START = ("whytree.server", "zeroconf", "ifaddr", "cryptography", "segno", "sqlite3",
                "whytree.shared.report", "whytree.tui.lan", "whytree.tui.handout",
                "whytree.tui.screens.dialogs", "whytree.tui.screens.action_dialogs",
                "whytree.tui.screens.change_picker", "whytree.tui.screens.join",
                "whytree.tui.screens.relink")
"""Packages (and their submodules) the client's start must not load."""

_JOIN_IMPORTS = """
import json, sys
from whytree.tui import cli
from whytree.tui.app import WhytreeApp
from whytree.tui.identities import Identities
print(json.dumps(sorted(sys.modules)))
"""


def test_the_client_starts_without_the_server_discovery_or_report_code() -> None:
    result = subprocess.run([sys.executable, "-I", "-c", _JOIN_IMPORTS], capture_output=True,
                            text=True, timeout=60, cwd=ROOT, check=True)
    loaded = json.loads(result.stdout)
    unwanted = sorted(name for name in loaded
                      if any(name == top or name.startswith(top + ".") for top in NOT_TO_START))
    assert unwanted == []
