"""The join screen: where a participant types the address, their name and the code.

It is the first thing a participant sees when `whytree join` did not get everything it
needs. Sessions found on the local network are listed under "Found on the network";
picking one fills the address. Manual entry always works (guest Wi-Fi often blocks
discovery). Anything that goes wrong -- a wrong code, an unreachable host, a locked room
-- is said on this screen in plain words, never as a traceback.

The screen does not connect by itself: it posts `JoinScreen.Submitted` and the app tries;
the app calls `show_problem` when that fails.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from whytree.shared import protocol as p
from whytree.tui.connection import normalize_url

NOTHING_FOUND = (
    "No session found on the network. Type the address shown on the host's screen instead.\n"
    "If you expected one here:\n"
    "  • Is this laptop on the same Wi-Fi as the host?\n"
    "  • Guest Wi-Fi often keeps laptops from seeing each other — try the main Wi-Fi.\n"
    "  • A firewall on the host may block whytree's port (8765)."
)
DISCOVERY_TIMEOUT = 2.0


def _load_browse() -> Callable[[float], Any] | None:
    """`whytree.server.discovery.browse`, when that module is there and works here."""
    try:
        module = importlib.import_module("whytree.server.discovery")
    except Exception:  # noqa: BLE001 - discovery is optional; manual entry always works
        return None
    browse = getattr(module, "browse", None)
    return browse if callable(browse) else None


async def browse_sessions(timeout: float = DISCOVERY_TIMEOUT) -> list[Any]:
    """Sessions advertised on the LAN (`FoundSession`s), or [] when discovery is missing."""
    browse = _load_browse()
    if browse is None:
        return []
    if inspect.iscoroutinefunction(browse):
        found = await browse(timeout)
    else:
        found = await asyncio.to_thread(browse, timeout)
    return list(found)


class JoinScreen(Screen[None]):
    """Address, name and code, and the sessions found on the network."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "browse", "Look again on the network"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    class Submitted(Message):
        """The person wants to join `url` with `name` (may be empty) and `code`."""

        def __init__(self, url: str, name: str, code: str) -> None:
            super().__init__()
            self.url = url
            self.name = name
            self.code = code

    def __init__(self, url: str | None, name: str | None, code: str | None, *, discover: bool = True) -> None:
        super().__init__()
        self.initial = (url or "", name or "", code or "")
        self.discover = discover
        self._found: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        url, name, code = self.initial
        with VerticalScroll(id="join"):
            yield Static("whytree — join a session", id="join-title")
            with Vertical(id="found"):
                yield Static("Found on the network", id="found-title")
                yield OptionList(id="found-list")
                yield Static(Content(NOTHING_FOUND), id="found-help")
            yield Static("Or type it in:", id="manual-title")
            yield Label("Address of the host (shown on the host's screen), e.g. 192.168.1.20:8765")
            yield Input(url, placeholder="192.168.1.20:8765", id="address")
            yield Label("Your name — leave it empty to stay anonymous")
            yield Input(name, placeholder="(anonymous)", max_length=p.MAX_NAME, id="name")
            yield Label("Join code (the facilitator reads it out)")
            yield Input(code, placeholder="code", max_length=p.MAX_CODE, id="code")
            with Horizontal(id="join-buttons"):
                yield Button("Join", id="join-button", variant="primary")
            yield Static("", id="join-message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#found-list", OptionList).display = False
        url, name, code = self.initial
        first_empty = next((i for i, value in (("address", url), ("code", code)) if not value), "name")
        self.query_one(f"#{first_empty}", Input).focus()
        if self.discover:
            self.action_browse()

    # --- what the app calls --------------------------------------------------------------

    def show_problem(self, message: str) -> None:
        """Say what went wrong, in plain words, and let the person try again."""
        widget = self.query_one("#join-message", Static)
        widget.update(Content(message))
        widget.set_class(True, "-problem")
        self.query_one("#join-button", Button).disabled = False

    def show_busy(self, message: str) -> None:
        widget = self.query_one("#join-message", Static)
        widget.update(Content(message))
        widget.set_class(False, "-problem")

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

    def show_found(self, found: list[Any]) -> None:
        """Show what discovery found (`FoundSession`s: title, url...)."""
        self._found = {}
        options: list[Option] = []
        for index, session in enumerate(found):
            key = f"s{index}"
            url = str(getattr(session, "url", ""))
            self._found[key] = url
            title = str(getattr(session, "title", "") or "whytree session")
            options.append(Option(Content(f"{title}  —  {url.removeprefix('ws://')}"), id=key))
        listing = self.query_one("#found-list", OptionList)
        listing.clear_options()
        listing.add_options(options)
        listing.display = bool(options)
        self.query_one("#found-help", Static).display = not options
        self.query_one("#found-title", Static).update("Found on the network")

    @on(OptionList.OptionSelected, "#found-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        url = self._found.get(event.option.id or "")
        if url:
            self.query_one("#address", Input).value = url
            self.query_one("#code", Input).focus()

    # --- joining -------------------------------------------------------------------------

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        order = ["address", "name", "code"]
        current = event.input.id or ""
        # Enter moves on to the next empty field, and joins from the last one.
        for field in order[order.index(current) + 1:] if current in order else []:
            if not self.query_one(f"#{field}", Input).value.strip():
                self.query_one(f"#{field}", Input).focus()
                return
        self._submit()

    @on(Button.Pressed, "#join-button")
    def _submit(self) -> None:
        address = self.query_one("#address", Input).value
        try:
            url = normalize_url(address)
        except ValueError as problem:
            self.show_problem(str(problem))
            self.query_one("#address", Input).focus()
            return
        code = "".join(self.query_one("#code", Input).value.split())  # "123 456" as shown
        if not code:
            self.show_problem("Type the join code — the facilitator reads it out.")
            self.query_one("#code", Input).focus()
            return
        name = self.query_one("#name", Input).value.strip()
        self.show_busy(f"Connecting to {url} …")
        self.query_one("#join-button", Button).disabled = True
        self.post_message(self.Submitted(url, name, code))
