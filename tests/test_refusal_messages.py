"""Every refusal, in the words a person reads, compared with `tests/golden/refusals.txt`.

A refusal's reason code is for programs; its message is what the person who pressed the
key sees ("At most 2 dots on one answer."). Every command from every role in every step,
and every other way a command is refused, is listed with its message, so a wrong word, a
lost "s" or a message swapped between two cases shows up as a diff to look at. Rewrite
the file after an intended change (and read the diff):

    WHYTREE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_refusal_messages.py
"""

from __future__ import annotations

from test_report_golden import compare
from test_rule_tables import ALL_COMMANDS
from test_rules import (
    ANN,
    BOB,
    FAC,
    VIEWER,
    add_action,
    add_cause,
    dots,
    one_of_each,
    op,
    phase,
    session,
    tree_with_everything,
)

from whytree.shared import protocol as p
from whytree.shared.apply import apply
from whytree.shared.model import PHASES
from whytree.shared.rules import Refusal, decide


def said(state: object, who: object, command: p.ClientCommand) -> str:
    decision = decide(state, who, command, 1000.0)  # type: ignore[arg-type]
    assert isinstance(decision, Refusal), f"{type(command).__name__} was accepted"
    return f"{decision.reason}: {decision.message}"


def test_every_refusal_reads_as_before() -> None:
    lines: list[str] = []
    for kind in ALL_COMMANDS:
        for who in (ANN, FAC, VIEWER):
            for step in PHASES:
                state, cause, action = tree_with_everything()
                phase(state, step)
                command = next(c for c in one_of_each(cause, action, BOB.id) if isinstance(c, kind))
                decision = decide(state, who, command, 1000.0)
                if isinstance(decision, Refusal):
                    lines.append(f"{kind.__name__} / {who.role} / {step}: {decision.reason}: "
                                 f"{decision.message}")

    state = session("why")
    cause = add_cause(state, ANN, text="No bus")
    lines += [
        "empty answer: " + said(state, ANN, p.AddCause(op=op(), parent=None, text=" \x1b[2J ")),
        "empty edit: " + said(state, FAC, p.EditCause(op=op(), cause=cause, text="\u202e")),
        "not the author: " + said(state, BOB, p.EditCause(op=op(), cause=cause, text="Mine")),
        "missing parent: " + said(state, ANN, p.AddCause(op=op(), parent="c404", text="Why")),
        "missing cause: " + said(state, FAC, p.RemoveCause(op=op(), cause="c404")),
        "missing merge: " + said(state, FAC, p.MergeCauses(op=op(), cause=cause, into="c404")),
        "merge into itself: " + said(state, FAC, p.MergeCauses(op=op(), cause=cause, into=cause)),
        "facilitator removed: " + said(state, FAC, p.RemovePerson(op=op(), person=FAC.id)),
        "missing person: " + said(state, FAC, p.RemovePerson(op=op(), person="p404")),
        "anonymity late: " + said(state, FAC, p.SetSettings(op=op(), anonymous=True)),
    ]
    phase(state, "weigh")
    lines += [
        "dots on a missing cause: " + said(state, ANN, p.SetDots(op=op(), cause="c404", dots=1)),
        "answer on a missing cause: " + said(state, ANN, p.SetChange(op=op(), cause="c404", answer="we")),
        "edit of a missing cause: " + said(state, FAC, p.EditCause(op=op(), cause="c404", text="x")),
        "merge of a missing cause: " + said(state, FAC, p.MergeCauses(op=op(), cause="c404", into=cause)),
        "removing an action while weighing: " + said(state, FAC, p.RemoveAction(op=op(), action="a404")),
    ]
    for per_cause, per_person in ((1, 1), (2, 3)):
        state = session("why", dots_per_cause=per_cause, dots_per_person=per_person)
        causes = [add_cause(state, FAC, text=f"Reason {n}") for n in range(per_person + 1)]
        phase(state, "weigh")
        lines.append(f"cap {per_cause}: " + said(state, ANN, p.SetDots(op=op(), cause=causes[0],
                                                                       dots=per_cause + 1)))
        for cause_id in causes[:per_person]:
            dots(state, ANN, cause_id, 1)
        lines.append(f"budget {per_person}: " + said(state, ANN, p.SetDots(op=op(), cause=causes[-1],
                                                                           dots=1)))
        lines.append("voting started: " + said(state, FAC, p.SetSettings(op=op(), dots_per_person=9)))
        phase(state, "act")
        action = add_action(state, ANN, [causes[0]])
        lines += [
            "action not the author: " + said(state, BOB, p.EditAction(op=op(), action=action, text="x")),
            "action removal not the author: " + said(state, BOB, p.RemoveAction(op=op(), action=action)),
            "empty action: " + said(state, ANN, p.AddAction(op=op(), text="\x00")),
            "action for a missing cause: "
            + said(state, ANN, p.AddAction(op=op(), text="x", causes=["c404"])),
            "missing action: " + said(state, ANN, p.EditAction(op=op(), action="a404", text="x")),
            "missing agreement: " + said(state, FAC, p.SetAgreement(op=op(), action="a404", agreed=True)),
        ]
        phase(state, "weigh")
        ok_reveal = decide(state, FAC, p.RevealVotes(op=op(), revealed=True), 1000.0)
        assert not isinstance(ok_reveal, Refusal)
        apply(state, p.Event(seq=state.seq + 1, by=FAC.id, op="r", command=ok_reveal))
        lines.append("revealed: " + said(state, ANN, p.SetDots(op=op(), cause=causes[0], dots=0)))
    compare("refusals.txt", "\n".join(lines) + "\n")
