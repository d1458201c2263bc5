"""The causes an action is for, and "anonymous" in the voting settings, are boxes that say
whether they are ticked by their shape, not only by their colour (a projector washes colours
out; colour-blind people cannot tell them apart): a ticked box shows `X`, an unticked one is
empty."""

from __future__ import annotations

from test_panels import DialogApp, one_op, screen_text, session

from whytree.tui.screens.action_dialogs import ProposeActionScreen
from whytree.tui.screens.dialogs import SettingsScreen


def box_of(app: DialogApp, text: str) -> str:
    """The box drawn before `text` in the list of causes (`▐X▌` or `▐ ▌`)."""
    line = next((line for line in screen_text(app).splitlines() if text in line and "▐" in line), "")
    start = line.find("▐")
    if start < 0:
        return "(no box)"
    return line[start:start + 3]


async def test_only_the_ticked_causes_show_a_tick() -> None:
    state = session(phase="act")
    first, chosen = next(iter(state.causes.values())).text, state.causes["c6"].text
    others = [cause.text for cause in state.causes.values() if cause.id not in ("c1", "c6")]
    app = DialogApp(ProposeActionScreen(state, cause_ids=["c6"], new_op=one_op))
    async with app.run_test(size=(120, 40)) as pilot:
        assert box_of(app, chosen) == "▐X▌"
        assert box_of(app, first) == "▐ ▌"
        assert {box_of(app, text) for text in others[:3]} == {"▐ ▌"}
        await pilot.press("tab", "space")  # ticks the first cause in the list
        await pilot.pause()
        assert box_of(app, first) == "▐X▌" and box_of(app, chosen) == "▐X▌"
        await pilot.press("space")  # and unticks it
        await pilot.pause()
        assert box_of(app, first) == "▐ ▌"


async def test_anonymous_in_the_settings_shows_whether_it_is_ticked() -> None:
    app = DialogApp(SettingsScreen(session(phase="situation", causes={}, actions={})))
    async with app.run_test(size=(120, 40)) as pilot:
        assert box_of(app, "Anonymous: nobody sees who wrote what") == "▐ ▌"
        await pilot.press("tab", "tab", "space")
        await pilot.pause()
        assert box_of(app, "Anonymous: nobody sees who wrote what") == "▐X▌"
        await pilot.press("tab", "enter")  # Save
        assert app.results == [(3, 2, True)]
