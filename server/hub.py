"""The server's session logic without I/O: frames in, frames out.

`Hub` holds the authoritative session. The network layer (`server.app`) feeds it what each
connection sends (`connect`, `receive`, `disconnect`) and carries out what it returns:
`Send` (bytes to one or more connections) and `Disconnect`. It never touches a socket, a
clock or a disk itself -- time comes in as an argument and journal records go out through
`take_unsaved()` -- so tests can drive it with simulated clients and a fake link, and the
same code runs in production.

The path of one command: decode (bounded Structs) -> who sent it (from the connection,
never from the frame) -> flood limit -> retry of a known `op`? (answer as before) ->
`rules.decide` -> `Event` with the next `seq` -> `apply` -> journal record -> one encoded
frame per audience (`views.redact`; usually one for the author and one for everyone else)
sent to every joined connection. The network layer makes the records durable before it
sends any of the frames.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import secrets
from collections import OrderedDict, deque
from dataclasses import dataclass, field

import msgspec

from whytree.shared import protocol as p
from whytree.shared.apply import apply
from whytree.shared.model import Person, Role, Session
from whytree.shared.rules import Refusal, decide
from whytree.shared.text import clean, fit
from whytree.shared.views import project, redact

ConnId = int

CODE_DIGITS = 6
"""Join codes are digits, easy to read aloud: `482 913`."""

# Guessing the code: each address gets a few wrong tries per minute; the whole server a
# few dozen per ten minutes. With 10**6 codes that leaves a guesser well under a 1%
# chance in a two-hour session, while someone who mistyped once just tries again.
WRONG_PER_ADDRESS = (5, 60.0)
WRONG_OVERALL = (30, 600.0)
MAX_THROTTLED_ADDRESSES = 1024
"""Addresses remembered for throttling before those with no recent wrong code are dropped."""

# A person's command rate: a burst of 40, then 20 a second. A facilitator clicking fast or
# a queue of offline commands resent after a rejoin fits; a flood does not.
COMMAND_BURST = 40.0
COMMAND_RATE = 20.0

# Presence (who is connected) is published in batches, at a tick every PRESENCE_EVERY
# seconds (`publish_presence`), once a change has held for PRESENCE_SETTLE seconds; only
# the net change is journaled. So a phone that drops and reconnects every second costs
# nothing, and in an anonymous session the moment somebody comes back is not tied to the
# commands their client resends right after its `welcome` (those go out first).
PRESENCE_EVERY = 1.0
PRESENCE_SETTLE = 3.0

OPENED_ELSEWHERE = ("This session was opened on another screen (the same person joined again), "
                    "so this screen stopped following it.")

RESUME_WINDOW = 5000
"""How many recent events are kept in memory to resume a client from its `since`."""
REMEMBERED_REJECTIONS = 2000


@dataclass
class Send:
    """Send `data` (one encoded frame) to each of `to`."""

    to: list[ConnId]
    data: bytes


@dataclass
class Disconnect:
    """Close `conn` with a websocket close code and a short reason."""

    conn: ConnId
    code: int
    reason: str


Output = Send | Disconnect

CLOSE_POLICY = 1008
CLOSE_TRY_AGAIN = 1013


class Record(msgspec.Struct, kw_only=True):
    """One journal entry: an accepted event with the digest of the command as its author
    sent it (to recognise a retry); or a token: the hash of a token that lets `person`
    come back as themselves."""

    event: p.Event | None = None
    digest: str = ""
    token_hash: str = ""
    person: str = ""


@dataclass
class _Conn:
    address: str
    person: str | None = None
    token_hash: str = ""
    """The hash of the token this connection joined with: one screen per token."""
    tokens: float = COMMAND_BURST
    last_refill: float = 0.0


@dataclass
class _Throttle:
    """Sliding-window counter of failures."""

    limit: int
    window: float
    times: deque[float] = field(default_factory=deque)

    def blocked(self, now: float) -> bool:
        while self.times and self.times[0] <= now - self.window:
            self.times.popleft()
        return len(self.times) >= self.limit

    def add(self, now: float) -> None:
        self.times.append(now)


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def new_key() -> str:
    return secrets.token_urlsafe(12)


def normalize_code(code: str) -> str:
    """What people type for a code, without the spaces and dashes they add."""
    return "".join(ch for ch in code if ch.isalnum()).upper()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def digest(command: p.ClientCommand) -> str:
    return hashlib.sha256(p.encode(command)).hexdigest()[:32]


class Hub:
    """One session and everyone connected to it."""

    def __init__(self, state: Session, code: str, facilitator_key: str) -> None:
        self.state = state
        self.code = normalize_code(code)
        self.facilitator_key = facilitator_key
        self.conns: dict[ConnId, _Conn] = {}
        self.tokens: dict[str, str] = {}
        """Token hash -> person id."""
        self.accepted: dict[tuple[str, str], tuple[str, int]] = {}
        """(person, op) -> (digest, seq) of every accepted command."""
        self.rejections: OrderedDict[tuple[str, str], tuple[str, bytes]] = OrderedDict()
        self.recent: deque[p.Event] = deque(maxlen=RESUME_WINDOW)
        self.unsaved: list[Record] = []
        self.storage_error: str | None = None
        """Set by the network layer when the journal cannot be written: changes stop."""
        self._wrong_by_address: dict[str, _Throttle] = {}
        self._wrong_overall = _Throttle(*WRONG_OVERALL)
        self._anonymity: list[tuple[int, bool]] = [(0, state.settings.anonymous)]
        """(seq, anonymous) at every event that changed anonymity, in order."""
        self._presence_since: dict[str, float] = {}
        """Person -> when a change of their presence was first seen, until published."""

    # --- restoring from the journal -----------------------------------------------------

    def replay(self, record: Record) -> None:
        """Apply one journal record (at start-up), rebuilding everything it implies."""
        if record.token_hash:
            self.tokens[record.token_hash] = record.person
        event = record.event
        if event is None:
            return
        self._apply(event)
        if event.by is not None and event.op is not None and record.digest:
            self.accepted[(event.by, event.op)] = (record.digest, event.seq)

    def roll_back(self, journaled: Hub, reason: str) -> None:
        """The journal could not be written: become `journaled` (a hub rebuilt from what the
        journal holds), keep the connections, and take no changes until `storage_error`
        is cleared. Nothing unsaved was sent, so every client already agrees."""
        self.state, self.tokens, self.accepted = journaled.state, journaled.tokens, journaled.accepted
        self.recent, self.unsaved = journaled.recent, []
        self._anonymity = journaled._anonymity
        self.rejections.clear()
        for conn in self.conns.values():
            if conn.person is not None and conn.person not in self.state.people:
                conn.person = None  # joined in the lost turn: must join again
        self.storage_error = reason

    def begin(self, *, anonymous: bool) -> None:
        """A new session's settings from the command line, journaled as its first event
        so that a restarted host resumes them (the initial state is not in the journal)."""
        settings = self.state.settings
        if anonymous != settings.anonymous:
            self._commit(None, None, p.SetSettings(
                op="host", dots_per_person=settings.dots_per_person,
                dots_per_cause=settings.dots_per_cause, anonymous=anonymous))

    def resume(self) -> None:
        """After replaying the journal at start-up: nobody is connected yet, so whoever the
        journal last saw online is offline until they come back (journaled presence)."""
        self.all_away()

    def all_away(self) -> None:
        """Nobody is connected (a start, or a stop): journal whoever shows online as away,
        at once."""
        for person in list(self.state.people.values()):
            if person.online:
                self._commit(None, None, p.Presence(person=person.id, online=False))
        self._presence_since.clear()

    def take_unsaved(self) -> list[Record]:
        """The records to make durable before the frames returned so far are sent."""
        records, self.unsaved = self.unsaved, []
        return records

    # --- connections -------------------------------------------------------------------

    def connect(self, conn: ConnId, address: str, now: float) -> None:
        self.conns[conn] = _Conn(address=address, last_refill=now)

    def disconnect(self, conn: ConnId) -> list[Output]:
        """`conn` is gone. Its person shows offline from a later `publish_presence`."""
        self.conns.pop(conn, None)
        return []

    def publish_presence(self, now: float) -> list[Output]:
        """The presence changes that have held for `PRESENCE_SETTLE` seconds, as events, in
        the order people joined (not the order they came and went). The network layer
        calls this every `PRESENCE_EVERY` seconds."""
        if self.storage_error:
            return []
        connected = {state.person for state in self.conns.values() if state.person is not None}
        out: list[Output] = []
        for person in list(self.state.people.values()):
            online = person.id in connected
            if person.removed or online == person.online:
                self._presence_since.pop(person.id, None)
                continue
            since = self._presence_since.setdefault(person.id, now)
            if now - since >= PRESENCE_SETTLE:
                del self._presence_since[person.id]
                out += self._commit(None, None, p.Presence(person=person.id, online=online))
        return out

    def presence_settled(self) -> bool:
        """Whether everyone shows as connected or not as they really are."""
        connected = {state.person for state in self.conns.values() if state.person is not None}
        return all(person.online == (person.id in connected)
                   for person in self.state.people.values() if not person.removed)

    def joined(self) -> list[ConnId]:
        return [conn for conn, state in self.conns.items() if state.person is not None]

    def person_of(self, conn: ConnId) -> Person | None:
        state = self.conns.get(conn)
        if state is None or state.person is None:
            return None
        return self.state.people.get(state.person)

    def receive(self, conn: ConnId, data: bytes | str, now: float) -> list[Output]:
        """Handle one frame from `conn`."""
        state = self.conns.get(conn)
        if state is None:
            return []
        try:
            frame = p.decode_client_frame(data)
        except msgspec.ValidationError as exc:
            return self._error(conn, state, "bad_frame", f"That frame was not valid: {exc}.")
        except msgspec.DecodeError:
            return self._error(conn, state, "bad_frame", "That frame was not valid JSON text.")
        if isinstance(frame, p.Join):
            if state.person is not None:
                return [_send(conn, p.Error(code="already_joined", message="Already joined.")),]
            return self._join(conn, state, frame, now)
        if state.person is None:
            return self._error(conn, state, "not_joined", "Join the session first.")
        return self._command(conn, state, frame, now)

    def _error(self, conn: ConnId, state: _Conn, code: str, message: str) -> list[Output]:
        out: list[Output] = [_send(conn, p.Error(code=code, message=message))]
        if state.person is None:  # nothing but a join is welcome before joining
            out.append(Disconnect(conn, CLOSE_POLICY, code))
        return out

    # --- joining -----------------------------------------------------------------------

    def _join(self, conn: ConnId, state: _Conn, join: p.Join, now: float) -> list[Output]:
        if len(self._wrong_by_address) > MAX_THROTTLED_ADDRESSES:  # forget the forgiven
            remembered = self._wrong_by_address.items()
            # `blocked` first drops the failures that are old enough to forget.
            self._wrong_by_address = {address: throttle for address, throttle in remembered
                                      if throttle.blocked(now) or throttle.times}
        address_throttle = self._wrong_by_address.setdefault(state.address, _Throttle(*WRONG_PER_ADDRESS))
        if address_throttle.blocked(now) or (
            self._wrong_overall.blocked(now) and address_throttle.times
        ):
            return self._refuse(conn, "throttled", "Too many wrong codes. Wait a minute, then try again.")

        role: Role | None = None
        # A wrong facilitator key is a wrong guess even next to the right code: otherwise a
        # participant could try keys without ever being throttled.
        if join.facilitator_key is not None:
            if hmac.compare_digest(join.facilitator_key.encode(), self.facilitator_key.encode()):
                role = "facilitator"
        elif join.code is not None and hmac.compare_digest(
            normalize_code(join.code).encode(), self.code.encode()
        ):
            role = join.role
        if role is None:
            address_throttle.add(now)
            self._wrong_overall.add(now)
            return self._refuse(conn, "wrong_code", "That code is not right. Check it with the facilitator.")
        if self.storage_error:
            return self._refuse(conn, "storage", self.storage_error, CLOSE_TRY_AGAIN)

        person = self._returning(join, role)
        # Only a returning person can resume from `since`: a client that was in another
        # session (say, before the host started a new one) gets the whole state.
        since = join.since if person is not None else None
        if person is not None and person.removed:
            return self._refuse(conn, "removed", "The facilitator removed you from this session.")
        out: list[Output] = []
        # Only a token that is this person's own brings them back as themselves; another
        # (the facilitator's key with a stranger's token) gets a token of its own.
        token = join.token if person is not None and join.token is not None and (
            self.tokens.get(token_hash(join.token)) == person.id) else None
        if token is not None:
            out += self._take_over(token_hash(token))
        if person is None:
            if self.state.locked and role != "facilitator":
                return self._refuse(conn, "locked", "The facilitator has locked the room.")
            if len(self.state.people) >= p.MAX_PEOPLE:
                return self._refuse(conn, "full", "The session has as many people as it can hold.")
            person = Person(id=f"p{self.state.seq + 1}", name=fit(clean(join.name), p.MAX_NAME), role=role)
            out += self._commit(None, None, p.PersonJoined(person=person))
        if token is None:  # a new person, or the facilitator's key without a known token
            token = secrets.token_urlsafe(18)
            self.tokens[token_hash(token)] = person.id
            self.unsaved.append(Record(token_hash=token_hash(token), person=person.id))
        state.person, state.token_hash = person.id, token_hash(token)
        out += self._welcome(conn, person.id, token, since, now)
        return out

    def _take_over(self, hashed: str) -> list[Output]:
        """The same person opened on another screen (the same token): the newest screen
        wins, the older one is told why and closed. Each screen of a facilitator who joined
        with the key has a token of its own, so nobody joining elsewhere with the key can
        take the host's own screen; this is also the limit of one connection per token."""
        out: list[Output] = []
        for other, state in self.conns.items():
            if state.person is not None and state.token_hash == hashed:
                out.append(_send(other, p.Error(code="opened_elsewhere", message=OPENED_ELSEWHERE)))
                out.append(Disconnect(other, CLOSE_POLICY, "opened_elsewhere"))
                state.person = None  # the person stays online: the new screen is theirs
        return out

    def _returning(self, join: p.Join, role: Role) -> Person | None:
        if join.token is not None:
            person_id = self.tokens.get(token_hash(join.token))
            if person_id is not None:
                person = self.state.people[person_id]
                if person.role == "facilitator" and role != "facilitator":
                    return None
                return person
        if role == "facilitator":  # the key is the facilitator's identity
            for person in self.state.people.values():
                if person.role == "facilitator":
                    return person
        return None

    def _refuse(self, conn: ConnId, code: str, message: str, close: int = CLOSE_POLICY) -> list[Output]:
        return [_send(conn, p.Error(code=code, message=message)), Disconnect(conn, close, code)]

    def _welcome(self, conn: ConnId, person_id: str, token: str, since: int | None,
                 now: float) -> list[Output]:
        you = self.state.people[person_id]
        resumable = (
            since is not None
            and since <= self.state.seq
            and (since == self.state.seq or (self.recent and self.recent[0].seq <= since + 1))
        )
        if resumable:
            assert since is not None
            out: list[Output] = [_send(conn, p.Welcome(you=you, token=token, seq=since,
                                                       state=None, server_time=now))]
            out += [_send(conn, self._redact(event, person_id))
                    for event in self.recent if event.seq > since]
            return out
        welcome = p.Welcome(you=you, token=token, seq=self.state.seq,
                            state=project(self.state, person_id), server_time=now)
        return [_send(conn, welcome)]

    # --- commands ----------------------------------------------------------------------

    def _command(self, conn: ConnId, state: _Conn, command: p.ClientCommand, now: float) -> list[Output]:
        assert state.person is not None
        person = self.state.people[state.person]
        key = (person.id, command.op)
        command_digest = digest(command)

        known = self.accepted.get(key)
        if known is not None:
            if known[0] != command_digest:
                return [self._rejected(conn, key, command_digest, "op_reused",
                                       "That op was already used for another command.")]
            return [self._replay_event(conn, person.id, command.op, known[1])]
        remembered = self.rejections.get(key)
        if remembered is not None and remembered[0] == command_digest:
            return [Send([conn], remembered[1])]

        state.tokens = min(COMMAND_BURST, state.tokens + (now - state.last_refill) * COMMAND_RATE)
        state.last_refill = now
        if state.tokens < 1:
            return [_send(conn, p.Rejected(op=command.op, reason="busy",
                                           message="Too many changes too fast; slow down a little."))]
        state.tokens -= 1

        if self.storage_error:
            return [_send(conn, p.Rejected(op=command.op, reason="storage", message=self.storage_error))]
        decision = decide(self.state, person, command, now)
        if isinstance(decision, Refusal):
            return [self._rejected(conn, key, command_digest, decision.reason, decision.message)]
        self.accepted[key] = (command_digest, self.state.seq + 1)
        out = self._commit(person.id, command.op, decision, digest=command_digest)
        if isinstance(decision, p.RemovePerson):
            out += self._drop_person(decision.person)
        return out

    def _rejected(self, conn: ConnId, key: tuple[str, str], command_digest: str,
                  reason: str, message: str) -> Send:
        data = p.encode(p.Rejected(op=key[1], reason=reason, message=message))
        self.rejections[key] = (command_digest, data)
        while len(self.rejections) > REMEMBERED_REJECTIONS:
            self.rejections.popitem(last=False)
        return Send([conn], data)

    def _replay_event(self, conn: ConnId, person_id: str, op: str, seq: int) -> Send:
        """The original outcome for a retried command: its event again (the client
        ignores an event it already applied, and clears the op from its outbox)."""
        for event in self.recent:
            if event.seq == seq:
                return Send([conn], p.encode(self._redact(event, person_id)))
        # Too old to keep: an event without the body would not apply, so send a no-op
        # acknowledgement in the only form clients know -- the event is already applied.
        ack = p.Event(seq=seq, by=person_id, op=op, command=p.VotesCast(voters=self.state.voters))
        return Send([conn], p.encode(ack))

    def _drop_person(self, person_id: str) -> list[Output]:
        out: list[Output] = []
        for conn, state in self.conns.items():
            if state.person == person_id:
                out.append(_send(conn, p.Error(code="removed",
                                               message="The facilitator removed you from this session.")))
                out.append(Disconnect(conn, CLOSE_POLICY, "removed"))
                state.person = None
        # Their tokens stay known, so coming back with one is refused as `removed` (as it is
        # after a restart, when the journal's tokens are replayed), not taken as someone new.
        return out

    # --- events ------------------------------------------------------------------------

    def _commit(self, by: str | None, op: str | None, body: p.EventBody, digest: str = "") -> list[Output]:
        """Make `body` the next event: apply it, record it, and address it to everyone."""
        event = p.Event(seq=self.state.seq + 1, by=by, op=op, command=body)
        self._apply(event)
        self.unsaved.append(Record(event=event, digest=digest))
        return self._broadcast(event)

    def _apply(self, event: p.Event) -> None:
        anonymous = self.state.settings.anonymous
        apply(self.state, event)
        self.recent.append(event)
        if self.state.settings.anonymous != anonymous:
            self._anonymity.append((event.seq, self.state.settings.anonymous))

    def _anonymous_at(self, seq: int) -> bool:
        """The anonymity in force once event `seq` took effect: for the event that turned
        it on or off, its new value; for any other, the value when it was accepted."""
        index = bisect.bisect_right(self._anonymity, (seq, True)) - 1
        return self._anonymity[max(index, 0)][1]

    def _redact(self, event: p.Event, viewer: str) -> p.Event:
        """An event sent again (a resume, a retry): what was said while the session was
        anonymous stays anonymous, whatever the setting is now; and while it is anonymous
        now, nothing earlier names anyone either."""
        return redact(event, viewer, self.state.settings.anonymous or self._anonymous_at(event.seq))

    def _broadcast(self, event: p.Event) -> list[Output]:
        """One encoded frame per distinct view of the event (encode once, send to many)."""
        anonymous = self.state.settings.anonymous
        by_view: dict[bytes, list[ConnId]] = {}
        cache: dict[str | None, bytes] = {}
        for conn, state in self.conns.items():
            viewer = state.person
            if viewer is None:
                continue
            # Everyone but the author (and a joining person) sees the same redacted event.
            key = viewer if viewer == event.by or _concerns(event, viewer) else None
            if key not in cache:
                cache[key] = p.encode(redact(event, viewer, anonymous))
            by_view.setdefault(cache[key], []).append(conn)
        return [Send(conns, data) for data, conns in by_view.items()]


def _concerns(event: p.Event, viewer: str) -> bool:
    body = event.command
    if isinstance(body, p.SetSettings):  # turning anonymity on: each keeps their own name
        return body.names is not None and body.anonymous
    return isinstance(body, p.PersonJoined) and body.person.id == viewer


def _send(conn: ConnId, frame: p.Frame) -> Send:
    return Send([conn], p.encode(frame))
