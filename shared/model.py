"""The session model: everything a whytree session is, as plain msgspec Structs.

The same Structs are the server's authoritative state, each client's mirror of it (as that
person may see it, see `views.project`), the `state` of a `welcome` frame and the body of
the saved `session.json`. They hold no behaviour beyond small read-only helpers; every
change goes through `apply.apply`.
"""

from __future__ import annotations

from typing import Literal

import msgspec

SCHEMA_VERSION = 1
"""Version of the session schema (`welcome.state` and `session.json`)."""

Mode = Literal["problem", "success"]
Phase = Literal["situation", "why", "weigh", "act", "agree", "closed"]
Role = Literal["facilitator", "participant", "viewer"]
Change = Literal["we", "others", "no"]
Doer = Literal["inside", "outside"]

PHASES: tuple[Phase, ...] = ("situation", "why", "weigh", "act", "agree", "closed")
"""The steps of a session, in order."""

CHANGE_ANSWERS: tuple[Change, ...] = ("we", "others", "no")


class Person(msgspec.Struct, kw_only=True):
    """Somebody in the session: the facilitator, a participant or a read-only viewer."""

    id: str
    """Its id, assigned by the server."""
    name: str = ""
    """Empty for an anonymous person (or for everyone else in an anonymous session)."""
    role: Role = "participant"
    """`facilitator`, `participant` or `viewer` (read-only)."""
    online: bool = True
    """Connected now."""
    done: bool = False
    """Said "I'm done" for the current step (reset when the step changes)."""
    removed: bool = False
    """Removed by the facilitator; cannot come back with the old token."""


class Cause(msgspec.Struct, kw_only=True):
    """One answer to "But why?": a child of the situation (parent None) or of a cause."""

    id: str
    """Its id, assigned by the server."""
    parent: str | None
    """The cause it answers, or null for the situation itself."""
    text: str
    """What the person typed; cleaned by the server (see [Text](#text))."""
    author: str | None = None
    """Person id; None when the viewer may not know it (anonymous sessions)."""


class Action(msgspec.Struct, kw_only=True):
    """A proposed action for one or more causes, and who can do it."""

    id: str
    """Its id, assigned by the server."""
    text: str
    """What the person typed; cleaned by the server (see [Text](#text))."""
    causes: list[str] = []
    """Ids of the causes it is for."""
    by: Doer = "inside"
    """Who can do it: people `inside` the group, or `outside` it."""
    who: str = ""
    """Free text: who exactly can do it."""
    author: str | None = None
    """Person id; null when the viewer may not know it (anonymous sessions)."""
    agreed: bool = False
    """Whether the group agreed to start with this action."""
    first_step: str = ""
    """The first step of the plan."""
    owner: str = ""
    """Who takes the first step."""
    due: str = ""
    """By when (free text, as people say it)."""


class Ballot(msgspec.Struct, kw_only=True):
    """One person's votes: "matters" dots per cause and "can it change?" answers."""

    dots: dict[str, int] = {}
    """Cause id → "matters" dots this person put on it."""
    change: dict[str, Change] = {}
    """Cause id → this person's "can it change?" answer."""

    def is_empty(self) -> bool:
        return not self.dots and not self.change


class Tally(msgspec.Struct, kw_only=True):
    """The room's votes on one cause, as revealed: dots and "can change" answer counts."""

    dots: int = 0
    """The room's "matters" dots on the cause."""
    we: int = 0
    """How many said the group can change it."""
    others: int = 0
    """How many said it changes only with others."""
    no: int = 0
    """How many said not for now."""

    def votes_on_change(self) -> int:
        return self.we + self.others + self.no


class Removal(msgspec.Struct, kw_only=True):
    """The last answer removed, with everything below it: what `restore_cause` brings back.

    Kept until the next removal, a change of anonymity, or the close (so that removed words
    do not reach the saved results)."""

    removed_by: str | None = None
    """Who removed it: the only person who may undo it (None when this viewer may not know)."""
    causes: list[Cause] = []
    """The removed answer first (its `parent` says where it was), then the answers below it,
    in the session's order."""
    before: str | None = None
    """The answer that came right after it under the same parent, for its place among its
    siblings; None when it was the last."""
    links: dict[str, list[str]] = {}
    """Action id -> that action's causes before the removal, for each action that lost some."""
    ballots: dict[str, Ballot] = {}
    """Person id -> their votes on the removed answers (a client holds only its own)."""


class Settings(msgspec.Struct, kw_only=True):
    """What the facilitator decides before voting starts."""

    dots_per_person: int = 3
    """The dots each person may place in all."""
    dots_per_cause: int = 2
    """The most dots one person may place on one cause."""
    anonymous: bool = False
    """Whether nobody learns who wrote what."""


class Session(msgspec.Struct, kw_only=True):
    """A whole session. `seq` is the sequence number of the last event applied."""

    schema: int = SCHEMA_VERSION
    """Version of this structure."""
    id: str = ""
    """The session's id on this host."""
    title: str = ""
    """The title the host gave the session."""
    situation: str = ""
    """The situation at the root of the tree."""
    mode: Mode = "problem"
    """`problem` or `success`: how the screens word the questions."""
    phase: Phase = "situation"
    """The current step; `closed` when the session is read-only."""
    settings: Settings = msgspec.field(default_factory=Settings)
    """The dots budget, the cap per cause, and anonymity."""
    causes: dict[str, Cause] = {}
    """In the order they were added (sibling order in the tree)."""
    actions: dict[str, Action] = {}
    """Proposed actions, by id, in the order they were proposed."""
    people: dict[str, Person] = {}
    """Everyone who ever joined, by id (removed people stay, marked)."""
    ballots: dict[str, Ballot] = {}
    """Person id -> ballot. A client holds only its own; the server holds everyone's."""
    voters: int = 0
    """How many people have cast at least one vote (dots or "can change"). While votes are
    hidden, someone whose votes all went with a removed answer still counts: a recount would
    tell the room whose votes those were."""
    revealed: bool = False
    """Whether the facilitator has revealed the votes."""
    tally: dict[str, Tally] = {}
    """Cause id -> the room's votes; filled while the votes are revealed, else empty."""
    locked: bool = False
    """Whether the room is locked."""
    last_removal: Removal | None = None
    """The last removal, while it can still be undone (see `Removal`)."""
    timer_ends: float | None = None
    """Server wall-clock time (seconds since the epoch) when the step timer ends."""
    created_at: float = 0.0
    """When the session was created (seconds since the epoch)."""
    closed_at: float | None = None
    """When it was closed, or null while open."""
    seq: int = 0
    """The `seq` of the last event applied to this state."""

    # --- read-only helpers -------------------------------------------------------------

    def children(self, parent: str | None) -> list[Cause]:
        """The direct answers under `parent` (None: under the situation), in order."""
        return [c for c in self.causes.values() if c.parent == parent]

    def depth(self, cause_id: str) -> int:
        """1 for an answer directly under the situation, 2 below that, and so on."""
        depth = 0
        current: str | None = cause_id
        while current is not None and current in self.causes:
            depth += 1
            current = self.causes[current].parent
        return depth

    def is_descendant(self, cause_id: str, ancestor_id: str) -> bool:
        """True when `cause_id` is `ancestor_id` or lies anywhere below it."""
        current: str | None = cause_id
        while current is not None:
            if current == ancestor_id:
                return True
            cause = self.causes.get(current)
            current = cause.parent if cause else None
        return False

    def height(self, cause_id: str) -> int:
        """Levels from `cause_id` down to its deepest answer: 1 for an answer with none."""
        below: dict[str | None, list[str]] = {}
        for cause in self.causes.values():
            below.setdefault(cause.parent, []).append(cause.id)
        height = 0
        level = [cause_id]
        while level:
            height += 1
            level = [child for current in level for child in below.get(current, ())]
        return height

    def subtree(self, cause_id: str) -> list[str]:
        """`cause_id` and every cause below it."""
        below: dict[str | None, list[str]] = {}
        for cause in self.causes.values():
            below.setdefault(cause.parent, []).append(cause.id)
        found: list[str] = []
        stack = [cause_id]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(below.get(current, ()))
        return found

    def dots_used(self, person_id: str) -> int:
        ballot = self.ballots.get(person_id)
        return sum(ballot.dots.values()) if ballot else 0

    def online_people(self) -> list[Person]:
        return [p for p in self.people.values() if p.online and not p.removed]


def deep_copy(state: Session) -> Session:
    """An independent copy of `state`, sharing no object with it (a mirror's copy, a
    snapshot to save while the session goes on)."""
    return msgspec.convert(msgspec.to_builtins(state), Session)
