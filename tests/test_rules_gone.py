"""Answers and votes that go away and come back: commands about an answer removed or merged
a moment ago, votes taken back and counted while answers go, and the undo of a removal.

In a busy room two people often act on the same answer at once: the facilitator removes,
merges or moves it while someone else is still voting on it or linking an action to it.
Each such command is refused with a plain sentence and changes nothing; the count of
people who voted and the votes that come back with an undo are exactly what the room did.
Pure core, as in `test_rules`.
"""

from __future__ import annotations

import msgspec
from test_rules import ANN, BOB, FAC, add_action, add_cause, dots, ok, op, phase, refused, session

from whytree.shared import protocol as p
from whytree.shared.apply import apply
from whytree.shared.model import Cause, Person, Session
from whytree.shared.rules import Refusal, decide

CAT = Person(id="cat", name="Cat")
GONE = "That answer is no longer there; someone may have removed it."


def sentence(state: Session, who: Person, command: p.ClientCommand) -> str:
    """What the person who sent `command` reads (it must be refused)."""
    refused(state, who, command)
    decision = decide(state, who, command, 1000.0)
    assert isinstance(decision, Refusal)
    return decision.message


def test_moving_an_answer_under_one_removed_a_moment_ago_says_it_is_gone() -> None:
    state = session("why")
    moving = add_cause(state, ANN, text="No bus")
    target = add_cause(state, BOB, text="No money")
    ok(state, FAC, p.RemoveCause(op=op(), cause=target))
    assert sentence(state, ANN, p.MoveCause(op=op(), cause=moving, parent=target)) == GONE
    assert sentence(state, FAC, p.MoveCause(op=op(), cause=target, parent=None)) == GONE


def test_moving_an_answer_under_its_own_answers_says_why_not() -> None:
    state = session("why")
    top = add_cause(state, ANN, text="No bus")
    below = add_cause(state, ANN, parent=top, text="Route cut")
    assert sentence(state, ANN, p.MoveCause(op=op(), cause=top, parent=below)) == (
        "An answer can't go under itself or under an answer below it.")


def test_the_count_of_voters_drops_for_whoever_voted_only_on_a_removed_answer() -> None:
    state = session("why")
    state.people[CAT.id] = msgspec.structs.replace(CAT)
    kept, gone = add_cause(state, text="kept"), add_cause(state, text="gone")
    phase(state, "weigh")
    dots(state, ANN, kept, 1)
    dots(state, BOB, gone, 1)
    dots(state, CAT, kept, 2)
    ok(state, FAC, p.RevealVotes(op=op(), revealed=True))
    assert state.voters == 3
    removed = ok(state, FAC, p.RemoveCause(op=op(), cause=gone))
    assert isinstance(removed, p.RemoveCause) and removed.voters == 2
    assert state.voters == 2, "Ann and Cat: Bob's only vote went with the answer"


def test_an_undo_gives_no_dot_back_to_someone_who_spent_them_all() -> None:
    state = session("why", dots_per_person=3)
    gone, one, two = (add_cause(state, text=t) for t in ("gone", "one", "two"))
    phase(state, "weigh")
    dots(state, ANN, gone, 2)
    ok(state, ANN, p.SetChange(op=op(), cause=gone, answer="we"))
    ok(state, FAC, p.RemoveCause(op=op(), cause=gone))
    dots(state, ANN, one, 2)
    dots(state, ANN, two, 1)
    ok(state, FAC, p.RestoreCause(op=op(), cause=gone))
    assert state.ballots[ANN.id].dots == {one: 2, two: 1}, "no dot, not even a 0, on the answer"
    assert state.ballots[ANN.id].change == {gone: "we"}, "her answer comes back all the same"


def test_an_undo_keeps_to_the_cap_on_one_answer_set_after_the_removal() -> None:
    state = session("why", dots_per_cause=2, dots_per_person=3)
    gone = add_cause(state, text="gone")
    phase(state, "weigh")
    dots(state, ANN, gone, 2)
    ok(state, FAC, p.RemoveCause(op=op(), cause=gone))
    # Nobody holds a dot now, so the facilitator may still change the dots.
    ok(state, FAC, p.SetSettings(op=op(), dots_per_person=3, dots_per_cause=1))
    ok(state, FAC, p.RestoreCause(op=op(), cause=gone))
    assert state.ballots[ANN.id].dots == {gone: 1}


def too_long(what: str, limit: int) -> str:
    return (f"{what} is too long once its letters are written out in full: some letters and signs "
            f"count as two or three characters, and {limit} fit. Please shorten it a little.")


def test_text_too_long_once_cleaned_says_which_field_to_shorten() -> None:
    state = session("why")
    cause = add_cause(state, ANN, text="No bus")
    grows = "\ufb2c" * 100  # three characters each once written out in full: 300
    short = "\ufb2c" * 41  # 123
    assert sentence(state, ANN, p.AddCause(op=op(), parent=None, text=grows)) == too_long("This answer", 280)
    assert sentence(state, ANN, p.EditCause(op=op(), cause=cause, text=grows)) == too_long("This answer", 280)
    assert sentence(state, FAC, p.SetSituation(op=op(), text=grows)) == too_long("The situation", 280)
    phase(state, "act")
    assert refused(state, ANN, p.AddAction(op=op(), text=grows, causes=[cause])) == "invalid"
    action_text = too_long("This action", 280)
    assert sentence(state, ANN, p.AddAction(op=op(), text=grows, causes=[cause])) == action_text
    assert sentence(state, ANN, p.AddAction(op=op(), text="Ask the city", causes=[cause], by="outside",
                                            who=short)) == too_long("Who can do it", 120)
    action = add_action(state, ANN, [cause])
    edit = p.EditAction(op=op(), action=action, text=grows, causes=[cause])
    assert sentence(state, ANN, edit) == action_text
    for field, what in (("first_step", "The first step"), ("owner", "Who takes it"), ("due", "By when")):
        plan = p.SetAgreement(op=op(), action=action, agreed=True, **{field: short})
        assert sentence(state, FAC, plan) == too_long(what, 120), field


def test_an_action_exactly_as_long_as_its_fields_allow_is_taken() -> None:
    state = session("why")
    cause = add_cause(state, ANN, text="No bus")
    phase(state, "act")
    text, who = "a" * p.MAX_ACTION_TEXT, "b" * p.MAX_SHORT_TEXT
    decision = ok(state, ANN, p.AddAction(op=op(), text=text, causes=[cause], by="outside", who=who))
    assert isinstance(decision, p.AddAction) and decision.id is not None
    assert (state.actions[decision.id].text, state.actions[decision.id].who) == (text, who)
    answer = "c" * p.MAX_CAUSE_TEXT
    ok(state, FAC, p.EditCause(op=op(), cause=cause, text=answer))
    assert state.causes[cause].text == answer


def test_a_count_or_tally_sent_with_a_removal_or_merge_never_reaches_the_room() -> None:
    """Only the server counts: while the votes are hidden, the numbers a command carries are
    dropped, so nobody can make the room believe a forged count or see a made-up tally."""
    state = session("why")
    a, b, c = (add_cause(state, text=t) for t in ("a", "b", "c"))
    phase(state, "weigh")
    dots(state, ANN, a, 1)
    forged = {b: p.Tally(dots=40, we=9)}
    for command in (p.RemoveCause(op=op(), cause=c, voters=99, tally=forged),
                    p.MergeCauses(op=op(), cause=b, into=a, voters=99, tally=forged)):
        decision = ok(state, FAC, command)
        assert isinstance(decision, (p.RemoveCause, p.MergeCauses))
        assert (decision.voters, decision.tally) == (None, None), type(command).__name__
        assert state.voters == 1 and state.tally == {}

    # Once the votes show, the server puts its own count and tally in their place.
    d, e = add_cause(state, text="d"), add_cause(state, text="e")
    dots(state, BOB, d, 2)
    ok(state, FAC, p.RevealVotes(op=op(), revealed=True))
    for command in (p.RemoveCause(op=op(), cause=d, voters=99, tally=forged),
                    p.MergeCauses(op=op(), cause=e, into=a, voters=99, tally=forged)):
        decision = ok(state, FAC, command)
        assert isinstance(decision, (p.RemoveCause, p.MergeCauses))
        assert decision.voters == 1 and decision.tally == {a: p.Tally(dots=1)}, type(command).__name__
        assert state.voters == 1 and state.tally == {a: p.Tally(dots=1)}


def bobs_vote_removed() -> tuple[Session, str, str, str]:
    """Ann's dot on "kept", Bob's on "gone", and "gone" removed while the votes are hidden;
    the state, "kept", and two answers to merge ("one" into "two")."""
    state = session("why")
    kept, gone, one, two = (add_cause(state, text=t) for t in ("kept", "gone", "one", "two"))
    phase(state, "weigh")
    dots(state, ANN, kept, 1)
    dots(state, BOB, gone, 1)
    ok(state, FAC, p.RemoveCause(op=op(), cause=gone))
    return state, kept, one, two


def test_once_the_votes_show_a_merge_counts_the_people_whose_votes_are_still_there() -> None:
    state, _, one, two = bobs_vote_removed()
    assert state.voters == 2, "hidden: Bob still counts, or the room would learn whose vote it was"
    ok(state, FAC, p.RevealVotes(op=op(), revealed=True))
    merged = ok(state, FAC, p.MergeCauses(op=op(), cause=one, into=two))
    assert isinstance(merged, p.MergeCauses) and merged.voters == 1
    assert state.voters == 1 and list(state.ballots) == [ANN.id]


def test_an_undo_says_why_it_cannot_bring_an_answer_back() -> None:
    state = session("why")
    home, other = add_cause(state, ANN, text="home"), add_cause(state, ANN, text="other")
    first = add_cause(state, ANN, parent=home, text="first")
    ok(state, ANN, p.RemoveCause(op=op(), cause=first))
    ok(state, ANN, p.RemoveCause(op=op(), cause=other))
    assert sentence(state, ANN, p.RestoreCause(op=op(), cause=first)) == (
        "That removal can't be undone any more: something else was removed after it.")
    ok(state, ANN, p.RestoreCause(op=op(), cause=other))
    lone = add_cause(state, FAC, parent=home, text="lone")
    ok(state, FAC, p.RemoveCause(op=op(), cause=lone))
    ok(state, FAC, p.MergeCauses(op=op(), cause=home, into=other))  # its parent goes meanwhile
    assert sentence(state, FAC, p.RestoreCause(op=op(), cause=lone)) == (
        "The answer it was under is gone, so it can't come back.")


def full_tree(state: Session, answers: int) -> None:
    """`answers` answers under the situation, as if the room had typed them."""
    for n in range(answers):
        cause_id = f"f{n}"
        state.causes[cause_id] = Cause(id=cause_id, parent=None, text=f"Reason {n}", author=FAC.id)


def test_an_undo_fits_in_a_tree_with_exactly_room_for_it_and_not_in_a_full_one() -> None:
    state = session("why")
    full_tree(state, p.MAX_CAUSES - 2)
    top = add_cause(state, FAC, text="top")
    add_cause(state, FAC, parent=top, text="below")
    ok(state, FAC, p.RemoveCause(op=op(), cause=top))
    ok(state, FAC, p.RestoreCause(op=op(), cause=top))
    assert len(state.causes) == p.MAX_CAUSES, "exactly at the limit"
    ok(state, FAC, p.RemoveCause(op=op(), cause=top))
    add_cause(state, FAC, text="typed meanwhile")
    assert sentence(state, FAC, p.RestoreCause(op=op(), cause=top)) == (
        "This tree holds as many answers as it can.")
    assert refused(state, FAC, p.RestoreCause(op=op(), cause=top)) == "full"


def test_taking_back_a_dot_or_an_answer_takes_it_off_the_screen() -> None:
    state = session("why")
    cause = add_cause(state, text="No bus")
    phase(state, "weigh")
    dots(state, ANN, cause, 2)
    ok(state, ANN, p.SetChange(op=op(), cause=cause, answer="we"))
    dots(state, ANN, cause, 0)
    assert state.ballots[ANN.id].dots == {}
    ok(state, ANN, p.SetChange(op=op(), cause=cause, answer=None))
    assert ANN.id not in state.ballots and state.voters == 0
    # Taking back what was never given (a second screen, a repeated key) is harmless.
    dots(state, BOB, cause, 0)
    ok(state, BOB, p.SetChange(op=op(), cause=cause, answer=None))
    assert state.ballots == {} and state.voters == 0


def test_an_answer_to_can_it_change_alone_counts_its_voter() -> None:
    state = session("why")
    cause = add_cause(state, text="No bus")
    phase(state, "weigh")
    ok(state, ANN, p.SetChange(op=op(), cause=cause, answer="no"))
    assert state.voters == 1


def test_a_merge_while_hidden_keeps_counting_someone_whose_votes_went_with_a_removal() -> None:
    state, kept, one, two = bobs_vote_removed()
    ok(state, FAC, p.MergeCauses(op=op(), cause=one, into=two))
    assert state.voters == 2
    dots(state, BOB, kept, 1)  # Bob votes again: still one person
    assert state.voters == 2


def test_a_merge_keeps_an_actions_other_causes() -> None:
    state = session("why")
    merged, into, other = (add_cause(state, text=t) for t in ("No bus", "No transport", "No money"))
    phase(state, "act")
    action = add_action(state, ANN, [merged, other])
    ok(state, FAC, p.MergeCauses(op=op(), cause=merged, into=into))
    assert state.actions[action].causes == [into, other]


def test_an_undo_while_the_votes_show_counts_its_voters_again() -> None:
    state = session("why")
    kept, gone = add_cause(state, text="kept"), add_cause(state, text="gone")
    phase(state, "weigh")
    dots(state, ANN, kept, 1)
    dots(state, BOB, gone, 1)
    ok(state, FAC, p.RevealVotes(op=op(), revealed=True))
    ok(state, FAC, p.RemoveCause(op=op(), cause=gone))
    assert state.voters == 1
    ok(state, FAC, p.RestoreCause(op=op(), cause=gone))
    assert state.voters == 2 and state.tally[gone].dots == 1


def test_who_is_here_follows_the_hosts_presence_events() -> None:
    """The host publishes who is connected; everyone's list of people follows, and the
    state stays one a newcomer's screen can read."""
    state = session("why")
    for seq, (person, online) in enumerate([(ANN.id, False), ("nobody", False), (ANN.id, True),
                                            (BOB.id, False)], start=state.seq + 1):
        apply(state, p.Event(seq=seq, by=None, op=None, command=p.Presence(person=person, online=online)))
        if person == ANN.id:
            assert state.people[ANN.id].online is online
    assert [person.id for person in state.online_people()] == [FAC.id, ANN.id, "v"]
    welcome = p.Welcome(you=state.people[ANN.id], token="t", seq=state.seq, state=state, server_time=0.0)
    assert p.decode_server_frame(p.encode(welcome)) == welcome


def test_only_the_person_who_removed_an_answer_is_told_they_can_bring_it_back() -> None:
    state = session("why")
    gone = add_cause(state, ANN, text="Mine")
    ok(state, ANN, p.RemoveCause(op=op(), cause=gone))
    assert sentence(state, FAC, p.RestoreCause(op=op(), cause=gone)) == (
        "Only the person who removed an answer can bring it back.")


def test_a_chain_as_deep_as_the_limit_comes_back_from_the_top() -> None:
    state = session("why")
    top = add_cause(state, FAC, text="level 1")
    below = top
    for level in range(2, p.MAX_DEPTH + 1):
        below = add_cause(state, FAC, parent=below, text=f"level {level}")
    ok(state, FAC, p.RemoveCause(op=op(), cause=top))
    ok(state, FAC, p.RestoreCause(op=op(), cause=top))
    assert len(state.causes) == p.MAX_DEPTH and state.depth(below) == p.MAX_DEPTH


def test_clearing_one_answer_keeps_counting_someone_who_gave_others() -> None:
    state = session("why")
    one, two = add_cause(state, text="one"), add_cause(state, text="two")
    phase(state, "weigh")
    ok(state, ANN, p.SetChange(op=op(), cause=one, answer="we"))
    ok(state, ANN, p.SetChange(op=op(), cause=two, answer="no"))
    ok(state, ANN, p.SetChange(op=op(), cause=one, answer=None))
    assert state.voters == 1 and state.ballots[ANN.id].change == {two: "no"}


def test_an_action_names_each_of_its_causes_once() -> None:
    state = session("why")
    one, two = add_cause(state, text="one"), add_cause(state, text="two")
    phase(state, "act")
    added = ok(state, ANN, p.AddAction(op=op(), text="Ask the city", causes=[one, two, one]))
    assert isinstance(added, p.AddAction) and added.id is not None
    assert state.actions[added.id].causes == [one, two]
    ok(state, ANN, p.EditAction(op=op(), action=added.id, text="Ask the council", causes=[two, two, one]))
    assert state.actions[added.id].causes == [two, one]
