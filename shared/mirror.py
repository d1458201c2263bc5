"""The client side of the protocol without any I/O: a mirror of the session.

A `Mirror` turns what the user does into frames to send, and frames received into state
changes, exactly like the websockets library's sans-I/O `Protocol`: the TUI (and the
tests' simulated clients) move the bytes; the mirror decides what they mean.

It keeps every command in an outbox until the server answers it (with the event that
carries the command's `op`, or a rejection), so commands made while the link was down are
sent again after the rejoin, and a retry is harmless because the server applies an `op`
only once.

The outbox is also what the screen asks about before the server has answered: a person
who presses `+` twice in a row means two dots, even though the first `set_dots` has not
come back yet. `my_ballot`, `latest` and `ahead` answer with the commands still waiting
counted, in the order they were made; a command the server refuses leaves the outbox, so
the answer falls back to what the server holds.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from typing import TypeVar

import msgspec

from . import protocol as p
from .apply import apply
from .model import Ballot, Person, Session, deep_copy

C = TypeVar("C", bound=p.ClientCommand)

TRANSIENT_REASONS = frozenset({"storage", "busy"})
"""Rejections that say "not now" rather than "no": the command stays in the outbox."""


class ResyncNeeded(Exception):
    """The event stream has a gap: rejoin (with `since`) to catch up."""


@dataclass
class Received:
    """What one incoming frame did, for the screen to show."""

    frame: p.ServerFrame
    applied: list[p.Event] = field(default_factory=list)
    """Events applied to the state, in order (empty for a rejection or an error)."""
    fresh_state: bool = False
    """The whole state was replaced (a `welcome` with a state): redraw everything."""
    rejected: p.Rejected | None = None
    """One of this client's commands was refused; nothing changed."""

    def then(self, later: Received) -> Received:
        """What this frame and `later` (the next one taken) did together, as one: the
        screen shows a batch of frames once. A whole new state forgets the events before it."""
        applied = later.applied if later.fresh_state else [*self.applied, *later.applied]
        return Received(later.frame, applied, self.fresh_state or later.fresh_state,
                        later.rejected or self.rejected)


class Mirror:
    """One client's view of the session, and its queue of unanswered commands."""

    def __init__(self) -> None:
        self.state: Session | None = None
        self.me: Person | None = None
        self.token: str | None = None
        self.server_offset = 0.0
        """Server clock minus this client's clock, learnt at `welcome`."""
        self.outbox: dict[str, p.ClientCommand] = {}
        self.resuming_to: int | None = None
        """After a `welcome` that resumes: the `seq` of the newest event the server had then
        (the missed events up to it follow right behind)."""
        self._ops = itertools.count(1)
        self._prefix = secrets.token_hex(4)

    # --- outgoing -------------------------------------------------------------------------

    def new_op(self) -> str:
        """A fresh `op` id, unique for this client."""
        return f"{self._prefix}-{next(self._ops)}"

    def join_frame(
        self,
        *,
        code: str | None = None,
        facilitator_key: str | None = None,
        name: str = "",
        role: str = "participant",
    ) -> bytes:
        """The `join` frame for a new connection: as a returning person (token) and from
        the last event seen (`since`) when this mirror has been in the session before."""
        since = self.state.seq if self.state is not None else None
        join = p.Join(
            code=code, facilitator_key=facilitator_key, name=name,
            role="viewer" if role == "viewer" else "participant",
            token=self.token, since=since,
        )
        return p.encode(join)

    def command(self, command: p.ClientCommand) -> bytes:
        """Queue `command` until the server answers it; return its frame to send now."""
        self.outbox[command.op] = command
        return p.encode(command)

    def retry_frame(self, op: str) -> bytes | None:
        """The frame of a command still waiting for an answer (None once answered)."""
        command = self.outbox.get(op)
        return None if command is None else p.encode(command)

    def pending_frames(self) -> list[bytes]:
        """Every unanswered command, oldest first: send these again after a rejoin."""
        return [p.encode(command) for command in self.outbox.values()]

    # --- what it will be: the state with the commands still waiting ---------------------

    def latest(self, kind: type[C]) -> C | None:
        """The newest command of `kind` still waiting for the server's answer."""
        for command in reversed(self.outbox.values()):
            if isinstance(command, kind):
                return command
        return None

    def my_ballot(self) -> Ballot:
        """This person's votes as they will be once the server has taken every vote still
        in the outbox: the ballot in the state with those votes laid over it, in order."""
        mine = None
        if self.state is not None and self.me is not None:
            mine = self.state.ballots.get(self.me.id)
        ballot = Ballot(dots=dict(mine.dots), change=dict(mine.change)) if mine else Ballot()
        for command in self.outbox.values():
            match command:
                case p.SetDots(cause=cause_id, dots=dots):
                    if dots:
                        ballot.dots[cause_id] = dots
                    else:
                        ballot.dots.pop(cause_id, None)
                case p.SetChange(cause=cause_id, answer=answer):
                    if answer is None:
                        ballot.change.pop(cause_id, None)
                    else:
                        ballot.change[cause_id] = answer
                case _:
                    pass
        return ballot

    def me_ahead(self) -> Person | None:
        """This person with an "I'm done" still on its way counted."""
        done = self.latest(p.SetDone)
        if self.me is None or done is None:
            return self.me
        return msgspec.structs.replace(self.me, done=done.done)

    def ahead(self) -> Session | None:
        """The mirrored state as it will be once the server has taken this person's
        waiting votes, "I'm done" and room lock: what the screen shows and what it asks
        the rules about, so that each key press builds on the one before.

        A shallow copy: everything else is the mirrored state itself (do not change it).
        """
        state, me = self.state, self.me_ahead()
        if state is None or me is None or not self.outbox:
            return state
        ballots = dict(state.ballots)
        ballot = self.my_ballot()
        if ballot.is_empty():
            ballots.pop(me.id, None)
        else:
            ballots[me.id] = ballot
        people = state.people
        if me.id in people and people[me.id].done != me.done:
            people = {**people, me.id: me}
        lock = self.latest(p.LockRoom)
        locked = state.locked if lock is None else lock.locked
        return msgspec.structs.replace(state, ballots=ballots, people=people, locked=locked)

    # --- incoming -------------------------------------------------------------------------

    @property
    def catching_up(self) -> bool:
        """Resuming, and the events missed while away are still arriving: show nothing new
        until they are all applied (then show them at once)."""
        return (self.state is not None and self.resuming_to is not None
                and self.state.seq < self.resuming_to)

    def receive(self, data: bytes | str, local_time: float) -> Received:
        """Take one frame from the server. Raises `msgspec.DecodeError` for a frame that
        is not valid, and `ResyncNeeded` when events are missing."""
        frame = p.decode_server_frame(data)
        result = Received(frame)
        match frame:
            case p.Welcome(you=you, token=token, state=state, server_time=server_time,
                           latest=latest):
                self.me, self.token = you, token
                self.server_offset = server_time - local_time
                self.resuming_to = None
                if state is not None:
                    self.state = state
                    result.fresh_state = True
                elif self.state is None:
                    raise ResyncNeeded("the server resumed a session this client never had")
                else:
                    self.resuming_to = latest
            case p.Event(seq=seq, op=op):
                if op is not None:
                    self.outbox.pop(op, None)
                if self.state is None or seq <= self.state.seq:
                    return result  # already applied (a replay after a retry)
                if seq != self.state.seq + 1:
                    raise ResyncNeeded(f"expected event {self.state.seq + 1}, got {seq}")
                apply(self.state, frame)
                result.applied.append(frame)
                if self.me is not None and self.me.id in self.state.people:
                    self.me = self.state.people[self.me.id]
            case p.Rejected(op=op, reason=reason):
                # Refusals that pass are kept to send again: a host that cannot save
                # rejects everything until it can, then asks everyone to reconnect; and a
                # long queue of offline changes sent at once meets the flood limit
                # (`retry_frame` after a moment). Every other refusal is final.
                if reason not in TRANSIENT_REASONS:
                    self.outbox.pop(op, None)
                result.rejected = frame
            case p.Error():
                pass
        return result

    def copy_state(self) -> Session | None:
        """An independent copy of the mirrored state (for tests and saving)."""
        if self.state is None:
            return None
        return deep_copy(self.state)
