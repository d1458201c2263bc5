"""The host's screen and a new join code: one key, shown in large digits at once, and
typed with its spaces by the next participant; people already in are not affected.

The host app runs its real server (port 0, a temporary data folder); the participants are
real `WhytreeApp`s.
"""

from __future__ import annotations

from pathlib import Path

from conftest import CODE, FACILITATOR_KEY, WaitUntil
from textual.widgets import Digits

from whytree.server.app import ServerConfig
from whytree.shared.joincode import grouped_code
from whytree.tui.app import WhytreeApp

SIZE = (120, 40)


def shown_text(app: WhytreeApp) -> str:
    """Everything on the app's screen now."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def notified(app: WhytreeApp, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


async def test_key_g_on_the_host_screen_gives_a_new_code(tmp_path: Path, wait_until: WaitUntil) -> None:
    config = ServerConfig(data_dir=tmp_path / "host", port=0, bind="127.0.0.1", title="Host test",
                          code=CODE, facilitator_key=FACILITATOR_KEY, advertise=False)
    host = WhytreeApp(name="Fran", host=config)
    async with host.run_test(size=SIZE) as keys:
        await wait_until(lambda: host.session_screen is not None, what="hosted session")
        server = host.server
        assert server is not None
        ann = WhytreeApp(url=server.local_url, name="Ann", code=CODE, discover=False)
        async with ann.run_test(size=SIZE):
            await wait_until(lambda: ann.session_screen is not None, what="Ann in")
            await keys.press("j")  # the banner hidden: the new code shows it again
            await keys.press("J")
            await wait_until(lambda: server.code != CODE, what="a new code")
            new = server.code
            assert len(new) == 9
            await wait_until(lambda: grouped_code(new) in [d.value for d in host.screen.query(Digits)],
                             what="the new code on the banner")
            await wait_until(lambda: notified(host, f"The new join code is {grouped_code(new)}"),
                             what="the notice")
            # Ann is still in, and the next person types the new code as it is shown.
            assert ann.link is not None and ann.link.joined
            ben = WhytreeApp(url=server.local_url, name="Ben", code=grouped_code(new), discover=False)
            async with ben.run_test(size=SIZE):
                await wait_until(lambda: ben.session_screen is not None, what="Ben in with the new code")
            late = WhytreeApp(url=server.local_url, name="Late", code=CODE, discover=False)
            async with late.run_test(size=SIZE):
                await wait_until(lambda: late.join_screen is not None and "not right" in shown_text(late),
                                 what="the old code refused")
            assert ann.link.joined
