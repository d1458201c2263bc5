"""The session's header and the link state: what is happening, what to do, who is here.

`SessionHeader` shows the title, the current step and, in plain words, what to do now;
who is here; and the step timer when one runs. `LinkStatus` says whether this laptop is
connected, in one short unobtrusive line: "● connected", "reconnecting… (attempt 3)",
"offline since 14:02 — changes are kept and sent when back".
"""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
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
        mode = "problem" if state.mode == "problem" else "success"
        parts = [state.title or "whytree", f"Step {step}", f"({mode})"]
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
