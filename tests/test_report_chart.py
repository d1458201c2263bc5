"""What `report.html`'s pictures show, read off the page's own SVG and HTML.

The 2×2 chart puts each weighed cause as a numbered circle: higher with more dots, further
left the more answers say it can change. A cause nobody said can change sits at the far
right; one the room split on evenly ("not for now" by the rule) just right of the middle
line; circles that would cover each other are lined up side by side, away from the line,
and only those. The tree's picture marks an answer drawn less deep than it is, caps the
row of dots, and shows no vote the room has not seen. (The browser tests in
`test_report_pictures.py` check the layout; these check the numbers, fast.)
"""

from __future__ import annotations

import re

import pytest

from whytree.shared import report
from whytree.shared.model import Cause, Session, Tally

NOW = 1_717_243_200.0

# The chart's drawing area (as `shared/report.py` lays it out): x runs from 70 to 630.
LEFT, WIDTH = 70, 560
MIDDLE = LEFT + WIDTH / 2


def x_of(share: float) -> float:
    """Where a circle whose answers say "can change" in `share` of cases is centred."""
    return LEFT + (1 - share) * WIDTH


def weighed(tallies: dict[str, Tally], revealed: bool = True) -> Session:
    """A session whose top-level causes are named by `tallies`' keys, with those votes."""
    return Session(
        title="Chart", situation="The bus is late", phase="closed", revealed=revealed,
        closed_at=NOW, voters=20,
        causes={name: Cause(id=name, parent=None, text=name) for name in tallies},
        tally=dict(tallies),
    )


def circles(page: str) -> dict[str, float]:
    """Each circle's centre across the chart, by the cause it stands for."""
    found = re.findall(r'<g><title>([^<]*)</title><circle cx="([\d.]+)"', page)
    return {title: float(cx) for title, cx in found}


def test_a_cause_nobody_answered_on_sits_at_the_far_right() -> None:
    # Dots but no "can it change?" answer: nobody said it can change.
    page = report.html(weighed({"dots only": Tally(dots=3), "can": Tally(dots=1, we=2)}), NOW)
    assert circles(page)["dots only"] > x_of(0.05)


def test_a_cause_the_room_split_on_sits_just_right_of_the_middle_line() -> None:
    # One "we", one "not for now": the room's answer is "not for now", so it is drawn on
    # the "not for now" side, next to the line -- not on it, nor on the other side.
    page = report.html(weighed({"split": Tally(dots=2, we=1, no=1), "can": Tally(dots=1, we=1)}), NOW)
    cx = circles(page)["split"]
    assert MIDDLE + 11 < cx < MIDDLE + 40, cx


def test_circles_on_one_spot_line_up_away_from_the_middle_line() -> None:
    tallies = {f"no {n}": Tally(dots=2, we=1, no=3) for n in range(3)}  # a quarter say "can"
    tallies |= {f"we {n}": Tally(dots=2, we=3, no=1) for n in range(3)}  # three quarters
    drawn = circles(report.html(weighed(tallies), NOW))
    not_for_now = sorted(drawn[f"no {n}"] for n in range(3))
    can_change = sorted(drawn[f"we {n}"] for n in range(3))
    assert not_for_now == [round(x_of(0.25) + offset, 1) for offset in (0, 22, 44)]
    assert can_change == [round(x_of(0.75) - offset, 1) for offset in (44, 22, 0)]


def test_only_circles_that_would_cover_each_other_are_moved() -> None:
    # Same dots, answers a little apart: 2 of 7 and 5 of 17 say "can" (0.286 and 0.294):
    # the two circles would cover each other, so the second is moved aside.
    close = circles(report.html(weighed({"two of seven": Tally(dots=2, we=2, no=5),
                                         "five of seventeen": Tally(dots=2, we=5, no=12)}), NOW))
    moved = sorted([close["two of seven"] - x_of(2 / 7), close["five of seventeen"] - x_of(5 / 17)])
    assert moved == pytest.approx([0, 22], abs=0.1), close
    # Same dots, answers far apart (a quarter and two fifths): each at its own place.
    apart = circles(report.html(weighed({"a quarter": Tally(dots=2, we=1, no=3),
                                         "two fifths": Tally(dots=2, we=2, no=3)}), NOW))
    assert apart == {"a quarter": round(x_of(0.25), 1), "two fifths": round(x_of(0.4), 1)}


def chain(depth: int) -> dict[str, Cause]:
    return {f"c{n}": Cause(id=f"c{n}", parent=f"c{n - 1}" if n > 1 else None, text=f"answer {n}")
            for n in range(1, depth + 1)}


def test_an_answer_drawn_less_deep_than_it_is_says_its_level() -> None:
    # Only an old journal holds a tree this deep; the picture stops indenting at 12 levels.
    state = Session(title="Deep", situation="Why?", phase="closed", closed_at=NOW, causes=chain(14))
    page = report.html(state, NOW)
    assert '<div class="node">answer 12</div>' in page
    assert '<div class="node">answer 13<span class="marks">level 13</span></div>' in page
    assert '<div class="node">answer 14<span class="marks">level 14</span></div>' in page


def test_many_dots_are_drawn_as_twelve_and_counted_in_words() -> None:
    page = report.html(weighed({"popular": Tally(dots=20, we=3), "quiet": Tally(dots=1, no=1)}), NOW)
    assert "●" * 12 + " 20 dots" in page
    assert "●" * 13 not in page


def test_the_tree_shows_no_votes_while_they_are_hidden() -> None:
    # Whatever a copy of the session holds, votes the room has not seen are not printed.
    page = report.html(weighed({"secret": Tally(dots=3, we=2)}, revealed=False), NOW)
    assert '<div class="node">secret</div>' in page
    assert "●" not in page and "3 dots" not in page
    assert "✔" not in page
