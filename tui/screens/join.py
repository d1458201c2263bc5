"""The join screen: where a participant types the address, their name and the code.

It is the first thing a participant sees when `whytree join` did not get everything it
needs. It reads top to bottom in the order a person fills it: sessions found on the local
network (the first is highlighted, so Enter picks it), or the address typed in (manual
entry always works: guest Wi-Fi often blocks discovery); then the name -- or, as a choice
of its own, "Stay anonymous" -- and the code; then Join. Picking a session moves on to
the name, never past it.

When this laptop was someone in the session at that address before, the screen says so
("Come back as Ben") and offers "Join as someone new" for a shared laptop.

Anything that goes wrong -- an empty or wrong address, a missing name or code, a wrong
code, an unreachable host, a locked room -- is said in plain words where the eye is: right
above the field to fix, which gets the focus and is scrolled to the middle of the screen
(so both are in view at 80×24), or at the top of the screen when no field can fix it. The
message goes once that field is changed. Never a traceback.

The screen does not connect by itself: it posts `JoinScreen.Submitted` and the app tries;
the app calls `show_problem` when that fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, OptionList, RadioButton, RadioSet, Static
from textual.widgets.option_list import Option

from whytree.shared import protocol as p
from whytree.shared.joincode import normalize_code
from whytree.tui.connection import normalize_url
from whytree.tui.widgets.toggles import Choice, Tick

if TYPE_CHECKING:  # zeroconf is loaded only to look for sessions, not to join one by address
    from whytree.tui.lan import FoundSession

NOTHING_FOUND = (
    "No session found on the network. Type the address shown on the host's screen instead.\n"
    "If you expected one here:\n"
    "  • Is this laptop on the same Wi-Fi as the host?\n"
    "  • Guest Wi-Fi often keeps laptops from seeing each other — try the main Wi-Fi.\n"
    "  • A firewall on the host may block whytree's port (8765)."
)
DISCOVERY_TIMEOUT = 2.0


async def browse_sessions(timeout: float = DISCOVERY_TIMEOUT) -> list[FoundSession]:
    """Sessions advertised on the LAN, or [] when none can be found here."""
    from whytree.tui.lan import browse

    return await browse(timeout)


class JoinScreen(Screen[None]):
    """Sessions found on the network, or the address; the name (or anonymous); the code."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "browse", "Look again on the network"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    class Submitted(Message):
        """The person wants to join `url` with `name` (empty: anonymous) and `code`;
        `new_person`: as someone new even if this laptop was someone there before."""

        def __init__(self, url: str, name: str, code: str, new_person: bool = False) -> None:
            super().__init__()
            self.url = url
            self.name = name
            self.code = code
            self.new_person = new_person

    def __init__(
        self, url: str | None, name: str | None, code: str | None, *, discover: bool = True,
        saved_name: Callable[[str], str | None] | None = None, new_person: bool = False,
    ) -> None:
        super().__init__()
        self.initial = (url or "", name or "", code or "")
        self.anonymous_at_start = name == ""
        """`--name ""` on the command line: staying anonymous was chosen already."""
        self.discover = discover
        self.saved_name = saved_name
        """Who this laptop was at a typed address (None: nobody yet)."""
        self.new_person_at_start = new_person
        self._found: dict[str, str] = {}
        self._problem_field: str | None = None

    def compose(self) -> ComposeResult:
        url, name, code = self.initial
        with VerticalScroll(id="join"):
            yield Static("whytree — join a session", id="join-title")
            yield Static("", id="join-message")
            with Vertical(id="found"):
                yield Static("Found on the network", id="found-title")
                yield OptionList(id="found-list")
                yield Static(Content(NOTHING_FOUND), id="found-help")
            yield Static("Or type it in:", id="manual-title")
            yield Label("Address of the host (shown on the host's screen), e.g. 192.168.1.20:8765")
            yield Static("", id="address-problem", classes="field-problem")
            yield Input(url, placeholder="192.168.1.20:8765", id="address")
            with RadioSet(id="who"):
                yield Choice("Come back as yourself", value=not self.new_person_at_start,
                                  id="come-back")
                yield Choice("Join as someone new (someone else used this laptop)",
                                  value=self.new_person_at_start, id="someone-new")
            yield Label("Your name", id="name-label")
            yield Static("", id="name-problem", classes="field-problem")
            yield Input(name, placeholder="your name, as the room knows you", max_length=p.MAX_NAME,
                        id="name")
            yield Tick("Stay anonymous: nobody sees my name", self.anonymous_at_start, id="anonymous")
            yield Label("Join code (the facilitator reads it out)")
            yield Static("", id="code-problem", classes="field-problem")
            yield Input(code, placeholder="code", max_length=p.MAX_CODE, id="code")
            with Horizontal(id="join-buttons"):
                yield Button("Join", id="join-button", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#found-list", OptionList).display = False
        self.query_one("#join-message", Static).display = False
        for problem in self.query(".field-problem"):
            problem.display = False
        self._show_identity()
        self._show_anonymous()
        first = self._next_field(after=None)
        first.focus()
        # The screen is not laid out yet, so the focus cannot scroll to the field: on a
        # small terminal it may be below the edge. Bring it into view once it is.
        self.call_after_refresh(first.scroll_visible, animate=False)
        if self.discover:
            self.action_browse()

    # --- what the app calls --------------------------------------------------------------

    def show_problem(self, message: str, field: str | None = None) -> None:
        """Say what went wrong, in plain words, and let the person try again. With `field`
        ("address", "name", "code") the message shows right above that field, which is
        marked, focused and brought to the middle of the screen; the message goes when the
        field changes. Without, it shows at the top and goes when any field changes."""
        self._clear_problem(None)
        self.query_one("#join-button", Button).disabled = False
        scroll = self.query_one("#join", VerticalScroll)
        if field is None:
            widget = self.query_one("#join-message", Static)
            widget.update(Content(message))
            widget.set_class(True, "-problem")
            widget.display = True
            scroll.scroll_home(animate=False, immediate=True)
            return
        inline = self.query_one(f"#{field}-problem", Static)
        inline.update(Content(message))
        inline.display = True
        self._mark(field)
        target = self.query_one(f"#{field}", Input)
        target.focus(scroll_visible=False)
        self.call_after_refresh(scroll.scroll_to_center, target, animate=False)

    def problem_shown(self) -> str:
        """The problem on screen now ("" when there is none), for tests and the app."""
        # (A query, not query_one: the form may not be built yet when asked.)
        for widget in (*self.query("#join-message"), *self.query(".field-problem")):
            if widget.display and (widget.has_class("-problem") or widget.has_class("field-problem")):
                return str(widget.render())
        return ""

    def show_busy(self, message: str) -> None:
        self._clear_problem(None)
        widget = self.query_one("#join-message", Static)
        widget.update(Content(message))
        widget.display = True

    def _mark(self, field: str | None) -> None:
        self._problem_field = field
        for name in ("address", "name", "code"):
            self.query_one(f"#{name}", Input).set_class(name == field, "-problem")

    def _clear_problem(self, field: str | None) -> None:
        """The person changed `field` (None: clear whatever is shown)."""
        if field is not None and self._problem_field not in (None, field):
            return
        top = self.query_one("#join-message", Static)
        if top.has_class("-problem") or field is None:
            top.update("")
            top.set_class(False, "-problem")
            top.display = False
        for inline in self.query(".field-problem"):
            inline.display = False
        self._mark(None)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        field = event.input.id or ""
        self._clear_problem(field)
        if field == "address":
            self._show_identity()

    @on(Checkbox.Changed, "#anonymous")
    def _anonymous_changed(self) -> None:
        self._clear_problem("name")
        self._show_anonymous()

    @on(RadioSet.Changed, "#who")
    def _who_changed(self) -> None:
        self._clear_problem("name")
        self._show_anonymous()
        if not self.coming_back:  # someone new: their name comes next
            self._next_field(after="address").focus()

    # --- who this is ---------------------------------------------------------------------

    def _returning_as(self) -> str | None:
        """The name this laptop comes back as at the typed address, or None."""
        if self.saved_name is None:
            return None
        return self.saved_name(self.query_one("#address", Input).value)

    @property
    def coming_back(self) -> bool:
        """Joining as the person this laptop was here before (not someone new)."""
        return self._returning_as() is not None and self.query_one("#come-back", RadioButton).value

    @property
    def anonymous(self) -> bool:
        return self.query_one("#anonymous", Checkbox).value

    def _show_identity(self) -> None:
        name = self._returning_as()
        who = self.query_one("#who", RadioSet)
        who.display = name is not None
        if name is not None:
            shown = f"“{name}”" if name else "anonymous"
            self.query_one("#come-back", RadioButton).label = Content(
                f"Come back as {shown}, with your answers and dots")
        self._show_anonymous()

    def _show_anonymous(self) -> None:
        # Coming back keeps the name the room knows; a new person chooses a name or none.
        back = self.coming_back
        for selector in ("#name", "#anonymous", "#name-label"):
            self.query_one(selector).display = not back
        self.query_one("#name", Input).disabled = self.anonymous

    def _done(self, field: str) -> bool:
        if field == "name":
            return self.coming_back or self.anonymous or bool(self.query_one("#name", Input).value.strip())
        return bool(self.query_one(f"#{field}", Input).value.strip())

    def _next_field(self, after: str | None) -> Input | Button:
        """The first field after `after` (from the top with None) still to fill, else Join."""
        order = ["address", "name", "code"]
        for field in order[order.index(after) + 1:] if after in order else order:
            if not self._done(field):
                return self.query_one(f"#{field}", Input)
        return self.query_one("#join-button", Button)

    # --- discovery -----------------------------------------------------------------------

    def action_browse(self) -> None:
        self.query_one("#found-title", Static).update("Found on the network (looking…)")
        self.query_one("#found-help", Static).display = False
        self._browse()

    @work(exclusive=True, group="discovery", exit_on_error=False)
    async def _browse(self) -> None:
        try:
            found = await browse_sessions()
        except Exception:  # noqa: BLE001 - a broken network must not break joining
            found = []
        self.show_found(found)

    def show_found(self, found: Sequence[FoundSession]) -> None:
        """Show what discovery found."""
        self._found = {}
        options: list[Option] = []
        for index, session in enumerate(found):
            key = f"s{index}"
            url = session.url
            self._found[key] = url
            title = session.title or "whytree session"
            options.append(Option(Content(f"{title}  —  {url.removeprefix('ws://')}"), id=key))
        listing = self.query_one("#found-list", OptionList)
        listing.clear_options()
        listing.add_options(options)
        listing.display = bool(options)
        self.query_one("#found-help", Static).display = not options
        self.query_one("#found-title", Static).update(
            "Found on the network — pick one with ↑ ↓ and Enter" if options else "Found on the network")
        if options:
            listing.highlighted = 0
            address = self.query_one("#address", Input)
            # Someone who has not typed an address yet starts at the list: Enter picks.
            if self.focused in (address, None) and not address.value.strip():
                listing.focus()
        # What was found (or the help when nothing was) may have pushed the field being
        # typed in below the edge of a small terminal: keep it in view.
        focused = self.focused
        if focused is not None:
            self.call_after_refresh(focused.scroll_visible, animate=False)

    @on(OptionList.OptionSelected, "#found-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        url = self._found.get(event.option.id or "")
        if url:
            self.query_one("#address", Input).value = url
            self._show_identity()
            self._next_field(after="address").focus()

    # --- joining -------------------------------------------------------------------------

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        current = event.input.id or ""
        # Enter on a filled field moves on to the next one still empty, and joins from the last.
        if current in ("address", "name", "code") and self._done(current):
            following = self._next_field(after=current)
            if isinstance(following, Input):
                following.focus()
                return
        self._submit()

    @on(Button.Pressed, "#join-button")
    def _submit(self) -> None:
        address = self.query_one("#address", Input).value
        try:
            url = normalize_url(address)
        except ValueError as problem:
            self.show_problem(str(problem), "address")
            return
        if not self._done("name"):
            self.show_problem("Type your name — or tick “Stay anonymous” if you prefer that nobody "
                              "sees it.", "name")
            return
        code = normalize_code(self.query_one("#code", Input).value)  # "123 456" as shown
        if not code:
            self.show_problem("Type the join code — the facilitator reads it out.", "code")
            return
        name = "" if self.anonymous or self.coming_back else self.query_one("#name", Input).value.strip()
        new_person = self._returning_as() is not None and not self.coming_back
        self.show_busy(f"Connecting to {url} …")
        self.query_one("#join-button", Button).disabled = True
        self.post_message(self.Submitted(url, name, code, new_person))
