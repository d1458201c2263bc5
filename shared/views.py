"""What each person may see: the session and its events, redacted for one viewer.

Two rules decide what leaves the server:

* **Hidden votes.** A person's ballot is sent to that person only. Everyone else learns
  only how many people have voted (`VotesCast`), until the facilitator reveals the votes;
  the reveal carries the room's totals, never anyone's ballot.
* **Anonymous sessions.** Nobody learns who wrote what: `author`, an event's `by` and
  `op`, who removed an answer (`removed_by`), and other people's names are sent to nobody
  but the person themselves.

The last removal (`Session.last_removal`) follows both rules: each person holds the
removed branch as they saw it, with only their own votes on it.

Both sides stay equal through this: for every viewer,
`apply(project(state, v), redact(event, v)) == project(apply(state, event), v)`,
which the property tests check.
"""

from __future__ import annotations

import msgspec

from . import protocol as p
from .model import Person, Session, deep_copy


def project(state: Session, viewer: str) -> Session:
    """A copy of `state` as the person `viewer` may see it."""
    anonymous = state.settings.anonymous
    mine = state.ballots.get(viewer)
    causes = state.causes
    if anonymous:
        causes = {
            cause_id: msgspec.structs.replace(cause, author=_own(cause.author, viewer))
            for cause_id, cause in causes.items()
        }
    actions = state.actions
    if anonymous:
        actions = {
            action_id: msgspec.structs.replace(action, author=_own(action.author, viewer))
            for action_id, action in actions.items()
        }
    people = {pid: see_person(person, viewer, anonymous) for pid, person in state.people.items()}
    removal = state.last_removal
    if removal is not None:
        # The removed branch as this viewer saw it: their own votes on it, and (anonymous)
        # no author and no remover but themselves.
        kept = removal.ballots.get(viewer)
        removal = msgspec.structs.replace(removal, ballots={viewer: kept} if kept is not None else {})
        if anonymous:
            removal = msgspec.structs.replace(
                removal,
                removed_by=_own(removal.removed_by, viewer),
                causes=[msgspec.structs.replace(cause, author=_own(cause.author, viewer))
                        for cause in removal.causes],
            )
    seen = msgspec.structs.replace(
        state,
        causes=causes,
        actions=actions,
        people=people,
        ballots={viewer: mine} if mine is not None else {},
        last_removal=removal,
    )
    # A deep copy, so that the viewer's mirror never shares objects with the server's state.
    return deep_copy(seen)


HIDDEN_OP = "-"
"""The `op` inside another person's command, as sent in an anonymous session."""


def redact(event: p.Event, viewer: str, anonymous: bool) -> p.Event:
    """`event` as the person `viewer` may receive it."""
    body = event.command
    if isinstance(body, p.SetSettings) and body.names is not None and (body.anonymous or anonymous):
        # Anonymity turned on: from now on each person knows only their own name. (Also when
        # an older event that turned it off is sent again while the session is anonymous.)
        names = {pid: name if pid == viewer else "" for pid, name in body.names.items()}
        body = msgspec.structs.replace(body, names=names)
        event = msgspec.structs.replace(event, command=body)
    own = event.by is not None and event.by == viewer
    if own:
        return event
    if isinstance(body, p.SetDots | p.SetChange):
        assert body.voters is not None, "the server counts the voters"
        return p.Event(seq=event.seq, by=None, op=None, command=p.VotesCast(voters=body.voters))
    if isinstance(body, p.PersonJoined) and anonymous and body.person.id != viewer:
        body = p.PersonJoined(person=see_person(body.person, viewer, anonymous))
    if anonymous and isinstance(body, p.Command):
        # A client numbers its ops under one prefix, so the op inside the command would
        # tie together everything one person sent (and `set_done` names the person).
        body = msgspec.structs.replace(body, op=HIDDEN_OP)
    return p.Event(seq=event.seq, by=None if anonymous else event.by, op=None, command=body)


def see_person(person: Person, viewer: str, anonymous: bool) -> Person:
    if anonymous and person.id != viewer and person.name:
        return msgspec.structs.replace(person, name="")
    return person


def _own(author: str | None, viewer: str) -> str | None:
    return author if author == viewer else None
