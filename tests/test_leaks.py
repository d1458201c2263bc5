"""Smaller leaks a participant could use: odd ops, a telling voter count, a posing name.

* The `op` a client chooses travels inside the command to everyone else: it is limited to
  ASCII letters, digits and `_ . : -`, so it can carry no escape sequence or message.
* While votes are hidden, removing (or merging) an answer publishes no new voter count: a
  drop would tell the room that somebody's votes were all on that answer.
* The people line marks the facilitator in a way no name can imitate.

All against the real server, with real clients and real Textual apps.
"""

from __future__ import annotations

import json

from conftest import CODE, FACILITATOR_KEY, MakeServer, WaitUntil
from netclient import NetClient
from rich.style import Style

from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.shared.mirror import Mirror
from whytree.shared.views import HIDDEN_OP
from whytree.tui.app import WhytreeApp

BAD_OPS = ["\x1b]52;c;SGVsbG8=\x07", "op 1", "op\n", "Ana said hi", "é", "op\x00", "\u202eop"]


async def test_an_op_outside_the_safe_characters_is_refused_and_reaches_nobody(server: Server) -> None:
    ana, ben = NetClient(server.local_url), NetClient(server.local_url)
    try:
        await ana.join(facilitator_key=FACILITATOR_KEY, name="Ana")
        await ben.join(code=CODE, name="Ben")
        await ana.ok(p.SetPhase(op="-", phase="why"))
        assert ben.ws is not None
        for op in BAD_OPS:
            frame = {"type": "add_cause", "op": op, "parent": None, "text": f"sent as {op!r}"}
            await ben.ws.send(json.dumps(frame))
            error = await ben._next()
            while isinstance(error, p.Event):  # events from before, on the way
                error = await ben._next()
            assert isinstance(error, p.Error) and error.code == "bad_frame", op
        marker = await ben.ok(p.AddCause(op="-", parent=None, text="A fair answer"))
        await ana.catch_up(marker.seq)
        assert [cause.text for cause in ana.state.causes.values()] == ["A fair answer"]
        for raw in ana.raw:
            assert not any(op in raw or json.dumps(op)[1:-1] in raw for op in BAD_OPS), raw
    finally:
        await ana.close()
        await ben.close()

    # Every op whytree's own clients make passes.
    mirror = Mirror()
    for op in (mirror.new_op(), mirror.new_op(), HIDDEN_OP, "phase-why", "host"):
        p.decode_client_frame(p.encode(p.SetPhase(op=op, phase="why")))


async def test_removing_an_answer_while_votes_are_hidden_keeps_the_voter_count(
    make_server: MakeServer, wait_until: WaitUntil
) -> None:
    server = await make_server()
    ana, ben, cid = (NetClient(server.local_url) for _ in range(3))
    try:
        await ana.join(facilitator_key=FACILITATOR_KEY, name="Ana")
        await ben.join(code=CODE, name="Ben")
        await cid.join(code=CODE, name="Cid")
        await ana.ok(p.SetPhase(op="-", phase="why"))
        only_ben = (await ana.ok(p.AddCause(op="-", parent=None, text="Only Ben votes here"))).command
        shared = (await ana.ok(p.AddCause(op="-", parent=None, text="Cid votes here"))).command
        assert isinstance(only_ben, p.AddCause) and isinstance(shared, p.AddCause)
        assert only_ben.id is not None and shared.id is not None
        await ana.ok(p.SetPhase(op="-", phase="weigh"))
        await ben.ok(p.SetDots(op="-", cause=only_ben.id, dots=1))
        voted = await cid.ok(p.SetDots(op="-", cause=shared.id, dots=2))
        await ana.catch_up(voted.seq)
        assert ana.state.voters == 2

        removed = await ana.ok(p.RemoveCause(op="-", cause=only_ben.id))
        for client in (ana, ben, cid):
            await client.catch_up(removed.seq)
            # Nobody learns that the removed answer held somebody's only votes.
            assert client.state.voters == 2
        sent = [frame["command"] for frame in cid.frames() if frame.get("seq") == removed.seq]
        assert sent and sent[0]["voters"] is None
        assert ben.state.ballots[ben.id].dots == {}, "Ben's dot came back to him"

        # Ben votes again: still two people have voted, not three.
        again = await ben.ok(p.SetDots(op="-", cause=shared.id, dots=1))
        await cid.catch_up(again.seq)
        assert cid.state.voters == 2 and server.state.voters == 2

        revealed = await ana.ok(p.RevealVotes(op="-", revealed=True))
        await cid.catch_up(revealed.seq)
        assert cid.state.tally[shared.id].dots == 3
        state = server.state
    finally:
        for client in (ana, ben, cid):
            await client.close()

    # The journal replays to the same session.
    await server.stop()
    again_server = await make_server(port=server.port)
    assert again_server.state.voters == 2
    assert again_server.state.ballots == state.ballots
    assert again_server.state.tally == state.tally


def badge_segments(app: WhytreeApp) -> list[tuple[str, bool]]:
    """The header's people line as (text, shown in reverse video) pieces, as drawn."""
    assert app.session_screen is not None
    header = app.session_screen.query_one("#header-people")
    region = header.region
    pieces: list[tuple[str, bool]] = []
    for strip in app.screen._compositor.render_strips()[region.y: region.y + region.height]:
        for segment in strip:
            style = segment.style or Style()
            if segment.text.strip():
                pieces.append((segment.text, bool(style.reverse)))
    return pieces


async def test_a_name_cannot_pose_as_the_facilitator(server: Server, wait_until: WaitUntil) -> None:
    ana, mallory = NetClient(server.local_url), NetClient(server.local_url)
    ben = WhytreeApp(url=server.local_url, name="Ben", code=CODE, discover=False)
    try:
        await ana.join(facilitator_key=FACILITATOR_KEY, name="Ana")
        await mallory.join(code=CODE, name="Ana facilitator")
        async with ben.run_test(size=(120, 40)) as keys:
            await wait_until(lambda: ben.session_screen is not None, what="Ben in the session")
            await wait_until(lambda: ben.mirror.state is not None and len(ben.mirror.state.people) == 3,
                             what="everyone listed")
            await keys.pause()
            pieces = badge_segments(ben)
            line = "".join(text for text, _ in pieces)
            assert "Here: Ana" in line and "Ana facilitator, you" in line
            # Only the real facilitator's badge is drawn in reverse video; the name that
            # imitates it is plain text.
            marked = [text for text, reverse in pieces if reverse]
            assert [text.strip() for text in marked] == ["facilitator"]
            before_badge = line[: line.index(marked[0])]
            assert before_badge.rstrip().endswith("Here: Ana")
    finally:
        await ana.close()
        await mallory.close()
