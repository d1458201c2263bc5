"""Coming back is being the same person: real `WhytreeApp`s against the real server.

A participant's laptop keeps the token of each session (`tui/identities.py`), so running
`whytree join` again comes back as the same person, with their answers and dots; a shared
laptop can join as someone new; and the same person opened on two screens is told so on
the older one, which does not take the session back by itself.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from conftest import CODE, FACILITATOR_KEY, WaitUntil
from netclient import NetClient
from textual.widgets import Static

from tests.commands import new_command
from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.shared.model import Session
from whytree.tui.app import WhytreeApp
from whytree.tui.identities import Identities
from whytree.tui.messages import SendCommand
from whytree.tui.screens.join import JoinScreen
from whytree.tui.screens.relink import ElsewhereScreen

SIZE = (80, 24)


def ben(server: Server, folder: Path, **options: object) -> WhytreeApp:
    return WhytreeApp(url=server.local_url, name="Ben", code=CODE, discover=False,
                      identities=Identities(folder), **options)  # type: ignore[arg-type]


def people_named(state: Session, name: str) -> list[str]:
    return [person.id for person in state.people.values() if person.name == name]


async def test_coming_back_is_being_the_same_person(
    server: Server, tmp_path: Path, wait_until: WaitUntil
) -> None:
    folder = tmp_path / "bens-laptop"
    ana = NetClient(server.local_url)  # the facilitator, for the steps
    await ana.join(facilitator_key=FACILITATOR_KEY, name="Ana")
    try:
        await ana.ok(p.SetSituation(op="-", text="Kids are bored"))
        await ana.ok(p.SetPhase(op="-", phase="why"))
        first = ben(server, folder)
        async with first.run_test(size=SIZE) as keys:
            await wait_until(lambda: first.session_screen is not None
                             and first.mirror.state is not None and first.mirror.state.phase == "why",
                             what="Ben in the why step")
            first.post_message(SendCommand(new_command(first, p.AddCause, parent=None, text="Nothing to do")))
            await wait_until(lambda: first.mirror.state is not None and len(first.mirror.state.causes) == 1)
            await ana.ok(p.SetPhase(op="-", phase="weigh"))
            await wait_until(lambda: first.mirror.state is not None and first.mirror.state.phase == "weigh")
            await keys.press("down", "plus", "plus")  # two dots on his own answer
            await wait_until(lambda: server.state.ballots.get(first.mirror.me.id if first.mirror.me else "")
                             is not None and sum(server.state.ballots[first.mirror.me.id].dots.values()) == 2,
                             what="two dots at the host")
            ben_id = first.mirror.me.id if first.mirror.me else ""
        # Ben's `whytree join` was stopped; the host sees him away. He runs it again.
        await wait_until(lambda: not server.state.people[ben_id].online, what="Ben away")
        again = ben(server, folder)
        async with again.run_test(size=SIZE):
            await wait_until(lambda: again.session_screen is not None, what="Ben in again")
            assert again.mirror.me is not None and again.mirror.me.id == ben_id
            assert people_named(server.state, "Ben") == [ben_id]  # one Ben at the host
            # Presence is published once it has held a moment (the hub coalesces it).
            await wait_until(lambda: server.state.people[ben_id].online, timeout=10, what="Ben online")
            assert again.mirror.state is not None
            cause = next(iter(again.mirror.state.causes.values()))
            assert cause.author == ben_id  # his answer is still his ("you")
            mine = again.mirror.state.ballots[ben_id]
            assert sum(mine.dots.values()) == 2  # his dots are still his: 1 left, not 3
    finally:
        await ana.close()
    # The token is kept in a private file on Ben's laptop.
    saved = folder / "identities.json"
    assert saved.exists()
    if os.name == "posix":
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600


async def test_a_shared_laptop_joins_as_someone_new(
    server: Server, tmp_path: Path, wait_until: WaitUntil
) -> None:
    folder = tmp_path / "shared-laptop"
    first = ben(server, folder)
    async with first.run_test(size=SIZE):
        await wait_until(lambda: first.session_screen is not None, what="Ben in")
        ben_id = first.mirror.me.id if first.mirror.me else ""
    # With the flag: someone new, whatever the laptop remembers.
    chloe = WhytreeApp(url=server.local_url, name="Chloe", code=CODE, discover=False,
                       identities=Identities(folder), new_person=True)
    async with chloe.run_test(size=SIZE):
        await wait_until(lambda: chloe.session_screen is not None, what="Chloe in")
        assert chloe.mirror.me is not None and chloe.mirror.me.id != ben_id
        assert chloe.mirror.me.name == "Chloe"
    # On the join screen: it names who the laptop would come back as, and offers someone new.
    dan = WhytreeApp(url=server.local_url, code=CODE, discover=False, identities=Identities(folder))
    async with dan.run_test(size=SIZE) as keys:
        await wait_until(lambda: dan.session_screen is not None, what="straight back in as Chloe")
        assert dan.mirror.me is not None and dan.mirror.me.name == "Chloe"
    dan = WhytreeApp(url=server.local_url, discover=False, identities=Identities(folder))
    async with dan.run_test(size=SIZE) as keys:
        screen = dan.screen
        assert isinstance(screen, JoinScreen)
        come_back = screen.query_one("#come-back")
        assert come_back.display and "Chloe" in str(come_back.label)  # type: ignore[attr-defined]
        assert not screen.query_one("#name").display  # coming back keeps the name the room knows
        assert screen.query_one("#code").has_focus  # all that is missing is the code
        await keys.press("shift+tab")  # back to the choice: come back, or someone new
        assert screen.query_one("#who").has_focus
        await keys.press("down", "enter")
        assert screen.query_one("#name").display and screen.query_one("#name").has_focus
        await keys.press(*"Dan", "enter", *CODE, "enter")
        await wait_until(lambda: dan.session_screen is not None, what="Dan in")
        assert dan.mirror.me is not None and dan.mirror.me.name == "Dan"
    assert sorted(person.name for person in server.state.people.values()) == ["Ben", "Chloe", "Dan"]


async def test_the_same_person_on_two_screens(server: Server, tmp_path: Path, wait_until: WaitUntil) -> None:
    folder = tmp_path / "bens-laptop"
    older, newer = ben(server, folder), ben(server, folder)
    async with older.run_test(size=SIZE) as older_keys:
        await wait_until(lambda: older.session_screen is not None, what="first screen in")
        async with newer.run_test(size=SIZE):
            await wait_until(lambda: newer.session_screen is not None, what="second screen in")
            assert newer.mirror.me is not None and older.mirror.me is not None
            assert newer.mirror.me.id == older.mirror.me.id  # one person, not two Bens
            # The older screen is told, and does not take the session back by itself.
            await wait_until(lambda: isinstance(older.screen, ElsewhereScreen), what="told")
            text = " ".join(str(s.render()) for s in older.screen.query(Static))
            assert "opened on another screen" in text
            hub = server.hub
            assert hub is not None
            for _ in range(20):
                await older_keys.pause(0.05)
            assert len(hub.joined()) == 1 and newer.link is not None and newer.link.joined
            assert people_named(server.state, "Ben") == [newer.mirror.me.id]
            # Asked to, the older screen is used again, and the newer one is told instead.
            await older_keys.press("u")
            await wait_until(lambda: isinstance(newer.screen, ElsewhereScreen), what="newer told")
            await wait_until(lambda: older.link is not None and older.link.joined, what="older back")
            assert len(hub.joined()) == 1
            me = older.mirror.me.id
            await wait_until(lambda: server.state.people[me].online, timeout=10, what="online")


async def test_a_key_elsewhere_never_takes_the_hosts_own_screen(
    server: Server, tmp_path: Path, wait_until: WaitUntil
) -> None:
    host = WhytreeApp(url=server.local_url, name="Ana", facilitator_key=FACILITATOR_KEY, discover=False)
    co = WhytreeApp(url=server.local_url, name="Ana", facilitator_key=FACILITATOR_KEY, discover=False,
                    identities=Identities(tmp_path / "co"))
    async with host.run_test(size=(120, 40)) as keys:
        await wait_until(lambda: host.session_screen is not None, what="host in")
        async with co.run_test(size=SIZE):
            await wait_until(lambda: co.session_screen is not None, what="co-facilitator in")
            pass  # the co-facilitator leaves
        # The co-facilitator's screen comes back with its own token: still not the host's.
        again = WhytreeApp(url=server.local_url, facilitator_key=FACILITATOR_KEY, discover=False,
                           identities=Identities(tmp_path / "co"))
        async with again.run_test(size=SIZE):
            await wait_until(lambda: again.session_screen is not None, what="co-facilitator again")
            for _ in range(20):
                await keys.pause(0.05)
            assert not isinstance(host.screen, ElsewhereScreen)
            assert host.link is not None and host.link.joined


async def test_a_damaged_identities_file_never_stops_joining(
    server: Server, tmp_path: Path, wait_until: WaitUntil
) -> None:
    folder = tmp_path / "laptop"
    folder.mkdir()
    (folder / "identities.json").write_bytes(b"\x00{not json")
    app = ben(server, folder)
    async with app.run_test(size=SIZE):
        await wait_until(lambda: app.session_screen is not None, what="Ben in, as someone new")
        me = app.mirror.me
        assert me is not None
    again = ben(server, folder)  # the file was written afresh: he comes back
    async with again.run_test(size=SIZE):
        await wait_until(lambda: again.session_screen is not None, what="Ben in again")
        assert again.mirror.me is not None and again.mirror.me.id == me.id
