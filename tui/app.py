"""`WhytreeApp`: the terminal client of a whytree session, for everyone in the room.

One app for every role. A participant joins a session (the join screen asks for what is
missing); the facilitator's screen is the same with more keys; `viewer=True` is the
read-only projector view; with `host=` the app first starts the server, joins it as the
facilitator and shows the join address and code in large letters.

The hosted server runs on an event loop of its own, in a thread of its own
(`whytree.server.thread.ServerThread`), and this screen joins it over the websocket like
every other: redrawing the tree here never holds up the room's round trips. The app reads
only the server's fixed facts (addresses, code, fingerprint) directly; a new code and the
stop run on the server's loop and are awaited here, the server's notices come back on
this app's loop, and the quit question reads the session from this screen's own mirror.

The app is the one place where the three parts meet ("attributes down, messages up"):

* the `Link` (a worker, `connection.py`) posts every frame it receives; the app gives it
  to the `Mirror`, which applies it, and passes what changed down to the session screen,
  once for all the frames that arrived together (a resume of many events redraws once);
* the session screen builds each command once, with an `op` from the mirror, and puts it
  in the mirror's outbox as the key is pressed (so that the next key press builds on it);
  it calls `send_command` (or posts `SendCommand`) and the app hands the frame to the
  link, which writes it before the key's repaint (while offline the outbox keeps it, and
  the link sends it again after the rejoin);
* link changes (down, reconnecting, refused) go to the status line or the join screen;
* its short messages (`notify`) show on the session screen's own note line, not as toasts
  over the step panel a person is reading (other screens keep Textual's toasts).

A participant comes back as the same person: the token of each session is kept on this
laptop (`Identities`, when the app is given one) and shown again at the next join, unless
they chose to join as someone new. When the same person opens the session on another
screen, this one is told so and waits until asked to be used again. While the link is
down, F2 takes a new address (a host that restarted elsewhere) without losing anything.

Leaving is deliberate on the host: `ctrl+q` (and the palette's Quit) first asks, saying
what happens to the participants; a second `ctrl+q` while it asks, or its default button,
quits. Once the server has stopped, `farewell` says how to resume the session or where its
results are, for the command line to print. A participant's quit is immediate: their
place is kept by the host.
"""

from __future__ import annotations

import dataclasses
import gc
import random
import shlex
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, ClassVar

import msgspec
from rich.text import Text
from textual import constants as textual_constants
from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.driver import Driver
from textual.message_pump import MessagePump
from textual.notifications import Notification, Notify
from textual.screen import Screen
from textual.timer import Timer

from whytree.shared import protocol as p
from whytree.shared.fingerprint import format_fingerprint, normalize_fingerprint
from whytree.shared.joincode import grouped_code, normalize_code
from whytree.shared.mirror import Mirror, Received, ResyncNeeded
from whytree.tui.connection import Link, normalize_url
from whytree.tui.datadir import default_data_dir
from whytree.tui.identities import Identities, Seat
from whytree.tui.messages import NewJoinCode, SendCommand
from whytree.tui.screens.connecting import ConnectingScreen
from whytree.tui.screens.session import SessionScreen
from whytree.tui.trust import KnownHosts, host_port
from whytree.tui.widgets.banner import JoinBanner

if TYPE_CHECKING:
    from whytree.server.app import ServerConfig
    from whytree.server.thread import ServerThread
    from whytree.tui.screens.dialogs import ConfirmScreen
    from whytree.tui.screens.join import JoinScreen

REFUSALS: dict[str, str] = {
    "wrong_code": "That code is not right. Check the code on the host's screen and try again.",
    "throttled": "Too many wrong codes were tried. Wait a minute, then try again.",
    "locked": "The facilitator has locked the room: nobody new can join now. Ask them to unlock it.",
    "removed": "The facilitator removed you from this session.",
    "full": "The session is full: it has as many people as it can hold.",
    "opened_elsewhere": "This session was opened on another screen (you joined again somewhere "
                        "else, or on this laptop), so this screen stopped following it.",
}
"""What each join refusal means, for the person reading the screen (others: the
server's or the link's own sentence)."""
REFUSAL_FIELDS: dict[str, str] = {"wrong_code": "code"}
"""The join screen's field that can fix a refusal (the message shows above it)."""


NEW_ADDRESS_HINT_AFTER = 3
"""Reconnection attempts before the status line suggests typing a new address (F2)."""

START_PAUSE_LIMIT = 5.0
"""Seconds after which garbage is collected again even if no screen has come up yet."""

KEY_SETTLE_LIMIT = 0.5
"""Seconds after which the next key goes on even if the one before is not yet handled to
its end (a widget that went away on the way: see `on_event`)."""

CONNECTING_AFTER = 0.25
"""Seconds a join given everything on the command line waits for the session before it
says "Connecting to ..." (a host on the same network answers well before)."""

BUSY_RETRY = 1.0
"""Seconds (plus up to one more, at random) before a command refused as `busy` goes again."""


class WhytreeApp(App[None]):
    """The whytree terminal client (participant, facilitator, viewer, or host)."""

    CSS_PATH = "app.tcss"
    TITLE = "whytree"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False),
        Binding("f2", "new_address", "New address", tooltip="Type the host's new address"),
    ]

    def __init__(
        self,
        url: str | None = None,
        name: str | None = None,
        code: str | None = None,
        facilitator_key: str | None = None,
        viewer: bool = False,
        host: ServerConfig | None = None,
        *,
        discover: bool = True,
        identities: Identities | None = None,
        new_person: bool = False,
    ) -> None:
        super().__init__()
        self.identities = identities
        """Where this laptop keeps who it was in each session (None: nowhere)."""
        self.new_person = new_person
        """Join as someone new even when this laptop was someone in the session before."""
        self.url = url
        self.person_name = name
        self.code = normalize_code(code) if code else code
        self.facilitator_key = facilitator_key
        self.viewer = viewer
        self.host_config = host
        self.discover = discover
        self.server: ServerThread | None = None
        """The server this app hosts (host mode), on its own loop and thread, once it listens."""
        self._hosted: ServerThread | None = None
        """The server this app started, until it has been stopped (even one still starting)."""
        self.mirror = Mirror()
        self.link: Link | None = None
        self.session_screen: SessionScreen | None = None
        self.join_screen: JoinScreen | None = None
        self._elsewhere = False
        """This screen stopped following: the same person opened the session elsewhere."""
        self.farewell: str | None = None
        """After a hosted session: how to resume it, or where its results are."""
        self._quit_question: ConfirmScreen | None = None
        self._unshown: Received | None = None
        """What the frames taken since the screen was last updated did (see `_show_later`)."""
        self._show_pending = False
        """`_show_unshown` is on its way."""
        self._back = False
        """A `welcome` came back on a dropped link: the status line says so with the rest."""
        self._collect_when_started = not gc.isenabled()
        """The command line paused garbage collection for the start (see `started`)."""
        self._key_on_its_way: events.Key | None = None
        """The key being handled (see `on_event`); the keys behind it wait in `_held_keys`."""
        self._held_keys: deque[events.Key] = deque()
        self._key_timer: Timer | None = None

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal; on Linux and macOS, one that writes a small
        update at once, without waking a thread (`tui/driver.py`)."""
        if sys.platform == "win32" or textual_constants.DRIVER is not None:
            return super().get_driver_class()
        from whytree.tui.driver import PromptDriver

        return PromptDriver

    # --- keys, one at a time --------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Every key is handled to its end before the next one is looked at.

        Textual hands a key to the focused widget and takes the next key at once, while the
        first is still on its way up to the binding it calls. A quick `w` and the answer
        typed behind it then went to the tree, not to the bar `w` opens (the bar takes the
        focus only once `w` has been handled); the letters were lost, or pressed the tree's
        keys. So a key handed on is followed up the widgets it passes through (a check
        queued behind it at each), and the keys behind it wait until it has reached the
        app, the messages its binding posted (an input's "submitted") have gone up the
        same way, and the focus has moved where they send it. A key a widget keeps (a
        letter in an input) is done once its widget has had it; a key a priority binding
        takes, once what that binding posted has gone up."""
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)
        elif self._key_on_its_way is not None or self._held_keys:
            self._held_keys.append(event)
        else:
            await self._handle_key(event)

    async def _handle_key(self, event: events.Key) -> None:
        await super().on_event(event)
        self._key_on_its_way = event
        self._key_timer = self.set_timer(KEY_SETTLE_LIMIT, partial(self._key_handled, event))
        # Handed on, it goes up once, and what its binding posts (an input's "submitted")
        # goes up after it; taken here by a priority binding, only the latter.
        start = self.focused or self.screen
        self._follow_key(start, start, event, 2 if event.is_forwarded else 1)

    def _follow_key(self, start: MessagePump, node: MessagePump | None, event: events.Key,
                    rounds: int) -> None:
        """Queue a check behind everything queued at `node` (or, if it has gone, its
        parent): when it runs, `node` has handled the key and passed it up, if it goes up;
        then the same at its parent, up to the app, `rounds` times from `start`."""
        while node is not None and node is not self:
            if node.call_later(self._key_passed, start, node, event, rounds):
                return
            node = node._parent
        self.call_later(self._key_round_done, start, event, rounds)

    def _key_passed(self, start: MessagePump, node: MessagePump, event: events.Key, rounds: int) -> None:
        self._follow_key(start, node._parent, event, rounds)

    def _key_round_done(self, start: MessagePump, event: events.Key, rounds: int) -> None:
        if rounds > 1:
            self._follow_key(start, start, event, rounds - 1)
        else:
            self._key_handled(event)

    def _key_handled(self, event: events.Key) -> None:
        if self._key_on_its_way is event:
            self._key_on_its_way = None
            if self._key_timer is not None:
                self._key_timer.stop()
                self._key_timer = None
            self._next_key_later()

    def _next_key_later(self) -> None:
        """The next key, once what the last one queued here (a focus moved) has run."""
        if self._held_keys:
            self.call_later(self._next_key)

    async def _next_key(self) -> None:
        if self._key_on_its_way is None and self._held_keys:
            await self._handle_key(self._held_keys.popleft())

    # --- short messages -----------------------------------------------------------------

    @on(Notify)
    def _noted(self, event: Notify) -> None:
        """A short message (`notify`): on the session screen's note line, where it covers
        nothing; Textual shows it as a toast on the other screens (the session screen hides
        its toasts)."""
        screen, notification = self.session_screen, event.notification
        if screen is not None and screen.is_attached:
            screen.note_line.add(_note(notification), notification.severity, notification.timeout)

    def clear_notifications(self) -> None:
        super().clear_notifications()
        if self.session_screen is not None and self.session_screen.is_attached:
            self.session_screen.note_line.clear()

    # --- start ---------------------------------------------------------------------------

    def started(self) -> None:
        """The first screen a person waits for is painted (the session, or the form with a
        problem on it): collect garbage again, as the start paused it.

        A start makes a few hundred thousand objects (Textual, the screens, the session)
        that live as long as the app, and Python's collector, run every few hundred new
        objects, walked them again and again while they were made: about a seventh of a start's
        time. Paused until here, garbage is collected once now, and what is left is kept
        out of later collections (`gc.freeze`), so a full collection in the middle of a
        session no longer walks all of it (a pause the host's room would feel)."""
        if self._collect_when_started:
            self._collect_when_started = False
            gc.collect()
            gc.freeze()
            gc.enable()

    async def on_mount(self) -> None:
        if self._collect_when_started:  # whatever happens, not paused for long
            self.set_timer(START_PAUSE_LIMIT, self.started)
        if self.host_config is not None:
            await self._start_server(self.host_config)
            return
        straight_in = self.url is not None and (self.code or self.facilitator_key) and (
            self.person_name is not None or self.facilitator_key or self.viewer
            or (not self.new_person and self._saved_name(self.url) is not None)
        )
        if straight_in:
            # Everything is given: go straight in, and build the join form only if there
            # is something to fix on it (it is most of what a start costs). "Connecting
            # to ..." shows only if the host is slow to answer: put up at once, it flashed
            # for a few hundredths of a second before the session, and putting it up was
            # a twentieth of the start.
            assert self.url is not None
            try:
                url = normalize_url(self.url)
            except ValueError as problem:
                await self._show_join_problem(str(problem), "address")
                return
            self._connect(url)
            self.set_timer(CONNECTING_AFTER, partial(self._still_connecting, url))
            return
        self.join_screen = self._new_join_screen(self.url, self.person_name, self.code,
                                                 discover=self.discover)
        await self.push_screen(self.join_screen)
        self.call_after_refresh(self.started)

    @property
    def _nothing_shown_yet(self) -> bool:
        """A join (not the host) with no session and no form yet."""
        return self.host_config is None and self.session_screen is None and self.join_screen is None

    @property
    def _going_straight_in(self) -> bool:
        """Joining with everything given, and nothing shown yet but (perhaps) "Connecting
        to ...": not the host, no session, no form, no dialog."""
        return self._nothing_shown_yet and (
            len(self.screen_stack) == 1 or isinstance(self.screen, ConnectingScreen))

    async def _still_connecting(self, url: str) -> None:
        """No session, no form yet: say where it is connecting. Under a dialog (the
        host's fingerprint to confirm, the command palette), again once it is closed."""
        if not self._nothing_shown_yet or any(isinstance(s, ConnectingScreen) for s in self.screen_stack):
            return
        if len(self.screen_stack) == 1:
            await self.push_screen(ConnectingScreen(url))
        else:
            self.set_timer(CONNECTING_AFTER, partial(self._still_connecting, url))

    async def _show_join_problem(self, message: str, field: str | None) -> None:
        """Put up the join form (in place of the connecting line) with `message` on it."""
        self.join_screen = self._new_join_screen(self.url, self.person_name, self.code, discover=False)
        if isinstance(self.screen, ConnectingScreen):
            await self.switch_screen(self.join_screen)
        else:
            await self.push_screen(self.join_screen)
        # Once the form has put the focus where it starts: the problem's field takes it.
        self.join_screen.call_after_refresh(self.join_screen.show_problem, message, field)
        self.call_after_refresh(self.started)

    async def _start_server(self, config: ServerConfig) -> None:
        from whytree.server.journal import JournalDamaged, JournalError
        from whytree.server.thread import ServerThread

        if config.on_notice is None:
            config = dataclasses.replace(config, on_notice=self._server_notice)
        # Its own loop in its own thread: the room's round trips never wait for this
        # screen to redraw. Its notices come back on this app's loop.
        server = self._hosted = ServerThread(config)
        try:
            await server.start()
        except OSError as problem:
            # Printed by Rich on the way out: as plain Text, so a path is never markup.
            self.exit(message=Text(f"whytree: cannot listen on {config.bind}:{config.port}: "
                                   f"{problem.strerror or problem}. Is another session running? "
                                   "Try --port 0."))
            return
        except (JournalDamaged, JournalError) as problem:
            self.exit(message=Text(f"whytree: {problem}"))
            return
        self.server = server
        self.facilitator_key = server.facilitator_key
        self.code = server.code
        if server.resumed:
            state = await server.snapshot()
            self.notify(f"Resumed the open session{': ' + state.title if state.title else ''} "
                        f"with everything saved so far ({len(state.causes)} answers, "
                        f"{len(state.actions)} actions). The join code is the same. "
                        "Start with --new for a fresh session.", title="Session resumed", timeout=15,
                        markup=False)
        if server.moved_from is not None:
            self.notify(f"This session was on port {server.moved_from}, but another program uses "
                        f"that port now, so the session moved to port {server.port}. The new "
                        "address is shown at the top: people already in must type it (F2 on "
                        "their screen); the code is the same.", title="New address",
                        severity="warning", timeout=60, markup=False)
        self._connect(server.local_url, retry_first=True)

    def _server_notice(self, message: str) -> None:
        self.notify(message, title="Host", timeout=10, markup=False)

    async def on_unmount(self) -> None:
        hosted, listening = self._hosted, self.server is not None
        if hosted is not None:
            self.server = None
            await hosted.stop()  # (waits for the results being written, if any)
            self._hosted = None
            if listening:
                self.farewell = _farewell(hosted)

    def stop_hosting(self) -> None:
        """Stop the hosted server, if the app has not: for the command line once the app
        has ended (an interrupt can end it before its unmount stopped the server). Blocks
        until the server has stopped and written what it had to write."""
        hosted, self._hosted = self._hosted, None
        if hosted is None:
            return
        listening, self.server = self.server is not None, None
        hosted.stop_now()
        if listening and self.farewell is None:
            self.farewell = _farewell(hosted)

    # --- leaving ----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit; on the host, only after saying what it means for the room."""
        if self.server is None or self.session_screen is None or self._quit_question is not None:
            self.exit()
            return
        # As the facilitator's screen shows it (the server's own copy lives on its thread).
        state = self.mirror.state
        if state is not None and state.phase == "closed":
            where = f" in {self.server.results_dir}" if self.server.results_dir else ""
            question = (f"Quit whytree? The session is closed and its results are saved{where}. "
                        "Participants' screens lose the connection to this laptop.")
        else:
            question = ("Quit whytree? The session stops for everyone for now: participants' "
                        "screens say they are reconnecting and wait. Nothing is lost: everything "
                        "so far stays on this laptop, and `whytree host` resumes it with the same "
                        "code. (To finish and save the results, close the session with x instead.)")
        from whytree.tui.screens.dialogs import ConfirmScreen  # (loaded when first asked)

        self._quit_question = ConfirmScreen(question, "Quit", default_yes=True)

        def answered(yes: object) -> None:
            self._quit_question = None
            if yes is True:
                self.exit()

        self.push_screen(self._quit_question, answered)

    # --- the link ---------------------------------------------------------------------------

    def _seat(self) -> Seat:
        if self.viewer:
            return "viewer"
        return "facilitator" if self.facilitator_key else "participant"

    def _saved_name(self, url: str) -> str | None:
        """The name this laptop comes back as at `url` (None: it was nobody there yet)."""
        if self.identities is None:
            return None
        try:
            saved = self.identities.find(normalize_url(url), self._seat())
        except ValueError:
            return None
        return None if saved is None else saved.name

    def _new_join_screen(self, url: str | None, name: str | None, code: str | None, *,
                         discover: bool) -> JoinScreen:
        from whytree.tui.screens.join import JoinScreen  # (only when there is a form to show)

        return JoinScreen(url, name, code, discover=discover, saved_name=self._saved_name,
                          new_person=self.new_person)

    def _connect(self, url: str, *, retry_first: bool = False) -> None:
        self.mirror = Mirror()
        if self.identities is not None and not self.new_person and self.server is None:
            saved = self.identities.find(url, self._seat())
            if saved is not None:
                self.mirror.token = saved.token
        self._relink(url, retry_first=retry_first)

    def _relink(self, url: str, *, retry_first: bool = False) -> None:
        """A new link to `url` for the same mirror: who this is, what it shows and the
        commands not yet answered are kept (the previous link's worker is cancelled)."""
        self.url = url
        self._elsewhere = False
        self.link = Link(
            url,
            join_frame=self._join_frame,
            pending_frames=self.mirror.pending_frames,
            post=self.post_message,
            retry_first=retry_first,
            check_fingerprint=self._check_fingerprint,
        )
        self._run_link(self.link)

    def _join_frame(self) -> bytes:
        return self.mirror.join_frame(
            code=None if self.facilitator_key else self.code,
            facilitator_key=self.facilitator_key or None,
            name=self.person_name or "",
            role="viewer" if self.viewer else "participant",
        )

    async def _check_fingerprint(self, fingerprint: str) -> str | None:
        """Trust on first use for `wss://` hosts (see `whytree.tui.trust`): the person
        confirms the fingerprint once; afterwards a changed certificate is refused."""
        if self.server is not None:  # our own server: we know its certificate
            mine = self.server.fingerprint or ""
            same = normalize_fingerprint(mine) == normalize_fingerprint(fingerprint)
            return None if same else "The local server shows an unexpected certificate."
        assert self.link is not None
        known = KnownHosts.in_dir(default_data_dir())
        where = host_port(self.link.url)
        verdict = known.check(where, fingerprint)
        shown = format_fingerprint(fingerprint)
        if verdict == "changed":
            return (f"The host at {where} shows a different security fingerprint ({shown}) than "
                    "last time. It may be a new laptop — or someone pretending to be the host. "
                    "The code was not sent. Ask the facilitator.")
        if verdict == "new":
            question = (f"First time joining {where} over an encrypted link. Its security "
                        f"fingerprint is\n\n    {shown}\n\nDoes it match the fingerprint on the "
                        "host's screen?")
            # The link worker waits here for the person's answer.
            from whytree.tui.screens.dialogs import ConfirmScreen

            if not await self.push_screen_wait(ConfirmScreen(question, yes="Yes, it matches")):
                return ("You did not confirm the host's security fingerprint, so the join code "
                        "was not sent. Check it with the facilitator and join again.")
            known.remember(where, fingerprint)
        return None

    @work(exclusive=True, group="link", exit_on_error=False)
    async def _run_link(self, link: Link) -> None:
        await link.run()

    def on_join_screen_submitted(self, event: JoinScreen.Submitted) -> None:
        self.url, self.person_name, self.code = event.url, event.name, event.code
        self.new_person = event.new_person
        self._connect(event.url)

    @on(Link.FrameReceived)
    async def _frame(self, event: Link.FrameReceived) -> None:
        try:
            received = self.mirror.receive(event.data, event.local_time)
        except ResyncNeeded:
            if self.link is not None:
                self.link.drop()
            return
        except msgspec.DecodeError:
            self.notify("The host sent something this version of whytree does not understand.",
                        severity="warning", markup=False)
            return
        except Exception:  # noqa: BLE001 - an event that does not fit this copy of the session
            # `apply` trusts the host's events; one that does not fit (a newer or buggy host)
            # may have half-changed the copy. Forget it and rejoin for the whole session.
            self.mirror.state = None
            if self.link is not None:
                self.link.drop()
            return
        frame = received.frame
        if isinstance(frame, p.Welcome):
            self._remember()
        if isinstance(frame, p.Error) and frame.code != "opened_elsewhere":  # a dialog says it
            self.notify(frame.message, title="The host says", severity="warning", markup=False)
        rejected = received.rejected
        if rejected is not None and rejected.reason == "busy":
            # Many changes at once (say, a queue typed while offline): the host takes 20 a
            # second after a burst; send this one again in a moment, quietly.
            self.set_timer(BUSY_RETRY + random.random(), lambda op=rejected.op: self._retry(op))
        elif rejected is not None:
            self.notify(rejected.message, severity="warning", timeout=5, markup=False)
        if self.session_screen is None:
            if isinstance(frame, p.Welcome):
                await self._welcomed()  # the new screen shows the whole state as it mounts
            return
        if isinstance(frame, p.Welcome):
            self._back = True  # "connected" shows with what was missed, not before it
        self._show_later(received)

    def _show_later(self, received: Received) -> None:
        """Show what `received` did together with the frames queued right behind it: the
        link posts every frame already waiting on the socket at once, and the screen is
        updated once for all of them (a burst of votes). Back from a drop, the screen
        waits until every missed event is in (`Mirror.catching_up`) and shows them in one
        go: no frame shows a state half-way through the catch-up."""
        self._unshown = received if self._unshown is None else self._unshown.then(received)
        if not self._show_pending and not self.mirror.catching_up:
            self._show_pending = True
            self.call_later(self._show_unshown)

    def _show_unshown(self) -> None:
        self._show_pending = False
        received, self._unshown = self._unshown, None
        screen = self.session_screen
        if screen is None:
            return
        if received is not None:
            screen.follow(received)
        if self._back:
            self._back = False
            screen.status_line.connected()

    def _remember(self) -> None:
        """Keep this person's token on this laptop, to come back as them next time."""
        mirror, link = self.mirror, self.link
        if (self.identities is None or self.server is not None or link is None
                or mirror.token is None or mirror.state is None):
            return
        name = mirror.me.name if mirror.me is not None else ""
        self.identities.remember(link.url, mirror.state.id, self._seat(), mirror.token, name)
        self.new_person = False  # from now on, this laptop is this person here
        if self.identities.problem is not None:
            self.notify(self.identities.problem, severity="warning", timeout=10, markup=False)

    def _retry(self, op: str) -> None:
        frame = self.mirror.retry_frame(op)
        if frame is not None and self.link is not None:
            self.link.send(frame)

    async def _welcomed(self) -> None:
        banner = None
        if self.server is not None:
            from whytree.server.qr import text_rows  # only the host draws it

            browser = self.server.browser_urls[0] if self.server.browser_urls else None
            qr_rows = text_rows(browser, border=1) if browser is not None else None
            banner = JoinBanner(self.server.urls, self.server.code, fingerprint=self.server.fingerprint,
                                browser_url=browser, qr_rows=qr_rows, id="banner")
        screen = SessionScreen(self.mirror, viewer=self.viewer, banner=banner,
                               facilitator_key=self.server.facilitator_key if self.server else None,
                               send_command=self.send_command)
        if (self.join_screen is not None and self.screen is self.join_screen) or isinstance(
                self.screen, ConnectingScreen):
            await self.switch_screen(screen)
        else:
            await self.push_screen(screen)
        # Only a mounted screen is followed: frames are handled one at a time, so nothing
        # arrives between the push and this line. It shows the whole state as it mounts.
        self.session_screen = screen
        for notification in self._notifications:  # said before the screen was there
            if not notification.has_expired:
                screen.note_line.add(_note(notification), notification.severity, notification.time_left)
        self._unshown = None
        self.join_screen = None
        screen.status_line.connected()
        self.call_after_refresh(self.started)

    @on(Link.Down)
    def _down(self, event: Link.Down) -> None:
        if self._unshown is not None and not self._show_pending:
            # Dropped again half-way through a catch-up: show what did arrive.
            self._show_pending = True
            self.call_later(self._show_unshown)
        self._back = False
        if self.session_screen is not None and not self._elsewhere:
            self.session_screen.status_line.down(event.since)
        self._show_new_address_key()

    @on(Link.Reconnecting)
    def _reconnecting(self, event: Link.Reconnecting) -> None:
        if self.session_screen is not None:
            if self.server is None and event.attempt >= NEW_ADDRESS_HINT_AFTER:
                self.session_screen.status_line.hint = "F2: type a new address"
            self.session_screen.status_line.reconnecting(event.attempt)
        self._show_new_address_key()

    def _show_new_address_key(self) -> None:
        """F2 (a new address) shows in the footer while the link is down; the link also
        drops as the app quits, when no screen is left to show it on."""
        if self.screen_stack:
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new_address":
            # Only for someone who joined a host elsewhere and lost the link to it.
            return (self.server is None and self.session_screen is not None
                    and self.link is not None and not self.link.joined)
        return True

    def action_new_address(self) -> None:
        if self.link is None or self.link.joined or self.server is not None:
            return

        def chosen(url: str | None) -> None:
            if url is not None and self.link is not None and not self.link.joined:
                self._relink(url, retry_first=True)

        from whytree.tui.screens.relink import AddressScreen

        self.push_screen(AddressScreen(self.link.url), chosen)

    @on(Link.Refused)
    async def _refused(self, event: Link.Refused) -> None:
        message = REFUSALS.get(event.code, event.message)
        if event.code == "opened_elsewhere" and self.session_screen is not None:
            self._elsewhere = True  # not "offline": this screen stopped on purpose
            self.session_screen.status_line.update("not following: opened on another screen")

            def chosen(use_here: bool | None) -> None:
                if use_here:
                    self._relink(self.url or "", retry_first=True)
                else:
                    self.exit()

            from whytree.tui.screens.relink import ElsewhereScreen

            await self.push_screen(ElsewhereScreen(message), chosen)
            return
        if self.session_screen is None and self.join_screen is not None:
            self.join_screen.show_problem(message, REFUSAL_FIELDS.get(event.code))
            return
        if self._going_straight_in:
            await self._show_join_problem(message, REFUSAL_FIELDS.get(event.code))
            return
        if self.server is not None:
            self.notify(message, severity="error", timeout=30, markup=False)
            return
        # Refused on the way back in (removed, or the session changed): back to joining.
        session, self.session_screen = self.session_screen, None
        # A dialog open over the session goes too: the join screen takes the session's place.
        while session is not None and self.screen is not session and len(self.screen_stack) > 1:
            await self.pop_screen()
        self.join_screen = self._new_join_screen(self.url, self.person_name, None, discover=False)
        await self.switch_screen(self.join_screen)
        self.join_screen.show_problem(message, REFUSAL_FIELDS.get(event.code))

    @on(Link.Failed)
    async def _failed(self, event: Link.Failed) -> None:
        if self.join_screen is not None:
            self.join_screen.show_problem(event.message, "address")
        elif self._going_straight_in:
            await self._show_join_problem(event.message, "address")
        else:
            self.notify(event.message, severity="error", timeout=30, markup=False)

    # --- sending ---------------------------------------------------------------------------

    @on(SendCommand)
    def _send(self, event: SendCommand) -> None:
        event.stop()
        self.send_command(event.command)

    def send_command(self, command: p.ClientCommand) -> None:
        """Send `command` to the host now (the mirror's outbox keeps it until answered)."""
        if self.viewer:
            self.notify("This screen is a read-only view.", severity="warning", markup=False)
            return
        frame: bytes | None
        if command.op in self.mirror.outbox:
            # Queued by the session screen as the key was pressed (so the next key counts
            # it); sent now unless the link already sent it again after a rejoin and the
            # server answered.
            frame = self.mirror.retry_frame(command.op)
        else:
            frame = self.mirror.command(command)
        if frame is not None and self.link is not None:
            self.link.send(frame)

    @on(NewJoinCode)
    async def _new_join_code(self, event: NewJoinCode) -> None:
        event.stop()
        if self.server is None:
            return
        from whytree.server.journal import JournalError
        from whytree.server.thread import ServerStopped

        try:
            code = await self.server.new_code()  # on the server's loop (and in its journal)
        except JournalError as problem:
            self.notify(f"The code was not changed: {problem}", severity="error", timeout=15,
                        markup=False)
            return
        except ServerStopped:  # quitting
            return
        banner = self.session_screen.banner if self.session_screen is not None else None
        if banner is not None:
            banner.set_code(code)
            banner.display = True
        self.notify(f"The new join code is {grouped_code(code)}. Read it out to anyone still "
                    "joining; people already in stay in.", title="New join code", timeout=15,
                    markup=False)

    # --- the command palette ------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """whytree's own commands, in its words; not Textual's developer ones (theme,
        screenshot, maximize, the keys panel), which mean nothing to the room."""
        yield SystemCommand("Quit", "Leave whytree (on the host, it asks first)", self.action_quit)
        if isinstance(screen, SessionScreen):
            for title, help_text, action in screen.palette_commands():
                yield SystemCommand(title, help_text, _runner(screen, action))


def _farewell(server: ServerThread) -> str:
    """What the host's terminal says once the session's screen has gone (and the server
    has stopped: its state is read as it left it)."""
    state = server.state
    if state.phase == "closed" and server.results_dir is not None:
        return (f"The session is closed. Its results are in {server.results_dir}\n"
                "(report.md and report.html to read or print, actions.csv, session.json).\n"
                "`whytree sessions` lists the saved sessions; `whytree report ID` prints one.")

    config = server.config
    again = "whytree host"
    if config.data_dir != default_data_dir():
        again += f" --data-dir {shlex.quote(str(config.data_dir))}"
    if config.port not in (0, p.DEFAULT_PORT):
        again += f" --port {config.port}"
    if config.tls:
        again += " --tls"
    if state.phase == "closed":
        return ("The session is closed, but its results could not be written yet. Run\n"
                f"    {again}\nto write them (nothing is lost).")
    return ("The session is paused, not closed: everything so far is kept on this laptop.\n"
            "Participants' screens wait and reconnect by themselves when it starts again.\n"
            f"To carry on with the same code, run:\n    {again}")


def _runner(screen: SessionScreen, action: str) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await screen.run_action(action)

    return run


def _note(notification: Notification) -> Content:
    """A notification for the note line: its title in bold, then its message (plain text
    unless it was given as markup: people's words never are)."""
    message, title = notification.message, notification.title
    text = Content.from_markup(message) if notification.markup else Content(message)
    return Content.assemble((f"{title}: ", "bold"), text) if title else text
