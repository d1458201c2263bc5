"""The session screen: the live cause tree, the step panel, and every key of the session.

Layout, top to bottom: the join banner (host only, `j` hides it), the header (title,
step, what to do now, who is here, timer), the cause tree beside the panel of the current
step (weigh, actions, summary), the "But why?" bar that opens under the tree, the link
status and the footer with the keys that apply now.

The screen never talks to the network: it posts `SendCommand` (as the step panels do);
the app stamps the `op` and sends it. The app calls `follow` after each frame the mirror
took, with what it changed.

Keys (DESIGN §6; the footer shows the ones that apply now; each is also in the command
palette):

| key        | who          | action                                              |
|------------|--------------|-----------------------------------------------------|
| arrows     | everyone     | move; left/right fold and unfold                    |
| w          | participants | "But why?": add an answer under the selected node   |
| e          | author/facil.| edit the selected answer (the situation: facil.)    |
| + / -      | participants | add / take back a "matters" dot                     |
| c          | participants | cycle "can it change?"                              |
| n          | participants | propose an action for the selected cause            |
| d          | participants | "I'm done" with this step (again: not done)         |
| ?          | everyone     | help for this step                                  |
| j          | host         | show / hide the join address and code               |
| g          | host         | a new join code (someone is guessing it)            |
| s          | facilitator  | the situation and problem/success                   |
| ] / [      | facilitator  | next / previous step                                |
| delete     | facilitator  | remove the selected answer (and those below it)     |
| m          | facilitator  | merge: mark the answer, select the target, m again  |
| v          | facilitator  | reveal the votes / hide them again                  |
| o          | facilitator  | voting settings (dots, anonymous)                   |
| t          | facilitator  | start / stop a timer for this step                  |
| l          | facilitator  | lock / unlock the room                              |
| p          | facilitator  | people: remove a participant                        |
| x          | facilitator  | close the session (confirm); reopen it once closed  |
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ClassVar

from textual import events, on
from textual.actions import parse as parse_action
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, Tree

from whytree.shared import protocol as p
from whytree.shared import wording
from whytree.shared.mirror import Mirror, Received
from whytree.shared.model import CHANGE_ANSWERS, PHASES, Change, Phase, Session
from whytree.tui.messages import DRAFT_OP, NewJoinCode, SendCommand
from whytree.tui.screens.dialogs import (
    ConfirmScreen,
    HelpScreen,
    PeopleScreen,
    SettingsScreen,
    SituationScreen,
    TextScreen,
)
from whytree.tui.widgets.actions import ActionsPanel
from whytree.tui.widgets.banner import JoinBanner
from whytree.tui.widgets.cause_tree import CauseTree
from whytree.tui.widgets.status import LinkStatus, SessionHeader, step_help
from whytree.tui.widgets.summary import SummaryPanel
from whytree.tui.widgets.weigh import WeighPanel

StepPanel = WeighPanel | ActionsPanel | SummaryPanel

SHORT_TERMINAL = 30
"""Rows below which the screen saves space (class `-short`)."""


PANEL_PHASES: dict[type[StepPanel], frozenset[Phase]] = {
    WeighPanel: frozenset({"weigh"}),
    ActionsPanel: frozenset({"act", "agree"}),
    SummaryPanel: frozenset({"closed"}),
}
"""Which step panel is shown beside the tree in which steps."""


@dataclass(frozen=True)
class Key:
    """One key of the session screen, for the bindings, the help and the palette."""

    key: str
    action: str
    description: str
    help: str
    show: bool = True
    display: str | None = None
    steps: frozenset[Phase] | None = None
    """The steps in which the footer shows the key (None: whenever it applies). It works
    whenever it applies; the footer keeps to what matters in this step, so that it fits."""

    @property
    def name(self) -> str:
        """The action without its parameters (`dot` for `dot(1)`)."""
        return parse_action(self.action)[1]

    @property
    def parameters(self) -> tuple[object, ...]:
        return parse_action(self.action)[2]


def _in(*steps: Phase) -> frozenset[Phase]:
    return frozenset(steps)


# The footer shows the keys in this order: what this step is about first.
KEYS: tuple[Key, ...] = (
    Key("w", "why", "But why?", "Add an answer under the selected node", steps=_in("why")),
    Key("e", "edit", "Edit", "Edit the selected answer", show=False),
    Key("plus,equals_sign", "dot(1)", "Dot", "Put a “matters” dot on the selected cause", display="+"),
    Key("minus", "dot(-1)", "Undo dot", "Take back a “matters” dot", display="-"),
    Key("c", "cycle_change", "Can change?", "Cycle the “can it change?” answer"),
    Key("n", "propose", "Action", "Propose an action for the selected cause"),
    Key("v", "reveal(True)", "Reveal votes", "Reveal the votes to everyone", steps=_in("weigh")),
    Key("v", "reveal(False)", "Hide votes", "Hide the votes again (people can change them)",
        steps=_in("weigh")),
    Key("m", "merge", "Merge", "Merge the selected answer into another one", steps=_in("why")),
    Key("s", "situation", "Situation", "Write the situation; choose problem or success",
        steps=_in("situation")),
    Key("right_square_bracket", "step(1)", "Next step", "Go to the next step", display="]"),
    Key("x", "reopen", "Reopen", "Reopen the closed session"),
    Key("d", "done(True)", "I'm done", "Say you are done with this step"),
    Key("d", "done(False)", "Not done", "Take back “I'm done”"),
    Key("question_mark", "help", "Help", "What this step is for and what to do now", display="?"),
    Key("j", "toggle_banner", "Join info", "Show or hide the join address and code"),
    Key("g", "new_code", "New code", "Give the session a new join code (people already in stay in)",
        show=False),
    Key("left_square_bracket", "step(-1)", "Prev step", "Go back to the previous step", display="[",
        show=False),
    Key("delete", "remove", "Remove", "Remove the selected answer", display="del",
        show=False),
    Key("o", "settings", "Settings", "Dots per person and per cause; anonymous", show=False),
    Key("t", "timer", "Timer", "Start or stop a timer for this step", show=False),
    Key("l", "lock", "Lock", "Lock or unlock the room (nobody new gets in)", show=False),
    Key("p", "people", "People", "Remove a participant", show=False),
    Key("x", "close_session", "Close", "Close and save the session", show=False),
    Key("escape", "cancel", "Cancel", "Cancel"),
)

FOOTER_STEPS: dict[str, frozenset[Phase]] = {k.action: k.steps for k in KEYS if k.steps is not None}
KEY_ACTIONS = frozenset(k.name for k in KEYS)
FACILITATOR_ONLY = frozenset({
    "situation", "step", "remove", "merge", "reveal", "settings", "timer", "lock", "people",
    "close_session", "reopen",
})
NEXT_CHANGE: dict[Change | None, Change | None] = {
    None: CHANGE_ANSWERS[0], CHANGE_ANSWERS[0]: CHANGE_ANSWERS[1],
    CHANGE_ANSWERS[1]: CHANGE_ANSWERS[2], CHANGE_ANSWERS[2]: None,
}


class SessionScreen(Screen[None]):
    """The whole session for one person: participant, facilitator or read-only viewer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(k.key, k.action, k.description, show=k.show, key_display=k.display) for k in KEYS
    ]

    def __init__(
        self,
        mirror: Mirror,
        *,
        viewer: bool = False,
        banner: JoinBanner | None = None,
        server_offset: Callable[[], float] | None = None,
    ) -> None:
        super().__init__()
        self.mirror = mirror
        self.viewer = viewer
        self.banner = banner
        self._bar_mode: tuple[str, str | None] | None = None
        """While the bar is open: ("why", parent id) or ("edit", cause id)."""
        self.merging: str | None = None
        self._panels: dict[type[StepPanel], StepPanel] = {
            kind: kind(classes="step-panel") for kind in PANEL_PHASES
        }
        self._ready = False
        self._tree = CauseTree(id="tree")
        self._header = SessionHeader(id="header")
        self._link = LinkStatus(id="link")
        self._panels_box = Vertical(id="panels")
        self._selected_full = Static(id="selected-full")
        """The selected answer in full: tree lines are cut at the panel's edge."""
        self._why_bar = Vertical(id="why-bar")
        self._why_bar.display = False
        self._why_prompt = Static(id="why-prompt")
        self._why_input = Input(max_length=p.MAX_CAUSE_TEXT, id="why-input")

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        if self.banner is not None:
            yield self.banner
        yield self._header
        with Horizontal(id="main"):
            with Vertical(id="tree-side"):
                yield self._tree
                yield self._selected_full
                with self._why_bar:
                    yield self._why_prompt
                    yield self._why_input
            with self._panels_box:
                yield from self._panels.values()
        yield self._link
        yield Footer()

    def on_mount(self) -> None:
        if not self._tree.is_mounted:
            # The app is closing while this screen was being put together: its parts were
            # never mounted, and there is nothing to show.
            return
        self._ready = True
        self.cause_tree.focus()
        if self.mirror.state is not None:
            self.cause_tree.show_state(self.mirror.state, self.mirror.me)
            self._refresh_around()

    def on_unmount(self) -> None:
        self._ready = False

    def on_resize(self, event: events.Resize) -> None:
        # An old laptop's 80×24: the step's explanation keeps to one line (? shows it all).
        self.set_class(event.size.height < SHORT_TERMINAL, "-short")

    @property
    def cause_tree(self) -> CauseTree:
        return self._tree

    @property
    def link(self) -> LinkStatus:
        return self._link

    # --- following the session -------------------------------------------------------------

    def follow(self, received: Received) -> None:
        """Show what one frame changed (the mirror has already applied it)."""
        state = self.mirror.state
        if state is None or not self._ready or not self.is_attached:
            return  # `on_mount` shows the whole state once the screen is there
        if received.fresh_state:
            self.cause_tree.show_state(state, self.mirror.me)
        elif received.applied:
            self.cause_tree.apply_events(state, self.mirror.me, received.applied)
            if self.merging is not None and self.merging not in state.causes:
                self._stop_merging()
        else:
            return
        self._refresh_around()

    def _refresh_around(self) -> None:
        state, me = self.mirror.state, self.mirror.me
        if state is None:
            return
        self._header.show_state(state, me, self.mirror.server_offset)
        shown_any = False
        for kind, panel in self._panels.items():
            shown = state.phase in PANEL_PHASES[kind]
            panel.display = shown
            if shown and me is not None:
                shown_any = True
                panel.show_state(state, me)
        self._panels_box.display = shown_any
        self.set_class(state.phase == "closed", "-closed")
        self._show_selected()
        self.refresh_bindings()

    def _show_selected(self) -> None:
        """Under the tree, the whole text of the selected answer and where it sits."""
        state, cause_id = self.mirror.state, self.cause_tree.selected_cause
        cause = state.causes.get(cause_id) if state is not None and cause_id is not None else None
        self._selected_full.display = cause is not None
        if state is not None and cause is not None:
            parent = state.causes.get(cause.parent) if cause.parent is not None else None
            under = parent.text if parent is not None else state.situation or "the situation"
            self._selected_full.update(Content.assemble(
                ("Selected: ", "bold"), cause.text, ("   ← a reason for: ", "dim"), (under, "dim"),
            ))

    # --- which keys apply now ------------------------------------------------------------

    def allowed(self, action: str, parameters: tuple[object, ...] = ()) -> bool:
        """Whether `action` (a name from `KEYS`, without parameters) applies now; for
        `reveal`, `parameters` says which way (True: reveal, False: hide)."""
        state, me = self.mirror.state, self.mirror.me
        if action in ("help", "toggle_banner", "new_code"):
            return action == "help" or self.banner is not None
        if action == "cancel":
            return self._bar_mode is not None or self.merging is not None
        if self._bar_mode is not None:
            return False  # typing an answer: its keys are letters in the input
        if state is None or me is None or self.viewer or me.role == "viewer":
            return False
        facilitator = me.role == "facilitator"
        phase = state.phase
        if action in FACILITATOR_ONLY:
            if not facilitator:
                return False
            if action == "reopen":
                return phase == "closed"
            if phase == "closed":
                return False
            if action == "reveal":
                wanted = bool(parameters[0]) if parameters else not state.revealed
                return phase in ("weigh", "act", "agree") and wanted != state.revealed
            return True
        if phase == "closed":
            return False
        match action:
            case "why":
                return facilitator or phase == "why"
            case "edit":
                return facilitator or phase in ("why", "weigh")
            case "dot" | "cycle_change":
                return phase == "weigh" and not state.revealed
            case "propose":
                return phase == "act" or (facilitator and phase == "agree")
            case "done":
                # "I'm done" tells the facilitator who is ready; the facilitator needs none.
                wanted = bool(parameters[0]) if parameters else not me.done
                return not facilitator and wanted != me.done
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in KEY_ACTIONS:
            return self.allowed(action, parameters)
        return True

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The keys that work now; the footer shows those that matter in this step."""
        bindings = super().active_bindings
        state = self.mirror.state
        phase = state.phase if state is not None else None
        for key, active in bindings.items():
            steps = FOOTER_STEPS.get(active.binding.action)
            if self.merging is not None and active.binding.action == "merge":
                continue  # half-way through a merge: m finishes it, whatever the step
            if active.node is self and active.binding.show and steps is not None and phase not in steps:
                bindings[key] = active._replace(binding=replace(active.binding, show=False))
        return bindings

    def keys_now(self) -> list[tuple[str, str]]:
        """(key, what it does) for every key that applies now, for the help."""
        keys = [("arrows", "move in the tree; ← → fold and unfold")]
        for k in KEYS:
            if k.name != "cancel" and self.allowed(k.name, k.parameters):
                keys.append((k.display or k.key, k.help))
        return keys

    def palette_commands(self) -> list[tuple[str, str, str]]:
        """(title, help, action) for the command palette: the keys that apply now."""
        return [
            (k.description, f"{k.help} (key: {k.display or k.key})", k.action)
            for k in KEYS
            if k.name != "cancel" and self.allowed(k.name, k.parameters)
        ]

    # --- sending ---------------------------------------------------------------------------

    def send(self, command: p.ClientCommand) -> None:
        self.post_message(SendCommand(command))

    def _selected_cause(self, what: str) -> str | None:
        cause_id = self.cause_tree.selected_cause
        if cause_id is None:
            self.notify(f"Select an answer first (not the situation) to {what}.", severity="warning",
                        markup=False)
        return cause_id

    @property
    def _state(self) -> Session:
        assert self.mirror.state is not None
        return self.mirror.state

    # --- "But why?" and edit: the bar under the tree ---------------------------------------

    def action_why(self) -> None:
        parent = self.cause_tree.selected_cause
        state = self._state
        under = state.causes[parent].text if parent is not None else (state.situation or "the situation")
        self._open_bar(("why", parent), f"{wording.why_prompt(state.mode)}  ⟵  {under}", "")

    def action_edit(self) -> None:
        cause_id = self.cause_tree.selected_cause
        me = self.mirror.me
        if cause_id is None:
            if me is not None and me.role == "facilitator":
                self.action_situation()
            else:
                self.notify("Select one of your answers to edit it.", severity="warning", markup=False)
            return
        cause = self._state.causes[cause_id]
        if me is None or (me.role != "facilitator" and cause.author != me.id):
            self.notify("Only its author or the facilitator can edit an answer.", severity="warning",
                        markup=False)
            return
        self._open_bar(("edit", cause_id), "Edit the answer (Enter saves, Escape cancels)", cause.text)

    def _open_bar(self, mode: tuple[str, str | None], prompt: str, value: str) -> None:
        self._bar_mode = mode
        self._why_prompt.update(Content(prompt))
        bar_input = self._why_input
        bar_input.value = value
        bar_input.placeholder = "Type the answer, then Enter (Escape cancels)"
        self._why_bar.display = True
        bar_input.focus()
        self.refresh_bindings()

    def _close_bar(self) -> None:
        self._bar_mode = None
        self._why_bar.display = False
        self.cause_tree.focus()
        self.refresh_bindings()

    @on(Input.Submitted, "#why-input")
    def _bar_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        mode = self._bar_mode
        if mode is None:
            return
        if not text:
            self.notify("Type an answer first, or press Escape.", severity="warning", markup=False)
            return
        kind, target = mode
        if kind == "why":
            self.send(p.AddCause(op=DRAFT_OP, parent=target, text=text))
        elif target is not None:
            self.send(p.EditCause(op=DRAFT_OP, cause=target, text=text))
        self._close_bar()

    def action_cancel(self) -> None:
        if self._bar_mode is not None:
            self._close_bar()
        elif self.merging is not None:
            self._stop_merging()

    # --- votes ------------------------------------------------------------------------------

    def action_dot(self, change: int) -> None:
        cause_id = self._selected_cause("vote on it")
        me = self.mirror.me
        if cause_id is None or me is None:
            return
        mine = self._my_dots(cause_id, me.id)
        wanted = max(0, mine + change)
        if wanted == mine:
            self.notify("You have no dot on this one to take back.", severity="information", markup=False)
            return
        self.send(p.SetDots(op=DRAFT_OP, cause=cause_id, dots=wanted))

    def action_cycle_change(self) -> None:
        cause_id = self._selected_cause("answer “can it change?”")
        me = self.mirror.me
        if cause_id is None or me is None:
            return
        current = self._my_change(cause_id, me.id)
        answer = NEXT_CHANGE[current]
        self.send(p.SetChange(op=DRAFT_OP, cause=cause_id, answer=answer))
        self.notify(f"Can it change? {wording.CHANGE_LABELS[answer]}", timeout=2, markup=False)

    def _my_dots(self, cause_id: str, me: str) -> int:
        """My dots on `cause_id`, counting a change still on its way (a quick double +)."""
        for command in reversed(self.mirror.outbox.values()):
            if isinstance(command, p.SetDots) and command.cause == cause_id:
                return command.dots
        ballot = self._state.ballots.get(me)
        return ballot.dots.get(cause_id, 0) if ballot else 0

    def _my_change(self, cause_id: str, me: str) -> Change | None:
        for command in reversed(self.mirror.outbox.values()):
            if isinstance(command, p.SetChange) and command.cause == cause_id:
                return command.answer
        ballot = self._state.ballots.get(me)
        return ballot.change.get(cause_id) if ballot else None

    def action_done(self, done: bool | None = None) -> None:
        me = self.mirror.me
        if done is None:
            done = not (me is not None and me.done)
        self.send(p.SetDone(op=DRAFT_OP, done=done))
        self.notify("You said “I'm done”." if done else "OK: not done after all.", timeout=2, markup=False)

    # --- actions ----------------------------------------------------------------------------

    def action_propose(self) -> None:
        # On the situation: the dialog opens with no cause ticked yet (it lists them all).
        cause_id = self.cause_tree.selected_cause
        panel = self._panels[ActionsPanel]
        assert isinstance(panel, ActionsPanel)
        panel.propose_for(*([cause_id] if cause_id is not None else []))

    # --- facilitator --------------------------------------------------------------------------

    def action_situation(self) -> None:
        state = self._state

        def chosen(result: object) -> None:
            if isinstance(result, tuple):
                text, mode = result
                self.send(p.SetSituation(op=DRAFT_OP, text=text, mode=mode))

        self.app.push_screen(SituationScreen(state.situation, state.mode), chosen)

    def action_step(self, change: int) -> None:
        state = self._state
        index = PHASES.index(state.phase) + change
        if index < 0:
            self.notify("This is the first step.", timeout=2, markup=False)
            return
        target = PHASES[index]
        if target == "closed":
            self.action_close_session()
            return
        if target == "weigh" and not state.causes:
            self.notify("There are no answers to weigh yet.", severity="warning", markup=False)
        if target in ("situation", "why", "weigh", "act", "agree"):
            self.send(p.SetPhase(op=DRAFT_OP, phase=target))

    def action_remove(self) -> None:
        cause_id = self._selected_cause("remove it")
        if cause_id is None:
            return
        state = self._state
        below = len(state.subtree(cause_id)) - 1
        if below == 0:
            self.send(p.RemoveCause(op=DRAFT_OP, cause=cause_id))
            return

        def confirmed(yes: object) -> None:
            if yes is True:
                self.send(p.RemoveCause(op=DRAFT_OP, cause=cause_id))

        text = state.causes[cause_id].text
        self.app.push_screen(
            ConfirmScreen(f"Remove “{text}” and the {below} answer{'s' if below > 1 else ''} below it?",
                          "Remove them"),
            confirmed,
        )

    def action_merge(self) -> None:
        cause_id = self._selected_cause("merge it")
        if cause_id is None:
            return
        if self.merging is None or self.merging not in self._state.causes:
            self.merging = cause_id
            self.set_class(True, "-merging")
            self.cause_tree.mark_merging(cause_id)
            self.notify(f"Merging “{self._state.causes[cause_id].text}”: select the answer to merge "
                        "it into and press m again (Escape cancels).", timeout=8, markup=False)
            self.refresh_bindings()
            return
        merged, self.merging = self.merging, None
        self._stop_merging()
        if merged == cause_id:
            self.notify("Merge cancelled.", timeout=2, markup=False)
            return
        self.send(p.MergeCauses(op=DRAFT_OP, cause=merged, into=cause_id))

    def _stop_merging(self) -> None:
        self.merging = None
        self.set_class(False, "-merging")
        self.cause_tree.mark_merging(None)
        self.refresh_bindings()

    def action_reveal(self, revealed: bool | None = None) -> None:
        if revealed is None:
            revealed = not self._state.revealed
        self.send(p.RevealVotes(op=DRAFT_OP, revealed=revealed))

    def action_settings(self) -> None:
        def chosen(result: object) -> None:
            if isinstance(result, tuple):
                per_person, per_cause, anonymous = result
                self.send(p.SetSettings(op=DRAFT_OP, dots_per_person=per_person,
                                        dots_per_cause=per_cause, anonymous=anonymous))

        self.app.push_screen(SettingsScreen(self._state), chosen)

    def action_timer(self) -> None:
        if self._state.timer_ends is not None:
            self.send(p.SetTimer(op=DRAFT_OP, seconds=None))
            return

        def chosen(result: object) -> None:
            if isinstance(result, str):
                try:
                    minutes = float(result.replace(",", "."))
                except ValueError:
                    minutes = math.nan
                if not math.isfinite(minutes):  # "nan" and "inf" are floats too
                    self.notify("Type the minutes as a number, e.g. 5.", severity="warning", markup=False)
                    return
                seconds = int(minutes * 60)
                if not 1 <= seconds <= p.MAX_TIMER_SECONDS:
                    self.notify("Choose between 1 minute and 4 hours.", severity="warning", markup=False)
                    return
                self.send(p.SetTimer(op=DRAFT_OP, seconds=seconds))

        self.app.push_screen(TextScreen("Minutes for this step:", "5", max_length=6), chosen)

    def action_lock(self) -> None:
        locked = not self._state.locked
        self.send(p.LockRoom(op=DRAFT_OP, locked=locked))

    def action_people(self) -> None:
        people = [person for person in self._state.people.values()
                  if not person.removed and person.role != "facilitator"]
        if not people:
            self.notify("Nobody else has joined yet.", timeout=3, markup=False)
            return

        def chosen(person_id: object) -> None:
            if isinstance(person_id, str):
                self.send(p.RemovePerson(op=DRAFT_OP, person=person_id))

        self.app.push_screen(PeopleScreen(people), chosen)

    def action_reopen(self) -> None:
        self.send(p.Reopen(op=DRAFT_OP))

    def action_close_session(self) -> None:
        def confirmed(yes: object) -> None:
            if yes is True:
                self.send(p.Close(op=DRAFT_OP))

        self.app.push_screen(
            ConfirmScreen("Close the session and save the results? Nothing can change after that "
                          "(x reopens it if this was a mistake).", "Close and save"),
            confirmed,
        )

    # --- help and the banner --------------------------------------------------------------------

    def action_help(self) -> None:
        state = self.mirror.state or Session()
        me = self.mirror.me
        facilitator = me is not None and me.role == "facilitator" and not self.viewer
        self.app.push_screen(HelpScreen(state.phase, step_help(state), self.keys_now(),
                                        facilitator=facilitator))

    def action_toggle_banner(self) -> None:
        if self.banner is not None:
            self.banner.display = not self.banner.display

    def action_new_code(self) -> None:
        if self.banner is not None:
            self.post_message(NewJoinCode())

    @on(Tree.NodeHighlighted)
    def _highlighted(self) -> None:
        self._show_selected()
        self.refresh_bindings()
