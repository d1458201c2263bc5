"""Ranking the causes and placing them on the 2×2 of "matters" × "can change".

After the weigh step the room has two answers about every cause: how many "matters" dots
it got, and what people said about whether it can change (by us / only with others / not
for now). This module turns those revealed totals (`Session.tally`) into the picture the
group decides from; the TUI draws it and the saved reports print it, so both say the same.

The rules, in one place:

* **Rank.** Most dots first; equal dots keep tree order (the order the tree is read in,
  depth first), and share a place (1, 2, 2, 4).
* **The room's answer to "can it change?"** (`room_answer`). First the yes/no question:
  if at least half of the answers are "not for now", the answer is "not for now" -- a
  plan should not rest on a split room. Otherwise more people said it can change, and the
  answer is "we can change it" if more said "we" than "only with others", else "only with
  others" (a tie goes to "with others": if half the room thinks outside help is needed,
  plan for it). No answers at all: None.
* **Matters** (`matters_threshold`). A cause matters when it got at least the average
  number of dots of the causes that got any dot, and at least 1 dot. Dots are whole
  numbers, so the threshold is that average rounded up. Nobody voted: nothing matters.
* **Can change.** The room's answer is "we" or "others". An unanswered cause counts as
  "not for now": nobody has claimed it can change.
* **Weighed.** A cause is weighed when it got at least one dot or one answer to "can it
  change?". Only weighed causes go on the 2×2; the others are "not weighed yet"
  (`not_weighed`), never "let go": the room has said nothing about them.

Every place that shows the room's answer -- the tree's labels, the ranking, the 2×2, the
summary and the reports -- asks `room_answer`; `wording.ANSWER_RULE` says its rule in
plain words, on screen and in the report.

Only revealed votes count: before the reveal `Session.tally` is empty, so every cause has
0 dots and no answers.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from .model import Cause, Change, Mode, Session, Tally
from .wording import cause_word

Box = Literal["act_first", "keep_in_mind", "maybe_later", "let_go"]

BOXES: tuple[Box, ...] = ("act_first", "keep_in_mind", "maybe_later", "let_go")
"""The four boxes in reading order of the 2×2: top row "matters", left column "can
change" -- so top-left, top-right, bottom-left, bottom-right."""

BOX_TITLES: dict[Box, str] = {
    "act_first": "Act here first",
    "keep_in_mind": "Keep in mind",
    "maybe_later": "Maybe later",
    "let_go": "Let go for now",
}


class RankedCause(msgspec.Struct, frozen=True, kw_only=True):
    """One cause with the room's revealed votes on it."""

    cause: Cause
    place: int
    """1 for the most dots; causes with equal dots share a place (1, 2, 2, 4)."""
    depth: int
    """1 for an answer directly under the situation, 2 below that, and so on."""
    tally: Tally
    answer: Change | None
    """The room's answer to "can it change?" (see the module docstring), None if nobody
    answered."""

    @property
    def dots(self) -> int:
        return self.tally.dots

    @property
    def can_change(self) -> bool:
        return self.answer in ("we", "others")


def tree_order(state: Session) -> list[tuple[Cause, int]]:
    """Every cause with its depth, in the order the tree is read: depth first, siblings in
    the order they were added. Iterative: a chain of any depth (an old journal may hold one
    far deeper than `MAX_DEPTH`) cannot exhaust the stack."""
    below: dict[str | None, list[Cause]] = {}
    for cause in state.causes.values():
        below.setdefault(cause.parent, []).append(cause)
    found: list[tuple[Cause, int]] = []
    seen: set[str] = set()

    def visit(parent: str | None, depth: int) -> None:
        stack = [(cause, depth) for cause in reversed(below.get(parent, ()))]
        while stack:
            cause, level = stack.pop()
            if cause.id in seen:
                continue
            seen.add(cause.id)
            found.append((cause, level))
            stack.extend((child, level + 1) for child in reversed(below.get(cause.id, ())))

    visit(None, 1)
    # The rules keep every parent present and the tree acyclic; should a saved state break
    # that, its causes are still listed (as top-level answers) rather than silently lost.
    for cause in state.causes.values():
        if cause.id not in seen:
            seen.add(cause.id)
            found.append((cause, 1))
            visit(cause.id, 2)
    return found


def is_weighed(item: RankedCause) -> bool:
    """Whether the room said anything about this cause: a dot or a "can it change?" answer."""
    return item.dots > 0 or item.tally.votes_on_change() > 0


def room_answer(tally: Tally) -> Change | None:
    """The room's answer to "can it change?" on one cause (rule in the module docstring)."""
    can = tally.we + tally.others
    if can == 0 and tally.no == 0:
        return None
    if tally.no >= can:
        return "no"
    return "we" if tally.we > tally.others else "others"


def ranked(state: Session) -> list[RankedCause]:
    """All causes by revealed "matters" dots, most first; equal dots keep tree order."""
    items = [
        (cause, depth, state.tally.get(cause.id, Tally()))
        for cause, depth in tree_order(state)
    ]
    items.sort(key=lambda item: -item[2].dots)  # stable: ties stay in tree order
    result: list[RankedCause] = []
    for position, (cause, depth, tally) in enumerate(items, start=1):
        tied = bool(result) and result[-1].dots == tally.dots
        place = result[-1].place if tied else position
        result.append(RankedCause(cause=cause, place=place, depth=depth, tally=tally,
                                  answer=room_answer(tally)))
    return result


def matters_threshold(causes: list[RankedCause]) -> int:
    """The fewest dots with which a cause counts as "matters": the average dots of the
    causes that got any, rounded up, and at least 1."""
    voted = [item.dots for item in causes if item.dots > 0]
    if not voted:
        return 1
    return max(1, -(-sum(voted) // len(voted)))


def quadrant(item: RankedCause, threshold: int) -> Box:
    """The box of the 2×2 that `item` falls in, given `matters_threshold` of its session."""
    matters = item.dots >= threshold
    if matters:
        return "act_first" if item.can_change else "keep_in_mind"
    return "maybe_later" if item.can_change else "let_go"


def two_by_two(state: Session) -> dict[Box, list[RankedCause]]:
    """The 2×2 as data: each box (in `BOXES` order) with its weighed causes, most dots
    first. Causes nobody weighed are on no box (`not_weighed`)."""
    causes = ranked(state)
    threshold = matters_threshold(causes)
    boxes: dict[Box, list[RankedCause]] = {box: [] for box in BOXES}
    for item in causes:
        if is_weighed(item):
            boxes[quadrant(item, threshold)].append(item)
    return boxes


def not_weighed(state: Session) -> list[RankedCause]:
    """The causes nobody put a dot or an answer on, in tree order: not on the 2×2."""
    return [item for item in ranked(state) if not is_weighed(item)]


def box_meaning(box: Box, mode: Mode) -> str:
    """One line saying what a box means for the group, in the session's wording."""
    things = cause_word(mode, plural=True)
    if mode == "problem":
        meanings: dict[Box, str] = {
            "act_first": f"These {things} matter most and can change, by us or with others: start here.",
            "keep_in_mind": f"These {things} matter, but the room did not say they can change: "
                            "keep them in view.",
            "maybe_later": f"These {things} can change, by us or with others, but matter less: "
                           "come back to them later.",
            "let_go": f"These {things} matter less, and the room did not say they can change: "
                      "let them go for now.",
        }
    else:
        meanings = {
            "act_first": f"These {things} matter most and we can repeat them, alone or with others: "
                         "apply them first.",
            "keep_in_mind": f"These {things} matter, but the room did not say we can repeat them: "
                            "keep them in view.",
            "maybe_later": f"These {things} we could repeat, alone or with others, but they matter "
                           "less: come back to them later.",
            "let_go": f"These {things} matter less, and the room did not say we can repeat them: "
                      "let them go for now.",
        }
    return meanings[box]
