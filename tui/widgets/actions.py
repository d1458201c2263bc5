"""The act and agree steps: the actions the group proposes, and the next steps it agrees.

`ActionsPanel` lists every action: its text, the causes it addresses, who can do it
(people in the group, or named people outside it) and, once agreed, the first step, its
owner and the date. The panel changes nothing itself ("messages up"): its keys post
`ActionsPanel.Propose`, `Edit`, `Agree` or `Remove`, and the session screen opens the
dialog for it (`whytree.tui.screens.action_dialogs`) and sends the command the dialog
returns. Keys and controls are offered only when the rules say this person may send the
command now (`rules.may`, which the server asks too), so a viewer sees everything
read-only. User text is always plain `Content`, never markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from whytree.shared import protocol as p
from whytree.shared.model import Action, Person, Session
from whytree.shared.rules import may
from whytree.shared.wording import action_question, cause_word, who_can_do

if TYPE_CHECKING:  # (the report's code is loaded only once the session closes)
    from whytree.shared.report import ActionLine


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
    if causes:  # each whole: a long one wraps
        lines.append(Content.assemble(("    for: ", "dim"),
                                      Content(" · ").join(Content(text) for text in causes)))
    lines.append(Content.assemble(("    who: ", "dim"), who_line(action)))
    if action.agreed:
        lines.append(Content("    ") + next_step_line(action))
    return Content("\n").join(lines)


class ActionList(OptionList):
    """The list of actions inside `ActionsPanel`; Enter edits the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select", "Edit")]

    can_edit = False
    """Set by the panel: whether the highlighted action may be edited by this person."""
    _measured_at = -1
    """The width the options' lines were measured at."""

    def render_lines(self, crop: Region) -> list[Strip]:
        # `OptionList` measures its options' lines again at a `Resize` only, which a list
        # shown again at another width can miss (see `sizes`): it then paints them as they
        # wrapped at the old width, blank rows where the next action belongs.
        width = self.scrollable_content_region.width
        if width != self._measured_at:
            self._measured_at = width
            self._clear_caches()
        return super().render_lines(crop)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select":
            return self.can_edit
        return True


class _AboutAction(Message):
    """A message of `ActionsPanel` about one of the actions it lists."""

    def __init__(self, action: Action) -> None:
        super().__init__()
        self.action = action


class ActionsPanel(Vertical):
    """Every proposed action, who can do it, and the agreed next steps.

    Call `show_state(state, me)` after each batch of events; only the actions that
    changed are redrawn. A change the person asks for is posted as one of the messages
    below, for the screen to open its dialog.

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

    class Propose(Message):
        """Propose a new action (no cause chosen yet: the dialog lists them all)."""

    class Edit(_AboutAction):
        """Edit `action` (its author or the facilitator)."""

    class Agree(_AboutAction):
        """Agree on `action`: first step, owner, by when (the facilitator)."""

    class Remove(_AboutAction):
        """Remove `action`, once the person confirms (its author or the facilitator)."""

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

    def action_propose(self) -> None:
        """Ask for the dialog that proposes an action, with no cause chosen yet."""
        if self.check_action("propose", ()):
            self.post_message(self.Propose())

    def action_edit(self) -> None:
        """Ask for the dialog that edits the highlighted action."""
        chosen = self._selected()
        if chosen is not None and self.check_action("edit", ()):
            self.post_message(self.Edit(chosen))

    def action_agree(self) -> None:
        """Ask for the dialog that agrees on the highlighted action."""
        chosen = self._selected()
        if chosen is not None and self.check_action("agree", ()):
            self.post_message(self.Agree(chosen))

    def action_remove(self) -> None:
        """Ask to remove the highlighted action (the dialog asks for confirmation)."""
        chosen = self._selected()
        if chosen is not None and self.check_action("remove", ()):
            self.post_message(self.Remove(chosen))

    @on(OptionList.OptionSelected, "#actions-list")
    def _selected_by_enter(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_edit()
