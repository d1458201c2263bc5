"""One answer to "can it change?", and a 2×2 that places only what the room weighed.

The tree's label, the ranking, the 2×2 and the reports all give the same answer for a
cause (`ranking.room_answer`), and the rule for a split room is written where people read
it. A cause nobody voted on is "not weighed yet", not "let go"; each box's words are true
of every cause in it.
"""

from __future__ import annotations

from whytree.shared import ranking, report, wording
from whytree.shared.model import Cause, Mode, Session, Tally
from whytree.shared.ranking import BOX_TITLES, box_meaning, ranked, two_by_two
from whytree.tui.widgets.cause_tree import cause_label

NOW = 1_717_243_200.0


def split_room() -> Session:
    """Four people: two say "we can change it", two say "not for now"; one cause unweighed."""
    causes = {
        "c1": Cause(id="c1", parent=None, text="The playground is locked at 3pm"),
        "c2": Cause(id="c2", parent=None, text="Nobody asked the caretaker"),
        "c3": Cause(id="c3", parent=None, text="The buses stop at 4pm"),
    }
    return Session(
        situation="The children have nowhere to play", phase="closed", causes=causes,
        revealed=True, voters=4,
        tally={"c1": Tally(dots=4, we=2, no=2), "c2": Tally(dots=1, others=2)},
    )


def test_the_tree_says_what_the_ranking_and_the_report_say_when_the_room_is_split() -> None:
    state = split_room()
    label = cause_label(state.causes["c1"], state, None).plain
    ranking = {item.cause.id: item.answer for item in ranked(state)}

    assert ranking["c1"] == "no"
    assert "[not for now]" in label
    assert "we can change it" not in label
    handout = report.markdown(state, NOW)
    assert "The playground is locked at 3pm (4 dots; not for now)" in handout


def test_the_rule_for_a_split_room_is_written_in_the_report() -> None:
    state = split_room()

    assert getattr(wording, "ANSWER_RULE", "?") in report.markdown(state, NOW)
    assert "a tie plans for outside help" in report.html(state, NOW)


def test_a_cause_nobody_weighed_is_not_let_go_but_not_weighed_yet() -> None:
    state = split_room()
    boxes = two_by_two(state)

    placed = [item.cause.id for items in boxes.values() for item in items]
    assert "c3" not in placed
    assert [item.cause.id for item in ranking.not_weighed(state)] == ["c3"]
    handout = report.markdown(state, NOW)
    let_go = handout.split("### Let go for now", 1)[1].split("###", 1)[0]
    assert "The buses stop at 4pm" not in let_go
    assert "### Not weighed yet" in handout
    assert "- The buses stop at 4pm" in handout.split("### Not weighed yet", 1)[1]


def test_no_box_promises_easy_wins_or_says_more_than_the_room_did() -> None:
    modes: tuple[Mode, ...] = ("problem", "success")
    for mode_ in modes:
        words = [BOX_TITLES[box] + " " + box_meaning(box, mode_) for box in BOX_TITLES]
        text = " ".join(words).lower()
        assert "easy" not in text and "quick" not in text
        # "Not for now" holds causes nobody answered on: the words say only what was said.
        assert "did not say" in box_meaning("let_go", mode_)
        assert "did not say" in box_meaning("keep_in_mind", mode_)
        assert "with others" in box_meaning("maybe_later", mode_)
