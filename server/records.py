"""What the journal keeps: one `Record` per accepted event or per token handed out.

The hub (`hub.py`) makes records as it accepts changes and hands them over with
`take_unsaved()`; the journal (`journal.py`) writes them to SQLite and reads them back to
resume a session. Both import this module, so neither depends on the other.
"""

from __future__ import annotations

import msgspec

from whytree.shared import protocol as p


class Record(msgspec.Struct, kw_only=True):
    """One journal entry: an accepted event with the digest of the command as its author
    sent it (to recognise a retry); or a token: the hash of a token that lets `person`
    come back as themselves."""

    event: p.Event | None = None
    digest: str = ""
    token_hash: str = ""
    person: str = ""
