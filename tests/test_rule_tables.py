"""Who may send which command in which step, written out by hand from the design.

`shared/rules.py` keeps these rules as tables (`ROLE_MAY`, `OPEN_IN`); a test that took its
cases from those tables would stay green when a command moved from one role or step to
another. This file states the expected table independently and checks every command,
for every role, in every step, against `rules.decide`.
"""

from __future__ import annotations

import typing

import pytest
from test_rules import ANN, BOB, FAC, VIEWER, one_of_each, phase, tree_with_everything

from whytree.shared import protocol as p
from whytree.shared.model import PHASES, Person, Phase
from whytree.shared.rules import Refusal, decide

ALL_STEPS = frozenset({"situation", "why", "weigh", "act", "agree"})
NOBODY: frozenset[str] = frozenset()

# command: (steps in which a participant may send it, steps for the facilitator)
EXPECTED: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "AddCause": (frozenset({"why"}), ALL_STEPS),
    "EditCause": (frozenset({"why", "weigh"}), ALL_STEPS),
    "RemoveCause": (frozenset({"why"}), ALL_STEPS),
    "MergeCauses": (NOBODY, ALL_STEPS),
    "MoveCause": (frozenset({"why"}), ALL_STEPS),
    "RestoreCause": (frozenset({"why"}), ALL_STEPS),
    "SetDots": (frozenset({"weigh"}), frozenset({"weigh"})),
    "SetChange": (frozenset({"weigh"}), frozenset({"weigh"})),
    "AddAction": (frozenset({"act"}), frozenset({"act", "agree"})),
    "EditAction": (frozenset({"act"}), frozenset({"act", "agree"})),
    "RemoveAction": (frozenset({"act"}), frozenset({"act", "agree"})),
    "SetAgreement": (NOBODY, frozenset({"act", "agree"})),
    "SetSituation": (NOBODY, ALL_STEPS),
    "SetPhase": (NOBODY, ALL_STEPS),
    "SetSettings": (NOBODY, ALL_STEPS),
    "RevealVotes": (NOBODY, frozenset({"weigh", "act", "agree"})),
    "SetTimer": (NOBODY, ALL_STEPS),
    "SetDone": (ALL_STEPS, ALL_STEPS),
    "LockRoom": (NOBODY, ALL_STEPS),
    "RemovePerson": (NOBODY, ALL_STEPS),
    "Close": (NOBODY, ALL_STEPS),
    "Reopen": (NOBODY, frozenset({"closed"})),
}

ALL_COMMANDS: tuple[type[p.ClientCommand], ...] = typing.get_args(p.ClientCommand)


def test_the_table_names_every_command() -> None:
    assert set(EXPECTED) == {kind.__name__ for kind in ALL_COMMANDS}


def expected_reason(kind: str, who: Person, step: Phase) -> str | None:
    """The refusal the table implies, or None when the table allows the command."""
    participant, facilitator = EXPECTED[kind]
    allowed_steps = {"participant": participant, "facilitator": facilitator, "viewer": NOBODY}[who.role]
    if not allowed_steps:
        return "not_allowed"  # this role may never send it
    if step == "closed" and kind != "Reopen":
        return "closed"
    return None if step in allowed_steps else "wrong_phase"


@pytest.mark.parametrize("kind", ALL_COMMANDS, ids=lambda kind: kind.__name__)
@pytest.mark.parametrize("who", [ANN, FAC, VIEWER], ids=["participant", "facilitator", "viewer"])
def test_each_command_is_open_to_the_roles_and_steps_of_the_design(
    kind: type[p.ClientCommand], who: Person
) -> None:
    for step in PHASES:
        state, cause, action = tree_with_everything()  # Ann's answer, Bob's below it, Ann's action
        phase(state, step)
        command = next(c for c in one_of_each(cause, action, BOB.id) if isinstance(c, kind))
        decision = decide(state, who, command, 1000.0)
        want = expected_reason(kind.__name__, who, step)
        if kind is p.RemoveCause and who is ANN and want is None:
            want = "not_allowed"  # Bob's answer is below her own: only the facilitator removes it
        got = decision.reason if isinstance(decision, Refusal) else None
        if want is None:
            assert got not in ("not_allowed", "wrong_phase", "closed"), (kind.__name__, step, decision)
        else:
            assert got == want, (kind.__name__, who.role, step, decision)
