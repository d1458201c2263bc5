"""The cause tree paints again only the lines that changed, and shows exactly what
Textual's own `Tree` would.

`CauseTree` keeps painted lines under everything that goes into one (see
`CauseTree._render_line`), where Textual's `Tree` paints every line in view again after
any change. A line kept too long would show an old label, a fold icon or a guide that is
no longer true, so after each of many random changes -- answers added anywhere, relabelled,
folded, removed, the cursor moved, focus lost and back, the terminal resized -- every line
on screen is compared with the line Textual paints for the same tree, and how far the tree
scrolls sideways with the widest line's width.

A change also paints again only the rows in view that show another line
(`CauseTree._mark_changed_rows`): a row it forgets would keep showing the old line on the
person's terminal. So what the app sent to the terminal, every update applied in turn
(`Terminal`), is compared with a full paint of the tree after each change as well.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import Input, Tree
from textual.widgets.tree import TreeNode

from whytree.tui.widgets.cause_tree import CauseTree


class TreeApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CauseTree(id="tree")
        yield Input(id="elsewhere")


def _screen_lines(tree: CauseTree, reuse: bool) -> list[list[object]]:
    tree.reuse_lines = reuse
    try:
        return [list(tree.render_line(y)) for y in range(tree.size.height)]
    finally:
        tree.reuse_lines = True


def _rows_on_screen(tree: CauseTree) -> tuple[list[Strip], list[Strip]]:
    """What the screen holds for each row of the tree (the rows painted last, kept by the
    widget's paint cache: only the rows marked dirty are painted again), and what painting
    every row afresh gives."""
    crop = tree.size.region
    on_screen = tree._styles_cache.render_widget(tree, crop)
    return on_screen, StylesCache().render_widget(tree, crop)


class Terminal:
    """What the app has sent to the terminal: every update it writes (`App._display`),
    applied cell by cell to a screen of characters and their styles."""

    def __init__(self, app: App[None]) -> None:
        self.cells: dict[tuple[int, int], tuple[str, Style | None]] = {}
        own = app._display

        def display(screen: Screen[object], update: object) -> None:
            self._apply(update)
            own(screen, update)  # type: ignore[arg-type]

        app._display = display  # type: ignore[method-assign]

    def _write(self, x: int, y: int, strip: Iterable[Segment], end: int | None = None) -> None:
        for segment in strip:
            if segment.control:
                continue
            for char in segment.text:
                if end is not None and x >= end:
                    return
                self.cells[x, y] = (char, _plain(segment.style))
                x += 1

    def _apply(self, update: object) -> None:
        if isinstance(update, LayoutUpdate):
            for y, line in enumerate(update.strips, update.region.y):
                x = update.region.x
                for strip in line:
                    self._write(x, y, strip)
                    x += strip.cell_length
        elif isinstance(update, ChopsUpdate):
            for y, x1, x2 in update.spans:
                for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items(), strict=True):
                    if strip is not None and x <= x2 and end > x1:
                        self._write(x, y, strip, min(end, x2))

    def rows(self, region: Region) -> list[list[tuple[str, Style | None]]]:
        return [[self.cells.get((x, y), ("?", None)) for x in range(region.x, region.right)]
                for y in range(region.y, region.bottom)]


def _plain(style: Style | None) -> Style | None:
    return None if style is None else style.clear_meta_and_links()


def _painted_afresh(tree: CauseTree) -> list[list[tuple[str, Style | None]]]:
    """The tree's content area as a full paint of every row gives it."""
    region, inner = tree.region, tree.scrollable_content_region
    dx, dy = inner.x - region.x, inner.y - region.y
    strips = StylesCache().render_widget(tree, Region(0, 0, region.width, region.height))
    rows = [[(char, _plain(segment.style)) for segment in strip if not segment.control
             for char in segment.text] for strip in strips]
    return [row[dx:dx + inner.width] for row in rows[dy:dy + inner.height]]


def _scrolling(tree: CauseTree) -> tuple[object, ...]:
    """What a person sees of the tree's scrolling: the scrollbars, their thumbs, how far
    the tree scrolls and where it is."""
    shown = (tree.show_vertical_scrollbar, tree.show_horizontal_scrollbar)
    thumbs = tuple((bar.window_virtual_size, bar.window_size, bar.position) for bar, on in
                   zip((tree.vertical_scrollbar, tree.horizontal_scrollbar), shown, strict=True) if on)
    return (shown, thumbs, tree.scrollable_content_region, tree.max_scroll_x, tree.max_scroll_y,
            tree.scroll_offset)


def _nodes(tree: CauseTree) -> list[TreeNode[str]]:
    found, stack = [], [tree.root]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.children)
    return found


async def test_every_line_on_screen_is_the_line_textual_would_paint() -> None:
    rng = random.Random(7)
    app = TreeApp()
    terminal = Terminal(app)
    async with app.run_test(size=(60, 16)) as pilot:
        tree = app.query_one(CauseTree)
        tree.root.set_label(Text("The situation"))
        tree.root.expand()
        tree.focus()
        count = 0
        for step in range(160):
            nodes = _nodes(tree)
            action = rng.choice(["add", "add", "add", "label", "fold", "remove", "cursor",
                                 "cursor", "focus", "resize"])
            if action == "add" or len(nodes) == 1:
                parent = rng.choice(nodes)
                count += 1
                node = parent.add(Text(f"answer {count}" + " why" * rng.randrange(4)),
                                  data=f"c{count}", expand=True)
                node.allow_expand = False
                parent.allow_expand = True
                tree._depths[f"c{count}"] = tree._depths.get(parent.data, 0) + 1
            elif action == "label":
                words = " and more" * rng.randrange(8)  # longer or shorter than the widest
                tree.set_node_label(rng.choice(nodes),
                                    Text(f"edited {step}{words}", style=rng.choice(["", "italic"])))
            elif action == "fold":
                node = rng.choice(nodes)
                node.toggle()
            elif action == "remove":
                node = rng.choice(nodes[1:])
                node.remove()
            elif action == "cursor":
                await pilot.press(rng.choice(["up", "down", "down", "home", "end", "left", "right"]))
            elif action == "focus":
                (app.query_one(Input) if tree.has_focus else tree).focus()
            else:
                await pilot.resize_terminal(rng.choice([40, 60, 90]), rng.choice([10, 16]))
            await pilot.pause()
            kept = _screen_lines(tree, reuse=True)
            assert kept == _screen_lines(tree, reuse=False), f"after step {step} ({action})"
            # A change paints only the rows that show something else: every other row on
            # screen is still the row a full paint would give.
            on_screen, afresh = _rows_on_screen(tree)
            assert on_screen == afresh, f"after step {step} ({action})"
            # ...and what the terminal was sent is that too.
            assert terminal.rows(tree.scrollable_content_region) == _painted_afresh(tree), \
                f"after step {step} ({action})"
            # How far it scrolls sideways is the widest line's width, as measuring them all
            # again finds it.
            width = tree.virtual_size.width
            tree._tree_lines_cached = None
            tree._tree_lines  # noqa: B018 (measures every line again)
            assert tree.virtual_size.width == width, f"after step {step} ({action})"
            # A change lays out the tree alone (`CauseTree.lay_out_alone`): its scrollbars
            # are what laying out the whole screen again makes of them.
            scrolling = _scrolling(tree)
            app.screen.refresh(layout=True)
            await pilot.pause()
            assert _scrolling(tree) == scrolling, f"after step {step} ({action})"


async def test_an_answer_added_paints_only_the_lines_it_changed() -> None:
    painted: list[int] = []
    own = Tree._render_line

    def spy(tree: Tree[str], y: int, *args: object) -> object:
        if y < len(tree._tree_lines):
            painted.append(y)
        return own(tree, y, *args)  # type: ignore[arg-type]

    app = TreeApp()
    async with app.run_test(size=(60, 20)) as pilot:
        tree = app.query_one(CauseTree)
        tree.root.set_label(Text("The situation"))
        tree.root.expand()
        for index in range(8):
            node = tree.root.add(Text(f"answer {index}"), data=f"c{index}", expand=True)
            node.allow_expand = False
        await pilot.pause()
        Tree._render_line = spy  # type: ignore[method-assign]
        try:
            node = tree.root.add(Text("one more"), data="c9", expand=True)
            await pilot.pause()
        finally:
            Tree._render_line = own  # type: ignore[method-assign]
        # The answer that was last (its guide turns from └── to ├──) and the new one.
        assert sorted(set(painted)) == [8, 9]
