"""A person's own screen before the server answers: the client's mirror (`shared.mirror`).

Each test puts laptops (a `Mirror` each) around the real server core (`Hub`) with a link
that can drop, and checks what the person would see: a vote shows at once, counts every
key press, survives a dropped link and a reconnect, and falls back to what the server
holds when it refuses; a frame that arrives twice changes nothing; a batch of frames is
shown once. Fast: no sockets, no processes, no Textual.
"""

from __future__ import annotations

import itertools
from typing import Any

import msgspec
import pytest

from whytree.server.hub import Hub, Send
from whytree.shared import protocol as p
from whytree.shared.mirror import Mirror, Received, ResyncNeeded
from whytree.shared.model import Session

CODE = "123456"
KEY = "mirror-facilitator-key"


class Host:
    """The server core, and the laptops joined to it (by connection)."""

    def __init__(self) -> None:
        self.hub = Hub(Session(id="s1", title="Mirror"), CODE, KEY)
        self.now = 1000.0
        self.step = 0.5
        """Seconds between two frames (0: a burst, all at once)."""
        self.laptops: dict[int, Laptop] = {}
        self._conns = itertools.count(1)

    def open(self, laptop: Laptop) -> int:
        conn = next(self._conns)
        self.laptops[conn] = laptop
        self.hub.connect(conn, f"10.0.0.{conn}", self.now)
        return conn

    def feed(self, conn: int, data: bytes) -> None:
        self.now += self.step
        outputs = self.hub.receive(conn, data, self.now)
        self.hub.take_unsaved()
        for output in outputs:
            if isinstance(output, Send):
                for to in output.to:
                    if to in self.laptops:
                        self.laptops[to].inbox.append(output.data)


class Laptop:
    """One person's client: a mirror, the frames waiting for it, and its link."""

    def __init__(self, host: Host, name: str, *, facilitator: bool = False, viewer: bool = False) -> None:
        self.host, self.name, self.facilitator, self.viewer = host, name, facilitator, viewer
        self.mirror = Mirror()
        self.inbox: list[bytes] = []
        self.conn: int | None = None
        self.connect()

    def connect(self) -> None:
        """Join (again), take the welcome, and send what is still waiting, as the TUI does."""
        self.conn = self.host.open(self)
        join = self.mirror.join_frame(
            code=None if self.facilitator else CODE,
            facilitator_key=KEY if self.facilitator else None,
            name=self.name, role="viewer" if self.viewer else "participant")
        self.host.feed(self.conn, join)
        self.take()
        for frame in self.mirror.pending_frames():
            self.host.feed(self.conn, frame)

    def drop(self) -> None:
        """The Wi-Fi goes: nothing more arrives, nothing leaves."""
        assert self.conn is not None
        self.host.hub.disconnect(self.conn)
        del self.host.laptops[self.conn]
        self.conn, self.inbox = None, []

    def press(self, kind: type[p.ClientCommand], **fields: Any) -> str:
        """What a key press does: a command into the outbox, sent now if the link is up."""
        command = kind(op=self.mirror.new_op(), **fields)
        data = self.mirror.command(command)
        if self.conn is not None:
            self.host.feed(self.conn, data)
        return command.op

    def take(self, local_time: float | None = None) -> Received | None:
        """Take every frame that arrived, as one batch."""
        result = None
        for data in self.inbox:
            received = self.mirror.receive(data, self.host.now if local_time is None else local_time)
            result = received if result is None else result.then(received)
        self.inbox = []
        return result

    @property
    def me(self) -> str:
        assert self.mirror.me is not None
        return self.mirror.me.id

    @property
    def state(self) -> Session:
        assert self.mirror.state is not None
        return self.mirror.state


def weighing() -> tuple[Host, Laptop, Laptop, list[str]]:
    """A facilitator and Ann, two answers, in the weigh step."""
    host = Host()
    fac = Laptop(host, "Fran", facilitator=True)
    ann = Laptop(host, "Ann")
    fac.press(p.AddCause, parent=None, text="No buses after six")
    fac.press(p.AddCause, parent=None, text="Parents work late")
    fac.press(p.SetPhase, phase="weigh")
    fac.take()
    ann.take()
    return host, fac, ann, list(ann.state.causes)


def test_every_dot_pressed_shows_at_once_before_the_server_answers() -> None:
    _, _, ann, (buses, _) = weighing()
    ann.press(p.SetDots, cause=buses, dots=1)
    ann.press(p.SetDots, cause=buses, dots=2)
    # Nothing has come back yet: the screen counts both presses all the same.
    assert ann.mirror.my_ballot().dots == {buses: 2}
    ahead = ann.mirror.ahead()
    assert ahead is not None and ahead.dots_used(ann.me) == 2
    assert ann.me not in ann.state.ballots, "the mirrored state waits for the server"

    ann.take()
    assert ann.mirror.outbox == {}
    assert ann.state.ballots[ann.me].dots == {buses: 2}
    assert ann.mirror.ahead() is ann.mirror.state


def test_taking_dots_back_shows_at_once_and_leaves_the_servers_ballot_alone() -> None:
    _, _, ann, (buses, parents) = weighing()
    ann.press(p.SetDots, cause=buses, dots=2)
    ann.press(p.SetChange, cause=parents, answer="we")
    ann.take()
    ann.press(p.SetDots, cause=buses, dots=1)
    ann.press(p.SetDots, cause=buses, dots=0)
    ann.press(p.SetChange, cause=parents, answer=None)
    assert ann.mirror.my_ballot().dots == {}
    assert ann.mirror.my_ballot().change == {}
    ahead = ann.mirror.ahead()
    assert ahead is not None and ann.me not in ahead.ballots, "nothing left: no ballot on screen"
    # What the server has said stays as it said it until it answers.
    assert ann.state.ballots[ann.me].dots == {buses: 2}
    assert ann.state.ballots[ann.me].change == {parents: "we"}

    ann.take()
    assert ann.me not in ann.state.ballots


def test_a_changed_answer_shows_the_newest_choice() -> None:
    _, _, ann, (buses, _) = weighing()
    ann.press(p.SetChange, cause=buses, answer="we")
    ann.take()
    ann.press(p.SetChange, cause=buses, answer="others")
    assert ann.mirror.my_ballot().change == {buses: "others"}
    assert ann.state.ballots[ann.me].change == {buses: "we"}
    ahead = ann.mirror.ahead()
    assert ahead is not None and ahead.ballots[ann.me].change == {buses: "others"}


def test_a_vote_made_while_the_link_is_down_survives_the_reconnect() -> None:
    host, fac, ann, (buses, parents) = weighing()
    me, token = ann.me, ann.mirror.token
    ann.press(p.SetDots, cause=buses, dots=1)
    ann.take()
    ann.drop()
    ann.press(p.SetDots, cause=parents, dots=2)
    ann.press(p.SetChange, cause=buses, answer="no")
    assert ann.mirror.my_ballot().dots == {buses: 1, parents: 2}, "shown at once, offline too"

    join = msgspec.json.decode(ann.mirror.join_frame(code=CODE, name="Ann"))
    assert (join["token"], join["since"]) == (token, ann.state.seq), "back as the same person"
    ann.connect()
    ann.take()
    assert ann.me == me
    assert ann.mirror.outbox == {}
    assert host.hub.state.ballots[me].dots == {buses: 1, parents: 2}
    assert host.hub.state.ballots[me].change == {buses: "no"}
    assert ann.state.ballots[me] == host.hub.state.ballots[me]
    fac.take()
    assert fac.state.voters == 1


def test_a_refused_vote_leaves_the_screen_showing_what_the_server_holds() -> None:
    _, _, ann, (buses, _) = weighing()
    ann.press(p.SetDots, cause=buses, dots=2)
    ann.take()
    ann.press(p.SetDots, cause=buses, dots=3)  # over the cap of 2 on one cause
    assert ann.mirror.my_ballot().dots == {buses: 3}
    result = ann.take()
    assert result is not None and result.rejected is not None and result.rejected.reason == "cap"
    assert ann.mirror.outbox == {}
    assert ann.mirror.my_ballot().dots == {buses: 2}


def test_a_command_the_host_cannot_take_yet_stays_to_be_sent_again() -> None:
    host, fac, _, _ = weighing()
    host.step = 0.0  # a long queue of offline changes, sent at once
    ops = [fac.press(p.LockRoom, locked=locked) for locked in [True, False] * 30]
    result = fac.take()
    assert result is not None and result.rejected is not None and result.rejected.reason == "busy"
    waiting = [op for op in ops if op in fac.mirror.outbox]
    assert waiting, "the refused commands wait in the outbox"
    retry = fac.mirror.retry_frame(waiting[0])
    assert retry is not None and msgspec.json.decode(retry)["op"] == waiting[0]
    assert fac.mirror.retry_frame(ops[0]) is None, "an answered command is not sent again"
    host.now, host.step = host.now + 60.0, 0.5
    assert fac.conn is not None
    for op in waiting:
        frame = fac.mirror.retry_frame(op)
        assert frame is not None
        host.feed(fac.conn, frame)
    fac.take()
    assert fac.mirror.outbox == {}
    assert fac.state.locked is False


def test_an_event_that_arrives_twice_is_applied_once() -> None:
    _, fac, ann, (buses, _) = weighing()
    ann.press(p.SetDots, cause=buses, dots=1)
    [event] = ann.inbox
    ann.inbox.append(event)
    result = ann.take()
    assert result is not None and len(result.applied) == 1
    assert ann.state.ballots[ann.me].dots == {buses: 1}
    assert ann.mirror.receive(event, 0.0).applied == []
    fac.take()
    assert fac.state.voters == 1


def test_a_missing_event_asks_for_a_rejoin() -> None:
    _, fac, ann, (buses, parents) = weighing()
    ann.press(p.SetDots, cause=buses, dots=1)
    ann.press(p.SetDots, cause=parents, dots=1)
    first, second = ann.inbox
    with pytest.raises(ResyncNeeded):
        ann.mirror.receive(second, 0.0)
    assert ann.me not in ann.state.ballots
    ann.mirror.receive(first, 0.0)
    ann.mirror.receive(second, 0.0)
    assert ann.state.ballots[ann.me].dots == {buses: 1, parents: 1}


def test_a_welcome_without_the_state_is_a_rejoin_for_a_screen_that_had_none() -> None:
    host, _, ann, _ = weighing()
    welcome = p.Welcome(you=ann.state.people[ann.me], token="t", seq=ann.state.seq, state=None,
                        server_time=host.now)
    with pytest.raises(ResyncNeeded):
        Mirror().receive(p.encode(welcome), host.now)
    before = ann.state
    result = ann.mirror.receive(p.encode(welcome), host.now)
    assert ann.mirror.state is before and not result.fresh_state, "kept, and the events follow"


def test_the_timer_follows_the_hosts_clock() -> None:
    host = Host()
    fac = Laptop(host, "Fran", facilitator=True)
    assert fac.mirror.server_offset == 0.0
    fac.drop()
    fac.mirror.join_frame(facilitator_key=KEY)
    fac.conn = host.open(fac)
    host.feed(fac.conn, fac.mirror.join_frame(facilitator_key=KEY, name="Fran"))
    fac.take(local_time=host.now - 90.0)  # this laptop's clock is 90 seconds slow
    assert fac.mirror.server_offset == 90.0


def test_i_am_done_and_the_lock_show_at_once() -> None:
    _, fac, ann, _ = weighing()
    ann.drop()
    ann.press(p.SetDone, done=True)
    me = ann.mirror.me_ahead()
    assert me is not None and me.done
    ahead = ann.mirror.ahead()
    assert ahead is not None and ahead.people[ann.me].done
    assert not ann.state.people[ann.me].done
    ann.connect()
    ann.take()
    assert ann.mirror.me is not None and ann.mirror.me.done, "the server's answer updates me"

    fac.take()
    fac.drop()
    fac.press(p.LockRoom, locked=True)
    locked = fac.mirror.ahead()
    assert locked is not None and locked.locked and not fac.state.locked
    fac.press(p.LockRoom, locked=False)
    unlocked = fac.mirror.ahead()
    assert unlocked is not None and not unlocked.locked, "the newest press counts"


def test_nothing_waiting_shows_the_state_as_it_is() -> None:
    _, _, ann, _ = weighing()
    assert ann.mirror.ahead() is ann.mirror.state
    assert ann.mirror.me_ahead() is ann.mirror.me
    assert Mirror().ahead() is None and Mirror().me_ahead() is None
    assert Mirror().my_ballot().is_empty()


def test_a_first_join_is_new_and_a_viewer_joins_as_a_viewer() -> None:
    first = msgspec.json.decode(Mirror().join_frame(code=CODE, name="Ann"))
    assert first == {"type": "join", "code": CODE, "facilitator_key": None, "name": "Ann",
                     "role": "participant", "token": None, "since": None}
    host = Host()
    projector = Laptop(host, "Wall", viewer=True)
    assert projector.mirror.me is not None and projector.mirror.me.role == "viewer"
    boss = Laptop(host, "Fran", facilitator=True)
    assert boss.mirror.me is not None and boss.mirror.me.role == "facilitator"
    odd = msgspec.json.decode(Mirror().join_frame(code=CODE, role="facilitator"))
    assert odd["role"] == "participant", "only the key makes a facilitator"


def test_ops_are_unique_per_laptop_and_across_laptops() -> None:
    one, two = Mirror(), Mirror()
    ops = [one.new_op() for _ in range(3)] + [two.new_op() for _ in range(3)]
    assert len(set(ops)) == 6
    assert all(msgspec.json.decode(p.encode(p.SetDone(op=op, done=True)), type=p.SetDone).op == op
               for op in ops)


def test_a_batch_of_frames_is_shown_once_with_all_it_did() -> None:
    host, fac, ann, (buses, parents) = weighing()
    ann.press(p.SetDots, cause=buses, dots=1)
    ann.press(p.SetDots, cause=parents, dots=3)  # refused: over the cap
    ann.press(p.SetDots, cause=parents, dots=1)
    result = ann.take()
    assert result is not None and not result.fresh_state
    assert [type(e.command) for e in result.applied] == [p.SetDots, p.SetDots]
    assert result.rejected is not None and result.rejected.reason == "cap", "kept to show"
    assert isinstance(result.frame, p.Event) and result.frame.seq == ann.state.seq

    # A reconnect that brings a whole new state: the events before it are forgotten.
    fac.press(p.AddCause, parent=None, text="No money for clubs")
    fac.take()
    events = list(ann.inbox)
    ann.inbox = []
    first = p.decode_server_frame(events[0])
    assert isinstance(first, p.Event)
    before = Received(first, applied=[first])
    ann.drop()
    ann.mirror.state = None
    ann.connect()
    welcome = ann.mirror.receive(p.encode(p.Welcome(
        you=ann.state.people[ann.me], token="t", seq=ann.state.seq, state=ann.state,
        server_time=host.now)), host.now)
    both = before.then(welcome)
    assert both.fresh_state and both.applied == []
    assert before.then(Received(welcome.frame)).applied == before.applied
    assert Received(welcome.frame, fresh_state=True).then(before).fresh_state


def test_a_copy_of_the_state_is_the_readers_own() -> None:
    _, _, ann, (buses, _) = weighing()
    assert Mirror().copy_state() is None
    copy = ann.mirror.copy_state()
    assert copy is not None and copy == ann.state
    copy.causes[buses].text = "changed"
    assert ann.state.causes[buses].text == "No buses after six"


def test_joining_without_a_name_is_joining_anonymously() -> None:
    join = msgspec.json.decode(Mirror().join_frame(code=CODE))
    assert join["name"] == "" and join["role"] == "participant"


def test_a_dot_on_its_way_keeps_my_answers_to_can_it_change_on_screen() -> None:
    _, _, ann, (buses, parents) = weighing()
    ann.press(p.SetChange, cause=buses, answer="others")
    ann.take()
    ann.press(p.SetDots, cause=parents, dots=1)
    assert ann.mirror.my_ballot().change == {buses: "others"}
    assert ann.mirror.my_ballot().dots == {parents: 1}


def test_taking_back_what_was_never_given_changes_nothing() -> None:
    _, _, ann, (buses, parents) = weighing()
    ann.press(p.SetDots, cause=buses, dots=0)
    ann.press(p.SetChange, cause=parents, answer=None)
    assert ann.mirror.my_ballot().is_empty()
    ann.take()
    assert ann.mirror.outbox == {} and ann.me not in ann.state.ballots


def test_a_refusal_that_arrives_twice_changes_nothing() -> None:
    host, _, ann, (buses, _) = weighing()
    ann.press(p.SetDots, cause=buses, dots=3)  # over the cap
    [frame] = ann.mirror.pending_frames()
    assert ann.conn is not None
    host.feed(ann.conn, frame)  # sent again, say after a reconnect, and refused again
    result = ann.take()
    assert result is not None and result.rejected is not None and result.rejected.reason == "cap"
    assert ann.mirror.outbox == {} and ann.me not in ann.state.ballots


def test_a_screen_that_lost_its_copy_of_the_session_shows_no_votes_until_it_rejoins() -> None:
    """The app forgets a copy that an event did not fit (`mirror.state = None`) and rejoins;
    meanwhile the screen still asks about the votes."""
    _, _, ann, (buses, _) = weighing()
    ann.press(p.SetDots, cause=buses, dots=1)
    ann.mirror.state = None
    assert ann.mirror.my_ballot().dots == {buses: 1}
    assert ann.mirror.ahead() is None
    lost, me = Mirror(), ann.mirror.me
    assert me is not None
    welcome = p.Welcome(you=me, token="t", seq=5, state=None, server_time=0.0)
    with pytest.raises(ResyncNeeded):
        lost.receive(p.encode(welcome), 0.0)
    lost.command(p.SetDots(op=lost.new_op(), cause=buses, dots=2))
    assert lost.ahead() is None
    assert lost.my_ballot().dots == {buses: 2}


def test_back_from_a_drop_the_screen_waits_until_every_missed_event_is_in() -> None:
    """A laptop back from a drop hears the welcome, then the events it missed: it says it is
    catching up until the last of them is in (the app shows them all at once, then), and a
    later join with a whole state is not catching up."""
    host, fac, ann, _ = weighing()
    ann.drop()
    for text in ("No buses on Sunday", "The shop closes at five", "Nobody asked the school"):
        fac.press(p.AddCause, parent=None, text=text)
    ann.conn = host.open(ann)
    host.feed(ann.conn, ann.mirror.join_frame(code=CODE, name="Ann"))
    welcome, *missed = ann.inbox
    ann.inbox = []
    assert len(missed) >= 3
    assert not ann.mirror.catching_up
    ann.mirror.receive(welcome, host.now)
    assert ann.mirror.catching_up, "the welcome says how far the session has gone"
    for data in missed[:-1]:
        ann.mirror.receive(data, host.now)
        assert ann.mirror.catching_up
    ann.mirror.receive(missed[-1], host.now)
    assert not ann.mirror.catching_up
    assert ann.state.seq == host.hub.state.seq
    assert "Nobody asked the school" in {cause.text for cause in ann.state.causes.values()}

    ben = Laptop(host, "Ben")  # joins with no copy: the whole state comes, nothing to catch up
    assert ben.mirror.state is not None and not ben.mirror.catching_up
