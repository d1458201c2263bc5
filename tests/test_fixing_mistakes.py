"""Fixing mistakes in the tree: moving an answer, removing one's own, and undoing a removal.

The rules on the pure core first (`rules.decide`, then `apply`, as `test_rules` does),
then the same commands through the real server: journaled (a restarted host has the same
tree), seen the same by everyone, and private where they must be.
"""

from __future__ import annotations

from typing import Any

import msgspec
from conftest import CODE, FACILITATOR_KEY
from netclient import NetClient
from test_rules import ANN, BOB, FAC, VIEWER, add_action, add_cause, dots, ok, op, phase, refused, session

from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.shared.model import Session
from whytree.shared.rules import may
from whytree.shared.views import project


def order(state: Session, parent: str | None) -> list[str]:
    """The answers under `parent`, as the tree shows them."""
    return [c.text for c in state.children(parent)]


def snapshot(state: Session) -> tuple[bytes, Any]:
    """Everything in the session but the event count and the undo record: in order (the
    order of answers is their sibling order), but for the votes, whose order nobody sees."""
    rest = p.encode(msgspec.structs.replace(state, seq=0, last_removal=None, ballots={}))
    return rest, msgspec.to_builtins(state.ballots)


# --- moving -----------------------------------------------------------------------------------


def test_the_facilitator_moves_an_answer_with_its_answers_votes_and_actions() -> None:
    state = session("why")
    bus = add_cause(state, ANN, text="No bus")
    late = add_cause(state, BOB, parent=bus, text="Route cut")
    money = add_cause(state, BOB, text="Money")
    add_cause(state, ANN, parent=money, text="Fees went up")
    phase(state, "weigh")
    dots(state, ANN, late, 2)
    ok(state, BOB, p.SetChange(op=op(), cause=late, answer="others"))
    phase(state, "act")
    action = add_action(state, ANN, [late])
    # Any open step, for the facilitator: the route cut is about money, not the bus.
    ok(state, FAC, p.MoveCause(op=op(), cause=late, parent=money))
    assert state.causes[late].parent == money
    assert order(state, money) == ["Fees went up", "Route cut"]  # last among its new siblings
    assert order(state, bus) == []
    assert state.ballots[ANN.id].dots == {late: 2}
    assert state.ballots[BOB.id].change == {late: "others"}
    assert state.actions[action].causes == [late]
    assert state.causes[late].author == BOB.id
    ok(state, FAC, p.MoveCause(op=op(), cause=money, parent=bus))
    assert [c.id for c in state.causes.values()].index(money) > list(state.causes).index(bus)
    ok(state, FAC, p.MoveCause(op=op(), cause=money, parent=None))  # back under the situation
    assert order(state, None) == ["No bus", "Money"]


def test_a_participant_moves_only_their_own_answers_while_asking_why() -> None:
    state = session("why")
    anns = add_cause(state, ANN, text="Ann's")
    bobs = add_cause(state, BOB, text="Bob's")
    assert refused(state, BOB, p.MoveCause(op=op(), cause=anns, parent=bobs)) == "not_allowed"
    assert refused(state, VIEWER, p.MoveCause(op=op(), cause=anns, parent=bobs)) == "not_allowed"
    ok(state, ANN, p.MoveCause(op=op(), cause=anns, parent=bobs))
    assert state.causes[anns].parent == bobs
    phase(state, "weigh")
    assert refused(state, ANN, p.MoveCause(op=op(), cause=anns, parent=None)) == "wrong_phase"
    phase(state, "closed")
    assert refused(state, FAC, p.MoveCause(op=op(), cause=anns, parent=None)) == "closed"


def test_an_answer_cannot_go_under_itself_or_its_own_answers() -> None:
    state = session("why")
    top = add_cause(state, ANN, text="top")
    child = add_cause(state, ANN, parent=top, text="child")
    grandchild = add_cause(state, BOB, parent=child, text="grandchild")
    for under in (top, child, grandchild):
        assert refused(state, FAC, p.MoveCause(op=op(), cause=top, parent=under)) == "cycle"
    assert refused(state, ANN, p.MoveCause(op=op(), cause=top, parent=grandchild)) == "cycle"
    assert refused(state, FAC, p.MoveCause(op=op(), cause=child, parent=top)) == "invalid"  # already there
    assert refused(state, FAC, p.MoveCause(op=op(), cause=top, parent="c404")) == "not_found"
    assert refused(state, FAC, p.MoveCause(op=op(), cause="c404", parent=None)) == "not_found"


def test_a_move_respects_the_depth_limit() -> None:
    state = session("why")
    chain = [add_cause(state, FAC, text="1")]
    for level in range(2, p.MAX_DEPTH + 1):
        chain.append(add_cause(state, FAC, parent=chain[-1], text=str(level)))
    pair = add_cause(state, ANN, text="pair")
    add_cause(state, ANN, parent=pair, text="below pair")
    assert refused(state, FAC, p.MoveCause(op=op(), cause=pair, parent=chain[-2])) == "too_deep"
    assert refused(state, ANN, p.MoveCause(op=op(), cause=pair, parent=chain[-1])) == "too_deep"
    ok(state, FAC, p.MoveCause(op=op(), cause=pair, parent=chain[-3]))
    assert state.depth(pair) == p.MAX_DEPTH - 1


# --- removing -----------------------------------------------------------------------------------


def test_a_participant_removes_their_own_answers_and_never_other_peoples() -> None:
    state = session("why")
    mine = add_cause(state, ANN, text="Mine")
    add_cause(state, ANN, parent=mine, text="Also mine")
    shared = add_cause(state, ANN, text="Mine, with Bob's below")
    add_cause(state, BOB, parent=shared, text="Bob's")
    bobs = add_cause(state, BOB, text="Bob's own")
    assert may(state, ANN, p.RemoveCause, bobs) is not None
    assert refused(state, ANN, p.RemoveCause(op=op(), cause=bobs)) == "not_allowed"
    assert refused(state, ANN, p.RemoveCause(op=op(), cause=shared)) == "not_allowed"
    assert refused(state, VIEWER, p.RemoveCause(op=op(), cause=mine)) == "not_allowed"
    assert may(state, ANN, p.RemoveCause, mine) is None
    ok(state, ANN, p.RemoveCause(op=op(), cause=mine))  # with her own answer below it
    assert order(state, None) == ["Mine, with Bob's below", "Bob's own"]
    phase(state, "weigh")
    assert refused(state, BOB, p.RemoveCause(op=op(), cause=bobs)) == "wrong_phase"
    ok(state, FAC, p.RemoveCause(op=op(), cause=shared))  # the facilitator removes anything


# --- undoing a removal ----------------------------------------------------------------------------


def test_undo_brings_back_the_branch_exactly() -> None:
    state = session("why")
    first = add_cause(state, ANN, text="First")
    gone = add_cause(state, ANN, text="Second")
    add_cause(state, BOB, parent=gone, text="Below second")
    add_cause(state, ANN, text="Third")
    deep = add_cause(state, FAC, parent=first, text="Below first")
    below = next(c.id for c in state.causes.values() if c.text == "Below second")
    phase(state, "weigh")
    dots(state, ANN, gone, 2)
    dots(state, BOB, below, 1)
    ok(state, BOB, p.SetChange(op=op(), cause=gone, answer="we"))
    dots(state, BOB, deep, 1)
    phase(state, "act")
    action = add_action(state, ANN, [first, below])
    before, voters = snapshot(state), state.voters
    decision = ok(state, FAC, p.RemoveCause(op=op(), cause=gone))
    # Votes are hidden: no new count is published (Ann keeps an empty ballot until then).
    assert isinstance(decision, p.RemoveCause) and decision.voters is None
    assert state.voters == voters
    assert order(state, None) == ["First", "Third"]
    assert state.actions[action].causes == [first]
    assert may(state, FAC, p.RestoreCause) is None
    restored = ok(state, FAC, p.RestoreCause(op=op(), cause=gone))
    assert isinstance(restored, p.RestoreCause) and restored.voters == voters == 2
    assert snapshot(state) == before  # texts, authors, parents, order, links, votes
    assert order(state, None) == ["First", "Second", "Third"]
    assert state.last_removal is None
    assert refused(state, FAC, p.RestoreCause(op=op(), cause=gone)) == "not_found"  # once


def test_only_the_person_who_removed_an_answer_brings_it_back() -> None:
    state = session("why")
    anns = add_cause(state, ANN, text="Ann regrets this")
    ok(state, ANN, p.RemoveCause(op=op(), cause=anns))
    assert refused(state, FAC, p.RestoreCause(op=op(), cause=anns)) == "not_allowed"
    assert refused(state, BOB, p.RestoreCause(op=op(), cause=anns)) == "not_allowed"
    ok(state, ANN, p.RestoreCause(op=op(), cause=anns))
    assert state.causes[anns].author == ANN.id
    bobs = add_cause(state, BOB, text="Bob's")
    ok(state, FAC, p.RemoveCause(op=op(), cause=bobs))
    assert refused(state, BOB, p.RestoreCause(op=op(), cause=bobs)) == "not_allowed"
    assert may(state, ANN, p.RestoreCause) is not None and may(state, FAC, p.RestoreCause) is None


def test_only_the_last_removal_can_be_undone_and_not_after_the_close() -> None:
    state = session("why")
    one, two = add_cause(state, text="one"), add_cause(state, text="two")
    ok(state, FAC, p.RemoveCause(op=op(), cause=one))
    ok(state, FAC, p.RemoveCause(op=op(), cause=two))
    assert refused(state, FAC, p.RestoreCause(op=op(), cause=one)) == "not_found"
    ok(state, ANN, p.AddCause(op=op(), parent=None, text="three"))
    phase(state, "closed")
    assert state.last_removal is None  # removed words stay out of the saved results
    ok(state, FAC, p.Reopen(op=op()))
    assert refused(state, FAC, p.RestoreCause(op=op(), cause=two)) == "not_found"


def test_an_undo_gives_back_only_the_dots_that_still_fit() -> None:
    state = session("why")
    gone, other = add_cause(state, text="gone"), add_cause(state, text="other")
    phase(state, "weigh")
    dots(state, ANN, gone, 2)
    ok(state, ANN, p.SetChange(op=op(), cause=gone, answer="no"))
    ok(state, FAC, p.RemoveCause(op=op(), cause=gone))
    dots(state, ANN, other, 2)  # the freed dots, spent elsewhere
    ok(state, FAC, p.RestoreCause(op=op(), cause=gone))
    assert state.ballots[ANN.id].dots == {other: 2, gone: 1}  # 3 dots in all
    assert state.ballots[ANN.id].change == {gone: "no"}


def test_an_undo_while_the_votes_are_revealed_carries_the_new_tally() -> None:
    state = session("why")
    gone = add_cause(state, text="gone")
    phase(state, "weigh")
    dots(state, BOB, gone, 2)
    ok(state, FAC, p.RevealVotes(op=op(), revealed=True))
    ok(state, FAC, p.RemoveCause(op=op(), cause=gone))
    assert gone not in state.tally
    restored = ok(state, FAC, p.RestoreCause(op=op(), cause=gone))
    assert isinstance(restored, p.RestoreCause) and restored.tally is not None
    assert state.tally[gone].dots == 2


def test_an_undo_respects_the_depth_limit_and_a_gone_parent() -> None:
    state = session("why")
    chain = [add_cause(state, FAC, text="1")]
    for level in range(2, p.MAX_DEPTH):
        chain.append(add_cause(state, FAC, parent=chain[-1], text=str(level)))
    top = add_cause(state, FAC, text="top")
    leaf = add_cause(state, FAC, parent=top, text="leaf")
    ok(state, FAC, p.RemoveCause(op=op(), cause=leaf))
    ok(state, FAC, p.MoveCause(op=op(), cause=top, parent=chain[-1]))  # now at MAX_DEPTH
    assert refused(state, FAC, p.RestoreCause(op=op(), cause=leaf)) == "too_deep"
    ok(state, FAC, p.MoveCause(op=op(), cause=top, parent=None))
    ok(state, FAC, p.MergeCauses(op=op(), cause=top, into=chain[0]))
    assert refused(state, FAC, p.RestoreCause(op=op(), cause=leaf)) == "not_found"


def test_a_participant_moves_removes_and_undoes_only_while_asking_why() -> None:
    state = session("why")
    mine = add_cause(state, ANN, text="mine")
    assert may(state, ANN, p.MoveCause, mine) is None and may(state, BOB, p.MoveCause, mine) is not None
    ok(state, ANN, p.RemoveCause(op=op(), cause=mine))
    phase(state, "weigh")
    assert refused(state, ANN, p.RestoreCause(op=op(), cause=mine)) == "wrong_phase"
    phase(state, "why")
    ok(state, ANN, p.RestoreCause(op=op(), cause=mine))


def test_anonymous_removals_name_nobody_but_the_viewer() -> None:
    state = session("why", anonymous=True)
    anns = add_cause(state, ANN, text="Ann's")
    add_cause(state, ANN, parent=anns, text="Ann's too")
    phase(state, "weigh")
    dots(state, BOB, anns, 1)
    phase(state, "why")
    ok(state, ANN, p.RemoveCause(op=op(), cause=anns))
    for viewer in (BOB.id, FAC.id, VIEWER.id):
        removal = project(state, viewer).last_removal
        assert removal is not None and removal.removed_by is None
        assert all(cause.author is None for cause in removal.causes)
        assert set(removal.ballots) <= {viewer}
    assert project(state, BOB.id).last_removal.ballots[BOB.id].dots == {anns: 1}  # type: ignore[union-attr]
    own = project(state, ANN.id).last_removal
    assert own is not None and own.removed_by == ANN.id and own.causes[0].author == ANN.id
    assert own.ballots == {}


# --- on the real server -------------------------------------------------------------------------


async def test_moves_removals_and_undo_reach_everyone_and_survive_a_restart(make_server: Any) -> None:
    server: Server = await make_server()
    url = f"ws://127.0.0.1:{server.port}"
    fac, ann, bob = NetClient(url), NetClient(url), NetClient(url)
    await fac.join(facilitator_key=FACILITATOR_KEY, name="Fran")
    await ann.join(code=CODE, name="Ann")
    await bob.join(code=CODE, name="Bob")
    await fac.ok(p.SetPhase(op="x", phase="why"))
    first = await ann.ok(p.AddCause(op="x", parent=None, text="Nobody is home"))
    assert isinstance(first.command, p.AddCause) and first.command.id is not None
    home = first.command.id
    wrong = await ann.ok(p.AddCause(op="x", parent=None, text="Parents work late"))
    assert isinstance(wrong.command, p.AddCause) and wrong.command.id is not None
    late = wrong.command.id
    bobs = await bob.ok(p.AddCause(op="x", parent=home, text="Bob's answer"))
    assert isinstance(bobs.command, p.AddCause) and bobs.command.id is not None

    # Ann put "Parents work late" under the situation; it explains "Nobody is home".
    await ann.ok(p.MoveCause(op="x", cause=late, parent=home))
    refusal = await bob.do(p.RemoveCause(op="x", cause=late))
    assert isinstance(refusal, p.Rejected) and refusal.reason == "not_allowed"
    refusal = await ann.do(p.RemoveCause(op="x", cause=home))  # Bob's answer is below it
    assert isinstance(refusal, p.Rejected) and refusal.reason == "not_allowed"
    removed = await ann.ok(p.RemoveCause(op="x", cause=late))
    undone = await ann.ok(p.RestoreCause(op="x", cause=late))
    removed_again = await fac.ok(p.RemoveCause(op="x", cause=bobs.command.id))
    for client in (fac, ann, bob):
        await client.catch_up(removed_again.seq)
        assert client.state == project(server.state, client.id)
    assert removed.seq < undone.seq
    assert [c.text for c in server.state.children(home)] == ["Parents work late"]
    assert server.state.last_removal is not None
    assert bob.state.last_removal is not None and bob.state.last_removal.causes[0].text == "Bob's answer"

    expected = msgspec.to_builtins(server.state)
    for client in (fac, ann, bob):
        await client.close()
    await server.stop()
    again: Server = await make_server()
    assert msgspec.to_builtins(again.state)["causes"] == expected["causes"]
    assert again.state.last_removal == server.state.last_removal
