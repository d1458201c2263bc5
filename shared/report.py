"""The report of a session: what the room found and decided, as Markdown, HTML and CSV.

Pure: a `Session` and the time (seconds since the epoch, passed in -- nothing here reads
the clock or touches a file) in, text out. The host saves these texts when a session
closes (`server/results.py`); any client can render the same from its own copy of the
session (`markdown(state, time.time())`), and the TUI's summary reads the same `document`.

* `document(state)` -- the report as data: title, situation, the tree in reading order,
  the ranking and the 2×2 (`shared/ranking.py`), the actions with who can do them, and the
  agreed next steps. Only what the room sees: no ballot, and no author of anything.
* `markdown(state, now)` -- the handout (`report.md`), readable as plain text too;
* `html(state, now)` -- the same as one self-contained, printable page (`report.html`);
* `csv(state)` -- one row per action, for a spreadsheet (`actions.csv`).

`now` is when the report is made: it is printed as "saved on", and as the close time of a
session not closed yet. Times print in the local time of the machine rendering them.

Every word comes from `shared/wording.py`. The handout is laid out once as a few plain
blocks holding plain text (ours and the room's); each renderer escapes every piece of text
for its format, so no user text is ever read as Markdown, HTML or a spreadsheet formula.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Sequence
from csv import writer as csv_writer
from dataclasses import dataclass, field
from html import escape

from . import wording as w
from .model import Action, Change, Doer, Mode, Session
from .ranking import (
    BOX_TITLES,
    BOXES,
    Box,
    RankedCause,
    box_meaning,
    is_weighed,
    matters_threshold,
    not_weighed,
    quadrant,
    ranked,
    tree_order,
    two_by_two,
)

# --- the report as data --------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionLine:
    """One action as the report shows it: no author, its causes as their texts."""

    text: str
    agreed: bool
    causes: tuple[str, ...]
    """The texts of the causes it is for (those still in the tree), in its own order."""
    by: Doer
    who: str
    first_step: str
    owner: str
    due: str


@dataclass(frozen=True)
class Document:
    """What a report says, before it is written in any format."""

    mode: Mode
    title: str
    """The session's title, else its situation, else `wording.REPORT_UNTITLED`."""
    situation: str
    """As written; empty when none was."""
    closed_at: float | None
    voters: int
    revealed: bool
    tree: tuple[tuple[str, int], ...]
    """Each cause's text and depth (1 = directly under the situation), in reading order."""
    ranking: tuple[RankedCause, ...]
    """Every cause, most dots first (`ranking.ranked`)."""
    threshold: int
    """The fewest dots with which a cause "matters" (`ranking.matters_threshold`)."""
    grid: tuple[tuple[Box, tuple[RankedCause, ...]], ...]
    """The 2×2: each box in `ranking.BOXES` order, with its weighed causes."""
    not_weighed: tuple[RankedCause, ...]
    """The causes nobody put a dot or an answer on (`ranking.not_weighed`): on no box."""
    reading: tuple[RankedCause, ...]
    """Every cause with its votes, in reading order (as `tree`): the tree's picture."""
    actions: tuple[ActionLine, ...]

    @property
    def next_steps(self) -> tuple[ActionLine, ...]:
        """The agreed actions, in the order they were proposed."""
        return tuple(action for action in self.actions if action.agreed)

    @property
    def voted(self) -> bool:
        """Whether anyone's revealed vote counts: a dot or a "can it change?" answer."""
        return any(item.dots or item.tally.votes_on_change() for item in self.ranking)


def document(state: Session) -> Document:
    """The report of `state`, as data."""
    ranking = ranked(state)
    order = {cause.id: index for index, (cause, _) in enumerate(tree_order(state))}
    return Document(
        mode=state.mode,
        title=state.title or state.situation or w.REPORT_UNTITLED,
        situation=state.situation,
        closed_at=state.closed_at,
        voters=state.voters,
        revealed=state.revealed,
        tree=tuple((cause.text, depth) for cause, depth in tree_order(state)),
        ranking=tuple(ranking),
        threshold=matters_threshold(ranking),
        grid=tuple((box, tuple(causes)) for box, causes in two_by_two(state).items()),
        not_weighed=tuple(not_weighed(state)),
        reading=tuple(sorted(ranking, key=lambda item: order[item.cause.id])),
        actions=tuple(_action_line(state, action) for action in state.actions.values()),
    )


def _action_line(state: Session, action: Action) -> ActionLine:
    return ActionLine(
        text=action.text, agreed=action.agreed,
        causes=tuple(state.causes[cause_id].text for cause_id in action.causes if cause_id in state.causes),
        by=action.by, who=action.who, first_step=action.first_step, owner=action.owner, due=action.due,
    )


# --- the handout as blocks, shared by Markdown and HTML ----------------------------------------


@dataclass(frozen=True)
class _Strong:
    text: str


_Inline = str | _Strong


@dataclass(frozen=True)
class _Heading:
    level: int
    text: str


@dataclass(frozen=True)
class _Para:
    parts: tuple[_Inline, ...]
    muted: bool = False


@dataclass(frozen=True)
class _Items:
    """A list; each item has a depth (1 = top level), which nests it under the one before."""

    items: tuple[tuple[int, tuple[_Inline, ...]], ...]


@dataclass(frozen=True)
class _Table:
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class _Box:
    title: str
    meaning: str
    causes: tuple[str, ...]
    numbers: tuple[int, ...] = ()
    """Each cause's number on the chart (HTML only)."""


@dataclass(frozen=True)
class _Node:
    """One answer in the tree's picture."""

    depth: int
    text: str
    dots: int
    answer: Change | None
    first: bool
    """In "Act here first"."""


@dataclass(frozen=True)
class _Tree:
    """The cause tree: a plain nested list in Markdown, a picture in HTML (the situation at
    the root, a box per answer, with the room's dots and answer when they were revealed)."""

    situation: str
    nodes: tuple[_Node, ...]
    votes: bool
    mode: Mode = field(kw_only=True)


@dataclass(frozen=True)
class _Point:
    """One weighed cause on the 2×2 chart."""

    number: int
    text: str
    dots: int
    share: float
    """The share of its "can it change?" answers that say it can (0 with none)."""
    box: Box


@dataclass(frozen=True)
class _Grid:
    """The 2×2: boxes in `BOXES` order, i.e. rows "matters"/"matters less", columns "can
    change"/"not for now"."""

    boxes: tuple[_Box, ...]
    points: tuple[_Point, ...] = ()
    threshold: int = 1
    rows: tuple[str, str] = w.REPORT_GRID_ROWS
    mode: Mode = field(kw_only=True)
    """The session's mode: the words of the columns, the chart's axes and its key."""

    @property
    def columns(self) -> tuple[str, str]:
        return w.report_grid_columns(self.mode)


_Block = _Heading | _Para | _Items | _Table | _Grid | _Tree


@dataclass(frozen=True)
class _Handout:
    title: str
    subtitle: str
    blocks: tuple[_Block, ...]


def _share(item: RankedCause) -> float:
    answers = item.tally.votes_on_change()
    return (item.tally.we + item.tally.others) / answers if answers else 0.0


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _handout(doc: Document, now: float) -> _Handout:
    mode = doc.mode
    closed = _when(now if doc.closed_at is None else doc.closed_at)
    blocks: list[_Block] = []
    add = blocks.append

    add(_Heading(2, w.report_situation_heading(mode)))
    add(_Para((doc.situation or w.REPORT_NO_SITUATION,)))

    add(_Heading(2, w.report_tree_heading(mode)))
    if doc.tree:
        votes = doc.revealed and doc.voted
        first = {item.cause.id for box, items in doc.grid if box == "act_first" for item in items}
        add(_Tree(doc.situation or w.REPORT_NO_SITUATION, tuple(
            _Node(item.depth, item.cause.text, item.dots if votes else 0,
                  item.answer if votes else None, votes and item.cause.id in first)
            for item in doc.reading
        ), votes, mode=mode))
    else:
        add(_Para((w.report_no_causes(mode),), muted=True))

    add(_Heading(2, w.report_ranking_heading(mode)))
    if not doc.ranking:
        add(_Para((w.report_nothing_to_weigh(mode),), muted=True))
    elif not doc.revealed:
        add(_Para((w.report_votes_not_revealed(mode),), muted=True))
    elif not doc.voted:
        add(_Para((w.REPORT_NOBODY_VOTED,), muted=True))
    else:
        add(_Table(
            w.report_ranking_columns(mode),
            tuple((str(item.place), item.cause.text, str(item.dots), str(item.tally.we),
                   str(item.tally.others), str(item.tally.no), w.CHANGE_LABELS[mode][item.answer])
                  for item in doc.ranking),
        ))
        add(_Para((w.answer_rule(mode),), muted=True))
        add(_Heading(2, w.grid_heading(mode)))
        add(_Para((w.report_grid_rule(mode, doc.threshold),), muted=True))
        numbers = {item.cause.id: number for number, item in
                   enumerate((item for item in doc.ranking if is_weighed(item)), start=1)}
        add(_Grid(tuple(
            _Box(BOX_TITLES[box], box_meaning(box, mode),
                 tuple(w.report_grid_entry(mode, item.cause.text, item.dots, item.answer) for item in causes),
                 tuple(numbers[item.cause.id] for item in causes))
            for box, causes in doc.grid
        ), tuple(
            _Point(numbers[item.cause.id], item.cause.text, item.dots, _share(item),
                   quadrant(item, doc.threshold))
            for item in doc.ranking if item.cause.id in numbers
        ), doc.threshold, mode=mode))
        if doc.not_weighed:
            add(_Heading(3, w.REPORT_NOT_WEIGHED_HEADING))
            add(_Para((w.report_not_weighed(mode),), muted=True))
            add(_Items(tuple((1, (item.cause.text,)) for item in doc.not_weighed)))

    add(_Heading(2, w.REPORT_ACTIONS_HEADING))
    add(_Para((w.action_question(mode),), muted=True))
    if doc.actions:
        items: list[tuple[int, tuple[_Inline, ...]]] = []
        for action in doc.actions:
            parts: list[_Inline] = [_Strong(action.text)]
            if action.agreed:
                parts.append(w.REPORT_AGREED)
            items.append((1, tuple(parts)))
            if action.causes:
                items.append((2, (w.report_for_causes(list(action.causes)),)))
            items.append((2, (w.report_who_can_do(action.by, action.who),)))
        add(_Items(tuple(items)))
    else:
        add(_Para((w.REPORT_NO_ACTIONS,), muted=True))

    add(_Heading(2, w.REPORT_NEXT_STEPS_HEADING))
    if doc.next_steps:
        add(_Table(
            w.REPORT_NEXT_STEPS_COLUMNS,
            tuple((action.text, action.first_step or w.REPORT_NOT_SET, action.owner or w.REPORT_NOT_SET,
                   action.due or w.REPORT_NOT_SET) for action in doc.next_steps),
        ))
    else:
        add(_Para((w.REPORT_NO_NEXT_STEPS,), muted=True))

    add(_Para((w.report_saved_on(_when(now)),), muted=True))
    return _Handout(doc.title, w.report_subtitle(mode, closed, doc.voters), tuple(blocks))


# --- Markdown ----------------------------------------------------------------------------------

# Characters that could turn text into Markdown (or inline HTML) anywhere in a line, and
# what starts a heading, a quote or a list at the start of a line.
_MD_INLINE = re.compile(r"[\\`*_\[\]<>|~]|&(?=#?\w+;)")
_MD_LINE_START = re.compile(r"[#>+=-]|\d+(?=[.)])")


def _md(text: str) -> str:
    """`text` escaped so that Markdown shows it as it is (and a viewer runs no HTML in it)."""
    text = _MD_INLINE.sub(lambda match: "\\" + match.group(), text)
    start = _MD_LINE_START.match(text)
    if start is None:
        return text
    if start.group().isdigit():  # "1. " would start a list: escape the dot instead
        return text[: start.end()] + "\\" + text[start.end():]
    return "\\" + text


def _md_inline(parts: Sequence[_Inline]) -> str:
    return "".join(f"**{_md(part.text)}**" if isinstance(part, _Strong) else _md(part) for part in parts)


def markdown(state: Session, now: float) -> str:
    """The handout as Markdown (`report.md`), made at `now`."""
    report = _handout(document(state), now)
    lines = [f"# {_md(report.title)}", "", f"*{_md(report.subtitle)}*", ""]
    for block in report.blocks:
        match block:
            case _Heading(level=level, text=text):
                lines += ["#" * level + " " + _md(text), ""]
            case _Para(parts=parts, muted=muted):
                text = _md_inline(parts)
                lines += [f"*{text}*" if muted else text, ""]
            case _Items(items=items):
                lines += ["  " * (depth - 1) + f"- {_md_inline(parts)}" for depth, parts in items]
                lines.append("")
            case _Tree(nodes=nodes):
                lines += ["  " * (node.depth - 1) + f"- {_md(node.text)}" for node in nodes]
                lines.append("")
            case _Table(head=head, rows=rows):
                lines.append("| " + " | ".join(_md(cell) for cell in head) + " |")
                lines.append("|" + "|".join("---" for _ in head) + "|")
                lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]
                lines.append("")
            case _Grid(boxes=boxes):
                for box in boxes:
                    lines += [f"### {_md(box.title)}", "", f"*{_md(box.meaning)}*", ""]
                    lines += [f"- {_md(cause)}" for cause in box.causes] or [f"- {_md(w.REPORT_EMPTY_BOX)}"]
                    lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# --- HTML --------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.45;
       max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
h1 { font-size: 1.8rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
.muted { color: #555; font-style: italic; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
th, td { border: 1px solid #bbb; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.number { text-align: right; }
table.grid { table-layout: fixed; }
table.grid col.axis { width: 6.5rem; }
table.grid thead th { text-align: center; }
.box-title { font-weight: bold; }
.box-meaning { color: #555; font-size: 0.9rem; }
.box-act_first { border: 3px solid #000; }
.num { display: inline-block; min-width: 1.3em; padding: 0 0.2em; margin-right: 0.3em;
       border: 1px solid #000; border-radius: 1em; text-align: center; font-size: 0.85em; }
figure { margin: 1rem 0; }
figcaption { color: #555; font-size: 0.9rem; margin-top: 0.4rem; }
.tree-root { display: inline-block; border: 3px double #000; border-radius: 0.4rem;
             padding: 0.3rem 0.7rem; font-weight: bold; max-width: 36rem; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding: 0 0 0 0.9rem; }
ul.tree li { position: relative; padding: 0.4rem 0 0 1.4rem; break-inside: avoid; }
ul.tree li::before { content: ""; position: absolute; left: 0; top: 0; bottom: 0;
                     border-left: 2px solid #000; }
ul.tree li:last-child::before { bottom: auto; height: 1.35rem; }
ul.tree li::after { content: ""; position: absolute; left: 0; top: 1.35rem; width: 1.3rem;
                    border-top: 2px solid #000; }
.node { display: inline-block; border: 1.5px solid #000; border-radius: 0.4rem;
        padding: 0.15rem 0.5rem; max-width: 30rem; overflow-wrap: anywhere; background: #fff; }
.node.first { border-width: 4px; }
.marks { display: block; font-size: 0.85rem; }
svg.chart { width: 100%; max-width: 40rem; height: auto; display: block; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; color: #000; }
  h2 { break-after: avoid; }
  table, li, figure { break-inside: avoid; }
  th { background: none; }
}
"""


def _h(text: str) -> str:
    return escape(text, quote=True)


def _html_inline(parts: Sequence[_Inline]) -> str:
    return "".join(f"<strong>{_h(part.text)}</strong>" if isinstance(part, _Strong) else _h(part)
                   for part in parts)


def _html_items(items: Sequence[tuple[int, Sequence[_Inline]]]) -> list[str]:
    """Nested <ul>s: an item deeper than the one before opens a list inside it."""
    return _nested([(depth, _html_inline(parts)) for depth, parts in items])


def _nested(items: Sequence[tuple[int, str]], top: str = "<ul>") -> list[str]:
    """Nested <ul>s of ready HTML (the outermost opened with `top`): an item deeper than
    the one before opens a list inside it."""
    out: list[str] = []
    depth = 0
    for wanted, inner in items:
        level = min(wanted, depth + 1)  # a list can't skip a level
        if level > depth:
            out.append(top if depth == 0 else "<ul>")
        else:
            out.append("</li></ul>" * (depth - level) + "</li>")
        out.append(f"<li>{inner}")
        depth = level
    out.append("</li></ul>" * depth)
    return out


PICTURE_DEPTH = 12
"""The deepest level the tree's picture indents: deeper answers (only an old journal holds
many) are drawn at this level, marked with their own, so the page keeps its width."""


def _html_tree(tree: _Tree) -> list[str]:
    """The cause tree as a picture drawn with HTML and CSS: boxes joined by lines, which
    print in black and white and break across pages like the list they are."""
    nodes: list[tuple[int, str]] = []
    for node in tree.nodes:
        marks: list[str] = []
        if node.depth > PICTURE_DEPTH:
            marks.append(_h(w.report_level(node.depth)))
        if node.dots:
            marks.append(f"{'●' * min(node.dots, 12)} {_h(w.dots_count(node.dots))}")
        if node.answer is not None:
            label = w.CHANGE_LABELS[tree.mode][node.answer]
            marks.append(f"{w.REPORT_CHANGE_MARKS[node.answer]} {_h(label)}")
        mark_html = f'<span class="marks">{" · ".join(marks)}</span>' if marks else ""
        classes = "node first" if node.first else "node"
        box = f'<div class="{classes}">{_h(node.text)}{mark_html}</div>'
        nodes.append((min(node.depth, PICTURE_DEPTH), box))
    out = [f'<figure class="tree-picture" aria-label="{_h(w.REPORT_TREE_PICTURE_LABEL)}">',
           f'<div class="tree-root">{_h(tree.situation)}</div>']
    out += _nested(nodes, '<ul class="tree">')
    if tree.votes:
        out.append(f"<figcaption>{_h(w.report_tree_picture_key(tree.mode))}</figcaption>")
    out.append("</figure>")
    return out


# The 2×2 chart's drawing area, in SVG user units.
_LEFT, _TOP, _WIDTH, _HEIGHT = 70, 30, 560, 320


def _svg_chart(grid: _Grid) -> list[str]:
    """The 2×2 as an SVG chart: each weighed cause a numbered circle, higher with more
    dots, further left the more answers say it can change; the boxes' lines dashed."""
    most = max((point.dots for point in grid.points), default=0)
    most = max(most, grid.threshold)

    def y(dots: float) -> float:
        return _TOP + _HEIGHT - (dots + 0.5) / (most + 1) * _HEIGHT

    def x(share: float) -> float:
        return _LEFT + (1 - share) * _WIDTH

    middle_x, line_y = x(0.5), y(grid.threshold - 0.5)
    right, bottom = _LEFT + _WIDTH, _TOP + _HEIGHT
    label = f"{w.REPORT_CHART_LABEL}: " + "; ".join(
        f"{point.number}. {point.text}" for point in grid.points)
    out = [f'<svg class="chart" viewBox="0 0 {right + 20} {bottom + 60}" role="img" '
           f'aria-label="{_h(label)}" xmlns="http://www.w3.org/2000/svg" '
           'font-family="system-ui, sans-serif" font-size="13">',
           f'<rect x="{_LEFT}" y="{_TOP}" width="{middle_x - _LEFT:.1f}" height="{line_y - _TOP:.1f}" '
           'fill="#e8e8e8"/>',
           f'<rect x="{_LEFT}" y="{_TOP}" width="{_WIDTH}" height="{_HEIGHT}" fill="none" '
           'stroke="#000" stroke-width="1.5"/>',
           f'<line x1="{middle_x:.1f}" y1="{_TOP}" x2="{middle_x:.1f}" y2="{bottom}" stroke="#000" '
           'stroke-dasharray="6 4"/>',
           f'<line x1="{_LEFT}" y1="{line_y:.1f}" x2="{right}" y2="{line_y:.1f}" stroke="#000" '
           'stroke-dasharray="6 4"/>']
    corners: tuple[tuple[Box, float, str, float], ...] = (
        ("act_first", _LEFT + 6, "start", _TOP + 16), ("keep_in_mind", right - 6, "end", _TOP + 16),
        ("maybe_later", _LEFT + 6, "start", bottom - 8), ("let_go", right - 6, "end", bottom - 8))
    for box, tx, anchor, ty in corners:
        out.append(f'<text x="{tx}" y="{ty}" text-anchor="{anchor}" font-weight="bold">'
                   f"{_h(BOX_TITLES[box])}</text>")
    can, cannot = grid.columns
    out.append(f'<text x="{(_LEFT + middle_x) / 2:.1f}" y="{bottom + 20}" text-anchor="middle">'
               f"{_h(can)}</text>")
    out.append(f'<text x="{(middle_x + right) / 2:.1f}" y="{bottom + 20}" text-anchor="middle">'
               f"{_h(cannot)}</text>")
    out.append(f'<text x="{(_LEFT + right) / 2}" y="{bottom + 44}" text-anchor="middle" '
               f'font-style="italic">← {_h(w.report_chart_axes(grid.mode)[1])}</text>')
    out.append(f'<text transform="translate(20 {(_TOP + bottom) / 2}) rotate(-90)" '
               f'text-anchor="middle" font-style="italic">{_h(w.report_chart_axes(grid.mode)[0])} →</text>')
    for value in sorted({0, grid.threshold, most}):
        out.append(f'<text x="{_LEFT - 8}" y="{y(value) + 4:.1f}" text-anchor="end">{value}</text>')
    seen: dict[tuple[int, float], int] = {}
    for point in grid.points:
        can_change = point.box in ("act_first", "maybe_later")
        # Exactly half is not "can change": draw it just on the right of the line.
        share = point.share if can_change or point.share < 0.5 else 0.46
        key = (point.dots, round(share, 2))
        twin = seen.get(key, 0)
        seen[key] = twin + 1
        step = -22 if can_change else 22  # circles on one spot line up, away from the line
        cx = min(right - 12, max(_LEFT + 12, x(share) + twin * step))
        cy = y(point.dots)
        width = 3 if point.box == "act_first" else 1.5
        out.append(f'<g><title>{_h(point.text)}</title>'
                   f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="11" fill="#fff" stroke="#000" '
                   f'stroke-width="{width}"/>'
                   f'<text x="{cx:.1f}" y="{cy + 4:.1f}" text-anchor="middle" font-size="12">'
                   f"{point.number}</text></g>")
    out.append("</svg>")
    return ['<figure class="chart-picture">', *out,
            f"<figcaption>{_h(w.report_chart_key(grid.mode, grid.threshold))}</figcaption>", "</figure>"]


def html(state: Session, now: float) -> str:
    """The handout as one self-contained, printable HTML page (`report.html`), made at `now`."""
    report = _handout(document(state), now)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        # Nothing to load and no script to run: only the inline style below.
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(report.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{_h(report.title)}</h1>",
        f'<p class="muted">{_h(report.subtitle)}</p>',
    ]
    for block in report.blocks:
        match block:
            case _Heading(level=level, text=text):
                out.append(f"<h{level}>{_h(text)}</h{level}>")
            case _Para(parts=parts, muted=muted):
                opening = '<p class="muted">' if muted else "<p>"
                out.append(f"{opening}{_html_inline(parts)}</p>")
            case _Items(items=items):
                out += _html_items(items)
            case _Table(head=head, rows=rows):
                out.append("<table>")
                out.append("<thead><tr>" + "".join(f"<th>{_h(cell)}</th>" for cell in head) + "</tr></thead>")
                out.append("<tbody>")
                for row in rows:
                    cells = "".join(
                        f'<td class="number">{_h(cell)}</td>' if cell.isdigit() else f"<td>{_h(cell)}</td>"
                        for cell in row
                    )
                    out.append(f"<tr>{cells}</tr>")
                out.append("</tbody></table>")
            case _Tree():
                out += _html_tree(block)
            case _Grid(boxes=boxes, rows=rows, columns=columns):
                if block.points:
                    out += _svg_chart(block)
                out.append('<table class="grid">')
                out.append('<colgroup><col class="axis"><col><col></colgroup>')
                out.append("<thead><tr><td></td>"
                           + "".join(f'<th scope="col">{_h(column)}</th>' for column in columns)
                           + "</tr></thead><tbody>")
                for row_name, row_boxes, keys in zip(rows, (boxes[:2], boxes[2:]),
                                                     (BOXES[:2], BOXES[2:]), strict=True):
                    cells = "".join(_html_box(box, key) for box, key in zip(row_boxes, keys, strict=True))
                    out.append(f'<tr><th scope="row">{_h(row_name)}</th>{cells}</tr>')
                out.append("</tbody></table>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def _html_box(box: _Box, key: Box) -> str:
    numbers = box.numbers or (0,) * len(box.causes)
    marks = [f'<span class="num">{number}</span>' if number else "" for number in numbers]
    causes = ("".join(f"<li>{mark}{_h(cause)}</li>" for cause, mark in zip(box.causes, marks, strict=True))
              or f'<li class="muted">{_h(w.REPORT_EMPTY_BOX)}</li>')
    return (f'<td class="box-{key}"><div class="box-title">{_h(box.title)}</div>'
            f'<div class="box-meaning">{_h(box.meaning)}</div><ul>{causes}</ul></td>')


# --- CSV ---------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A spreadsheet cell that shows `text` as text: one starting like a formula gets a
    leading apostrophe, so opening the file never runs anything."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv(state: Session) -> str:
    """One row per action (`actions.csv`): what, for which causes, who, and the plan."""
    doc = document(state)
    buffer = io.StringIO()
    writer = csv_writer(buffer, lineterminator="\r\n")
    writer.writerow(w.csv_columns(doc.mode))
    yes, no = w.CSV_YES_NO
    for action in doc.actions:
        writer.writerow([_cell(cell) for cell in (
            action.text,
            "; ".join(action.causes),
            w.CSV_DOER_CELLS[action.by],
            action.who,
            yes if action.agreed else no,
            action.first_step,
            action.owner,
            action.due,
        )])
    return buffer.getvalue()
