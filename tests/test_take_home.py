"""Everyone takes the summary home, and the end of a step's time is noticed.

A participant's own terminal app, joined to the real server, saves the closed session's
summary on their laptop with one key -- Markdown and a page to print, private files -- and
is told where it went. When a step timer this laptop saw running ends, the terminal rings
its bell and the title line visibly changes, not only a number reaching zero.
"""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
from conftest import CODE, FACILITATOR_KEY, WaitUntil
from textual.app import App, ComposeResult
from textual.widgets import Static

import whytree.tui
from tests.netclient import NetClient
from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.shared.model import Person, Session
from whytree.tui.app import WhytreeApp
from whytree.tui.widgets.status import SessionHeader


async def closed_with_a_participant(server: Server, wait_until: WaitUntil, app: WhytreeApp) -> NetClient:
    fac = NetClient(server.local_url)
    assert isinstance(await fac.join(facilitator_key=FACILITATOR_KEY, name="Fran"), p.Welcome)
    await fac.ok(p.SetSituation(op="-", text="The playground is locked <after> 3pm"))
    await fac.ok(p.SetPhase(op="-", phase="why"))
    await fac.ok(p.AddCause(op="-", parent=None, text="Nobody has the key"))
    await wait_until(lambda: app.session_screen is not None, what="joined")
    await fac.ok(p.Close(op="-"))
    await wait_until(lambda: app.mirror.state is not None and app.mirror.state.phase == "closed",
                     what="closed on the participant's screen")
    return fac


@pytest.mark.parametrize("documents", [True, False])
async def test_a_participant_saves_the_summary_with_one_key_and_is_told_where(
        server: Server, wait_until: WaitUntil, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        documents: bool) -> None:
    home = tmp_path / "home"
    (home / "Documents" if documents else home).mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("WHYTREE_DATA_DIR", str(tmp_path / "data"))
    folder = home / "Documents" / "whytree" if documents else tmp_path / "data" / "summaries"
    app = WhytreeApp(url=server.local_url, name="Ben", code=CODE, discover=False)
    async with app.run_test(size=(120, 40)) as pilot:
        fac = await closed_with_a_participant(server, wait_until, app)
        await pilot.press("h")
        await wait_until(lambda: len(list(folder.glob("*"))) == 2, what="the summary saved")

        saved = sorted(folder.iterdir(), key=lambda path: path.suffix)
        page, markdown = saved
        assert page.suffix == ".html" and markdown.suffix == ".md"
        assert "The playground is locked \\<after\\> 3pm" in markdown.read_text(encoding="utf-8")
        assert "The playground is locked &lt;after&gt; 3pm" in page.read_text(encoding="utf-8")
        assert "Nobody has the key" in markdown.read_text(encoding="utf-8")
        for path in saved:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        # Told where it went: in a notice, and on the summary itself.
        await wait_until(lambda: any(str(folder) in n.message for n in app._notifications),
                         what="a notice naming the folder")
        shown = str(app.screen.query_one("#summary-saved", Static).visual)
        assert f"your copy is in {folder}" in shown
        assert not list(folder.glob(".*")), "no temporary file left behind"
        await fac.close()


class HeaderApp(App[None]):
    """The session header alone, styled as in the app, with the terminal bell counted."""

    CSS_PATH = str(Path(whytree.tui.__file__).parent / "app.tcss")

    def __init__(self) -> None:
        super().__init__()
        self.header = SessionHeader()
        self.bells = 0

    def compose(self) -> ComposeResult:
        yield self.header

    def bell(self) -> None:
        self.bells += 1


async def test_the_end_of_a_timer_rings_the_bell_and_changes_the_title(wait_until: WaitUntil) -> None:
    app = HeaderApp()
    me = Person(id="p1", name="Ben")
    async with app.run_test(size=(80, 10)):
        app.header.show_state(Session(phase="why", timer_ends=time.time() + 1.5), me, 0.0)
        title = app.header.query_one("#header-title", Static)
        assert not app.header.has_class("-time-up") and "⏱ 0:0" in str(title.visual)

        await wait_until(lambda: app.header.has_class("-time-up"), what="time is up")
        assert app.bells == 1
        assert "time is up" in str(title.visual)
        assert title.styles.background != app.header.styles.background  # it stands out
        await wait_until(lambda: any("Time is up" in n.message for n in app._notifications),
                         what="a notice")
        # Once only; a new timer takes the mark away.
        app.header.show_state(Session(phase="why", timer_ends=time.time() + 60), me, 0.0)
        assert not app.header.has_class("-time-up") and app.bells == 1


async def test_a_timer_that_ended_before_this_laptop_saw_it_run_rings_no_bell(
        wait_until: WaitUntil) -> None:
    app = HeaderApp()
    async with app.run_test(size=(80, 10)):
        app.header.show_state(Session(phase="why", timer_ends=time.time() - 5), None, 0.0)
        await wait_until(lambda: app.header.has_class("-time-up"), what="time is up shown")
        assert app.bells == 0
