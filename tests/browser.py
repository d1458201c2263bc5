"""Headless Chromium for the browser-client tests (Playwright driving the system browser).

Playwright cannot download browsers here, so it launches the distribution's Chromium
(`apt-get install chromium`; `.ci/run` installs it when missing). Without it the browser
tests are skipped with a clear reason -- except under CI (`CI` set), where they fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("WHYTREE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="needs Chromium: apt-get install chromium (or set WHYTREE_CHROMIUM)",
)
