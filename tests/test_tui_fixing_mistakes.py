"""Fixing mistakes with the keys, in real terminal apps against the real server.

A participant moves their answer (g, select the new place, Enter), removes it (del, the
dialog's default button removes) and brings it back (u); the facilitator removes somebody
else's answer and its author is told. Every screen in the session shows the result.
"""

from __future__ import annotations

from conftest import CODE, WaitUntil
from test_tui_session import add, cause_id, facilitator, participant, running, shown, to_why_step, tree_of

from whytree.server.app import Server
from whytree.tui.app import WhytreeApp
from whytree.tui.screens.dialogs import RemoveScreen


def parent_text(app: WhytreeApp, text: str) -> str | None:
    """The label text of the node that `text` hangs under in `app`'s tree."""
    node = tree_of(app).node_for(cause_id(app, text))
    assert node.parent is not None
    return None if node.parent.is_root else str(node.parent.label).split("  ")[0]


def children_texts(app: WhytreeApp, text: str | None) -> list[str]:
    tree = tree_of(app)
    node = tree.root if text is None else tree.node_for(cause_id(app, text))
    return [str(child.label).split("  ")[0] for child in node.children]


def footer(app: WhytreeApp) -> str:
    return [strip.text for strip in app.screen._compositor.render_strips()][-1]


def notices(app: WhytreeApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


async def select(app: WhytreeApp, text: str | None, wait_until: WaitUntil) -> None:
    tree = tree_of(app)
    target = None if text is None else cause_id(app, text)
    tree.select_cause(target)
    await wait_until(lambda: tree.selected_cause == target, what=f"cursor on {text!r}")


async def test_g_moves_an_answer_to_where_it_belongs_on_every_screen(
    server: Server, wait_until: WaitUntil
) -> None:
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben) as (_, keys):
        await to_why_step(ana, wait_until)
        await add(ana, "Nobody is at home", None, wait_until)
        await add(ben, "Parents work late", None, wait_until)  # meant under "Nobody is at home"
        await add(ben, "Shift work", cause_id(ben, "Parents work late"), wait_until)
        await wait_until(lambda: shown(ana, "Shift work"))

        await select(ben, "Parents work late", wait_until)
        await wait_until(lambda: "g Move" in footer(ben), what="g in the footer")
        await keys.press("g")
        await keys.pause()
        assert "◆ moving" in tree_of(ben).node_for(cause_id(ben, "Parents work late")).label.plain
        await select(ben, "Shift work", wait_until)  # under itself: refused, still picked up
        await keys.press("enter")
        await wait_until(lambda: any("can't go under itself" in n for n in notices(ben)))
        assert ben.session_screen is not None and ben.session_screen.moving is not None
        await select(ben, "Nobody is at home", wait_until)
        await keys.press("enter")
        for app in (ana, ben):
            await wait_until(lambda app=app: parent_text(app, "Parents work late") == "Nobody is at home",
                             what="moved")
            assert parent_text(app, "Shift work") == "Parents work late"  # its answers came along
        assert "moving" not in tree_of(ben).node_for(cause_id(ben, "Parents work late")).label.plain
        assert tree_of(ben).selected_cause == cause_id(ben, "Parents work late")  # the cursor followed


async def test_a_participant_removes_their_own_answer_and_u_brings_it_back(
    server: Server, wait_until: WaitUntil
) -> None:
    ana, ben = facilitator(server), participant(server, "Ben")
    async with running(wait_until, ana, ben) as (_, keys):
        await to_why_step(ana, wait_until)
        await add(ana, "Nobody is at home", None, wait_until)
        await add(ben, "Typo answr", None, wait_until)
        await add(ana, "The park is closed", None, wait_until)
        await wait_until(lambda: shown(ben, "The park is closed"))

        await select(ben, "Nobody is at home", wait_until)  # not his: no removing it
        await wait_until(lambda: "w But why?" in footer(ben), what="the footer")
        assert "del Remove" not in footer(ben)
        await keys.press("delete")
        await keys.pause()
        assert not isinstance(ben.screen, RemoveScreen)

        await select(ben, "Typo answr", wait_until)
        await wait_until(lambda: "del Remove" in footer(ben), what="del in the footer")
        await keys.press("delete")
        await wait_until(lambda: isinstance(ben.screen, RemoveScreen), what="asked first")
        assert "Typo answr" in str(ben.screen.query_one(".dialog-text").render())
        await keys.press("enter")  # the default button does what was asked
        for app in (ana, ben):
            await wait_until(lambda app=app: cause_id(app, "Typo answr") is None, what="removed")
            assert children_texts(app, None) == ["Nobody is at home", "The park is closed"]
        assert any("Press u to undo" in n for n in notices(ben))
        await wait_until(lambda: "u Undo removal" in footer(ben), what="u in the footer")

        await keys.press("u")
        for app in (ana, ben):
            await wait_until(lambda app=app: shown(app, "Typo answr"), what="back")
            assert children_texts(app, None) == ["Nobody is at home", "Typo answr", "The park is closed"]
        assert "you" in str(tree_of(ben).node_for(cause_id(ben, "Typo answr")).label)  # still his
        await wait_until(lambda: "Undo removal" not in footer(ben), what="u gone from the footer")


async def test_the_facilitator_confirms_a_removal_and_the_author_is_told(
    server: Server, wait_until: WaitUntil
) -> None:
    ana, ben = facilitator(server), participant(server, "Ben")
    projector = WhytreeApp(url=server.local_url, code=CODE, viewer=True, discover=False)
    async with running(wait_until, ana, ben, projector) as (keys, _, _):
        await to_why_step(ana, wait_until)
        await add(ana, "Nobody is at home", None, wait_until)
        await add(ben, "Something off topic", None, wait_until)
        await add(ana, "The park is closed", None, wait_until)
        await wait_until(lambda: shown(projector, "The park is closed"))
        await select(ana, "Something off topic", wait_until)
        await keys.press("delete")
        await wait_until(lambda: isinstance(ana.screen, RemoveScreen), what="asked first")
        await keys.press("escape")  # changed her mind: nothing happens
        await wait_until(lambda: not isinstance(ana.screen, RemoveScreen))
        await keys.pause()
        assert shown(ana, "Something off topic") and shown(ben, "Something off topic")

        await keys.press("delete")
        await wait_until(lambda: isinstance(ana.screen, RemoveScreen), what="asked again")
        await keys.press("enter")
        await wait_until(lambda: cause_id(ben, "Something off topic") is None, what="removed at Ben's")
        await wait_until(lambda: any("The facilitator removed your answer “Something off topic”" in n
                                     for n in notices(ben)), what="Ben told")
        await wait_until(lambda: cause_id(projector, "Something off topic") is None, what="gone")
        assert not any("removed" in n for n in notices(projector))  # nothing said on the wall
        await keys.press("u")
        for app in (ana, ben, projector):
            await wait_until(lambda app=app: shown(app, "Something off topic"), what="back")
            assert children_texts(app, None) == ["Nobody is at home", "Something off topic",
                                                 "The park is closed"]
        await wait_until(lambda: any("is back" in n for n in notices(ben)), what="Ben told it is back")
