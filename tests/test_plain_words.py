"""Plain words where people read: the people line, the ranking, the command palette.

Real host apps (the server inside) and participants' apps under Pilot. The host who gave
no name is shown by the facilitator badge alone (no made-up "Facilitator" beside it); the
ranking says the "can it change?" answers in words; ctrl+p offers whytree's commands, not
Textual's developer ones (theme, screenshot, maximize, the keys panel).
"""

from __future__ import annotations

from pathlib import Path

from conftest import CODE, FACILITATOR_KEY, WaitUntil
from textual.command import CommandList, CommandPalette
from textual.widgets import Static

from whytree.server.app import ServerConfig
from whytree.tui.app import WhytreeApp

SIZE = (120, 35)


def host_without_name(tmp_path: Path) -> WhytreeApp:
    config = ServerConfig(data_dir=tmp_path / "data", port=0, bind="127.0.0.1", title="Tuesday group",
                          code=CODE, facilitator_key=FACILITATOR_KEY, advertise=False)
    return WhytreeApp(host=config)


def people_text(app: WhytreeApp) -> str:
    assert app.session_screen is not None
    return str(app.session_screen.query_one("#header-people", Static).render())


async def test_a_host_without_a_name_is_the_badge_alone(tmp_path: Path, wait_until: WaitUntil) -> None:
    ana = host_without_name(tmp_path)
    async with ana.run_test(size=SIZE):
        await wait_until(lambda: ana.session_screen is not None, timeout=10, what="the hosted session")
        assert ana.server is not None
        ben = WhytreeApp(url=ana.server.local_url, name="Ben", code=CODE, discover=False)
        async with ben.run_test(size=SIZE) as ben_keys:
            await wait_until(lambda: ben.session_screen is not None
                             and "2 online" in people_text(ben), what="Ben sees both")
            await ben_keys.pause()
            line = people_text(ben)
            assert line.startswith("Here:  facilitator , you")  # the badge, in reverse video
            assert "Facilitator" not in line and "(" not in line


async def test_the_palette_offers_whytree_commands_only(tmp_path: Path, wait_until: WaitUntil) -> None:
    ana = host_without_name(tmp_path)
    async with ana.run_test(size=SIZE):
        await wait_until(lambda: ana.session_screen is not None, timeout=10, what="the hosted session")
        assert ana.server is not None
        ben = WhytreeApp(url=ana.server.local_url, name="Ben", code=CODE, discover=False)
        async with ben.run_test(size=SIZE) as ben_keys:
            await wait_until(lambda: ben.session_screen is not None, what="Ben joined")
            await ben_keys.press("ctrl+p")
            await wait_until(lambda: isinstance(ben.screen, CommandPalette), what="the palette")

            def listed() -> list[str]:
                commands = ben.screen.query_one(CommandList)
                return [str(commands.get_option_at_index(i).prompt)
                        for i in range(commands.option_count)]

            await wait_until(lambda: "I'm done" in "\n".join(listed()), what="the commands listed")
            await ben_keys.pause(0.3)
            shown = "\n".join(listed())
            assert "I'm done" in shown and "Quit" in shown
            for developer in ("Theme", "Screenshot", "Maximize", "Minimize", "Keys", "SVG", "widget"):
                assert developer not in shown, f"{developer!r} offered: {shown}"
