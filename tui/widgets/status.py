"""The session's header and the link state: what is happening, what to do, who is here.

`SessionHeader` shows the title, the current step and, in plain words, what to do now;
who is here; and the step timer when one runs. `LinkStatus` says whether this laptop is
connected, in one short unobtrusive line: "● connected", "reconnecting… (attempt 3)",
"offline since 14:02 — changes are kept and sent when back" (it wraps on a narrow
screen rather than losing its end). `NoteLine` shows the app's short messages ("You have
no dot on this one to take back") on a line of their own above it, where they push the
tree up instead of covering the panel a person is reading, as a toast would.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.widgets import Static

from whytree.shared import wording
from whytree.shared.model import Person, Session

FACILITATOR_BADGE = " facilitator "
"""Shown after the facilitator's name in reverse video: a style no name can carry (names
are plain text), so a participant called "Ana (facilitator)" cannot pass for the host."""
BADGE_STYLE = "reverse bold"


def people_line(state: Session, me: Person | None) -> Content:
    """Who is here, in plain words: the facilitator first (with a badge a name cannot
    imitate; a host who gave no name shows the badge alone), then names (or "Anonymous"),
    how many online, who is done."""
    online = [p for p in state.online_people() if p.role != "viewer"]
    online.sort(key=lambda person: person.role != "facilitator")  # stable: join order after
    names: list[Content] = []
    for person in online:
        if me is not None and person.id == me.id:
            names.append(Content("you"))
        elif person.role == "facilitator":
            badge = Content.styled(FACILITATOR_BADGE, BADGE_STYLE)
            names.append(Content.assemble(person.name, " ", badge) if person.name else badge)
        else:
            names.append(Content(person.name or "Anonymous"))
    shown = Content(", ").join(names[:12])
    if len(names) > 12:
        shown = shown.append(f" and {len(names) - 12} more")
    line = Content.assemble("Here: ", shown if names else "nobody yet", f"  ·  {len(online)} online")
    if state.phase == "closed":
        return line  # no step is under way: nobody is done with it
    if me is not None and me.role == "facilitator":
        done = sum(1 for p in online if p.done and p.role != "facilitator")
        others = sum(1 for p in online if p.role != "facilitator")
        if others:
            line = line.append(f"  ·  {done} of {others} said “I'm done”")
    elif me is not None and me.done:
        line = line.append("  ·  you said “I'm done”")
    return line


HOW_TO: dict[str, str] = {
    "add_answer": "Select the situation or any answer and press w",
    "fix_answer": "Misplaced? g moves it; del removes it.",
    "dots": "+ adds a dot, - takes one back",
    "change": "press c, then 1, 2 or 3",
    "propose": "select one and press n",
}
"""How the session's keys do what the step help says (`wording.HOW_TO`)."""


def step_help(state: Session) -> str:
    """What this step is for and what to do now, for this state of the session."""
    return wording.step_help(state.phase, state.mode, state.revealed, how=HOW_TO)


TIME_IS_UP = "⏱ time is up"


def timer_text(ends_at: float | None, server_offset: float, now: float | None = None) -> str:
    """`⏱ 4:59` while a step timer runs, `⏱ time is up` after; empty without one."""
    if ends_at is None:
        return ""
    left = ends_at - ((time.time() if now is None else now) + server_offset)
    if left <= 0:
        return TIME_IS_UP
    minutes, seconds = divmod(round(left), 60)
    return f"⏱ {minutes}:{seconds:02d}"


class SessionHeader(Vertical):
    """Title, step, what to do now, who is here, and the step timer.

    When a timer this laptop saw running reaches zero, the terminal rings its bell once and
    the title line turns to "time is up" on a warning colour (class `-time-up`), so the room
    notices without watching a number; a new timer, or none, takes the mark away."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._ends_at: float | None = None
        self._running = False
        """The timer was seen running (so its end is news worth a bell)."""
        self._offset = 0.0
        self._ticker: Timer | None = None
        self._state: Session | None = None
        self._title = Static(id="header-title")
        self._help = Static(id="header-help")
        self._people = Static(id="header-people")

    def compose(self) -> ComposeResult:
        yield self._title
        yield self._help
        yield self._people

    def show_state(self, state: Session, me: Person | None, server_offset: float) -> None:
        if state.timer_ends != self._ends_at:
            self._running = False  # a new timer (or none): its end is yet to come
        self._ends_at, self._offset = state.timer_ends, server_offset
        self._title_line(state)
        self._help.update(Content(step_help(state)))
        self._people.update(people_line(state, me))
        self._state = state
        self._keep_time()

    def _title_line(self, state: Session) -> None:
        step = wording.STEP_TITLES[state.phase]
        parts = [state.title or "whytree", step if state.phase == "closed" else f"Step {step}",
                 wording.MODE_NAMES[state.mode]]
        if state.locked:
            parts.append("🔒 room locked")
        timer = timer_text(self._ends_at, self._offset)
        up = timer == TIME_IS_UP
        if not up and timer:
            self._running = True
        elif up and self._running:
            self._running = False
            self.app.bell()
            self.notify("Time is up for this step.", title="⏱ Timer", markup=False)
        self.set_class(up, "-time-up")
        title = Content.assemble(
            ("  ·  ".join(parts), "bold"),
            ("   " + timer if timer else "", "bold"),
        )
        self._title.update(title)

    def _keep_time(self) -> None:
        """Tick once a second while a step timer counts down, and not at all otherwise: an
        idle screen wakes for nothing (an old laptop on battery)."""
        counting = self._ends_at is not None and timer_text(self._ends_at, self._offset) != TIME_IS_UP
        if counting and self._ticker is None:
            self._ticker = self.set_interval(1.0, self._tick)
        elif not counting and self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def _tick(self) -> None:
        state = self._state
        if state is not None and self._ends_at is not None:
            self._title_line(state)
        self._keep_time()


class LinkStatus(Static):
    """One line: is this laptop connected to the session right now?"""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.attempt = 0
        self.offline_since: float | None = None
        self.hint = ""
        """What the person can do about a long outage (shown while reconnecting)."""

    def connecting(self) -> None:
        self.set_class(False, "-down")
        self.update("connecting…")

    def connected(self) -> None:
        self.offline_since = None
        self.attempt = 0
        self.hint = ""
        self.set_class(False, "-down")
        self.update("● connected")

    def down(self, since: float) -> None:
        if self.offline_since is None:
            self.offline_since = since
        self._show_down()

    def reconnecting(self, attempt: int) -> None:
        self.attempt = attempt
        if self.offline_since is None:
            self.offline_since = time.time()
        self._show_down()

    def _show_down(self) -> None:
        assert self.offline_since is not None
        clock = time.strftime("%H:%M", time.localtime(self.offline_since))
        text = f"offline since {clock} — changes are kept and sent when back"
        if self.attempt:
            text = f"reconnecting… (attempt {self.attempt})  ·  " + text
        if self.hint:  # before the rest, which an 80-column screen may cut
            text = f"{text.split('  ·  ')[0]}  ·  {self.hint}  ·  {text.split('  ·  ')[-1]}"
        self.set_class(True, "-down")
        self.update(text)


class NoteLine(Static):
    """The app's short messages, newest last, each for its own time; hidden when none.

    It takes the place of Textual's toasts on the session screen: a toast floats over the
    bottom right, which is the step panel a person is reading; this line takes its own rows
    above the link state, so nothing is covered (the tree gives up the rows meanwhile)."""

    MOST = 3
    """Messages shown at once (the newest); older ones still showing give way."""

    MARKS: ClassVar[dict[SeverityLevel, str]] = {"information": "• ", "warning": "⚠ ", "error": "✖ "}

    @dataclass(eq=False)
    class _Note:
        message: Content
        severity: SeverityLevel
        timer: Timer | None = None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Content(""), id=id, markup=False)
        self._notes: list[NoteLine._Note] = []

    def add(self, message: Content, severity: SeverityLevel = "information",
            timeout: float | None = 5.0) -> None:
        """Show `message` for `timeout` seconds (None: until `clear`)."""
        note = self._Note(message, severity)

        def expire() -> None:
            if note in self._notes:
                self._notes.remove(note)
                self._show()

        if timeout is not None:
            note.timer = self.set_timer(max(0.1, timeout), expire)
        self._notes.append(note)
        for old in self._notes[: -self.MOST]:
            if old.timer is not None:
                old.timer.stop()
        del self._notes[: -self.MOST]
        self._show()

    def clear(self) -> None:
        """Take every message away."""
        for note in self._notes:
            if note.timer is not None:
                note.timer.stop()
        self._notes.clear()
        self._show()

    def _show(self) -> None:
        self.display = bool(self._notes)
        severities = {note.severity for note in self._notes}
        self.set_class("error" in severities, "-error")
        self.set_class("warning" in severities and "error" not in severities, "-warning")
        self.update(Content("\n").join(
            Content.assemble((self.MARKS[note.severity], "bold"), note.message) for note in self._notes))
