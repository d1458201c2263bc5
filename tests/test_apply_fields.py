"""Every field of every command changes what everyone sees, and survives a restart.

A whole session is driven through the real server core (`Hub`) with field values drawn
by hypothesis; after each command the state must hold every field the command carried
(an edit that silently dropped `who` or `due` would show the old value), every person's
mirror -- built only from the events they received -- must equal what the server lets
them see, and at the end a fresh hub replayed from the real SQLite journal on disk must
have exactly the same state.
"""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from room import Room, accepted

from whytree.shared import protocol as p
from whytree.shared.views import project

words = st.text(st.characters(categories=["L", "N"], include_characters=" ,.'"), min_size=1, max_size=30) \
    .map(lambda text: " ".join(unicodedata.normalize("NFC", text).split())).filter(bool)
maybe_words = st.one_of(st.just(""), words)


def run(room: Room, who: str, command: p.ClientCommand) -> p.ClientCommand:
    event = accepted(room.send(who, command))
    assert isinstance(event.command, p.Command)
    return event.command  # type: ignore[return-value]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(
    situation=words, mode=st.sampled_from(["problem", "success"]),
    answer=words, edited=words, below=words,
    per_person=st.integers(2, 9), per_cause=st.integers(1, 2), anonymous=st.booleans(),
    dots=st.integers(1, 2), change=st.sampled_from(["we", "others", "no"]),
    action=st.tuples(words, st.sampled_from(["inside", "outside"]), maybe_words),
    action_edit=st.tuples(words, st.sampled_from(["inside", "outside"]), maybe_words),
    agreement=st.tuples(st.booleans(), maybe_words, maybe_words, maybe_words),
    minutes=st.integers(1, 240), locked=st.booleans(),
)
def test_every_field_of_every_command_is_applied_and_replayed(
    situation: str, mode: Any, answer: str, edited: str, below: str, per_person: int,
    per_cause: int, anonymous: bool, dots: int, change: Any, action: tuple[str, Any, str],
    action_edit: tuple[str, Any, str], agreement: tuple[bool, str, str, str], minutes: int,
    locked: bool,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        room = Room(Path(folder))
        room.join("Fran", facilitator=True)
        room.join("Ann")
        room.join("Bob")
        state = room.state
        fran, ann = "Fran", "Ann"
        ann_id, bob_id = room.person_id("Ann"), room.person_id("Bob")

        run(room, fran, p.SetSettings(op=room.op(), dots_per_person=per_person,
                                      dots_per_cause=per_cause, anonymous=anonymous))
        assert (state.settings.dots_per_person, state.settings.dots_per_cause,
                state.settings.anonymous) == (per_person, per_cause, anonymous)
        run(room, fran, p.SetSituation(op=room.op(), text=situation, mode=mode))
        assert (state.situation, state.mode) == (situation, mode)

        run(room, fran, p.SetTimer(op=room.op(), seconds=minutes * 60))
        assert state.timer_ends == room.now + minutes * 60
        run(room, fran, p.SetTimer(op=room.op(), seconds=None))
        assert state.timer_ends is None, "a stopped timer shows no more"
        run(room, fran, p.SetTimer(op=room.op(), seconds=60))
        run(room, ann, p.SetDone(op=room.op(), done=True))
        assert state.people[ann_id].done
        run(room, fran, p.SetPhase(op=room.op(), phase="why"))
        assert state.phase == "why"
        assert state.timer_ends is None, "a new step starts without the old step's timer"
        assert not state.people[ann_id].done, "a new step starts with nobody done"

        added = run(room, ann, p.AddCause(op=room.op(), parent=None, text=answer))
        assert isinstance(added, p.AddCause) and added.id is not None
        cause = added.id
        assert (state.causes[cause].text, state.causes[cause].parent) == (answer, None)
        child = run(room, ann, p.AddCause(op=room.op(), parent=cause, text=below))
        assert isinstance(child, p.AddCause) and child.id is not None
        assert (state.causes[child.id].text, state.causes[child.id].parent) == (below, cause)
        run(room, ann, p.EditCause(op=room.op(), cause=cause, text=edited))
        assert state.causes[cause].text == edited
        other = run(room, fran, p.AddCause(op=room.op(), parent=None, text="Other"))
        assert isinstance(other, p.AddCause) and other.id is not None

        run(room, fran, p.SetPhase(op=room.op(), phase="weigh"))
        dots = min(dots, per_cause)
        run(room, ann, p.SetDots(op=room.op(), cause=cause, dots=dots))
        assert state.voters == 1, "dots alone make a voter"
        run(room, ann, p.SetChange(op=room.op(), cause=cause, answer=change))
        assert state.ballots[ann_id].dots == {cause: dots}
        assert state.ballots[ann_id].change == {cause: change}
        assert state.voters == 1
        run(room, fran, p.RevealVotes(op=room.op(), revealed=True))
        assert state.revealed and state.tally[cause].dots == dots
        assert getattr(state.tally[cause], change) == 1
        run(room, fran, p.RevealVotes(op=room.op(), revealed=False))
        assert not state.revealed and state.tally == {}

        run(room, fran, p.SetPhase(op=room.op(), phase="act"))
        text, by, who = action
        new = run(room, ann, p.AddAction(op=room.op(), text=text, causes=[cause], by=by, who=who))
        assert isinstance(new, p.AddAction) and new.id is not None
        made = state.actions[new.id]
        assert (made.text, made.causes, made.by, made.who) == (text, [cause], by, who)
        text, by, who = action_edit
        run(room, ann, p.EditAction(op=room.op(), action=new.id, text=text, causes=[other.id, cause],
                                    by=by, who=who))
        made = state.actions[new.id]
        assert (made.text, made.causes, made.by, made.who) == (text, [other.id, cause], by, who)
        agreed, first_step, owner, due = agreement
        run(room, fran, p.SetAgreement(op=room.op(), action=new.id, agreed=agreed,
                                       first_step=first_step, owner=owner, due=due))
        assert (made.agreed, made.first_step, made.owner, made.due) == (agreed, first_step, owner, due)
        spare = run(room, fran, p.AddAction(op=room.op(), text="Spare"))
        assert isinstance(spare, p.AddAction) and spare.id is not None
        run(room, fran, p.RemoveAction(op=room.op(), action=spare.id))
        assert spare.id not in state.actions

        run(room, fran, p.MergeCauses(op=room.op(), cause=other.id, into=cause))
        assert other.id not in state.causes and state.actions[new.id].causes == [cause]
        run(room, fran, p.RemoveCause(op=room.op(), cause=child.id))
        assert child.id not in state.causes

        run(room, fran, p.LockRoom(op=room.op(), locked=locked))
        assert state.locked == locked
        run(room, fran, p.RemovePerson(op=room.op(), person=bob_id))
        assert state.people[bob_id].removed and not state.people[bob_id].online
        closed = run(room, fran, p.Close(op=room.op()))
        assert state.phase == "closed" and state.closed_at == room.now
        assert isinstance(closed, p.Close) and closed.closed_at == room.now
        run(room, fran, p.Reopen(op=room.op()))
        assert state.phase == "agree" and state.closed_at is None

        for name in ("Fran", "Ann"):
            seen = project(state, room.person_id(name))
            assert msgspec.to_builtins(room.screen(name)) == msgspec.to_builtins(seen), name
        assert msgspec.to_builtins(room.replayed()) == msgspec.to_builtins(state)
