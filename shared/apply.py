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
from .model import Action, Ballot, Cause, Removal, Session, Tally
from .rules import merge_votes, remove_votes, restore_ballot


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
            state.last_removal = _removal(state, cause_id, by)
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

        case p.MoveCause(cause=cause_id, parent=parent):
            state.causes[cause_id].parent = parent
            # Last among its new siblings, with everything below it after it: a parent
            # always comes before its answers in the session's order.
            moved = set(state.subtree(cause_id))
            for moved_id in [c for c in state.causes if c in moved]:
                state.causes[moved_id] = state.causes.pop(moved_id)

        case p.RestoreCause():
            if state.last_removal is not None:
                _restore(state, state.last_removal)
            state.last_removal = None
            if body.voters is not None:
                state.voters = body.voters
            if body.tally is not None:
                state.tally = dict(body.tally)

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
            if body.anonymous != state.settings.anonymous:
                state.last_removal = None  # kept as its viewers could see it then
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
            state.last_removal = None  # removed words stay out of the saved results

        case p.Reopen():
            state.phase, state.closed_at = "agree", None

        case p.PersonJoined(person=person):
            # A copy: the event's Person must not change when this person's state does.
            state.people[person.id] = msgspec.structs.replace(person)

        case p.Presence(person=person_id, online=online):
            if person_id in state.people:
                state.people[person_id].online = online


def _removal(state: Session, cause_id: str, by: str | None) -> Removal:
    """What `restore_cause` needs to bring back `cause_id` and everything below it."""
    top = state.causes[cause_id]
    gone = set(state.subtree(cause_id))
    siblings = [c.id for c in state.causes.values() if c.parent == top.parent]
    place = siblings.index(cause_id)
    ballots: dict[str, Ballot] = {}
    for person_id, ballot in state.ballots.items():
        saved = Ballot(dots={c: d for c, d in ballot.dots.items() if c in gone},
                       change={c: a for c, a in ballot.change.items() if c in gone})
        if not saved.is_empty():
            ballots[person_id] = saved
    return Removal(
        removed_by=by,
        causes=[top, *(c for c in state.causes.values() if c.id in gone and c.id != cause_id)],
        before=siblings[place + 1] if place + 1 < len(siblings) else None,
        links={a.id: list(a.causes) for a in state.actions.values() if gone.intersection(a.causes)},
        ballots=ballots,
    )


def _restore(state: Session, removal: Removal) -> None:
    """Put a removed branch back where it was, with its action links and votes."""
    top = removal.causes[0]
    branch = {cause.id: cause for cause in removal.causes}
    before = state.causes.get(removal.before) if removal.before is not None else None
    if before is None or before.parent != top.parent:
        state.causes.update(branch)  # its next sibling moved away: it comes last
    else:
        causes = list(state.causes.items())
        state.causes.clear()
        for cause_id, cause in causes:
            if cause_id == before.id:
                state.causes.update(branch)
            state.causes[cause_id] = cause
    for action_id, linked in removal.links.items():
        action = state.actions.get(action_id)
        if action is not None:
            now = action.causes
            merged = [c for c in linked if c in branch or c in now] + [c for c in now if c not in linked]
            action.causes = merged[: p.MAX_CAUSES_PER_ACTION]
    for person_id, saved in removal.ballots.items():
        restore_ballot(state.ballots, person_id, saved, state.settings)


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
