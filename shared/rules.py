"""The session rules: who may do what, when, and what an accepted command becomes.

Design. The server is the only place that decides; it calls `decide(state, who, command,
now)` for every command a connected person sends. `decide` is pure: it reads the state
and returns either a `Refusal` (reason code and a sentence for people) or the
*normalized* command -- text cleaned, ids assigned, and the derived values that clients
cannot compute from what they may see (how many people have voted, the revealed tally)
filled in. The server wraps that in an `Event`, journals it, and every side runs
`apply.apply` on it. So: rules decide, `apply` only carries out.

The rules are kept as data where they are data:

* `ROLE_MAY` -- which roles may send which command (viewers send nothing);
* `OPEN_IN` -- in which steps a participant / the facilitator may send it;

and as a few checks per command below, in one `match`, for everything else (ownership,
budget, per-cause cap, cycles, sizes, a closed session).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import msgspec

from . import protocol as p
from .model import PHASES, Ballot, Person, Phase, Role, Session, Tally
from .text import clean


class Refusal(msgspec.Struct, frozen=True):
    """Why a command was not accepted: a `REASONS` code and a sentence for people."""

    reason: str
    message: str


OPEN: frozenset[Phase] = frozenset(PHASES) - {"closed"}
_VOTING: frozenset[Phase] = frozenset({"weigh"})

ROLE_MAY: dict[type[p.ClientCommand], frozenset[Role]] = {
    **{
        kind: frozenset({"participant", "facilitator"})
        for kind in (p.AddCause, p.EditCause, p.SetDots, p.SetChange, p.AddAction,
                     p.EditAction, p.RemoveAction, p.SetDone)
    },
    **{
        kind: frozenset({"facilitator"})
        for kind in (p.RemoveCause, p.MergeCauses, p.SetAgreement, p.SetSituation,
                     p.SetPhase, p.SetSettings, p.RevealVotes, p.SetTimer, p.LockRoom,
                     p.RemovePerson, p.Close, p.Reopen)
    },
}
"""Roles that may send each command at all (ownership is checked on top)."""

OPEN_IN: dict[type[p.ClientCommand], tuple[frozenset[Phase], frozenset[Phase]]] = {
    # command:        (participant,                      facilitator)
    p.AddCause: (frozenset({"why"}), OPEN),
    p.EditCause: (frozenset({"why", "weigh"}), OPEN),
    p.SetDots: (_VOTING, _VOTING),
    p.SetChange: (_VOTING, _VOTING),
    p.AddAction: (frozenset({"act"}), frozenset({"act", "agree"})),
    p.EditAction: (frozenset({"act"}), frozenset({"act", "agree"})),
    p.RemoveAction: (frozenset({"act"}), frozenset({"act", "agree"})),
    p.SetAgreement: (frozenset(), frozenset({"act", "agree"})),
    p.RevealVotes: (frozenset(), frozenset({"weigh", "act", "agree"})),
    p.SetDone: (OPEN, OPEN),
    p.Reopen: (frozenset(), frozenset({"closed"})),
}
"""Steps in which a participant / the facilitator may send a command. Commands not
listed here are open to the facilitator in every step but `closed`."""

AUTHOR_ONLY: dict[type[p.ClientCommand], str] = {
    p.EditCause: "cause",
    p.EditAction: "action",
    p.RemoveAction: "action",
}
"""Commands a participant may send only about a cause or action they wrote (the field
named here); the facilitator may send them about any. The checks in `_check` below follow
this table, and `tests/test_web_core.py` holds them to it."""

_STEP_NAMES: dict[Phase, str] = {
    "situation": "describing the situation",
    "why": "asking why",
    "weigh": "weighing the causes",
    "act": "proposing actions",
    "agree": "agreeing on next steps",
    "closed": "closed",
}

_WHEN: dict[type[p.ClientCommand], str] = {
    p.AddCause: "Answers are added while asking why.",
    p.EditCause: "Answers can be edited while asking why or weighing.",
    p.SetDots: "Votes are cast in the weigh step.",
    p.SetChange: "Votes are cast in the weigh step.",
    p.AddAction: "Actions are proposed in the act step.",
    p.EditAction: "Actions are edited in the act step.",
    p.RemoveAction: "Actions are removed in the act step.",
    p.SetAgreement: "Next steps are agreed in the act or agree step.",
    p.RevealVotes: "Votes can be revealed once the weigh step has started.",
    p.Reopen: "Only a closed session can be reopened.",
}


def refuse(reason: str, message: str) -> Refusal:
    assert reason in p.REASONS, reason
    return Refusal(reason, message)


def decide(
    state: Session, who: Person, command: p.ClientCommand, now: float
) -> p.ClientCommand | Refusal:
    """Accept `command` from `who` (returning it normalized) or refuse it."""
    kind = type(command)
    if who.role not in ROLE_MAY[kind]:
        if who.role == "viewer":
            return refuse("not_allowed", "This screen is a read-only view.")
        return refuse("not_allowed", "Only the facilitator can do that.")
    if state.phase == "closed" and kind is not p.Reopen:
        return refuse("closed", "The session is closed; nothing can change now.")
    participant_open, facilitator_open = OPEN_IN.get(kind, (frozenset(), OPEN))
    open_now = facilitator_open if who.role == "facilitator" else participant_open
    if state.phase not in open_now:
        when = _WHEN.get(kind, "")
        return refuse("wrong_phase", f"Not now: we are {_STEP_NAMES[state.phase]}. {when}".strip())
    return _check(state, who, command, now)


def _check(
    state: Session, who: Person, command: p.ClientCommand, now: float
) -> p.ClientCommand | Refusal:
    new_id = str(state.seq + 1)
    replace = msgspec.structs.replace
    match command:
        case p.AddCause(parent=parent, text=text):
            if parent is not None and parent not in state.causes:
                return _missing("cause")
            if len(state.causes) >= p.MAX_CAUSES:
                return refuse("full", "This tree holds as many answers as it can.")
            too_deep = depth_refusal(state, parent, None)
            if too_deep is not None:
                return too_deep
            text = clean(text)
            if not text:
                return refuse("invalid", "An answer can't be empty.")
            return replace(command, text=text, id="c" + new_id)

        case p.EditCause(cause=cause_id, text=text):
            cause = state.causes.get(cause_id)
            if cause is None:
                return _missing("cause")
            if who.role != "facilitator" and cause.author != who.id:
                return refuse("not_allowed", "Only its author or the facilitator can edit an answer.")
            text = clean(text)
            if not text:
                return refuse("invalid", "An answer can't be empty.")
            return replace(command, text=text)

        case p.RemoveCause(cause=cause_id):
            if cause_id not in state.causes:
                return _missing("cause")
            ballots = _ballots_after(state, lambda b: remove_votes(b, set(state.subtree(cause_id))))
            return replace(command, voters=_count_voters(ballots), tally=_tally_if_revealed(state, ballots))

        case p.MergeCauses(cause=cause_id, into=into):
            if cause_id not in state.causes or into not in state.causes:
                return _missing("cause")
            if state.is_descendant(into, cause_id):
                return refuse("cycle", "An answer can't be merged into itself or an answer below it.")
            deepest_child = max((state.height(c.id) for c in state.children(cause_id)), default=0)
            if state.depth(into) + deepest_child > p.MAX_DEPTH:
                return _too_deep()
            ballots = _ballots_after(state, lambda b: merge_votes(b, cause_id, into))
            return replace(command, voters=_count_voters(ballots), tally=_tally_if_revealed(state, ballots))

        case p.SetDots(cause=cause_id, dots=dots):
            if cause_id not in state.causes:
                return _missing("cause")
            if state.revealed:
                return _revealed()
            if dots > state.settings.dots_per_cause:
                per = state.settings.dots_per_cause
                return refuse("cap", f"At most {per} dot{'s' if per != 1 else ''} on one cause.")
            ballot = state.ballots.get(who.id, Ballot())
            used_elsewhere = sum(d for c, d in ballot.dots.items() if c != cause_id)
            if used_elsewhere + dots > state.settings.dots_per_person:
                budget = state.settings.dots_per_person
                return refuse("budget", f"You have used all {budget} of your dots; take one back first.")
            after = Ballot(dots=dict(ballot.dots), change=ballot.change)
            if dots:
                after.dots[cause_id] = dots
            else:
                after.dots.pop(cause_id, None)
            return replace(command, voters=_voters_after(state, who.id, after))

        case p.SetChange(cause=cause_id, answer=answer):
            if cause_id not in state.causes:
                return _missing("cause")
            if state.revealed:
                return _revealed()
            ballot = state.ballots.get(who.id, Ballot())
            after = Ballot(dots=ballot.dots, change=dict(ballot.change))
            if answer is None:
                after.change.pop(cause_id, None)
            else:
                after.change[cause_id] = answer
            return replace(command, voters=_voters_after(state, who.id, after))

        case p.AddAction(text=text, causes=causes, who=doers):
            if len(state.actions) >= p.MAX_ACTIONS:
                return refuse("full", "This session holds as many actions as it can.")
            checked = _action_fields(state, text, causes, doers)
            if isinstance(checked, Refusal):
                return checked
            text, causes, doers = checked
            return replace(command, text=text, causes=causes, who=doers, id="a" + new_id)

        case p.EditAction(action=action_id, text=text, causes=causes, who=doers):
            action = state.actions.get(action_id)
            if action is None:
                return _missing("action")
            if who.role != "facilitator" and action.author != who.id:
                return refuse("not_allowed", "Only its author or the facilitator can edit an action.")
            checked = _action_fields(state, text, causes, doers)
            if isinstance(checked, Refusal):
                return checked
            text, causes, doers = checked
            return replace(command, text=text, causes=causes, who=doers)

        case p.RemoveAction(action=action_id):
            action = state.actions.get(action_id)
            if action is None:
                return _missing("action")
            if who.role != "facilitator" and action.author != who.id:
                return refuse("not_allowed", "Only its author or the facilitator can remove an action.")
            return command

        case p.SetAgreement(action=action_id):
            if action_id not in state.actions:
                return _missing("action")
            return replace(command, first_step=clean(command.first_step),
                           owner=clean(command.owner), due=clean(command.due))

        case p.SetSituation(text=text):
            return replace(command, text=clean(text))

        case p.SetPhase():
            return command

        case p.SetSettings(dots_per_person=per_person, dots_per_cause=per_cause,
                           anonymous=anonymous):
            settings = state.settings
            if (per_person, per_cause) != (settings.dots_per_person, settings.dots_per_cause) \
                    and any(b.dots for b in state.ballots.values()):
                return refuse("invalid", "Voting has started: the dots can't change now.")
            if anonymous != settings.anonymous and (state.causes or state.actions):
                return refuse("invalid", "Anonymity is chosen at the start, before any answers.")
            names = None
            if anonymous != settings.anonymous:
                names = {person_id: person.name for person_id, person in state.people.items()}
            return replace(command, names=names)

        case p.RevealVotes(revealed=revealed):
            tally = compute_tally(state.ballots) if revealed else None
            return replace(command, tally=tally)

        case p.SetTimer(seconds=seconds):
            return replace(command, ends_at=None if seconds is None else now + seconds)

        case p.SetDone():
            return replace(command, person=who.id)

        case p.LockRoom():
            return command

        case p.RemovePerson(person=person_id):
            person = state.people.get(person_id)
            if person is None or person.removed:
                return _missing("person")
            if person.role == "facilitator":
                return refuse("not_allowed", "The facilitator can't be removed.")
            return command

        case p.Close():
            return replace(command, closed_at=now)

        case p.Reopen():
            return command

    raise AssertionError(f"no rule for {type(command).__name__}")  # pragma: no cover


# --- votes: shared by the rules (to compute derived values) and by apply ---------------------


def remove_votes(ballot: Ballot, causes: set[str]) -> None:
    """Drop every vote on `causes` from one ballot."""
    for cause_id in causes:
        ballot.dots.pop(cause_id, None)
        ballot.change.pop(cause_id, None)


def merge_votes(ballot: Ballot, cause_id: str, into: str) -> None:
    """Move one ballot's votes from `cause_id` onto `into`: dots add up; an answer already
    given on `into` is kept."""
    dots = ballot.dots.pop(cause_id, 0)
    if dots:
        ballot.dots[into] = ballot.dots.get(into, 0) + dots
    answer = ballot.change.pop(cause_id, None)
    if answer is not None:
        ballot.change.setdefault(into, answer)


def compute_tally(ballots: dict[str, Ballot]) -> dict[str, Tally]:
    """The room's votes per cause, from everyone's ballots."""
    tally: dict[str, Tally] = {}
    for ballot in ballots.values():
        for cause_id, dots in ballot.dots.items():
            tally.setdefault(cause_id, Tally()).dots += dots
        for cause_id, answer in ballot.change.items():
            entry = tally.setdefault(cause_id, Tally())
            setattr(entry, answer, getattr(entry, answer) + 1)
    return tally


def _count_voters(ballots: dict[str, Ballot]) -> int:
    return sum(1 for ballot in ballots.values() if not ballot.is_empty())


def _voters_after(state: Session, person_id: str, after: Ballot) -> int:
    before = state.ballots.get(person_id)
    was_voter = before is not None and not before.is_empty()
    return state.voters + (not after.is_empty()) - was_voter


def _ballots_after(state: Session, change: Callable[[Ballot], None]) -> dict[str, Ballot]:
    ballots = copy.deepcopy(state.ballots)
    for ballot in ballots.values():
        change(ballot)
    return ballots


def _tally_if_revealed(state: Session, ballots: dict[str, Ballot]) -> dict[str, Tally] | None:
    return compute_tally(ballots) if state.revealed else None


def _action_fields(
    state: Session, text: str, causes: list[str], doers: str
) -> tuple[str, list[str], str] | Refusal:
    text = clean(text)
    if not text:
        return refuse("invalid", "An action can't be empty.")
    unique = list(dict.fromkeys(causes))
    if any(cause_id not in state.causes for cause_id in unique):
        return _missing("cause")
    return text, unique, clean(doers)


def depth_refusal(state: Session, parent: str | None, cause_id: str | None) -> Refusal | None:
    """Refuse putting a new answer (`cause_id` None) or the answer `cause_id` with everything
    below it under `parent` when its chain would go deeper than `MAX_DEPTH`."""
    above = 0 if parent is None else state.depth(parent)
    height = 1 if cause_id is None else state.height(cause_id)
    return _too_deep() if above + height > p.MAX_DEPTH else None


def _too_deep() -> Refusal:
    return refuse("too_deep", f"This chain of answers is as deep as it can go ({p.MAX_DEPTH} levels); "
                              "add the answer higher up in the tree.")


def _missing(what: str) -> Refusal:
    return refuse("not_found", f"That {what} is no longer there; someone may have removed it.")


def _revealed() -> Refusal:
    return refuse("revealed", "Votes are revealed. The facilitator can hide them to reopen voting.")
