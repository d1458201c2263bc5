"""The screen once the session is closed says what is true then: the header says "Closed"
(not "Step Closed"), and nobody is counted as "done" with a step that is over.

The host's own app under Pilot with the server inside; a co-facilitator on a scripted link
prepares the agree step.
"""

from __future__ import annotations

from pathlib import Path

from conftest import CODE, FACILITATOR_KEY, WaitUntil
from netclient import NetClient
from test_choosing import host
from test_facilitator_key import screen_text

from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp

SIZE = (120, 35)


def footer(app: WhytreeApp) -> str:
    return screen_text(app).splitlines()[-1]


def header(app: WhytreeApp) -> str:
    return next(line for line in screen_text(app).splitlines() if "what went well" in line)


async def test_the_closed_screen_says_closed_and_counts_nobody_done(tmp_path: Path,
                                                                    wait_until: WaitUntil) -> None:
    ana = host(tmp_path)
    async with ana.run_test(size=SIZE) as keys:
        await wait_until(lambda: ana.session_screen is not None and ana.screen is ana.session_screen
                         and ana.server is not None, timeout=10, what="the hosted session")
        assert ana.server is not None
        fran, ben = NetClient(ana.server.local_url), NetClient(ana.server.local_url)
        await ben.join(code=CODE, name="Ben")  # in the room until the end
        try:
            await fran.join(facilitator_key=FACILITATOR_KEY, name="Fran")
            await fran.ok(p.SetSituation(op="x", text="The teen centre is always full", mode="success"))
            await fran.ok(p.SetPhase(op="x", phase="why"))
            await fran.ok(p.AddCause(op="x", parent=None, text="Free food"))
            for phase in ("weigh", "act"):
                await fran.ok(p.SetPhase(op="x", phase=phase))  # type: ignore[arg-type]
            await fran.ok(p.AddAction(op="x", text="Cook together", causes=[]))
            await fran.ok(p.SetPhase(op="x", phase="agree"))
        finally:
            await fran.close()
        screen = ana.session_screen
        assert screen is not None
        try:
            await wait_until(lambda: "Cook together" in screen_text(ana) and "Ben" in screen_text(ana),
                             what="the action in the agree step")
            assert "Step 5 Agree" in header(ana) and "0 of 1 said “I'm done”" in screen_text(ana)

            await keys.press("right_square_bracket")  # the next step after agreeing: closing
            await wait_until(lambda: ana.screen is not screen, what="the question")
            await keys.press("enter")  # "Close and save"
            await wait_until(lambda: ana.screen is screen and "Save summary" in footer(ana), what="closed")
            assert "Closed" in header(ana) and "Step Closed" not in header(ana)
            assert "said “I'm done”" not in screen_text(ana)
        finally:
            await ben.close()
