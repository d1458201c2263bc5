"""The weigh, actions and summary panels, as a person in the room sees them.

Each panel is mounted alone in a tiny `App` under `run_test()` and fed a realistic
session built from the model (a tree three levels deep, revealed votes, actions), the way
the app feeds it after each batch of events. The tests assert what a user would notice on
screen, and that the panels post the commands the server expects.
"""

from __future__ import annotations

import itertools
from typing import Any

import msgspec
import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import OptionList, Static

from whytree.shared import protocol as p
from whytree.shared.model import Action, Ballot, Cause, Person, Session, Settings, Tally
from whytree.tui.screens.action_dialogs import AgreementScreen, ProposeActionScreen, RemoveActionScreen
from whytree.tui.widgets.actions import ActionList, ActionsPanel
from whytree.tui.widgets.summary import SummaryPanel
from whytree.tui.widgets.weigh import MattersGrid, RankingTable, WeighPanel

Panel = WeighPanel | ActionsPanel | SummaryPanel

FACILITATOR = Person(id="p-ana", name="Ana", role="facilitator")
BEN = Person(id="p-ben", name="Ben")
CHLOE = Person(id="p-chloe", name="Chloe")
ANONYMOUS = Person(id="p-anon", name="")
PROJECTOR = Person(id="p-view", name="Projector", role="viewer")


def session(**changes: object) -> Session:
    """A problem session after the weigh step, as Ben's client mirrors it.

    The tree (three levels):

        Our fifth graders get into trouble after school
        ├─ c1 Nobody is home until 6 pm                     5 dots, mostly "we"
        │  ├─ c2 Parents work late shifts
        │  │  └─ c3 The factory moved to two shifts         4 dots, "not for now"
        │  └─ c4 [bold]Grandparents[/bold] live far away
        ├─ c5 There is nothing to do nearby
        │  └─ c6 The rec centre closed in 2022              4 dots, "with others"
        │     └─ c7 The city cut the parks budget           0 dots, "not for now"
        └─ c8 Older kids pick on them                       1 dot, "we"

    Dots average (5+4+4+1)/4 = 3.5, so "matters" starts at 4 dots.
    """
    causes = [
        Cause(id="c1", parent=None, text="Nobody is home until 6 pm", author=BEN.id),
        Cause(id="c2", parent="c1", text="Parents work late shifts", author=CHLOE.id),
        Cause(id="c3", parent="c2", text="The factory moved to two shifts", author=BEN.id),
        Cause(id="c4", parent="c1", text="[bold]Grandparents[/bold] live far away"),
        Cause(id="c5", parent=None, text="There is nothing to do nearby", author=FACILITATOR.id),
        Cause(id="c6", parent="c5", text="The rec centre closed in 2022", author=CHLOE.id),
        Cause(id="c7", parent="c6", text="The city cut the parks budget", author=BEN.id),
        Cause(id="c8", parent=None, text="Older kids pick on them", author=CHLOE.id),
    ]
    actions = [
        Action(id="a1", text="Open the school gym until 6 pm", causes=["c1", "c6"], by="outside",
               who="the school board", author=BEN.id, agreed=True,
               first_step="Write to the principal", owner="Ana", due="Friday 12 May"),
        Action(id="a2", text="Start a parents' phone tree", causes=["c2"], by="inside",
               who="Ben and Chloe", author=CHLOE.id),
        Action(id="a3", text="[red]Walk home together[/red]", causes=["c8"], by="inside",
               author=BEN.id),
    ]
    state = Session(
        id="s1",
        title="After school",
        situation="Our fifth graders get into trouble after school",
        mode="problem",
        phase="agree",
        settings=Settings(dots_per_person=3, dots_per_cause=2),
        causes={cause.id: cause for cause in causes},
        actions={action.id: action for action in actions},
        people={person.id: msgspec.structs.replace(person)
                for person in (FACILITATOR, BEN, CHLOE, ANONYMOUS, PROJECTOR)},
        ballots={BEN.id: Ballot(dots={"c1": 2}, change={"c1": "we", "c6": "others"})},
        voters=4,
        revealed=True,
        tally={
            "c1": Tally(dots=5, we=3, others=1),
            "c3": Tally(dots=4, no=3, we=1),
            "c6": Tally(dots=4, others=3, no=1),
            "c7": Tally(others=1, no=2),
            "c8": Tally(dots=1, we=2),
        },
    )
    return msgspec.structs.replace(state, **changes)


def one_op() -> str:
    """The op source of a dialog tested alone (it builds one command)."""
    return "op-1"


class PanelApp(App[None]):
    """Mounts one panel and, like the session screen, turns what it asks for into commands
    (opening the action dialogs), and records them."""

    def __init__(self, panel: Panel, state: Session, me: Person) -> None:
        super().__init__()
        self.panel = panel
        self.state = state
        self.me = me
        self.sent: list[p.ClientCommand] = []
        self.ops = itertools.count(1)

    def compose(self) -> ComposeResult:
        yield self.panel

    def on_mount(self) -> None:
        self.show(self.state, self.me)

    def show(self, state: Session, me: Person) -> None:
        self.state, self.me = state, me
        self.panel.show_state(state, me)

    def new_op(self) -> str:
        return f"op-{next(self.ops)}"

    def _send_if_any(self, command: p.ClientCommand | None) -> None:
        if command is not None:
            self.sent.append(command)

    def on_weigh_panel_reveal(self, message: WeighPanel.Reveal) -> None:
        self.sent.append(p.RevealVotes(op=self.new_op(), revealed=message.revealed))

    def on_actions_panel_propose(self) -> None:
        self.push_screen(ProposeActionScreen(self.state, new_op=self.new_op), self._send_if_any)

    def on_actions_panel_edit(self, message: ActionsPanel.Edit) -> None:
        self.push_screen(ProposeActionScreen(self.state, action=message.action, new_op=self.new_op),
                         self._send_if_any)

    def on_actions_panel_agree(self, message: ActionsPanel.Agree) -> None:
        self.push_screen(AgreementScreen(self.state, message.action, new_op=self.new_op),
                         self._send_if_any)

    def on_actions_panel_remove(self, message: ActionsPanel.Remove) -> None:
        self.push_screen(RemoveActionScreen(message.action, new_op=self.new_op), self._send_if_any)


def screen_text(app: App[None]) -> str:
    """Everything on screen now, as plain text lines (what a person would read)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


class DialogApp(App[None]):
    """Pushes one dialog and records what it returns."""

    def __init__(self, dialog: Screen[Any]) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*("space" if char == " " else char for char in text))


def static_text(app: App[None], selector: str) -> str:
    return str(app.query_one(selector, Static).visual)


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


# --- weigh ----------------------------------------------------------------------------------

WEIGHING = {"phase": "weigh", "revealed": False, "tally": {}, "voters": 2}


async def test_before_the_reveal_a_participant_sees_dots_left_and_progress() -> None:
    app = PanelApp(WeighPanel(), session(**WEIGHING), BEN)
    async with app.run_test(size=(120, 40)) as pilot:
        text = screen_text(app)
        assert "You have 1 of your 3 dots left · at most 2 on one cause" in text
        assert "2 of 4 people have voted" in text  # the viewer is not counted
        assert "+ adds a “matters” dot" in text and "c answers “can it change?”" in text
        assert "●● Nobody is home until 6 pm — we can change it" in text
        # Hidden votes: no ranking, and no reveal control for a participant.
        assert "Act here first" not in text
        assert "Reveal the votes" not in text
        await pilot.press("v")
        assert app.sent == []


async def test_the_facilitator_reveals_and_hides_the_votes() -> None:
    app = PanelApp(WeighPanel(), session(**WEIGHING), FACILITATOR)
    async with app.run_test(size=(120, 40)) as pilot:
        assert "Reveal the votes" in screen_text(app)
        await pilot.click("#weigh-reveal")
        assert app.sent == [p.RevealVotes(op="op-1", revealed=True)]

        app.show(session(phase="weigh"), FACILITATOR)  # the reveal event came back
        await pilot.pause()
        text = screen_text(app)
        assert "Hide the votes" in text and "Reveal the votes" not in text
        await pilot.press("v")
        assert app.sent[-1] == p.RevealVotes(op="op-2", revealed=False)


async def test_after_the_reveal_causes_are_ranked_by_dots() -> None:
    app = PanelApp(WeighPanel(), session(phase="weigh"), BEN)
    async with app.run_test(size=(120, 40)):
        ranking = lines_of(str(app.query_one(RankingTable).visual))
        assert ranking == [
            "1. ●●●●●  5  Nobody is home until 6 pm  — we can change it: 3 · only with others: 1",
            "2. ●●●●   4  The factory moved to two shifts  — we can change it: 1 · not for now: 3",
            "2. ●●●●   4  The rec centre closed in 2022  — only with others: 3 · not for now: 1",
            "4. ●      1  Older kids pick on them  — we can change it: 2",
            "5.        0  The city cut the parks budget  — only with others: 1 · not for now: 2",
            "… and 3 causes without votes",
        ]
        assert "The room's votes: 4 people voted" in screen_text(app)
        assert "You have" not in screen_text(app)  # voting is closed while revealed


async def test_each_cause_lands_in_the_right_box_of_the_2x2() -> None:
    app = PanelApp(WeighPanel(), session(phase="weigh"), BEN)
    async with app.run_test(size=(120, 40)):
        grid = app.query_one(MattersGrid)

        def box(name: str) -> list[str]:
            return lines_of(str(grid.boxes[name].causes.visual))  # type: ignore[index]

        assert box("act_first") == ["●●●●● Nobody is home until 6 pm",
                                    "●●●● The rec centre closed in 2022"]
        assert box("keep_in_mind") == ["●●●● The factory moved to two shifts"]
        assert box("maybe_later") == ["● Older kids pick on them"]
        assert box("let_go") == ["· The city cut the parks budget"]
        # The three causes nobody weighed are on no box, and the panel says so.
        assert "3 causes not weighed yet (no dot, no answer): not on the 2×2." in screen_text(app)


async def test_a_new_vote_updates_the_panel_in_place() -> None:
    app = PanelApp(WeighPanel(), session(**WEIGHING), BEN)
    async with app.run_test(size=(120, 40)) as pilot:
        widgets = list(app.panel.query("*"))
        later = session(**WEIGHING)
        later.ballots[BEN.id].dots["c8"] = 1
        later.voters = 3
        app.show(later, BEN)
        await pilot.pause()
        assert list(app.panel.query("*")) == widgets
        text = screen_text(app)
        assert "You have 0 of your 3 dots left" in text
        assert "3 of 4 people have voted" in text


async def test_a_viewer_sees_the_weigh_step_read_only() -> None:
    app = PanelApp(WeighPanel(), session(**WEIGHING), PROJECTOR)
    async with app.run_test(size=(120, 40)) as pilot:
        text = screen_text(app)
        assert "read-only view" in text and "You have" not in text
        assert "Reveal the votes" not in text
        await pilot.press("v")
        assert app.sent == []


async def test_a_success_session_speaks_of_reasons() -> None:
    app = PanelApp(WeighPanel(), session(phase="weigh", mode="success"), BEN)
    async with app.run_test(size=(120, 40)):
        text = screen_text(app)
        assert "Which reasons matter most, and can we repeat them?" in text
        assert "… and 3 reasons without votes" in text
        assert "These reasons matter most and we can repeat them" in text
        assert "cause" not in text


# --- actions ----------------------------------------------------------------------------------


async def test_the_actions_list_shows_who_and_the_agreed_first_step() -> None:
    app = PanelApp(ActionsPanel(), session(), FACILITATOR)
    async with app.run_test(size=(120, 40)):
        text = screen_text(app)
        assert "Next steps: which actions do we start with?" in text
        assert "✓ Open the school gym until 6 pm" in text
        assert "for: Nobody is home until 6 pm · The rec centre closed in 2022" in text
        assert "who: people outside the group: the school board" in text
        assert "first step: Write to the principal · owner: Ana · by: Friday 12 May" in text
        assert "who: people in the group: Ben and Chloe" in text
        assert "[red]Walk home together[/red]" in text  # markup shown literally
        assert "a: agree" in text


async def test_participants_get_no_facilitator_controls() -> None:
    app = PanelApp(ActionsPanel(), session(phase="act"), BEN)
    async with app.run_test(size=(120, 40)) as pilot:
        assert "a: agree" not in screen_text(app)
        app.query_one(ActionList).focus()
        await pilot.press("down")  # Chloe's action: not Ben's to change
        await pilot.press("a", "enter", "delete")
        assert len(app.screen_stack) == 1 and app.sent == []


async def test_in_the_agree_step_a_participant_is_offered_no_changes() -> None:
    app = PanelApp(ActionsPanel(), session(phase="agree"), BEN)
    async with app.run_test(size=(120, 40)) as pilot:
        text = screen_text(app)
        assert "The facilitator records the next steps the group agrees on." in text
        assert "edit" not in text and "n: new action" not in text
        app.query_one(ActionList).focus()
        await pilot.press("down", "down", "enter", "delete", "n")  # even on Ben's own action
        assert len(app.screen_stack) == 1 and app.sent == []


async def test_a_viewer_can_only_read_the_actions() -> None:
    app = PanelApp(ActionsPanel(), session(), PROJECTOR)
    async with app.run_test(size=(120, 40)) as pilot:
        assert "Read-only view." in screen_text(app)
        app.query_one(ActionList).focus()
        await pilot.press("enter", "a", "delete", "n")
        assert len(app.screen_stack) == 1 and app.sent == []


async def test_proposing_an_action_returns_add_action_with_the_chosen_causes() -> None:
    app = DialogApp(ProposeActionScreen(session(phase="act"), cause_ids=["c6"], new_op=one_op))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "Ask to reopen the gym")
        await pilot.press("tab", "space")  # also for the first cause in the list
        await pilot.press("tab", "down", "enter")  # people outside the group
        await pilot.press("tab")
        await type_text(pilot, "the school board")
        await pilot.press("enter")
        assert app.results == [p.AddAction(
            op="op-1", text="Ask to reopen the gym", causes=["c1", "c6"], by="outside",
            who="the school board")]


async def test_an_action_needs_its_text_and_escape_cancels() -> None:
    app = DialogApp(ProposeActionScreen(session(phase="act"), cause_ids=["c1"], new_op=one_op))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        assert app.results == []
        assert "Write what could be done first." in screen_text(app)
        await pilot.press("escape")
        assert app.results == [None]


async def test_n_in_the_panel_opens_the_dialog_only_when_proposing_is_allowed() -> None:
    app = PanelApp(ActionsPanel(), session(phase="act"), BEN)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(ActionList).focus()
        await pilot.press("n")
        assert isinstance(app.screen, ProposeActionScreen)
        await type_text(pilot, "Ask the factory about shifts")
        await pilot.press("enter")
        await pilot.pause()
        assert app.sent == [p.AddAction(op="op-1", text="Ask the factory about shifts", causes=[])]

        app.show(session(phase="agree"), BEN)  # only the facilitator adds actions now
        await pilot.press("n")
        await pilot.pause()
        assert len(app.screen_stack) == 1 and len(app.sent) == 1


async def test_the_author_edits_an_action_in_the_same_dialog_prefilled() -> None:
    app = PanelApp(ActionsPanel(), session(phase="act"), BEN)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(ActionList).focus()
        await pilot.press("down", "down", "enter")  # Ben's own action
        assert isinstance(app.screen, ProposeActionScreen)
        assert "[red]Walk home together[/red]" in screen_text(app)
        await pilot.press("end")
        await type_text(pilot, " after school")
        await pilot.press("enter")
        await pilot.pause()
        assert app.sent == [p.EditAction(
            op="op-1", action="a3", text="[red]Walk home together[/red] after school",
            causes=["c8"], by="inside", who="")]


async def test_the_facilitator_records_the_agreed_first_step() -> None:
    app = PanelApp(ActionsPanel(), session(), FACILITATOR)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(ActionList).focus()
        await pilot.press("down", "a")
        assert isinstance(app.screen, AgreementScreen)
        await type_text(pilot, "Set up a group chat")
        await pilot.press("tab")
        await type_text(pilot, "Chloe")
        await pilot.press("tab")
        await type_text(pilot, "next Monday")
        await pilot.press("enter")
        await pilot.pause()
        assert app.sent == [p.SetAgreement(
            op="op-1", action="a2", agreed=True, first_step="Set up a group chat",
            owner="Chloe", due="next Monday")]


async def test_removing_an_action_asks_first() -> None:
    app = PanelApp(ActionsPanel(), session(), FACILITATOR)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(ActionList).focus()
        await pilot.press("delete")
        assert isinstance(app.screen, RemoveActionScreen)
        await pilot.press("enter")  # "Keep it" has the focus
        assert app.sent == [] and len(app.screen_stack) == 1
        await pilot.press("delete", "y")
        await pilot.pause()
        assert app.sent == [p.RemoveAction(op="op-1", action="a1")]


async def test_actions_update_in_place_and_keep_the_highlight() -> None:
    app = PanelApp(ActionsPanel(), session(), FACILITATOR)
    async with app.run_test(size=(120, 40)) as pilot:
        options = app.query_one(ActionList)
        options.focus()
        await pilot.press("down")
        later = session()
        later.actions["a2"].agreed = True
        later.actions["a2"].owner = "Chloe"
        app.show(later, FACILITATOR)
        await pilot.pause()
        assert options.highlighted_option is not None and options.highlighted_option.id == "a2"
        assert "✓ Start a parents' phone tree" in screen_text(app)

        del later.actions["a2"]
        app.show(later, FACILITATOR)
        await pilot.pause()
        assert options.highlighted_option is not None and options.highlighted_option.id == "a3"


async def test_success_mode_asks_what_to_apply() -> None:
    app = PanelApp(ActionsPanel(), session(phase="act", mode="success", actions={}), BEN)
    async with app.run_test(size=(120, 40)):
        text = screen_text(app)
        assert "What can we apply here?" in text
        assert "No actions yet. Select a reason in the tree and press n" in text


# --- summary ------------------------------------------------------------------------------------


async def test_the_summary_shows_situation_top_causes_and_next_steps() -> None:
    app = PanelApp(SummaryPanel(), session(phase="closed"), PROJECTOR)
    async with app.run_test(size=(120, 60)):
        text = screen_text(app)
        assert "Our fifth graders get into trouble after school" in text
        ranking = lines_of(str(app.query_one(RankingTable).visual))
        assert ranking[0].startswith("1. ●●●●●  5  Nobody is home until 6 pm")
        assert len(ranking) == 4  # only causes with dots
        steps = static_text(app, "#summary-steps")
        assert "✓ Open the school gym until 6 pm" in steps
        assert "first step: Write to the principal · owner: Ana · by: Friday 12 May" in steps
        assert "phone tree" not in steps  # proposed, not agreed
        assert "Saved on the facilitator's laptop." in text
        assert "Act here first" in text


async def test_the_summary_in_success_mode_without_revealed_votes() -> None:
    state = session(phase="closed", mode="success", revealed=False, tally={})
    app = PanelApp(SummaryPanel(), state, BEN)
    async with app.run_test(size=(120, 60)):
        text = screen_text(app)
        assert "What went well" in text
        assert "The reasons that matter most (the votes were not revealed)" in text
        assert "Act here first" not in text


# --- snapshots --------------------------------------------------------------------------------


def test_snapshot_weigh_after_the_reveal(snap_compare: Any) -> None:
    assert snap_compare(PanelApp(WeighPanel(), session(phase="weigh"), FACILITATOR),
                        terminal_size=(120, 40))


def test_snapshot_actions_in_the_agree_step(snap_compare: Any) -> None:
    async def focus_list(pilot: Pilot[None]) -> None:
        pilot.app.query_one(ActionList).focus()
        await pilot.press("down")

    assert snap_compare(PanelApp(ActionsPanel(), session(), FACILITATOR),
                        terminal_size=(120, 40), run_before=focus_list)


def test_snapshot_summary(snap_compare: Any) -> None:
    assert snap_compare(PanelApp(SummaryPanel(), session(phase="closed"), PROJECTOR),
                        terminal_size=(120, 40))


# --- what people type is never markup ---------------------------------------------------------

CLICK = "[@click=app.quit]"
"""Markup that would quit the app if it were ever interpreted."""


def marked_up() -> Session:
    """`session()` where every text people typed is markup: it must show exactly as typed."""
    state = session()
    state.title = "[red]Tuesday group"
    state.situation = "[bold]Kids fight after school"
    state.causes["c1"].text = f"{CLICK}Nobody home[/]"
    state.causes["c3"].text = "[bold]Two shifts"
    state.causes["c6"].text = "[i]Rec centre closed[/i]"
    state.people[BEN.id].name = f"{CLICK}Ben[/]"
    a1 = state.actions["a1"]
    a1.text, a1.who = f"{CLICK}Open the gym[/]", "[b]the board"
    a1.first_step, a1.owner, a1.due = f"{CLICK}Write[/]", f"{CLICK}Ana[/]", "[i]Friday"
    state.actions["a2"].text = "[bold]Phone tree"
    return state


async def test_markup_typed_by_people_shows_literally_in_the_weigh_panel() -> None:
    app = PanelApp(WeighPanel(), marked_up(), BEN)
    async with app.run_test(size=(120, 60)):
        ranking = str(app.query_one(RankingTable).visual)
        for text in (f"{CLICK}Nobody home[/]", "[bold]Two shifts", "[i]Rec centre closed[/i]"):
            assert text in ranking  # the ranking
            assert text in screen_text(app)  # the 2×2 (and the ranking) as drawn
        assert app.is_running


async def test_markup_typed_by_people_shows_literally_in_the_actions_list() -> None:
    app = PanelApp(ActionsPanel(), marked_up(), FACILITATOR)
    async with app.run_test(size=(120, 40)):
        text = screen_text(app)
        assert f"✓ {CLICK}Open the gym[/]" in text
        assert f"for: {CLICK}Nobody home[/] · [i]Rec centre closed[/i]" in text
        assert "who: people outside the group: [b]the board" in text
        assert f"first step: {CLICK}Write[/] · owner: {CLICK}Ana[/] · by: [i]Friday" in text
        assert "[bold]Phone tree" in text


async def test_markup_typed_by_people_shows_literally_in_the_action_dialogs() -> None:
    state = marked_up()
    app = DialogApp(ProposeActionScreen(state, cause_ids=["c1"], new_op=one_op))
    async with app.run_test(size=(120, 40)):
        text = screen_text(app)
        assert f"{CLICK}Nobody home[/]" in text and "[bold]Two shifts" in text  # the cause list
    app = DialogApp(AgreementScreen(state, state.actions["a1"], new_op=one_op))
    async with app.run_test(size=(120, 40)):
        text = screen_text(app)
        assert f"{CLICK}Open the gym[/]" in text
        assert "who: people outside the group: [b]the board" in text
        assert f"{CLICK}Write[/]" in text and f"{CLICK}Ana[/]" in text  # prefilled inputs
        assert app.is_running


async def test_markup_typed_by_people_shows_literally_in_the_summary() -> None:
    app = PanelApp(SummaryPanel(), marked_up(), PROJECTOR)
    async with app.run_test(size=(120, 80)):
        text = screen_text(app)
        assert "Summary so far: [red]Tuesday group" in text
        assert "[bold]Kids fight after school" in text
        assert f"{CLICK}Nobody home[/]" in str(app.query_one(RankingTable).visual)
        steps = static_text(app, "#summary-steps")
        assert f"✓ {CLICK}Open the gym[/]" in steps
        assert f"owner: {CLICK}Ana[/]" in steps
        assert app.is_running


async def test_on_a_narrow_panel_the_2x2_boxes_stand_one_under_the_other() -> None:
    app = PanelApp(WeighPanel(), session(phase="weigh"), BEN)
    async with app.run_test(size=(50, 80)) as pilot:
        await pilot.pause()
        grid = app.query_one(MattersGrid)
        assert grid.has_class("-narrow")
        text = screen_text(app)
        for title in ("Act here first", "Keep in mind", "Maybe later", "Let go for now"):
            assert title in text  # whole titles, not "Act…"
        assert "●●●●● Nobody is home until 6 pm" in text
        assert "matters\nmost" not in text and "can change  " not in text


async def test_markup_typed_by_people_shows_literally_in_the_header() -> None:
    from whytree.tui.widgets.status import SessionHeader

    class HeaderApp(App[None]):
        def compose(self) -> ComposeResult:
            yield SessionHeader(id="header")

        def on_mount(self) -> None:
            self.query_one(SessionHeader).show_state(marked_up(), FACILITATOR, 0.0)

    app = HeaderApp()
    async with app.run_test(size=(120, 10)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "[red]Tuesday group  ·  Step 5 Agree" in text
        assert f"Here: you, {CLICK}Ben[/], Chloe, Anonymous" in text
        assert app.is_running



async def test_the_2x2_looks_at_its_width_after_every_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual does not always send a `Resize` to a widget shown again at another width:
    at 80 columns the session's panel can be laid out beside the tree for a moment (34
    cells: one box under the other), then shown alone at 76, and the 2×2 stayed in one
    column. Here every `Resize` is lost (were the grid to wait for one), and it still
    follows its width."""
    monkeypatch.setattr(MattersGrid, "on_resize", lambda self, event: None, raising=False)
    app = PanelApp(WeighPanel(), session(phase="weigh"), BEN)
    async with app.run_test(size=(50, 30)) as pilot:
        grid = app.query_one(MattersGrid)
        await pilot.pause()
        assert grid.has_class("-narrow")
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        await pilot.pause()
        assert grid.size.width >= MattersGrid.NARROW
        assert not grid.has_class("-narrow")


async def test_the_actions_list_measures_its_lines_again_at_a_new_width(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As the 2×2 above: the list, shown at another width without a `Resize`, must not
    keep its lines as they wrapped at the old width (its last action was left blank)."""
    monkeypatch.setattr(OptionList, "_on_resize", lambda self: None)
    app = PanelApp(ActionsPanel(), session(), FACILITATOR)
    async with app.run_test(size=(40, 60)) as pilot:
        await pilot.pause()
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.pause()
        text = screen_text(app)
        assert "for: Nobody is home until 6 pm · The rec centre closed in 2022" in text
        assert "who: people in the group: Ben and Chloe" in text
        assert "[red]Walk home together[/red]" in text
