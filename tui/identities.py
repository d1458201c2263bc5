"""Who this laptop was in each session: the tokens that bring a participant back as themselves.

When the host welcomes someone it hands them a token; showing it again on the next join
makes them the same person (their answers still read "you", their dots and votes are
theirs). `Identities` keeps those tokens on the participant's own laptop, in one private
file (`identities.json` in the user data folder: folder 0o700, file 0o600, replaced in
one step so a crash never leaves half of it), one entry per server address, session and
kind of seat (participant, viewer, co-facilitator).

A damaged, unreadable or over-large file is read as empty: joining as someone new is
better than not joining. Saving is best effort for the same reason; `problem` says what
went wrong. The file is written with `whytree.tui.files` (the participant's side), not the
host's own `whytree.server.files`.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Literal

import msgspec

from whytree.tui.files import write_private

log = logging.getLogger(__name__)

FILE_NAME = "identities.json"
MAX_ENTRIES = 200
"""The newest entries kept; older sessions are forgotten."""
MAX_FILE_BYTES = 1_000_000

Seat = Literal["participant", "viewer", "facilitator"]


class Identity(msgspec.Struct, kw_only=True):
    """One saved seat: coming back to `url` as `name` with `token`."""

    url: str
    session: str
    seat: Seat
    token: str
    name: str = ""
    saved_at: float = 0.0


_decoder = msgspec.json.Decoder(list[Identity])
_encoder = msgspec.json.Encoder()


class Identities:
    """The tokens saved in `folder` (usually the user data folder)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE_NAME
        self.problem: str | None = None
        """Why the last save failed, or None."""

    def find(self, url: str, seat: Seat) -> Identity | None:
        """The newest identity saved for `url` in this kind of seat."""
        found = [entry for entry in self._read() if entry.url == url and entry.seat == seat]
        return max(found, key=lambda entry: entry.saved_at, default=None)

    def remember(self, url: str, session: str, seat: Seat, token: str, name: str) -> None:
        """Save (or replace) the identity for this address, session and seat."""
        entries = [entry for entry in self._read()
                   if (entry.url, entry.session, entry.seat) != (url, session, seat)]
        entries.append(Identity(url=url, session=session, seat=seat, token=token, name=name,
                                saved_at=time.time()))
        entries.sort(key=lambda entry: entry.saved_at)
        self._write(entries[-MAX_ENTRIES:])

    def _read(self) -> list[Identity]:
        try:
            if self.path.stat().st_size > MAX_FILE_BYTES:
                log.warning("identities: %s is too large; ignored", self.path)
                return []
            return _decoder.decode(self.path.read_bytes())
        except FileNotFoundError:
            return []
        except (OSError, msgspec.DecodeError) as exc:
            log.warning("identities: cannot read %s (%s); starting afresh", self.path, exc)
            return []

    def _write(self, entries: list[Identity]) -> None:
        try:
            write_private(self.path, _encoder.encode(entries))
        except OSError as exc:
            self.problem = f"Could not save who you are in this session on this laptop ({exc})."
            log.warning("identities: %s", self.problem)
            return
        self.problem = None
