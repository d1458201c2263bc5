"""`WhytreeApp`: the terminal client of a whytree session, for everyone in the room.

One app for every role. A participant joins a session (the join screen asks for what is
missing); the facilitator's screen is the same with more keys; `viewer=True` is the
read-only projector view; with `host=` the app first starts the server in its own event
loop, joins it as the facilitator and shows the join address and code in large letters.

The app is the one place where the three parts meet ("attributes down, messages up"):

* the `Link` (a worker, `connection.py`) posts every frame it receives; the app gives it
  to the `Mirror`, which applies it, and passes what changed down to the session screen;
* the screen and the step panels post `SendCommand`; the app stamps a fresh `op`, records
  the command in the mirror's outbox and hands the frame to the link (while offline the
  outbox keeps it, and the link sends it again after the rejoin);
* link changes (down, reconnecting, refused) go to the status line or the join screen.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

import msgspec
from rich.text import Text
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from whytree.shared import protocol as p
from whytree.shared.mirror import Mirror, ResyncNeeded
from whytree.tui.connection import Link
from whytree.tui.messages import NewJoinCode, SendCommand
from whytree.tui.screens.dialogs import ConfirmScreen
from whytree.tui.screens.join import JoinScreen
from whytree.tui.screens.session import SessionScreen
from whytree.tui.widgets.banner import JoinBanner

if TYPE_CHECKING:
    from whytree.server.app import Server, ServerConfig

REFUSALS: dict[str, str] = {
    "wrong_code": "That code is not right. Check the code on the host's screen and try again.",
    "throttled": "Too many wrong codes were tried. Wait a minute, then try again.",
    "locked": "The facilitator has locked the room: nobody new can join now. Ask them to unlock it.",
    "removed": "The facilitator removed you from this session.",
    "full": "The session is full: it has as many people as it can hold.",
}
"""What each join refusal means, for the person reading the screen (others: the
server's or the link's own sentence)."""


BUSY_RETRY = 1.0
"""Seconds (plus up to one more, at random) before a command refused as `busy` goes again."""


class WhytreeApp(App[None]):
    """The whytree terminal client (participant, facilitator, viewer, or host)."""

    CSS_PATH = "app.tcss"
    TITLE = "whytree"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "quit", "Quit", show=False)]

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
    ) -> None:
        super().__init__()
        self.url = url
        self.person_name = name
        self.code = "".join(code.split()) if code else code
        self.facilitator_key = facilitator_key
        self.viewer = viewer
        self.host_config = host
        self.discover = discover
        self.server: Server | None = None
        self.mirror = Mirror()
        self.link: Link | None = None
        self.session_screen: SessionScreen | None = None
        self.join_screen: JoinScreen | None = None

    # --- start ---------------------------------------------------------------------------

    async def on_mount(self) -> None:
        if self.host_config is not None:
            await self._start_server(self.host_config)
            return
        straight_in = self.url is not None and (self.code or self.facilitator_key) and (
            self.person_name is not None or self.facilitator_key or self.viewer
        )
        self.join_screen = JoinScreen(self.url, self.person_name, self.code,
                                      discover=self.discover and not straight_in)
        await self.push_screen(self.join_screen)
        if straight_in:
            assert self.url is not None
            try:
                from whytree.tui.connection import normalize_url

                url = normalize_url(self.url)
            except ValueError as problem:
                self.join_screen.show_problem(str(problem))
                return
            self.join_screen.show_busy(f"Connecting to {url} …")
            self._connect(url)

    async def _start_server(self, config: ServerConfig) -> None:
        from whytree.server.app import Server
        from whytree.server.journal import JournalDamaged, JournalError

        if config.on_notice is None:
            config = dataclasses.replace(config, on_notice=self._server_notice)
        server = Server(config)
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
        if not self.person_name:
            self.person_name = "Facilitator"
        self.facilitator_key = server.facilitator_key
        self.code = server.code
        if server.resumed:
            state = server.state
            self.notify(f"Resumed the open session{': ' + state.title if state.title else ''} "
                        f"with everything saved so far ({len(state.causes)} answers, "
                        f"{len(state.actions)} actions). The join code is the same. "
                        "Start with --new for a fresh session.", title="Session resumed", timeout=15,
                        markup=False)
        self._connect(server.local_url, retry_first=True)

    def _server_notice(self, message: str) -> None:
        self.notify(message, title="Host", timeout=10, markup=False)

    async def on_unmount(self) -> None:
        if self.server is not None:
            server, self.server = self.server, None
            await server.stop()

    # --- the link ---------------------------------------------------------------------------

    def _connect(self, url: str, *, retry_first: bool = False) -> None:
        self.mirror = Mirror()
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
        """Trust on first use for `wss://` hosts (see `whytree.server.tls`): the person
        confirms the fingerprint once; afterwards a changed certificate is refused."""
        from whytree.server.tls import KnownHosts, format_fingerprint, host_port, normalize_fingerprint

        if self.server is not None:  # our own server: we know its certificate
            mine = self.server.fingerprint or ""
            same = normalize_fingerprint(mine) == normalize_fingerprint(fingerprint)
            return None if same else "The local server shows an unexpected certificate."
        assert self.link is not None
        from whytree.tui.cli import default_data_dir

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
            if not await self.push_screen_wait(ConfirmScreen(question, yes="Yes, it matches")):
                return ("You did not confirm the host's security fingerprint, so the join code "
                        "was not sent. Check it with the facilitator and join again.")
            known.remember(where, fingerprint)
        return None

    @work(exclusive=True, group="link", exit_on_error=False)
    async def _run_link(self, link: Link) -> None:
        await link.run()

    @on(JoinScreen.Submitted)
    def _join_submitted(self, event: JoinScreen.Submitted) -> None:
        self.url, self.person_name, self.code = event.url, event.name, event.code
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
        if isinstance(frame, p.Error):
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
        self.session_screen.follow(received)
        if isinstance(frame, p.Welcome):
            self.session_screen.link.connected()

    def _retry(self, op: str) -> None:
        frame = self.mirror.retry_frame(op)
        if frame is not None and self.link is not None:
            self.link.send(frame)

    async def _welcomed(self) -> None:
        banner = None
        if self.server is not None:
            banner = JoinBanner(self.server.urls, self.server.code, self.server.facilitator_key,
                                fingerprint=self.server.fingerprint, id="banner")
        screen = SessionScreen(self.mirror, viewer=self.viewer, banner=banner)
        if self.join_screen is not None and self.screen is self.join_screen:
            await self.switch_screen(screen)
        else:
            await self.push_screen(screen)
        # Only a mounted screen is followed: frames are handled one at a time, so nothing
        # arrives between the push and this line.
        self.session_screen = screen
        self.join_screen = None
        screen.link.connected()

    @on(Link.Down)
    def _down(self, event: Link.Down) -> None:
        if self.session_screen is not None:
            self.session_screen.link.down(event.since)

    @on(Link.Reconnecting)
    def _reconnecting(self, event: Link.Reconnecting) -> None:
        if self.session_screen is not None:
            self.session_screen.link.reconnecting(event.attempt)

    @on(Link.Refused)
    async def _refused(self, event: Link.Refused) -> None:
        message = REFUSALS.get(event.code, event.message)
        if self.session_screen is None and self.join_screen is not None:
            self.join_screen.show_problem(message)
            return
        if self.server is not None:
            self.notify(message, severity="error", timeout=30, markup=False)
            return
        # Refused on the way back in (removed, or the session changed): back to joining.
        session, self.session_screen = self.session_screen, None
        # A dialog open over the session goes too: the join screen takes the session's place.
        while session is not None and self.screen is not session and len(self.screen_stack) > 1:
            await self.pop_screen()
        self.join_screen = JoinScreen(self.url, self.person_name, None, discover=False)
        await self.switch_screen(self.join_screen)
        self.join_screen.show_problem(message)

    @on(Link.Failed)
    def _failed(self, event: Link.Failed) -> None:
        if self.join_screen is not None:
            self.join_screen.show_problem(event.message)
        else:
            self.notify(event.message, severity="error", timeout=30, markup=False)

    # --- sending ---------------------------------------------------------------------------

    @on(SendCommand)
    def _send(self, event: SendCommand) -> None:
        event.stop()
        if self.viewer:
            self.notify("This screen is a read-only view.", severity="warning", markup=False)
            return
        command = msgspec.structs.replace(event.command, op=self.mirror.new_op())
        frame = self.mirror.command(command)
        if self.link is not None:
            self.link.send(frame)

    @on(NewJoinCode)
    def _new_join_code(self, event: NewJoinCode) -> None:
        event.stop()
        if self.server is None:
            return
        from whytree.server.hub import grouped_code
        from whytree.server.journal import JournalError

        try:
            code = self.server.new_code()
        except JournalError as problem:
            self.notify(f"The code was not changed: {problem}", severity="error", timeout=15,
                        markup=False)
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
        yield from super().get_system_commands(screen)
        if isinstance(screen, SessionScreen):
            for title, help_text, action in screen.palette_commands():
                yield SystemCommand(title, help_text, _runner(screen, action))


def _runner(screen: SessionScreen, action: str) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await screen.run_action(action)

    return run
