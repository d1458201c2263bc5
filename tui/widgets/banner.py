"""`JoinBanner`: how to join, in letters big enough to read from the back of the room.

The host's screen (often on a projector) shows the address(es) participants type and the
join code in large digits. The facilitator can hide it with `j` once everyone is in.

The banner never shows the facilitator key: anyone who reads it from the projector could
join with the facilitator's powers. The host asks for it with `k` instead
(`FacilitatorKeyScreen`), after a warning to check what the room can see.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.renderables.digits import Digits as DigitsRenderable
from textual.widgets import Digits, Static

from whytree.server.hub import grouped_code

_DIGITS_CAN_SHOW = set(" 0123456789+-^x:ABCDEF$£€().")


def _shows_as_digits(text: str) -> bool:
    return bool(text) and set(text.upper()) <= _DIGITS_CAN_SHOW


def _big(text: str, *, classes: str) -> Static | Digits:
    """Large digits when every character has a large form, else large-ish bold text."""
    if _shows_as_digits(text):
        return Digits(text.upper(), classes=classes)
    return Static(Content(" ".join(text)), classes=classes + " big-text")


def _big_width(text: str) -> int:
    """Cells `_big(text)` takes on one line."""
    if _shows_as_digits(text):
        return DigitsRenderable.get_width(text.upper())
    return len(" ".join(text))


ADDRESS_CODE_GAP = 6
"""Cells between the address and the code (the address's right margin in app.tcss)."""


def address_for_people(url: str) -> str:
    """What a participant types: `192.168.1.20:8765` for `ws://192.168.1.20:8765`."""
    return url.removeprefix("ws://")


def spaced_code(code: str) -> str:
    """`482 913 057` for `482913057`: easier to read out and to type."""
    return grouped_code(code)


class JoinBanner(Vertical):
    """The join address(es) and the code of a hosted session (never the facilitator key)."""

    def __init__(
        self, urls: list[str], code: str, *,
        fingerprint: str | None = None, id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.fingerprint = fingerprint
        self.urls = urls
        self.code = code

    def set_code(self, code: str) -> None:
        """Show a new join code (the facilitator gave the session a new one)."""
        self.code = code
        box = self.query_one(".banner-code", Vertical)
        box.query(".banner-big").remove()
        box.mount(_big(spaced_code(code), classes="banner-big"))
        self._fit()

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        # Side by side when both fit; otherwise the code goes under the address, so that
        # neither is cut off on a narrow screen (the code is what everyone must read).
        shown = self.urls[:1]
        address = max((_big_width(address_for_people(url)) for url in shown), default=0)
        needed = address + ADDRESS_CODE_GAP + _big_width(spaced_code(self.code))
        self.set_class(needed > self.content_size.width, "-stacked")

    def compose(self) -> ComposeResult:
        with Horizontal(classes="banner-row"):
            with Vertical(classes="banner-address"):
                yield Static("To join, type this address:", classes="banner-caption")
                shown = self.urls[:1] or ["(no network address found — check the Wi-Fi)"]
                for url in shown:
                    yield _big(address_for_people(url), classes="banner-big")
            with Vertical(classes="banner-code"):
                yield Static("and this code:", classes="banner-caption")
                yield _big(spaced_code(self.code), classes="banner-big")
        if len(self.urls) > 1:
            others = ", ".join(address_for_people(url) for url in self.urls[1:])
            yield Static(Content(f"other addresses of this laptop: {others}"), classes="banner-small")
        yield Static("j hides this", classes="banner-small")
        if self.fingerprint:
            from whytree.server.tls import format_fingerprint

            yield Static(Content(f"security fingerprint (participants check it): "
                                 f"{format_fingerprint(self.fingerprint)}"), classes="banner-small")
