"""The session rules: who may do what, when, and what an accepted command becomes.

Design. The server is the only place that decides; it calls `decide(state, who, command,
now)` for every command a connected person sends. `decide` is pure: it reads the state
and returns either a `Refusal` (reason code and a sentence for people) or the
*normalized* command -- text cleaned, ids assigned, and the derived values that clients
cannot compute from what they may see (how many people have voted, the revealed tally)
filled in. The server wraps that in an `Event`, journals it, and every side runs
`apply.apply` on it. So: rules decide, `apply` only carries out.

Whether a person may send a kind of command now is asked in one place, `may(state, who,
kind, target)`: `decide` asks it first, and the screens ask it to offer only what the
rules allow (the TUI's keys, footer, palette and panels; the browser through the same
tables exported in `export.py`). Its answer is kept as data:

* `ROLE_MAY` -- which roles may send which command (viewers send nothing);
* `OPEN_IN` -- in which steps a participant / the facilitator may send it;
* `SHUT_WHILE_REVEALED` -- the votes, which nobody changes while the tally shows;
* `AUTHOR_ONLY`, `OWN_BRANCH_ONLY` -- what a participant may do only to their own words;
* `REMOVER_ONLY` -- the undo of a removal, only for whoever removed.

What depends on the command's values (the budget, the per-cause cap, cycles, depth,
sizes, the tree's capacity) is checked after it, per command, in one `match`.

Fixing mistakes in the tree:

* `move_cause` puts an answer, with everything below it, under another parent (or the
  situation): the facilitator in every open step, its author while asking why. Never under
  itself or an answer below it (`cycle`), never deeper than `MAX_DEPTH` (`too_deep`). Votes
  and actions stay with it (they name it by id); it comes last among its new siblings.
* `remove_cause`: the facilitator removes any answer with everything below it; a
  participant, while asking why, only an answer of their own with nothing below it but
  their own answers -- nobody removes other people's words (they ask the facilitator).
* The session keeps the last removal (`Session.last_removal`: the branch, its place among
  its siblings, the action links and everyone's votes on it) and `restore_cause` brings it
  back exactly, undone by the person who removed it and nobody else (the author's choice
  to remove their words stands). Votes come back as far as each person's dots allow: a
  person who has since spent the freed dots elsewhere gets back the ones that still fit.
  The record is kept until the next removal, a change of anonymity or the close.

`depth_refusal` answers one question about a place in the tree for the screens before
anyone types: does one more level fit there.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import msgspec

from . import protocol as p
from .model import PHASES, Ballot, Cause, Person, Phase, Role, Session, Settings, Tally
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
                     p.EditAction, p.RemoveAction, p.SetDone, p.MoveCause, p.RemoveCause,
                     p.RestoreCause)
    },
    **{
        kind: frozenset({"facilitator"})
        for kind in (p.MergeCauses, p.SetAgreement, p.SetSituation,
                     p.SetPhase, p.SetSettings, p.RevealVotes, p.SetTimer, p.LockRoom,
                     p.RemovePerson, p.Close, p.Reopen)
    },
}
"""Roles that may send each command at all (ownership is checked on top)."""

OPEN_IN: dict[type[p.ClientCommand], tuple[frozenset[Phase], frozenset[Phase]]] = {
    # command:        (participant,                      facilitator)
    p.AddCause: (frozenset({"why"}), OPEN),
    p.EditCause: (frozenset({"why", "weigh"}), OPEN),
    p.MoveCause: (frozenset({"why"}), OPEN),
    p.RemoveCause: (frozenset({"why"}), OPEN),
    p.RestoreCause: (frozenset({"why"}), OPEN),
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
    p.MoveCause: "cause",
    p.RemoveCause: "cause",
    p.EditAction: "action",
    p.RemoveAction: "action",
}
"""Commands a participant may send only about a cause or action they wrote (the field
named here, which `decide` hands to `may` as its target); the facilitator may send them
about any. `tests/test_web_may.py` holds the browser's reading of these tables to `may`."""

OWN_BRANCH_ONLY: frozenset[type[p.ClientCommand]] = frozenset({p.RemoveCause})
"""`AUTHOR_ONLY` commands that take everything below the answer with it: a participant
may send them only when every answer below is theirs too (nobody removes other people's
words; they ask the facilitator)."""

REMOVER_ONLY: frozenset[type[p.ClientCommand]] = frozenset({p.RestoreCause})
"""Commands only the person who made the last removal may send (`Session.last_removal`),
the facilitator included."""

SHUT_WHILE_REVEALED: frozenset[type[p.ClientCommand]] = frozenset({p.SetDots, p.SetChange})
"""Commands nobody may send while the votes are revealed (hiding them reopens voting)."""

_AUTHOR_DOES: dict[type[p.ClientCommand], str] = {
    p.EditCause: "edit an answer",
    p.MoveCause: "move an answer",
    p.RemoveCause: "remove an answer",
    p.EditAction: "edit an action",
    p.RemoveAction: "remove an action",
}
"""What each `AUTHOR_ONLY` command does, for the sentence that refuses it."""

_STEP_NAMES: dict[Phase, str] = {
    "situation": "describing the situation",
    "why": "asking why",
    "weigh": "weighing the answers",
    "act": "proposing actions",
    "agree": "agreeing on next steps",
    "closed": "closed",
}

_WHEN: dict[type[p.ClientCommand], str] = {
    p.AddCause: "Answers are added while asking why.",
    p.EditCause: "Answers can be edited while asking why or weighing.",
    p.MoveCause: "Answers are moved while asking why.",
    p.RemoveCause: "Answers are removed while asking why.",
    p.RestoreCause: "Answers are brought back while asking why.",
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
    field = AUTHOR_ONLY.get(kind)
    refusal = may(state, who, kind, None if field is None else getattr(command, field))
    if refusal is not None:
        return refusal
    return _check(state, who, command, now)


def may(
    state: Session, who: Person, kind: type[p.ClientCommand], target: str | None = None
) -> Refusal | None:
    """Whether `who` may send a command of `kind` now (None: yes), as far as it depends on
    who they are, the step, the votes showing, whose words it touches and who removed
    what -- not on the values the command carries (those `decide` checks after this).

    `target` is the cause or action an `AUTHOR_ONLY` command is about (the field the table
    names); without it the answer is about their own words, so that a screen can ask
    whether to offer "edit" at all before anything is selected."""
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
    if kind in SHUT_WHILE_REVEALED and state.revealed:
        return _revealed()
    field = AUTHOR_ONLY.get(kind)
    if field is not None and target is not None:
        items = state.causes if field == "cause" else state.actions
        item = items.get(target)
        if item is None:
            return _missing("answer" if field == "cause" else field)  # (the word people read)
        if who.role != "facilitator" and item.author != who.id:
            return refuse("not_allowed", f"Only its author or the facilitator can {_AUTHOR_DOES[kind]}.")
        if (kind in OWN_BRANCH_ONLY and who.role != "facilitator"
                and any(state.causes[below].author != who.id for below in state.subtree(target))):
            return refuse("not_allowed", "Other people's answers are below this one, so only the "
                                         "facilitator can remove it.")
    if kind in REMOVER_ONLY:
        removal = state.last_removal
        if removal is None or not removal.causes:
            return refuse("not_found", "There is no removed answer to bring back.")
        if removal.removed_by != who.id:
            return refuse("not_allowed", "Only the person who removed an answer can bring it back.")
    return None


def _place_refusal(state: Session, cause_id: str, parent: str | None) -> Refusal | None:
    """Whether the answer `cause_id` (there: `may` looked) can go under `parent` (None: the
    situation)."""
    if parent is not None and parent not in state.causes:
        return _missing("answer")
    if parent == state.causes[cause_id].parent:
        return refuse("invalid", "It is already there: select the answer it should go under "
                                 "(or the situation).")
    if parent is not None and state.is_descendant(parent, cause_id):
        return refuse("cycle", "An answer can't go under itself or under an answer below it.")
    return depth_refusal(state, parent, cause_id)


def _check(
    state: Session, who: Person, command: p.ClientCommand, now: float
) -> p.ClientCommand | Refusal:
    new_id = str(state.seq + 1)
    replace = msgspec.structs.replace
    match command:
        case p.AddCause(parent=parent, text=text):
            if parent is not None and parent not in state.causes:
                return _missing("answer")
            if len(state.causes) >= p.MAX_CAUSES:
                return refuse("full", "This tree holds as many answers as it can.")
            too_deep = depth_refusal(state, parent, None)
            if too_deep is not None:
                return too_deep
            answer = _cleaned(text, p.MAX_CAUSE_TEXT, "This answer")
            if isinstance(answer, Refusal):
                return answer
            if not answer:
                return refuse("invalid", "An answer can't be empty.")
            return replace(command, text=answer, id="c" + new_id)

        case p.EditCause(text=text):
            answer = _cleaned(text, p.MAX_CAUSE_TEXT, "This answer")
            if isinstance(answer, Refusal):
                return answer
            if not answer:
                return refuse("invalid", "An answer can't be empty.")
            return replace(command, text=answer)

        case p.RemoveCause(cause=cause_id):
            if not state.revealed:
                return replace(command, voters=None, tally=None)  # see `_voters_after`
            ballots = _ballots_after(state, lambda b: remove_votes(b, set(state.subtree(cause_id))))
            return replace(command, voters=_count_voters(ballots), tally=compute_tally(ballots))

        case p.MergeCauses(cause=cause_id, into=into):
            if cause_id not in state.causes or into not in state.causes:
                return _missing("answer")
            if state.is_descendant(into, cause_id):
                return refuse("cycle", "An answer can't be merged into itself or an answer below it.")
            deepest_child = max((state.height(c.id) for c in state.children(cause_id)), default=0)
            if state.depth(into) + deepest_child > p.MAX_DEPTH:
                return _too_deep()
            if not state.revealed:
                return replace(command, voters=None, tally=None)  # see `_voters_after`
            ballots = _ballots_after(state, lambda b: merge_votes(b, cause_id, into))
            return replace(command, voters=_count_voters(ballots), tally=compute_tally(ballots))

        case p.MoveCause(cause=cause_id, parent=parent):
            refusal = _place_refusal(state, cause_id, parent)
            return command if refusal is None else refusal

        case p.RestoreCause(cause=cause_id):
            assert state.last_removal is not None  # `may` made sure
            removal = state.last_removal
            top = removal.causes[0]
            if top.id != cause_id:
                return refuse("not_found", "That removal can't be undone any more: something "
                                           "else was removed after it.")
            if top.parent is not None and top.parent not in state.causes:
                return refuse("not_found", "The answer it was under is gone, so it can't come back.")
            if len(state.causes) + len(removal.causes) > p.MAX_CAUSES:
                return refuse("full", "This tree holds as many answers as it can.")
            above = 0 if top.parent is None else state.depth(top.parent)
            if above + branch_height(removal.causes) > p.MAX_DEPTH:
                return _too_deep()
            ballots = copy.deepcopy(state.ballots)
            for person_id, saved in removal.ballots.items():
                restore_ballot(ballots, person_id, saved, state.settings)
            # A voter is whoever holds a ballot (see `_voters_after`).
            tally = compute_tally(ballots) if state.revealed else None
            return replace(command, voters=len(ballots), tally=tally)

        case p.SetDots(cause=cause_id, dots=dots):
            if cause_id not in state.causes:
                return _missing("answer")
            if dots > state.settings.dots_per_cause:
                per = state.settings.dots_per_cause
                return refuse("cap", f"At most {per} dot{'s' if per != 1 else ''} on one answer.")
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
                return _missing("answer")
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

        case p.EditAction(text=text, causes=causes, who=doers):
            checked = _action_fields(state, text, causes, doers)
            if isinstance(checked, Refusal):
                return checked
            text, causes, doers = checked
            return replace(command, text=text, causes=causes, who=doers)

        case p.RemoveAction():
            return command

        case p.SetAgreement(action=action_id):
            if action_id not in state.actions:
                return _missing("action")
            plan: dict[str, str] = {}
            for name, what in (("first_step", "The first step"), ("owner", "Who takes it"),
                               ("due", "By when")):
                value = _cleaned(getattr(command, name), p.MAX_SHORT_TEXT, what)
                if isinstance(value, Refusal):
                    return value
                plan[name] = value
            return replace(command, **plan)

        case p.SetSituation(text=text):
            situation = _cleaned(text, p.MAX_SITUATION_TEXT, "The situation")
            if isinstance(situation, Refusal):
                return situation
            return replace(command, text=situation)

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


def restore_ballot(ballots: dict[str, Ballot], person_id: str, saved: Ballot, settings: Settings) -> None:
    """Give `person_id` back the `saved` votes that fit (`restore_votes`). A ballot that
    was there stays, even if nothing fits; a new one is kept only if something did."""
    had_ballot = person_id in ballots
    ballot = ballots.setdefault(person_id, Ballot())
    restore_votes(ballot, saved, settings)
    if not had_ballot and ballot.is_empty():
        del ballots[person_id]


def restore_votes(ballot: Ballot, saved: Ballot, settings: Settings) -> None:
    """Put one person's votes on a restored branch back on their ballot: every "can it
    change?" answer, and the dots as far as the cap per cause and their budget allow now."""
    for cause_id, dots in saved.dots.items():
        room = settings.dots_per_person - sum(ballot.dots.values())
        dots = min(dots, settings.dots_per_cause, room)
        if dots > 0:
            ballot.dots[cause_id] = dots
    ballot.change.update(saved.change)


def branch_height(causes: list[Cause]) -> int:
    """Levels in a removed branch (`causes[0]` its top): 1 for a single answer."""
    below: dict[str | None, list[str]] = {}
    for cause in causes[1:]:
        below.setdefault(cause.parent, []).append(cause.id)
    height, level = 0, [causes[0].id] if causes else []
    while level:
        height += 1
        level = [child for current in level for child in below.get(current, ())]
    return height


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
    """The voter count after one person's vote. While votes are hidden, removing or merging
    answers publishes no new count -- a drop would tell the room whose votes were on the
    removed answer -- so a person whose votes all went with it keeps an empty ballot and
    stays counted ("has voted") until they take their own votes back: a voter is whoever
    has a ballot, and `voters == len(ballots)` on the server."""
    was_voter = person_id in state.ballots
    return state.voters + (not after.is_empty()) - was_voter


def _ballots_after(state: Session, change: Callable[[Ballot], None]) -> dict[str, Ballot]:
    ballots = copy.deepcopy(state.ballots)
    for ballot in ballots.values():
        change(ballot)
    return ballots


def _action_fields(
    state: Session, text: str, causes: list[str], doers: str
) -> tuple[str, list[str], str] | Refusal:
    cleaned = _cleaned(text, p.MAX_ACTION_TEXT, "This action")
    if isinstance(cleaned, Refusal):
        return cleaned
    if not cleaned:
        return refuse("invalid", "An action can't be empty.")
    who = _cleaned(doers, p.MAX_SHORT_TEXT, "Who can do it")
    if isinstance(who, Refusal):
        return who
    unique = list(dict.fromkeys(causes))
    if any(cause_id not in state.causes for cause_id in unique):
        return _missing("answer")
    return cleaned, unique, who


def _cleaned(text: str, limit: int, what: str) -> str | Refusal:
    """`text` cleaned, or a refusal when cleaning made it longer than the field's bound (NFC
    turns a few characters into two or three; see `text`): every accepted event must fit the
    bounds it is sent and journaled with."""
    cleaned = clean(text)
    if len(cleaned) > limit:
        return refuse("invalid", f"{what} is too long once its letters are written out in full: some "
                                 f"letters and signs count as two or three characters, and {limit} "
                                 "fit. Please shorten it a little.")
    return cleaned


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
