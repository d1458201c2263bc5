"""The server's session logic without I/O: frames in, frames out.

`Hub` holds the authoritative session. The network layer (`server.app`) feeds it what each
connection sends (`connect`, `receive`, `disconnect`) and carries out what it returns:
`Send` (bytes to one or more connections), `Disconnect` and `Notice` (a sentence for the
host's screen). It never touches a socket, a clock or a disk itself -- time comes in as an
argument and journal records go out through `take_unsaved()` -- so tests can drive it with
simulated clients and a fake link, and the same code runs in production.

The way in (`_join`), in order: a `token` of someone already in lets them back without the
code (so a new code locks out nobody who is in); the facilitator's key is always checked
(it cannot be guessed, and the facilitator must always get in); a join code is checked
only while the address and the whole server have wrong guesses to spare -- when they do
not, the join is refused *before* the code is looked at, so a refusal says nothing about
the code (see `Limits.wrong_overall` for the arithmetic). New people come in at a bounded rate,
and a returning person's joins are limited per person, not per connection.

The path of one command: decode (bounded Structs) -> who sent it (from the connection,
never from the frame) -> flood limit (per person) -> retry of a known `op`? (answer as
before) -> `rules.decide` -> `Event` with the next `seq` -> `apply` -> journal record ->
one encoded frame per audience (`views.redact`; usually one for the author and one for
everyone else) sent to every joined connection. The network layer makes the records
durable before it sends any of the frames.
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
from whytree.shared.joincode import normalize_code
from whytree.shared.model import Person, Role, Session
from whytree.shared.protocol import CLOSE_POLICY, CLOSE_TRY_AGAIN, CODE_DIGITS, Limits
from whytree.shared.rules import Refusal, decide
from whytree.shared.text import clean, fit
from whytree.shared.views import project, redact

from .records import Record

ConnId = int

# Guessing the code. Whatever number of addresses a guesser uses, the chance of finding the
# code is (wrong guesses the server evaluates) / (possible codes). So the whole server
# evaluates at most `Limits.wrong_overall` wrong codes (90 a second, after a first burst of
# 90); beyond that a code join is refused without the code being looked at. In a 3-hour
# session that is at most 90 + 90 * 10800 guesses out of 10**9 codes: under 0.1%
# (`Limits.guess_bound`). 90 a second is far more than any flood from a single room's
# addresses reaches past the per-address limit (254 addresses * 5 a minute is 21 a
# second), so a participant who mistyped once normally never meets it; during a flood from
# more addresses their retries still get their share of the 90 a second.
NOTICE_EVERY = 60.0
"""Seconds between two notices to the host that someone is guessing codes."""

# Presence (who is connected) is published in batches, at a tick every
# `Limits.presence_every` seconds (`publish_presence`), once a change has held for
# `Limits.presence_settle` seconds; only the net change is journaled. So a phone that drops
# and reconnects every second costs nothing, and in an anonymous session the moment
# somebody comes back is not tied to the commands their client resends right after its
# `welcome` (those go out first).

OPENED_ELSEWHERE = ("This session was opened on another screen (the same person joined again), "
                    "so this screen stopped following it.")

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


@dataclass
class Notice:
    """A sentence for the host's screen (the network layer passes it to `on_notice`)."""

    message: str


Output = Send | Disconnect | Notice



@dataclass
class _Peer:
    """Who is at the other end of one connection (nobody until its `join` is accepted)."""

    address: str
    person: str | None = None
    token_hash: str = ""
    """The hash of the token this connection joined with: one screen per token."""


@dataclass
class _Bucket:
    """A token bucket: `burst` at once, then `rate` a second."""

    burst: float
    rate: float
    tokens: float = -1.0
    last: float = 0.0

    def available(self, now: float) -> bool:
        """Whether a token is there now."""
        if self.tokens < 0:  # new: full
            self.tokens, self.last = self.burst, now
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.last) * self.rate)
        self.last = now
        return self.tokens >= 1

    def take(self, now: float) -> bool:
        """Spend one token if there is one."""
        if not self.available(now):
            return False
        self.tokens -= 1
        return True


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


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def digest(command: p.ClientCommand) -> str:
    return hashlib.sha256(p.encode(command)).hexdigest()[:32]


class Hub:
    """One session and everyone connected to it."""

    def __init__(self, state: Session, code: str, facilitator_key: str,
                 limits: Limits | None = None) -> None:
        self.state = state
        self.limits = limits or Limits()
        self.code = normalize_code(code)
        self.facilitator_key = facilitator_key
        self.conns: dict[ConnId, _Peer] = {}
        self.tokens: dict[str, str] = {}
        """Token hash -> person id."""
        self.accepted: dict[tuple[str, str], tuple[str, int]] = {}
        """(person, op) -> (digest, seq) of every accepted command."""
        self.rejections: OrderedDict[tuple[str, str], tuple[str, bytes]] = OrderedDict()
        self.recent: deque[p.Event] = deque(maxlen=self.limits.resume_window)
        self.unsaved: list[Record] = []
        self.storage_error: str | None = None
        """Set by the network layer when the journal cannot be written: changes stop."""
        self._wrong_by_address: OrderedDict[str, _Throttle] = OrderedDict()
        """Addresses with a wrong code within their window, the least recent first."""
        limit, window = self.limits.wrong_overall
        self._wrong_overall = _Bucket(float(limit), limit / window)
        self._new_people = _Bucket(*self.limits.new_people)
        self._joins: dict[str, _Bucket] = {}
        """Person id -> their join budget."""
        self._commands: dict[str, _Bucket] = {}
        """Person id -> their command budget."""
        self._noticed_at: float | None = None
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

    def change_code(self, code: str) -> None:
        """A new join code (the network layer has made it durable). People already in are
        not affected: they stay connected and come back with their token."""
        self.code = normalize_code(code)

    # --- connections -------------------------------------------------------------------

    def connect(self, conn: ConnId, address: str, now: float) -> None:
        self.conns[conn] = _Peer(address=address)

    def disconnect(self, conn: ConnId) -> list[Output]:
        """`conn` is gone. Its person shows offline from a later `publish_presence`."""
        self.conns.pop(conn, None)
        return []

    def publish_presence(self, now: float) -> list[Output]:
        """The presence changes that have held for `limits.presence_settle` seconds, as events, in
        the order people joined (not the order they came and went). The network layer
        calls this every `limits.presence_every` seconds."""
        if self.storage_error:
            return []
        connected = {peer.person for peer in self.conns.values() if peer.person is not None}
        out: list[Output] = []
        for person in list(self.state.people.values()):
            online = person.id in connected
            if person.removed or online == person.online:
                self._presence_since.pop(person.id, None)
                continue
            since = self._presence_since.setdefault(person.id, now)
            if now - since >= self.limits.presence_settle:
                del self._presence_since[person.id]
                out += self._commit(None, None, p.Presence(person=person.id, online=online))
        return out

    def presence_settled(self) -> bool:
        """Whether everyone shows as connected or not as they really are."""
        connected = {peer.person for peer in self.conns.values() if peer.person is not None}
        return all(person.online == (person.id in connected)
                   for person in self.state.people.values() if not person.removed)

    def joined(self) -> list[ConnId]:
        return [conn for conn, peer in self.conns.items() if peer.person is not None]

    def person_of(self, conn: ConnId) -> Person | None:
        peer = self.conns.get(conn)
        if peer is None or peer.person is None:
            return None
        return self.state.people.get(peer.person)

    def receive(self, conn: ConnId, data: bytes | str, now: float) -> list[Output]:
        """Handle one frame from `conn`."""
        peer = self.conns.get(conn)
        if peer is None:
            return []
        try:
            frame = p.decode_client_frame(data)
        except msgspec.ValidationError as exc:
            return self._error(conn, peer, "bad_frame", f"That frame was not valid: {exc}.")
        except msgspec.DecodeError:
            return self._error(conn, peer, "bad_frame", "That frame was not valid JSON text.")
        if isinstance(frame, p.Join):
            if peer.person is not None:
                return [_send(conn, p.Error(code="already_joined", message="Already joined.")),]
            return self._join(conn, peer, frame, now)
        if peer.person is None:
            return self._error(conn, peer, "not_joined", "Join the session first.")
        return self._command(conn, peer, frame, now)

    def _error(self, conn: ConnId, peer: _Peer, code: str, message: str) -> list[Output]:
        out: list[Output] = [_send(conn, p.Error(code=code, message=message))]
        if peer.person is None:  # nothing but a join is welcome before joining
            out.append(Disconnect(conn, CLOSE_POLICY, code))
        return out

    # --- joining -----------------------------------------------------------------------

    def _join(self, conn: ConnId, peer: _Peer, join: p.Join, now: float) -> list[Output]:
        out: list[Output] = []
        person = self._by_token(join) if join.facilitator_key is None else None
        if person is not None:  # someone already in: the token is their key, not the code
            role: Role = person.role
        else:
            door = self._door(conn, peer.address, join, now)
            if isinstance(door, list):
                return door
            role = door
        if self.storage_error:
            return self._refuse(conn, "storage", self.storage_error, CLOSE_TRY_AGAIN)

        if person is None:
            person = self._returning(join, role)
        # Only a returning person can resume from `since`: a client that was in another
        # session (say, before the host started a new one) gets the whole state.
        since = join.since if person is not None else None
        if person is not None and person.removed:
            return self._refuse(conn, "removed", "The facilitator removed you from this session.")
        # Only a token that is this person's own brings them back as themselves; another
        # (the facilitator's key with a stranger's token) gets a token of its own.
        token = join.token if person is not None and join.token is not None and (
            self.tokens.get(token_hash(join.token)) == person.id) else None
        if person is None:
            if self.state.locked and role != "facilitator":
                return self._refuse(conn, "locked", "The facilitator has locked the room.")
            if role != "facilitator" and not self._has_room():
                return self._refuse(conn, "full", "The session has as many people as it can hold.")
            if role != "facilitator" and not self._new_people.take(now):
                return self._busy(conn, "Many people are joining at once. Try again in a few seconds.")
            person = Person(id=f"p{self.state.seq + 1}", name=fit(clean(join.name), p.MAX_NAME), role=role)
            out += self._commit(None, None, p.PersonJoined(person=person))
        else:
            joins = self._joins.setdefault(person.id, _Bucket(*self.limits.joins_per_person))
            if not joins.take(now):
                return self._busy(conn, "You joined many times in a short while. "
                                        "Trying again in a few seconds.")
            # Presence is published later, once it has held (`publish_presence`).
        if token is not None:
            out += self._take_over(token_hash(token))
        if token is None:  # a new person, or the facilitator's key without a known token
            token = secrets.token_urlsafe(18)
            self.tokens[token_hash(token)] = person.id
            self.unsaved.append(Record(token_hash=token_hash(token), person=person.id))
        peer.person, peer.token_hash = person.id, token_hash(token)
        out += self._welcome(conn, person.id, token, since, now)
        return out

    def _take_over(self, hashed: str) -> list[Output]:
        """The same person opened on another screen (the same token): the newest screen
        wins, the older one is told why and closed. Each screen of a facilitator who joined
        with the key has a token of its own, so nobody joining elsewhere with the key can
        take the host's own screen; this is also the limit of one connection per token."""
        out: list[Output] = []
        for other, peer in self.conns.items():
            if peer.person is not None and peer.token_hash == hashed:
                out.append(_send(other, p.Error(code="opened_elsewhere", message=OPENED_ELSEWHERE)))
                out.append(Disconnect(other, CLOSE_POLICY, "opened_elsewhere"))
                peer.person = None  # the person stays online: the new screen is theirs
        return out

    def _door(self, conn: ConnId, address: str, join: p.Join, now: float) -> Role | list[Output]:
        """The role a code or key gives, or the refusal. Every refusal but `wrong_code` is
        decided before the code is looked at, so it tells a guesser nothing."""
        self._forget_old_guesses(now)
        # The key cannot be guessed, and the facilitator must always get in: the right key
        # is let in even from an address that has made wrong guesses (the host's own screen
        # shares 127.0.0.1 with a projector page that mistyped the code) and while code
        # joins pause. A wrong key is a wrong guess even next to the right code: otherwise a
        # participant could try keys without ever waiting.
        if join.facilitator_key is not None and hmac.compare_digest(
                join.facilitator_key.encode(), self.facilitator_key.encode()):
            return "facilitator"
        address_throttle = self._wrong_by_address.get(address)
        if address_throttle is not None and address_throttle.blocked(now):
            return self._refuse(conn, "throttled", "Too many wrong codes. Wait a minute, then try again.")
        if join.facilitator_key is None and join.code is not None:
            if not self._wrong_overall.available(now):
                out = self._refuse(conn, "busy", "The host is refusing join codes for a moment "
                                              "(too many wrong ones). Try again in a few seconds.",
                                   CLOSE_TRY_AGAIN)
                if self._noticed_at is None or now - self._noticed_at >= NOTICE_EVERY:
                    self._noticed_at = now
                    out.append(Notice(
                        "Someone is trying many wrong join codes, so joining by code is slowed "
                        "down. Give the session a new code (key J on the host's screen) and read "
                        "it out: people already in stay in."))
                return out
            if hmac.compare_digest(normalize_code(join.code).encode(), self.code.encode()):
                return join.role
        if address_throttle is None:
            address_throttle = self._wrong_by_address[address] = _Throttle(*self.limits.wrong_per_address)
        self._wrong_by_address.move_to_end(address)
        address_throttle.add(now)
        self._wrong_overall.take(now)
        return self._refuse(conn, "wrong_code", "That code is not right. Check it with the facilitator.")

    def _forget_old_guesses(self, now: float) -> None:
        """Drop the addresses whose last wrong code is older than their window: memory stays
        bounded by the wrong codes the server evaluates (`wrong_overall`) in that window."""
        window = self.limits.wrong_per_address[1]
        while self._wrong_by_address:
            address, throttle = next(iter(self._wrong_by_address.items()))
            if throttle.times and throttle.times[-1] > now - window:
                break
            del self._wrong_by_address[address]

    def _has_room(self) -> bool:
        """Room for one more participant or viewer: removed people do not count towards
        MAX_PEOPLE (the facilitator never needs room); everyone who ever joined does
        towards MAX_PEOPLE_EVER, which keeps every list of people bounded."""
        others = [person for person in self.state.people.values() if person.role != "facilitator"]
        if len(others) >= p.MAX_PEOPLE_EVER - 1:
            return False
        return sum(not person.removed for person in others) < p.MAX_PEOPLE

    def _by_token(self, join: p.Join) -> Person | None:
        """The participant or viewer whose token this is (the facilitator needs the key)."""
        if join.token is None:
            return None
        person_id = self.tokens.get(token_hash(join.token))
        person = self.state.people.get(person_id) if person_id is not None else None
        if person is None or person.role == "facilitator":
            return None
        return person

    def _returning(self, join: p.Join, role: Role) -> Person | None:
        """The facilitator, by the key (a participant's token was looked up before)."""
        if role == "facilitator":
            if join.token is not None:
                person_id = self.tokens.get(token_hash(join.token))
                person = self.state.people.get(person_id) if person_id is not None else None
                if person is not None and person.role == "facilitator":
                    return person
            for person in self.state.people.values():
                if person.role == "facilitator":
                    return person
        return None

    def _busy(self, conn: ConnId, message: str) -> list[Output]:
        return self._refuse(conn, "busy", message, CLOSE_TRY_AGAIN)

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
                                                       state=None, server_time=now,
                                                       latest=self.state.seq))]
            out += [_send(conn, self._redact(event, person_id))
                    for event in self.recent if event.seq > since]
            return out
        welcome = p.Welcome(you=you, token=token, seq=self.state.seq,
                            state=project(self.state, person_id), server_time=now,
                            latest=self.state.seq)
        return [_send(conn, welcome)]

    # --- commands ----------------------------------------------------------------------

    def _command(self, conn: ConnId, peer: _Peer, command: p.ClientCommand, now: float) -> list[Output]:
        assert peer.person is not None
        person = self.state.people[peer.person]
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

        bucket = self._commands.setdefault(person.id, _Bucket(*self.limits.commands))
        if not bucket.take(now):
            return [_send(conn, p.Rejected(op=command.op, reason="busy",
                                           message="Too many changes too fast; slow down a little."))]

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
        for conn, peer in self.conns.items():
            if peer.person == person_id:
                out.append(_send(conn, p.Error(code="removed",
                                               message="The facilitator removed you from this session.")))
                out.append(Disconnect(conn, CLOSE_POLICY, "removed"))
                peer.person = None
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
        for conn, peer in self.conns.items():
            viewer = peer.person
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
