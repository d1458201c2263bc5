"""The browser client in headless Chromium against the real server.

Two phones (browser pages at phone size) and a terminal-protocol client (`NetClient`,
the TUI's own `Mirror` on a real websocket) in one session: they see each other's
answers live, votes stay hidden until the reveal, an anonymous session never shows who
wrote what, hostile text shows as text, and a page whose link drops (the host even
restarts) comes back as the same person with nothing lost.

One Chromium serves the whole module (a fixture); every test opens its own pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from browser import ARGS, CHROMIUM, PHONE, needs_chromium
from conftest import CODE, FACILITATOR_KEY
from netclient import NetClient

from whytree.server.app import Server, ServerConfig
from whytree.shared import protocol as p
from whytree.shared.model import Session

pytestmark = [needs_chromium, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="module")
async def start(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Start a real server (again, on the same data and port, to restart one)."""
    started: list[Server] = []

    async def make(**changes: Any) -> Server:
        options: dict[str, Any] = dict(data_dir=tmp_path / "data", port=0, bind="127.0.0.1",
                                       title="Test session", code=CODE,
                                       facilitator_key=FACILITATOR_KEY, advertise=False)
        options.update(changes)
        server = Server(ServerConfig(**options))
        await server.start()
        started.append(server)
        return server

    yield make
    for server in reversed(started):
        await server.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def pages(browser: Any) -> AsyncIterator[Callable[..., Any]]:
    """New phone-sized pages, each in its own context (its own storage, like a phone)."""
    contexts: list[Any] = []

    async def new_page() -> Any:
        context = await browser.new_context(viewport=PHONE)
        contexts.append(context)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors
        return page

    yield new_page
    for context in contexts:
        errors = [e for page in context.pages for e in page.errors]
        await context.close()
        assert not errors, errors


def url(server: Server) -> str:
    return f"http://127.0.0.1:{server.port}/"


async def join_page(page: Any, server: Server, name: str | None) -> None:
    """Join through the form as a person would: the code, then a name or anonymous."""
    await page.goto(url(server))
    await page.fill("#code", CODE)
    if name is None:
        await page.check("#who-anonymous")
    else:
        await page.fill("#name", name)
        await page.check("#who-name")
    await page.click("#join-button")
    await page.wait_for_selector("#session:not([hidden]) .situation")


async def answer(page: Any, under: str | None, text: str) -> None:
    """Tap "But why?" under the situation (None) or a cause, write, send."""
    if under is None:
        await page.click(".tree-section > button.why")
    else:
        await page.click(f'li[data-cause="{under}"] > .tools > button.why')
    await page.fill("#composer-text", text)
    await page.click("#composer-send")


async def facilitator(server: Server) -> NetClient:
    fac = NetClient(f"ws://127.0.0.1:{server.port}")
    await fac.join(facilitator_key=FACILITATOR_KEY, name="Fran")
    return fac


async def sees(client: NetClient, predicate: Callable[[Session], bool]) -> None:
    """Read frames until `client`'s mirror shows what `predicate` wants."""
    while client.mirror.state is None or not predicate(client.state):
        await client._next()


def cause_with(state: Session, text: str) -> str:
    return next(cause.id for cause in state.causes.values() if cause.text == text)


async def test_two_phones_and_a_terminal_client_see_each_others_answers_live(
        start: Callable[..., Any], pages: Callable[..., Any]) -> None:
    from playwright.async_api import expect

    server = await start()
    fac = await facilitator(server)
    await fac.ok(p.SetSituation(op="-", text="Our kids get into trouble after school"))
    await fac.ok(p.SetPhase(op="-", phase="why"))
    ann, bo = await pages(), await pages()
    await join_page(ann, server, "Ann")
    await join_page(bo, server, "Bo")
    cy = NetClient(f"ws://127.0.0.1:{server.port}")
    await cy.join(code=CODE, name="Cy")

    await answer(ann, None, "Nobody is home until six")
    await sees(cy, lambda s: "Nobody is home until six" in [c.text for c in s.causes.values()])
    first = cause_with(cy.state, "Nobody is home until six")
    await expect(bo.locator(f'li[data-cause="{first}"] .cause-text')).to_have_text(
        "Nobody is home until six— Ann")

    await answer(bo, first, "Both parents work late")  # an answer under an answer
    await sees(cy, lambda s: "Both parents work late" in [c.text for c in s.causes.values()])
    second = cause_with(cy.state, "Both parents work late")
    assert cy.state.causes[second].parent == first

    third = (await cy.ok(p.AddCause(op="-", parent=second, text="Jobs pay by the hour"))).command
    assert isinstance(third, p.AddCause) and third.id is not None
    for page in (ann, bo):  # the depth-3 answer, under the right one, with its author
        item = page.locator(f'li[data-cause="{first}"] li[data-cause="{second}"] li[data-cause="{third.id}"]')
        await expect(item.locator(".cause-text")).to_have_text("Jobs pay by the hour— Cy")
    await expect(ann.locator(".people-section")).to_contain_text("Ann (you)")
    await expect(ann.locator(".people-section")).to_contain_text("Bo")

    # Fold and unfold: the answers below disappear and come back.
    await ann.click(f'li[data-cause="{first}"] > .cause-row > button.fold')
    await expect(ann.locator(f'li[data-cause="{second}"]')).to_have_count(0)
    await expect(ann.locator(f'li[data-cause="{first}"] > .cause-row > button.fold')).to_have_attribute(
        "aria-expanded", "false")
    await ann.click(f'li[data-cause="{first}"] > .cause-row > button.fold')
    await expect(ann.locator(f'li[data-cause="{third.id}"]')).to_have_count(1)

    # Edit one's own answer; another's offers no edit button.
    await ann.click(f'li[data-cause="{first}"] > .tools > button:text("Edit")')
    await ann.fill("#composer-text", "Nobody is home until seven")
    await ann.click("#composer-send")
    await sees(cy, lambda s: s.causes[first].text == "Nobody is home until seven")
    await expect(bo.locator(f'li[data-cause="{second}"] > .tools > button:text("Edit")')).to_have_count(1)
    await expect(ann.locator(f'li[data-cause="{second}"] > .tools > button:text("Edit")')).to_have_count(0)

    # "I'm done" reaches everyone.
    await bo.click("button.done")
    await sees(cy, lambda s: any(person.name == "Bo" and person.done for person in s.people.values()))
    await expect(ann.locator(".people-section")).to_contain_text("Bo ✓ done")
    await fac.close()
    await cy.close()


async def test_votes_stay_hidden_until_the_reveal(start: Callable[..., Any],
                                                  pages: Callable[..., Any]) -> None:
    from playwright.async_api import expect

    server = await start()
    fac = await facilitator(server)
    await fac.ok(p.SetPhase(op="-", phase="why"))
    late = (await fac.ok(p.AddCause(op="-", parent=None, text="The bus comes late"))).command
    home = (await fac.ok(p.AddCause(op="-", parent=None, text="Nobody at home"))).command
    assert isinstance(late, p.AddCause) and isinstance(home, p.AddCause)
    await fac.ok(p.SetPhase(op="-", phase="weigh"))
    ann, bo = await pages(), await pages()
    await join_page(ann, server, "Ann")
    await join_page(bo, server, "Bo")

    await ann.click(f'li[data-cause="{late.id}"] button.dot-plus')
    await expect(ann.locator(f'li[data-cause="{late.id}"] .dot-count')).to_contain_text("1 dot")
    await ann.click(f'li[data-cause="{late.id}"] button.dot-plus')
    await expect(ann.locator(f'li[data-cause="{late.id}"] .dot-count')).to_contain_text("2 dots")
    await ann.select_option(f'li[data-cause="{late.id}"] select', "we")
    await expect(ann.locator("[data-testid=budget]")).to_contain_text("2 of 3 used")
    # Over the per-cause cap: the server refuses, the page says why in a sentence.
    await ann.click(f'li[data-cause="{late.id}"] button.dot-plus')
    await expect(ann.locator("#notice")).to_contain_text("At most 2 dots on one answer")

    # Bo learns only that somebody voted: not what, not on which cause.
    await expect(bo.locator(".voters")).to_have_text("1 person has voted.")
    await expect(bo.locator(f'li[data-cause="{late.id}"] .dot-count')).to_contain_text("0 dots")
    assert "we can change it" not in await bo.locator(f'li[data-cause="{late.id}"] select').input_value()
    await expect(bo.locator(".ranking-section")).to_have_count(0)
    await expect(bo.locator(".tally")).to_have_count(0)

    await fac.ok(p.RevealVotes(op="-", revealed=True))
    for page in (ann, bo):
        await expect(page.locator(f'li[data-cause="{late.id}"] .tally')).to_contain_text("2 dots")
        ranking = page.locator(".ranking li").first
        await expect(ranking).to_contain_text("The bus comes late")
        await expect(ranking).to_contain_text("2 dots, we can change it")
        await expect(page.locator(".box-act_first")).to_contain_text("The bus comes late")
        # Nobody weighed it: not "let go", but listed as not weighed yet.
        await expect(page.locator(".box-let_go")).not_to_contain_text("Nobody at home")
        await expect(page.locator(".ranking-section")).to_contain_text("Not weighed yet")
    await fac.close()


async def test_an_anonymous_session_never_shows_authors(start: Callable[..., Any],
                                                        pages: Callable[..., Any]) -> None:
    from playwright.async_api import expect

    server = await start(anonymous=True)
    fac = await facilitator(server)
    await fac.ok(p.SetPhase(op="-", phase="why"))
    ann, bo = await pages(), await pages()
    await join_page(ann, server, "Annabel")
    await join_page(bo, server, "Bosco")
    await answer(ann, None, "Rent went up")
    await sees(fac, lambda s: len(s.causes) == 1)
    await answer(bo, None, "The shop closed")
    await sees(fac, lambda s: len(s.causes) == 2)
    await expect(ann.locator("li.cause")).to_have_count(2)
    await expect(bo.locator("li.cause")).to_have_count(2)
    # Each sees "you" on their own answer, and nothing about anybody else's.
    await expect(ann.locator("li.cause").first.locator(".author")).to_have_text("— you")
    await expect(ann.locator("li.cause").nth(1).locator(".author")).to_have_count(0)
    await expect(bo.locator("li.cause").first.locator(".author")).to_have_count(0)
    for page, other in ((ann, "Bosco"), (bo, "Annabel")):
        text = await page.locator("body").inner_text()
        assert other not in text and "Fran" not in text
        state = await page.evaluate("() => document.documentElement.outerHTML")
        assert other not in state
    await fac.close()


HOSTILE = ('<img src=x onerror="window.__pwned=1">', "<b>bold?</b> & [bold]markup[/bold]",
           "<script>window.__pwned=2</script>")


async def test_hostile_text_shows_literally(start: Callable[..., Any], pages: Callable[..., Any]) -> None:
    from playwright.async_api import expect

    server = await start()
    fac = await facilitator(server)
    await fac.ok(p.SetSituation(op="-", text=HOSTILE[0]))
    await fac.ok(p.SetPhase(op="-", phase="why"))
    ann = await pages()
    await join_page(ann, server, '<i>Ann</i>')
    for text in HOSTILE:
        await fac.ok(p.AddCause(op="-", parent=None, text=text))
    await answer(ann, None, HOSTILE[0])
    await expect(ann.locator("li.cause .text")).to_have_count(4)
    shown = await ann.locator("li.cause .text").all_inner_texts()
    assert shown == [*HOSTILE, HOSTILE[0]]
    await expect(ann.locator(".situation")).to_have_text(HOSTILE[0])
    await expect(ann.locator(".people-section")).to_contain_text("<i>Ann</i> (you)")
    assert await ann.locator("main img:not(#qr), main b, main i, main script").count() == 0
    assert await ann.evaluate("() => window.__pwned") is None
    await fac.close()


async def test_a_dropped_link_resumes_as_the_same_person(start: Callable[..., Any],
                                                         pages: Callable[..., Any]) -> None:
    from playwright.async_api import expect

    server = await start()
    port = server.port
    fac = await facilitator(server)
    await fac.ok(p.SetPhase(op="-", phase="why"))
    ann = await pages()
    await join_page(ann, server, "Ann")
    await answer(ann, None, "Before the drop")
    await sees(fac, lambda s: len(s.causes) == 1)
    ann_id = next(c.author for c in fac.state.causes.values())
    await fac.close()

    # The host goes away (the laptop's lid, a crash): the page says so and keeps trying.
    await server.stop()
    await expect(ann.locator(".top .link")).to_contain_text("trying again")
    await answer(ann, None, "Written while the link was down")  # kept until it is back
    await start(port=port)  # the same session, from its journal, on the same port
    await expect(ann.locator(".top .link")).to_have_text("Connected", timeout=20_000)
    await expect(ann.locator("li.cause .text")).to_have_text(
        ["Before the drop", "Written while the link was down"])

    # The phone sleeps and the page is reloaded: back in at once, no join form.
    await ann.reload()
    await ann.wait_for_selector("#session:not([hidden]) li.cause")
    assert await ann.locator("#join").is_hidden()
    await answer(ann, None, "After the reload")
    fac = NetClient(f"ws://127.0.0.1:{port}")
    await fac.join(facilitator_key=FACILITATOR_KEY, name="Fran")
    await sees(fac, lambda s: len(s.causes) == 3)
    assert {c.author for c in fac.state.causes.values()} == {ann_id}  # one person all along
    assert [person.name for person in fac.state.people.values()].count("Ann") == 1
    await fac.close()


async def test_the_projector_view_and_the_summary_to_take_home(start: Callable[..., Any],
                                                               pages: Callable[..., Any]) -> None:
    from playwright.async_api import expect

    server = await start()
    fac = await facilitator(server)
    await fac.ok(p.SetSituation(op="-", text="The teen centre is always full"))
    await fac.ok(p.SetPhase(op="-", phase="why"))
    await fac.ok(p.AddCause(op="-", parent=None, text="Young people run it themselves"))
    await fac.ok(p.SetTimer(op="-", seconds=300))

    view = await pages()
    await view.goto(f"{url(server)}?view&code={CODE}")
    await view.click("#join-button")  # the code came with the address; no name for a screen
    await expect(view.locator(".situation")).to_have_text("The teen centre is always full")
    await expect(view.locator("#view-url")).to_have_text(url(server))
    await expect(view.locator("#view-code")).to_have_text(CODE)
    assert await view.evaluate("() => document.getElementById('qr').naturalWidth") > 100
    await expect(view.locator("#timer")).to_contain_text("left")
    await expect(view.locator("#session button")).to_have_count(0)  # read-only

    phone = await pages()
    await join_page(phone, server, "Ann")
    await fac.ok(p.Close(op="-"))
    await expect(phone.locator(".top .step")).to_contain_text("Closed")
    async with phone.expect_download() as download_info:
        await phone.click("text=Save the summary")
    download = await download_info.value
    saved = Path(await download.path()).read_text(encoding="utf-8")
    assert "Situation: The teen centre is always full" in saved
    assert "- Young people run it themselves" in saved
    await fac.close()


async def test_a_refused_answer_comes_back_with_the_reason_and_nothing_lost(
        start: Callable[..., Any], pages: Callable[..., Any]) -> None:
    from playwright.async_api import expect

    server = await start()
    fac = await facilitator(server)
    await fac.ok(p.SetPhase(op="-", phase="why"))
    ann = await pages()
    await join_page(ann, server, "Ann")
    await ann.click(".tree-section > button.why")
    await ann.fill("#composer-text", "A long thought, written slowly")
    await fac.ok(p.SetPhase(op="-", phase="weigh"))  # meanwhile the room moved on
    await expect(ann.locator(".tree-section > button.why")).to_have_count(0)
    await ann.click("#composer-send")
    await expect(ann.locator("#composer-error")).to_contain_text("Not now")
    await expect(ann.locator("#composer-text")).to_have_value("A long thought, written slowly")
    await fac.close()


async def test_a_phone_with_the_text_doubled_needs_no_sideways_scrolling(
        start: Callable[..., Any], browser: Any) -> None:
    """Weighing, the busiest screen, at 360 px with the browser's text size at 200%."""
    server = await start()
    fac = await facilitator(server)
    await fac.ok(p.SetSituation(op="-", text="Our fifth graders get into trouble after school"))
    await fac.ok(p.SetPhase(op="-", phase="why"))
    parent = None
    for text in ("Nobody is at home until six", "Both parents work late shifts and weekends",
                 "Jobs nearby pay by the hour"):
        event = await fac.ok(p.AddCause(op="-", parent=parent, text=text))
        assert isinstance(event.command, p.AddCause)
        parent = event.command.id
    await fac.ok(p.SetPhase(op="-", phase="weigh"))
    context = await browser.new_context(viewport=PHONE, bypass_csp=True)
    try:
        page = await context.new_page()
        await join_page(page, server, "Ann")
        await page.wait_for_selector("button.dot-plus")
        await page.add_style_tag(content="html { font-size: 200% !important; }")
        assert await page.evaluate("() => getComputedStyle(document.body).fontSize") == "36px"
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        await context.close()
    await fac.close()


async def test_actions_proposed_edited_and_removed_from_a_phone(start: Callable[..., Any],
                                                                pages: Callable[..., Any]) -> None:
    from playwright.async_api import expect

    server = await start()
    fac = await facilitator(server)
    await fac.ok(p.SetPhase(op="-", phase="why"))
    late = (await fac.ok(p.AddCause(op="-", parent=None, text="The bus comes late"))).command
    assert isinstance(late, p.AddCause)
    await fac.ok(p.SetPhase(op="-", phase="act"))
    ann = await pages()
    await join_page(ann, server, "Ann")

    await ann.click(f'li[data-cause="{late.id}"] > .tools > button:text("Propose an action")')
    await expect(ann.locator("#composer-about")).to_have_text("About: The bus comes late")
    await ann.fill("#composer-text", "Ask for an earlier bus")
    await ann.check("#by-outside")
    await ann.fill("#composer-who", "the transport office")
    await ann.click("#composer-send")
    await sees(fac, lambda s: len(s.actions) == 1)
    action = next(iter(fac.state.actions.values()))
    assert (action.text, action.causes, action.by, action.who) == (
        "Ask for an earlier bus", [late.id], "outside", "the transport office")
    item = ann.locator(f'li[data-action="{action.id}"]')
    await expect(item).to_contain_text("people outside the group — the transport office")
    await expect(item).to_contain_text("For: The bus comes late")

    await item.locator('button:text("Edit")').click()
    await ann.fill("#composer-text", "Ask for a bus at 15:30")
    await ann.click("#composer-send")
    await sees(fac, lambda s: s.actions[action.id].text == "Ask for a bus at 15:30")
    assert fac.state.actions[action.id].who == "the transport office"  # kept as it was

    ann.once("dialog", lambda dialog: dialog.accept())
    await item.locator('button:text("Remove")').click()
    await sees(fac, lambda s: not s.actions)
    await expect(ann.locator("li.action")).to_have_count(0)
    await fac.close()


async def test_a_phone_removes_its_own_answer_asking_first_and_undoes_it(
    start: Callable[..., Any], pages: Callable[..., Any]
) -> None:
    from playwright.async_api import expect

    server = await start()
    fac = await facilitator(server)
    await fac.ok(p.SetPhase(op="-", phase="why"))
    theirs = (await fac.ok(p.AddCause(op="-", parent=None, text="The bus comes late"))).command
    assert isinstance(theirs, p.AddCause)
    ann = await pages()
    await join_page(ann, server, "Ann")
    await answer(ann, None, "I typed this under the wrong answer")
    await sees(fac, lambda s: len(s.causes) == 2)
    mine = cause_with(fac.state, "I typed this under the wrong answer")
    # Only her own answer offers Remove.
    theirs_remove = ann.locator(f'li[data-cause="{theirs.id}"] > .tools > button:text("Remove")')
    await expect(theirs_remove).to_have_count(0)
    remove = ann.locator(f'li[data-cause="{mine}"] > .tools > button:text("Remove")')
    # She is asked first; saying no keeps it.
    questions: list[str] = []

    async def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        await dialog.dismiss()

    ann.once("dialog", dismiss)
    await remove.click()
    await expect(ann.locator(f'li[data-cause="{mine}"]')).to_have_count(1)
    assert questions and "I typed this under the wrong answer" in questions[0]
    ann.once("dialog", lambda dialog: dialog.accept())
    await remove.click()
    await sees(fac, lambda s: mine not in s.causes)
    await expect(ann.locator(f'li[data-cause="{mine}"]')).to_have_count(0)
    undo = ann.locator('.undo button:text("Undo")')
    await expect(ann.locator(".undo")).to_contain_text("I typed this under the wrong answer")
    await undo.click()
    await sees(fac, lambda s: mine in s.causes)
    await expect(ann.locator(f'li[data-cause="{mine}"] .text').first).to_have_text(
        "I typed this under the wrong answer")
    await expect(ann.locator(".undo")).to_have_count(0)
    await fac.close()


async def test_quick_taps_on_a_phone_all_count(start: Callable[..., Any], pages: Callable[..., Any]) -> None:
    """Two taps on "+" before the first is answered make two dots, not one."""
    from playwright.async_api import expect

    server = await start()
    fac = await facilitator(server)
    await fac.ok(p.SetPhase(op="-", phase="why"))
    late = (await fac.ok(p.AddCause(op="-", parent=None, text="The bus comes late"))).command
    assert isinstance(late, p.AddCause)
    await fac.ok(p.SetPhase(op="-", phase="weigh"))
    ann = await pages()
    await join_page(ann, server, "Ann")
    plus = f'li[data-cause="{late.id}"] button.dot-plus'
    await ann.wait_for_selector(plus)
    # Both taps in one go: the page cannot have heard back from the host in between.
    await ann.evaluate("(selector) => { const b = document.querySelector(selector); b.click(); b.click(); }",
                       plus)
    await sees(fac, lambda s: s.voters == 1)
    await expect(ann.locator(f'li[data-cause="{late.id}"] .dot-count')).to_contain_text("2 dots")
    await expect(ann.locator("[data-testid=budget]")).to_contain_text("2 of 3 used")
    ann_id = next(person.id for person in server.state.people.values() if person.name == "Ann")
    for _ in range(100):
        if ann_id in server.state.ballots and sum(server.state.ballots[ann_id].dots.values()) == 2:
            break
        await ann.wait_for_timeout(20)
    assert server.state.ballots[ann_id].dots == {late.id: 2}
    await fac.close()


async def test_a_phone_moves_its_own_answer_under_another(start: Callable[..., Any],
                                                          pages: Callable[..., Any]) -> None:
    from playwright.async_api import expect

    server = await start()
    fac = await facilitator(server)
    await fac.ok(p.SetPhase(op="-", phase="why"))
    late = (await fac.ok(p.AddCause(op="-", parent=None, text="The bus comes late"))).command
    assert isinstance(late, p.AddCause)
    ann = await pages()
    await join_page(ann, server, "Ann")
    await answer(ann, None, "The driver's shift starts late")  # meant under "The bus comes late"
    await sees(fac, lambda s: len(s.causes) == 2)
    mine = cause_with(fac.state, "The driver's shift starts late")
    # Someone else's answer cannot be moved by her; her own can.
    not_hers = ann.locator(f'li[data-cause="{late.id}"] > .tools > button:text-is("Move")')
    await expect(not_hers).to_have_count(0)
    await ann.click(f'li[data-cause="{mine}"] > .tools > button:text-is("Move")')
    await expect(ann.locator(".moving")).to_contain_text("Moving “The driver's shift starts late”")
    await ann.click(f'li[data-cause="{late.id}"] > .tools > button:text-is("Put it here")')
    await sees(fac, lambda s: s.causes[mine].parent == late.id)
    nested = ann.locator(f'li[data-cause="{late.id}"] li[data-cause="{mine}"]')
    await expect(nested).to_have_count(1)
    await expect(ann.locator(".moving")).to_have_count(0)
    await fac.close()


async def test_two_phones_and_a_terminal_screen_in_one_room(start: Callable[..., Any],
                                                          pages: Callable[..., Any]) -> None:
    """The real terminal app (Textual, under Pilot) and two phones: each sees what the others
    add, live."""
    import asyncio

    from playwright.async_api import expect

    from whytree.tui.app import WhytreeApp

    server = await start()
    fac = await facilitator(server)
    await fac.ok(p.SetPhase(op="-", phase="why"))
    ann, bo = await pages(), await pages()
    await join_page(ann, server, "Ann")
    await join_page(bo, server, "Bo")
    cy = WhytreeApp(url=f"ws://127.0.0.1:{server.port}", name="Cy", code=CODE, discover=False)
    async with cy.run_test(size=(100, 30)) as keys:
        for _ in range(500):
            if cy.session_screen is not None:
                break
            await asyncio.sleep(0.02)
        assert cy.session_screen is not None
        await answer(ann, None, "Nobody is at home until six")
        await sees(fac, lambda s: len(s.causes) == 1)
        home = cause_with(fac.state, "Nobody is at home until six")
        tree = cy.session_screen.cause_tree
        for _ in range(500):  # the terminal screen shows Ann's answer, with her name
            try:
                if str(tree.node_for(home).label).startswith("Nobody is at home until six  — Ann"):
                    break
            except KeyError:
                pass
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the terminal screen never showed Ann's answer")
        # Cy answers "But why?" under it with the keys, and both phones see it.
        tree.select_cause(home)
        await keys.pause()
        await keys.press("w", *"Both parents work late", "enter")
        for page in (ann, bo):
            nested = page.locator(f'li[data-cause="{home}"] li .text')
            await expect(nested).to_have_text("Both parents work late")
            await expect(page.locator(f'li[data-cause="{home}"] li .author')).to_have_text("— Cy")
    await fac.close()


async def test_a_facilitator_without_a_name_is_listed_as_the_facilitator(
        start: Callable[..., Any], pages: Callable[..., Any]) -> None:
    """The host joins with no made-up name: the phone lists "the facilitator", not one more
    person "without a name"."""
    from playwright.async_api import expect

    server = await start()
    host = NetClient(f"ws://127.0.0.1:{server.port}")
    await host.join(facilitator_key=FACILITATOR_KEY, name="")
    await host.ok(p.SetSituation(op="-", text="The teen centre is always full"))
    ann = await pages()
    await join_page(ann, server, "Ann")
    people = ann.locator(".people-section")
    await expect(people).to_contain_text("the facilitator")
    await expect(people).to_contain_text("Ann (you)")
    await expect(people).not_to_contain_text("without a name")
    await host.close()
