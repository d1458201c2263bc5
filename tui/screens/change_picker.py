"""The "can it change?" picker ("can we repeat it?" for a success): every answer at once,
one key each.

`c` on a cause opens `ChangePicker`; 1, 2, 3 or 0 (or a click, or the arrows and Enter)
chooses, and the dialog returns `(answer,)` -- `(None,)` for "not answered" -- or None when
the person pressed Escape. The answer this person has now (votes still on their way
included) is marked, in words and with an arrow, not only by colour.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from whytree.shared.model import CHANGE_ANSWERS, Change, Mode
from whytree.shared.wording import CHANGE_LABELS, CHANGE_QUESTION, capitalised

from .dialogs import Dialog

CHOICES: tuple[tuple[str, Change | None], ...] = (
    *((str(number), answer) for number, answer in enumerate(CHANGE_ANSWERS, start=1)),
    ("0", None),
)
"""The key for each answer: 1 by us, 2 only with others, 3 not for now, 0 not answered."""

CHOSEN_MARK = "▶"


def choice_line(key: str, answer: Change | None, current: Change | None,
                mode: Mode) -> Content:
    """One answer of the picker: its key, its words (in the session's `mode`), and whether it
    is this person's now."""
    chosen = answer == current
    return Content.assemble(
        (f"{CHOSEN_MARK if chosen else ' '} ", "bold"),
        (f"{key}", "bold reverse"),
        f"  {CHANGE_LABELS[mode][answer]}",
        ("   (your answer now)" if chosen else "", "bold"),
    )


class ChangePicker(Dialog):
    """Can the selected cause change (can we repeat it, in a success)? Every answer on
    screen, one key each."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(key, f"choose({index})", f"Answer {key}", show=False)
          for index, (key, _) in enumerate(CHOICES)),
    ]

    def __init__(self, cause_text: str, current: Change | None, mode: Mode) -> None:
        super().__init__()
        self.cause_text, self.current, self.mode = cause_text, current, mode

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(capitalised(CHANGE_QUESTION[self.mode]), classes="dialog-title")
            yield Static(Content(self.cause_text), id="change-cause", classes="dialog-text")
            yield OptionList(
                *(Option(choice_line(key, answer, self.current, self.mode), id=key)
                  for key, answer in CHOICES),
                id="change-choices",
            )
            yield Static("Press 1, 2, 3 or 0   ·   Escape: keep it as it is", classes="dialog-hint")

    def on_mount(self) -> None:
        choices = self.query_one("#change-choices", OptionList)
        choices.highlighted = next(i for i, (_, answer) in enumerate(CHOICES) if answer == self.current)
        choices.focus()

    def action_choose(self, index: int) -> None:
        self.dismiss((CHOICES[index][1],))

    @on(OptionList.OptionSelected, "#change-choices")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_choose(event.option_index)
