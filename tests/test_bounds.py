"""Every capacity limit holds exactly: the last one fits, one more is refused in words.

People, answers, actions, dots and the causes of one action are each filled to their
limit through the real server core; the one at the limit is accepted, the next is
refused with the reason a person is shown, and -- what an off-by-one would break -- every
frame the server sent on the way, the full state at the limit included, still decodes on
a client (the client's bounds are the same constants: one past them would make the
client drop the link and rejoin for ever).
"""

from __future__ import annotations

import msgspec
import pytest
from room import Room, accepted, refusal

from whytree.shared import protocol as p


def everything_sent_decodes(room: Room) -> None:
    for data in room.sent:
        p.decode_server_frame(data)  # raises on a frame a client would refuse


def test_the_last_person_fits_and_the_next_is_told_the_room_is_full() -> None:
    room = Room()
    room.join("Fran", facilitator=True)
    # The facilitator has a seat of their own: MAX_PEOPLE participants fit beside them.
    for n in range(p.MAX_PEOPLE):
        frames = room.join(f"P{n}")
        assert isinstance(frames[-1], p.Welcome)
    assert len(room.state.people) == p.MAX_PEOPLE + 1
    turned_away = room.join("One too many")
    assert refusal(turned_away) == "full"
    assert [frame.message for frame in turned_away if isinstance(frame, p.Error)] == [
        "The session has as many people as it can hold."]
    assert len(room.state.people) == p.MAX_PEOPLE + 1
    # Everyone's name changes on every screen when anonymity is turned on: that event names
    # all the people in the room, and must still be a frame clients accept.
    accepted(room.send("Fran", p.SetSettings(op=room.op(), anonymous=True)))
    everything_sent_decodes(room)


def test_the_last_answer_fits_and_every_vote_on_a_full_tree_can_be_revealed() -> None:
    room = Room()
    room.join("Fran", facilitator=True)
    room.join("Ann")
    room.send("Fran", p.SetPhase(op=room.op(), phase="why"))
    for n in range(p.MAX_CAUSES):
        accepted(room.send("Ann", p.AddCause(op=room.op(), parent=None, text=f"Reason {n}")))
    full = room.send("Ann", p.AddCause(op=room.op(), parent=None, text="One too many"))
    assert refusal(full) == "full"
    assert [frame.message for frame in full if isinstance(frame, p.Rejected)] == [
        "This tree holds as many answers as it can."]
    assert len(room.state.causes) == p.MAX_CAUSES

    room.send("Fran", p.SetPhase(op=room.op(), phase="weigh"))
    for cause in list(room.state.causes):
        accepted(room.send("Ann", p.SetChange(op=room.op(), cause=cause, answer="we")))
    accepted(room.send("Fran", p.RevealVotes(op=room.op(), revealed=True)))
    assert len(room.state.tally) == p.MAX_CAUSES
    everything_sent_decodes(room)
    room.join("Late")  # the whole full tree in one welcome
    everything_sent_decodes(room)


def test_the_last_action_fits_and_the_next_is_refused() -> None:
    room = Room()
    room.join("Fran", facilitator=True)
    room.send("Fran", p.SetPhase(op=room.op(), phase="act"))
    for n in range(p.MAX_ACTIONS):
        accepted(room.send("Fran", p.AddAction(op=room.op(), text=f"Step {n}")))
    full = room.send("Fran", p.AddAction(op=room.op(), text="One too many"))
    assert refusal(full) == "full"
    assert [frame.message for frame in full if isinstance(frame, p.Rejected)] == [
        "This session holds as many actions as it can."]
    assert len(room.state.actions) == p.MAX_ACTIONS
    everything_sent_decodes(room)


def _weighing(per_person: int, per_cause: int, causes: int = 3) -> tuple[Room, list[str]]:
    room = Room()
    room.join("Fran", facilitator=True)
    room.join("Ann")
    accepted(room.send("Fran", p.SetSettings(op=room.op(), dots_per_person=per_person,
                                             dots_per_cause=per_cause)))
    room.send("Fran", p.SetPhase(op=room.op(), phase="why"))
    for n in range(causes):
        room.send("Fran", p.AddCause(op=room.op(), parent=None, text=f"Reason {n}"))
    room.send("Fran", p.SetPhase(op=room.op(), phase="weigh"))
    return room, list(room.state.causes)


@pytest.mark.parametrize("per_cause", [1, 2, p.MAX_DOTS])
def test_the_dots_on_one_cause_stop_exactly_at_the_cap(per_cause: int) -> None:
    room, causes = _weighing(p.MAX_DOTS, per_cause)
    assert refusal(room.send("Ann", p.SetDots(op=room.op(), cause=causes[0], dots=per_cause + 1))) \
        in ("cap", "bad_frame")
    accepted(room.send("Ann", p.SetDots(op=room.op(), cause=causes[0], dots=per_cause)))
    assert room.state.ballots[room.person_id("Ann")].dots == {causes[0]: per_cause}


@pytest.mark.parametrize("per_person", [1, 3, 5])
def test_the_dots_budget_is_spent_exactly(per_person: int) -> None:
    room, causes = _weighing(per_person, 1, causes=per_person + 1)
    for cause in causes[:per_person]:
        accepted(room.send("Ann", p.SetDots(op=room.op(), cause=cause, dots=1)))
    assert room.state.dots_used(room.person_id("Ann")) == per_person
    assert refusal(room.send("Ann", p.SetDots(op=room.op(), cause=causes[-1], dots=1))) == "budget"
    # Moving a dot stays possible: taking one back frees it for another cause.
    accepted(room.send("Ann", p.SetDots(op=room.op(), cause=causes[0], dots=0)))
    accepted(room.send("Ann", p.SetDots(op=room.op(), cause=causes[-1], dots=1)))


def test_the_largest_dots_settings_are_accepted_and_one_more_is_not_a_valid_frame() -> None:
    room, causes = _weighing(p.MAX_DOTS, p.MAX_DOTS)
    assert room.state.settings.dots_per_person == p.MAX_DOTS
    frame = msgspec.json.encode({"type": "set_settings", "op": room.op(),
                                 "dots_per_person": p.MAX_DOTS + 1, "dots_per_cause": 1})
    assert refusal(room.send_raw("Fran", frame)) == "bad_frame"
    frame = msgspec.json.encode({"type": "set_dots", "op": room.op(), "cause": causes[0],
                                 "dots": p.MAX_DOTS + 1})
    assert refusal(room.send_raw("Ann", frame)) == "bad_frame"
    accepted(room.send("Ann", p.SetDots(op=room.op(), cause=causes[0], dots=p.MAX_DOTS)))


def test_an_action_names_at_most_its_limit_of_causes() -> None:
    room = Room()
    room.join("Fran", facilitator=True)
    room.send("Fran", p.SetPhase(op=room.op(), phase="why"))
    for n in range(p.MAX_CAUSES_PER_ACTION + 1):
        room.send("Fran", p.AddCause(op=room.op(), parent=None, text=f"Reason {n}"))
    room.send("Fran", p.SetPhase(op=room.op(), phase="act"))
    causes = list(room.state.causes)
    made = accepted(room.send("Fran", p.AddAction(op=room.op(), text="All of it",
                                                  causes=causes[:p.MAX_CAUSES_PER_ACTION])))
    assert isinstance(made.command, p.AddAction) and len(made.command.causes) == p.MAX_CAUSES_PER_ACTION
    frame = msgspec.json.encode({"type": "add_action", "op": room.op(), "text": "Too many", "causes": causes})
    assert refusal(room.send_raw("Fran", frame)) == "bad_frame"
    everything_sent_decodes(room)
