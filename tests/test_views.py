"""What each person's screen may show: hidden votes stay hidden, anonymous stays anonymous.

Through the real server core, for every frame each person received: before the reveal
nobody learns anyone else's votes (only how many people voted); in an anonymous session
nobody learns who wrote what or anyone else's name, not from `by`, `op`, an author or a
name; in a named session everyone sees who wrote what. And each person's screen, built
from their own frames, is exactly the server's state as they may see it.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from room import Room, accepted

from whytree.shared import protocol as p
from whytree.shared.views import HIDDEN_OP, project


def frames_to(room: Room, name: str) -> list[Any]:
    return [json.loads(data) for data in room.inbox[room.people[name]]]


def session(anonymous: bool) -> tuple[Room, str]:
    room = Room()
    room.join("Fran", facilitator=True)
    room.join("Ann")
    room.join("Bob")
    if anonymous:
        accepted(room.send("Fran", p.SetSettings(op=room.op(), anonymous=True)))
    room.send("Fran", p.SetPhase(op=room.op(), phase="why"))
    added = accepted(room.send("Ann", p.AddCause(op=room.op(), parent=None, text="No bus")))
    assert isinstance(added.command, p.AddCause) and added.command.id is not None
    return room, added.command.id


def screens_match(room: Room) -> None:
    for name in room.people:
        seen = project(room.state, room.person_id(name))
        assert msgspec.to_builtins(room.screen(name)) == msgspec.to_builtins(seen), name


def test_nobody_sees_another_person_s_votes_before_the_reveal() -> None:
    room, cause = session(anonymous=False)
    room.send("Fran", p.SetPhase(op=room.op(), phase="weigh"))
    mark = {name: len(room.inbox[conn]) for name, conn in room.people.items()}
    accepted(room.send("Ann", p.SetDots(op=room.op(), cause=cause, dots=2)))
    accepted(room.send("Ann", p.SetChange(op=room.op(), cause=cause, answer="no")))
    for name in ("Bob", "Fran"):
        news = frames_to(room, name)[mark[name]:]
        assert [frame["command"] for frame in news] == [{"type": "votes_cast", "voters": 1}] * 2, name
        assert all(frame["by"] is None and frame["op"] is None for frame in news)
    ann_news = frames_to(room, "Ann")[mark["Ann"]:]
    assert [frame["command"]["type"] for frame in ann_news] == ["set_dots", "set_change"]
    ann = room.person_id("Ann")
    assert room.screen("Bob").ballots == {} and room.screen("Bob").voters == 1
    assert room.screen("Ann").ballots[ann].dots == {cause: 2}
    screens_match(room)

    accepted(room.send("Fran", p.RevealVotes(op=room.op(), revealed=True)))
    tally = room.screen("Bob").tally[cause]
    assert (tally.dots, tally.no) == (2, 1)
    assert room.screen("Bob").ballots == {}, "the reveal carries the totals, never a ballot"
    screens_match(room)


def test_an_anonymous_session_tells_nobody_who_wrote_what() -> None:
    room, cause = session(anonymous=True)
    room.send("Fran", p.SetPhase(op=room.op(), phase="act"))
    accepted(room.send("Ann", p.AddAction(op=room.op(), text="Ask the city", causes=[cause])))
    accepted(room.send("Ann", p.SetDone(op=room.op(), done=True)))
    ann = room.person_id("Ann")
    for name in ("Bob", "Fran"):
        screen = room.screen(name)
        assert screen.causes[cause].author is None and all(a.author is None for a in screen.actions.values())
        assert screen.people[ann].name == "", f"{name} learnt Ann's name"
        own = room.person_id(name)
        for frame in frames_to(room, name):
            if frame["type"] == "event" and frame["by"] != own:  # each knows their own
                assert frame["by"] is None and frame["op"] is None
                assert frame["command"].get("op") in (None, HIDDEN_OP), frame
        frames = frames_to(room, name)
        turned_on = next(i for i, frame in enumerate(frames)
                         if frame["type"] == "event" and frame["command"]["type"] == "set_settings")
        assert "Ann" not in json.dumps(frames[turned_on:]), "a name sent once anonymity was on"
    mine = room.screen("Ann")
    assert mine.causes[cause].author == ann and mine.people[ann].name == "Ann"
    room.join("Carl")
    assert room.screen("Bob").people[room.person_id("Carl")].name == ""
    screens_match(room)


def test_a_named_session_shows_who_wrote_what() -> None:
    room, cause = session(anonymous=False)
    ann = room.person_id("Ann")
    screen = room.screen("Bob")
    assert screen.causes[cause].author == ann and screen.people[ann].name == "Ann"
    last = frames_to(room, "Bob")[-1]
    assert last["by"] == ann and last["op"] is None
    screens_match(room)


@pytest.mark.parametrize("anonymous", [True, False])
def test_turning_anonymity_on_or_off_changes_the_names_on_every_screen(anonymous: bool) -> None:
    room = Room()
    room.join("Fran", facilitator=True)
    room.join("Ann")
    room.join("Bob")
    if not anonymous:
        accepted(room.send("Fran", p.SetSettings(op=room.op(), anonymous=True)))
    accepted(room.send("Fran", p.SetSettings(op=room.op(), anonymous=anonymous)))
    ann = room.person_id("Ann")
    assert room.screen("Bob").people[ann].name == ("" if anonymous else "Ann")
    assert room.screen("Ann").people[ann].name == "Ann"
    screens_match(room)


def test_taking_back_one_vote_of_several_still_counts_the_person_as_a_voter() -> None:
    room = Room()
    room.join("Fran", facilitator=True)
    room.join("Ann")
    room.join("Bob")
    room.send("Fran", p.SetPhase(op=room.op(), phase="why"))
    causes = [accepted(room.send("Fran", p.AddCause(op=room.op(), parent=None, text=f"R{n}"))).command
              for n in range(3)]
    first, second, third = (c.id for c in causes if isinstance(c, p.AddCause))
    room.send("Fran", p.SetPhase(op=room.op(), phase="weigh"))
    for cause in (first, second):
        accepted(room.send("Ann", p.SetDots(op=room.op(), cause=cause, dots=1)))
    accepted(room.send("Bob", p.SetChange(op=room.op(), cause=first, answer="no")))  # Bob's first vote
    assert room.screen("Bob").voters == 2 and room.screen("Ann").voters == 2
    accepted(room.send("Bob", p.SetChange(op=room.op(), cause=first, answer=None)))
    steps = [p.SetDots(op=room.op(), cause=first, dots=0),  # a dot left on the second
             p.SetDots(op=room.op(), cause=third, dots=0),  # none there: nothing to take back
             p.SetChange(op=room.op(), cause=third, answer="we"),
             p.SetChange(op=room.op(), cause=third, answer=None)]  # still that dot
    for command in steps:
        accepted(room.send("Ann", command))
        assert room.screen("Bob").voters == 1 and room.screen("Ann").voters == 1, "Ann still has a vote"
    assert room.screen("Ann").ballots[room.person_id("Ann")].change == {}, "the answer was taken back"
    accepted(room.send("Ann", p.SetDots(op=room.op(), cause=second, dots=0)))
    assert room.screen("Bob").voters == 0 and room.state.ballots == {}
    screens_match(room)
