"""`apply(state, event)`: the one function that changes a session.

The server applies each event it accepts to its authoritative state; every client applies
the same events, as redacted for it (`views.redact`), to its mirror; replaying the journal
applies them again from the start. The same function everywhere is what keeps all of them
equal. It decides nothing (that is `rules.decide`), reads no clock and does no I/O: the
server put every value it needs into the event.

It changes `state` in place (copying a large tree for every vote would be slow on an old
laptop) and returns it, for convenience.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from . import protocol as p
from .model import Action, Ballot, Cause, Session, Tally
from .rules import merge_votes, remove_votes


def apply(state: Session, event: p.Event) -> Session:
    """Apply one accepted event to `state` and advance `state.seq` to `event.seq`."""
    _apply_body(state, event.command, event.by)
    state.seq = event.seq
    return state


def _apply_body(state: Session, body: p.EventBody, by: str | None) -> None:
    match body:
        case p.AddCause(id=cause_id, parent=parent, text=text):
            assert cause_id is not None, "the server names every new cause"
            state.causes[cause_id] = Cause(id=cause_id, parent=parent, text=text, author=by)

        case p.EditCause(cause=cause_id, text=text):
            state.causes[cause_id].text = text

        case p.RemoveCause(cause=cause_id):
            gone = set(state.subtree(cause_id))
            for gone_id in gone:
                del state.causes[gone_id]
            # Hidden votes: no recount (`rules._voters_after`), so emptied ballots stay.
            _each_ballot(state, lambda ballot: remove_votes(ballot, gone), keep_empty=body.voters is None)
            for action in state.actions.values():
                action.causes = [c for c in action.causes if c not in gone]
            _derived_votes(state, body.voters, body.tally, gone)

        case p.MergeCauses(cause=merged_id, into=into):
            for child in state.causes.values():
                if child.parent == merged_id:
                    child.parent = into
            del state.causes[merged_id]
            _each_ballot(state, lambda ballot: merge_votes(ballot, merged_id, into),
                         keep_empty=body.voters is None)
            for action in state.actions.values():
                if merged_id in action.causes:
                    merged = [into if c == merged_id else c for c in action.causes]
                    action.causes = list(dict.fromkeys(merged))
            _derived_votes(state, body.voters, body.tally, {merged_id})

        case p.SetDots(cause=cause_id, dots=dots, voters=voters):
            if by is not None:
                ballot = state.ballots.setdefault(by, Ballot())
                if dots:
                    ballot.dots[cause_id] = dots
                else:
                    ballot.dots.pop(cause_id, None)
                _drop_if_empty(state, by)
            if voters is not None:
                state.voters = voters

        case p.SetChange(cause=cause_id, answer=answer, voters=voters):
            if by is not None:
                ballot = state.ballots.setdefault(by, Ballot())
                if answer is None:
                    ballot.change.pop(cause_id, None)
                else:
                    ballot.change[cause_id] = answer
                _drop_if_empty(state, by)
            if voters is not None:
                state.voters = voters

        case p.VotesCast(voters=voters):
            state.voters = voters

        case p.AddAction(id=action_id):
            assert action_id is not None, "the server names every new action"
            state.actions[action_id] = Action(
                id=action_id, text=body.text, causes=list(body.causes), by=body.by,
                who=body.who, author=by,
            )

        case p.EditAction(action=action_id):
            action = state.actions[action_id]
            action.text, action.causes = body.text, list(body.causes)
            action.by, action.who = body.by, body.who

        case p.RemoveAction(action=action_id):
            del state.actions[action_id]

        case p.SetAgreement(action=action_id):
            action = state.actions[action_id]
            action.agreed, action.first_step = body.agreed, body.first_step
            action.owner, action.due = body.owner, body.due

        case p.SetSituation(text=text, mode=mode):
            state.situation, state.mode = text, mode

        case p.SetPhase(phase=phase):
            if phase != state.phase:
                state.phase = phase
                state.timer_ends = None
                for person in state.people.values():
                    person.done = False

        case p.SetSettings():
            state.settings.dots_per_person = body.dots_per_person
            state.settings.dots_per_cause = body.dots_per_cause
            state.settings.anonymous = body.anonymous
            for person_id, name in (body.names or {}).items():
                if person_id in state.people:
                    state.people[person_id].name = name

        case p.RevealVotes(revealed=revealed, tally=tally):
            state.revealed = revealed
            state.tally = dict(tally or {}) if revealed else {}

        case p.SetTimer(ends_at=ends_at):
            state.timer_ends = ends_at

        case p.SetDone(done=done, person=person_id):
            if person_id in state.people:
                state.people[person_id].done = done

        case p.LockRoom(locked=locked):
            state.locked = locked

        case p.RemovePerson(person=person_id):
            person = state.people[person_id]
            person.removed, person.online = True, False

        case p.Close(closed_at=closed_at):
            state.phase, state.closed_at, state.timer_ends = "closed", closed_at, None

        case p.Reopen():
            state.phase, state.closed_at = "agree", None

        case p.PersonJoined(person=person):
            # A copy: the event's Person must not change when this person's state does.
            state.people[person.id] = msgspec.structs.replace(person)

        case p.Presence(person=person_id, online=online):
            if person_id in state.people:
                state.people[person_id].online = online


def _each_ballot(state: Session, change: Callable[[Ballot], None], *, keep_empty: bool) -> None:
    for person_id in list(state.ballots):
        change(state.ballots[person_id])
        if not keep_empty:
            _drop_if_empty(state, person_id)


def _drop_if_empty(state: Session, person_id: str) -> None:
    if state.ballots[person_id].is_empty():
        del state.ballots[person_id]


def _derived_votes(
    state: Session, voters: int | None, tally: dict[str, Tally] | None, gone: set[str]
) -> None:
    if voters is not None:
        state.voters = voters
    if tally is not None:
        state.tally = dict(tally)
    else:
        for cause_id in gone:
            state.tally.pop(cause_id, None)
