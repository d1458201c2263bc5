"""The session's read-only helpers (`model.Session`) as people meet them: how deep a chain of
answers may go, how tall a branch is when it moves, whose dots are left, who is here.

The depth limit is exact: a chain of `MAX_DEPTH` answers fits and one more does not, for a
new answer, a moved branch, a merge and an undo alike. Pure core, as in `test_rules`.
"""

from __future__ import annotations

from test_rules import ANN, BOB, FAC, VIEWER, add_cause, ok, op, refused, session

from whytree.shared import protocol as p
from whytree.shared.model import Ballot, Session, Tally
from whytree.shared.ranking import is_weighed, not_weighed, ranked
from whytree.shared.rules import depth_refusal


def chain(state: Session, length: int, text: str = "level") -> list[str]:
    """A chain of `length` answers, each under the one before, from the situation down."""
    ids = [add_cause(state, FAC, text=f"{text} 1")]
    for level in range(2, length + 1):
        ids.append(add_cause(state, FAC, parent=ids[-1], text=f"{text} {level}"))
    return ids


def test_a_chain_of_answers_fits_exactly_to_the_depth_limit() -> None:
    state = session("why")
    answers = chain(state, p.MAX_DEPTH)
    assert [state.depth(c) for c in answers] == list(range(1, p.MAX_DEPTH + 1))
    # The screens ask before anyone types: one more fits under the one but last, not the last.
    assert depth_refusal(state, answers[-2], None) is None
    refusal = depth_refusal(state, answers[-1], None)
    assert refusal is not None and refusal.reason == "too_deep"
    assert refusal.message == (f"This chain of answers is as deep as it can go ({p.MAX_DEPTH} levels); "
                               "add the answer higher up in the tree.")
    assert refused(state, ANN, p.AddCause(op=op(), parent=answers[-1], text="one more")) == "too_deep"
    ok(state, ANN, p.AddCause(op=op(), parent=answers[-2], text="beside the last"))
    assert depth_refusal(state, None, None) is None


def test_a_branch_is_as_tall_as_its_levels_not_its_answers() -> None:
    state = session("why")
    top = add_cause(state, FAC, text="top")
    wide = [add_cause(state, ANN, parent=top, text=f"wide {n}") for n in range(3)]
    add_cause(state, BOB, parent=wide[1], text="deepest")
    add_cause(state, BOB, text="elsewhere")  # another branch: not part of this one
    assert state.height(top) == 3
    assert state.height(wide[0]) == 1
    # It moves under an answer as deep as the limit allows for three levels, and no deeper.
    answers = chain(state, p.MAX_DEPTH - 3, text="chain")
    refusal = depth_refusal(state, answers[-1], wide[1])
    assert refusal is None, "two levels fit under the last of the chain"
    ok(state, FAC, p.MoveCause(op=op(), cause=top, parent=answers[-1]))
    assert state.depth(top) == p.MAX_DEPTH - 2
    assert max(state.depth(c) for c in state.subtree(top)) == p.MAX_DEPTH
    ok(state, FAC, p.MoveCause(op=op(), cause=top, parent=None))
    answers.append(add_cause(state, FAC, parent=answers[-1], text="one lower"))
    assert refused(state, FAC, p.MoveCause(op=op(), cause=top, parent=answers[-1])) == "too_deep"


def test_a_merge_keeps_the_answers_below_within_the_depth_limit() -> None:
    state = session("why")
    answers = chain(state, p.MAX_DEPTH - 2)
    merged = add_cause(state, FAC, text="the same thing again")
    below = add_cause(state, ANN, parent=merged, text="because")
    add_cause(state, ANN, parent=below, text="because of that")
    # Its two levels below land under the target: depth MAX_DEPTH - 1 and MAX_DEPTH.
    deeper = add_cause(state, FAC, parent=answers[-1], text="one more level")
    assert refused(state, FAC, p.MergeCauses(op=op(), cause=merged, into=deeper)) == "too_deep"
    ok(state, FAC, p.MergeCauses(op=op(), cause=merged, into=answers[-1]))
    assert state.causes[below].parent == answers[-1]
    assert max(state.depth(c) for c in state.causes) == p.MAX_DEPTH


def test_an_undo_comes_back_only_where_its_levels_fit() -> None:
    state = session("why")
    answers = chain(state, p.MAX_DEPTH - 3)
    home = add_cause(state, FAC, text="home")
    top = add_cause(state, FAC, parent=home, text="removed")
    add_cause(state, ANN, parent=top, text="below")
    leaf = add_cause(state, ANN, parent=state.children(top)[0].id, text="lowest")
    ok(state, FAC, p.RemoveCause(op=op(), cause=top))
    # Three levels come back under `home`: home may be at MAX_DEPTH - 3, not one lower.
    ok(state, FAC, p.MoveCause(op=op(), cause=home, parent=answers[-1]))
    assert state.depth(home) == p.MAX_DEPTH - 2
    assert refused(state, FAC, p.RestoreCause(op=op(), cause=top)) == "too_deep"
    ok(state, FAC, p.MoveCause(op=op(), cause=home, parent=answers[-2]))
    ok(state, FAC, p.RestoreCause(op=op(), cause=top))
    assert state.depth(leaf) == p.MAX_DEPTH


def test_a_person_who_has_not_voted_has_every_dot_left() -> None:
    state = session("weigh", dots_per_person=3)
    cause = "c1"
    assert state.dots_used(ANN.id) == 0
    state.ballots[ANN.id] = Ballot(dots={cause: 2, "c2": 1})
    assert state.dots_used(ANN.id) == 3
    assert state.dots_used(BOB.id) == 0


def test_only_the_people_connected_and_still_in_are_here() -> None:
    state = session("why")
    state.people[BOB.id].online = False
    ok(state, FAC, p.RemovePerson(op=op(), person=ANN.id))
    assert [person.id for person in state.online_people()] == [FAC.id, VIEWER.id]


def test_a_cause_with_only_not_for_now_answers_was_weighed() -> None:
    state = session("why")
    cause = add_cause(state, FAC, text="No buses after six")
    state.tally = {cause: Tally(no=2)}
    assert Tally(we=1, others=2, no=3).votes_on_change() == 6
    [item] = ranked(state)
    assert is_weighed(item)
    assert not_weighed(state) == []


def test_asking_about_an_answer_removed_a_moment_ago_does_not_break_the_screen() -> None:
    """The screen asks before anyone types; its selection can be one event behind."""
    state = session("why")
    top = add_cause(state, FAC, text="top")
    gone = add_cause(state, ANN, parent=top, text="gone")
    ok(state, FAC, p.RemoveCause(op=op(), cause=gone))
    assert state.depth(gone) == 0
    assert depth_refusal(state, gone, None) is None, "the server says it is gone, not too deep"
    assert refused(state, ANN, p.AddCause(op=op(), parent=gone, text="why")) == "not_found"
    assert not state.is_descendant(gone, top)
    assert state.is_descendant(gone, gone)


def test_an_answer_with_nothing_below_merges_even_into_the_deepest_answer() -> None:
    state = session("why")
    answers = chain(state, p.MAX_DEPTH)
    leaf = add_cause(state, ANN, text="the same as the deepest")
    ok(state, FAC, p.MergeCauses(op=op(), cause=leaf, into=answers[-1]))
    assert leaf not in state.causes
