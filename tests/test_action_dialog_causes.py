"""The action dialog's list of causes is cut to fit an old laptop's screen; the highlighted
cause shows whole under the list, so that a person knows which one they tick."""

from __future__ import annotations

import re

import msgspec
from conftest import WaitUntil
from test_panels import DialogApp, one_op, session
from textual.app import App
from textual.widgets import Static

from whytree.shared.protocol import AddAction
from whytree.tui.screens.action_dialogs import ProposeActionScreen

LONG = ("The rec centre closed in 2022 after the city cut the parks budget, and the youth "
        "workers who ran the after school club there were moved to the library downtown")


def shown_in_full(app: App[None]) -> str:
    """The "In full" line under the list, as read on screen ("" when it is not on screen)."""
    line = app.screen.query_one("#action-cause-full", Static)
    region = line.region
    if not line.display or region.height == 0 or region.bottom > app.size.height:
        return ""
    strips = app.screen._compositor.render_strips()[region.y:region.bottom]
    return re.sub(r"\s+", " ", " ".join(strip.crop(region.x, region.right).text for strip in strips)).strip()


async def test_a_long_cause_in_the_action_dialog_shows_whole_when_highlighted(
        wait_until: WaitUntil) -> None:
    state = session(phase="act")
    state.causes["c6"] = msgspec.structs.replace(state.causes["c6"], text=LONG)
    app = DialogApp(ProposeActionScreen(state, new_op=one_op))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("tab")  # to the list of causes, on its first
        await pilot.press(*["down"] * 5)  # c1 c2 c3 c4 c5, then c6: the long one
        await wait_until(lambda: shown_in_full(app) == f"In full: {LONG}", what="the cause in full")
        await pilot.press("up")  # a short cause, whole in the list: no second copy of it
        await wait_until(lambda: shown_in_full(app) == "", what="no copy of a cause shown whole")


async def test_enter_in_the_list_of_causes_proposes_and_keeps_what_was_ticked(
        wait_until: WaitUntil) -> None:
    """The dialog says "Enter: propose": in the list too, not an untick of the highlighted one."""
    app = DialogApp(ProposeActionScreen(session(phase="act"), cause_ids=["c1"], new_op=one_op))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"Open the gym", "tab")  # to the list, on c1 (ticked)
        await pilot.press("enter")
        await wait_until(lambda: app.results != [], what="the dialog's answer")
        [command] = app.results
        assert isinstance(command, AddAction)
        assert (command.text, command.causes) == ("Open the gym", ["c1"])
