"""Messages that widgets post up to the app ("attributes down, messages up").

A widget that wants to change the session never talks to the network: it posts
`SendCommand` with the command it wants, and the app records it in the mirror's outbox
and sends it (or keeps it until the link is back). The session screen builds its commands
with a real `op` from the mirror and queues them itself as the key is pressed, so the app
only sends those; a step panel's command still carrying `DRAFT_OP` gets a fresh `op`.
"""

from __future__ import annotations

from textual.message import Message

from whytree.shared import protocol as p

DRAFT_OP = "draft"
"""Placeholder `op` for commands built by widgets; the app replaces it before sending."""


class SendCommand(Message):
    """Ask the app to send `command` to the server (a `DRAFT_OP` is replaced by the app)."""

    def __init__(self, command: p.ClientCommand) -> None:
        super().__init__()
        self.command = command


class NewJoinCode(Message):
    """The host's facilitator wants a new join code (someone may be guessing it)."""
