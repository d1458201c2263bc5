"""The ranking and the help text at their edges: a cause weighed by a single dot or a
single answer, a broken saved tree that still lists every answer, and help text with one of
the client's words left out.
"""

from __future__ import annotations

from whytree.shared import wording
from whytree.shared.model import Cause, Session, Tally
from whytree.shared.ranking import is_weighed, not_weighed, ranked, tree_order


def three_causes() -> Session:
    return Session(causes={c: Cause(id=c, parent=None, text=f"Reason {c}") for c in ("c1", "c2", "c3")})


def test_one_dot_or_one_answer_is_enough_to_have_weighed_a_cause() -> None:
    state = three_causes()
    state.tally = {"c1": Tally(dots=1), "c2": Tally(we=1)}
    weighed = {item.cause.id: is_weighed(item) for item in ranked(state)}
    assert weighed == {"c1": True, "c2": True, "c3": False}
    assert [item.cause.id for item in not_weighed(state)] == ["c3"]


def test_a_broken_saved_tree_still_lists_every_answer_once() -> None:
    """Two answers under each other (a cycle no rule allows) and one more below them: the
    report lists all three, each once and under the one it answers, rather than losing one."""
    state = Session(causes={
        "a": Cause(id="a", parent="b", text="A"),
        "b": Cause(id="b", parent="a", text="B"),
        "c": Cause(id="c", parent="b", text="C"),
    })
    listed = [(cause.id, depth) for cause, depth in tree_order(state)]
    assert listed == [("a", 1), ("b", 2), ("c", 3)], "C still shown under B"


def test_help_text_never_ends_in_a_space_when_a_client_has_no_word_for_fixing() -> None:
    how = {**wording.PLACEHOLDERS, "fix_answer": ""}
    text = wording.step_help("why", "problem", how=how)
    assert text == text.strip() and text.endswith(".")
