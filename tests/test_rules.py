"""The session rules, one test per rule, on the pure core: `rules.decide`, then `apply`.

Each test builds a small session by sending commands through `send`, which does what the
server does with a command (decide; on acceptance wrap it in the next event and apply it)
without any I/O. The cast: a facilitator, two participants (Ann, Bob) and a viewer.
"""

from __future__ import annotations

import itertools
import typing

import msgspec
import pytest

from whytree.shared import protocol as p
from whytree.shared.apply import apply
from whytree.shared.model import PHASES, Person, Phase, Session
from whytree.shared.rules import OPEN, ROLE_MAY, Refusal, decide

FAC = Person(id="f", name="Fran", role="facilitator")
ANN = Person(id="ann", name="Ann")
BOB = Person(id="bob", name="Bob")
VIEWER = Person(id="v", name="Projector", role="viewer")

ALL_COMMANDS: tuple[type[p.ClientCommand], ...] = typing.get_args(p.ClientCommand)
FACILITATOR_ONLY = sorted(
    (kind for kind, roles in ROLE_MAY.items() if roles == {"facilitator"}), key=lambda k: k.__name__
)
OPEN_PHASES: list[Phase] = [phase for phase in PHASES if phase in OPEN]

_ops = itertools.count(1)


def op() -> str:
    return f"op{next(_ops)}"


def session(phase: Phase = "why", **settings: object) -> Session:
    state = Session(phase=phase, people={
        person.id: msgspec.structs.replace(person) for person in (FAC, ANN, BOB, VIEWER)
    })
    state.settings = msgspec.structs.replace(state.settings, **settings)
    return state


def send(state: Session, who: Person, command: p.ClientCommand, now: float = 1000.0
         ) -> p.ClientCommand | Refusal:
    """What the server does with one command: decide, then apply what was accepted."""
    decision = decide(state, who, command, now)
    if not isinstance(decision, Refusal):
        apply(state, p.Event(seq=state.seq + 1, by=who.id, op=command.op, command=decision))
    return decision


def ok(state: Session, who: Person, command: p.ClientCommand) -> p.ClientCommand:
    decision = send(state, who, command)
    assert not isinstance(decision, Refusal), decision
    return decision


def refused(state: Session, who: Person, command: p.ClientCommand) -> str:
    """Send `command`, check that it was refused and changed nothing; return the reason."""
    before = msgspec.to_builtins(state)
    decision = send(state, who, command)
    assert isinstance(decision, Refusal), f"{type(command).__name__} was accepted"
    assert decision.reason in p.REASONS and decision.message
    assert msgspec.to_builtins(state) == before
    return decision.reason


def add_cause(state: Session, who: Person = FAC, parent: str | None = None, text: str = "why") -> str:
    decision = ok(state, who, p.AddCause(op=op(), parent=parent, text=text))
    assert isinstance(decision, p.AddCause) and decision.id is not None
    return decision.id


def add_action(state: Session, who: Person = FAC, causes: list[str] | None = None) -> str:
    decision = ok(state, who, p.AddAction(op=op(), text="Start a homework club", causes=causes or []))
    assert isinstance(decision, p.AddAction) and decision.id is not None
    return decision.id


def dots(state: Session, who: Person, cause: str, n: int) -> p.ClientCommand | Refusal:
    return send(state, who, p.SetDots(op=op(), cause=cause, dots=n))


def phase(state: Session, to: Phase) -> None:
    if to == "closed":
        ok(state, FAC, p.Close(op=op()))
    else:
        ok(state, FAC, p.SetPhase(op=op(), phase=to))


def tree_with_everything() -> tuple[Session, str, str]:
    """A session in `act` with a cause (with an answer below it), votes, and Ann's action."""
    state = session("why")
    cause = add_cause(state, ANN, text="No safe place to go")
    add_cause(state, BOB, parent=cause, text="The centre closed")
    phase(state, "weigh")
    dots(state, ANN, cause, 1)
    phase(state, "act")
    action = add_action(state, ANN, [cause])
    return state, cause, action


def one_of_each(cause: str, action: str, person: str) -> list[p.ClientCommand]:
    """A well-formed command of every kind, about existing things."""
    commands: list[p.ClientCommand] = [
        p.AddCause(op=op(), parent=cause, text="Because"),
        p.EditCause(op=op(), cause=cause, text="Edited"),
        p.RemoveCause(op=op(), cause=cause),
        p.MergeCauses(op=op(), cause=cause, into=cause),
        p.MoveCause(op=op(), cause=cause, parent=None),
        p.RestoreCause(op=op(), cause=cause),
        p.SetDots(op=op(), cause=cause, dots=1),
        p.SetChange(op=op(), cause=cause, answer="we"),
        p.AddAction(op=op(), text="Ask the city", causes=[cause], by="outside", who="City"),
        p.EditAction(op=op(), action=action, text="Ask the council"),
        p.RemoveAction(op=op(), action=action),
        p.SetAgreement(op=op(), action=action, agreed=True, first_step="Call", owner="Ann", due="Fri"),
        p.SetSituation(op=op(), text="Kids are bored", mode="problem"),
        p.SetPhase(op=op(), phase="why"),
        p.SetSettings(op=op(), dots_per_person=5, dots_per_cause=3, anonymous=False),
        p.RevealVotes(op=op(), revealed=True),
        p.SetTimer(op=op(), seconds=60),
        p.SetDone(op=op(), done=True),
        p.LockRoom(op=op(), locked=True),
        p.RemovePerson(op=op(), person=person),
        p.Close(op=op()),
        p.Reopen(op=op()),
    ]
    assert {type(c) for c in commands} == set(ALL_COMMANDS), "a command kind is missing here"
    return commands


# --- votes ---------------------------------------------------------------------------------


def test_dots_budget_is_three_per_person_by_default() -> None:
    state = session("why")
    causes = [add_cause(state) for _ in range(4)]
    phase(state, "weigh")
    assert state.settings.dots_per_person == 3
    assert not isinstance(dots(state, ANN, causes[0], 2), Refusal)
    assert not isinstance(dots(state, ANN, causes[1], 1), Refusal)
    assert refused(state, ANN, p.SetDots(op=op(), cause=causes[2], dots=1)) == "budget"
    # Moving a dot: taking one back frees it for another cause.
    assert not isinstance(dots(state, ANN, causes[0], 1), Refusal)
    assert not isinstance(dots(state, ANN, causes[2], 1), Refusal)
    assert state.dots_used(ANN.id) == 3
    # The budget is per person: Bob still has all of his.
    for cause in causes[:3]:
        assert not isinstance(dots(state, BOB, cause, 1), Refusal)


def test_changing_the_dots_on_one_cause_counts_it_once() -> None:
    state = session("why")
    cause = add_cause(state)
    phase(state, "weigh")
    for n in (1, 2, 1, 2, 0, 2):
        ok(state, ANN, p.SetDots(op=op(), cause=cause, dots=n))
    assert state.dots_used(ANN.id) == 2


def test_at_most_two_dots_on_one_cause_by_default() -> None:
    state = session("why")
    cause = add_cause(state)
    phase(state, "weigh")
    assert refused(state, ANN, p.SetDots(op=op(), cause=cause, dots=3)) == "cap"
    ok(state, ANN, p.SetDots(op=op(), cause=cause, dots=2))
    assert state.ballots[ANN.id].dots == {cause: 2}


def test_the_facilitator_sets_budget_and_cap_before_voting() -> None:
    state = session("why")
    cause = add_cause(state)
    phase(state, "weigh")
    ok(state, FAC, p.SetSettings(op=op(), dots_per_person=1, dots_per_cause=1))
    assert refused(state, ANN, p.SetDots(op=op(), cause=cause, dots=2)) == "cap"
    ok(state, FAC, p.SetSettings(op=op(), dots_per_person=6, dots_per_cause=4))
    ok(state, ANN, p.SetDots(op=op(), cause=cause, dots=4))


def test_settings_change_refused_once_voting_started() -> None:
    state = session("why")
    cause = add_cause(state)
    phase(state, "weigh")
    ok(state, BOB, p.SetDots(op=op(), cause=cause, dots=1))
    assert refused(state, FAC, p.SetSettings(op=op(), dots_per_person=5, dots_per_cause=2)) == "invalid"
    assert refused(state, FAC, p.SetSettings(op=op(), dots_per_person=3, dots_per_cause=1)) == "invalid"
    # Sending the settings as they are changes nothing and is harmless.
    ok(state, FAC, p.SetSettings(op=op(), dots_per_person=3, dots_per_cause=2))


def test_anonymity_is_settable_only_before_any_answers() -> None:
    state = session("situation")
    ok(state, FAC, p.SetSettings(op=op(), anonymous=True))
    ok(state, FAC, p.SetSettings(op=op(), anonymous=False))
    ok(state, FAC, p.SetSettings(op=op(), anonymous=True))
    phase(state, "why")
    add_cause(state, ANN)
    assert refused(state, FAC, p.SetSettings(op=op(), anonymous=False)) == "invalid"
    assert state.settings.anonymous


def test_anonymity_is_not_settable_once_there_are_actions() -> None:
    state = session("act")
    add_action(state, ANN)
    assert refused(state, FAC, p.SetSettings(op=op(), anonymous=True)) == "invalid"


def test_votes_are_frozen_while_revealed() -> None:
    state = session("why")
    cause = add_cause(state)
    phase(state, "weigh")
    ok(state, ANN, p.SetDots(op=op(), cause=cause, dots=1))
    ok(state, FAC, p.RevealVotes(op=op(), revealed=True))
    assert state.tally[cause].dots == 1
    assert refused(state, ANN, p.SetDots(op=op(), cause=cause, dots=2)) == "revealed"
    assert refused(state, ANN, p.SetDots(op=op(), cause=cause, dots=0)) == "revealed"
    assert refused(state, BOB, p.SetChange(op=op(), cause=cause, answer="we")) == "revealed"
    assert refused(state, FAC, p.SetDots(op=op(), cause=cause, dots=1)) == "revealed"
    ok(state, FAC, p.RevealVotes(op=op(), revealed=False))
    assert state.tally == {}
    ok(state, ANN, p.SetDots(op=op(), cause=cause, dots=2))
    ok(state, BOB, p.SetChange(op=op(), cause=cause, answer="we"))


def test_votes_need_an_existing_cause() -> None:
    state = session("weigh")
    assert refused(state, ANN, p.SetDots(op=op(), cause="c404", dots=1)) == "not_found"
    assert refused(state, ANN, p.SetChange(op=op(), cause="c404", answer="no")) == "not_found"


# --- phases --------------------------------------------------------------------------------


@pytest.mark.parametrize("step", OPEN_PHASES)
def test_participants_add_causes_only_while_asking_why(step: Phase) -> None:
    state = session(step)
    command = p.AddCause(op=op(), parent=None, text="Because")
    if step == "why":
        ok(state, ANN, command)
    else:
        assert refused(state, ANN, command) == "wrong_phase"
    # The facilitator, typing for the room, may add answers in every open step.
    ok(state, FAC, p.AddCause(op=op(), parent=None, text="Because"))


@pytest.mark.parametrize("step", OPEN_PHASES)
@pytest.mark.parametrize("who", [ANN, FAC], ids=["participant", "facilitator"])
def test_dots_and_change_answers_only_while_weighing(step: Phase, who: Person) -> None:
    state = session("why")
    cause = add_cause(state)
    phase(state, step)
    for command in (p.SetDots(op=op(), cause=cause, dots=1),
                    p.SetChange(op=op(), cause=cause, answer="others")):
        if step == "weigh":
            ok(state, who, command)
        else:
            assert refused(state, who, command) == "wrong_phase"


@pytest.mark.parametrize("step", OPEN_PHASES)
def test_actions_are_proposed_in_the_act_step(step: Phase) -> None:
    state = session(step)
    if step == "act":
        ok(state, ANN, p.AddAction(op=op(), text="Ask the library"))
    else:
        assert refused(state, ANN, p.AddAction(op=op(), text="Ask the library")) == "wrong_phase"
    command = p.AddAction(op=op(), text="Ask the library")
    if step in ("act", "agree"):
        ok(state, FAC, command)
    else:
        assert refused(state, FAC, command) == "wrong_phase"


def test_participants_edit_and_remove_their_actions_only_in_the_act_step() -> None:
    state = session("act")
    action = add_action(state, ANN)
    phase(state, "agree")
    assert refused(state, ANN, p.EditAction(op=op(), action=action, text="Later")) == "wrong_phase"
    assert refused(state, ANN, p.RemoveAction(op=op(), action=action)) == "wrong_phase"


@pytest.mark.parametrize("step", OPEN_PHASES)
def test_agreements_are_made_by_the_facilitator_in_act_or_agree(step: Phase) -> None:
    state = session("act")
    action = add_action(state, ANN)
    phase(state, step)
    assert refused(state, ANN, p.SetAgreement(op=op(), action=action, agreed=True)) == "not_allowed"
    command = p.SetAgreement(op=op(), action=action, agreed=True, first_step="Call the library",
                             owner="Ann", due="Friday")
    if step in ("act", "agree"):
        ok(state, FAC, command)
        agreed = state.actions[action]
        assert (agreed.agreed, agreed.first_step, agreed.owner, agreed.due) == (
            True, "Call the library", "Ann", "Friday")
    else:
        assert refused(state, FAC, command) == "wrong_phase"


def test_votes_can_be_revealed_only_from_the_weigh_step_on() -> None:
    state = session("why")
    assert refused(state, FAC, p.RevealVotes(op=op(), revealed=True)) == "wrong_phase"
    phase(state, "weigh")
    ok(state, FAC, p.RevealVotes(op=op(), revealed=True))


# --- roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FACILITATOR_ONLY, ids=lambda kind: kind.__name__)
@pytest.mark.parametrize("who", [ANN, VIEWER], ids=["participant", "viewer"])
def test_facilitator_only_commands_are_refused_to_everyone_else(
    kind: type[p.ClientCommand], who: Person
) -> None:
    state, cause, action = tree_with_everything()
    for step in (*OPEN_PHASES, "closed"):
        if step == "closed":
            phase(state, "closed")
        else:
            phase(state, step)
        command = next(c for c in one_of_each(cause, action, BOB.id) if isinstance(c, kind))
        assert refused(state, who, command) == "not_allowed"


def test_the_facilitator_only_list_is_what_the_design_says() -> None:
    assert {kind.__name__ for kind in FACILITATOR_ONLY} == {
        "MergeCauses", "SetAgreement", "SetSituation", "SetPhase", "SetSettings",
        "RevealVotes", "SetTimer", "LockRoom", "RemovePerson", "Close", "Reopen",
    }
    assert set(ROLE_MAY) == set(ALL_COMMANDS)


@pytest.mark.parametrize("step", [*OPEN_PHASES, "closed"])
def test_a_viewer_changes_nothing(step: Phase) -> None:
    state, cause, action = tree_with_everything()
    phase(state, step)
    for command in one_of_each(cause, action, BOB.id):
        assert refused(state, VIEWER, command) == "not_allowed", type(command).__name__


def test_identity_comes_from_the_sender_never_from_a_field() -> None:
    state = session("why")
    decision = ok(state, ANN, p.SetDone(op=op(), done=True, person=BOB.id))
    assert isinstance(decision, p.SetDone) and decision.person == ANN.id
    assert state.people[ANN.id].done and not state.people[BOB.id].done
    cause = add_cause(state, ANN)
    assert state.causes[cause].author == ANN.id


def test_ids_are_assigned_by_the_rules_not_the_client() -> None:
    state = session("why")
    first = ok(state, ANN, p.AddCause(op=op(), parent=None, text="One", id="mine"))
    second = ok(state, BOB, p.AddCause(op=op(), parent=None, text="Two", id="mine"))
    assert isinstance(first, p.AddCause) and isinstance(second, p.AddCause)
    assert first.id != "mine" and second.id != "mine" and first.id != second.id
    assert set(state.causes) == {first.id, second.id}


# --- ownership -----------------------------------------------------------------------------


def test_an_answer_is_edited_by_its_author_or_the_facilitator() -> None:
    state = session("why")
    cause = add_cause(state, ANN, text="Ann's")
    assert refused(state, BOB, p.EditCause(op=op(), cause=cause, text="Bob's now")) == "not_allowed"
    ok(state, ANN, p.EditCause(op=op(), cause=cause, text="Ann's, edited"))
    ok(state, FAC, p.EditCause(op=op(), cause=cause, text="Tidied by Fran"))
    assert state.causes[cause].text == "Tidied by Fran"
    assert state.causes[cause].author == ANN.id


def test_an_action_is_edited_and_removed_by_its_author_or_the_facilitator() -> None:
    state = session("act")
    action = add_action(state, ANN)
    assert refused(state, BOB, p.EditAction(op=op(), action=action, text="Bob's")) == "not_allowed"
    assert refused(state, BOB, p.RemoveAction(op=op(), action=action)) == "not_allowed"
    ok(state, ANN, p.EditAction(op=op(), action=action, text="Ann's, edited", by="outside", who="City"))
    ok(state, FAC, p.EditAction(op=op(), action=action, text="Fran's wording", by="outside", who="City"))
    assert state.actions[action].text == "Fran's wording"
    ok(state, ANN, p.RemoveAction(op=op(), action=action))
    assert action not in state.actions
    other = add_action(state, BOB)
    ok(state, FAC, p.RemoveAction(op=op(), action=other))
    assert state.actions == {}


def test_commands_about_things_that_do_not_exist_are_refused() -> None:
    state = session("why")
    cause = add_cause(state)
    assert refused(state, ANN, p.AddCause(op=op(), parent="c404", text="x")) == "not_found"
    assert refused(state, FAC, p.EditCause(op=op(), cause="c404", text="x")) == "not_found"
    assert refused(state, FAC, p.RemoveCause(op=op(), cause="c404")) == "not_found"
    assert refused(state, FAC, p.MergeCauses(op=op(), cause="c404", into=cause)) == "not_found"
    assert refused(state, FAC, p.MergeCauses(op=op(), cause=cause, into="c404")) == "not_found"
    assert refused(state, FAC, p.RemovePerson(op=op(), person="p404")) == "not_found"
    phase(state, "act")
    assert refused(state, ANN, p.AddAction(op=op(), text="x", causes=["c404"])) == "not_found"
    assert refused(state, FAC, p.EditAction(op=op(), action="a404", text="x")) == "not_found"
    assert refused(state, FAC, p.RemoveAction(op=op(), action="a404")) == "not_found"
    assert refused(state, FAC, p.SetAgreement(op=op(), action="a404", agreed=True)) == "not_found"


def test_the_facilitator_cannot_be_removed() -> None:
    state = session("why")
    assert refused(state, FAC, p.RemovePerson(op=op(), person=FAC.id)) == "not_allowed"
    ok(state, FAC, p.RemovePerson(op=op(), person=BOB.id))
    assert state.people[BOB.id].removed
    assert refused(state, FAC, p.RemovePerson(op=op(), person=BOB.id)) == "not_found"


# --- the tree ------------------------------------------------------------------------------


def test_a_cause_cannot_be_merged_into_itself_or_below_itself() -> None:
    state = session("why")
    top = add_cause(state, text="top")
    child = add_cause(state, parent=top, text="child")
    grandchild = add_cause(state, parent=child, text="grandchild")
    assert refused(state, FAC, p.MergeCauses(op=op(), cause=top, into=top)) == "cycle"
    assert refused(state, FAC, p.MergeCauses(op=op(), cause=top, into=child)) == "cycle"
    assert refused(state, FAC, p.MergeCauses(op=op(), cause=top, into=grandchild)) == "cycle"
    # Upwards is fine: the child's answers move under `top`.
    ok(state, FAC, p.MergeCauses(op=op(), cause=child, into=top))
    assert state.causes[grandchild].parent == top


def test_a_merge_keeps_the_children_and_the_votes() -> None:
    state = session("why")
    merged = add_cause(state, ANN, text="No bus")
    into = add_cause(state, BOB, text="No transport")
    below = [add_cause(state, parent=merged, text=t) for t in ("Route cut", "Too expensive")]
    phase(state, "weigh")
    dots(state, ANN, merged, 1)
    dots(state, ANN, into, 1)
    dots(state, BOB, merged, 2)
    ok(state, ANN, p.SetChange(op=op(), cause=merged, answer="we"))
    ok(state, ANN, p.SetChange(op=op(), cause=into, answer="no"))
    ok(state, BOB, p.SetChange(op=op(), cause=merged, answer="others"))
    phase(state, "act")
    both = add_action(state, ANN, [merged, into])
    one = add_action(state, BOB, [merged])

    decision = ok(state, FAC, p.MergeCauses(op=op(), cause=merged, into=into))
    assert isinstance(decision, p.MergeCauses) and decision.voters is None, "hidden: no recount"

    assert merged not in state.causes
    assert [c.id for c in state.children(into)] == below
    assert state.ballots[ANN.id].dots == {into: 2}, "the dots add up"
    assert state.ballots[BOB.id].dots == {into: 2}
    assert state.ballots[ANN.id].change == {into: "no"}, "an answer already on `into` is kept"
    assert state.ballots[BOB.id].change == {into: "others"}
    assert state.voters == 2
    assert state.actions[both].causes == [into]
    assert state.actions[one].causes == [into]


def test_a_merge_while_revealed_carries_the_new_tally() -> None:
    state = session("why")
    a, b = add_cause(state), add_cause(state)
    phase(state, "weigh")
    dots(state, ANN, a, 1)
    dots(state, BOB, b, 2)
    ok(state, FAC, p.RevealVotes(op=op(), revealed=True))
    ok(state, FAC, p.MergeCauses(op=op(), cause=a, into=b))
    assert set(state.tally) == {b} and state.tally[b].dots == 3


def test_removing_a_cause_takes_its_subtree_and_their_votes_and_prunes_actions() -> None:
    state = session("why")
    kept = add_cause(state, text="kept")
    gone = add_cause(state, ANN, text="gone")
    child = add_cause(state, parent=gone, text="child")
    grandchild = add_cause(state, parent=child, text="grandchild")
    phase(state, "weigh")
    dots(state, ANN, grandchild, 1)
    ok(state, ANN, p.SetChange(op=op(), cause=child, answer="we"))
    dots(state, BOB, kept, 1)
    dots(state, BOB, gone, 1)
    assert state.voters == 2
    phase(state, "act")
    mixed = add_action(state, ANN, [kept, child])
    only_gone = add_action(state, BOB, [grandchild])

    decision = ok(state, FAC, p.RemoveCause(op=op(), cause=gone))
    assert isinstance(decision, p.RemoveCause) and decision.voters is None, "hidden: no recount"

    assert set(state.causes) == {kept}
    assert state.ballots[ANN.id].is_empty(), "Ann's only votes were on removed answers"
    assert state.ballots[BOB.id].dots == {kept: 1}
    assert state.voters == 2, "a drop would tell the room whose votes they were"
    assert state.actions[mixed].causes == [kept]
    assert state.actions[only_gone].causes == []


# --- text ----------------------------------------------------------------------------------

EMPTY_AFTER_CLEANING = ["", "   ", "\t\n", "\x1b[2J\x1b[H", "\x1b]0;title\x07", "\u202e\u200b\u2066",
                        "\x00\x07\x9b1m", " \x1b[31m \x1b[0m "]


@pytest.mark.parametrize("text", EMPTY_AFTER_CLEANING, ids=lambda text: f"{len(text)}-characters")
def test_empty_text_after_cleaning_is_refused(text: str) -> None:
    state = session("why")
    cause = add_cause(state, ANN)
    assert refused(state, ANN, p.AddCause(op=op(), parent=None, text=text)) == "invalid"
    assert refused(state, ANN, p.EditCause(op=op(), cause=cause, text=text)) == "invalid"
    phase(state, "act")
    action = add_action(state, ANN)
    assert refused(state, ANN, p.AddAction(op=op(), text=text)) == "invalid"
    assert refused(state, ANN, p.EditAction(op=op(), action=action, text=text)) == "invalid"


def test_accepted_text_is_cleaned_and_markup_kept_literally() -> None:
    state = session("why")
    cause = add_cause(state, ANN, text="  [bold]No\x1b[31m  safe\u202e place\x00  ")
    assert state.causes[cause].text == "[bold]No safe place"
    phase(state, "act")
    decision = ok(state, ANN, p.AddAction(op=op(), text="[link=x]Ask\x9b2J",
                                          who="The\x1b]52;c;aGk=\x07 city"))
    assert isinstance(decision, p.AddAction)
    assert (decision.text, decision.who) == ("[link=x]Ask", "The city")


# --- a closed session ------------------------------------------------------------------------


def test_a_closed_session_refuses_everything_but_reopen() -> None:
    state, cause, action = tree_with_everything()
    phase(state, "closed")
    for command in one_of_each(cause, action, BOB.id):
        if isinstance(command, p.Reopen):
            continue
        assert refused(state, FAC, command) == "closed", type(command).__name__
        if ANN.role in ROLE_MAY[type(command)]:
            assert refused(state, ANN, command) == "closed", type(command).__name__
    assert refused(state, ANN, p.Reopen(op=op())) == "not_allowed"
    ok(state, FAC, p.Reopen(op=op()))
    assert state.phase == "agree" and state.closed_at is None
    ok(state, FAC, p.SetAgreement(op=op(), action=action, agreed=True))


def test_reopen_only_when_closed() -> None:
    state = session("agree")
    assert refused(state, FAC, p.Reopen(op=op())) == "wrong_phase"


def test_close_records_the_time() -> None:
    state = session("agree")
    decision = send(state, FAC, p.Close(op=op(), closed_at=5.0), now=1234.5)
    assert isinstance(decision, p.Close) and decision.closed_at == 1234.5
    assert (state.phase, state.closed_at) == ("closed", 1234.5)
