"""The weigh step: hidden voting, then the room's votes as a ranking and a 2×2.

Before the reveal, `WeighPanel` tells each person what they need while they vote: their
own "matters" dots left, the most they may put on one cause, how many people have voted so
far, and how to vote (the keys act on the cause selected in the tree; the app handles
them). After the facilitator reveals the votes, it shows the causes ranked by dots
(`RankingTable`) and the 2×2 of "matters" × "can change" (`MattersGrid`), so the group sees
where to act. The ranking and the 2×2 come from `shared.ranking`, the same rules the saved
report uses; `WeighedPanel` shows both again under the actions in the act and agree steps
(what the room weighed is what the actions answer), and `SummaryPanel` reuses them too.
Every cause is shown whole: long ones wrap, none is cut.

The panel follows "attributes down, messages up": the screen calls `show_state` after each
batch of events, and the panel asks for a change by posting a message (`Reveal`), which
the screen turns into the command. Everything
people typed is rendered as plain `Content`, never parsed as markup.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from whytree.shared import protocol as p
from whytree.shared.model import Change, Mode, Person, Session
from whytree.shared.ranking import (
    BOX_TITLES,
    BOXES,
    Box,
    RankedCause,
    box_meaning,
    not_weighed,
    ranked,
    two_by_two,
)
from whytree.shared.rules import may
from whytree.shared.wording import (
    CAN_CHANGE,
    CHANGE_LABELS,
    CHANGE_QUESTION,
    VOTES_HIDDEN,
    answer_rule,
    cause_word,
    weigh_question,
)
from whytree.tui.widgets.sizes import after_every_layout

DOT = "●"
BAR_WIDTH = 10
"""Most dots drawn in a bar; larger counts are scaled to it (the number is always shown)."""


def short(text: str, width: int) -> str:
    """`text` on one line of at most `width` cells, cut with an ellipsis when longer."""
    return Content(" ".join(text.split())).truncate(width, ellipsis=True).plain


def dot_bar(dots: int, most: int) -> str:
    """A bar of dots: one per dot, scaled down to `BAR_WIDTH` when the top count is larger."""
    if dots <= 0:
        return ""
    if most <= BAR_WIDTH:
        return DOT * dots
    return DOT * max(1, round(dots * BAR_WIDTH / most))


def change_counts(item: RankedCause, mode: Mode) -> str:
    """The "can it change?" answers on one cause in words, the answers nobody gave left
    out: e.g. "we can change it: 3 · only with others: 1"."""
    tally = item.tally
    if not tally.votes_on_change():
        return f"nobody answered “{CHANGE_QUESTION[mode]}”"
    counts: tuple[tuple[Change, int], ...] = (("we", tally.we), ("others", tally.others), ("no", tally.no))
    return " · ".join(f"{CHANGE_LABELS[mode][answer]}: {count}" for answer, count in counts if count)


class _Text(Static):
    """A Static that repaints only when its content really changes."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(Content(""), id=id, classes=classes, markup=False)
        self._shown = Content("")

    def show(self, content: Content) -> None:
        if not content.is_same(self._shown):
            self._shown = content
            self.update(content)


class RankingTable(_Text):
    """The causes ranked by revealed "matters" dots: place, text, dot bar, count and the
    "can it change?" answers, each cause whole (a long one wraps). Causes nobody voted on
    are counted on one line at the end.

    `limit` keeps only the first few causes that got any dot (the summary's top causes)."""

    DEFAULT_CSS = """
    RankingTable {
        height: auto;
    }
    """

    def __init__(self, *, limit: int | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.limit = limit

    def show_state(self, state: Session) -> None:
        causes = ranked(state)
        if self.limit is None:
            voted = [item for item in causes if item.dots or item.tally.votes_on_change()]
            shown = voted
        else:
            voted = [item for item in causes if item.dots]
            shown = voted[: self.limit]
        if not voted:
            self.show(Content(f"No “matters” dots on any {cause_word(state.mode)}."
                              if state.revealed else "The votes are not revealed."))
            return
        most = max(item.dots for item in causes)
        bar_width = min(most, BAR_WIDTH)
        lines: list[Content] = []
        for item in shown:
            bar = dot_bar(item.dots, most).ljust(bar_width)
            lines.append(Content.assemble(
                (f"{item.place:>2}. ", "bold"),
                (bar, "$accent"),
                (f" {item.dots:>2}  ", "bold"),
                item.cause.text,
                (f"  — {change_counts(item, state.mode)}", "dim"),
            ))
        if self.limit is None:
            rest = len(causes) - len(shown)
            which = f"{cause_word(state.mode, plural=rest != 1)} without votes"
        else:
            rest = len(voted) - len(shown)
            which = f"more {cause_word(state.mode, plural=rest != 1)} with fewer dots"
        if rest:
            lines.append(Content.styled(f"    … and {rest} {which}", "dim"))
        self.show(Content("\n").join(lines))


class MattersBox(Vertical):
    """One box of the 2×2: what it means, then its causes, one line each."""

    DEFAULT_CSS = """
    MattersBox {
        height: auto;
        min-height: 5;
        border: round $panel-lighten-2;
        padding: 0 1;
    }
    MattersBox.-act-first { border: heavy $success; }
    MattersBox .meaning { color: $text-muted; text-style: italic; }
    """

    def __init__(self, box: Box) -> None:
        super().__init__(id=f"box-{box}", classes=f"-{box.replace('_', '-')}")
        self.box = box
        self.border_title = BOX_TITLES[box]
        self.meaning = _Text(classes="meaning")
        self.causes = _Text(classes="causes")

    def compose(self) -> ComposeResult:
        yield self.meaning
        yield self.causes

    def show_box(self, state: Session, items: list[RankedCause], most: int) -> None:
        self.meaning.show(Content(box_meaning(self.box, state.mode)))
        self.border_subtitle = str(len(items))
        if not items:
            self.causes.show(Content.styled("(none)", "dim"))
            return
        self.causes.show(Content("\n").join(
            Content.assemble((f"{dot_bar(item.dots, most) or '·'} ", "$accent"), item.cause.text)
            for item in items
        ))


class MattersGrid(Grid):
    """The 2×2 of "matters" (rows) × "can change" (columns), each cause in its box.

    Narrower than `NARROW` cells (an 80-column laptop), the boxes stand one under the
    other at full width, without the axis labels: their titles say what they mean."""

    NARROW = 60

    DEFAULT_CSS = """
    MattersGrid {
        grid-size: 3 3;
        grid-columns: 9 1fr 1fr;
        grid-rows: 1 auto auto;
        grid-gutter: 0 1;
        height: auto;
    }
    MattersGrid .axis { color: $text-muted; text-style: bold; }
    MattersGrid .column-axis { content-align: center middle; width: 1fr; }
    MattersGrid .row-axis { padding-top: 1; }
    MattersGrid.-narrow { grid-size: 1; grid-columns: 1fr; grid-rows: auto; }
    MattersGrid.-narrow .axis { display: none; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.boxes = {box: MattersBox(box) for box in BOXES}

    def compose(self) -> ComposeResult:
        yield Static("", classes="axis")
        # The columns' words follow the session's mode (`show_state`).
        yield Static("", id="grid-can", classes="axis column-axis")
        yield Static("", id="grid-cannot", classes="axis column-axis")
        yield Static("matters\nmost", classes="axis row-axis")
        yield self.boxes["act_first"]
        yield self.boxes["keep_in_mind"]
        yield Static("matters\nless", classes="axis row-axis")
        yield self.boxes["maybe_later"]
        yield self.boxes["let_go"]

    def on_mount(self) -> None:
        after_every_layout(self, self._fit)  # (not at a `Resize`, which can be missed)

    def _fit(self) -> None:
        # The grid takes the width it is given, so this never flips back and forth.
        if self.size.width:  # (not while hidden)
            self.set_class(self.size.width < self.NARROW, "-narrow")

    def show_state(self, state: Session) -> None:
        self.query_one("#grid-can", Static).update(Content(CAN_CHANGE[state.mode]))
        self.query_one("#grid-cannot", Static).update(Content(CHANGE_LABELS[state.mode]["no"]))
        boxes = two_by_two(state)
        most = max((item.dots for items in boxes.values() for item in items), default=0)
        for box, items in boxes.items():
            self.boxes[box].show_box(state, items, most)


class WeighPanel(VerticalScroll):
    """The weigh step for one person: their dots and the room's progress while voting,
    and the ranking and the 2×2 once the facilitator reveals the votes.

    Call `show_state(state, me)` after each batch of events. The facilitator also gets a
    button to reveal the votes and to hide them again (which reopens voting); it posts
    `WeighPanel.Reveal`.

    | Key | Description |
    | :- | :- |
    | v | Reveal the votes, or hide them again (facilitator; the same key as on the
    session screen). |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # One key, two bindings: `check_action` enables the one that applies now, so the
        # footer says "Reveal votes" or "Hide votes".
        Binding("v", "reveal(True)", "Reveal votes"),
        Binding("v", "reveal(False)", "Hide votes"),
    ]

    class Reveal(Message):
        """The facilitator asks to reveal the votes (`revealed`) or to hide them again."""

        def __init__(self, revealed: bool) -> None:
            super().__init__()
            self.revealed = revealed

    DEFAULT_CSS = """
    WeighPanel {
        height: 1fr;
        padding: 0 1;
    }
    WeighPanel .title { text-style: bold; margin-bottom: 1; }
    WeighPanel #weigh-dots { text-style: bold; }
    WeighPanel #weigh-howto { color: $text-muted; margin-top: 1; }
    WeighPanel #weigh-controls { height: auto; display: none; margin-bottom: 1; }
    WeighPanel.-facilitator #weigh-controls { display: block; }
    WeighPanel #weigh-results { height: auto; display: none; }
    WeighPanel.-revealed #weigh-results { display: block; }
    WeighPanel.-revealed #weigh-voting { display: none; }
    WeighPanel #weigh-voting { height: auto; }
    WeighPanel #weigh-ranking { margin-bottom: 1; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._state: Session | None = None
        self._me: Person | None = None

    def compose(self) -> ComposeResult:
        yield _Text(id="weigh-title", classes="title")
        # The facilitator's control first: on a short screen it is not below the fold.
        with Horizontal(id="weigh-controls"):
            yield Button("Reveal the votes", id="weigh-reveal", variant="primary")
            yield Button("Hide the votes", id="weigh-hide")
        with Vertical(id="weigh-voting"):
            yield _Text(id="weigh-dots")
            yield _Text(id="weigh-mine")
            yield _Text(id="weigh-voters")
            yield _Text(id="weigh-howto")
        with Vertical(id="weigh-results"):
            yield _Text(id="weigh-revealed-title", classes="title")
            yield RankingTable(id="weigh-ranking")
            yield MattersGrid(id="weigh-grid")

    # --- attributes down ------------------------------------------------------------------

    def show_state(self, state: Session, me: Person) -> None:
        """Show `state` as `me` sees it."""
        self._state, self._me = state, me
        facilitator = me.role == "facilitator"
        self.set_class(facilitator, "-facilitator")
        self.set_class(state.revealed, "-revealed")
        self._text("weigh-title").show(Content(weigh_question(state.mode)))
        if state.revealed:
            self._show_results(state)
        else:
            self._show_voting(state, me)
        reveal = self.query_one("#weigh-reveal", Button)
        hide = self.query_one("#weigh-hide", Button)
        reveal.display = not state.revealed
        hide.display = state.revealed
        # The panels offer a control only when the rules the server applies allow it.
        reveal.disabled = hide.disabled = may(state, me, p.RevealVotes) is not None
        self.refresh_bindings()

    def _show_voting(self, state: Session, me: Person) -> None:
        word = cause_word(state.mode)
        settings = state.settings
        if me.role == "viewer":
            dots = Content("This screen is a read-only view: votes are cast on people's own laptops.")
        else:
            left = max(0, settings.dots_per_person - state.dots_used(me.id))
            dots = Content(
                f"You have {left} of your {settings.dots_per_person} "
                f"dot{'s' if settings.dots_per_person != 1 else ''} left · at most "
                f"{settings.dots_per_cause} on one {word}"
            )
        self._text("weigh-dots").show(dots)
        self._text("weigh-mine").show(self._my_votes(state, me))
        here = sum(1 for person in state.online_people() if person.role != "viewer")
        here = max(here, state.voters)
        self._text("weigh-voters").show(Content(
            f"{state.voters} of {here} {'person has' if here == 1 else 'people have'} voted"))
        if state.phase == "weigh":
            labels = CHANGE_LABELS[state.mode]
            howto = (
                f"Select a {word} in the tree, then: + adds a “matters” dot, - takes one back, "
                f"c answers “{CHANGE_QUESTION[state.mode]}” (then 1 {labels['we']}, 2 {labels['others']}, "
                f"3 {labels['no']}). {VOTES_HIDDEN}"
            )
        elif state.phase in ("situation", "why"):
            howto = "Voting opens in the weigh step."
        else:
            howto = "The votes are hidden; the facilitator can reveal them."
        self._text("weigh-howto").show(Content(howto))

    def _my_votes(self, state: Session, me: Person) -> Content:
        ballot = state.ballots.get(me.id)
        if me.role == "viewer":
            return Content("")
        if ballot is None or ballot.is_empty():
            return Content.styled("You have not voted yet.", "dim")
        parts: list[Content] = [Content("Your votes:")]
        for cause_id in dict.fromkeys([*ballot.dots, *ballot.change]):
            cause = state.causes.get(cause_id)
            if cause is None:
                continue
            dots = ballot.dots.get(cause_id, 0)
            answer = ballot.change.get(cause_id)
            line = Content.assemble(
                "  ", (DOT * dots if dots else "·", "$accent"), " ", cause.text)
            if answer is not None:
                line = line + Content.styled(f" — {CHANGE_LABELS[state.mode][answer]}", "dim")
            parts.append(line)
        return Content("\n").join(parts)

    def _show_results(self, state: Session) -> None:
        title = Content(f"The room's votes: {state.voters} "
                        f"{'person' if state.voters == 1 else 'people'} voted")
        unweighed = len(not_weighed(state))
        notes = [answer_rule(state.mode)]
        if unweighed:
            notes.append(f"{unweighed} {cause_word(state.mode, plural=unweighed != 1)} not weighed yet "
                         "(no dot, no answer): not on the 2×2.")
        self._text("weigh-revealed-title").show(
            Content("\n").join([title, *(Content.styled(note, "not bold dim") for note in notes)]))
        self.query_one(RankingTable).show_state(state)
        self.query_one(MattersGrid).show_state(state)

    def _text(self, widget_id: str) -> _Text:
        return self.query_one(f"#{widget_id}", _Text)

    # --- messages up ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action != "reveal":
            return True
        state, me = self._state, self._me
        if state is None or me is None or me.role != "facilitator":
            return False
        revealed = bool(parameters[0]) if parameters else True
        if revealed == state.revealed:
            return False
        return may(state, me, p.RevealVotes) is None

    def action_reveal(self, revealed: bool = True) -> None:
        """Ask to reveal (or hide) the votes."""
        if self.check_action("reveal", (revealed,)):
            self.post_message(self.Reveal(revealed))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "weigh-reveal":
            self.action_reveal(True)
        elif event.button.id == "weigh-hide":
            self.action_reveal(False)


class WeighedPanel(VerticalScroll):
    """What the room weighed, under the actions in the act and agree steps: the ranking
    and the 2×2, the same as at the end of the weigh step, so that people propose and agree
    on actions for the causes that matter and can change while they see which those are.

    Call `show_state(state, me)` after each batch of events; `me` is accepted for the
    panels' common contract (everyone sees the same). It is read-only: it posts nothing."""

    DEFAULT_CSS = """
    WeighedPanel {
        height: 1fr;
        padding: 0 1;
        border-top: solid $primary;
    }
    WeighedPanel #weighed-title { text-style: bold; }
    WeighedPanel #weighed-ranking { margin-bottom: 1; }
    WeighedPanel.-hidden-votes MattersGrid { display: none; }
    WeighedPanel.-hidden-votes RankingTable { display: none; }
    """

    def compose(self) -> ComposeResult:
        yield _Text(id="weighed-title")
        yield RankingTable(id="weighed-ranking")
        yield MattersGrid(id="weighed-grid")

    def show_state(self, state: Session, me: Person) -> None:
        """Show what the room weighed in `state` (the same for every `me`)."""
        words = cause_word(state.mode, plural=True)
        self.set_class(not state.revealed, "-hidden-votes")
        if state.revealed:
            title = f"What the room weighed: the {words} that matter most, and where to act"
        else:
            title = (f"The votes were not revealed, so the ranking of the {words} and the 2×2 "
                     "are not shown (the facilitator can reveal them in the weigh step).")
        self.query_one("#weighed-title", _Text).show(Content(title))
        self.query_one(RankingTable).show_state(state)
        self.query_one(MattersGrid).show_state(state)
