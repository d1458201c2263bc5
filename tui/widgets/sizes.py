"""Following a widget's width when Textual does not say that it changed.

Textual sends `Resize` to the widgets that a layout showed or made larger or smaller. A
widget shown again at another width can miss it: once a hidden widget asks to be painted,
the screen's map of where every widget goes is marked stale, and anything that looks a
widget up before the next layout builds that map again, quietly, with the new sizes; the
layout then finds nothing changed and sends nothing. At 80 columns that is what `r` can do
to the step's panel, laid out beside the tree for a moment, then hidden, then shown alone
at the full width: the 2×2 stayed in one column, and the list of actions kept the lines it
had measured at the old width (blank rows where its second action belonged).

So what depends on its width looks at it after every layout (`after_every_layout`), or
when it paints (`ActionList`).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget


def after_every_layout(widget: Widget, fit: Callable[[], object]) -> None:
    """Call `fit` after every layout of `widget`'s screen from now on, and once after the
    next refresh (the screen may have been laid out with the widget in it before it
    subscribed). Call it once the widget is mounted."""
    widget.screen.screen_layout_refresh_signal.subscribe(widget, lambda _screen: fit())
    widget.call_after_refresh(fit)
