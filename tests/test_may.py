"""One answer to "may this person do this now?": `rules.may`, which `decide` asks first.

Every command of every kind, from every kind of person, in every step, about answers and
actions of every kind of ownership: `decide` refuses it with `may`'s own refusal whenever
`may` refuses, and otherwise for nothing `may` answers (role, step, closed session, votes
showing, whose words) -- so a screen that offers what `may` allows offers what the server
takes, and says the server's own sentence when it does not.
"""

from __future__ import annotations

import typing

import pytest
from test_rules import one_of_each

from whytree.shared import protocol as p
from whytree.shared.model import PHASES, Action, Ballot, Cause, Person, Removal, Session
from whytree.shared.rules import AUTHOR_ONLY, Refusal, decide, may

ANN = Person(id="p1", name="Ann", role="participant")
BO = Person(id="p2", name="Bo", role="participant")
FAY = Person(id="p3", name="Fay", role="facilitator")
VIEW = Person(id="p4", name="Projector", role="viewer")
PEOPLE = (ANN, BO, FAY, VIEW)
KINDS: tuple[type[p.ClientCommand], ...] = typing.get_args(p.ClientCommand)


def sessions() -> list[Session]:
    """A tree with every kind of ownership: Ann's answer with only her own below, Ann's
    answer with Bo's below, Bo's and Fay's; Ann's and Bo's actions; and a removal made by
    Ann, by Fay, or none -- in every step, with the votes hidden and shown."""
    causes = [
        Cause(id="c1", parent=None, text="Ann's", author=ANN.id),
        Cause(id="c2", parent="c1", text="Ann's below her own", author=ANN.id),
        Cause(id="c3", parent=None, text="Ann's, with Bo's below", author=ANN.id),
        Cause(id="c4", parent="c3", text="Bo's below Ann's", author=BO.id),
        Cause(id="c5", parent=None, text="Bo's", author=BO.id),
        Cause(id="c6", parent="c5", text="Fay's", author=FAY.id),
    ]
    actions = [Action(id="a1", text="Ann's action", causes=["c1"], author=ANN.id),
               Action(id="a2", text="Bo's action", causes=["c5"], author=BO.id)]
    removed = Cause(id="c9", parent=None, text="Taken back", author=ANN.id)
    found: list[Session] = []
    for remover in (ANN.id, FAY.id, None):
        removal = None if remover is None else Removal(removed_by=remover, causes=[removed])
        for phase in PHASES:
            for revealed in (False, True):
                found.append(Session(
                    phase=phase, revealed=revealed, last_removal=removal, voters=1,
                    people={person.id: person for person in PEOPLE},
                    causes={cause.id: cause for cause in causes},
                    actions={action.id: action for action in actions},
                    ballots={ANN.id: Ballot(dots={"c1": 1})},
                ))
    return found


def tag(kind: type[p.ClientCommand]) -> str:
    return typing.cast(str, kind.__struct_config__.tag)


MAY_REASONS = {"not_allowed", "wrong_phase", "closed", "revealed"}
"""The reasons only `may` gives (`decide` gives `not_allowed` on its own only for removing
the facilitator, which no command here asks)."""


@pytest.mark.parametrize("person", PEOPLE, ids=lambda person: person.name)
def test_decide_refuses_what_may_refuses_and_nothing_else_for_its_reasons(person: Person) -> None:
    allowed = refused = 0
    for session in sessions():
        for cause in session.causes:
            for action in session.actions:
                for command in one_of_each(cause, action, BO.id):
                    kind = type(command)
                    field = AUTHOR_ONLY.get(kind)
                    target = None if field is None else getattr(command, field)
                    answer = may(session, person, kind, target)
                    verdict = decide(session, person, command, 0.0)
                    if answer is not None:
                        refused += 1
                        assert verdict == answer, (kind.__name__, session.phase, target)
                    else:
                        allowed += 1
                        assert not isinstance(verdict, Refusal) or verdict.reason not in MAY_REASONS, (
                            kind.__name__, session.phase, target, verdict)
    if person.role == "viewer":
        assert allowed == 0
    else:
        assert allowed and refused


def test_without_a_target_may_asks_about_ones_own_words() -> None:
    """A screen asks before anything is selected whether to offer "edit" at all: a
    participant may edit their own answers while asking why, whatever is selected."""
    why = next(s for s in sessions() if s.phase == "why" and not s.revealed)
    assert may(why, ANN, p.EditCause) is None
    refusal = may(why, ANN, p.EditCause, "c5")
    assert refusal is not None and refusal.message == "Only its author or the facilitator can edit an answer."
    branch = may(why, ANN, p.RemoveCause, "c3")
    assert branch is not None and "Other people's answers are below this one" in branch.message
    assert may(why, ANN, p.RemoveCause, "c1") is None
    weigh = next(s for s in sessions() if s.phase == "weigh" and s.revealed)
    shut = may(weigh, ANN, p.SetDots)
    assert shut is not None and shut.reason == "revealed"
