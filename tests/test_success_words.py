"""A success session speaks of success everywhere.

In a success ("why did this go well?") the causes are reasons it went well, and "can it
change?" becomes "can we repeat it?". Every word people read follows the mode: the core's
tables (`shared/wording.py`, `ranking`), what the browser gets from `/core.json`, the
terminal client's picker, weigh panel, header, footer, help and summary, and the saved
report -- none of them may ask a room looking at a success whether it "can change".
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from browser import ARGS, CHROMIUM, PHONE, needs_chromium
from conftest import CODE, FACILITATOR_KEY, MakeServer, WaitUntil
from netclient import NetClient
from test_facilitator_key import screen_text
from test_key_bursts import SIZE, settled
from test_web_browser import join_page
from textual.widgets import OptionList, Static

from whytree.server.app import Server
from whytree.server.results import list_saved
from whytree.shared import protocol as p
from whytree.shared import ranking, wording
from whytree.shared.export import core_data
from whytree.shared.model import CHANGE_ANSWERS, PHASES, Mode
from whytree.tui.app import WhytreeApp
from whytree.tui.screens.change_picker import ChangePicker
from whytree.tui.screens.dialogs import HelpScreen
from whytree.tui.widgets import status

PROBLEM_PHRASES = re.compile(
    r"\bcan(?:'t|not|’t)? (?:it |they )?change\b|\bchange it\b|\bproblems?\b|\bcauses?\b|"
    r"went wrong|goes wrong",
    re.IGNORECASE,
)
"""What a success session must never say: whether a reason "can change", a "problem", a
"cause"."""

NOT_SHOWN = {"HOW_TO", "PLACEHOLDERS"}
"""Tables of `wording` that describe the doings for the clients, never shown as they are."""

SAMPLES: dict[str, list[Any]] = {
    "str": ["the school board"],
    "int": [1, 3],
    "bool": [False, True],
    "Phase": list(PHASES),
    "Change | None": [*CHANGE_ANSWERS, None],
    "Doer": ["inside", "outside"],
    "Box": list(ranking.BOXES),
    "list[str]": [["Free food", "Friendly staff"]],
    "Mapping[str, str]": [status.HOW_TO],
}
"""Arguments to call `wording`'s functions with: every value a screen could pass."""


def strings(value: object, mode: Mode) -> Iterator[str]:
    """Every string in a table of words; of a table keyed by mode, only `mode`'s."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        if set(value) == {"problem", "success"}:
            yield from strings(value[mode], mode)
        else:
            for item in value.values():
                yield from strings(item, mode)
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from strings(item, mode)


def calls(function: Any, mode: Mode) -> Iterator[str]:
    """What `function` says in `mode`, called with every sample of its other arguments."""
    parameters = list(inspect.signature(function).parameters.values())
    combos: list[dict[str, Any]] = [{}]
    for parameter in parameters:
        annotation = str(parameter.annotation)
        values = [mode] if annotation == "Mode" else SAMPLES[annotation]
        combos = [{**combo, parameter.name: value} for combo in combos for value in values]
    for arguments in combos:
        yield from strings(function(**arguments), mode)


def words_of(module: Any, mode: Mode) -> list[str]:
    """Every sentence `module` (`wording` or `ranking`) can put in front of people in `mode`."""
    found: list[str] = []
    for name, value in vars(module).items():
        if name.startswith("_") or name in NOT_SHOWN:
            continue
        if inspect.isfunction(value) and value.__module__ == module.__name__:
            if str(inspect.signature(value).return_annotation) in ("str", "tuple[str, ...]",
                                                                  "tuple[str, str]", "dict[str, str]"):
                found += calls(value, mode)
        elif isinstance(value, (str, dict, tuple)) and not name.startswith("__"):
            found += strings(value, mode)
    return found


def problem_phrases(texts: list[str]) -> list[str]:
    return [text for text in texts if PROBLEM_PHRASES.search(text)]


def test_every_word_of_the_core_follows_a_success() -> None:
    success = words_of(wording, "success") + words_of(ranking, "success")
    assert len(success) > 100  # the walk reaches the tables
    assert problem_phrases(success) == []
    assert "can we repeat it?" in success
    # The same walk finds the problem words in a problem session: it looks where they are.
    assert "we can change it" in words_of(wording, "problem")


def test_the_browser_gets_success_words_from_the_core() -> None:
    words = core_data()["words"]
    success = [*strings(words["modes"]["success"], "success"),
               *strings({name: table for name, table in words.items() if name not in ("modes", "how_to")},
                        "success")]
    assert problem_phrases(success) == []
    assert words["modes"]["success"]["change_question"] == "Can we repeat it?"
    assert words["modes"]["success"]["change_labels"]["we"] == "we can repeat it"
    assert words["modes"]["problem"]["change_labels"]["we"] == "we can change it"


# --- the terminal client -------------------------------------------------------------------


def test_the_terminals_keys_and_the_facilitators_help_follow_a_success() -> None:
    from whytree.tui.screens.dialogs import FACILITATOR_NOW
    from whytree.tui.screens.session import KEYS

    texts = [text for key in KEYS for text in (key.describe("success"), key.explain("success"))]
    texts += [text.format_map(wording.mode_words("success")) for text in FACILITATOR_NOW.values()]
    # (Choosing the mode names both: "choose problem or success".)
    assert problem_phrases([text.replace("problem or success", "") for text in texts]) == []
    assert "Can repeat?" in texts
    assert "help the room propose actions for the reasons that matter and that we can repeat" in texts[-3]

ANSWERS = ("Free food every Friday", "The staff know every teenager by name", "It is open late")


async def success_in_weigh_step(fran: NetClient) -> list[str]:
    """The facilitator opens a success session and takes it to the weigh step."""
    await fran.ok(p.SetSituation(op="x", text="The teen centre next door is always full", mode="success"))
    await fran.ok(p.SetPhase(op="x", phase="why"))
    causes = []
    for text in ANSWERS:
        event = await fran.ok(p.AddCause(op="x", parent=None, text=text))
        assert isinstance(event.command, p.AddCause) and event.command.id is not None
        causes.append(event.command.id)
    await fran.ok(p.SetPhase(op="x", phase="weigh"))
    return causes


def picker_text(app: WhytreeApp) -> str:
    assert isinstance(app.screen, ChangePicker)
    choices = app.screen.query_one("#change-choices", OptionList)
    return "\n".join(str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count))


async def test_a_participant_in_a_success_reads_success_words(make_server: MakeServer,
                                                              wait_until: WaitUntil) -> None:
    server = await make_server()
    fran = NetClient(server.local_url)
    await fran.join(facilitator_key=FACILITATOR_KEY, name="Fran")
    causes = await success_in_weigh_step(fran)
    ben = WhytreeApp(url=server.local_url, name="Ben", code=CODE, discover=False)
    try:
        async with ben.run_test(size=SIZE) as keys:
            await wait_until(lambda: ben.session_screen is not None and ben.mirror.state is not None
                             and ben.mirror.state.phase == "weigh" and len(ben.mirror.state.causes) == 3,
                             what="in the weigh step")
            screen = ben.session_screen
            assert screen is not None
            screen.cause_tree.select_cause(causes[0])
            await wait_until(lambda: "Can we repeat it? Your answer: not answered yet"
                             in str(screen.query_one("#selected-full", Static).render()),
                             what="the question under the tree")
            # The footer names the key in the session's words.
            await wait_until(lambda: "Can repeat?" in screen_text(ben), what="the footer")
            text = screen_text(ben)
            assert "what went well" in text  # the header names the mode in plain words
            assert "Which reasons matter most, and can we repeat them?" in text
            assert problem_phrases(text.splitlines()) == []

            await keys.press("c")
            await wait_until(lambda: isinstance(ben.screen, ChangePicker)
                             and "Can we repeat it?" in screen_text(ben), what="the choices")
            offered = picker_text(ben)
            for words in ("1  we can repeat it", "2  only with others", "3  not for now"):
                assert words in offered
            assert problem_phrases(screen_text(ben).splitlines()) == []
            await keys.press("1")
            await wait_until(lambda: ben.screen is screen and settled(ben), what="the answer sent")
            await wait_until(lambda: "[we can repeat it]" in screen_text(ben), what="the answer in the tree")

            await keys.press("question_mark")
            await wait_until(lambda: isinstance(ben.screen, HelpScreen)
                             and "Keys you can use now" in screen_text(ben), what="the help")
            help_text = " ".join(" ".join(str(part.render()) for part in ben.screen.query(Static)).split())
            assert "whether we can repeat it" in help_text
            assert "Answer “can we repeat it?” for the selected reason" in help_text
            assert problem_phrases([help_text]) == []
            await keys.press("escape")
            await wait_until(lambda: ben.screen is screen, what="the help closed")

            # Revealed, the ranking and the 2×2 speak of repeating too.
            await fran.ok(p.RevealVotes(op="x", revealed=True))
            await wait_until(lambda: "Free food every Friday  — we can repeat it" in screen_text(ben),
                             what="the ranking")
            text = screen_text(ben)
            assert "can repeat" in text and "The room's answer to “can we repeat it?”" in text
            assert problem_phrases(text.splitlines()) == []

            # The summary at the close.
            for phase in ("act", "agree"):
                await fran.ok(p.SetPhase(op="x", phase=phase))  # type: ignore[arg-type]
            await fran.ok(p.Close(op="x"))
            await wait_until(lambda: "Where to act: matters × can repeat" in screen_text(ben),
                             what="the summary")
            assert problem_phrases(screen_text(ben).splitlines()) == []
    finally:
        await fran.close()


# --- the saved report ------------------------------------------------------------------------


async def test_the_saved_report_of_a_success_speaks_of_repeating(
    make_server: MakeServer, tmp_path: Path, wait_until: WaitUntil
) -> None:
    server = await make_server()
    fran = NetClient(server.local_url)
    ben = NetClient(server.local_url)
    try:
        await fran.join(facilitator_key=FACILITATOR_KEY, name="Fran")
        await ben.join(code=CODE, name="Ben")
        food, staff, late = await success_in_weigh_step(fran)
        for cause, dots, answer in ((food, 2, "we"), (staff, 1, "others"), (late, 0, "no")):
            if dots:
                await ben.ok(p.SetDots(op="x", cause=cause, dots=dots))
            await ben.ok(p.SetChange(op="x", cause=cause, answer=answer))  # type: ignore[arg-type]
        await fran.ok(p.RevealVotes(op="x", revealed=True))
        await fran.ok(p.SetPhase(op="x", phase="act"))
        await ben.ok(p.AddAction(op="x", text="Cook together on Fridays", causes=[food]))
        await fran.ok(p.SetPhase(op="x", phase="agree"))
        await fran.ok(p.Close(op="x"))
    finally:
        await fran.close()
        await ben.close()

    await wait_until(lambda: list_saved(tmp_path / "data"), what="the results saved")
    [saved] = list_saved(tmp_path / "data")
    markdown = (saved.path / "report.md").read_text(encoding="utf-8")
    page = (saved.path / "report.html").read_text(encoding="utf-8")
    for text in (markdown, page):
        assert "can we repeat it?" in text
        assert "Matters × can repeat" in text
        assert "Free food every Friday (2 dots; we can repeat it)" in text
        assert problem_phrases(text.splitlines()) == []
    assert "more answers say it can be repeated" in page  # the chart's axis


# --- the browser client ----------------------------------------------------------------------


@needs_chromium
async def test_a_phone_in_a_success_reads_success_words(server: Server) -> None:
    from playwright.async_api import async_playwright, expect

    fran = NetClient(server.local_url)
    await fran.join(facilitator_key=FACILITATOR_KEY, name="Fran")
    food = (await success_in_weigh_step(fran))[0]
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page(viewport=PHONE)
            await join_page(page, server, "Ann")
            question = page.locator(f'label[for="change-{food}"]')
            await expect(question).to_have_text("Can we repeat it?")
            choices = await page.locator(f'li[data-cause="{food}"] select option').all_inner_texts()
            assert choices == ["not answered", "we can repeat it", "only with others", "not for now"]
            assert problem_phrases((await page.inner_text("body")).splitlines()) == []

            await page.select_option(f'li[data-cause="{food}"] select', "we")
            await page.click(f'li[data-cause="{food}"] button.dot-plus')
            await expect(page.locator(f'li[data-cause="{food}"] .dot-count')).to_contain_text("1 dot")
            await fran.ok(p.RevealVotes(op="x", revealed=True))
            ranking = page.locator(".ranking-section")
            await expect(ranking).to_contain_text("1 dot, we can repeat it")
            await expect(ranking).to_contain_text("Matters × can repeat")
            await expect(ranking).to_contain_text("The room's answer to “can we repeat it?”")
            tally = page.locator(f'li[data-cause="{food}"] .tally')
            await expect(tally).to_contain_text("we can repeat it: 1")
            assert problem_phrases((await page.inner_text("body")).splitlines()) == []
            await browser.close()
    finally:
        await fran.close()
