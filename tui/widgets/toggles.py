"""Checkboxes and radio buttons that say whether they are on by their shape, not only by
their colour.

Textual draws `▐X▌` whether a `Checkbox` or `RadioButton` is on or off and tells them apart
by colour alone, which a projector washes out and colour-blind people cannot see. `Tick`
and `Choice` draw the mark only when on (`▐X▌` / `▐●▌`) and a blank box when off (`▐ ▌`).
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox, RadioButton


class Tick(Checkbox):
    """A checkbox whose tick is there only when it is ticked."""

    ON_MARK = "X"
    OFF_MARK = " "

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = self.ON_MARK if self.value else self.OFF_MARK
        return super()._button


class Choice(RadioButton):
    """A radio button whose dot is there only when it is the one chosen."""

    ON_MARK = "●"
    OFF_MARK = " "

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = self.ON_MARK if self.value else self.OFF_MARK
        return super()._button
