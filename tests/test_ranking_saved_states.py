"""Reports of a saved state that breaks the tree's rules still list every answer once.

The rules keep every parent present and the tree free of cycles, but a `session.json`
edited by hand, or written by an older version, may not be: its report must still show
each answer exactly once (none lost, none repeated for ever).
"""

from __future__ import annotations

from whytree.server.results import report_markdown
from whytree.shared.model import Cause, Session
from whytree.shared.ranking import ranked, tree_order


def test_answers_in_a_cycle_are_each_listed_once() -> None:
    state = Session(causes={"a": Cause(id="a", parent="b", text="Rain"),
                            "b": Cause(id="b", parent="a", text="Clouds"),
                            "c": Cause(id="c", parent=None, text="Cold")})
    assert [(cause.id, depth) for cause, depth in tree_order(state)] == [("c", 1), ("a", 1), ("b", 2)]
    assert sorted(item.cause.id for item in ranked(state)) == ["a", "b", "c"]
    report = report_markdown(state)
    assert report.count("- Rain") == 1 and report.count("- Clouds") == 1


def test_an_answer_whose_parent_is_gone_is_listed_at_the_top() -> None:
    state = Session(causes={"x": Cause(id="x", parent="gone", text="Orphan"),
                            "y": Cause(id="y", parent="x", text="Below it")})
    assert [(cause.id, depth) for cause, depth in tree_order(state)] == [("x", 1), ("y", 2)]
