"""The join screen flows the way a person reads, on an old laptop's 80×24.

Real `WhytreeApp`s under Pilot, against the real server where they join: a session found
on the network is picked with Enter and leads to the Name field; staying anonymous is a
choice of its own; problems show at the top, where the eye is, and go once fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

from conftest import CODE, WaitUntil
from textual.widget import Widget
from textual.widgets import Static

from whytree.server.app import Server
from whytree.tui.app import WhytreeApp
from whytree.tui.screens.join import JoinScreen

SIZE = (80, 24)


@dataclass
class Found:
    """What discovery reports about one session."""

    url: str
    title: str


def in_view(widget: Widget) -> bool:
    """On the screen now, not scrolled out of sight."""
    region = widget.region
    return region.height > 0 and region.y >= 0 and region.bottom <= SIZE[1]


def problem_widget(screen: JoinScreen) -> Static | None:
    """The problem message on screen, at the top or above a field."""
    for widget in screen.query(Static):
        if widget.display and (widget.id == "join-message" and widget.has_class("-problem")
                               or widget.has_class("field-problem")):
            return widget
    return None


def problem_in_view(screen: JoinScreen, text: str) -> bool:
    widget = problem_widget(screen)
    return widget is not None and text in str(widget.render()) and in_view(widget)


async def test_a_found_session_is_picked_with_enter_and_the_name_comes_next(
    server: Server, wait_until: WaitUntil
) -> None:
    app = WhytreeApp(discover=False)
    async with app.run_test(size=SIZE) as keys:
        screen = app.screen
        assert isinstance(screen, JoinScreen)
        screen.show_found([Found(url=server.local_url, title="Tuesday group")])
        await keys.pause()
        await keys.press("enter")  # the first session found is ready to pick
        assert screen.query_one("#address").value == server.local_url  # type: ignore[attr-defined]
        assert screen.query_one("#name").has_focus  # not skipped on the way to the code
        await keys.press(*"Ben", "enter", *CODE, "enter")
        await wait_until(lambda: app.session_screen is not None, what="Ben in")
        assert app.mirror.me is not None and app.mirror.me.name == "Ben"


async def test_staying_anonymous_is_a_choice_not_an_empty_name(server: Server, wait_until: WaitUntil) -> None:
    app = WhytreeApp(url=server.local_url, code=CODE, discover=False)
    async with app.run_test(size=SIZE) as keys:
        screen = app.screen
        assert isinstance(screen, JoinScreen)
        assert screen.query_one("#name").has_focus  # address and code are there: the name is next
        await keys.press("enter")  # an empty name is not taken as "anonymous"
        await wait_until(lambda: problem_in_view(screen, "Stay anonymous")
                         and in_view(screen.query_one("#name")), what="the problem and its field in view")
        assert screen.query_one("#name").has_focus
        assert app.link is None
        await keys.press("tab", "space")  # tick "Stay anonymous"
        assert problem_widget(screen) is None  # the problem is fixed: its message goes
        await keys.press("tab", "enter")  # to the code, which is there: join
        await wait_until(lambda: app.session_screen is not None, what="in, anonymously")
        assert app.mirror.me is not None and app.mirror.me.name == ""


async def test_problems_show_at_the_top_and_go_once_fixed(server: Server, wait_until: WaitUntil) -> None:
    app = WhytreeApp(name="Ben", code=CODE, discover=False)
    async with app.run_test(size=SIZE) as keys:
        screen = app.screen
        assert isinstance(screen, JoinScreen)
        assert screen.query_one("#address").has_focus
        await keys.press("enter")  # an empty address: a visible reaction
        await wait_until(lambda: problem_in_view(screen, "Type the address"), what="the problem in view")
        assert screen.query_one("#address").has_class("-problem")
        await keys.press(*"127.0.0.1")
        assert problem_widget(screen) is None and not screen.query_one("#address").has_class("-problem")
        # A wrong code from the host: said at the top too, even with the Join button in view.
        screen.query_one("#code").value = "000000"  # type: ignore[attr-defined]
        screen.query_one("#address").value = server.local_url  # type: ignore[attr-defined]
        screen.query_one("#join-button").focus()
        await keys.press("enter")
        await wait_until(lambda: problem_in_view(screen, "code is not right"), what="wrong code")
        assert screen.query_one("#code").has_focus


async def test_the_field_to_type_in_stays_in_view_when_nothing_is_found(
    server: Server, wait_until: WaitUntil
) -> None:
    """`whytree join ADDRESS` on an 80×24 laptop: the help about finding sessions appears
    above the fields, and the name field, where typing goes, must not slide out of view."""
    app = WhytreeApp(url=server.local_url, discover=False)
    async with app.run_test(size=SIZE) as keys:
        screen = app.screen
        assert isinstance(screen, JoinScreen)
        # As a real terminal showed it: the form from its top, while it looks on the network.
        screen.query_one("#join").scroll_home(animate=False)
        screen.query_one("#found-help").display = False
        await keys.pause()
        screen.show_found([])  # nothing there: the help shows, above the fields
        await keys.pause()
        await keys.pause()  # laid out again
        name = screen.query_one("#name")
        assert name.has_focus
        await wait_until(lambda: in_view(name), timeout=2, what="the name field in view")
        await keys.press(*"Ben")
        assert name.value == "Ben"  # type: ignore[attr-defined]
