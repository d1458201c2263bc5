"""The act and agree steps: the actions the group proposes, and the next steps it agrees.

`ActionsPanel` lists every action: its text, the causes it addresses, who can do it
(people in the group, or named people outside it) and, once agreed, the first step, its
owner and the date. The dialogs that change actions are modal screens that *return* the
command (`dismiss(command)`, or `None` when cancelled) instead of sending it, so the app
can open them too:

* `ProposeActionScreen(state, cause_ids=[...])` -> `AddAction` -- the app pushes it when
  somebody presses `n` on a cause in the tree:

      def send_if_any(command: AddAction | EditAction | None) -> None:
          if command is not None:
              self.post_message(SendCommand(command))   # or send it directly

      app.push_screen(ProposeActionScreen(state, cause_ids=[cause.id]), send_if_any)

* `ProposeActionScreen(state, action=existing)` -> `EditAction`;
* `RemoveActionScreen(action)` -> `RemoveAction` (asks for confirmation);
* `AgreementScreen(state, action)` -> `SetAgreement` (facilitator).

Every returned command carries `op=DRAFT_OP`; the app stamps the real op. The panel opens
the edit, remove and agree dialogs itself (keys below) and posts the result as
`SendCommand`; `ActionsPanel.propose_for(cause_id, ...)` does the same for a new action,
so the session screen can hand its `n` key over to the panel. Keys and controls are
offered only when the rules say this person may send the command now (`rules.may`, which
the server asks too), so a viewer sees everything read-only. User text is always plain
`Content`, never markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    OptionList,
    RadioButton,
    RadioSet,
    SelectionList,
    Static,
)
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from whytree.shared import protocol as p
from whytree.shared.model import Action, Doer, Person, Session
from whytree.shared.ranking import tree_order
from whytree.shared.report import ActionLine
from whytree.shared.rules import may
from whytree.shared.wording import action_question, cause_word, who_can_do

from ..messages import DRAFT_OP, SendCommand
from .weigh import short

CAUSE_WIDTH = 40
"""Cells of a cause's text shown in an action's "for:" line."""


def who_line(action: Action | ActionLine) -> Content:
    """Who can do `action`, e.g. "people outside the group: the school board"."""
    return Content(who_can_do(action.by, action.who))


def next_step_line(action: Action | ActionLine) -> Content:
    """An agreed action's plan: "first step: … · owner: … · by: …" (only what is known)."""
    parts = [
        Content.assemble((label, "dim"), value)
        for label, value in (("first step: ", action.first_step), ("owner: ", action.owner),
                             ("by: ", action.due))
        if value
    ]
    if not parts:
        return Content.styled("no first step recorded yet", "dim")
    return Content(" · ").join(parts)


def action_prompt(state: Session, action: Action, me: Person) -> Content:
    """How one action reads in the list (several lines)."""
    mark = Content.styled("✓ ", "bold $success") if action.agreed else Content("  ")
    title = mark + Content.styled(action.text, "bold" if action.agreed else "")
    if action.author is not None and action.author == me.id:
        title = title + Content.styled("  (yours)", "dim")
    causes = [state.causes[c].text for c in action.causes if c in state.causes]
    lines = [title]
    if causes:
        lines.append(Content.assemble(
            ("    for: ", "dim"), Content(" · ").join(short(text, CAUSE_WIDTH) for text in causes)))
    lines.append(Content.assemble(("    who: ", "dim"), who_line(action)))
    if action.agreed:
        lines.append(Content("    ") + next_step_line(action))
    return Content("\n").join(lines)


class ActionList(OptionList):
    """The list of actions inside `ActionsPanel`; Enter edits the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select", "Edit")]

    can_edit = False
    """Set by the panel: whether the highlighted action may be edited by this person."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select":
            return self.can_edit
        return True


class ActionsPanel(Vertical):
    """Every proposed action, who can do it, and the agreed next steps.

    Call `show_state(state, me)` after each batch of events; only the actions that
    changed are redrawn. Changes are posted as `SendCommand` (with `op=DRAFT_OP`).

    | Key | Description |
    | :- | :- |
    | enter | Edit the highlighted action (its author or the facilitator). |
    | n | Propose a new action (choose its causes in the dialog). |
    | a | Agree on the action: first step, owner, by when (facilitator). |
    | delete | Remove the action, after confirmation (its author or the facilitator). |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "propose", "New action"),
        Binding("a", "agree", "Agree"),
        Binding("delete", "remove", "Remove"),
    ]

    DEFAULT_CSS = """
    ActionsPanel {
        height: 1fr;
        padding: 0 1;
    }
    ActionsPanel #actions-title { text-style: bold; }
    ActionsPanel #actions-hint { color: $text-muted; margin-bottom: 1; }
    ActionsPanel #actions-empty { color: $text-muted; display: none; }
    ActionsPanel.-empty #actions-empty { display: block; }
    ActionsPanel.-empty ActionList { display: none; }
    ActionsPanel ActionList { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._state: Session | None = None
        self._me: Person | None = None
        self._prompts: dict[str, Content] = {}

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="actions-title", markup=False)
        yield Static(Content(""), id="actions-hint", markup=False)
        yield Static(Content(""), id="actions-empty", markup=False)
        yield ActionList(id="actions-list")

    # --- attributes down ------------------------------------------------------------------

    def show_state(self, state: Session, me: Person) -> None:
        """Show `state` as `me` sees it."""
        self._state, self._me = state, me
        agree = state.phase in ("agree", "closed")
        self.query_one("#actions-title", Static).update(Content(
            "Next steps: which actions do we start with?" if agree else action_question(state.mode)))
        self.query_one("#actions-hint", Static).update(Content(self._hint(state, me)))
        self.query_one("#actions-empty", Static).update(Content(
            f"No actions yet. Select a {cause_word(state.mode)} in the tree and press n "
            "to propose one."))
        self.set_class(not state.actions, "-empty")
        self._show_actions(state, me)
        self._update_keys()

    def _hint(self, state: Session, me: Person) -> str:
        if me.role == "viewer":
            return "Read-only view."
        if state.phase == "closed":
            return "The session is closed."
        hints: list[str] = []
        if may(state, me, p.AddAction) is None:
            hints.append("n: new action")
        if any(may(state, me, p.RemoveAction, action_id) is None for action_id in state.actions):
            # The keys below act on the list, which Tab reaches from the tree.
            hints.append("tab: to the list, then enter: edit · delete: remove"
                         + (" (your own actions)" if me.role != "facilitator" else ""))
        if state.actions and may(state, me, p.SetAgreement) is None:
            hints.append("a: agree, with first step, owner and date")
        if not hints and state.phase == "agree":
            return "The facilitator records the next steps the group agrees on."
        return " · ".join(hints)

    def _show_actions(self, state: Session, me: Person) -> None:
        options = self.query_one(ActionList)
        prompts = {action.id: action_prompt(state, action, me) for action in state.actions.values()}
        if list(prompts) == list(self._prompts):
            for action_id, prompt in prompts.items():
                old = self._prompts[action_id]
                if not prompt.is_same(old):
                    options.replace_option_prompt(action_id, prompt)
        else:
            highlighted = options.highlighted_option
            keep = highlighted.id if highlighted is not None else None
            old_order = list(self._prompts)
            items: list[Option | None] = []
            for action_id, prompt in prompts.items():
                if items:
                    items.append(None)
                items.append(Option(prompt, id=action_id))
            options.set_options(items)
            if keep in prompts:
                options.highlighted = options.get_option_index(keep)
            elif prompts:
                # The highlighted action went away: stay where it was in the list.
                index = old_order.index(keep) if keep in old_order else 0
                options.highlighted = min(index, len(prompts) - 1)
        self._prompts = prompts

    def _selected(self) -> Action | None:
        if self._state is None:
            return None
        option = self.query_one(ActionList).highlighted_option
        if option is None or option.id is None:
            return None
        return self._state.actions.get(option.id)

    def _update_keys(self) -> None:
        options = self.query_one(ActionList)
        options.can_edit = bool(self.check_action("edit", ()))
        options.refresh_bindings()
        self.refresh_bindings()

    @on(OptionList.OptionHighlighted, "#actions-list")
    def _highlighted(self) -> None:
        self._update_keys()

    # --- messages up ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        state, me, chosen = self._state, self._me, self._selected()
        if state is None or me is None:
            return action not in ("propose", "edit", "agree", "remove")
        match action:
            case "propose":
                return may(state, me, p.AddAction) is None
            case "edit":
                return chosen is not None and may(state, me, p.EditAction, chosen.id) is None
            case "agree":
                return chosen is not None and may(state, me, p.SetAgreement) is None
            case "remove":
                return chosen is not None and may(state, me, p.RemoveAction, chosen.id) is None
        return True

    def _send(self, command: p.ClientCommand | None) -> None:
        if command is not None:
            self.post_message(SendCommand(command))

    def propose_for(self, *cause_ids: str) -> None:
        """Open `ProposeActionScreen` with `cause_ids` chosen, and send what it returns;
        when proposing is not allowed now, say why instead (the rules' own sentence)."""
        state, me = self._state, self._me
        if state is None or me is None:
            self.notify("Actions are proposed in the act step.", timeout=3, markup=False)
            return
        refusal = may(state, me, p.AddAction)
        if refusal is not None:
            self.notify(refusal.message, timeout=3, markup=False)
            return
        self.app.push_screen(ProposeActionScreen(state, cause_ids), self._send)

    def action_propose(self) -> None:
        """Open `ProposeActionScreen` with no cause chosen yet."""
        if self._state is not None and self.check_action("propose", ()):
            self.app.push_screen(ProposeActionScreen(self._state), self._send)

    def action_edit(self) -> None:
        """Open `ProposeActionScreen` prefilled with the highlighted action."""
        chosen = self._selected()
        if self._state is not None and chosen is not None and self.check_action("edit", ()):
            self.app.push_screen(ProposeActionScreen(self._state, action=chosen), self._send)

    def action_agree(self) -> None:
        """Open `AgreementScreen` for the highlighted action."""
        chosen = self._selected()
        if self._state is not None and chosen is not None and self.check_action("agree", ()):
            self.app.push_screen(AgreementScreen(self._state, chosen), self._send)

    def action_remove(self) -> None:
        """Ask for confirmation, then remove the highlighted action."""
        chosen = self._selected()
        if chosen is not None and self.check_action("remove", ()):
            self.app.push_screen(RemoveActionScreen(chosen), self._send)

    @on(OptionList.OptionSelected, "#actions-list")
    def _selected_by_enter(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_edit()


# --- dialogs ------------------------------------------------------------------------------------

_DIALOG_CSS = """
{name} {{
    align: center middle;
}}
{name} > #dialog {{
    width: 84;
    max-width: 100%;
    height: auto;
    max-height: 100%;
    border: thick $primary;
    background: $surface;
    padding: 1 2;
}}
{name} .dialog-title {{ text-style: bold; width: 1fr; margin-bottom: 1; }}
{name} .field-label {{ margin-top: 1; text-style: bold; }}
{name} .keys {{ color: $text-muted; margin-top: 1; }}
{name} .error {{ color: $error; height: auto; }}
{name} .buttons {{ height: auto; margin-top: 1; }}
{name} .buttons Button {{ margin-right: 2; }}
"""


class ProposeActionScreen(ModalScreen[p.AddAction | p.EditAction | None]):
    """Propose an action (returns `AddAction`) or edit one (returns `EditAction`).

    `ProposeActionScreen(state, cause_ids=[...])` preselects the causes the action is for;
    more can be ticked in the list. `ProposeActionScreen(state, action=existing)` is the
    same dialog prefilled, for editing. Enter in a text field or the button submits;
    Escape cancels (the result is then `None`). Nothing is sent by the screen itself.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = _DIALOG_CSS.format(name="ProposeActionScreen") + """
    ProposeActionScreen #action-causes { height: auto; max-height: 10; }
    ProposeActionScreen #action-by { width: 1fr; }
    """

    def __init__(
        self, state: Session, cause_ids: Iterable[str] = (), *, action: Action | None = None
    ) -> None:
        super().__init__()
        self.state = state
        self.editing = action
        chosen = list(action.causes) if action is not None else []
        chosen += [cause_id for cause_id in cause_ids if cause_id not in chosen]
        self.chosen = [cause_id for cause_id in chosen if cause_id in state.causes]

    def compose(self) -> ComposeResult:
        state, action = self.state, self.editing
        words = cause_word(state.mode, plural=True)
        with VerticalScroll(id="dialog"):
            yield Label(Content("Edit the action" if action else "Propose an action"),
                        classes="dialog-title")
            yield Label(Content(action_question(state.mode)), classes="field-label")
            yield Input(
                action.text if action else "", id="action-text",
                placeholder="What could be done?", max_length=p.MAX_ACTION_TEXT)
            yield Label(Content(f"For which {words}? (space ticks one)"), classes="field-label")
            yield SelectionList[str](
                *(
                    Selection(Content("  " * (depth - 1) + short(cause.text, 70)), cause.id,
                              cause.id in self.chosen)
                    for cause, depth in tree_order(state)
                ),
                id="action-causes",
            )
            yield Label(Content("Who can do it?"), classes="field-label")
            by = action.by if action else "inside"
            with RadioSet(id="action-by"):
                yield RadioButton(Content("People in the group"), value=by == "inside",
                                  id="by-inside")
                yield RadioButton(Content("People outside the group"), value=by == "outside",
                                  id="by-outside")
            yield Input(action.who if action else "", id="action-who",
                        placeholder=self._who_placeholder(by), max_length=p.MAX_SHORT_TEXT)
            yield Static(Content(""), id="action-error", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Save" if action else "Propose", id="submit", variant="primary")
                yield Button("Cancel", id="cancel")
            yield Static(Content("Tab: next field · Enter: "
                                 + ("save" if action else "propose") + " · Escape: cancel"),
                         classes="keys", markup=False)

    def on_mount(self) -> None:
        self.query_one("#action-text", Input).focus()

    @staticmethod
    def _who_placeholder(by: Doer) -> str:
        if by == "outside":
            return "Who outside the group? e.g. the school board"
        return "Who in the group? (optional) e.g. Ben and Chloe"

    def _by(self) -> Doer:
        return "outside" if self.query_one("#by-outside", RadioButton).value else "inside"

    @on(RadioSet.Changed, "#action-by")
    def _by_changed(self) -> None:
        self.query_one("#action-who", Input).placeholder = self._who_placeholder(self._by())

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        """Check the fields and return the command (or say what is missing)."""
        text = " ".join(self.query_one("#action-text", Input).value.split())
        picked = set(self.query_one("#action-causes", SelectionList).selected)
        causes = [cause.id for cause, _ in tree_order(self.state) if cause.id in picked]
        by = self._by()
        who = " ".join(self.query_one("#action-who", Input).value.split())
        error, focus = "", "#action-text"
        if not text:
            error, focus = "Write what could be done first.", "#action-text"
        elif len(causes) > p.MAX_CAUSES_PER_ACTION:
            error = f"Tick at most {p.MAX_CAUSES_PER_ACTION} {cause_word(self.state.mode, True)}."
            focus = "#action-causes"
        elif by == "outside" and not who:
            error, focus = "Say who outside the group can do it.", "#action-who"
        self.query_one("#action-error", Static).update(Content(error))
        if error:
            self.query_one(focus).focus()
            return
        command: p.AddAction | p.EditAction
        if self.editing is None:
            command = p.AddAction(op=DRAFT_OP, text=text, causes=causes, by=by, who=who)
        else:
            command = p.EditAction(op=DRAFT_OP, action=self.editing.id, text=text, causes=causes,
                                   by=by, who=who)
        self.dismiss(command)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without sending anything."""
        self.dismiss(None)


class AgreementScreen(ModalScreen[p.SetAgreement | None]):
    """The facilitator marks an action agreed and records its first step, owner and date.

    `AgreementScreen(state, action)` returns `SetAgreement` (or `None` when cancelled).
    Unticking "agreed" takes an agreement back. The owner field suggests the names of the
    people in the session.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = _DIALOG_CSS.format(name="AgreementScreen")

    def __init__(self, state: Session, action: Action) -> None:
        super().__init__()
        self.state = state
        self.agreeing = action

    def compose(self) -> ComposeResult:
        action = self.agreeing
        names = sorted({person.name for person in self.state.people.values() if person.name})
        with VerticalScroll(id="dialog"):
            yield Label(Content("Agree on a next step"), classes="dialog-title")
            yield Label(Content(action.text))
            yield Label(Content.assemble(("who: ", "dim"), who_line(action)))
            yield Checkbox(Content("We agree to start with this action"),
                           value=action.agreed or not (action.first_step or action.owner),
                           id="agreed")
            yield Label(Content("First step"), classes="field-label")
            yield Input(action.first_step, id="first-step", max_length=p.MAX_SHORT_TEXT,
                        placeholder="e.g. Call the principal")
            yield Label(Content("Who takes it?"), classes="field-label")
            yield Input(action.owner, id="owner", max_length=p.MAX_SHORT_TEXT,
                        placeholder="A name", suggester=SuggestFromList(names, case_sensitive=False))
            yield Label(Content("By when?"), classes="field-label")
            yield Input(action.due, id="due", max_length=p.MAX_SHORT_TEXT,
                        placeholder="e.g. Friday 12 May")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="submit", variant="primary")
                yield Button("Cancel", id="cancel")
            yield Static(Content("Tab: next field · Enter: save · Escape: cancel"),
                         classes="keys", markup=False)

    def on_mount(self) -> None:
        self.query_one("#first-step", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        """Return the agreement."""
        def field(widget_id: str) -> str:
            return " ".join(self.query_one(f"#{widget_id}", Input).value.split())

        self.dismiss(p.SetAgreement(
            op=DRAFT_OP, action=self.agreeing.id, agreed=self.query_one("#agreed", Checkbox).value,
            first_step=field("first-step"), owner=field("owner"), due=field("due"),
        ))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without sending anything."""
        self.dismiss(None)


class RemoveActionScreen(ModalScreen[p.RemoveAction | None]):
    """Asks "Remove this action?"; returns `RemoveAction` on yes, `None` otherwise.

    Keep is focused first, so a stray Enter removes nothing. Keys: y removes, n or Escape
    keeps.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "remove", "Remove"),
        Binding("n,escape", "cancel", "Keep"),
    ]

    DEFAULT_CSS = _DIALOG_CSS.format(name="RemoveActionScreen")

    def __init__(self, action: Action) -> None:
        super().__init__()
        self.removing = action

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Content("Remove this action?"), classes="dialog-title")
            yield Label(Content(self.removing.text))
            with Horizontal(classes="buttons"):
                yield Button("Keep it", id="cancel", variant="primary")
                yield Button("Remove", id="remove", variant="error")
            yield Static(Content("y: remove · n or Escape: keep"), classes="keys", markup=False)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#remove")
    def action_remove(self) -> None:
        """Return the removal."""
        self.dismiss(p.RemoveAction(op=DRAFT_OP, action=self.removing.id))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without sending anything."""
        self.dismiss(None)
