"""The session screen: the live cause tree, the step panel, and every key of the session.

Layout, top to bottom: the join banner (host only, `j` hides it), the header (title,
step, what to do now, who is here, timer), the cause tree beside the panel of the current
step (weigh; actions with what the room weighed; summary), the selected answer in full and
the "But why?" bar under the tree, the app's short messages, the link status and the
footer with the keys that apply now.

Narrower than `WIDE` columns (an old laptop's 80), the tree and the panel take turns at the
full width (class `-narrow` from `HORIZONTAL_BREAKPOINTS`): `r` shows the panel and `r`
again the tree (in the act and agree steps: the actions, then what the room weighed, then
the tree), and the footer says which. Tree lines cannot wrap, so whatever they cut is
shown whole under the tree: the situation, or the selected answer.

Each dialog (`dialogs`, `action_dialogs`, `change_picker`) is imported where a key opens
it: none is needed to paint the session, and importing them was a twentieth of a start.

The screen never talks to the network: it puts each command in the mirror's outbox at
once (so the next key press already counts it: `+ +` is two dots however slow the link)
and hands it to the app to send at once (`send_command`; without one, it posts
`SendCommand`). It shows the state as the mirror says it
will be (`Mirror.ahead`), with its own commands still on their way counted; a refused one
drops out and the screen shows the state the server holds. The app calls `follow` once
for the frames the mirror took together, with what they changed; the screen refreshes only
the parts that events of those kinds can change (the `*_UNCHANGED_BY` tables below).

Keys (DESIGN §6; the footer shows the ones that apply now; each is also in the command
palette):

| key        | who          | action                                              |
|------------|--------------|-----------------------------------------------------|
| arrows     | everyone     | move; left/right fold and unfold                    |
| w          | participants | "But why?": add an answer under the selected node   |
| e          | author/facil.| edit the selected answer (the situation: facil.)    |
| + / -      | participants | add / take back a "matters" dot                     |
| c          | participants | "can it change?" (success: "can we repeat it?")     |
| n          | participants | propose an action for the selected cause            |
| d          | participants | "I'm done" with this step (again: not done)         |
| h          | everyone     | closed: save the summary on this laptop             |
| ?          | everyone     | help for this step                                  |
| r          | everyone     | narrow screen: show the step's panel / the tree     |
| j          | host         | show / hide the join address and code               |
| k          | host         | the facilitator key, behind a warning (never on the |
|            |              | banner: the room reads the projector)               |
| J          | host         | a new join code (someone is guessing it)            |
| s          | facilitator  | the situation and problem/success                   |
| ] / [      | facilitator  | next / previous step                                |
| g          | author/facil.| move: pick the answer up, select its new place, Enter|
| delete     | author/facil.| remove the selected answer (asks first)             |
| u          | who removed  | undo the last removal                               |
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
import time
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
from textual.widget import AwaitMount
from textual.widgets import Footer, Input, Static, Tree

from whytree.shared import protocol as p
from whytree.shared import wording
from whytree.shared.mirror import Mirror, Received
from whytree.shared.model import PHASES, Change, Mode, Person, Phase, Session
from whytree.shared.ranking import room_answer
from whytree.shared.rules import Refusal, decide, depth_refusal, may
from whytree.tui.messages import NewJoinCode, SendCommand
from whytree.tui.widgets.actions import ActionList, ActionsPanel
from whytree.tui.widgets.banner import JoinBanner
from whytree.tui.widgets.cause_tree import CauseTree, cause_label
from whytree.tui.widgets.status import LinkStatus, NoteLine, SessionHeader, step_help
from whytree.tui.widgets.summary import SummaryPanel
from whytree.tui.widgets.weigh import WeighedPanel, WeighPanel, short

StepPanel = WeighPanel | ActionsPanel | WeighedPanel | SummaryPanel

WIDE = 100
"""Columns from which the panel stands beside the tree; below, they take turns (`r`)."""

PARENT_WIDTH = 60
"""Cells of the parent's text shown after the selected answer (the cursor reads it whole)."""

KEYS_AFTER_REPAINT = 0.01
"""Seconds from a repaint to the footer's keys worked out again (after the terminal has
been written: see `SessionScreen._refresh_keys_after_repaint`)."""


PANEL_PHASES: dict[type[StepPanel], frozenset[Phase]] = {
    WeighPanel: frozenset({"weigh"}),
    ActionsPanel: frozenset({"act", "agree"}),
    WeighedPanel: frozenset({"act", "agree"}),
    SummaryPanel: frozenset({"closed"}),
}
"""Which step panels are shown beside the tree in which steps (one above the other)."""

PANEL_NAMES: dict[str, frozenset[Phase]] = {
    "weigh": frozenset({"weigh"}),
    "act": frozenset({"act", "agree"}),
    "closed": frozenset({"closed"}),
}
"""The `r` key's parameter -> the steps whose panel it shows from the tree (the footer
names it). In the act and agree steps, `r` goes on from the actions to what the room
weighed ("weighed"), then back to the tree."""

Kinds = frozenset[type[p.EventBody]]
"""Kinds of event (or of this person's own command): what a batch can have changed."""
CAUSE_EVENTS: Kinds = frozenset({p.AddCause, p.EditCause, p.RemoveCause, p.MergeCauses,
                                  p.MoveCause, p.RestoreCause})
VOTE_EVENTS: Kinds = frozenset({p.SetDots, p.SetChange, p.VotesCast})
ACTION_EVENTS: Kinds = frozenset({p.AddAction, p.EditAction, p.RemoveAction, p.SetAgreement})
PEOPLE_EVENTS: Kinds = frozenset({p.PersonJoined, p.Presence})
ROOM_EVENTS: Kinds = frozenset({p.SetDone, p.LockRoom, p.SetTimer})
"""Who is done, the lock and the timer: only the header shows them (and the keys, done)."""

# What each part of the screen does *not* read, so that a batch of only these kinds leaves
# it as it is. Anything else (a kind not named here too) refreshes it: when in doubt, redraw.
HEADER_UNCHANGED_BY: Kinds = CAUSE_EVENTS | VOTE_EVENTS | ACTION_EVENTS
KEYS_UNCHANGED_BY: Kinds = PEOPLE_EVENTS | VOTE_EVENTS | {p.LockRoom, p.SetTimer}
"""The keys ask `rules.may` (role, step, revealed, authors, the last removal) and who is done."""
PANEL_UNCHANGED_BY: dict[type[StepPanel], Kinds] = {
    WeighPanel: ACTION_EVENTS | ROOM_EVENTS,  # ("N of M people have voted": presence counts)
    ActionsPanel: PEOPLE_EVENTS | VOTE_EVENTS | ROOM_EVENTS,
    WeighedPanel: ACTION_EVENTS | PEOPLE_EVENTS | ROOM_EVENTS,
    SummaryPanel: PEOPLE_EVENTS | ROOM_EVENTS,
}
SELECTED_CHANGED_BY: Kinds = CAUSE_EVENTS | {p.SetSituation, p.SetChange, p.SetPhase, p.RevealVotes}
"""The selected answer in full under the tree shows its text and its parent's (or, on the
situation, the situation), in the weigh step this person's "can it change?" answer, and
once the votes are revealed the room's (the tree line cuts them off a long answer)."""


@dataclass(frozen=True)
class Key:
    """One key of the session screen, for the bindings, the help and the palette.

    `description` and `help` may name the session's words as `{cause}`, `{change_question}`
    and the other names of `wording.mode_words`: `describe` and `explain` fill them in."""

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

    def describe(self, mode: Mode) -> str:
        """The key's name in the footer and the palette, in the session's words."""
        return self.description.format_map(wording.mode_words(mode))

    def explain(self, mode: Mode) -> str:
        """What the key does, for the help and the palette, in the session's words."""
        return self.help.format_map(wording.mode_words(mode))


def _in(*steps: Phase) -> frozenset[Phase]:
    return frozenset(steps)


# The footer shows the keys in this order: what this step is about first (on a narrow screen, the
# key that shows the other half of it).
KEYS: tuple[Key, ...] = (
    Key("r", "view('weigh')", "Votes", "Show the votes (a narrow screen shows the tree or the votes)",
        steps=_in("weigh")),
    Key("r", "view('act')", "Actions", "Show the actions (a narrow screen shows the tree or them)",
        steps=_in("act", "agree")),
    Key("r", "view('weighed')", "Votes",
        "Show what the room weighed: the ranking and the 2×2 (a narrow screen shows one at a time)",
        steps=_in("act", "agree")),
    Key("r", "view('closed')", "Summary", "Show the summary (a narrow screen shows the tree or it)",
        steps=_in("closed")),
    Key("r", "view('tree')", "Tree", "Show the tree again"),
    Key("w", "why", "But why?", "Add an answer under the selected answer (or the situation)",
        steps=_in("why")),
    Key("h", "save_summary", "Save summary",
        "Save the summary on this laptop: a text file and a page to print", steps=_in("closed")),
    Key("u", "undo", "Undo removal", "Bring back the answer removed last"),
    Key("e", "edit", "Edit", "Edit the selected answer", show=False),
    Key("plus,equals_sign", "dot(1)", "Dot", "Put a “matters” dot on the selected {cause}", display="+"),
    Key("minus", "dot(-1)", "Undo dot", "Take back a “matters” dot", display="-"),
    Key("c", "change", "{Can_change}?",
        "Answer “{change_question}” for the selected {cause}: 1 {we}, 2 {others}, 3 {no}, "
        "0 not answered"),
    Key("n", "propose", "Action", "Propose an action for the selected {cause}"),
    Key("v", "reveal(True)", "Reveal votes", "Reveal the votes to everyone", steps=_in("weigh")),
    Key("v", "reveal(False)", "Hide votes", "Hide the votes again (people can vote again)",
        steps=_in("weigh")),
    Key("m", "merge", "Merge", "Merge the selected answer into another one", steps=_in("why")),
    Key("g", "move", "Move", "Move the selected answer under another one (or the situation)",
        steps=_in("why")),
    Key("delete", "remove", "Remove", "Remove the selected answer (it asks first; u undoes it)",
        display="del", steps=_in("why")),
    Key("s", "situation", "Situation", "Write the situation; choose problem or success",
        steps=_in("situation")),
    Key("right_square_bracket", "step(1)", "Next step", "Go to the next step", display="]"),
    Key("x", "reopen", "Reopen", "Reopen the closed session"),
    Key("d", "done(True)", "I'm done", "Say you are done with this step"),
    Key("d", "done(False)", "Not done", "Take back “I'm done”"),
    Key("question_mark", "help", "Help", "What this step is for and what to do now", display="?"),
    Key("j", "toggle_banner", "Join info", "Show or hide the join address and code",
        steps=_in("situation", "why")),  # (when people join; it works in every step)
    Key("k", "facilitator_key", "Facilitator key",
        "Show the facilitator key, for a co-facilitator's laptop (not for the projector)", show=False),
    Key("J", "new_code", "New code", "Give the session a new join code (people already in stay in)",
        show=False),
    Key("left_square_bracket", "step(-1)", "Prev step", "Go back to the previous step", display="[",
        show=False),
    Key("o", "settings", "Settings",
        "How many dots each person has, how many on one {cause}, whether names are hidden", show=False),
    Key("t", "timer", "Timer", "Start or stop a timer for this step", show=False),
    Key("l", "lock", "Lock", "Lock or unlock the room (nobody new gets in)", show=False),
    Key("p", "people", "People", "Remove a participant", show=False),
    Key("x", "close_session", "Close", "Close and save the session", show=False),
    Key("escape", "cancel", "Cancel", "Cancel"),
)

FOOTER_STEPS: dict[str, frozenset[Phase]] = {k.action: k.steps for k in KEYS if k.steps is not None}
KEY_OF_ACTION: dict[str, Key] = {k.action: k for k in KEYS}
KEY_ACTIONS = frozenset(k.name for k in KEYS)
KEY_SENDS: dict[str, type[p.ClientCommand]] = {
    "why": p.AddCause, "edit": p.EditCause, "dot": p.SetDots, "change": p.SetChange,
    "propose": p.AddAction, "done": p.SetDone, "move": p.MoveCause, "remove": p.RemoveCause,
    "undo": p.RestoreCause, "situation": p.SetSituation, "step": p.SetPhase,
    "merge": p.MergeCauses, "reveal": p.RevealVotes, "settings": p.SetSettings,
    "timer": p.SetTimer, "lock": p.LockRoom, "people": p.RemovePerson,
    "close_session": p.Close, "reopen": p.Reopen,
}
"""The command each key of the session sends: the key applies when the rules say this
person may send it now (`rules.may`). Keys not listed here send nothing."""


class SessionScreen(Screen[None]):
    """The whole session for one person: participant, facilitator or read-only viewer."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]

    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(k.key, k.action, k.description, show=k.show, key_display=k.display) for k in KEYS),
        # Enter in the bar, taken as the key comes in (a priority binding), not once the
        # input has passed it on: a key typed right behind it already finds the bar closed.
        Binding("enter", "submit_answer", show=False, priority=True),
    ]

    def __init__(
        self,
        mirror: Mirror,
        *,
        viewer: bool = False,
        banner: JoinBanner | None = None,
        facilitator_key: str | None = None,
        send_command: Callable[[p.ClientCommand], None] | None = None,
    ) -> None:
        super().__init__()
        self.mirror = mirror
        # The classes the state calls for, from the start: set once mounted, each would
        # style the whole screen again (about 5 ms of a start).
        phase = mirror.state.phase if mirror.state is not None else None
        self.set_class(not any(phase in phases for phases in PANEL_PHASES.values()), "-no-panel")
        self.set_class(phase == "closed", "-closed")
        self._send_command = send_command
        """The app's way to send a command at once (None: post `SendCommand` to it)."""
        self.viewer = viewer
        self.banner = banner
        self.facilitator_key = None if viewer else facilitator_key
        """The host's key: shown only in `FacilitatorKeyScreen`, never on the banner."""
        self._labelled_ahead: set[str] = set()
        """Answers whose tree label shows votes of this person's still on their way."""
        self._bar_mode: tuple[str, str | None] | None = None
        """While the bar is open: ("why", parent id) or ("edit", cause id)."""
        self.merging: str | None = None
        self.moving: str | None = None
        """The answer picked up with g, while its new place is chosen."""
        self._panels: dict[type[StepPanel], StepPanel] = {
            kind: kind(classes="step-panel") for kind in PANEL_PHASES
        }
        self._ready = False
        self._tree = CauseTree(id="tree")
        self._header = SessionHeader(id="header")
        self._header_offset = 0.0
        """The host's clock offset the header's timer was last shown with."""
        self._status_line = LinkStatus(id="link")
        self._notes = NoteLine(id="notes")
        self._notes.display = False
        self._phase_seen: Phase | None = None
        """The step the narrow view was last set for (a new step starts on the tree)."""
        self._panels_box = Vertical(id="panels")
        self._panels_mounting: set[StepPanel] = set()
        """Panels whose step has come, being built."""
        self._selected_full = Static(id="selected-full")
        """The selected answer (or the situation) in full: tree lines are cut at the edge."""
        self._selected_shown: Content | None = None
        self._why_bar = Vertical(id="why-bar")
        self._why_bar.display = False
        self._why_prompt = Static(id="why-prompt")
        self._why_input = Input(max_length=p.MAX_CAUSE_TEXT, id="why-input")
        self._footer = Footer()
        self._keys_shown: tuple[object, ...] | None = None
        """The keys the footer was last told about (see `refresh_bindings`)."""
        self._keys_later = False
        """The footer's keys are to be worked out again after the next repaint."""

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
            # Each step's panel is built when its step first comes (`_refresh_around`): the
            # "why" step, where a session starts, shows none, and building them all was
            # a tenth of what a start cost.
            yield self._panels_box
        yield self._notes
        yield self._status_line
        yield self._footer

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
        # The width may have crossed `WIDE`: `r` applies only on a narrow screen, whose
        # footer keeps to less space between its keys, and leaves the palette's key to the
        # help, so that this step's keys fit.
        footer = self._footer
        footer.compact = event.size.width < WIDE
        footer.show_command_palette = event.size.width >= WIDE
        self.call_after_refresh(self.refresh_bindings)

    @property
    def cause_tree(self) -> CauseTree:
        return self._tree

    @property
    def status_line(self) -> LinkStatus:
        """The line that says whether the link to the host is up (the app keeps it current)."""
        return self._status_line

    @property
    def note_line(self) -> NoteLine:
        """The app's short messages (the app puts them here instead of toasts)."""
        return self._notes

    # --- following the session -------------------------------------------------------------

    def follow(self, received: Received) -> None:
        """Show what a batch of frames changed (the mirror has already applied them): the
        tree changes once for the whole batch, and the rest of the screen is refreshed once,
        only where the batch's kinds of event can have changed something."""
        state = self.mirror.state
        if state is None or not self._ready or not self.is_attached:
            return  # `on_mount` shows the whole state once the screen is there
        if received.fresh_state:
            self.cause_tree.show_state(state, self.mirror.me)
        elif received.applied:
            self.cause_tree.apply_events(state, self.mirror.me, received.applied)
        if received.applied:
            if self.merging is not None and self.merging not in state.causes:
                self._stop_merging()
            if self.moving is not None and self.moving not in state.causes:
                self._stop_moving()
            self._tell_about_fixes(received.applied)
        elif not received.fresh_state and received.rejected is None:
            return
        if received.fresh_state or received.rejected is not None:
            # A whole new state; or a refused command of this person's left the outbox and
            # the screen shows what the server holds again, whatever it touched.
            self._refresh_around()
        else:
            self._refresh_around(frozenset(type(event.command) for event in received.applied))

    def _label_votes_ahead(self) -> None:
        """Label the answers that have votes of this person's on their way with those votes
        counted (and those that had, as the server holds them now)."""
        pending = {command.cause for command in self.mirror.outbox.values()
                   if isinstance(command, p.SetDots | p.SetChange)}
        state, me = self._ahead()
        if state is not None:
            for cause_id in pending | self._labelled_ahead:
                cause = state.causes.get(cause_id)
                if cause is None:
                    continue
                try:
                    node = self.cause_tree.node_for(cause_id)
                except KeyError:
                    continue
                self.cause_tree.set_node_label(
                    node, cause_label(cause, state, me, merging=cause_id == self.merging))
        self._labelled_ahead = pending

    def _ahead(self) -> tuple[Session | None, Person | None]:
        """The state and this person as they will be once the server has taken every
        command still on its way (`Mirror.ahead`)."""
        return self.mirror.ahead(), self.mirror.me_ahead()

    def _refresh_around(self, changed: Kinds | None = None) -> None:
        """Refresh what is around the tree (header, step panel, the selected answer, keys)
        from the state ahead: only the parts that events of the `changed` kinds can have
        changed (None: anything may have changed)."""
        if not self._ready or not self.is_attached:
            return
        state, me = self._ahead()
        if state is None:
            return

        def touches(unchanged_by: Kinds) -> bool:
            return changed is None or not changed <= unchanged_by

        self._label_votes_ahead()
        if touches(HEADER_UNCHANGED_BY) or self._header_offset != self.mirror.server_offset:
            # (The timer counts on the host's clock, learnt again at each welcome.)
            self._header_offset = self.mirror.server_offset
            self._header.show_state(state, me, self.mirror.server_offset)
        shown_any = False
        for kind, panel in self._panels.items():
            shown = state.phase in PANEL_PHASES[kind]
            if shown and not panel.is_mounted:
                if panel not in self._panels_mounting:
                    self._panels_mounting.add(panel)
                    self.call_later(self._panel_built, panel, self._panels_box.mount(panel))
                shown_any = True  # (the view it belongs to stays chosen while it is built)
                continue  # shown once it is there
            appears = shown and not panel.has_class("-shown")
            panel.set_class(shown, "-shown")
            if shown and me is not None:
                shown_any = True
                if appears or touches(PANEL_UNCHANGED_BY[kind]):
                    panel.show_state(state, me)
        self.set_class(not shown_any, "-no-panel")
        self.set_class(state.phase == "closed", "-closed")
        if state.phase != self._phase_seen:
            # A new step starts on the tree, where people answer and vote; a closed session
            # on its summary, which is all there is left to do.
            self._phase_seen = state.phase
            view = "closed" if state.phase == "closed" else "tree"
            self._show_view(view)
            if self.has_class("-narrow"):  # not on what was just hidden
                self.call_after_refresh(self._focus_view, view)
        elif not shown_any and self.has_class("-panel-view"):
            self._show_view("tree")
        if changed is None or changed & SELECTED_CHANGED_BY:
            self._show_selected()
        if touches(KEYS_UNCHANGED_BY):
            self._refresh_keys_after_repaint()

    def _refresh_keys_after_repaint(self) -> None:
        """Work the footer's keys out again a moment after the repaint: it asks the rules
        about every key, and the footer is the last thing a person looks at after a change.
        Not right after the repaint: a repaint too large to write at once (`tui/driver.py`)
        goes to the terminal from a thread of its own, which waits while this one runs
        Python, so the change a person waits for reached the terminal up to a millisecond
        later (`KEYS_AFTER_REPAINT`).
        (Under a dialog the footer is not shown: at once. Coming back here works them out
        anyway.)"""
        if not self.is_current:
            self.refresh_bindings()
        elif not self._keys_later:
            self._keys_later = True
            self.set_timer(KEYS_AFTER_REPAINT, self.refresh_bindings)

    def on_screen_resume(self) -> None:
        self.refresh_bindings()

    async def _panel_built(self, panel: StepPanel, mounting: AwaitMount) -> None:
        await mounting
        self._panels_mounting.discard(panel)
        self._refresh_around()

    def _show_selected(self) -> None:
        """Under the tree, the whole text of the selected answer and where it sits; on the
        situation, the whole situation (tree lines are cut at the edge, these lines wrap)."""
        state, cause_id = self.mirror.state, self.cause_tree.selected_cause
        cause = state.causes.get(cause_id) if state is not None and cause_id is not None else None
        situation = state.situation if state is not None and cause_id is None else ""
        self._selected_full.display = cause is not None or bool(situation)
        if situation:
            self._show_selected_line(Content.assemble(("Situation: ", "bold"), situation))
        if state is not None and cause is not None:
            parent = state.causes.get(cause.parent) if cause.parent is not None else None
            under = parent.text if parent is not None else state.situation or "the situation"
            line = Content.assemble(
                ("Selected: ", "bold"), cause.text,
                ("   ← a reason for: ", "dim"), (short(under, PARENT_WIDTH), "dim"),
            )
            if state.phase == "weigh" and self.mirror.me is not None and self.mirror.me.role != "viewer":
                # This person's "can it change?" answer, where they look when they choose it.
                answer = self.mirror.my_ballot().change.get(cause.id)
                line = Content("\n").join([line, Content.assemble(
                    (f"{wording.capitalised(wording.CHANGE_QUESTION[state.mode])} Your answer: ", "bold"),
                    wording.CHANGE_LABELS[state.mode][answer] if answer is not None
                    else "not answered yet: press c",
                )])
            tally = state.tally.get(cause.id) if state.revealed else None
            if tally is not None and (tally.dots or tally.votes_on_change()):
                room = room_answer(tally)
                line = Content("\n").join([line, Content.assemble(
                    ("The room's votes: ", "bold"),
                    wording.dots_count(tally.dots, "“matters”"),
                    f" · {wording.CHANGE_LABELS[state.mode][room]}" if room is not None else "",
                )])
            self._show_selected_line(line)

    def _show_selected_line(self, line: Content) -> None:
        if line != self._selected_shown:  # (an update lays the screen out again)
            self._selected_shown = line
            self._selected_full.update(line)

    # --- which keys apply now ------------------------------------------------------------

    def allowed(self, action: str, parameters: tuple[object, ...] = ()) -> bool:
        """Whether `action` (a name from `KEYS`, without parameters) applies now; for
        `reveal`, `parameters` says which way (True: reveal, False: hide). Commands still
        on their way count: `d d` pressed at once says "done", then "not done"."""
        state, me = self._ahead()
        if action == "view":  # everyone's, viewers too, while nobody is typing an answer
            return self._bar_mode is None and self._view_applies(str(parameters[0]) if parameters else "")
        if action in ("help", "toggle_banner", "facilitator_key", "new_code"):
            if action == "facilitator_key":
                return self.facilitator_key is not None
            return action == "help" or self.banner is not None
        if action == "save_summary":  # anyone's to keep, viewers too, once it is closed
            return state is not None and state.phase == "closed"
        if action == "cancel":
            return self._bar_mode is not None or self.merging is not None or self.moving is not None
        if self._bar_mode is not None:
            return False  # typing an answer: its keys are letters in the input
        if state is None or me is None or self.viewer or me.role == "viewer":
            return False
        kind = KEY_SENDS.get(action)
        if kind is None:
            return True
        match action:
            case "move" if self.moving is not None:
                return True  # g again puts it down (or says why it can't go there)
            case "move" | "remove":
                cause_id = self.cause_tree.selected_cause
                return cause_id is not None and may(state, me, kind, cause_id) is None
        if may(state, me, kind) is not None:
            return False
        match action:
            case "reveal":
                revealed = self._revealed_ahead()
                return (bool(parameters[0]) if parameters else not revealed) != revealed
            case "done":
                # "I'm done" tells the facilitator who is ready; the facilitator needs none.
                wanted = bool(parameters[0]) if parameters else not me.done
                return me.role != "facilitator" and wanted != me.done
        return True

    def _view_applies(self, view: str) -> bool:
        """Whether `r` with `view` applies now: on a narrow screen with a step panel, "tree"
        while the panel shows, the step's own panel name while the tree shows."""
        state = self.mirror.state
        if state is None or not self.has_class("-narrow") or self.has_class("-no-panel"):
            return False
        two = state.phase in PANEL_NAMES["act"]  # the actions, then what the room weighed
        if view == "tree":
            return self.has_class("-panel-view") and (not two or self.has_class("-weighed-view"))
        if view == "weighed":
            return two and self.has_class("-panel-view") and not self.has_class("-weighed-view")
        return not self.has_class("-panel-view") and state.phase in PANEL_NAMES.get(view, ())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in KEY_ACTIONS:
            return self.allowed(action, parameters)
        if action == "submit_answer":  # (otherwise Enter is what it is elsewhere, in the footer too)
            return self._bar_mode is not None and self._why_input.has_focus
        return True

    def refresh_bindings(self) -> None:
        """Tell the footer the keys changed -- only when they did. The footer builds all its
        keys again each time it is told, and the session asks after every event and every
        move of the cursor, where the keys that apply mostly stay the same."""
        self._keys_later = False
        keys = self._footer_keys()
        if keys is not None and keys == self._keys_shown:
            return
        self._keys_shown = keys
        super().refresh_bindings()

    def _footer_keys(self) -> tuple[object, ...] | None:
        """What the footer shows now; None when it may not be listening (not mounted yet,
        another screen on top, the terminal without focus): then it is told every time."""
        if not (self._footer.is_mounted and self.is_active and self.app.app_focus):
            return None
        footer = self._footer
        return (footer.compact, footer.show_command_palette, *(
            (key, active.binding.action, active.binding.description, active.binding.show,
             active.binding.key_display, active.enabled, active.tooltip)
            for key, active in self.active_bindings.items()))

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The keys that work now, named in the session's words; the footer shows those
        that matter in this step."""
        bindings = super().active_bindings
        state = self.mirror.state
        phase = state.phase if state is not None else None
        mode = self._mode()
        for key, active in bindings.items():
            own = KEY_OF_ACTION.get(active.binding.action)
            if active.node is self and own is not None:
                active = bindings[key] = active._replace(
                    binding=replace(active.binding, description=own.describe(mode)))
            steps = FOOTER_STEPS.get(active.binding.action)
            if self.merging is not None and active.binding.action == "merge":
                continue  # half-way through a merge: m finishes it, whatever the step
            if self.moving is not None and active.binding.action == "move":
                continue  # the same for a move
            if active.node is self and active.binding.show and steps is not None and phase not in steps:
                bindings[key] = active._replace(binding=replace(active.binding, show=False))
        return bindings

    def _mode(self) -> Mode:
        """The session's mode, for the words of the keys (a problem until the state comes)."""
        state = self.mirror.state
        return state.mode if state is not None else "problem"

    def keys_now(self) -> list[tuple[str, str]]:
        """(key, what it does) for every key that applies now, for the help."""
        keys = [("arrows", "move in the tree; ← → fold and unfold")]
        for k in KEYS:
            if k.name != "cancel" and self.allowed(k.name, k.parameters):
                keys.append((k.display or k.key, k.explain(self._mode())))
        keys.append(("ctrl+p", "Every action that applies now, by name"))
        return keys

    def palette_commands(self) -> list[tuple[str, str, str]]:
        """(title, help, action) for the command palette: the keys that apply now."""
        return [
            (k.describe(self._mode()), f"{k.explain(self._mode())} (key: {k.display or k.key})", k.action)
            for k in KEYS
            if k.name != "cancel" and self.allowed(k.name, k.parameters)
        ]

    # --- sending ---------------------------------------------------------------------------

    def send(self, command: p.ClientCommand) -> None:
        """Put `command` (built with an `op` from `mirror.new_op`) in the outbox now, and ask
        the app to send it."""
        if self.viewer:
            self.notify("This screen is a read-only view.", severity="warning", markup=False)
            return
        self.mirror.command(command)
        if self._send_command is not None:
            # At once: a message would reach the app only after the repaint this key causes.
            self._send_command(command)
        else:
            self.post_message(SendCommand(command))
        self._refresh_around(frozenset({type(command)}))

    def _refused_now(self, command: p.ClientCommand, *, timeout: float | None = 4) -> bool:
        """Ask the rules, with this person's commands still on their way counted, whether
        `command` would be refused; if so say why and return True (nothing is sent).

        The keys already apply only when `may` says so; this is for what depends on the
        command's values (whether one more dot fits, where an answer is put down)."""
        state, me = self._ahead()
        if state is None or me is None:
            return True
        verdict = decide(state, me, command, time.time() + self.mirror.server_offset)
        if isinstance(verdict, Refusal):
            self.notify(verdict.message, severity="warning", timeout=timeout, markup=False)
            return True
        return False

    def _revealed_ahead(self) -> bool:
        pending = self.mirror.latest(p.RevealVotes)
        return pending.revealed if pending is not None else self._state.revealed

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
        too_deep = depth_refusal(state, parent, None)
        if too_deep is not None:  # say so now, before anyone types an answer in vain
            self.notify(too_deep.message, severity="warning", markup=False)
            return
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
        if me is None:
            return
        refusal = may(self._state, me, p.EditCause, cause_id)
        if refusal is not None:
            self.notify(refusal.message, severity="warning", markup=False)
            return
        cause = self._state.causes[cause_id]
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

    def action_submit_answer(self) -> None:
        """Enter in the bar: send the answer (or the edit) and close the bar. (Only then:
        `check_action` lets Enter elsewhere do what it does there.)"""
        mode = self._bar_mode
        if mode is None:
            return
        text = self._why_input.value.strip()
        if not text:
            self.notify("Type an answer first, or press Escape.", severity="warning", markup=False)
            return
        kind, target = mode
        if kind == "why":
            self.send(p.AddCause(op=self.mirror.new_op(), parent=target, text=text))
        elif target is not None:
            self.send(p.EditCause(op=self.mirror.new_op(), cause=target, text=text))
        self._close_bar()

    def action_cancel(self) -> None:
        if self._bar_mode is not None:
            self._close_bar()
        elif self.merging is not None:
            self._stop_merging()
        elif self.moving is not None:
            self._stop_moving()
            self.notify("Move cancelled.", timeout=2, markup=False)

    # --- votes ------------------------------------------------------------------------------

    def action_dot(self, change: int) -> None:
        # My dots as they will be once the server has every vote still on its way: a
        # quick `+ +` is two dots, whatever the link.
        cause_id = self._selected_cause("vote on it")
        if cause_id is None or self.mirror.me is None:
            return
        mine = self.mirror.my_ballot().dots.get(cause_id, 0)
        wanted = max(0, mine + change)
        if wanted == mine:
            self.notify("You have no dot on this one to take back.", severity="information", markup=False)
            return
        command = p.SetDots(op=self.mirror.new_op(), cause=cause_id, dots=wanted)
        if not self._refused_now(command):
            self.send(command)

    def action_change(self) -> None:
        """Open the "can it change?" picker for the selected cause; the answer chosen there
        is sent at once. It opens on this person's answer as it will be once the votes
        still on their way arrive, so `c 2 c 3` pressed at once ends on "not for now"."""
        cause_id = self._selected_cause(f"answer “{wording.CHANGE_QUESTION[self._mode()]}”")
        state = self.mirror.state
        if cause_id is None or self.mirror.me is None or state is None:
            return
        cause = state.causes.get(cause_id)
        current: Change | None = self.mirror.my_ballot().change.get(cause_id)

        def chosen(result: object) -> None:
            if not isinstance(result, tuple):
                return  # Escape: nothing changes
            answer: Change | None = result[0]
            command = p.SetChange(op=self.mirror.new_op(), cause=cause_id, answer=answer)
            if self._refused_now(command):
                return
            self.send(command)
            self._show_selected()

        text = cause.text if cause is not None else ""
        from whytree.tui.screens.change_picker import ChangePicker
        self.app.push_screen(ChangePicker(text, current, state.mode), chosen)

    def action_done(self, done: bool | None = None) -> None:
        me = self.mirror.me_ahead()
        if done is None:
            done = not (me is not None and me.done)
        self.send(p.SetDone(op=self.mirror.new_op(), done=done))
        self.notify("You said “I'm done”." if done else "OK: not done after all.", timeout=2, markup=False)

    # --- actions ----------------------------------------------------------------------------

    def action_propose(self) -> None:
        # On the situation: the dialog opens with no cause ticked yet (it lists them all).
        cause_id = self.cause_tree.selected_cause
        self._propose(*([cause_id] if cause_id is not None else []))

    def _propose(self, *cause_ids: str) -> None:
        """Open the dialog that proposes an action for `cause_ids`; when proposing is not
        allowed now, say why instead (the rules' own sentence)."""
        state, me = self._ahead()
        if state is None or me is None:
            return
        refusal = may(state, me, p.AddAction)
        if refusal is not None:
            self.notify(refusal.message, timeout=3, markup=False)
            return
        from whytree.tui.screens.action_dialogs import ProposeActionScreen
        self.app.push_screen(ProposeActionScreen(state, cause_ids, new_op=self.mirror.new_op),
                             self._send_if_any)

    @on(ActionsPanel.Propose)
    def _panel_proposes(self) -> None:
        self._propose()

    @on(ActionsPanel.Edit)
    def _panel_edits(self, event: ActionsPanel.Edit) -> None:
        state, _ = self._ahead()
        if state is not None:
            from whytree.tui.screens.action_dialogs import ProposeActionScreen
            self.app.push_screen(ProposeActionScreen(state, action=event.action,
                                                     new_op=self.mirror.new_op), self._send_if_any)

    @on(ActionsPanel.Agree)
    def _panel_agrees(self, event: ActionsPanel.Agree) -> None:
        state, _ = self._ahead()
        if state is not None:
            from whytree.tui.screens.action_dialogs import AgreementScreen
            self.app.push_screen(AgreementScreen(state, event.action, new_op=self.mirror.new_op),
                                 self._send_if_any)

    @on(ActionsPanel.Remove)
    def _panel_removes(self, event: ActionsPanel.Remove) -> None:
        from whytree.tui.screens.action_dialogs import RemoveActionScreen
        self.app.push_screen(RemoveActionScreen(event.action, new_op=self.mirror.new_op),
                             self._send_if_any)

    @on(WeighPanel.Reveal)
    def _panel_reveals(self, event: WeighPanel.Reveal) -> None:
        self.action_reveal(event.revealed)

    def _send_if_any(self, command: p.ClientCommand | None) -> None:
        """Send what a dialog returned (nothing when it was cancelled)."""
        if command is not None:
            self.send(command)

    # --- facilitator --------------------------------------------------------------------------

    def action_situation(self) -> None:
        state = self._state

        def chosen(result: object) -> None:
            if isinstance(result, tuple):
                text, mode = result
                self.send(p.SetSituation(op=self.mirror.new_op(), text=text, mode=mode))

        from whytree.tui.screens.dialogs import SituationScreen
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
            self.send(p.SetPhase(op=self.mirror.new_op(), phase=target))


    # --- fixing mistakes: move, remove, undo (authors and the facilitator) ------------------------

    def action_move(self) -> None:
        """g picks the selected answer up; g or Enter on its new place puts it down there."""
        if self.moving is not None:
            self._drop()
            return
        cause_id = self._selected_cause("move it")
        if cause_id is None:
            return
        self.moving = cause_id
        self.set_class(True, "-moving")
        self.cause_tree.mark_moving(cause_id)
        self.notify(f"Moving “{self._state.causes[cause_id].text}”: select the answer it explains "
                    "(or the situation at the top) and press Enter (Escape cancels).",
                    timeout=8, markup=False)
        self.refresh_bindings()

    @on(Tree.NodeSelected)
    def _node_selected(self, event: Tree.NodeSelected[str]) -> None:
        if self.moving is not None:
            event.stop()
            self._drop()

    def _drop(self) -> None:
        moving, me = self.moving, self.mirror.me
        if moving is None or me is None:
            return
        parent = self.cause_tree.selected_cause
        if parent == moving:
            self._stop_moving()
            self.notify("Move cancelled.", timeout=2, markup=False)
            return
        command = p.MoveCause(op=self.mirror.new_op(), cause=moving, parent=parent)
        if self._refused_now(command, timeout=None):  # stay picked up: another place may do
            return
        self._stop_moving()
        self.send(command)

    def _stop_moving(self) -> None:
        self.moving = None
        self.set_class(False, "-moving")
        self.cause_tree.mark_moving(None)
        self.refresh_bindings()

    def action_remove(self) -> None:
        cause_id = self._selected_cause("remove it")
        me = self.mirror.me
        if cause_id is None or me is None:
            return
        state = self._state
        refusal = may(state, me, p.RemoveCause, cause_id)
        if refusal is not None:
            self.notify(refusal.message, severity="warning", markup=False)
            return

        def confirmed(yes: object) -> None:
            if yes is True:
                self.send(p.RemoveCause(op=self.mirror.new_op(), cause=cause_id))

        below = len(state.subtree(cause_id)) - 1
        what = f"“{state.causes[cause_id].text}”"
        if below:
            what += f" and the {below} answer{'s' if below > 1 else ''} below it"
        from whytree.tui.screens.dialogs import RemoveScreen
        self.app.push_screen(RemoveScreen(f"Remove {what}? (u brings it back right after.)",
                                          "Remove" if not below else "Remove them"), confirmed)

    def action_undo(self) -> None:
        removal = self._state.last_removal
        if removal is not None and removal.causes:
            self.send(p.RestoreCause(op=self.mirror.new_op(), cause=removal.causes[0].id))

    def _tell_about_fixes(self, events: list[p.Event]) -> None:
        """Say what a move, a removal or its undo did: to whoever did it (with how to undo a
        removal), and to the author of an answer someone else removed or brought back."""
        state, me = self._state, self.mirror.me
        if me is None or self.viewer:
            return
        for event in events:
            body = event.command
            if isinstance(body, p.MoveCause) and event.by == me.id and body.cause in state.causes:
                self.cause_tree.select_cause(body.cause)  # the cursor goes with it
            elif isinstance(body, p.RemoveCause):
                removal = state.last_removal
                if removal is None or not removal.causes or removal.causes[0].id != body.cause:
                    continue
                top = removal.causes[0].text
                mine = [cause.text for cause in removal.causes if cause.author == me.id]
                if event.by == me.id:
                    self.notify(f"Removed “{top}”. Press u to undo.", timeout=10, markup=False)
                elif mine:
                    self.notify(f"The facilitator removed your answer “{mine[0]}”"
                                + (f" and {len(mine) - 1} more of yours." if len(mine) > 1 else "."),
                                severity="warning", timeout=15, markup=False)
            elif isinstance(body, p.RestoreCause) and body.cause in state.causes:
                text = state.causes[body.cause].text
                if event.by == me.id:
                    self.notify(f"“{text}” is back.", timeout=4, markup=False)
                    self.cause_tree.select_cause(body.cause)
                else:
                    mine = [state.causes[c].text for c in state.subtree(body.cause)
                            if state.causes[c].author == me.id]
                    if mine:
                        self.notify(f"Your answer “{mine[0]}” is back.", timeout=6, markup=False)

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
        self.send(p.MergeCauses(op=self.mirror.new_op(), cause=merged, into=cause_id))

    def _stop_merging(self) -> None:
        self.merging = None
        self.set_class(False, "-merging")
        self.cause_tree.mark_merging(None)
        self.refresh_bindings()

    def action_reveal(self, revealed: bool | None = None) -> None:
        if revealed is None:
            revealed = not self._revealed_ahead()
        self.send(p.RevealVotes(op=self.mirror.new_op(), revealed=revealed))

    def action_settings(self) -> None:
        def chosen(result: object) -> None:
            if isinstance(result, tuple):
                per_person, per_cause, anonymous = result
                self.send(p.SetSettings(op=self.mirror.new_op(), dots_per_person=per_person,
                                        dots_per_cause=per_cause, anonymous=anonymous))

        from whytree.tui.screens.dialogs import SettingsScreen
        self.app.push_screen(SettingsScreen(self._state), chosen)

    def action_timer(self) -> None:
        if self._state.timer_ends is not None:
            self.send(p.SetTimer(op=self.mirror.new_op(), seconds=None))
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
                self.send(p.SetTimer(op=self.mirror.new_op(), seconds=seconds))

        from whytree.tui.screens.dialogs import TextScreen
        self.app.push_screen(TextScreen("Minutes for this step:", "5", max_length=6), chosen)

    def action_lock(self) -> None:
        state, _ = self._ahead()
        locked = not (state or self._state).locked
        self.send(p.LockRoom(op=self.mirror.new_op(), locked=locked))

    def action_people(self) -> None:
        people = [person for person in self._state.people.values()
                  if not person.removed and person.role != "facilitator"]
        if not people:
            self.notify("Nobody else has joined yet.", timeout=3, markup=False)
            return

        def chosen(person_id: object) -> None:
            if isinstance(person_id, str):
                self.send(p.RemovePerson(op=self.mirror.new_op(), person=person_id))

        from whytree.tui.screens.dialogs import PeopleScreen
        self.app.push_screen(PeopleScreen(people), chosen)

    def action_reopen(self) -> None:
        self.send(p.Reopen(op=self.mirror.new_op()))

    def action_close_session(self) -> None:
        def confirmed(yes: object) -> None:
            if yes is True:
                self.send(p.Close(op=self.mirror.new_op()))

        from whytree.tui.screens.dialogs import ConfirmScreen

        self.app.push_screen(
            ConfirmScreen("Close the session and save the results? Everyone's screen then shows "
                          "the results, and answers and votes stay as they are. If it was a "
                          "mistake, x reopens the session.", "Close and save", default_yes=True),
            confirmed,
        )

    # --- help and the banner --------------------------------------------------------------------

    def action_save_summary(self) -> None:
        """Save the closed session's summary on this laptop, and say where it went."""
        state = self.mirror.state
        if state is None or state.phase != "closed":
            return
        from whytree.tui.handout import save_handout  # (the report's code: only once closed)

        try:
            markdown, page = save_handout(state, time.time())
        except OSError as exc:
            self.notify(f"Could not save the summary on this laptop: {exc.strerror or exc}. "
                        "Ask the facilitator for a copy.", severity="error", timeout=15, markup=False)
            return
        self.notify(f"Saved in {markdown.parent}: {markdown.name} (text) and {page.name} "
                    "(open it in a browser to print).", title="Summary saved on this laptop",
                    timeout=15, markup=False)
        for panel in self.query(SummaryPanel):
            panel.show_copy(markdown.parent)

    def action_help(self) -> None:
        state = self.mirror.state or Session()
        me = self.mirror.me
        facilitator = me is not None and me.role == "facilitator" and not self.viewer
        from whytree.tui.screens.dialogs import HelpScreen
        self.app.push_screen(HelpScreen(state.phase, step_help(state), self.keys_now(),
                                        facilitator=facilitator, mode=state.mode))

    def action_facilitator_key(self) -> None:
        if self.facilitator_key is not None:
            address = self.banner.urls[0] if self.banner is not None and self.banner.urls else None
            from whytree.tui.screens.dialogs import FacilitatorKeyScreen
            self.app.push_screen(FacilitatorKeyScreen(self.facilitator_key, address))

    def action_view(self, view: str) -> None:
        """On a narrow screen: show the step's panel ("weigh", "act", "closed"), what the
        room weighed ("weighed", in the act and agree steps) or the tree."""
        self._show_view(view)
        self.call_after_refresh(self._focus_view, view)

    def _focus_view(self, view: str) -> None:
        """Focus what `view` shows, once it shows: the arrows then move in the tree, or
        scroll the panel (move in the actions), as they do beside the tree."""
        if view == "tree":
            self.cause_tree.focus()
            return
        for panel in self._panels.values():
            if panel.display and panel.has_class("-shown"):
                target = panel.query_one(ActionList) if isinstance(panel, ActionsPanel) else panel
                if target.focusable:
                    target.focus()
                    return

    def _show_view(self, view: str) -> None:
        """Which of the tree and the panel a narrow screen shows (a wide one shows both)."""
        self.set_class(view != "tree", "-panel-view")
        self.set_class(view == "weighed", "-weighed-view")
        self.refresh_bindings()

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
