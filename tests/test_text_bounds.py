"""Cleaning never makes text longer than its bound: every accepted event decodes everywhere.

The server cleans what people type, and cleaning normalises to NFC, which turns a few
characters into two or three (U+FB2C becomes three). An event whose text outgrew its bound
was broadcast, refused by every client's decoder (which then rejoined forever) and left the
journal unreadable. Here every text field the server cleans gets expanding, shrinking and
mixed input: whatever the server accepts must decode with the clients' own decoder and
replay from the journal, and it refuses only what really no longer fits.
"""

from __future__ import annotations

import msgspec
from conftest import CODE, FACILITATOR_KEY, MakeServer
from hypothesis import given, settings
from hypothesis import strategies as st
from netclient import NetClient

from whytree.server.hub import Hub, Send
from whytree.server.records import Record
from whytree.shared import protocol as p
from whytree.shared.model import Session
from whytree.shared.text import clean, fit

EXPANDING = ["\ufb2c", "\ufb2d", "\u0344", "\U0001d15e", "\U0001d160", "\u0958", "\u2adc", "\u0f73"]
"""Characters NFC writes as two or three."""
SHRINKING = ["e\u0301", "A\u030a", "\u1100\u1161", "\u1100\u1161\u11a8", "o\u0308\u0304"]
"""Decomposed sequences NFC writes as one."""
NASTY = ["\x1b[31m", "\u202e", "\t", "  ", "\x00", "\u200d", "\U0001f1eb\U0001f1f7", "\u200b"]

piece = st.one_of(
    st.sampled_from(EXPANDING),
    st.sampled_from(SHRINKING),
    st.sampled_from(NASTY),
    st.characters(exclude_categories=("Cs",)),
)


def text(limit: int) -> st.SearchStrategy[str]:
    """Text a client may send in a field bounded by `limit` (it passes decoding): a mix of
    everything, or mostly characters that grow (near the limit, where it matters)."""
    mixed = st.lists(piece, max_size=limit)
    growing = st.tuples(st.lists(piece, max_size=8),
                        st.lists(st.sampled_from(EXPANDING), min_size=limit // 3, max_size=limit))
    return (mixed | growing.map(lambda parts: parts[0] + parts[1])).map(
        lambda pieces: "".join(pieces)[:limit])


record_decoder = msgspec.json.Decoder(Record)


class Room:
    """The server's core (`Hub`) with two people connected, frames in and out as bytes."""

    def __init__(self, facilitator: str, participant: str) -> None:
        self.hub = Hub(Session(id="s1", title="Bounds"), CODE, FACILITATOR_KEY)
        self.now = 1000.0
        self.frames: list[bytes] = []
        self.records: list[Record] = []
        self.ops = 0
        for conn, join in ((1, p.Join(facilitator_key=FACILITATOR_KEY, name=facilitator)),
                           (2, p.Join(code=CODE, name=participant))):
            self.hub.connect(conn, f"10.0.0.{conn}", self.now)
            self.send(conn, join)

    def send(self, conn: int, frame: p.Frame) -> list[p.ServerFrame]:
        """Send `frame` from `conn`; every frame the server sends back is decoded by the
        clients' own decoder (a `DecodeError` here is the bug)."""
        self.now += 1.0
        out = self.hub.receive(conn, p.encode(frame), self.now)
        self.records += self.hub.take_unsaved()
        sent = [item.data for item in out if isinstance(item, Send)]
        self.frames += sent
        return [p.decode_server_frame(data) for data in sent]

    def do(self, command: p.ClientCommand) -> p.Event | p.Rejected:
        self.ops += 1
        command = msgspec.structs.replace(command, op=f"op-{self.ops}")
        outcome = [frame for frame in self.send(1, command)
                   if isinstance(frame, p.Event | p.Rejected) and frame.op == command.op]
        assert len(outcome) == 1, outcome
        return outcome[0]


def fits(value: str, limit: int, *, may_be_empty: bool = True) -> bool:
    cleaned = clean(value)
    return len(cleaned) <= limit and (may_be_empty or bool(cleaned))


@settings(max_examples=150, deadline=None)
@given(
    names=st.tuples(text(p.MAX_NAME), text(p.MAX_NAME)),
    cause=text(p.MAX_CAUSE_TEXT), edit=text(p.MAX_CAUSE_TEXT),
    action=text(p.MAX_ACTION_TEXT), who=text(p.MAX_SHORT_TEXT),
    plan=st.tuples(text(p.MAX_SHORT_TEXT), text(p.MAX_SHORT_TEXT), text(p.MAX_SHORT_TEXT)),
    situation=text(p.MAX_SITUATION_TEXT),
)
def test_every_accepted_event_decodes_on_every_client_and_replays(
    names: tuple[str, str], cause: str, edit: str, action: str, who: str,
    plan: tuple[str, str, str], situation: str,
) -> None:
    room = Room(*names)
    for person in room.hub.state.people.values():
        assert len(person.name) <= p.MAX_NAME
        assert clean(names[0] if person.role == "facilitator" else names[1]).startswith(person.name)
    assert isinstance(room.do(p.SetPhase(op="-", phase="act")), p.Event)
    base_cause = room.do(p.AddCause(op="-", parent=None, text="Nobody is home"))
    base_action = room.do(p.AddAction(op="-", text="Open the gym"))
    assert isinstance(base_cause, p.Event) and isinstance(base_action, p.Event)
    assert isinstance(base_cause.command, p.AddCause) and isinstance(base_action.command, p.AddAction)
    cause_id, action_id = base_cause.command.id, base_action.command.id
    assert cause_id is not None and action_id is not None

    first_step, owner, due = plan
    tries: list[tuple[p.ClientCommand, bool]] = [
        (p.AddCause(op="-", parent=cause_id, text=cause),
         fits(cause, p.MAX_CAUSE_TEXT, may_be_empty=False)),
        (p.EditCause(op="-", cause=cause_id, text=edit), fits(edit, p.MAX_CAUSE_TEXT, may_be_empty=False)),
        (p.AddAction(op="-", text=action, causes=[cause_id], who=who),
         fits(action, p.MAX_ACTION_TEXT, may_be_empty=False) and fits(who, p.MAX_SHORT_TEXT)),
        (p.EditAction(op="-", action=action_id, text=action, who=who),
         fits(action, p.MAX_ACTION_TEXT, may_be_empty=False) and fits(who, p.MAX_SHORT_TEXT)),
        (p.SetAgreement(op="-", action=action_id, agreed=True, first_step=first_step, owner=owner, due=due),
         all(fits(value, p.MAX_SHORT_TEXT) for value in plan)),
        (p.SetSituation(op="-", text=situation), fits(situation, p.MAX_SITUATION_TEXT)),
    ]
    for command, acceptable in tries:
        outcome = room.do(command)
        # Refused only when the cleaned text really does not fit (or is empty), and then
        # with a sentence a person understands.
        assert isinstance(outcome, p.Event) == acceptable, (command, outcome)
        if isinstance(outcome, p.Rejected):
            assert outcome.reason == "invalid" and outcome.message

    # The journal's records decode, and replaying them rebuilds the same session.
    replayed = Hub(Session(id="s1", title="Bounds"), CODE, FACILITATOR_KEY)
    for record in room.records:
        replayed.replay(record_decoder.decode(msgspec.json.encode(record)))
    assert msgspec.to_builtins(replayed.state) == msgspec.to_builtins(room.hub.state)


@given(st.lists(piece, max_size=200).map("".join), st.integers(1, 120))
def test_fit_cuts_within_the_limit_and_between_characters(value: str, limit: int) -> None:
    value = clean(value)
    cut = fit(value, limit)
    assert len(cut) <= limit
    assert value.startswith(cut.rstrip())
    if len(value) <= limit:
        assert cut == value


def test_fit_keeps_letters_with_their_accents_and_flags_whole() -> None:
    assert fit("Zo\u0308e\u0301", 4) == "Zo\u0308"  # never "Zoë" without the accent of "é"
    assert fit("\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea", 3) == "\U0001f1eb\U0001f1f7"
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467"
    assert fit("Ana " + family, 8) == "Ana"


async def test_a_cause_that_grows_when_cleaned_cannot_break_the_session(make_server: MakeServer) -> None:
    """The reported attack: 280 × U+FB2C (840 characters once NFC-normalised)."""
    server = await make_server()
    fac, ben = NetClient(server.local_url), NetClient(server.local_url)
    try:
        await fac.join(facilitator_key=FACILITATOR_KEY, name="Ana")
        # A name that grows too is cut to fit, between letters; everyone still decodes it.
        await ben.join(code=CODE, name="\ufb2c" * p.MAX_NAME)
        assert ben.mirror.me is not None
        assert ben.mirror.me.name == "\u05e9\u05bc\u05c1" * (p.MAX_NAME // 3)
        await fac.ok(p.SetPhase(op="-", phase="why"))

        refused = await ben.do(p.AddCause(op="-", parent=None, text="\ufb2c" * p.MAX_CAUSE_TEXT))
        assert isinstance(refused, p.Rejected) and refused.reason == "invalid"
        assert "too long" in refused.message

        # Both people keep working: the next answers reach everyone.
        fits_exactly = "\ufb2c" * (p.MAX_CAUSE_TEXT // 3)
        event = await ben.ok(p.AddCause(op="-", parent=None, text=fits_exactly))
        last = await fac.ok(p.AddCause(op="-", parent=None, text="No bus after six"))
        await ben.catch_up(last.seq)
        await fac.catch_up(last.seq)
        texts = [cause.text for cause in fac.state.causes.values()]
        assert texts == [clean(fits_exactly), "No bus after six"]
        assert [cause.text for cause in ben.state.causes.values()] == texts
        assert event.seq < last.seq
    finally:
        await fac.close()
        await ben.close()

    # The journal replays after a restart, with every acknowledged answer.
    await server.stop()
    again = await make_server(port=server.port)
    assert [cause.text for cause in again.state.causes.values()] == texts
    assert again.state.seq >= last.seq
    cid = NetClient(again.local_url)
    try:
        await cid.join(code=CODE, name="Cid")
        assert [cause.text for cause in cid.state.causes.values()] == texts
    finally:
        await cid.close()
