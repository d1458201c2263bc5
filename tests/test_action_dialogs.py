"""The actions panel asks, the session screen opens the dialog, the dialog's command goes out.

In the agree step the facilitator edits an action, records its first step and removes
another, all from the actions panel of the real app: each dialog is opened by the session
screen (the panel only posts what the person asked for) and the command it returns reaches
the real server, with an `op` from the app's own mirror.
"""

from __future__ import annotations

from conftest import FACILITATOR_KEY, WaitUntil
from netclient import NetClient
from textual.pilot import Pilot

from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp
from whytree.tui.screens.action_dialogs import AgreementScreen, ProposeActionScreen, RemoveActionScreen
from whytree.tui.widgets.actions import ActionList

SIZE = (120, 40)


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*("space" if char == " " else char for char in text))


async def test_the_facilitator_edits_agrees_and_removes_from_the_actions_panel(
    server: Server, wait_until: WaitUntil
) -> None:
    fran = NetClient(server.local_url)  # a co-facilitator's script, for the steps
    await fran.join(facilitator_key=FACILITATOR_KEY, name="Fran")
    await fran.ok(p.SetSituation(op="x", text="Our fifth graders get into trouble after school"))
    await fran.ok(p.SetPhase(op="x", phase="why"))
    home = await fran.ok(p.AddCause(op="x", parent=None, text="Nobody is at home"))
    assert isinstance(home.command, p.AddCause) and home.command.id is not None
    await fran.ok(p.SetPhase(op="x", phase="act"))
    club = await fran.ok(p.AddAction(op="x", text="An after-school club", causes=[home.command.id]))
    await fran.ok(p.AddAction(op="x", text="A bus at four", causes=[home.command.id]))
    assert isinstance(club.command, p.AddAction) and club.command.id is not None
    club_id = club.command.id
    await fran.ok(p.SetPhase(op="x", phase="agree"))

    ana = WhytreeApp(url=server.local_url, name="Ana", facilitator_key=FACILITATOR_KEY, discover=False)
    try:
        async with ana.run_test(size=SIZE) as pilot:
            await wait_until(lambda: ana.session_screen is not None and ana.mirror.state is not None
                             and len(ana.mirror.state.actions) == 2, what="Ana in the agree step")
            await pilot.pause()
            ana.screen.query_one(ActionList).focus()
            await pilot.pause()

            await pilot.press("enter")  # edit the highlighted (first) action
            await wait_until(lambda: isinstance(ana.screen, ProposeActionScreen), what="the edit dialog")
            await pilot.press("end")
            await type_text(pilot, " in the library")
            await pilot.press("enter")
            await wait_until(lambda: server.state.actions[club_id].text
                             == "An after-school club in the library", what="the edit saved")

            await pilot.press("a")
            await wait_until(lambda: isinstance(ana.screen, AgreementScreen), what="the agreement dialog")
            await type_text(pilot, "Ask the librarian")
            await pilot.press("enter")
            await wait_until(lambda: server.state.actions[club_id].first_step == "Ask the librarian",
                             what="the first step saved")
            assert server.state.actions[club_id].agreed

            await pilot.press("down", "delete")
            await wait_until(lambda: isinstance(ana.screen, RemoveActionScreen), what="the removal question")
            await pilot.press("y")
            await wait_until(lambda: list(server.state.actions) == [club_id], what="the bus removed")
            await wait_until(lambda: not ana.mirror.outbox, what="every command answered")
            prefix = ana.mirror.new_op().split("-")[0]
            assert server.hub is not None
            ops = [event.op for event in list(server.hub.recent)[-3:]]  # the edit, agreement, removal
            assert all(op.startswith(prefix + "-") for op in ops), ops
    finally:
        await fran.close()
