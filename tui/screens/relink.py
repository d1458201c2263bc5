"""Dialogs for a link that cannot go on as it is: opened on another screen, or a new address.

`ElsewhereScreen` tells a person that the same session was opened on another screen (the
same person joined again, say a second `whytree join` on this laptop): this screen stopped
following it and does not reconnect by itself, so two screens never take the session from
each other in turn. It offers to use this screen again (which makes the other one stop).

`AddressScreen` asks for a new address while the link is down (the host restarted on
another port): the person's place in the session -- what they see, what they typed while
offline, who they are -- is kept.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from whytree.tui.connection import normalize_url


class ElsewhereScreen(ModalScreen[bool]):
    """"Opened on another screen": True to use this screen again, False to quit."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "use_here", "Use this screen"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="elsewhere"):
            yield Static(Content(self.message), classes="dialog-text")
            yield Static(Content("Using this screen again stops the other one."), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Use this screen (u)", id="use-here", variant="primary")
                yield Button("Quit (q)", id="quit")

    def on_mount(self) -> None:
        self.query_one("#use-here", Button).focus()

    @on(Button.Pressed, "#use-here")
    def action_use_here(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#quit")
    def action_quit(self) -> None:
        self.dismiss(False)


class AddressScreen(ModalScreen[str | None]):
    """Type the host's new address: the websocket URL, or None to keep trying the old one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    AddressScreen #address-problem { color: $text-error; text-style: bold; height: auto; }
    """

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="new-address"):
            yield Static(Content(
                f"whytree cannot reach the host at {self.current.removeprefix('ws://')}. If the "
                "host's screen shows a different address now, type it here. Your place in the "
                "session and anything you typed meanwhile are kept."), classes="dialog-text")
            yield Static("", id="address-problem", classes="dialog-problem")
            yield Label("New address of the host, e.g. 192.168.1.20:8765")
            yield Input(self.current.removeprefix("ws://"), id="new-address-input")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Connect", id="connect", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#address-problem", Static).display = False
        self.query_one("#new-address-input", Input).focus()

    @on(Input.Changed, "#new-address-input")
    def _changed(self) -> None:
        self.query_one("#address-problem", Static).display = False

    @on(Input.Submitted, "#new-address-input")
    @on(Button.Pressed, "#connect")
    def _connect(self) -> None:
        typed = self.query_one("#new-address-input", Input).value.strip()
        if typed and "://" not in typed and self.current.startswith("wss://"):
            typed = "wss://" + typed  # an encrypted session stays encrypted
        try:
            url = normalize_url(typed)
        except ValueError as problem:
            shown = self.query_one("#address-problem", Static)
            shown.update(Content(str(problem)))
            shown.display = True
            return
        self.dismiss(url)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
