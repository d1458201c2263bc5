"""`ConnectingScreen`: what `whytree join ADDRESS --name .. --code ..` shows while it joins.

When the command line already says everything, the join form is not needed, and the
session shows as soon as the host answers. A host slow to answer (more than
`CONNECTING_AFTER` in `whytree.tui.app`) gets this screen, which says which host it is
connecting to until the session shows. It is one line of text, so
that it costs nothing to put up on an old laptop -- the join form (fields, buttons, the
search on the network) is built only when there is a problem to fix, which the app then
shows on it (a wrong code, an address that does not answer).

Bindings: `ctrl+q` quits (the app's own).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static


class ConnectingScreen(Screen[None]):
    """"Connecting to ADDRESS …", and nothing else, until the session is there."""

    DEFAULT_CSS = """
    ConnectingScreen {
        align: center middle;
    }
    ConnectingScreen > Static {
        width: auto;
    }
    """

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def compose(self) -> ComposeResult:
        yield Static(Content(f"Connecting to {self.url} …   (ctrl+q quits)"), id="connecting")
