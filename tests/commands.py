"""Commands for the tests to send through a terminal app, built the way its screen builds them.

The session screen builds each command once, with its `op` from the app's mirror
(`Mirror.new_op`); a test that posts `SendCommand` to an app does the same with
`new_command`, so no command ever carries a placeholder `op`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp

C = TypeVar("C", bound=p.ClientCommand)


def new_command(app: WhytreeApp, kind: type[C], **fields: Any) -> C:
    """A `kind` command with `fields`, and a fresh `op` from `app`'s mirror."""
    return kind(op=app.mirror.new_op(), **fields)
