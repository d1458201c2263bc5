"""A whytree network in memory: the real `Hub`, simulated clients and a faulty link.

Like h11's tests (`h11/tests/helpers.py`), this joins the sans-I/O server (`server.hub.Hub`)
to sans-I/O clients (`shared.mirror.Mirror`) with a fake link, so a test can drive a whole
session step by step: no asyncio, no sockets, no clock but `Net.clock`.

The link behaves like websockets over TCP. Within one connection frames arrive in order,
once each; the faults happen between connections, as on a bad Wi-Fi:

* `cut`: a connection breaks. The client notices at once and loses whatever was on its way
  to it; the frames it had sent may still reach the server (a prefix of them, in order).
  The server notices later (`server_notices`), as it would through its pings.
* `connect`: a client comes back on a new connection -- `join` with its token and `since`,
  and once welcomed it sends its outbox again (`Mirror.pending_frames`), as the TUI does.
* `retry`: a client sends a command it sent before again (the same frame: the same `op`).
* `crash`: the host dies. The hub, every connection and everything not yet committed are
  lost; a new hub is rebuilt from the committed journal records with `Hub.replay`, as
  `server.app` does from its journal at start-up. `crash(after_commit=True)` dies after the
  journal write but before any frame of that turn went out.

As in `server.app`, what the hub returns waits in `pending` until `flush`: that commits the
records from `take_unsaved()` (`committed` is the journal) and only then puts the frames on
the links, so no client ever hears of an event that a crash can lose.

Every client keeps every frame it received (`SimClient.seen`, with what its mirror knew
then), every command frame it sent, and the ops the server acknowledged, so tests can check
privacy and "nothing lost" after the fact. `random_command` and `Net.random_step` make
random sessions (valid commands, stale ones and garbage) from a `random.Random`; give them
`hypothesis.strategies.randoms()` to make the choices shrinkable.
"""

from __future__ import annotations

import itertools
import json
import random
import typing
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from whytree.server.hub import ConnId, Disconnect, Hub, Output, Send
from whytree.server.records import Record
from whytree.shared import protocol as p
from whytree.shared.mirror import Mirror, ResyncNeeded
from whytree.shared.model import PHASES, Phase, Session, deep_copy
from whytree.shared.rules import OPEN, OPEN_IN, ROLE_MAY

CODE = "482913"
KEY = "sim-facilitator-key"
START = 1_700_000_000.0
"""The simulated clock's start (seconds since the epoch)."""

FATAL = frozenset({"wrong_code", "throttled", "locked", "removed", "full"})
"""`error` codes after which a client stops trying (as the TUI's link does)."""

NAMES = ("Ann Quill", "Bo Rivet", "")
"""Default participants: two with names, one anonymous (empty name)."""

TEXTS = (
    "The bus comes late",
    "Nobody is at home after school",
    "  spaces   all  around  ",
    "\x1b[31mred\x1b[0m and \x1b]0;title\x07",
    "\u202eevil bidi\u202c",
    "[bold]not markup[/bold]",
    "tab\there\nnew line",
    "Ünïcödé ✓ 👩‍👩‍👧",
    "",
    "   ",
    "x" * p.MAX_CAUSE_TEXT,
)
"""Text people type. None of it contains a person's name (the anonymity tests rely on it)."""


# --- the link -------------------------------------------------------------------------------


class Link:
    """One websocket connection: two in-order queues and whether each end is still open."""

    def __init__(self, conn: ConnId, client: SimClient) -> None:
        self.conn = conn
        self.client = client
        self.up: deque[bytes] = deque()
        """Client to server, in order."""
        self.down: deque[tuple[bytes, bool] | None] = deque()
        """Server to client, in order, each frame with whether the session was anonymous
        when the hub made it; None is the server closing the connection."""
        self.client_open = True
        self.server_open = True

    def __repr__(self) -> str:
        return f"<Link {self.conn} {self.client.label} up={len(self.up)} down={len(self.down)}>"


@dataclass
class Seen:
    """One frame a client received, with what its mirror knew just before and after."""

    data: bytes
    person: str | None
    """The receiver's person id (after the frame: a `welcome` tells it)."""
    seq_before: int | None
    anonymous: bool
    """The session was anonymous all through the hub call that made this frame."""
    revealed_before: bool

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class SimClient:
    """A simulated person at a laptop: a `Mirror`, credentials, and what happened to it."""

    label: str
    role: str
    """facilitator, participant, viewer, or intruder (who knows no code)."""
    name: str = ""
    mirror: Mirror = field(default_factory=Mirror)
    link: Link | None = None
    welcomed: bool = False
    """Welcomed on the current link."""
    shut_out: str | None = None
    """The fatal `error` code that stopped this client (removed, locked, wrong code...)."""
    seen: list[Seen] = field(default_factory=list)
    sent: dict[str, bytes] = field(default_factory=dict)
    """Every command frame this client made, by op (for retries)."""
    acked: set[tuple[str, str]] = field(default_factory=set)
    """(person, op) of every command the server acknowledged to this client with its event."""
    rejected: dict[str, str] = field(default_factory=dict)
    """op -> reason of the latest rejection of each op."""
    errors: list[str] = field(default_factory=list)
    retry_later: list[str] = field(default_factory=list)
    """Ops refused as `busy`: sent again a moment later, as the TUI does."""
    resyncs: int = 0
    _ops: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def person(self) -> str | None:
        return self.mirror.me.id if self.mirror.me is not None else None

    @property
    def state(self) -> Session | None:
        return self.mirror.state

    @property
    def active(self) -> bool:
        """Joined (or trying to) and not stopped by the server."""
        return self.shut_out is None

    def new_op(self) -> str:
        # Deterministic (unlike `Mirror.new_op`) so hypothesis can replay a run exactly.
        return f"{self.label}-{next(self._ops)}"

    def join_frame(self) -> bytes:
        if self.role == "facilitator":
            return self.mirror.join_frame(facilitator_key=KEY, name=self.name)
        code = "000000" if self.role == "intruder" else CODE
        return self.mirror.join_frame(code=code, name=self.name,
                                      role="viewer" if self.role == "viewer" else "participant")

    def __repr__(self) -> str:
        return f"<SimClient {self.label} {self.person} link={self.link and self.link.conn}>"


# --- the network ----------------------------------------------------------------------------


class Net:
    """The hub, the journal, the links and the clients of one simulated session."""

    def __init__(
        self,
        *,
        names: tuple[str, ...] = NAMES,
        viewer: bool = True,
        anonymous: bool = False,
        intruder: bool = False,
        resume_window: int | None = None,
    ) -> None:
        self.clock = START
        self.resume_window = resume_window
        """Events the hub keeps to resume clients (None: the hub's own default)."""
        self.blank = Session(id="sim", title="Simulated session", created_at=START)
        """What `server.app` starts a hub from, before replaying the journal."""
        self.committed: list[Record] = []
        """The journal: records made durable, in order."""
        self.pending: list[tuple[Output, bool]] = []
        """What the hub returned, each with whether the session was anonymous throughout."""
        self.links: dict[ConnId, Link] = {}
        self._conn_ids = itertools.count(1)
        self.crashes = 0
        self.trace: list[str] = []
        self.hub = self.replayed_hub()
        if anonymous:  # as `whytree host --anonymous` starts a session
            self.hub.begin(anonymous=True)
            self.committed += self.hub.take_unsaved()
        self.clients: list[SimClient] = [SimClient("fac", "facilitator", name="Fran Okoye")]
        self.clients += [SimClient(f"p{i}", "participant", name=name) for i, name in enumerate(names)]
        if viewer:
            self.clients.append(SimClient("view", "viewer", name="Projector Wall"))
        if intruder:
            self.clients.append(SimClient("intruder", "intruder", name="Mallory Outside"))

    # --- the server and its journal -------------------------------------------------------

    def replayed_hub(self) -> Hub:
        """A new hub with the committed journal replayed into it."""
        state = deep_copy(self.blank)
        hub = Hub(state, CODE, KEY)
        if self.resume_window is not None:  # a short memory: clients get whole states
            hub.recent = deque(maxlen=self.resume_window)
        for record in self.committed:
            hub.replay(record)
        return hub

    def restarted_hub(self) -> Hub:
        """A hub rebuilt from the committed journal, as `server.app` starts one."""
        hub = self.replayed_hub()
        hub.resume()  # its records are committed by the next flush, as in `server.app`
        return hub

    def flush(self) -> None:
        """The end of one turn of the server's event loop: commit, then send."""
        self.committed += self.hub.take_unsaved()
        outputs, self.pending = self.pending, []
        for output, anonymous in outputs:
            self._carry_out(output, anonymous)

    def _hub_call(self, call: Any, *args: Any) -> None:
        """Call the hub; keep what it returns (with the anonymity of that moment) pending."""
        before = self.hub.state.settings.anonymous
        outputs = call(*args)
        anonymous = before and self.hub.state.settings.anonymous
        self.pending += [(output, anonymous) for output in outputs]

    def _carry_out(self, output: Output, anonymous: bool) -> None:
        if isinstance(output, Send):
            for conn in output.to:
                link = self.links.get(conn)
                if link is not None and link.client_open and link.server_open:
                    link.down.append((output.data, anonymous))
        elif isinstance(output, Disconnect):
            link = self.links.get(output.conn)
            if link is not None and link.server_open:
                link.server_open = False
                link.up.clear()
                link.down.append(None)
                self._hub_call(self.hub.disconnect, output.conn)

    def crash(self, *, after_commit: bool = False) -> None:
        """The host dies (after writing this turn's records, or before) and starts again."""
        self.trace.append(f"crash after_commit={after_commit}")
        if after_commit:
            self.committed += self.hub.take_unsaved()
        self.pending = []
        for link in self.links.values():
            link.client_open = link.server_open = False
            link.up.clear()
            link.down.clear()
        self.links = {}
        for client in self.clients:
            client.link, client.welcomed = None, False
        self.crashes += 1
        self.hub = self.restarted_hub()

    def tick(self, seconds: float) -> None:
        """Time passes; the server publishes presence (as `server.app` does on a timer)."""
        self.clock += seconds
        self._hub_call(self.hub.publish_presence, self.clock)

    # --- client to server -----------------------------------------------------------------

    def connect(self, client: SimClient) -> Link:
        """A new connection for `client`; its `join` frame is the first on it."""
        assert client.link is None, client
        link = Link(next(self._conn_ids), client)
        self.links[link.conn] = link
        client.link, client.welcomed = link, False
        self.hub.connect(link.conn, f"10.0.0.{self.clients.index(client) + 2}", self.clock)
        link.up.append(client.join_frame())
        self.trace.append(f"connect {client.label} conn={link.conn}")
        return link

    def command(self, client: SimClient, command: p.ClientCommand) -> None:
        """`client` makes `command`: into its outbox, and onto the link if it is joined."""
        data = client.mirror.command(command)
        client.sent[command.op] = data
        self.trace.append(f"{client.label} {data.decode()[:160]}")
        if client.link is not None and client.welcomed:
            client.link.up.append(data)

    def send_raw(self, client: SimClient, data: bytes) -> bool:
        """Put `data` on `client`'s link as it is (garbage, a retry); False when offline."""
        if client.link is None or not client.welcomed:
            return False
        self.trace.append(f"{client.label} raw {data[:120]!r}")
        client.link.up.append(data)
        return True

    def retry(self, client: SimClient, op: str) -> bool:
        """Send the command `op` again, byte for byte."""
        return self.send_raw(client, client.sent[op])

    def server_take(self, link: Link) -> None:
        """The server reads the next frame of `link`."""
        data = link.up.popleft()
        if link.server_open:
            self._hub_call(self.hub.receive, link.conn, data, self.clock)

    def cut(self, client: SimClient, keep: int = 0) -> None:
        """`client`'s connection breaks; the first `keep` frames it sent still get through."""
        link = client.link
        if link is None:
            return
        self.trace.append(f"cut {client.label} conn={link.conn} keep={keep}")
        link.client_open = False
        link.down.clear()
        while len(link.up) > keep:
            link.up.pop()
        client.link, client.welcomed = None, False

    def server_notices(self, link: Link) -> None:
        """The server finds out that `link` is dead (after reading what did arrive)."""
        while link.up:
            self.server_take(link)
        if link.server_open:
            link.server_open = False
            self._hub_call(self.hub.disconnect, link.conn)
        self.links.pop(link.conn, None)

    def dead_links(self) -> list[Link]:
        return [link for link in self.links.values() if not link.client_open]

    # --- server to client -----------------------------------------------------------------

    def client_take(self, link: Link) -> None:
        """`link`'s client reads the next frame from the server."""
        item = link.down.popleft()
        client = link.client
        if item is None:  # the server closed the connection
            link.client_open = False
            self.links.pop(link.conn, None)
            if client.link is link:
                client.link, client.welcomed = None, False
            return
        data, anonymous = item
        before = client.mirror.state
        seen = Seen(data, None, before.seq if before is not None else None, anonymous,
                    before.revealed if before is not None else False)
        client.seen.append(seen)
        try:
            received = client.mirror.receive(data, self.clock)
        except ResyncNeeded as exc:
            client.resyncs += 1
            self.trace.append(f"{client.label} resync: {exc}")
            self.cut(client)
            return
        seen.person = client.person
        frame = received.frame
        if isinstance(frame, p.Welcome):
            client.welcomed = True
            for pending in client.mirror.pending_frames():
                link.up.append(pending)
        elif isinstance(frame, p.Event) and frame.op is not None:
            assert frame.by is not None and frame.by == client.person, (client, frame)
            client.acked.add((frame.by, frame.op))
        elif isinstance(frame, p.Rejected):
            client.rejected[frame.op] = frame.reason
            if frame.reason == "busy":
                client.retry_later.append(frame.op)
        elif isinstance(frame, p.Error):
            client.errors.append(frame.code)
            if frame.code in FATAL:
                client.shut_out = frame.code

    # --- driving it -----------------------------------------------------------------------

    def quiet(self) -> bool:
        return (
            not self.pending
            and not self.hub.unsaved
            and self.hub.presence_settled()
            and not self.dead_links()
            and all(not link.up and not link.down for link in self.links.values())
            and all(client.welcomed or not client.active for client in self.clients)
            and all(not client.retry_later for client in self.clients)
        )

    def retry_busy(self) -> None:
        """Each connected client sends again what was refused as `busy` (the TUI does this
        after about a second; `settle` ticks the clock a second per round)."""
        for client in self.clients:
            link = client.link
            if not client.active:  # shut out: nothing of theirs will go anywhere
                client.retry_later.clear()
            if link is None or not client.welcomed:
                continue
            for op in client.retry_later:
                frame = client.mirror.retry_frame(op)
                if frame is not None:
                    link.up.append(frame)
            client.retry_later.clear()

    def settle(self, max_rounds: int = 500) -> None:
        """Run the link without faults until it is quiet: every live client connected and
        welcomed, every frame read, every record committed. Nobody makes new commands."""
        for _ in range(max_rounds):
            if self.quiet():
                return
            for link in self.dead_links():
                self.server_notices(link)
            for client in self.clients:
                if client.link is None and client.active:
                    self.connect(client)
            self.retry_busy()
            for link in list(self.links.values()):
                while link.up:
                    self.server_take(link)
            self.flush()
            for link in list(self.links.values()):
                while link.down and self.links.get(link.conn) is link:
                    self.client_take(link)
            self.tick(1.0)  # lets the hub's flood limit refill
        raise AssertionError(f"the network did not settle: {self.links}, {self.pending}")

    def random_step(self, rnd: random.Random, *, anonymous: bool | None = None) -> None:
        """One random thing happens: mostly commands and delivery, sometimes a fault."""
        kind = rnd.choices(
            ("command", "server", "flush", "client", "cut", "notice", "connect", "retry",
             "garbage", "crash", "tick"),
            weights=(30, 20, 12, 25, 2, 3, 4, 2, 1, 1, 3),
        )[0]
        clients = self.clients
        if kind == "command":
            client = rnd.choice(clients)
            if client.state is not None and client.active:
                made = random_command(rnd, client, keep_anonymous=anonymous)
                if isinstance(made, bytes):
                    self.send_raw(client, made)
                else:
                    self.command(client, made)
        elif kind == "server":
            ready = [link for link in self.links.values() if link.up]
            for _ in range(rnd.randint(1, 6)):
                if ready:
                    link = rnd.choice(ready)
                    self.server_take(link)
                    ready = [link for link in ready if link.up]
        elif kind == "flush":
            self.flush()
        elif kind == "client":
            for _ in range(rnd.randint(1, 10)):
                ready = [link for link in self.links.values() if link.down]
                if ready:
                    self.client_take(rnd.choice(ready))
        elif kind == "cut":
            client = rnd.choice(clients)
            if client.link is not None:
                self.cut(client, keep=rnd.randint(0, len(client.link.up)))
        elif kind == "notice":
            dead = self.dead_links()
            if dead:
                self.server_notices(rnd.choice(dead))
        elif kind == "connect":
            waiting = [c for c in clients if c.link is None and c.active]
            if waiting:
                self.connect(rnd.choice(waiting))
        elif kind == "retry":
            client = rnd.choice(clients)
            if client.sent:
                self.retry(client, rnd.choice(sorted(client.sent)))
        elif kind == "garbage":
            client = rnd.choice(clients)
            self.send_raw(client, rnd.choice(GARBAGE))
        elif kind == "crash":
            self.crash(after_commit=rnd.random() < 0.5)
        else:
            self.tick(rnd.choice((0.01, 0.2, 1.0, 30.0)))

    # --- looking at it --------------------------------------------------------------------

    def journal_events(self) -> list[p.Event]:
        return [record.event for record in self.committed if record.event is not None]


# --- random commands ------------------------------------------------------------------------

GARBAGE: tuple[bytes, ...] = (
    b"not json",
    b"[]",
    b'{"type": "no_such_thing", "op": "g1"}',
    b'{"type": "add_cause", "op": "g2", "parent": null, "text": "' + b"y" * 300 + b'"}',
    b'{"type": "set_dots", "op": "g3", "cause": "c1", "dots": -1}',
    b'{"type": "set_phase", "op": "' + b"o" * 65 + b'", "phase": "why"}',
    b'{"type": "set_phase", "op": "g4", "phase": "why", "extra": 1}',
    b'{"type": "join", "code": "482913", "name": "again"}',
    b'{"type": "add_cause", "op": "g5", "parent": 7, "text": "wrong type"}',
    b"\xff\xfe not utf-8",
)
"""Frames a joined client may send that the server cannot accept at all."""

_PARTICIPANT_KINDS = ("add_cause", "edit_cause", "set_dots", "set_change", "add_action",
                      "edit_action", "remove_action", "set_done", "remove_cause", "move_cause",
                      "restore_cause")
_FACILITATOR_KINDS = ("merge_causes", "set_agreement", "set_situation",
                      "set_phase", "set_settings", "reveal_votes", "set_timer", "lock_room",
                      "remove_person", "close", "reopen")
_COMMANDS: dict[str, type[p.ClientCommand]] = {
    command.__struct_config__.tag: command  # type: ignore[misc]
    for command in typing.get_args(p.ClientCommand)
}
_WEIGHTS = {
    "add_cause": 8, "edit_cause": 3, "set_dots": 8, "set_change": 5, "add_action": 4,
    "edit_action": 2, "remove_action": 1, "set_done": 2, "remove_cause": 1.5,
    "merge_causes": 1.5, "set_agreement": 2, "set_situation": 1, "set_phase": 5,
    "set_settings": 1.5, "reveal_votes": 2.5, "set_timer": 1, "lock_room": 0.7,
    "remove_person": 0.15, "close": 0.4, "reopen": 2, "move_cause": 4, "restore_cause": 2,
}


def _open(kind: str, role: str, phase: Phase) -> bool:
    command = _COMMANDS[kind]
    if role not in ROLE_MAY[command]:
        return False
    participant, facilitator = OPEN_IN.get(command, (frozenset(), OPEN))
    return phase in (facilitator if role == "facilitator" else participant)


def random_command(
    rnd: random.Random, client: SimClient, *, keep_anonymous: bool | None = None
) -> p.ClientCommand | bytes:
    """A command `client` might make now, judged from its own mirror: mostly sensible,
    sometimes stale (a removed cause), not allowed (role, step) or garbage (bytes).

    `keep_anonymous`: what `set_settings` says about anonymity (None: either)."""
    state = client.state
    assert state is not None, "a client makes commands once it has been welcomed"
    if rnd.random() < 0.02:
        return rnd.choice(GARBAGE)
    causes = list(state.causes)
    actions = list(state.actions)
    kinds = list(_PARTICIPANT_KINDS)
    if client.role != "participant" or rnd.random() < 0.1:
        kinds += _FACILITATOR_KINDS
    if rnd.random() < 0.75:  # mostly what this person may do in this step
        allowed = [kind for kind in kinds if _open(kind, client.role, state.phase)]
        if len(allowed) > 1 or (allowed and rnd.random() < 0.2):
            kinds = allowed
    weights = [_WEIGHTS[k] for k in kinds]
    if state.phase == "situation":  # nobody lingers there
        weights = [w * 4 if k == "set_phase" else w for k, w in zip(kinds, weights, strict=True)]
    if not causes and not actions:  # settings are chosen early, while they still can change
        weights = [w * 6 if k == "set_settings" else w for k, w in zip(kinds, weights, strict=True)]
    removal = state.last_removal
    if removal is not None and removal.removed_by == client.person:  # "oops": undo it, often
        weights = [w * 8 if k == "restore_cause" else w for k, w in zip(kinds, weights, strict=True)]
    kind = rnd.choices(kinds, weights=weights)[0]
    op = client.new_op()
    if client.sent and rnd.random() < 0.01:
        op = rnd.choice(sorted(client.sent))  # a buggy client reuses an op

    def cause() -> str:
        if causes and rnd.random() < 0.9:
            return rnd.choice(causes)
        return rnd.choice(("c1", "c2", "c99999", "a1", "p1"))

    def action() -> str:
        if actions and rnd.random() < 0.9:
            return rnd.choice(actions)
        return rnd.choice(("a1", "a99999", "c1"))

    def text() -> str:
        return rnd.choice(TEXTS)

    def short() -> str:
        return rnd.choice(("", "Tuesday", "the school board", " the city ", "\x1b[2Jclinic"))

    def some_causes() -> list[str]:
        return [cause() for _ in range(rnd.choice((0, 1, 1, 2, 3)))]

    match kind:
        case "add_cause":
            parent = None if not causes or rnd.random() < 0.25 else cause()
            return p.AddCause(op=op, parent=parent, text=text())
        case "edit_cause":
            return p.EditCause(op=op, cause=cause(), text=text())
        case "set_dots":
            return p.SetDots(op=op, cause=cause(), dots=rnd.choice((0, 1, 1, 2, 2, 3, 5)))
        case "set_change":
            return p.SetChange(op=op, cause=cause(), answer=rnd.choice(("we", "others", "no", None)))
        case "add_action":
            return p.AddAction(op=op, text=text(), causes=some_causes(),
                               by=rnd.choice(("inside", "outside")), who=short())
        case "edit_action":
            return p.EditAction(op=op, action=action(), text=text(), causes=some_causes(),
                                by=rnd.choice(("inside", "outside")), who=short())
        case "remove_action":
            return p.RemoveAction(op=op, action=action())
        case "set_done":
            return p.SetDone(op=op, done=rnd.random() < 0.7)
        case "remove_cause":
            return p.RemoveCause(op=op, cause=cause())
        case "merge_causes":
            return p.MergeCauses(op=op, cause=cause(), into=cause())
        case "move_cause":  # mostly one's own answer (participants may move only those)
            own = [c.id for c in state.causes.values() if c.author == client.person]
            moved = rnd.choice(own) if own and rnd.random() < 0.7 else cause()
            return p.MoveCause(op=op, cause=moved, parent=None if rnd.random() < 0.2 else cause())
        case "restore_cause":
            if removal is not None and removal.causes and rnd.random() < 0.9:
                return p.RestoreCause(op=op, cause=removal.causes[0].id)
            return p.RestoreCause(op=op, cause=cause())
        case "set_agreement":
            return p.SetAgreement(op=op, action=action(), agreed=rnd.random() < 0.7,
                                  first_step=short(), owner=short(), due=short())
        case "set_situation":
            return p.SetSituation(op=op, text=text(), mode=rnd.choice(("problem", "success")))
        case "set_phase":
            # Mostly the next step or the one before: sessions move forward.
            here = PHASES.index(state.phase) if state.phase != "closed" else 4
            near = (here + rnd.choice((1, 1, 1, -1, 0, 2))) % 5
            return p.SetPhase(op=op, phase=rnd.choice((PHASES[near],) * 4 + PHASES[:5]))  # type: ignore[arg-type]
        case "set_settings":
            anonymous = rnd.random() < 0.5 if keep_anonymous is None else keep_anonymous
            return p.SetSettings(op=op, dots_per_person=rnd.choice((1, 3, 3, 5)),
                                 dots_per_cause=rnd.choice((1, 2, 2, 3)), anonymous=anonymous)
        case "reveal_votes":
            return p.RevealVotes(op=op, revealed=rnd.random() < 0.6)
        case "set_timer":
            return p.SetTimer(op=op, seconds=rnd.choice((None, 60, 300)))
        case "lock_room":
            return p.LockRoom(op=op, locked=rnd.random() < 0.4)
        case "remove_person":
            people = [pid for pid, person in state.people.items() if person.role != "facilitator"]
            return p.RemovePerson(op=op, person=rnd.choice(people) if people else "p99")
        case "close":
            return p.Close(op=op)
        case _:
            return p.Reopen(op=op)
