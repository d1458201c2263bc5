"""`CauseTree`: the situation at the root, the answers to "But why?" below it, any depth.

The tree follows the session event by event: an answer added is one node added, an edit
is one `set_label`, a removal removes one node with everything below it, a merge moves the
merged answer's children under the answer it went into, a move moves one node with
everything below it, an undone removal puts the branch back in its place. Only a `welcome` that carries a
whole state rebuilds it -- and even then every answer keeps its fold (expanded or
collapsed) and the cursor stays on the same answer, found by cause id.

Every label is built from plain text (`rich.text.Text(text)`), never from markup: what
people type is shown exactly as typed.

Depth. The rules keep a chain of answers within `MAX_DEPTH`, but a journal written before
that limit may hold a chain a thousand deep, and Textual's `Tree` walks its nodes
recursively (laying out lines, removing a node): such a chain would crash the app with a
`RecursionError`. So the tree gives nodes to answers down to `MAX_SHOWN_DEPTH` only; the
deepest shown answer says how many more lie below it. Every walk here is iterative.

Bindings (on top of `Tree`'s):

| key   | action                                                      |
|-------|-------------------------------------------------------------|
| left  | fold the selected answer (or go to its parent when folded)  |
| right | unfold the selected answer (or go to its first child)       |
"""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import Tree
from textual.widgets._tree import _TreeLine
from textual.widgets.tree import TreeNode

from whytree.shared import protocol as p
from whytree.shared import wording
from whytree.shared.model import Cause, Person, Session
from whytree.shared.ranking import room_answer, tree_order

ROOT = ""
"""`data` of the root node (the situation); every other node holds its cause id."""

DOT = "●"
MAX_DOTS_SHOWN = 12


MERGING_MARK = "  ◆ merging: select where it goes, press m"
MOVING_MARK = "  ◆ moving: select its new place, press Enter"

MAX_SHOWN_DEPTH = p.MAX_DEPTH
"""Answers deeper than this get no node (see the module docstring)."""

NO_ROWS_YET = Region(0, 0, 0, 0)
"""A paint asked for with no row in it yet: the rows are found when it comes."""

KEPT_LINES = 1024
"""Painted lines `CauseTree` keeps to paint again (a few screens' worth)."""


def cause_label(cause: Cause, state: Session, me: Person | None, *, merging: bool = False,
                moving: bool = False) -> Text:
    """One answer's label: its text, who wrote it, and the votes this viewer may see
    (and, while someone merges or moves it, a mark saying so)."""
    label = Text(cause.text)
    if merging:
        label.append(MERGING_MARK, style="bold reverse")
    if moving:
        label.append(MOVING_MARK, style="bold reverse")
    if cause.author is not None and not state.settings.anonymous:
        if me is not None and cause.author == me.id:
            name = "you"
        else:
            person = state.people.get(cause.author)
            if person is not None and person.name:
                name = person.name
            elif person is not None and person.role == "facilitator":
                name = "the facilitator"  # a host who gave no name
            else:
                name = "Anonymous"
        label.append(f"  — {name}", style="italic")
    if state.revealed:
        tally = state.tally.get(cause.id)
        if tally is not None and tally.dots:
            label.append(f"  {DOT * min(tally.dots, MAX_DOTS_SHOWN)} {tally.dots}", style="bold yellow")
        if tally is not None and tally.votes_on_change():
            # The room's answer, decided as everywhere else (`ranking.room_answer`).
            label.append(f"  [{wording.CHANGE_LABELS[state.mode][room_answer(tally)]}]", style="bold cyan")
    elif me is not None:
        ballot = state.ballots.get(me.id)
        if ballot is not None:
            dots = ballot.dots.get(cause.id, 0)
            if dots:
                label.append(f"  {DOT * dots} mine", style="bold yellow")
            answer = ballot.change.get(cause.id)
            if answer is not None:
                label.append(f"  [{wording.CHANGE_LABELS[state.mode][answer]}]", style="cyan")
    return label


def situation_label(state: Session, me: Person | None = None) -> Text:
    """The root's label: the situation, or what to do while there is none yet."""
    if state.situation:
        return Text(state.situation, style="bold")
    if me is not None and me.role == "facilitator":
        return Text("(no situation yet — press s to write it)", style="italic")
    return Text("(no situation yet — the facilitator writes it)", style="italic")


class CauseTree(Tree[str]):
    """The shared cause tree of one session, kept in step with the mirror."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "fold", "Fold", show=False),
        Binding("right", "unfold", "Unfold", show=False),
    ]

    lay_out_alone = True
    """A change lays out the tree alone, not the whole screen (off: Textual's own)."""
    _building = False
    """`_build` is running."""

    reuse_lines = True
    """Paint a line again only when something in it changed (off: Textual's own)."""
    _rows_stale = False
    """The lines changed since the last paint, and which rows show a changed one is not
    known yet (`_mark_changed_rows`)."""
    _marking = False
    """`_mark_changed_rows` is running."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        self._shown: dict[int, tuple[object, ...]] = {}
        """Row in view -> the key (`_row_key`) of the line last painted there."""
        super().__init__(Text(""), data=ROOT, id=id, classes=classes)
        self.guide_depth = 3
        self.auto_expand = False
        self._cause_nodes: dict[str, TreeNode[str]] = {}
        self._depths: dict[str, int] = {}
        """Cause id -> its depth in the tree (1 under the situation), for shown answers."""
        self._state: Session | None = None
        self._me: Person | None = None
        self._merging: str | None = None
        self._moving: str | None = None
        self._painted: dict[tuple[object, ...], Strip] = {}
        """Painted lines, by everything that goes into painting one (`_line_key`)."""
        self._line_style: Style | None = None
        """The widget's style while `render_lines` paints, worked out once for all lines."""

    def process_label(self, label: str | Text) -> Text:
        """Every label here is built as one line of `Text` (`cause_label`): used as it is.
        Textual's own copies each label twice on its way into the tree (for its first line),
        a third of what showing a session of 2,000 answers cost."""
        if isinstance(label, Text) and "\n" not in label.plain:
            return label
        return super().process_label(label)

    def get_label_width(self, node: TreeNode[str]) -> int:
        """The width of `node`'s line without its guides. Textual's own renders the label
        again (a copy, its styles, the fold icon) to measure it, for every line of the
        tree after every change: with 2,000 answers that was most of the time an added
        answer took to show. A label's width is its text's plus the fold icon's."""
        label = node.label  # (a `Text`: the tree makes every label one)
        width = label.cell_len if isinstance(label, Text) else cell_len(label)
        if node.allow_expand:
            width += cell_len(self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE)
        return width

    # --- painting: only the lines that changed -----------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        self._mark_changed_rows()  # (before any paint, also one the tree did not ask for)
        self._line_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._line_style = None

    def render_line(self, y: int) -> Strip:
        """Textual's, with the widget's style worked out once for all the lines painted
        together (`rich_style` walks every container up to the screen: it was half of
        what painting a line of the tree cost)."""
        style = self._line_style if self._line_style is not None else self.rich_style
        scroll_x, scroll_y = self.scroll_offset
        return self._render_line(y + scroll_y, scroll_x, scroll_x + self.size.width, style)

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """Line `y` of the tree, painted again only when something in it changed.

        Textual's `Tree` forgets every painted line at every change (its cache is keyed on
        a counter of the whole tree's changes), so one answer added paints every line in
        view again, most of what showing it costs. Here a painted line is kept under
        everything that goes into it: its place, the width, the styles, the cursor and
        the mouse, and for each node on its path the node itself, whether it is the last
        of its parent's (the guides) and what it shows (its changes counter, which its
        label, fold and children move; the situation's label, since Textual moves the
        root's counter at every change)."""
        lines = self._tree_lines
        if self._line_style is not None:  # painting (not asked from elsewhere)
            self._shown[y - self.scroll_offset.y] = self._row_key(lines, y, x1, x2, base_style)
        if not self.reuse_lines or y >= len(lines):
            return super()._render_line(y, x1, x2, base_style)
        key = self._line_key(lines[y].path, y, x1, x2, base_style)
        strip = self._painted.get(key)
        if strip is None:
            strip = super()._render_line(y, x1, x2, base_style)
            if len(self._painted) >= KEPT_LINES:
                for old in list(self._painted)[: KEPT_LINES // 2]:  # the oldest half
                    del self._painted[old]
            self._painted[key] = strip
        return strip

    def _line_key(self, path: list[TreeNode[str]], y: int, x1: int, x2: int,
                  base_style: Style) -> tuple[object, ...]:
        node = path[-1]
        if node.parent is None:  # the situation
            label = node._label
            shows: object = (label.plain, tuple(label.spans), label.style, node._expanded,
                             node._allow_expand)
        else:
            shows = node._updates
        return (
            y, x1, x2, self.size.width, self.virtual_size.width, base_style,
            self._pseudo_class_state, self.has_focus, self.show_guides, self.guide_depth,
            self.cursor_line == y, self.hover_line == y, self.hover_line >= 0, shows,
            tuple((step, step.is_last, step._hover, step._selected) for step in path),
        )

    def _row_key(self, lines: list[_TreeLine[str]], y: int, x1: int, x2: int,
                 base_style: Style) -> tuple[object, ...]:
        """Everything that goes into painting line `y` (a blank one below the last)."""
        if y >= len(lines):
            return (y, self.size.width, base_style)
        return self._line_key(lines[y].path, y, x1, x2, base_style)

    # --- a change paints only the rows that show something else ------------------------------

    def _mark_changed_rows(self) -> None:
        """After the lines changed, mark for the next paint only the rows in view whose line
        is not the one painted there last (Textual's `Tree` paints every row in view again
        after any change, and the terminal is sent them all: an answer added at the end of
        the tree is one row, and the row above whose guide turns from └── to ├──). Run as
        the screen collects what to paint (`_exchange_repaint_regions`), once for all the
        changes since the last paint."""
        if not self._rows_stale:
            return
        self._marking = True
        try:
            lines = self._tree_lines  # (built again now, when a change left them to build)
        finally:
            self._marking = False
        self._rows_stale = False
        self._pseudo_class_state = self.get_pseudo_class_state()  # (as `render_lines` sets it)
        scroll_x, scroll_y = self.scroll_offset
        width, height = self.size
        style = self.rich_style
        start = None
        for row in range(height + 1):
            changed = row < height and self._shown.get(row) != self._row_key(
                lines, row + scroll_y, scroll_x, scroll_x + width, style)
            if changed and start is None:
                start = row
            elif not changed and start is not None:
                self._set_dirty(Region(0, start, width, row - start))
                start = None

    def _exchange_repaint_regions(self) -> Collection[Region]:
        self._mark_changed_rows()
        return super()._exchange_repaint_regions()

    # --- a change lays out the tree alone, not the screen ---------------------------------

    def _invalidate(self) -> None:
        """Textual's, without asking for a layout: the lines are built again at the next
        paint (`_build`), and only then is it known whether the screen must be laid out;
        and without painting every row in view again: which rows changed is worked out
        then too (`_mark_changed_rows`)."""
        if not self._alone:
            super()._invalidate()
            return
        self._clear_line_cache()
        self._updates += 1
        self.root._reset()
        if self.reuse_lines:
            self._rows_stale = True
            self.refresh(NO_ROWS_YET)
        else:
            self.refresh()

    def _build(self) -> None:
        """Textual's, except that a new length or width (every answer added or removed)
        no longer lays out the whole screen again -- 14 widgets, about 1 ms of the time
        an answer takes to show, whatever the tree's size. The tree's own size is set by
        the screen (`1fr`), not by its lines: what a new length can change is its
        scrollbars. Their thumbs are updated here; when one appears or goes, the
        scrollbar's own setting asks for the layout that needs."""
        if not self._alone:
            super()._build()
            return
        size = self.virtual_size
        self._building = True
        try:
            super()._build()
        finally:
            self._building = False
        if self.virtual_size != size:
            self._scroll_update(self.virtual_size)

    @property
    def _alone(self) -> bool:
        """Lay out the tree alone: asked for (`lay_out_alone`), and its size is the
        screen's to set, not its lines' (no `auto` width or height)."""
        return self.lay_out_alone and not self.styles.auto_dimensions

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> CauseTree:
        if self._building:  # the new `virtual_size` of `_build`, above: no layout,
            layout = False
            if self.reuse_lines and not regions:  # and no row yet (`_build` is alone here)
                self._rows_stale = True
                if self._marking:  # (marked right after this)
                    repaint = False
                else:
                    regions = (NO_ROWS_YET,)
        super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
        return self

    def notify_style_update(self) -> None:
        self._painted.clear()
        super().notify_style_update()

    def clear(self) -> CauseTree:
        self._painted.clear()
        super().clear()
        return self

    def set_node_label(self, node: TreeNode[str], label: Text) -> None:
        """Give `node` a new label, and keep the tree's width (how far it scrolls sideways)
        true: Textual's `Tree` measures its lines again only when nodes are added or
        removed, so a label grown by votes could not be scrolled to its end, and one that
        was the widest left room after it. The lines are measured again only when this
        line was or becomes the widest."""
        before = self._line_width(node)
        node.set_label(label)
        after = self._line_width(node)
        widest = self.virtual_size.width
        if after != before and self._tree_lines_cached is not None and (
                after > widest or before >= widest):
            self._tree_lines_cached = None  # measured again at the next paint
            self.refresh(layout=not self._alone)

    def _line_width(self, node: TreeNode[str]) -> int:
        """`node`'s line's width, guides included (as `Tree._build` measures it)."""
        depth = self._depths.get(node.data, 0) if node.data else 0
        return depth * self.guide_depth + self.get_label_width(node)

    # --- what the screen asks ----------------------------------------------------------

    @property
    def selected_cause(self) -> str | None:
        """The cause id under the cursor; None when it is on the situation (or nowhere)."""
        node = self.cursor_node
        if node is None or not node.data:
            return None
        return node.data

    def node_for(self, cause_id: str | None) -> TreeNode[str]:
        """The node showing `cause_id` (the root for None)."""
        if cause_id is None:
            return self.root
        return self._cause_nodes[cause_id]

    def select_cause(self, cause_id: str | None) -> None:
        """Put the cursor on `cause_id` (None: the situation), unfolding its ancestors."""
        node = self.root if cause_id is None else self._cause_nodes.get(cause_id)
        if node is None:
            return
        parent = node.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        self.call_after_refresh(self.move_cursor, node)

    def mark_merging(self, cause_id: str | None) -> None:
        """Mark `cause_id` as the answer being merged (None: no mark)."""
        before, self._merging = self._merging, cause_id
        for marked in (before, cause_id):
            if marked is not None and self._state is not None:
                self._relabel(marked)

    def mark_moving(self, cause_id: str | None) -> None:
        """Mark `cause_id` as the answer being moved (None: no mark)."""
        before, self._moving = self._moving, cause_id
        for marked in (before, cause_id):
            if marked is not None and self._state is not None:
                self._relabel(marked)

    # --- following the session ----------------------------------------------------------

    def show_state(self, state: Session, me: Person | None) -> None:
        """Rebuild from a whole state, keeping each answer's fold and the selection."""
        folds = {cause_id: node.is_expanded for cause_id, node in self._cause_nodes.items()}
        selected = self.cursor_node.data if self.cursor_node is not None else None
        self._state, self._me = state, me
        self.clear()
        self._cause_nodes.clear()
        self._depths.clear()
        self.root.set_label(situation_label(state, me))
        self.root.expand()
        # Tree order puts every parent before its answers (a merge can leave an answer before
        # its new parent in the session's own order).
        for cause, _depth in tree_order(state):
            parent = self._cause_nodes.get(cause.parent) if cause.parent is not None else self.root
            if parent is None:
                continue
            self._add(parent, cause, expanded=folds.get(cause.id, True))
        if selected is not None and (selected == ROOT or selected in self._cause_nodes):
            target = self.root if selected == ROOT else self._cause_nodes[selected]
        elif self.cursor_line < 0:
            target = self.root
        else:
            return
        # The cursor goes back now, with the lines laid out now: moved after the next
        # refresh, it would undo a key pressed in between (a join or resume rebuilds the tree
        # while people already use it). Scrolling it into view waits for the refresh.
        self._tree_lines  # noqa: B018 (lays out the lines: each node learns its line)
        self.move_cursor(target)
        self.call_after_refresh(self._scroll_to_cursor)

    def _scroll_to_cursor(self) -> None:
        if self.cursor_node is not None:
            self.scroll_to_node(self.cursor_node, animate=False)

    def apply_events(self, state: Session, me: Person | None, events: list[p.Event]) -> None:
        """Follow `events`, already applied to `state`, with the smallest changes."""
        self._state, self._me = state, me
        relabel_all = False
        for event in events:
            body = event.command
            match body:
                case p.AddCause(id=cause_id, parent=parent) if cause_id is not None:
                    cause = state.causes.get(cause_id)
                    parent_node = self.root if parent is None else self._cause_nodes.get(parent)
                    if cause is not None and parent_node is not None and cause_id not in self._cause_nodes:
                        self._add(parent_node, cause, expanded=True)
                case p.EditCause(cause=cause_id):
                    self._relabel(cause_id)
                case p.RemoveCause(cause=cause_id):
                    self._remove(cause_id)
                    self._relabel_deepest()
                    relabel_all = relabel_all or state.revealed
                case p.MergeCauses(cause=cause_id, into=into):
                    self._merge(cause_id, into)
                    self._relabel_deepest()
                    relabel_all = relabel_all or state.revealed
                case p.MoveCause(cause=cause_id):
                    self._move(cause_id)
                case p.RestoreCause(cause=cause_id):
                    self._restore(cause_id)
                    relabel_all = relabel_all or state.revealed
                case p.SetDots(cause=cause_id) | p.SetChange(cause=cause_id):
                    self._relabel(cause_id)
                case p.SetSituation():
                    self.set_node_label(self.root, situation_label(state, me))
                case p.RevealVotes() | p.SetSettings():
                    relabel_all = True
                case p.PersonJoined(person=person):
                    # Only this person's answers can show a different name.
                    for cause in state.causes.values():
                        if cause.author == person.id:
                            self._relabel(cause.id)
                case _:
                    pass
        if relabel_all:
            for cause_id in self._cause_nodes:
                self._relabel(cause_id)

    # --- the changes ----------------------------------------------------------------------

    def _add(self, parent: TreeNode[str], cause: Cause, *, expanded: bool,
             before: TreeNode[str] | None = None) -> TreeNode[str] | None:
        """A node for `cause` under `parent` (before `before`, else last); None (and a note
        on `parent`) when it would be deeper than `MAX_SHOWN_DEPTH`."""
        depth = self._depths.get(parent.data, 0) + 1 if parent.data else 1
        if depth > MAX_SHOWN_DEPTH:
            if parent.data:
                self._relabel(parent.data)
            return None
        self._depths[cause.id] = depth
        node = parent.add(self._label(cause), data=cause.id, expand=expanded, before=before)
        node.allow_expand = False
        if not parent.allow_expand:
            parent.allow_expand = True
        self._cause_nodes[cause.id] = node
        return node

    def _label(self, cause: Cause) -> Text:
        state = self._session
        label = cause_label(cause, state, self._me, merging=cause.id == self._merging,
                            moving=cause.id == self._moving)
        if self._depths.get(cause.id) == MAX_SHOWN_DEPTH:
            hidden = len(state.subtree(cause.id)) - 1
            if hidden:
                label.append(f"  ▸ {hidden} more {'answer' if hidden == 1 else 'answers'} below, "
                             "too deep to show here", style="italic")
        return label

    @property
    def _session(self) -> Session:
        assert self._state is not None
        return self._state

    def _relabel(self, cause_id: str) -> None:
        node = self._cause_nodes.get(cause_id)
        cause = self._session.causes.get(cause_id)
        if node is not None and cause is not None:
            self.set_node_label(node, self._label(cause))

    def _relabel_deepest(self) -> None:
        """The deepest shown answers count what lies below them: recount after a removal."""
        for cause_id, depth in list(self._depths.items()):
            if depth == MAX_SHOWN_DEPTH:
                self._relabel(cause_id)

    def _forget(self, node: TreeNode[str]) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            stack.extend(current.children)
            if current.data:
                self._cause_nodes.pop(current.data, None)
                self._depths.pop(current.data, None)

    def _cursor_inside(self, node: TreeNode[str]) -> bool:
        current = self.cursor_node
        while current is not None:
            if current is node:
                return True
            current = current.parent
        return False

    def _remove(self, cause_id: str) -> None:
        node = self._cause_nodes.get(cause_id)
        if node is None:
            return
        parent = node.parent or self.root
        move_cursor = self._cursor_inside(node)
        self._forget(node)
        node.remove()
        parent.allow_expand = bool(parent.children) or parent.is_root
        if move_cursor:
            self.call_after_refresh(self.move_cursor, parent)

    def _merge(self, cause_id: str, into: str) -> None:
        node = self._cause_nodes.get(cause_id)
        target = self._cause_nodes.get(into)
        if target is None:
            self._remove(cause_id)
            self._relabel(into)
            return
        selected = self.cursor_node.data if self.cursor_node is not None else None
        folds: dict[str, bool] = {}
        if node is not None:
            folds = _folds_below(node)
            self._forget(node)
            node.remove()
        state = self._session
        # The merged answer's children, now under `into` (also those that were too deep to
        # show before, and may be shown now).
        for moved in state.children(into):
            if moved.id not in self._cause_nodes:
                self._add_subtree(target, moved.id, folds, state)
        self._relabel(into)
        if selected == cause_id:
            selected = into
        if selected is not None and selected in self._cause_nodes:
            self.select_cause(selected)  # unfolds `into` when the cursor moved with it

    def _move(self, cause_id: str) -> None:
        """`cause_id` went under another parent, last among its new siblings."""
        node = self._cause_nodes.get(cause_id)
        cause = self._session.causes.get(cause_id)
        target = self.root if cause is None or cause.parent is None else self._cause_nodes.get(cause.parent)
        if node is None or target is None:
            return
        selected = self.cursor_node.data if self.cursor_node is not None else None
        folds = {cause_id: node.is_expanded, **_folds_below(node)}
        old_parent = node.parent or self.root
        self._forget(node)
        node.remove()
        old_parent.allow_expand = bool(old_parent.children) or old_parent.is_root
        self._add_subtree(target, cause_id, folds, self._session)
        if selected is not None and selected in self._cause_nodes:
            self.select_cause(selected)  # the cursor follows a moved answer

    def _restore(self, cause_id: str) -> None:
        """An undone removal: the branch comes back in its place among its siblings."""
        state = self._session
        cause = state.causes.get(cause_id)
        if cause is None or cause_id in self._cause_nodes:
            return
        parent = self.root if cause.parent is None else self._cause_nodes.get(cause.parent)
        if parent is None:
            return
        siblings = [c.id for c in state.children(cause.parent)]
        after = siblings[siblings.index(cause_id) + 1:]
        before = next((self._cause_nodes[c] for c in after if c in self._cause_nodes), None)
        node = self._add(parent, cause, expanded=True, before=before)
        if node is None:
            return
        for child in state.children(cause_id):
            self._add_subtree(node, child.id, {}, state)

    def _add_subtree(
        self, parent: TreeNode[str], cause_id: str, folds: dict[str, bool], state: Session
    ) -> None:
        below: dict[str | None, list[Cause]] = {}
        for cause in state.causes.values():
            below.setdefault(cause.parent, []).append(cause)
        stack: list[tuple[TreeNode[str], str]] = [(parent, cause_id)]
        while stack:
            parent_node, current = stack.pop()
            found = state.causes.get(current)
            node = None if found is None else self._add(parent_node, found,
                                                        expanded=folds.get(current, True))
            if node is not None:
                stack.extend((node, child.id) for child in reversed(below.get(current, ())))

    # --- keys -------------------------------------------------------------------------------

    def action_fold(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node.children:
            node.collapse()
        elif node.parent is not None:
            self.move_cursor(node.parent)

    def action_unfold(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.children and not node.is_expanded:
            node.expand()
        elif node.children:
            self.move_cursor(node.children[0])


def _folds_below(node: TreeNode[str]) -> dict[str, bool]:
    """Whether each answer below `node` is unfolded, to keep it so where they go next."""
    folds: dict[str, bool] = {}
    stack = list(node.children)
    while stack:
        child = stack.pop()
        if child.data:
            folds[child.data] = child.is_expanded
        stack.extend(child.children)
    return folds
