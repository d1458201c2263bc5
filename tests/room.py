"""A room around the real server core (`Hub`), without sockets, for fast property tests.

`Room` connects people to a `Hub` the way `server.app` does (frames in, `Send`s out),
keeps every frame the hub sent, and journals every record into a real SQLite `Journal`
(when given a folder), so a test can replay the journal into a fresh hub and compare.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from whytree.server.hub import Hub, Send
from whytree.server.journal import Journal
from whytree.shared import protocol as p
from whytree.shared.apply import apply
from whytree.shared.model import Session

CODE = "123456"
KEY = "room-facilitator-key"


class Room:
    """One hub, the people joined to it, and everything it sent."""

    def __init__(self, journal_dir: Path | None = None, session_id: str = "s1") -> None:
        self.hub = Hub(Session(id=session_id, title="Room"), CODE, KEY)
        self.session_id = session_id
        self.journal = Journal(journal_dir) if journal_dir is not None else None
        if self.journal is not None:
            self.journal.create_session(session_id, "Room", CODE, KEY)
        self.sent: list[bytes] = []
        self.people: dict[str, int] = {}
        """Name -> connection."""
        self.inbox: dict[int, list[bytes]] = {}
        """Connection -> every frame sent to it."""
        self._conns = itertools.count(1)
        self._ops = itertools.count(1)
        self.now = 1000.0

    def op(self) -> str:
        return f"op{next(self._ops)}"

    def join(self, name: str, *, facilitator: bool = False, role: str = "participant") -> list[p.ServerFrame]:
        conn = next(self._conns)
        self.hub.connect(conn, f"10.0.0.{conn}", self.now)
        join = (p.Join(facilitator_key=KEY, name=name) if facilitator
                else p.Join(code=CODE, name=name, role="viewer" if role == "viewer" else "participant"))
        frames = self._feed(conn, p.encode(join))
        self.people[name] = conn
        return frames

    def send(self, name: str, command: p.ClientCommand) -> list[p.ServerFrame]:
        """Send `command` as `name`; return the frames addressed to `name`."""
        return self._feed(self.people[name], p.encode(command))

    def send_raw(self, name: str, data: bytes) -> list[p.ServerFrame]:
        return self._feed(self.people[name], data)

    def _feed(self, conn: int, data: bytes) -> list[p.ServerFrame]:
        self.now += 0.5  # well inside the flood limit
        outputs = self.hub.receive(conn, data, self.now)
        records = self.hub.take_unsaved()
        if self.journal is not None:
            self.journal.write(self.session_id, records)
        mine: list[p.ServerFrame] = []
        for output in outputs:
            if isinstance(output, Send):
                self.sent.append(output.data)
                for to in output.to:
                    self.inbox.setdefault(to, []).append(output.data)
                if conn in output.to:
                    mine.append(p.decode_server_frame(output.data))
        return mine

    def replayed(self) -> Session:
        """The state a restarted host gets from the journal on disk."""
        assert self.journal is not None
        fresh = Hub(Session(id=self.session_id, title="Room"), CODE, KEY)
        for record in self.journal.records(self.session_id):
            fresh.replay(record)
        return fresh.state

    def screen(self, name: str) -> Session:
        """What `name`'s client holds: its welcome's state with every event it received
        applied (exactly what a real client does, see `shared.mirror`)."""
        mirror: Session | None = None
        for data in self.inbox[self.people[name]]:
            frame = p.decode_server_frame(data)
            if isinstance(frame, p.Welcome) and frame.state is not None:
                mirror = frame.state
            elif isinstance(frame, p.Event) and mirror is not None and frame.seq == mirror.seq + 1:
                apply(mirror, frame)
        assert mirror is not None, f"{name} was never welcomed"
        return mirror

    def person_id(self, name: str) -> str:
        person = self.hub.person_of(self.people[name])
        assert person is not None
        return person.id

    @property
    def state(self) -> Session:
        return self.hub.state


def accepted(frames: list[p.ServerFrame]) -> p.Event:
    """The event that answered a command (fails with the refusal otherwise)."""
    for frame in frames:
        if isinstance(frame, p.Event):
            return frame
    raise AssertionError(f"not accepted: {frames}")


def refusal(frames: list[p.ServerFrame]) -> str:
    for frame in frames:
        if isinstance(frame, p.Rejected):
            return frame.reason
        if isinstance(frame, p.Error):
            return frame.code
    raise AssertionError(f"not refused: {frames}")
