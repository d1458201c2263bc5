"""Messages that widgets post up to the app ("attributes down, messages up").

The session screen never talks to the network: it builds each command once, with its
`op` from the mirror (`Mirror.new_op`), puts it in the mirror's outbox as the key is
pressed and posts `SendCommand`; the app sends it (or the outbox keeps it until the link
is back). The step panels post their own messages to the screen, which builds the command.
"""

from __future__ import annotations

from textual.message import Message

from whytree.shared import protocol as p


class SendCommand(Message):
    """Ask the app to send `command` (its `op` from the mirror's `new_op`) to the server."""

    def __init__(self, command: p.ClientCommand) -> None:
        super().__init__()
        self.command = command


class NewJoinCode(Message):
    """The host's facilitator wants a new join code (someone may be guessing it)."""
