"""Checkboxes and radio buttons that say whether they are on by their shape, not only by
their colour.

Textual draws `▐X▌` whether a `Checkbox`, `RadioButton` or an item of a `SelectionList` is
on or off and tells them apart by colour alone, which a projector washes out and colour-blind
people cannot see. `Tick`, `Choice` and `TickList` draw the mark only when on (`▐X▌` /
`▐●▌`) and a blank box when off (`▐ ▌`).
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, RadioButton, SelectionList
from textual.widgets.option_list import OptionDoesNotExist


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


class TickList(SelectionList[str]):
    """A list of boxes to tick whose ticks are there only on the ticked items. Space ticks;
    Enter does what it does in the dialog's other fields, submit it (`screen.submit`),
    instead of quietly unticking what the person chose."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "screen.submit", show=False)]

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        # The list draws each item as the box's left side, its inside, its right side, then
        # the prompt (`SelectionList.render_line`): blank the inside of an unticked box.
        _, scroll_y = self.scroll_offset
        try:
            item = self.get_option_at_index(scroll_y + y)
        except OptionDoesNotExist:
            return line
        segments = list(line)
        if item.value in self.selected or len(segments) < 2 or segments[1].text != Checkbox.BUTTON_INNER:
            return line
        segments[1] = Segment(Tick.OFF_MARK, segments[1].style)
        return Strip(segments, line.cell_length)
