"""Choosing is seeing: "can it change?" offers every answer at once, one key each, and the
answer shows where the person looks; ticked and unticked boxes differ by more than colour;
Enter saves the situation wherever the focus is.

Real apps under Pilot against the real server (a scripted facilitator on the side, or a
host app with the server inside).
"""

from __future__ import annotations

from pathlib import Path

from conftest import CODE, FACILITATOR_KEY, WaitUntil
from test_key_bursts import ballot, in_weigh_step, settled
from textual.widgets import Checkbox, Input, OptionList, RadioButton, RadioSet, Static

from whytree.server.app import Server, ServerConfig
from whytree.tui.app import WhytreeApp
from whytree.tui.screens.change_picker import ChangePicker
from whytree.tui.screens.dialogs import SituationScreen

SIZE = (120, 40)


def selected_line(app: WhytreeApp) -> str:
    assert app.session_screen is not None
    return str(app.session_screen.query_one("#selected-full", Static).render())


def picker_text(app: WhytreeApp) -> str:
    """The answers the picker offers, one a line, as they read."""
    assert isinstance(app.screen, ChangePicker)
    choices = app.screen.query_one("#change-choices", OptionList)
    return "\n".join(str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count))


async def test_a_participant_chooses_only_with_others_with_one_key_and_sees_it(
    server: Server, wait_until: WaitUntil
) -> None:
    ben = WhytreeApp(url=server.local_url, name="Ben", code=CODE, discover=False)
    async with in_weigh_step(server, server.local_url, wait_until, ben) as (_, keys, causes):
        await wait_until(lambda: "Can it change? Your answer: not answered yet" in selected_line(ben),
                         what="the answer under the tree")
        await keys.press("c")
        await wait_until(lambda: isinstance(ben.screen, ChangePicker), what="the choices")
        offered = picker_text(ben)
        for words in ("1  we can change it", "2  only with others", "3  not for now", "0  not answered"):
            assert words in offered
        await keys.press("2")  # one key: chosen, sent, and the picker is gone
        await wait_until(lambda: ben.screen is ben.session_screen and settled(ben), what="the answer sent")
        assert ballot(ben).change == {causes[0]: "others"}
        await wait_until(lambda: "Your answer: only with others" in selected_line(ben),
                         what="the answer under the tree")
        # Opened again, it shows the answer chosen; Escape keeps it.
        await keys.press("c")
        await wait_until(lambda: isinstance(ben.screen, ChangePicker), what="the choices again")
        assert "▶ 2  only with others   (your answer now)" in picker_text(ben)
        await keys.press("escape")
        await wait_until(lambda: ben.screen is ben.session_screen, what="the picker closed")
        assert ballot(ben).change == {causes[0]: "others"}


def host(tmp_path: Path) -> WhytreeApp:
    config = ServerConfig(data_dir=tmp_path / "data", port=0, bind="127.0.0.1", title="Tuesday group",
                          code=CODE, facilitator_key=FACILITATOR_KEY, advertise=False)
    return WhytreeApp(name="Ana", host=config)


async def test_ticked_and_unticked_differ_without_colour(server: Server, wait_until: WaitUntil) -> None:
    app = WhytreeApp(url=server.local_url, code=CODE, discover=False)
    async with app.run_test(size=SIZE) as keys:
        await wait_until(lambda: app.join_screen is not None and app.screen is app.join_screen,
                         what="the join screen")
        box = app.screen.query_one("#anonymous", Checkbox)
        await wait_until(lambda: box.is_mounted, what="the box")
        unticked = box.render().plain  # type: ignore[union-attr]
        box.value = True
        await keys.pause()
        ticked = box.render().plain  # type: ignore[union-attr]
        assert unticked != ticked
        assert "X" in ticked and "X" not in unticked


async def test_enter_on_the_choice_saves_the_situation(tmp_path: Path, wait_until: WaitUntil) -> None:
    ana = host(tmp_path)
    async with ana.run_test(size=SIZE) as keys:
        await wait_until(lambda: ana.session_screen is not None and ana.screen is ana.session_screen,
                         timeout=10, what="the hosted session")
        await keys.press("s")
        await wait_until(lambda: isinstance(ana.screen, SituationScreen), what="the situation dialog")
        dialog = ana.screen
        dialog.query_one("#situation", Input).value = "The playground is locked at 3pm"
        dialog.query_one(RadioSet).focus()
        await keys.pause()
        buttons = list(dialog.query(RadioButton))
        # The one chosen and the one not chosen read differently, not only by colour.
        assert buttons[0].render().plain != buttons[1].render().plain  # type: ignore[union-attr]
        await keys.press("enter")
        await wait_until(lambda: ana.screen is ana.session_screen, what="the dialog saved and closed")
        assert ana.server is not None
        await wait_until(lambda: ana.server is not None
                         and ana.server.state.situation == "The playground is locked at 3pm",
                         what="the situation saved")


async def test_a_situation_typed_fast_and_saved_with_enter_is_saved_whole(
    tmp_path: Path, wait_until: WaitUntil
) -> None:
    """Keys that arrive together (a fast typist, a paste then Enter) all reach the text
    before Enter saves it: Enter is not taken ahead of the letters typed before it."""
    from textual import events

    ana = host(tmp_path)
    async with ana.run_test(size=SIZE) as keys:
        await wait_until(lambda: ana.session_screen is not None and ana.screen is ana.session_screen,
                         timeout=10, what="the hosted session")
        await keys.press("s")
        await wait_until(lambda: isinstance(ana.screen, SituationScreen), what="the situation dialog")
        text = "Kids get into trouble"
        for char in text:  # all queued at once, as a terminal delivers a burst
            ana.post_message(events.Key(char if char != " " else "space", char))
        ana.post_message(events.Key("enter", "\r"))
        await wait_until(lambda: ana.screen is ana.session_screen, what="the dialog saved and closed")
        await wait_until(lambda: ana.server is not None and ana.server.state.situation != "",
                         what="the situation saved")
        assert ana.server is not None and ana.server.state.situation == text
