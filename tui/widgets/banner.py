"""`JoinBanner`: how to join, in letters big enough to read from the back of the room.

The host's screen (often on a projector) shows the address(es) participants type and the
join code in large digits. The facilitator can hide it with `j` once everyone is in.

Beside them, when the screen has room, a QR code of the browser address (dark on light
whatever the theme): a phone scans it and is in, with nothing to install. The address is
written out under the code too, for those who type it.

The banner never shows the facilitator key: anyone who reads it from the projector could
join with the facilitator's powers. The host asks for it with `k` instead
(`FacilitatorKeyScreen`), after a warning to check what the room can see.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.renderables.digits import Digits as DigitsRenderable
from textual.widgets import Digits, Static

from whytree.shared.fingerprint import format_fingerprint
from whytree.shared.joincode import grouped_code
from whytree.tui.widgets.sizes import after_every_layout

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
QR_GAP = 2
"""Cells between the address and code and the QR code (its left margin in app.tcss)."""
QR_MIN_SCREEN_HEIGHT = 30
"""Rows below which the QR code is left out: the session must keep room under the banner
(the projector page, `/?view`, shows it large)."""


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
        fingerprint: str | None = None, browser_url: str | None = None,
        qr_rows: list[str] | None = None, id: str | None = None,
    ) -> None:
        """`qr_rows`: the QR code of `browser_url` as lines of half blocks (dark modules
        marked), drawn dark on light; the host app makes them (`whytree.server.qr`)."""
        super().__init__(id=id)
        self.fingerprint = fingerprint
        self.urls = urls
        self.code = code
        self.browser_url = browser_url
        self._qr_rows: list[str] = list(qr_rows or []) if browser_url is not None else []

    def set_code(self, code: str) -> None:
        """Show a new join code (the facilitator gave the session a new one)."""
        self.code = code
        box = self.query_one(".banner-code", Vertical)
        box.query(".banner-big").remove()
        box.mount(_big(spaced_code(code), classes="banner-big"))
        self._fit()

    def on_mount(self) -> None:
        after_every_layout(self, self._fit)  # (not at a `Resize`, which can be missed: `j`)

    def _fit(self) -> None:
        # Side by side when both fit; otherwise the code goes under the address, so that
        # neither is cut off on a narrow screen (the code is what everyone must read). The
        # QR code goes beside them when there is room for it, else it is left out.
        width = self.content_size.width
        if not width:
            return  # hidden (`j`)
        shown = self.urls[:1]
        address = max((_big_width(address_for_people(url)) for url in shown), default=0)
        code = _big_width(spaced_code(self.code))
        qr = len(self._qr_rows[0]) + QR_GAP if self._qr_rows else 0
        tall_enough = self.app.size.height >= QR_MIN_SCREEN_HEIGHT
        if qr and tall_enough and address + ADDRESS_CODE_GAP + code + qr <= width:
            stacked, with_qr = False, True
        elif qr and tall_enough and max(address, code) + qr <= width:
            stacked, with_qr = True, True
        else:
            stacked, with_qr = address + ADDRESS_CODE_GAP + code > width, False
        self.set_class(stacked, "-stacked")
        self.set_class(not with_qr, "-no-qr")
        if self.browser_url is not None:  # speak of the square code only when it shows
            words = self._browser_words(with_qr)
            for line in self.query(".banner-browser").results(Static):
                now = line.content
                if not (isinstance(now, Content) and words.is_same(now)):  # (a layout)
                    line.update(words)

    def _browser_words(self, with_qr: bool) -> Content:
        scan = "scan the square code, or " if with_qr else ""
        return Content(f"On a phone or any laptop, nothing to install: {scan}open {self.browser_url} "
                       "in the browser.")

    def compose(self) -> ComposeResult:
        with Horizontal(classes="banner-outer"):
            with Vertical(classes="banner-main"):
                yield from self._join_text()
            if self._qr_rows:
                yield Static(Content("\n".join(self._qr_rows)), classes="banner-qr")

    def _join_text(self) -> ComposeResult:
        with Horizontal(classes="banner-row"):
            with Vertical(classes="banner-address"):
                yield Static("To join, type this address:", classes="banner-caption")
                shown = self.urls[:1] or ["(no network address found — check the Wi-Fi)"]
                for url in shown:
                    yield _big(address_for_people(url), classes="banner-big")
            with Vertical(classes="banner-code"):
                yield Static("and this code:", classes="banner-caption")
                yield _big(spaced_code(self.code), classes="banner-big")
        if self.browser_url is not None:
            yield Static(self._browser_words(not self.has_class("-no-qr")),
                         classes="banner-small banner-browser")
        if len(self.urls) > 1:
            others = ", ".join(address_for_people(url) for url in self.urls[1:])
            yield Static(Content(f"other addresses of this laptop: {others}"), classes="banner-small")
        yield Static("j hides this", classes="banner-small")
        if self.fingerprint:
            yield Static(Content(f"security fingerprint (participants check it): "
                                 f"{format_fingerprint(self.fingerprint)}"), classes="banner-small")
            if self.browser_url is not None:
                yield Static("Browsers warn once that the connection's certificate is not "
                             "known: check the fingerprint, then choose to continue.",
                             classes="banner-small")
