"""The core's words say what to do; each client says how, with its keys or its buttons.

The step help in `shared/wording.py` names no key and no button: where it tells people to
do something on their screen it leaves a `{doing}` (`wording.HOW_TO`), which the TUI fills
with its keys (its text reads as it always has) and the browser with its buttons.
"""

from __future__ import annotations

import json
import re

from browser import ARGS, CHROMIUM, needs_chromium

from whytree.server.app import Server
from whytree.shared import wording
from whytree.shared.model import PHASES, Mode, Session
from whytree.tui.widgets import status

MODES: tuple[Mode, ...] = ("problem", "success")
KEY_WORDS = re.compile(r"\bpress\b|\btap\b|\bclick\b|\bkey\b|\bdel\b|\b[a-z]\b moves|[+−-] adds", re.I)


def templates() -> list[str]:
    return [wording.step_help(phase, mode, revealed, how=wording.PLACEHOLDERS)
            for mode in MODES for phase in PHASES for revealed in (False, True)]


def test_the_cores_step_help_names_no_key_and_no_button() -> None:
    used: set[str] = set()
    for text in templates():
        assert not KEY_WORDS.search(text), text
        used |= set(re.findall(r"\{([a-z_]+)\}", text))
    assert used == set(wording.HOW_TO)


def test_the_tui_says_how_with_its_keys() -> None:
    assert set(status.HOW_TO) == set(wording.HOW_TO)
    for mode in MODES:
        for phase in PHASES:
            text = status.step_help(Session(phase=phase, mode=mode))
            assert "{" not in text and "}" not in text, text
    why = status.step_help(Session(phase="why"))
    assert "Select the situation or any answer and press w to add a reason under it" in why
    assert "press c, then 1, 2 or 3: by us / only with others / not for now" in status.step_help(
        Session(phase="weigh"))


ASK = """
async (templates) => {
  const { loadCore } = await import("/core.js");
  const { stepHelp } = await import("/render.js");
  const core = await loadCore();
  const help = {};
  for (const mode of Object.keys(core.words.modes)) {
    for (const phase of core.phases) {
      for (const revealed of [false, true]) {
        help[`${mode} ${phase} ${revealed}`] = stepHelp({ mode, phase, revealed });
      }
    }
  }
  return JSON.stringify(help);
}
"""


@needs_chromium
async def test_the_browser_says_how_with_its_buttons(server: Server) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page()
        await page.goto(f"http://127.0.0.1:{server.port}/core.json")
        help = json.loads(await page.evaluate(ASK))
        await browser.close()

    assert len(help) == len(MODES) * len(PHASES) * 2
    for text in help.values():
        assert "{" not in text and "}" not in text and "press" not in text, text
    assert help["problem why false"].startswith(
        "Ask “But why?” and answer it. Tap “But why?” under the situation or under any answer to "
        "add a reason under it;")
    assert "Tap “But why did it go well?” under the situation" in help["success why false"]
    assert "(+ adds a dot, − takes one back)" in help["problem weigh false"]
    assert "propose actions: tap “Propose an action” on one." in help["problem act false"]
    assert help["problem agree false"] == status.step_help(Session(phase="agree"))
