"""Property tests: everyone converges, nothing acknowledged is lost, nothing private leaks.

The hub and simulated clients talk over the in-memory link of `sim.py`, which loses,
repeats and reorders frames between connections, cuts connections and crashes the host.
Once the link is quiet and everyone is back, every client's state must be exactly the
server's state as that person may see it (`views.project`), the server's state must be
what a fresh replay of the journal gives, every acknowledged `op` must be in the journal
exactly once, and every outbox must be empty. Along the way no client may receive another
person's hidden votes, nor, in an anonymous session, anything that tells who wrote what.

The run length is a settings profile: `WHYTREE_SOAK=1` (or a number of examples, say
`WHYTREE_SOAK=5000`) turns the default quick run into a long soak.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)
from sim import Net, SimClient, random_command

from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.shared.apply import apply
from whytree.shared.model import Session, deep_copy
from whytree.shared.views import project, redact

_soak = os.environ.get("WHYTREE_SOAK", "")
settings.register_profile(
    "convergence",
    max_examples=100,
    stateful_step_count=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "convergence-soak",
    max_examples=int(_soak) if _soak.isdigit() and int(_soak) > 1 else 2000,
    stateful_step_count=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile("convergence-soak" if _soak else "convergence")


# --- checks ---------------------------------------------------------------------------------


def same(a: Session, b: Session) -> bool:
    """Equal, including the order of every map (the order of causes is sibling order)."""
    return p.encode(a) == p.encode(b)


def diff(a: Session, b: Session) -> str:
    left, right = msgspec.to_builtins(a), msgspec.to_builtins(b)
    lines = [f"  {key}: {left[key]!r}\n  != {right[key]!r}" for key in left if left[key] != right[key]]
    return "\n".join(lines) or "  (same fields, different order)"


def check_converged(net: Net) -> None:
    """Settle the link, then check everything that must hold once it is quiet."""
    net.settle()
    hub = net.hub
    trace = "\n".join(net.trace[-40:])
    for client in net.clients:
        if client.role == "intruder":  # nobody outside the room gets in, or hears anything
            assert client.state is None and client.person is None
            assert all(seen.json()["type"] == "error" for seen in client.seen), client.seen
            continue
        if client.shut_out == "removed":  # and after the removal, nothing but "removed"
            assert hub.state.people[client.person].removed  # type: ignore[index]
            codes = [seen.json().get("code") for seen in client.seen]
            assert set(codes[codes.index("removed"):]) == {"removed"}, codes
            continue
        if client.state is None:
            assert client.shut_out == "locked", client
            continue
        assert client.shut_out is None, client
        assert client.resyncs == 0, client
        seen = project(hub.state, client.person)  # type: ignore[arg-type]
        assert same(client.state, seen), f"{client.label} diverged:\n{diff(client.state, seen)}\n{trace}"
        assert client.mirror.me == seen.people[client.person]  # type: ignore[index]
        assert client.mirror.outbox == {}, f"{client.label} still waits for {list(client.mirror.outbox)}"

    replayed = net.replayed_hub()
    assert same(hub.state, replayed.state), f"replay differs:\n{diff(hub.state, replayed.state)}"
    assert hub.accepted == replayed.accepted

    journal = Counter((e.by, e.op) for e in net.journal_events() if e.op is not None)
    assert all(count == 1 for count in journal.values()), journal.most_common(3)
    for client in net.clients:
        lost = client.acked - journal.keys()
        assert not lost, f"{client.label}: acknowledged but not in the journal: {lost}"

    online = {c.person for c in hub.conns.values() if c.person is not None}
    for person in hub.state.people.values():
        assert person.online == (person.id in online), f"{person} online? conns: {online}\n{trace}"


def walk(node: Any, path: str = "") -> Any:
    """Every (path, key, value) in a decoded JSON frame."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}[{index}]")


def check_private(net: Net, client: SimClient, start: int = 0) -> None:
    """Hidden votes and anonymity in every frame `client` received from `start` on."""
    names = {c.name for c in net.clients if c is not client and c.name and c.name != client.name}
    ops_of_others = {op for c in net.clients if c is not client for op in c.sent}
    for seen in client.seen[start:]:
        frame = seen.json()
        me = seen.person
        where = f"{client.label} ({me}) got {seen.data[:300]!r}"
        is_event = frame.get("type") == "event"
        command = frame.get("command", {}) if is_event else {}
        fresh = is_event and (seen.seq_before is None or frame["seq"] > seen.seq_before)

        # Hidden votes: nobody's ballot but one's own, no tally before a reveal.
        for _, key, value in walk(frame):
            if key == "ballots":
                assert set(value) <= {me}, f"someone else's ballot: {where}"
        if command.get("type") in ("set_dots", "set_change"):
            assert frame["by"] == me, f"someone else's vote: {where}"
        if fresh and command.get("tally"):
            assert command["type"] == "reveal_votes" or seen.revealed_before, f"tally unrevealed: {where}"
        if frame.get("type") == "welcome" and frame["state"] is not None:
            assert frame["state"]["revealed"] or not frame["state"]["tally"], f"tally unrevealed: {where}"

        if not seen.anonymous:
            continue
        # Anonymity: no author, no `by`, no op of anyone else; nobody else's name.
        if is_event:
            assert frame["by"] in (None, me), f"`by` in an anonymous session: {where}"
        for _, key, value in walk(frame):
            if key in ("author", "removed_by"):
                assert value in (None, me), f"an {key} in an anonymous session: {where}"
            if key == "op":
                assert value not in ops_of_others, f"another person's op in an anonymous session: {where}"
            if isinstance(value, str):
                assert not any(name in value for name in names), f"a name in an anonymous session: {where}"


# --- the state machine ----------------------------------------------------------------------

SEEDS = st.integers(0, 2**32 - 1)
"""Seeds for `random.Random`: the sim's many small choices, made fast and replayable."""
CASTS = [("Ann Quill", "Bo Rivet", ""), ("Ann Quill",), ("Ann Quill", "Bo Rivet", "Cy Tam", "Dee Voss")]
"""Participants' names ("" stays anonymous). No name appears in any text the sim types."""


class SessionOnABadNetwork(RuleBasedStateMachine):
    """A session on a bad network: commands, lost and repeated frames, cuts and crashes.

    `walk` does most of the work (a spell of the sim's weighted random steps); the other
    rules make the same moves one at a time, so hypothesis can line up the interleavings
    that matter and shrink a failure to a few readable steps."""

    @initialize(
        anonymous=st.booleans(),
        viewer=st.booleans(),
        intruder=st.booleans(),
        names=st.sampled_from(CASTS),
        resume_window=st.sampled_from([None, 4, 40]),
    )
    def start(self, anonymous: bool, viewer: bool, intruder: bool, names: tuple[str, ...],
              resume_window: int | None) -> None:
        self.net = Net(names=names, viewer=viewer, anonymous=anonymous, intruder=intruder,
                       resume_window=resume_window)
        self.anonymous = anonymous
        self.checked = {client.label: 0 for client in self.net.clients}
        self.net.connect(self.net.clients[0])

    def client(self, index: int) -> SimClient:
        return self.net.clients[index % len(self.net.clients)]

    def _make_command(self, client: SimClient, rnd: random.Random) -> None:
        if client.state is None or not client.active:
            return
        made = random_command(rnd, client, keep_anonymous=True if self.anonymous else None)
        if isinstance(made, bytes):
            self.net.send_raw(client, made)
        else:
            self.net.command(client, made)

    @rule(seed=SEEDS, steps=st.integers(1, 120))
    def walk(self, seed: int, steps: int) -> None:
        """A spell of everything at random: commands, delivery and the odd fault."""
        rnd = random.Random(seed)
        for _ in range(steps):
            self.net.random_step(rnd, anonymous=True if self.anonymous else None)

    @rule(seed=SEEDS, who=st.integers(0, 9), count=st.integers(1, 4))
    def someone_acts(self, seed: int, who: int, count: int) -> None:
        rnd = random.Random(seed)
        for _ in range(count):
            self._make_command(self.client(who), rnd)

    @rule(seed=SEEDS)
    def facilitator_acts(self, seed: int) -> None:
        self._make_command(self.net.clients[0], random.Random(seed))

    @rule(count=st.integers(1, 8), which=st.integers(0, 9))
    def server_reads(self, count: int, which: int) -> None:
        for _ in range(count):
            ready = [link for link in self.net.links.values() if link.up]
            if not ready:
                return
            self.net.server_take(ready[which % len(ready)])
            which += 1

    @rule()
    def flush(self) -> None:
        self.net.flush()

    @rule(count=st.integers(1, 12), which=st.integers(0, 9))
    def clients_read(self, count: int, which: int) -> None:
        for _ in range(count):
            ready = [link for link in self.net.links.values() if link.down]
            if not ready:
                return
            self.net.client_take(ready[which % len(ready)])
            which += 1

    @rule(who=st.integers(0, 9), keep=st.integers(0, 3))
    def cut(self, who: int, keep: int) -> None:
        self.net.cut(self.client(who), keep)

    @rule()
    def server_notices(self) -> None:
        for link in self.net.dead_links()[:1]:
            self.net.server_notices(link)

    @rule(who=st.integers(0, 9))
    def reconnect(self, who: int) -> None:
        client = self.client(who)
        if client.link is None and client.active:
            self.net.connect(client)

    @rule(who=st.integers(0, 9), which=st.integers(0, 1000))
    def retry(self, who: int, which: int) -> None:
        client = self.client(who)
        if client.sent:
            ops = sorted(client.sent)
            self.net.retry(client, ops[which % len(ops)])

    @rule(after_commit=st.booleans(), really=st.integers(0, 2))
    def crash(self, after_commit: bool, really: int) -> None:
        if really == 0:  # a third as often as the other rules
            self.net.crash(after_commit=after_commit)

    @rule(seconds=st.sampled_from([0.05, 0.5, 2.0, 120.0]))
    def tick(self, seconds: float) -> None:
        self.net.tick(seconds)

    @rule(really=st.integers(0, 4))
    def settle_and_check(self, really: int) -> None:
        if really == 0:
            self.check()

    @invariant()
    def acknowledged_is_durable(self) -> None:
        """No op a client saw acknowledged is ever missing from the journal, crash or not."""
        if not hasattr(self, "net"):
            return
        journal = {(e.by, e.op) for e in self.net.journal_events()}
        for client in self.net.clients:
            lost = client.acked - journal
            assert not lost, f"{client.label}: {lost} acknowledged but not durable"

    def check(self) -> None:
        check_converged(self.net)
        for client in self.net.clients:
            check_private(self.net, client, self.checked[client.label])
            self.checked[client.label] = len(client.seen)

    def teardown(self) -> None:
        if hasattr(self, "net"):
            self.check()


SessionOnABadNetwork.TestCase.settings = PROFILE
TestSessionOnABadNetwork = SessionOnABadNetwork.TestCase


# --- random sessions, checked after the fact ------------------------------------------------

MANY = settings(PROFILE, max_examples=PROFILE.max_examples * 2)
"""Random walks are cheap: run more of them than state machine examples."""


def random_session(seed: int, steps: int, **options: Any) -> Net:
    """A session of `steps` random steps on a bad network, settled at the end."""
    net = Net(**options)
    rnd = random.Random(seed)
    anonymous = True if options.get("anonymous") else None
    net.connect(net.clients[0])
    for _ in range(steps):
        net.random_step(rnd, anonymous=anonymous)
    net.settle()
    return net


@MANY
@given(anonymous=st.booleans(), seed=SEEDS, steps=st.integers(50, 600))
def test_apply_commutes_with_project(anonymous: bool, seed: int, steps: int) -> None:
    """`apply(project(s, v), redact(e, v)) == project(apply(s, e), v)` for every event of
    random sessions (as the hub made them) and every person in the session."""
    net = random_session(seed, steps, anonymous=anonymous, names=CASTS[2])
    state = deep_copy(net.blank)
    for event in net.journal_events():
        before = {viewer: project(state, viewer) for viewer in state.people}
        apply(state, event)
        for viewer, seen in before.items():
            mirrored = apply(seen, redact(event, viewer, state.settings.anonymous))
            expected = project(state, viewer)
            assert same(mirrored, expected), (
                f"event {p.encode(event)!r} seen by {viewer}:\n{diff(mirrored, expected)}"
            )


@MANY
@given(seed=SEEDS, steps=st.integers(100, 1500), names=st.sampled_from(CASTS))
def test_anonymous_sessions_never_tell_who(seed: int, steps: int, names: tuple[str, ...]) -> None:
    """In an anonymous session no frame to anyone carries another person's id as `author`
    or `by`, another person's op (which would tie their commands together) or name."""
    net = random_session(seed, steps, anonymous=True, names=names, intruder=True)
    check_converged(net)
    for client in net.clients:
        assert all(seen.anonymous for seen in client.seen)
        check_private(net, client)


@MANY
@given(seed=SEEDS, steps=st.integers(100, 1500), names=st.sampled_from(CASTS))
def test_hidden_votes_reach_nobody_else(seed: int, steps: int, names: tuple[str, ...]) -> None:
    """Before a reveal no frame to anyone carries another person's dots or "can change"
    answer, nor any tally."""
    net = random_session(seed, steps, names=names)
    check_converged(net)
    for client in net.clients:
        check_private(net, client)


async def test_a_restarted_host_keeps_an_anonymous_session_anonymous(make_server: Any) -> None:
    """The real server: `--anonymous` is in the journal, so a restart resumes it."""
    first: Server = await make_server(anonymous=True)
    await first.stop()
    again: Server = await make_server()
    assert again.resumed and again.state.settings.anonymous
