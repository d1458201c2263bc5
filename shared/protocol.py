"""The wire protocol: every frame both sides exchange, as msgspec Structs.

Each websocket frame is one JSON object (a text frame) whose `"type"` field names the
Struct. The names and fields are a public contract (`docs/protocol.md` is generated from
this module): add fields with defaults; never rename a field or change its type.

Every field a client can send has a bound, so decoding alone refuses oversized or
out-of-range input before any rule runs. Fields marked "server fills" are part of the
normalized command that the server broadcasts inside an `event`; whatever a client puts
there is overwritten.

Decode with the module-level decoders (`decode_client_frame`, `decode_server_frame`),
which are built once and reused for every frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, TypeAlias

import msgspec
from msgspec import Meta

from .model import Change, Doer, Mode, Person, Session, Tally

# --- bounds ------------------------------------------------------------------------------

MAX_FRAME_BYTES = 16 * 1024
"""Largest frame a client may send (the websocket layer enforces it)."""
MAX_CAUSE_TEXT = 280
MAX_SITUATION_TEXT = 280
MAX_ACTION_TEXT = 280
MAX_SHORT_TEXT = 120
"""Who can do an action, the first step, the owner, the due date."""
MAX_NAME = 40
MAX_TITLE = 80
MAX_OP = 64
MAX_ID = 24
MAX_CODE = 32
MAX_SECRET = 64
MAX_CAUSES = 2000
"""Causes in one session."""
MAX_ACTIONS = 500
MAX_PEOPLE = 200
"""Participants and viewers in a session at once. Removed people do not count, and the
facilitator always has a seat beyond them."""
MAX_PEOPLE_EVER = 1000
"""Everyone who ever joined one session, removed people included (keeps every list of
people in a frame bounded)."""
MAX_CAUSES_PER_ACTION = 20
MAX_DEPTH = 50
"""Answers in one chain below the situation ("But why?" asked 50 times in a row); deeper
would not fit on any screen."""
MAX_DOTS = 99
MAX_TIMER_SECONDS = 4 * 60 * 60
MAX_SEQ = 2**53

# --- the connection's numbers ------------------------------------------------------------

DEFAULT_PORT = 8765
"""The port a server listens on, and a typed address without a port points to."""

CLOSE_UNSUPPORTED = 1003
"""A binary frame before `join`."""
CLOSE_INVALID_DATA = 1007
"""A text frame that is not UTF-8 (the websocket layer)."""
CLOSE_POLICY = 1008
"""The server refused this connection (the close reason is the `error` code)."""
CLOSE_TOO_BIG = 1009
"""A frame over `MAX_FRAME_BYTES` (the websocket layer)."""
CLOSE_RESTART = 1012
"""The host can save again after a storage failure: reconnect and resume."""
CLOSE_TRY_AGAIN = 1013
"""Not now (`busy`, `storage`, or a client too far behind): reconnect and resume."""

CODE_DIGITS = 9
"""Generated join codes are digits, read aloud in groups of three: `482 913 057`."""
GUESSING_SESSION = 3 * 60 * 60.0
"""The session length the guessing bound in the docs is computed for (seconds)."""


@dataclass(frozen=True)
class Limits:
    """The server's limits and timings that a client meets: deadlines, pings, rates and
    the door. The defaults are the real ones (`docs/protocol.md` prints them); a server is
    given its own (`ServerConfig.limits`) and tests make theirs rather than patching
    constants. The hub uses the rates, the door and the resume window; the network layer
    the deadlines, pings, backlog, connection limits and the log bound."""

    join_deadline: float = 5.0
    """Seconds a new connection has to send its `join`."""
    ping_interval: float | None = 4.0
    """Seconds between the server's pings (None: no pings)."""
    ping_timeout: float = 6.0
    """Seconds a ping may go unanswered before the link is dropped."""
    max_backlog: int = 1024 * 1024
    """Bytes waiting to be written to one client before it is dropped as too slow."""
    commands: tuple[float, float] = (40.0, 20.0)
    """One person's commands (all their connections): a burst of 40, then 20 a second; then
    `busy`. A facilitator clicking fast or a queue of offline commands resent after a
    rejoin fits; a flood does not."""
    wrong_per_address: tuple[int, float] = (5, 60.0)
    """At most 5 wrong codes (or keys) from one address within 60 seconds; then it waits."""
    wrong_overall: tuple[int, float] = (90, 1.0)
    """At most 90 wrong codes evaluated per 1 second, all addresses together (a token
    bucket: a burst of 90, then one every 1/90 s -- evenly spread, so a retry at any moment
    has the same chance of a turn)."""
    new_people: tuple[float, float] = (50.0, 2.0)
    """New people (server-wide): a burst of 50, then 2 a second; then `busy`."""
    joins_per_person: tuple[float, float] = (10.0, 0.5)
    """Joins of one returning person (all their connections): 10, then one every 2 s."""
    unjoined_per_address: int = 16
    """Connections from one address that have not joined yet; more are refused (HTTP 503)."""
    unjoined_overall: int = 256
    """Connections that have not joined yet, all addresses; at this many the oldest goes."""
    log_burst: int = 20
    """Log records per logger (websockets, asyncio, this server) within `log_window`..."""
    log_window: float = 60.0
    """...seconds; the rest are counted and reported in one line."""
    presence_every: float = 1.0
    """Seconds between two publications of who is connected (`presence` events)..."""
    presence_settle: float = 3.0
    """...of the changes that have held this many seconds (only the net change counts)."""
    resume_window: int = 5000
    """Recent events the server keeps to resume a client from its `since`."""

    def guess_bound(self, seconds: float = GUESSING_SESSION) -> float:
        """The highest chance that guessing finds a generated code within `seconds`,
        whatever the number of addresses: every wrong code the server may evaluate, over
        all codes."""
        limit, window = self.wrong_overall
        evaluated = limit * (seconds / window + 1)
        return float(evaluated / 10**CODE_DIGITS)


OP_PATTERN = r"^[A-Za-z0-9_.:-]+$(?!\n)"
"""An `op` is ASCII letters, digits and `_ . : -` only: it is sent back to its author and,
in anonymous sessions, replaced for everyone else, but it must never carry text that a
screen or a log would show. (`(?!\n)`: Python's `$` also matches before a final newline.)"""
Op = Annotated[str, Meta(min_length=1, max_length=MAX_OP, pattern=OP_PATTERN)]
Id = Annotated[str, Meta(min_length=1, max_length=MAX_ID)]
CauseText = Annotated[str, Meta(max_length=MAX_CAUSE_TEXT)]
ActionText = Annotated[str, Meta(max_length=MAX_ACTION_TEXT)]
ShortText = Annotated[str, Meta(max_length=MAX_SHORT_TEXT)]
Name = Annotated[str, Meta(max_length=MAX_NAME)]
Count = Annotated[int, Meta(ge=0, le=MAX_SEQ)]
Dots = Annotated[int, Meta(ge=0, le=MAX_DOTS)]
Timestamp = Annotated[float, Meta(ge=0, le=1e11)]
TallyMap = Annotated[dict[Id, Tally], Meta(max_length=MAX_CAUSES)]


class Frame(msgspec.Struct, tag_field="type", forbid_unknown_fields=True, kw_only=True):
    """Base of every frame: its tag is the JSON `type` field."""


class Command(Frame):
    """A change a client asks for. `op` is client-chosen and unique per person."""

    op: Op
    """Client-chosen id of this command, unique per person (see [Commands and
    `op`](#commands-and-op))."""


# --- client -> server ----------------------------------------------------------------------


class Join(Frame, tag="join"):
    """First frame on every connection. Identity comes from this, never from later frames.
    Give `code` (the join code read aloud; spaces and dashes are ignored) or
    `facilitator_key`; someone already in may come back with their `token` alone. Answered
    by `welcome`, or by `error` and a close."""

    code: Annotated[str, Meta(max_length=MAX_CODE)] | None = None
    """The join code (digits; spaces and dashes are ignored)."""
    facilitator_key: Annotated[str, Meta(max_length=MAX_SECRET)] | None = None
    """The facilitator's key: the only way to get facilitator powers."""
    name: Name = ""
    """Shown to others (not in anonymous sessions); empty for anonymous."""
    role: Literal["participant", "viewer"] = "participant"
    """`viewer` for a read-only screen such as a projector."""
    token: Annotated[str, Meta(max_length=MAX_SECRET)] | None = None
    """From an earlier `welcome`: come back as the same person."""
    since: Count | None = None
    """Last `seq` this client applied: the server sends only what came after."""


class AddCause(Command, tag="add_cause"):
    """An answer to "But why?": a new cause under `parent`."""

    parent: Id | None
    """The cause this answers, or null for the situation itself."""
    text: CauseText
    """What the person typed; cleaned by the server (see [Text](#text))."""
    id: Id | None = None
    """Server fills: the new cause's id."""


class EditCause(Command, tag="edit_cause"):
    """Rewords a cause."""

    cause: Id
    """A cause id."""
    text: CauseText
    """The new wording."""


class RemoveCause(Command, tag="remove_cause"):
    """Removes the cause and every answer below it. The session keeps the branch as its
    `last_removal`, so that whoever removed it can bring it back with `restore_cause`.
    Nobody removes other people's words: a participant may remove an answer only when it and
    every answer below it are their own (otherwise `not_allowed`; the facilitator can remove
    it). Votes on the removed answers are dropped and actions no longer name them, until the
    removal is undone."""

    cause: Id
    """A cause id."""
    voters: Count | None = None
    """Server fills while votes are revealed; null while they are hidden (the count stays:
    a recount would tell the room whose votes were on the removed answers)."""
    tally: TallyMap | None = None
    """Server fills while votes are revealed."""


class MergeCauses(Command, tag="merge_causes"):
    """Moves `cause`'s children, votes and actions onto `into`, then removes `cause`."""

    cause: Id
    """A cause id."""
    into: Id
    """The cause that takes over `cause`'s answers, votes and actions."""
    voters: Count | None = None
    """Server fills while votes are revealed; null while they are hidden."""
    tally: TallyMap | None = None
    """Server fills while votes are revealed."""


class MoveCause(Command, tag="move_cause"):
    """Puts `cause`, with every answer below it, under another `parent`. Its votes and
    actions stay with it; it comes last among the answers of its new parent. For an answer
    typed under the wrong parent. Refused with `cycle` under the answer itself or an answer
    below it, `too_deep` when the branch would go deeper than the deepest chain allowed,
    `invalid` when it is already under `parent`."""

    cause: Id
    """A cause id."""
    parent: Id | None
    """The cause it answers from now on, or null for the situation itself."""


class RestoreCause(Command, tag="restore_cause"):
    """Undoes the last removal: brings back the removed branch exactly as it was (texts,
    authors, place among its siblings, action links) with its votes, as far as each person's
    dots still allow. Only the last removal can be undone, by the person who removed it (a
    participant who removed their own words decides for them; the facilitator cannot bring
    them back). It is `not_found` after another removal, after the answer it was under went
    away, after anonymity changed and after the session was closed (removed words are not
    saved in the results). A person who spent the freed dots elsewhere meanwhile gets back
    those that fit their budget and the cap per cause. `too_deep` and `full` as for
    `add_cause`."""

    cause: Id
    """The removed answer to bring back: the top of the session's `last_removal`."""
    voters: Count | None = None
    """Server fills."""
    tally: TallyMap | None = None
    """Server fills while votes are revealed."""


class SetDots(Command, tag="set_dots"):
    """This person's "matters" dots on one cause (0 takes them all back). The budget per
    person and the cap per cause are in `settings`."""

    cause: Id
    """A cause id."""
    dots: Dots
    """How many of this person's dots are on the cause now (not a change by)."""
    voters: Count | None = None
    """Server fills."""


class SetChange(Command, tag="set_change"):
    """This person's answer to "can it change?" for one cause: `we` (by us), `others` (only
    with others), `no` (not for now), or null to take it back. In a `success` session the
    screens ask "can we repeat it?" with the same answers (`wording.CHANGE_LABELS`)."""

    cause: Id
    """A cause id."""
    answer: Change | None
    """`we`, `others`, `no`, or null (no answer)."""
    voters: Count | None = None
    """Server fills."""


class AddAction(Command, tag="add_action"):
    """Proposes an action for some causes, and who can do it."""

    text: ActionText
    """What the person typed; cleaned by the server (see [Text](#text))."""
    causes: Annotated[list[Id], Meta(max_length=MAX_CAUSES_PER_ACTION)] = []
    """Ids of the causes the action is for (duplicates are dropped)."""
    by: Doer = "inside"
    """Who can do it: people `inside` the group, or `outside` it."""
    who: ShortText = ""
    """Free text: who exactly can do it."""
    id: Id | None = None
    """Server fills."""


class EditAction(Command, tag="edit_action"):
    """Rewrites an action (all of its fields)."""

    action: Id
    """An action id."""
    text: ActionText
    """What the person typed; cleaned by the server (see [Text](#text))."""
    causes: Annotated[list[Id], Meta(max_length=MAX_CAUSES_PER_ACTION)] = []
    """Ids of the causes the action is for (duplicates are dropped)."""
    by: Doer = "inside"
    """Who can do it: people `inside` the group, or `outside` it."""
    who: ShortText = ""
    """Free text: who exactly can do it."""


class RemoveAction(Command, tag="remove_action"):
    """Removes an action."""

    action: Id
    """An action id."""


class SetAgreement(Command, tag="set_agreement"):
    """Marks an action as agreed (or not) with its first step, owner and date."""

    action: Id
    """An action id."""
    agreed: bool
    """Whether the group agreed to start with this action."""
    first_step: ShortText = ""
    """The first step of the plan."""
    owner: ShortText = ""
    """Who takes the first step."""
    due: ShortText = ""
    """By when (free text, as people say it)."""


class SetSituation(Command, tag="set_situation"):
    """The situation at the root of the tree, and whether it is a problem or a success."""

    text: Annotated[str, Meta(max_length=MAX_SITUATION_TEXT)]
    """The situation, in one sentence."""
    mode: Mode = "problem"
    """`problem` or `success`: how the screens word the questions."""


class SetPhase(Command, tag="set_phase"):
    """Moves the session to another step. Resets everyone's "I'm done" and the timer."""

    phase: Literal["situation", "why", "weigh", "act", "agree"]
    """The step to move to."""


class SetSettings(Command, tag="set_settings"):
    """The dots budget per person, the most dots per cause, and anonymity."""

    dots_per_person: Annotated[int, Meta(ge=1, le=MAX_DOTS)] = 3
    """The dots each person may place in all."""
    dots_per_cause: Annotated[int, Meta(ge=1, le=MAX_DOTS)] = 2
    """The most dots one person may place on one cause."""
    anonymous: bool = False
    """Whether nobody learns who wrote what."""
    names: Annotated[dict[Id, Name], Meta(max_length=MAX_PEOPLE_EVER)] | None = None
    """Server fills when `anonymous` changes: everyone's name as this viewer may now see
    it (only their own while anonymous), since names already sent must change too."""


class RevealVotes(Command, tag="reveal_votes"):
    """Shows (or hides again) the room's votes."""

    revealed: bool
    """True shows the room's votes; false hides them again (voting reopens)."""
    tally: TallyMap | None = None
    """Server fills: the room's votes per cause when `revealed`."""


class SetTimer(Command, tag="set_timer"):
    """Starts a timer for the current step (`seconds`), or stops it (null)."""

    seconds: Annotated[int, Meta(ge=1, le=MAX_TIMER_SECONDS)] | None
    """How long the step may take, or null to stop the timer."""
    ends_at: Timestamp | None = None
    """Server fills: server clock time when it ends."""


class SetDone(Command, tag="set_done"):
    """ "I'm done" with the current step (or not, after all)."""

    done: bool
    """True: this person is done with the current step."""
    person: Id | None = None
    """Server fills: who said it."""


class LockRoom(Command, tag="lock_room"):
    """A locked room lets nobody new in; people already in can come back."""

    locked: bool
    """True lets nobody new in."""


class RemovePerson(Command, tag="remove_person"):
    """Removes a participant or viewer: their connections are closed and their token no
    longer lets them in."""

    person: Id
    """A person id."""


class Close(Command, tag="close"):
    """Saves the results; the session becomes read-only. The host writes the results; then
    every change but `reopen` is refused."""

    closed_at: Timestamp | None = None
    """Server fills."""


class Reopen(Command, tag="reopen"):
    """Undoes a close taken by mistake: the session takes changes again. The session goes
    back to the agree step."""


ClientCommand: TypeAlias = (
    AddCause
    | EditCause
    | RemoveCause
    | MergeCauses
    | MoveCause
    | RestoreCause
    | SetDots
    | SetChange
    | AddAction
    | EditAction
    | RemoveAction
    | SetAgreement
    | SetSituation
    | SetPhase
    | SetSettings
    | RevealVotes
    | SetTimer
    | SetDone
    | LockRoom
    | RemovePerson
    | Close
    | Reopen
)
ClientFrame: TypeAlias = Join | ClientCommand


# --- server-only event bodies ---------------------------------------------------------------


class PersonJoined(Frame, tag="person_joined"):
    """Somebody new joined (as this viewer may see them)."""

    person: Person
    """The new person (name blank in anonymous sessions)."""


class Presence(Frame, tag="presence"):
    """Somebody came back or dropped out."""

    person: Id
    """Who came back or dropped out."""
    online: bool
    """Whether they are connected now."""


class VotesCast(Frame, tag="votes_cast"):
    """What everyone else learns from a hidden vote: only how many people have voted."""

    voters: Count
    """How many people have voted now."""


EventBody: TypeAlias = ClientCommand | PersonJoined | Presence | VotesCast


# --- server -> client --------------------------------------------------------------------------


class Welcome(Frame, tag="welcome"):
    """Answer to `join`. `state` is null when the server resumes from the client's `since`:
    the events after it follow, and the client keeps its own state."""

    you: Person
    """This person as the server knows them."""
    token: str
    """Keep it: send it in the next `join` to come back as the same person."""
    seq: Count
    """The `seq` of the last event included: in `state`, or equal to the join's `since` when
    resuming (then the events after it follow)."""
    state: Session | None
    """The whole session as this person may see it (see [Session](#session))."""
    server_time: float
    """The server's clock, so a client can show timers right whatever its own clock says."""
    latest: Count | None = None
    """The `seq` of the newest event as the server sends this welcome. When resuming, the
    events after `seq` up to this one follow right behind: a client can wait until it has
    them all and show them at once (one repaint, not one per missed event). Null from a
    server that does not say."""


class Event(Frame, tag="event"):
    """One accepted change. `by` and `op` are null when this viewer may not know them."""

    seq: Count
    """Sequence number of the event."""
    by: Id | None
    """Id of the person whose command this is; null for server events and, in anonymous
    sessions, for everyone but the author."""
    op: Op | None
    """The author's `op`, sent to the author only; null for everyone else."""
    command: EventBody
    """The accepted command, normalized by the server, or a server-only body."""


class Rejected(Frame, tag="rejected"):
    """A command that was understood but not allowed; nothing changed."""

    op: Op
    """The `op` of the refused command."""
    reason: str
    """A short code; see [Rejection reasons](#rejection-reasons)."""
    message: str
    """A sentence a person understands."""


class Error(Frame, tag="error"):
    """A frame the server could not accept at all. `code`: see `ERRORS`."""

    code: str
    """A short code; see [Error codes](#error-codes)."""
    message: str
    """A sentence for people, in plain words."""


ServerFrame: TypeAlias = Welcome | Event | Rejected | Error

REASONS: dict[str, str] = {
    "not_allowed": "this person's role may not do that",
    "wrong_phase": "not in this step of the session",
    "not_found": "the cause, action or person does not exist (any more)",
    "invalid": "a value is empty, too long or makes no sense here",
    "budget": "no \"matters\" dots left",
    "cap": "the most dots one person may put on one cause",
    "cycle": "the merge or move would put a cause under itself or under an answer below it",
    "too_deep": "the answer would be deeper than the deepest chain of answers allowed",
    "closed": "the session is closed and read-only",
    "revealed": "votes are revealed; hide them to change votes",
    "full": "the session holds as many causes, actions or people as it can",
    "op_reused": "the same op was already used for a different command",
    "storage": "the host cannot save changes right now",
    "busy": "too many commands too fast",
}
"""Every `rejected.reason` code, with what it means."""

ERRORS: dict[str, str] = {
    "bad_frame": "not valid JSON, UTF-8, or not a known frame with valid fields",
    "too_big": "the frame is larger than the server accepts",
    "not_joined": "the first frame on a connection must be `join`",
    "already_joined": "`join` was sent twice on one connection",
    "wrong_code": "the join code or facilitator key is wrong",
    "throttled": "too many wrong codes from this address; wait a minute",
    "busy": "the host is not taking this join now (join codes paused after many wrong ones, "
            "many new people at once, or this person joining very often); try again in a few seconds",
    "locked": "the room is locked by the facilitator",
    "removed": "the facilitator removed this person",
    "opened_elsewhere": "the same person (the same token) joined on another screen; this "
                        "connection is closed and the client does not reconnect by itself",
    "full": "the session has as many people as it can hold (removed people do not count; "
            "the facilitator always gets in)",
    "join_timeout": "no `join` frame in time",
    "storage": "the host cannot save changes right now",
}
"""Every `error.code`, with what it means."""

ERROR_EFFECTS: dict[str, str] = {
    "bad_frame": "Before joining: closed (1008; 1003 for a binary frame). After: stays open.",
    "too_big": "Not sent today: the websocket layer closes the connection with 1009 before the "
               "frame is read.",
    "not_joined": "Closed (1008).",
    "already_joined": "Stays open; the second `join` is ignored.",
    "wrong_code": "Closed (1008). Counts towards the throttle.",
    "throttled": "Closed (1008). Wait a minute, then try again.",
    "busy": "Closed (1013). Nothing about the code was checked: try again in a few seconds (a "
            "client that was in the session retries by itself). See [The door](#the-door).",
    "locked": "Closed (1008). People already in can come back with their token.",
    "removed": "Closed (1008). The token no longer lets this person in.",
    "opened_elsewhere": "Sent to a joined connection when another connection joins with the same "
                        "`token`; then closed (1008). The client must not reconnect by itself (the "
                        "two would take the session from each other in turn); it offers to use this "
                        "screen again, which joins with the token and closes the other.",
    "full": "Closed (1008). Removed people free their seat; the facilitator's key always gets in.",
    "join_timeout": "Closed (1008).",
    "storage": "At `join`: closed (1013), try again later. Otherwise sent to everyone when the host "
               "cannot save; commands are rejected with `storage` until it can, then everyone is "
               "closed with 1012 to reconnect and resume.",
}
"""What happens to the connection after each `error` (its close code, and whether the
client should try again)."""


_client_decoder: msgspec.json.Decoder[ClientFrame] = msgspec.json.Decoder(ClientFrame)
_server_decoder: msgspec.json.Decoder[ServerFrame] = msgspec.json.Decoder(ServerFrame)
_encoder = msgspec.json.Encoder()


def decode_client_frame(data: bytes | str) -> ClientFrame:
    """Decode one frame a client sent. Raises `msgspec.DecodeError` (or its subclass
    `msgspec.ValidationError`) for anything that is not a valid client frame."""
    try:
        return _client_decoder.decode(data)
    except RecursionError:  # `[[[[...` a thousand deep fits in a small frame
        raise msgspec.DecodeError("JSON is nested too deeply") from None


def decode_server_frame(data: bytes | str) -> ServerFrame:
    """Decode one frame the server sent (raises `msgspec.DecodeError` like the above)."""
    try:
        return _server_decoder.decode(data)
    except RecursionError:
        raise msgspec.DecodeError("JSON is nested too deeply") from None


def encode(frame: Frame | Session) -> bytes:
    """Encode a frame (or a whole session) as compact JSON bytes."""
    return _encoder.encode(frame)
