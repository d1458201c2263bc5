"""The dialogs that change an action: propose or edit one, agree on it, remove it.

Each is a modal screen that *returns* the command it built (`dismiss(command)`, or `None`
when cancelled) instead of sending it; its `op` comes from the `new_op` it is given (the
mirror's), so the command is built once, as it will be sent. The session screen opens
them when `ActionsPanel` asks (its `Propose`, `Edit`, `Agree` and `Remove` messages) or
when `n` is pressed on a cause in the tree, and sends what they return:

* `ProposeActionScreen(state, cause_ids, new_op=...)` -> `AddAction`;
* `ProposeActionScreen(state, action=existing, new_op=...)` -> `EditAction`;
* `AgreementScreen(state, action, new_op=...)` -> `SetAgreement` (facilitator);
* `RemoveActionScreen(action, new_op=...)` -> `RemoveAction` (asks for confirmation).

User text is always plain `Content`, never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, SelectionList, Static
from textual.widgets.selection_list import Selection

from whytree.shared import protocol as p
from whytree.shared.model import Action, Doer, Session
from whytree.shared.ranking import tree_order
from whytree.shared.wording import action_question, cause_word
from whytree.tui.widgets.toggles import Choice, Tick, TickList

from ..widgets.actions import who_line
from ..widgets.weigh import short

CAUSE_WIDTH = 60
"""Cells of a cause's text in the dialog's list of causes (the highlighted one shows whole
under the list)."""

NewOp = Callable[[], str]
"""Where a dialog takes the `op` of the command it returns (`Mirror.new_op`)."""

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

    `ProposeActionScreen(state, cause_ids=[...], new_op=...)` preselects the causes the
    action is for; more can be ticked in the list. `ProposeActionScreen(state,
    action=existing, new_op=...)` is the same dialog prefilled, for editing. Enter in a text
    field or the button submits; Escape cancels (the result is then `None`). Nothing is
    sent by the screen itself.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = _DIALOG_CSS.format(name="ProposeActionScreen") + """
    ProposeActionScreen #action-causes { height: auto; max-height: 10; }
    ProposeActionScreen #action-by { width: 1fr; }
    ProposeActionScreen #action-cause-full { height: auto; color: $text-muted; display: none; }
    """

    def __init__(
        self, state: Session, cause_ids: Iterable[str] = (), *, action: Action | None = None,
        new_op: NewOp,
    ) -> None:
        super().__init__()
        self.state = state
        self.new_op = new_op
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
            yield TickList(
                *(
                    Selection(Content("  " * (depth - 1) + short(cause.text, CAUSE_WIDTH)), cause.id,
                              cause.id in self.chosen)
                    for cause, depth in tree_order(state)
                ),
                id="action-causes",
            )
            # A cause cut in the list shows whole here while it is highlighted.
            yield Static(Content(""), id="action-cause-full", classes="cause-full", markup=False)
            yield Label(Content("Who can do it?"), classes="field-label")
            by = action.by if action else "inside"
            with RadioSet(id="action-by"):
                yield Choice(Content("People in the group"), value=by == "inside",
                                  id="by-inside")
                yield Choice(Content("People outside the group"), value=by == "outside",
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

    @on(SelectionList.SelectionHighlighted, "#action-causes")
    def _cause_highlighted(self, event: SelectionList.SelectionHighlighted[str]) -> None:
        cause = self.state.causes.get(event.selection.value)
        full = self.query_one("#action-cause-full", Static)
        cut = cause is not None and short(cause.text, CAUSE_WIDTH) != cause.text
        full.display = cut
        if cause is not None and cut:
            full.update(Content(f"In full: {cause.text}"))
            self.call_after_refresh(full.scroll_visible, animate=False)  # (just under the list)

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
            command = p.AddAction(op=self.new_op(), text=text, causes=causes, by=by, who=who)
        else:
            command = p.EditAction(op=self.new_op(), action=self.editing.id, text=text, causes=causes,
                                   by=by, who=who)
        self.dismiss(command)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without sending anything."""
        self.dismiss(None)


class AgreementScreen(ModalScreen[p.SetAgreement | None]):
    """The facilitator marks an action agreed and records its first step, owner and date.

    `AgreementScreen(state, action, new_op=...)` returns `SetAgreement` (or `None` when cancelled).
    Unticking "agreed" takes an agreement back. The owner field suggests the names of the
    people in the session.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = _DIALOG_CSS.format(name="AgreementScreen")

    def __init__(self, state: Session, action: Action, *, new_op: NewOp) -> None:
        super().__init__()
        self.state = state
        self.new_op = new_op
        self.agreeing = action

    def compose(self) -> ComposeResult:
        action = self.agreeing
        names = sorted({person.name for person in self.state.people.values() if person.name})
        with VerticalScroll(id="dialog"):
            yield Label(Content("Agree on a next step"), classes="dialog-title")
            yield Label(Content(action.text))
            yield Label(Content.assemble(("who: ", "dim"), who_line(action)))
            yield Tick(Content("We agree to start with this action"),
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
            op=self.new_op(), action=self.agreeing.id, agreed=self.query_one("#agreed", Checkbox).value,
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

    def __init__(self, action: Action, *, new_op: NewOp) -> None:
        super().__init__()
        self.removing = action
        self.new_op = new_op

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
        self.dismiss(p.RemoveAction(op=self.new_op(), action=self.removing.id))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without sending anything."""
        self.dismiss(None)
