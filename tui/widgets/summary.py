"""The closed session's summary: the picture everyone takes home.

`SummaryPanel` shows, on every screen once the facilitator closes the session, the
situation, the agreed next steps (first step, owner, by when), the top causes with their
dots and "can change" answers, and the 2×2 of "matters" × "can change". Where the results
were saved is known only on the host, so clients just say they were saved on the
facilitator's laptop, and how to keep a copy on this one (the session screen saves it with
`handout.save_handout`, then calls `show_copy`). What it lists comes from the saved report's own `document`
(`shared/report.py`), and it reuses the weigh step's `RankingTable` and `MattersGrid`, which
follow `shared.ranking` like the report. It is read-only: it posts no messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from whytree.shared.model import Person, Session
from whytree.shared.wording import cause_word, grid_heading

from .actions import next_step_line, who_line
from .weigh import MattersGrid, RankingTable

if TYPE_CHECKING:  # the report's code is loaded once the session closes, not to start
    from whytree.shared.report import Document

TOP_CAUSES = 5
"""Places of the ranking shown in the summary."""


class SummaryPanel(VerticalScroll):
    """The summary of a closed session (read-only, the same for everyone).

    Call `show_state(state, me)` after each batch of events; `me` is accepted for the
    panels' common contract and does not change what is shown.
    """

    DEFAULT_CSS = """
    SummaryPanel {
        height: 1fr;
        padding: 0 1;
    }
    SummaryPanel .heading { text-style: bold; margin-top: 1; }
    SummaryPanel #summary-title { text-style: bold; color: $accent; }
    SummaryPanel #summary-situation { text-style: bold; }
    SummaryPanel.-votes-hidden #summary-grid-heading,
    SummaryPanel.-votes-hidden MattersGrid { display: none; }
    SummaryPanel #summary-saved { color: $success; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown: dict[str, Content] = {}
        self._copy: Path | None = None
        """The folder this laptop's copy of the summary was saved in, once it was."""
        self._session_closed = False

    def compose(self) -> ComposeResult:
        def text(widget_id: str, classes: str = "") -> Static:
            return Static(Content(""), id=widget_id, classes=classes, markup=False)

        # What the group leaves with comes first, so a small screen shows it unscrolled.
        yield text("summary-title")
        yield text("summary-saved")
        yield text("summary-situation-heading", "heading")
        yield text("summary-situation")
        yield text("summary-steps-heading", "heading")
        yield text("summary-steps")
        yield text("summary-top-heading", "heading")
        yield RankingTable(limit=TOP_CAUSES, id="summary-ranking")
        yield text("summary-grid-heading", "heading")
        yield MattersGrid(id="summary-grid")

    def show_state(self, state: Session, me: Person) -> None:
        """Show the summary of `state` (the same for every `me`)."""
        words = cause_word(state.mode, plural=True)
        closed = state.phase == "closed"
        from whytree.shared.report import document

        report = document(state)
        self.set_class(not state.revealed, "-votes-hidden")
        self._show("summary-title", Content(
            ("Summary: " if closed else "Summary so far: ") + (state.title or "this session")))
        self._show("summary-situation-heading", Content(
            "What went wrong" if state.mode == "problem" else "What went well"))
        self._show("summary-situation", Content(report.situation or "(no situation written)"))
        self._show("summary-top-heading", Content(
            f"The {words} that matter most" if state.revealed
            else f"The {words} that matter most (the votes were not revealed)"))
        self.query_one(RankingTable).show_state(state)
        self._show("summary-grid-heading", Content(f"Where to act: {grid_heading(state.mode).lower()}"))
        self.query_one(MattersGrid).show_state(state)
        self._show("summary-steps-heading", Content("Agreed next steps"))
        self._show("summary-steps", self._steps(report))
        self._session_closed = closed
        self._show_saved()

    def show_copy(self, folder: Path) -> None:
        """Say that this laptop's copy of the summary is in `folder`."""
        self._copy = folder
        self._show_saved()

    def _show_saved(self) -> None:
        if not self._session_closed:
            line = "The results are saved on the facilitator's laptop when the session closes."
        elif self._copy is None:
            line = ("Saved on the facilitator's laptop. Press h to keep a copy on this laptop "
                    "(a text file and a page to print).")
        else:
            line = f"Saved on the facilitator's laptop, and your copy is in {self._copy}"
        self._show("summary-saved", Content(line))

    def _steps(self, report: Document) -> Content:
        if not report.next_steps:
            return Content.styled("No next steps were agreed.", "dim")
        lines: list[Content] = []
        for number, action in enumerate(report.next_steps, start=1):
            lines.append(Content.assemble((f"{number}. ✓ ", "bold $success"), (action.text, "bold")))
            lines.append(Content("     ") + next_step_line(action))
            lines.append(Content.assemble(("     who: ", "dim"), who_line(action)))
        return Content("\n").join(lines)

    def _show(self, widget_id: str, content: Content) -> None:
        old = self._shown.get(widget_id)
        if old is None or not content.is_same(old):
            self._shown[widget_id] = content
            self.query_one(f"#{widget_id}", Static).update(content)
