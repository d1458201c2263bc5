"""Deep trees: the depth limit, and a tree far deeper than it in an old journal.

The rules keep a chain of answers within `MAX_DEPTH` (`too_deep` otherwise, also for a
merge). A journal written before that limit may hold a chain 1,200 deep: the TUI must show
it without a `RecursionError`, and closing the session must still save its results.
Everything runs against the real server, real SQLite journals and real Textual apps.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
from conftest import CODE, FACILITATOR_KEY, MakeServer, WaitUntil
from netclient import NetClient

from tests.commands import new_command
from whytree.server.app import Server
from whytree.server.hub import Record
from whytree.server.journal import Journal
from whytree.server.results import list_saved, report_text
from whytree.shared import protocol as p
from whytree.tui.app import WhytreeApp
from whytree.tui.messages import SendCommand
from whytree.tui.widgets.cause_tree import CauseTree

LEGACY_DEPTH = 1200


async def do(client: NetClient, command: p.ClientCommand) -> p.Event | p.Rejected:
    """`client.do`, waiting out the flood limit (a long chain is more than one burst)."""
    while True:
        outcome = await client.do(command)
        if isinstance(outcome, p.Rejected) and outcome.reason == "busy":
            await asyncio.sleep(0.2)
            continue
        return outcome


async def ok(client: NetClient, command: p.ClientCommand) -> p.Event:
    outcome = await do(client, command)
    assert isinstance(outcome, p.Event), outcome
    return outcome


async def chain(client: NetClient, parent: str | None, length: int, word: str) -> list[str]:
    """Add `length` answers, each under the one before; their ids, top first."""
    ids: list[str] = []
    for level in range(length):
        event = await ok(client, p.AddCause(op="-", parent=parent, text=f"{word} {level + 1}"))
        assert isinstance(event.command, p.AddCause) and event.command.id is not None
        parent = event.command.id
        ids.append(parent)
    return ids


async def test_a_chain_stops_at_the_depth_limit_with_a_clear_message(server: Server) -> None:
    fac = NetClient(server.local_url)
    try:
        await fac.join(facilitator_key=FACILITATOR_KEY, name="Ana")
        await ok(fac, p.SetPhase(op="-", phase="why"))
        deep = await chain(fac, None, p.MAX_DEPTH, "Because")
        assert fac.state.depth(deep[-1]) == p.MAX_DEPTH

        refused = await do(fac, p.AddCause(op="-", parent=deep[-1], text="One more why"))
        assert isinstance(refused, p.Rejected) and refused.reason == "too_deep"
        assert str(p.MAX_DEPTH) in refused.message and "higher up" in refused.message
        assert len(fac.state.causes) == p.MAX_DEPTH
        # Next to it, higher up, answers still go in.
        await ok(fac, p.AddCause(op="-", parent=deep[-2], text="A sibling at the deepest level"))

        # A merge that would put answers below the limit is refused too; one that fits is not.
        side = await chain(fac, None, 3, "Side")  # Side 1 > Side 2 > Side 3
        too_deep = await do(fac, p.MergeCauses(op="-", cause=side[0], into=deep[-2]))
        assert isinstance(too_deep, p.Rejected) and too_deep.reason == "too_deep"
        assert side[0] in fac.state.causes and fac.state.depth(side[2]) == 3
        await ok(fac, p.MergeCauses(op="-", cause=side[0], into=deep[-3]))
        assert fac.state.depth(side[2]) == p.MAX_DEPTH
        assert max(fac.state.depth(cause) for cause in fac.state.causes) == p.MAX_DEPTH
    finally:
        await fac.close()


async def test_the_tui_shows_the_deepest_chain_and_says_why_it_stops(
    server: Server, wait_until: WaitUntil
) -> None:
    fac = NetClient(server.local_url)
    await fac.join(facilitator_key=FACILITATOR_KEY, name="Ana")
    await ok(fac, p.SetPhase(op="-", phase="why"))
    deep = await chain(fac, None, p.MAX_DEPTH, "Because")
    await fac.close()

    ben = WhytreeApp(url=server.local_url, name="Ben", code=CODE, discover=False)
    async with ben.run_test(size=(120, 40)) as keys:
        await wait_until(lambda: ben.session_screen is not None, what="Ben in the session")
        assert ben.session_screen is not None
        tree = ben.session_screen.cause_tree
        await wait_until(lambda: deep[-1] in tree._cause_nodes, what="the deepest answer shown")
        node = tree.node_for(deep[-1])
        assert str(node.label).startswith(f"Because {p.MAX_DEPTH}")
        assert node.parent is tree.node_for(deep[-2])
        tree.select_cause(deep[-1])
        await wait_until(lambda: tree.selected_cause == deep[-1], what="cursor on the deepest answer")

        # "But why?" on the deepest answer: the limit is explained at once, nothing to type.
        await keys.press("w")
        await wait_until(lambda: any("as deep as it can go" in n.message for n in ben._notifications),
                         what="the depth message")
        assert ben.session_screen._bar_mode is None

        # And a refusal from the host (the chain grew while someone typed) is shown too.
        ben.post_message(SendCommand(new_command(ben, p.AddCause, parent=deep[-1], text="One more why")))
        await wait_until(lambda: sum("as deep as it can go" in n.message for n in ben._notifications) == 2,
                         what="the host's refusal shown")
        await wait_until(lambda: not ben.mirror.outbox, what="the refusal answered")
        assert len(ben.mirror.state.causes) == p.MAX_DEPTH if ben.mirror.state else False
        assert ben.is_running


async def legacy_server(make_server: MakeServer, data_dir: Path, depth: int) -> Server:
    """A server resuming a session whose journal, written before the depth limit existed,
    holds a chain of `depth` answers (the records are written as the old server wrote them)."""
    server = await make_server()
    fac = NetClient(server.local_url)
    await fac.join(facilitator_key=FACILITATOR_KEY, name="Ana")
    await ok(fac, p.SetSituation(op="-", text="Our fifth graders get into trouble after school"))
    await ok(fac, p.SetPhase(op="-", phase="why"))
    author = fac.id
    await fac.close()
    port = server.port
    await server.stop()

    journal = Journal(data_dir)
    try:
        row = journal.latest_open_session()
        assert row is not None
        seq = max(r.event.seq for r in journal.records(row.id) if r.event is not None)
        records: list[Record] = []
        parent: str | None = None
        for level in range(1, depth + 1):
            seq += 1
            op = f"old-{level}"
            body = p.AddCause(op=op, parent=parent, text=f"Why {level}", id=f"c{seq}")
            records.append(Record(event=p.Event(seq=seq, by=author, op=op, command=body)))
            parent = f"c{seq}"
        journal.write(row.id, records)
    finally:
        journal.close()
    return await make_server(port=port)


async def test_a_session_far_deeper_than_the_limit_still_closes_and_saves_its_reports(
    make_server: MakeServer, tmp_path: Path, wait_until: WaitUntil
) -> None:
    data_dir = tmp_path / "data"
    server = await legacy_server(make_server, data_dir, LEGACY_DEPTH)
    assert len(server.state.causes) == LEGACY_DEPTH

    fac = NetClient(server.local_url)
    try:
        await fac.join(facilitator_key=FACILITATOR_KEY, name="Ana")
        await ok(fac, p.Close(op="-"))
        await wait_until(lambda: server.results_dir is not None, timeout=20, what="the results saved")
    finally:
        await fac.close()
    assert server.results_dir is not None
    report = (server.results_dir / "report.md").read_text()
    assert "- Why 1\n" in report and f"- Why {LEGACY_DEPTH}\n" in report
    html = (server.results_dir / "report.html").read_text()
    # The picture indents a dozen levels, then says the level: the page keeps its width.
    assert html.count("<ul>") < 20
    deepest = f'<div class="node">Why {LEGACY_DEPTH}<span class="marks">level {LEGACY_DEPTH}</span></div>'
    assert deepest in html
    saved = msgspec.json.decode((server.results_dir / "session.json").read_bytes())
    assert len(saved["causes"]) == LEGACY_DEPTH and saved["phase"] == "closed"
    [listed] = list_saved(data_dir)
    assert f"Why {LEGACY_DEPTH}" in report_text(listed)

    # The session is marked closed: the next start begins a new one.
    await server.stop()
    fresh = await make_server()
    assert fresh.state.causes == {} and fresh.state.phase == "situation"


async def test_the_tui_survives_a_session_far_deeper_than_the_limit(
    make_server: MakeServer, tmp_path: Path, wait_until: WaitUntil
) -> None:
    server = await legacy_server(make_server, tmp_path / "data", LEGACY_DEPTH)
    ids = list(server.state.causes)
    ana = WhytreeApp(url=server.local_url, name="Ana", facilitator_key=FACILITATOR_KEY, discover=False)
    async with ana.run_test(size=(120, 40)) as keys:
        await wait_until(lambda: ana.session_screen is not None, what="Ana in the session")
        assert ana.session_screen is not None
        tree: CauseTree = ana.session_screen.cause_tree
        await wait_until(lambda: ids[p.MAX_DEPTH - 1] in tree._cause_nodes, what="the tree shown")
        await keys.pause()
        # Down to the deepest answer shown; it says what lies below it.
        deepest = tree.node_for(ids[p.MAX_DEPTH - 1])
        hidden = LEGACY_DEPTH - p.MAX_DEPTH
        assert f"{hidden} more answers below, too deep to show here" in str(deepest.label)
        assert ids[p.MAX_DEPTH] not in tree._cause_nodes
        # Every way to move, fold and unfold keeps the app alive.
        tree.select_cause(ids[p.MAX_DEPTH - 1])
        await wait_until(lambda: tree.selected_cause == ids[p.MAX_DEPTH - 1], what="cursor deepest")
        await keys.press("right", "right", "space", "shift+space", "left", "up", "down", "end", "home")
        await keys.pause()
        assert ana.is_running

        # The facilitator tidies the old tree: removing an answer high up removes its long
        # chain, and the rest of the tree is shown again in full.
        ana.post_message(SendCommand(new_command(ana, p.RemoveCause, cause=ids[9])))
        await wait_until(lambda: ids[9] not in tree._cause_nodes, what="the chain removed")
        assert len(tree._cause_nodes) == 9
        assert "more answers below" not in str(tree.node_for(ids[8]).label)
        assert ana.is_running
