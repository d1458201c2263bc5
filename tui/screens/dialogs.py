"""Small modal dialogs of the session screen: help, confirm, remove, situation, settings,
timer, people, and the host's facilitator key.

Each dialog returns what the person chose through `dismiss` (None when they cancelled);
the session screen turns that into a command. None of them talks to the network.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, RadioSet, Static
from textual.widgets.option_list import Option

from whytree.shared import protocol as p
from whytree.shared import wording
from whytree.shared.model import Mode, Person, Phase, Session
from whytree.tui.widgets.toggles import Choice, Tick


class Dialog(ModalScreen[object]):
    """Base of every dialog here: Escape cancels; ctrl+q is still the app's quit (a modal
    screen hides the app's own keys), which on the host asks first -- or, pressed while
    it asks, quits."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+q", "app.quit", "Quit", show=False),
    ]

    def action_cancel(self) -> None:
        self.dismiss(None)


FACILITATOR_NOW: dict[Phase, str] = {
    "situation": "You: press s to write the situation and choose problem or success, then ] to "
                 "start “But why?”.",
    "why": "You: ask the room “But why?” about the situation or an answer; w types what people "
           "say under the selected one. m merges two answers that say the same, del removes one. "
           "When the reasons run out, ] moves on to weighing.",
    "weigh": "You: give people time to vote (o sets the dots, t starts a timer), then v reveals "
             "the votes and ] moves on to actions. v again hides them so people can vote again.",
    "act": "You: help the room propose actions for the {causes} that matter and {that_can_change} "
           "(select one, press n). Then ] moves on to agreeing.",
    "agree": "You: Tab to the list of actions; a on an action records that the group starts with "
             "it, its first step, who takes it and by when. Then ] closes and saves the session.",
    "closed": "You: x reopens the session if it was closed by mistake.",
}
"""What the facilitator does in each step, and with which keys (the help adds it); the
session's words are named as in `wording.mode_words`."""


class HelpScreen(Dialog):
    """What this step is for, what to do now, and the keys that work now.

    The whole dialog scrolls (arrows, Page Up/Down) when the terminal is short."""

    def __init__(self, phase: Phase, help_text: str, keys: list[tuple[str, str]], *,
                 mode: Mode, facilitator: bool = False) -> None:
        super().__init__()
        self.phase, self.help_text, self.keys = phase, help_text, keys
        self.facilitator, self.mode = facilitator, mode

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="help"):
            yield Static(Content(f"Step {wording.STEP_TITLES[self.phase]}   (Escape closes)"),
                         classes="dialog-title")
            yield Static(Content(self.help_text), classes="dialog-text")
            if self.facilitator:
                now = FACILITATOR_NOW[self.phase].format_map(wording.mode_words(self.mode))
                yield Static(Content(now), classes="dialog-text")
            lines = "\n".join(f"{key:>10}  {what}" for key, what in self.keys)
            yield Static(Content("Keys you can use now:\n" + lines), classes="dialog-keys")
            yield Button("Close (Escape)", id="close", variant="primary")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)


class ConfirmScreen(Dialog):
    """A yes/no question; dismisses with True for yes.

    Enter presses the focused button: "No, go back" unless `default_yes` (for a question
    that only confirms what the person just asked for, such as closing the session)."""

    def __init__(self, question: str, yes: str = "Yes", *, default_yes: bool = False) -> None:
        super().__init__()
        self.question, self.yes = question, yes
        self.default_yes = default_yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.question), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, id="yes", variant="error")
                yield Button("No, go back", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes" if self.default_yes else "#no", Button).focus()

    @on(Button.Pressed)
    def _answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class TextScreen(Dialog):
    """One line of text to type (an answer to edit, an action, timer minutes...)."""

    def __init__(self, title: str, value: str = "", placeholder: str = "", max_length: int = 280) -> None:
        super().__init__()
        self.title_text, self.value = title, value
        self.placeholder, self.max_length = placeholder, max_length

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title")
            yield Input(self.value, placeholder=self.placeholder, max_length=self.max_length, id="text")
            yield Static("Enter: OK   ·   Escape: cancel", classes="dialog-hint")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)


class _ModeChoice(RadioSet):
    """Problem or success: space (or a click) picks; Enter saves the dialog, as it does in
    the text field above (not a priority binding on the dialog: that would run before the
    text field has taken the keys typed just before Enter)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "screen.save", "Save", show=False),
        Binding("space", "toggle_button", "Choose", show=False),
    ]


class SituationScreen(Dialog):
    """The facilitator writes the situation and picks problem or success. Enter saves
    wherever the focus is (on the choice too, where it would otherwise just pick the
    highlighted one: space or a click does that)."""

    def __init__(self, text: str, mode: Mode) -> None:
        super().__init__()
        self.text, self.mode = text, mode

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("The situation", classes="dialog-title")
            yield Static(Content(wording.situation_prompt(self.mode)), id="situation-prompt",
                         classes="dialog-text")
            yield Input(self.text, max_length=p.MAX_SITUATION_TEXT, id="situation")
            with _ModeChoice(id="mode"):
                yield Choice("A problem: why does it go wrong?", value=self.mode == "problem",
                                  id="problem")
                yield Choice("A success: why did it go well?", value=self.mode == "success",
                                  id="success")
            yield Static("Space: choose problem or success   ·   Enter: save   ·   Escape: cancel",
                         classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#situation", Input).focus()

    def action_save(self) -> None:
        self.dismiss((self.query_one("#situation", Input).value.strip(), self.mode))

    @on(RadioSet.Changed)
    def _mode(self, event: RadioSet.Changed) -> None:
        self.mode = "success" if event.pressed.id == "success" else "problem"
        self.query_one("#situation-prompt", Static).update(Content(wording.situation_prompt(self.mode)))

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        self.action_save()


class SettingsScreen(Dialog):
    """Dots per person, dots per cause, and whether the session is anonymous."""

    def __init__(self, state: Session) -> None:
        super().__init__()
        self.settings = state.settings
        self.mode = state.mode

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Voting settings", classes="dialog-title")
            yield Label("“Matters” dots each person has:")
            yield Input(str(self.settings.dots_per_person), type="integer", id="per-person")
            yield Label(f"Most dots one person may put on one {wording.cause_word(self.mode)}:")
            yield Input(str(self.settings.dots_per_cause), type="integer", id="per-cause")
            # A box that shows its tick, not a switch told apart by the colour of its knob.
            yield Tick(Content("Anonymous: nobody sees who wrote what (choose before any answers)"),
                       self.settings.anonymous, id="anonymous")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        try:
            per_person = int(self.query_one("#per-person", Input).value)
            per_cause = int(self.query_one("#per-cause", Input).value)
        except ValueError:
            self.notify("Type whole numbers, e.g. 3 and 2.", severity="warning", markup=False)
            return
        if not (1 <= per_person <= p.MAX_DOTS and 1 <= per_cause <= p.MAX_DOTS):
            self.notify(f"Use numbers from 1 to {p.MAX_DOTS}.", severity="warning", markup=False)
            return
        anonymous = self.query_one("#anonymous", Tick).value
        self.dismiss((per_person, per_cause, anonymous))


class PeopleScreen(Dialog):
    """Everyone in the session; the facilitator picks one to remove."""

    def __init__(self, people: list[Person]) -> None:
        super().__init__()
        self.people = people

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Remove a participant (Enter), or Escape to go back", classes="dialog-title")
            options = [
                Option(
                    Content(f"{person.name or 'Anonymous'}  ·  {'online' if person.online else 'away'}"),
                    id=person.id,
                )
                for person in self.people
            ]
            yield OptionList(*options, id="people")

    @on(OptionList.OptionSelected)
    def _pick(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class RemoveScreen(ConfirmScreen):
    """Removing an answer: Enter removes, the asked-for answer (it can be undone right
    after)."""

    def __init__(self, question: str, yes: str = "Remove") -> None:
        super().__init__(question, yes, default_yes=True)


class FacilitatorKeyScreen(Dialog):
    """The host's facilitator key, for a co-facilitator's laptop; never for the room.

    The host's screen is often on the projector, so the dialog first says so and shows the
    key only when the facilitator presses "Show the key" (it was them who pressed k).
    Escape or "Close" hides it again."""

    def __init__(self, key: str, address: str | None = None) -> None:
        super().__init__()
        self.key, self.address = key, address

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="facilitator-key"):
            yield Static("The facilitator key", classes="dialog-title")
            yield Static(Content(
                "Anyone who has this key can run the session as the facilitator. Is this screen "
                "on the projector, or can people read it? Then turn the projector off or look "
                "away first."), id="key-warning", classes="dialog-text")
            yield Static(Content(""), id="key-shown", classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Show the key", id="show", variant="warning")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self.query_one("#key-shown", Static).display = False
        self.query_one("#show", Button).focus()

    @on(Button.Pressed, "#show")
    def _show(self) -> None:
        where = f" {self.address}" if self.address else ""
        use = f"On a co-facilitator's laptop: whytree join{where} --facilitator-key {self.key}"
        shown = self.query_one("#key-shown", Static)
        shown.update(Content(f"Facilitator key: {self.key}\n\n{use}"))
        shown.display = True
        self.query_one("#show", Button).display = False
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)
