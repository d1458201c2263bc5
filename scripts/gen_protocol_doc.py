"""Generate `docs/protocol.md`, the wire protocol's reference, from the msgspec Structs.

Every message, field, type and bound in the document comes from `whytree.shared.protocol`
(read with `msgspec.inspect`), the field notes from the attribute docstrings in its source,
who may send what from `whytree.shared.rules`, and the limits from the server's constants;
the prose around them (the join flow, `op` retries, close codes) is kept here. So the
document cannot drift from the code: `tests/test_protocol_doc.py` regenerates it and fails
when the file differs.

    .venv/bin/python scripts/gen_protocol_doc.py           # rewrite docs/protocol.md
    .venv/bin/python scripts/gen_protocol_doc.py --check   # exit 1 if it is out of date
    .venv/bin/python scripts/gen_protocol_doc.py --schema  # print the JSON Schema instead

`render()` builds the text and touches no file; only `main()` writes.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import sys
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import msgspec.inspect as mi

from whytree.server import web
from whytree.shared import model, rules
from whytree.shared import protocol as p
from whytree.shared.views import HIDDEN_OP

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "protocol.md"
COMMAND = ".venv/bin/python scripts/gen_protocol_doc.py"
LIMITS = p.Limits()

# --- what the Structs cannot say -----------------------------------------------------------

FRAME_NOTES: dict[str, str] = {
    "join": "Give `code` (the join code read aloud; spaces and dashes are ignored) or "
            "`facilitator_key`; someone already in may come back with their `token` alone. "
            "Answered by `welcome`, or by `error` and a close.",
    "add_cause": "An answer to \"But why?\": a new cause under `parent`.",
    "edit_cause": "Rewords a cause.",
    "remove_cause": "Nobody removes other people's words: a participant may remove an answer only "
                    "when it and every answer below it are their own (otherwise `not_allowed`; the "
                    "facilitator can remove it). Votes on the removed answers are dropped and "
                    "actions no longer name them, until the removal is undone.",
    "move_cause": "For an answer typed under the wrong parent. Refused with `cycle` under the answer "
                  "itself or an answer below it, `too_deep` when the branch would go deeper than "
                  "the deepest chain allowed, `invalid` when it is already under `parent`.",
    "restore_cause": "Only the last removal can be undone, by the person who removed it (a participant "
                     "who removed their own words decides for them; the facilitator cannot bring "
                     "them back). It is `not_found` after another removal, after the answer it was "
                     "under went away, after anonymity changed and after the session was closed "
                     "(removed words are not saved in the results). A person who spent the freed "
                     "dots elsewhere meanwhile gets back those that fit their budget and the cap per "
                     "cause. `too_deep` and `full` as for `add_cause`.",
    "set_dots": "This person's \"matters\" dots on one cause (0 takes them all back). The "
                "budget per person and the cap per cause are in `settings`.",
    "set_change": "This person's answer to \"can it change?\" for one cause: `we` (by us), "
                  "`others` (only with others), `no` (not for now), or null to take it back.",
    "add_action": "Proposes an action for some causes, and who can do it.",
    "edit_action": "Rewrites an action (all of its fields).",
    "remove_action": "Removes an action.",
    "set_agreement": "Marks an action as agreed (or not) with its first step, owner and date.",
    "set_situation": "The situation at the root of the tree, and whether it is a problem or a success.",
    "set_phase": "Moves the session to another step. Resets everyone's \"I'm done\" and the timer.",
    "set_settings": "The dots budget per person, the most dots per cause, and anonymity.",
    "reveal_votes": "Shows (or hides again) the room's votes.",
    "remove_person": "Removes a participant or viewer: their connections are closed and their "
                     "token no longer lets them in.",
    "close": "The host writes the results; then every change but `reopen` is refused.",
    "reopen": "The session goes back to the agree step.",
}

FIELD_NOTES: dict[str, str] = {
    "op": "Client-chosen id of this command, unique per person (see [Commands and `op`](#commands-and-op)).",
    "cause": "A cause id.",
    "into": "The cause that takes over `cause`'s answers, votes and actions.",
    "action": "An action id.",
    "person": "A person id.",
    "text": "What the person typed; cleaned by the server (see [Text](#text)).",
    "causes": "Ids of the causes the action is for (duplicates are dropped).",
    "by": "Who can do it: people `inside` the group, or `outside` it.",
    "who": "Free text: who exactly can do it.",
    "dots": "How many of this person's dots are on the cause now (not a change by).",
    "answer": "`we`, `others`, `no`, or null (no answer).",
    "agreed": "Whether the group agreed to start with this action.",
    "first_step": "The first step of the plan.",
    "owner": "Who takes the first step.",
    "due": "By when (free text, as people say it).",
    "mode": "`problem` or `success`: how the screens word the questions.",
    "phase": "The step to move to.",
    "dots_per_person": "The dots each person may place in all.",
    "dots_per_cause": "The most dots one person may place on one cause.",
    "anonymous": "Whether nobody learns who wrote what.",
    "revealed": "True shows the room's votes; false hides them again (voting reopens).",
    "locked": "True lets nobody new in.",
    "done": "True: this person is done with the current step.",
    "code": "The join code (digits; spaces and dashes are ignored).",
    "facilitator_key": "The facilitator's key: the only way to get facilitator powers.",
    "name": "Shown to others (not in anonymous sessions); empty for anonymous.",
    "role": "`viewer` for a read-only screen such as a projector.",
    "you": "This person as the server knows them.",
    "token": "Keep it: send it in the next `join` to come back as the same person.",
    "seq": "Sequence number of the event.",
    "state": "The whole session as this person may see it (see [Session](#session)).",
    "command": "The accepted command, normalized by the server, or a server-only body.",
    "reason": "A short code; see [Rejection reasons](#rejection-reasons).",
    "message": "A sentence for people, in plain words.",
    "voters": "How many people have cast at least one vote.",
    "id": "Its id, assigned by the server.",
}
"""Notes for fields whose Struct attribute has no docstring of its own, by field name."""

STRUCT_FIELD_NOTES: dict[tuple[str, str], str] = {
    ("welcome", "seq"): "The `seq` of the last event included: in `state`, or equal to the "
                        "join's `since` when resuming (then the events after it follow).",
    ("event", "by"): "Id of the person whose command this is; null for server events and, "
                     "in anonymous sessions, for everyone but the author.",
    ("event", "op"): "The author's `op`, sent to the author only; null for everyone else.",
    ("rejected", "op"): "The `op` of the refused command.",
    ("rejected", "reason"): "A short code; see [Rejection reasons](#rejection-reasons).",
    ("error", "code"): "A short code; see [Error codes](#error-codes).",
    ("person_joined", "person"): "The new person (name blank in anonymous sessions).",
    ("presence", "person"): "Who came back or dropped out.",
    ("presence", "online"): "Whether they are connected now.",
    ("votes_cast", "voters"): "How many people have voted now.",
    ("add_cause", "parent"): "The cause this answers, or null for the situation itself.",
    ("set_timer", "seconds"): "How long the step may take, or null to stop the timer.",
    ("edit_cause", "text"): "The new wording.",
    ("set_situation", "text"): "The situation, in one sentence.",
    ("Person", "role"): "`facilitator`, `participant` or `viewer` (read-only).",
    ("Person", "online"): "Connected now.",
    ("Session", "schema"): "Version of this structure.",
    ("Session", "id"): "The session's id on this host.",
    ("Session", "title"): "The title the host gave the session.",
    ("Session", "situation"): "The situation at the root of the tree.",
    ("Session", "phase"): "The current step; `closed` when the session is read-only.",
    ("Session", "settings"): "The dots budget, the cap per cause, and anonymity.",
    ("Session", "actions"): "Proposed actions, by id, in the order they were proposed.",
    ("Session", "people"): "Everyone who ever joined, by id (removed people stay, marked).",
    ("Session", "revealed"): "Whether the facilitator has revealed the votes.",
    ("Session", "locked"): "Whether the room is locked.",
    ("Session", "created_at"): "When the session was created (seconds since the epoch).",
    ("Session", "closed_at"): "When it was closed, or null while open.",
    ("Session", "seq"): "The `seq` of the last event applied to this state.",
    ("Cause", "parent"): "The cause it answers, or null for the situation itself.",
    ("Action", "causes"): "Ids of the causes it is for.",
    ("Action", "author"): "Person id; null when the viewer may not know it (anonymous sessions).",
    ("Ballot", "dots"): "Cause id → \"matters\" dots this person put on it.",
    ("Ballot", "change"): "Cause id → this person's \"can it change?\" answer.",
    ("Tally", "dots"): "The room's \"matters\" dots on the cause.",
    ("Tally", "we"): "How many said the group can change it.",
    ("Tally", "others"): "How many said it changes only with others.",
    ("Tally", "no"): "How many said not for now.",
}

ERROR_EFFECT: dict[str, str] = {
    "bad_frame": "Before joining: closed (1008; 1003 for a binary frame). After: stays open.",
    "too_big": "Not sent today: the websocket layer closes the connection with 1009 before "
               "the frame is read.",
    "not_joined": "Closed (1008).",
    "already_joined": "Stays open; the second `join` is ignored.",
    "wrong_code": "Closed (1008). Counts towards the throttle.",
    "throttled": "Closed (1008). Wait a minute, then try again.",
    "busy": "Closed (1013). Nothing about the code was checked: try again in a few seconds (a "
            "client that was in the session retries by itself). See [The door](#the-door).",
    "locked": "Closed (1008). People already in can come back with their token.",
    "removed": "Closed (1008). The token no longer lets this person in.",
    "opened_elsewhere": "Sent to a joined connection when another connection joins with the same "
                        "`token`; then closed (1008). The client must not reconnect by itself "
                        "(the two would take the session from each other in turn); it offers to "
                        "use this screen again, which joins with the token and closes the other.",
    "full": "Closed (1008). Removed people free their seat; the facilitator's key always gets in.",
    "join_timeout": "Closed (1008).",
    "storage": "At `join`: closed (1013), try again later. Otherwise sent to everyone when "
               "the host cannot save; commands are rejected with `storage` until it can, "
               "then everyone is closed with 1012 to reconnect and resume.",
}

CLOSE_CODES: list[tuple[int, str, str]] = [
    (1003, "unsupported data", "A binary frame before `join`. Frames are JSON text."),
    (1007, "invalid frame payload data", "A text frame that is not valid UTF-8 (closed by the "
                                         "websocket layer)."),
    (1008, "policy violation", "The server refused this connection: after an `error` frame "
                               "whose code is also the close reason (`wrong_code`, `throttled`, "
                               "`locked`, `removed`, `full`, `not_joined`, `join_timeout`, "
                               "`bad_frame` before joining, `opened_elsewhere`)."),
    (1009, "message too big", f"A frame larger than {p.MAX_FRAME_BYTES} bytes (closed by the "
                              f"websocket layer, without an `error` frame)."),
    (1012, "service restart", "The host can save again after a storage failure: reconnect, "
                              "resume with `since` and send again the commands not answered."),
    (1013, "try again later", "A `join` refused with `busy` (see [The door](#the-door)) or with "
                              "`storage` (the host cannot save right now), "
                              "or this client stopped reading and fell more than "
                              f"{LIMITS.max_backlog // 1024} KiB behind. Reconnect and resume."),
]

KNOWN_ORDERS: list[tuple[str, ...]] = [model.PHASES, model.CHANGE_ANSWERS, ("problem", "success"),
                                       ("inside", "outside"), ("facilitator", "participant", "viewer")]

# --- reading the Structs -------------------------------------------------------------------


def server_frames() -> list[type[p.Frame]]:
    return list(typing.get_args(p.ServerFrame))


def server_bodies() -> list[type[p.Frame]]:
    commands = set(typing.get_args(p.ClientCommand))
    return [kind for kind in typing.get_args(p.EventBody) if kind not in commands]


def shared_structs() -> list[type[msgspec.Struct]]:
    return [model.Person, model.Session, model.Settings, model.Cause, model.Action, model.Ballot,
            model.Tally, model.Removal]


def attribute_docs(module: ModuleType) -> dict[tuple[str, str], str]:
    """`(class, field) -> docstring` for attributes documented with a string after them."""
    docs: dict[tuple[str, str], str] = {}
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if not isinstance(node, ast.ClassDef):
            continue
        for before, after in zip(node.body, node.body[1:], strict=False):
            if (isinstance(before, ast.AnnAssign) and isinstance(before.target, ast.Name)
                    and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                    and isinstance(after.value.value, str)):
                docs[(node.name, before.target.id)] = " ".join(after.value.value.split())
    return docs


DOCS = {**attribute_docs(model), **attribute_docs(p)}


def tag(kind: type[msgspec.Struct]) -> str:
    info = mi.type_info(kind)
    assert isinstance(info, mi.StructType)
    return str(info.tag) if info.tag is not None else kind.__name__


def struct_doc(kind: type[msgspec.Struct]) -> str:
    return " ".join((kind.__doc__ or "").split())


def field_note(kind: type[msgspec.Struct], field: str) -> str:
    own = STRUCT_FIELD_NOTES.get((tag(kind), field))
    if own is None:
        own = DOCS.get((kind.__name__, field))
    if own is None:
        own = FIELD_NOTES.get(field)
    if own is None:
        raise LookupError(f"no note for field {field!r} of {kind.__name__}: add a docstring after the "
                          f"attribute in its module, or an entry in FIELD_NOTES in {__file__}")
    if own.startswith("Server fills"):
        own = "**Server fills** (a client's value is replaced)" + own[len("Server fills"):]
    return own


PATTERN_WORDS = {p.OP_PATTERN: "ASCII letters, digits and `_` `.` `:` `-` only"}
"""Each string pattern of the protocol, in words."""


def _number(value: float) -> str:
    if value == p.MAX_SEQ:
        return "2^53"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0e}".replace("e+", "e") if value >= 1e6 else str(int(value))
    return str(value)


def _bounds(low: float | None, high: float | None, unit: str = "") -> str:
    if low is not None and high is not None:
        return f"{_number(low)}–{_number(high)}{unit}"
    if high is not None:
        return f"≤ {_number(high)}{unit}"
    if low is not None:
        return f"≥ {_number(low)}{unit}"
    return ""


def _ordered(values: Iterable[Any]) -> list[Any]:
    values = list(values)
    for order in KNOWN_ORDERS:
        if set(values) <= set(order):
            return sorted(values, key=order.index)
    return values


def type_text(t: mi.Type) -> str:
    """A field's type, with its bounds, in words."""
    match t:
        case mi.StrType(min_length=low, max_length=high, pattern=pattern):
            bounds = _bounds(low, high, " chars")
            if pattern is not None:
                bounds += f"; {PATTERN_WORDS[pattern]}"
            return f"string ({bounds})" if bounds else "string"
        case mi.IntType(ge=low, le=high):
            bounds = _bounds(low, high)
            return f"integer ({bounds})" if bounds else "integer"
        case mi.FloatType(ge=low, le=high):
            bounds = _bounds(low, high)
            return f"number ({bounds})" if bounds else "number"
        case mi.BoolType():
            return "boolean"
        case mi.NoneType():
            return "null"
        case mi.LiteralType(values=values):
            return " \\| ".join(f'`"{v}"`' for v in _ordered(values))
        case mi.UnionType(types=types):
            structs = [member for member in types if isinstance(member, mi.StructType)]
            if len(structs) > 3:
                return "one of the bodies below (its `type` tells which)"
            ordered = sorted(types, key=lambda member: isinstance(member, mi.NoneType))
            return " or ".join(type_text(member) for member in ordered)
        case mi.ListType(item_type=item, max_length=high):
            limit = f", ≤ {high} items" if high is not None else ""
            return f"list of {type_text(item)}{limit}"
        case mi.DictType(key_type=key, value_type=value, max_length=high):
            limit = f", ≤ {high} entries" if high is not None else ""
            return f"object: {type_text(key)} → {type_text(value)}{limit}"
        case mi.StructType(cls=cls, tag=None):
            return f"[{cls.__name__}](#{cls.__name__.lower()})"
        case mi.StructType(cls=cls):
            return f"[`{tag(cls)}`](#{tag(cls)})"
    raise TypeError(f"no words for {t!r}")  # pragma: no cover - a new kind of field


def _default(field: mi.Field) -> str:
    if field.required:
        return "required"
    if field.default_factory is not msgspec.NODEFAULT:
        return f"`{msgspec.json.encode(field.default_factory()).decode()}`"
    return f"`{msgspec.json.encode(field.default).decode()}`"


def field_table(kind: type[msgspec.Struct]) -> Iterator[str]:
    info = mi.type_info(kind)
    assert isinstance(info, mi.StructType)
    if info.tag is not None:
        yield "| field | type | default | notes |"
        yield "|---|---|---|---|"
        yield f"| `type` | `\"{info.tag}\"` | required | |"
    else:
        yield "| field | type | default | notes |"
        yield "|---|---|---|---|"
    for field in info.fields:
        yield (f"| `{field.encode_name}` | {type_text(field.type)} | {_default(field)} | "
               f"{field_note(kind, field.name)} |")


# --- who may send what -----------------------------------------------------------------------


def _steps(phases: frozenset[model.Phase]) -> str:
    if not phases:
        return "never"
    if phases == rules.OPEN:
        return "every step but closed"
    return ", ".join(f"`{phase}`" for phase in model.PHASES if phase in phases)


def who_may(kind: type[p.ClientCommand]) -> str:
    roles = rules.ROLE_MAY[kind]
    participant_steps, facilitator_steps = rules.OPEN_IN.get(kind, (frozenset(), rules.OPEN))
    parts = []
    if "participant" in roles:
        parts.append(f"participant ({_steps(participant_steps)})")
    if "facilitator" in roles:
        parts.append(f"facilitator ({_steps(facilitator_steps)})")
    ownership = {
        p.EditCause: "; a participant only their own causes",
        p.MoveCause: "; a participant only their own causes",
        p.RemoveCause: "; a participant only their own causes with only their own causes below",
        p.RestoreCause: "; only the person who made the removal",
        p.EditAction: "; a participant only their own actions",
        p.RemoveAction: "; a participant only their own actions",
    }.get(kind, "")
    return ", ".join(parts) + ownership


# --- examples, built from the Structs so they are valid by construction ----------------------


def _json(frame: p.Frame, indent: int = 0) -> str:
    data = p.encode(frame)
    if isinstance(frame, p.Welcome | p.Event | p.Rejected | p.Error):
        p.decode_server_frame(data)  # an example that would not decode is a bug here
    else:
        p.decode_client_frame(data)
    return (msgspec.json.format(data, indent=indent) if indent else data).decode()


def examples() -> Iterator[str]:
    ann = model.Person(id="p2", name="Ann")
    add = p.AddCause(op="k3f9-7", parent=None, text="No safe place to go after school")
    added = msgspec.structs.replace(add, id="c5")
    state = model.Session(
        id="9f1c2a", title="Thursday group", situation="Our fifth graders get into trouble after school",
        phase="why", people={"p1": model.Person(id="p1", name="Fran", role="facilitator"), "p2": ann},
        causes={"c4": model.Cause(id="c4", parent=None, text="Nobody is home until six", author="p1")},
        seq=4, created_at=1764000000.0,
    )
    yield "Ann joins for the first time:"
    yield from _block(_json(p.Join(code="482 913 057", name="Ann")))
    yield "and is welcomed with the whole session (shortened here only by having little in it):"
    yield from _block(_json(p.Welcome(you=ann, token="q8V1-token-from-the-server", seq=4, state=state,
                                      server_time=1764000123.5), indent=2))
    yield "She answers \"But why?\" under the situation:"
    yield from _block(_json(add))
    yield "She receives the event with her `op`:"
    yield from _block(_json(p.Event(seq=5, by="p2", op="k3f9-7", command=added)))
    yield "and everyone else the same event without it:"
    yield from _block(_json(p.Event(seq=5, by="p2", op=None, command=added)))
    yield "In the weigh step, her vote reaches the others only as a count:"
    yield from _block(_json(p.Event(seq=9, by=None, op=None, command=p.VotesCast(voters=3))))
    yield "A command that is understood but not allowed now:"
    yield from _block(_json(p.Rejected(op="k3f9-8", reason="wrong_phase",
                                       message="Not now: we are weighing the causes. "
                                               "Answers are added while asking why.")))
    yield "Her laptop sleeps; when it wakes it joins again with its token and the last `seq` it applied:"
    yield from _block(_json(p.Join(code="482913057", name="Ann", token="q8V1-token-from-the-server",
                                   since=9)))
    yield "and gets `welcome` with `\"seq\":9,\"state\":null`, then every event after 9, in order."


def _block(text: str) -> Iterator[str]:
    yield ""
    yield "```json"
    yield text
    yield "```"
    yield ""


# --- the document -----------------------------------------------------------------------------


def render() -> str:
    """The whole of `docs/protocol.md`."""
    return "\n".join(_document()).rstrip() + "\n"


def _section(kind: type[msgspec.Struct], note: str = "", extra: Iterable[str] = ()) -> Iterator[str]:
    yield f"### {tag(kind)}"
    yield ""
    text = " ".join(part for part in (struct_doc(kind), note) if part)
    if text:
        yield text
        yield ""
    yield from extra
    yield from field_table(kind)
    yield ""


def _document() -> Iterator[str]:
    yield "# The whytree wire protocol"
    yield ""
    yield (f"<!-- Generated from the msgspec Structs in shared/protocol.py by `{COMMAND}`. "
           "Do not edit by hand: change the Structs or the prose in the script. -->")
    yield ""
    yield ("This is the public contract between a whytree server and its clients: the terminal "
           "app, and any other client (a web page, a script, a test). Names and fields do not "
           "change; new fields come with defaults.")
    yield ""
    yield "## Connecting"
    yield ""
    yield from [
        "- Open a websocket to `ws://HOST:PORT` (`wss://` when the host has TLS on; the default port "
        f"is {p.DEFAULT_PORT}). Terminal clients and scripts send no `Origin` header. A browser "
        "is let in only from this server's own page: its `Origin` must be `http://` or `https://` "
        "followed by the request's own `Host` (the same address and port), and that address must "
        "be a number (an IPv4 or IPv6 literal) or `localhost` -- a page under any name could be "
        "another site re-pointed at the host (DNS rebinding). Every other `Origin` (another site, "
        "another port, `null`) is refused with HTTP 403 before the websocket opens.",
        "- The same port answers plain HTTP `GET` for the browser client, fully offline: `/` (and "
        "`/?view`, the read-only projector page) serves the page, `/<file>` one of its fixed files "
        f"({', '.join(f'`{name}`' for name in web.FILES if name != web.PAGE)}; anything else is 404), "
        "`/core.json` the core's rules and words as data (which roles may send which command in which "
        "step, the commands only an author may send, every bound below, the rejection reasons and "
        "error codes, and every word the screens show), `/qr.svg` the QR code of the browser address "
        "and `/join.json` that address (`{\"urls\": [...]}`, numeric addresses, best first). All "
        "with `Cache-Control: no-cache`; none of them holds the join code or anything of the session. "
        "Too many websocket connections from one address that have not joined yet are refused "
        "with HTTP 503 (see [The door](#the-door)).",
        "- Every frame, both ways, is **one JSON object in a text frame**, UTF-8, whose `\"type\"` field "
        "names the message. Binary frames are refused. Compression is off.",
        f"- A client frame may be at most **{p.MAX_FRAME_BYTES} bytes**. Every string, list and number "
        "has a bound (below); a frame that breaks one is refused whole, before any rule runs.",
        "- Fields not listed here are refused (`bad_frame`), and so are fields of the wrong type. "
        "In particular a client can never say who it is in a command: identity comes from the "
        "connection's `join`.",
        f"- The first frame must be `join`, within **{_number(LIMITS.join_deadline)} seconds**.",
        f"- The server pings every {_number(LIMITS.ping_interval or 0)} s and drops a link that does not answer "
        f"within {_number(LIMITS.ping_timeout)} s; a client should do the same, then reconnect.",
        "",
    ]
    yield "## Joining, welcome and resuming"
    yield ""
    yield from [
        "1. The client sends `join` with the join `code` (a participant, or a `viewer` with "
        "`\"role\":\"viewer\"`) or the `facilitator_key` (the facilitator). Only the key gives "
        "facilitator powers; `role` cannot ask for them.",
        "2. The server answers `welcome`: who this person is (`you`), a `token`, and `state`, the "
        "whole session as this person may see it, with `seq`, the number of the last event in it.",
        "3. Then every change anyone makes arrives as an `event`, in order: each `seq` is one more "
        "than the one before. The client applies it to its state with the same rules as the server "
        "(`whytree.shared.apply`). An event with a `seq` the client already has is a repeat: ignore it. "
        "A gap means frames were lost: join again with `since`.",
        "4. To come back — a dropped link, a laptop that slept, a restarted app — join again with the "
        "`token` from the last `welcome` and `since`, the `seq` of the last event applied. The person "
        "keeps their id, their votes and their answers. When the server still has every event after "
        "`since`, it answers `welcome` with `\"state\":null` and `\"seq\"` equal to `since`, then sends "
        "those events; otherwise (too far behind, or `since` is not a point it knows) it sends the "
        "whole state again. `since` counts only for a returning person: a new person always gets the "
        "whole state.",
        "5. A person already in comes back with their `token` alone: the code is not checked (so a "
        "new code locks out nobody who is in). The facilitator always needs the key.",
        "6. Wrong codes are limited per address and across the whole server; see "
        "[The door](#the-door). A wrong `facilitator_key` counts as a wrong code, even next to a "
        "right code.",
        "7. A locked room lets nobody new in; people already in come back with their token. A person "
        "the facilitator removed cannot come back with their token.",
        "7. One screen per token. A `join` with a token that another connection joined with makes the "
        "newest connection the person's: the older one receives `error` `opened_elsewhere` and is "
        "closed (1008), and the person stays online. The terminal client keeps each session's token "
        "on the participant's laptop (a private file in the user data folder, by server address and "
        "session), so joining again from that laptop comes back as the same person; `whytree join "
        "--new-person` (or \"Join as someone new\" on the join screen) joins as someone else. A "
        "facilitator who joins with the key and no token of theirs gets a token of their own for "
        "that screen: the same facilitator person, but a key used elsewhere never takes the host's "
        "own screen.",
        "",
    ]
    yield from _door()
    yield "## Commands and `op`"
    yield ""
    yield from [
        f"Every command carries `op`, an id the client chooses (1–{p.MAX_OP} characters: "
        f"{PATTERN_WORDS[p.OP_PATTERN]}; anything else is refused as `bad_frame`), unique for "
        "this person for the life of the session (for instance a random prefix and a counter). It "
        "matches the answer to the command and makes sending it again harmless:",
        "",
        "- Accepted: the command becomes an `event` for everyone; the author's copy carries the `op`. "
        "It is saved on the host's disk before anyone receives it.",
        "- Refused: only the sender receives `rejected` with the `op`, a `reason` and a `message`; "
        "nothing changed.",
        "- Sent again with the same `op` and exactly the same fields (after a reconnect, say): the "
        "command is **not** applied twice. The sender receives the original outcome again: the "
        "original event (a client ignores it, having applied it already), or for an event too old to "
        "keep, an event with the original `seq` and a `votes_cast` body; or the same rejection. A "
        "rejected `op` therefore stays rejected: to try again after things changed, use a new `op`. "
        "Rejections for `busy` and `storage` are not remembered; those may be retried with the same `op`.",
        "- The same `op` with different fields is rejected with `op_reused`.",
        f"- A person (all their connections together) may send a burst of {int(LIMITS.commands[0])} "
        f"commands, then {int(LIMITS.commands[1])} a second; beyond that commands are rejected with "
        "`busy`.",
        "",
        "The server normalizes what it accepts: text is cleaned, ids of new things are assigned, and "
        "fields marked **server fills** get their value from the server, whatever the client sent.",
        "",
    ]
    yield "## Text"
    yield ""
    yield ("Every piece of text people type (causes, names, actions, the situation, the plan) is cleaned "
           "by the server before anyone sees it: terminal escape sequences (CSI, OSC such as clipboard "
           "writes and window titles, DCS, ...), C0 and C1 control characters, NUL, and bidi overrides and "
           "other invisible format characters are removed; line breaks and runs of spaces become one "
           "space; the ends are trimmed. Markup characters such as `[bold]` are kept as they are: "
           "clients must show text as plain text. A cause or action that is empty after cleaning is "
           "refused (`invalid`). Bounds on text count characters (Unicode code points), and hold both on "
           "what a client sends and on what the server stores and sends: cleaning normalises to NFC, "
           "which writes a few characters as two or three (U+FB2C becomes three), so a command whose "
           "cleaned text no longer fits its bound is refused (`invalid`, \"too long once its letters are "
           "written out in full\"), and a name or session title that no longer fits is cut to fit, "
           "never inside a letter and its accents or an emoji sequence.")
    yield ""
    yield "## What each person receives"
    yield ""
    yield from [
        "- **Hidden votes.** A person's dots and \"can it change\" answers go to that person only, in "
        "`welcome.state.ballots` and in their own `set_dots` / `set_change` events. Everyone else "
        "receives a `votes_cast` event with the number of people who have voted. `reveal_votes` "
        "carries the room's totals per cause (`tally`), never anyone's ballot. While votes are hidden, "
        "`remove_cause` and `merge_causes` carry no new count (`voters` is null): a drop in the count "
        "would tell the room whose votes were on the removed answer. Someone whose votes all went "
        "with it still counts as having voted (their ballot is kept, empty) until they take their "
        "own votes back.",
        "- **Anonymous sessions.** Nobody but the person learns who wrote what: `author` of causes and "
        "actions, an event's `by`, and other people's names are null or empty for everyone else.",
        "- **The last removal.** `state.last_removal` holds the answers removed last, so that whoever "
        "removed them can undo it; each person receives it as they saw it: only their own votes in "
        "its `ballots` and, in anonymous sessions, no `author` and no `removed_by` but their own. "
        "Clients build it themselves from the `remove_cause` event, as `apply` does.",
        "- **Anonymity that was on stays on for what was said then.** The facilitator chooses "
        "anonymity before any answer or action exists (`set_settings` is refused with `invalid` "
        "once the tree or the action list holds anything). Every event is sent — live, on a resume "
        "from any `since` (also `0`), or again for a retried `op` — as redacted by the anonymity in "
        "force when it was accepted *or* now, whichever hides more: turning anonymity off never "
        "reveals the author, `by` or `op` of anything sent while it was on (\"I'm done\", answers "
        "later removed, ...). Only the names in the `set_settings` event that turned it off, and "
        "what comes after it, are visible.",
        "- An event's `op` goes to the author only. In anonymous sessions the `op` inside other "
        f"people's commands is replaced by `\"{HIDDEN_OP}\"` too, since one client's ops would tie "
        "together everything it sent.",
        f"- **Presence.** Who is connected is published in batches: every "
        f"{_number(LIMITS.presence_every)} s the server sends a `presence` event for each person whose "
        f"connection has been up (or down) for at least {_number(LIMITS.presence_settle)} s and who is "
        "shown otherwise, in the order people joined. Only the net change counts: a link that drops "
        "and comes back within that time sends (and saves) nothing, however often it happens. So "
        "somebody coming back is never announced right before the commands their client resends.",
        "",
    ]
    yield "## Client → server"
    yield ""
    yield from _section(p.Join, FRAME_NOTES["join"])
    for kind in typing.get_args(p.ClientCommand):
        extra = [f"Who may send it, and when: {who_may(kind)}.", ""]
        yield from _section(kind, FRAME_NOTES.get(tag(kind), ""), extra)
    yield "## Server → client"
    yield ""
    for kind in server_frames():
        yield from _section(kind)
    yield "## Event bodies only the server sends"
    yield ""
    yield ("Besides accepted commands, the `command` of an `event` can be one of these (a client "
           "can never send them).")
    yield ""
    for kind in server_bodies():
        yield from _section(kind)
    yield "## Shared structures"
    yield ""
    yield ("The session as `welcome.state` carries it (and as the saved `session.json` holds it, with "
           f"`schema` = {model.SCHEMA_VERSION}), and its parts. Ids are short strings the server assigns: "
           "`p…` for people, `c…` for causes, `a…` for actions.")
    yield ""
    for kind in shared_structs():
        yield f"### {kind.__name__}"
        yield ""
        if struct_doc(kind):
            yield struct_doc(kind)
            yield ""
        yield from field_table(kind)
        yield ""
    yield "## Rejection reasons"
    yield ""
    yield "The `reason` of a `rejected` frame. Nothing changed; the `message` says why in plain words."
    yield ""
    yield "| reason | meaning |"
    yield "|---|---|"
    for code, meaning in p.REASONS.items():
        yield f"| `{code}` | {meaning} |"
    yield ""
    yield "## Error codes"
    yield ""
    yield "The `code` of an `error` frame: a frame the server could not accept at all."
    yield ""
    yield "| code | meaning | the connection |"
    yield "|---|---|---|"
    for code, meaning in p.ERRORS.items():
        if code not in ERROR_EFFECT:
            raise LookupError(f"error code {code!r}: say in ERROR_EFFECT in {__file__} what happens "
                              f"to the connection")
        yield f"| `{code}` | {meaning} | {ERROR_EFFECT[code]} |"
    yield ""
    yield "## Close codes"
    yield ""
    yield "| code | name | when |"
    yield "|---|---|---|"
    for number, name, when in CLOSE_CODES:
        yield f"| {number} | {name} | {when} |"
    yield ""
    yield ("1000 and 1001 are ordinary closes (the server stopping, a client leaving). 1011 (internal "
           "error) would be a bug in the server.")
    yield ""
    yield "## Bounds"
    yield ""
    yield "| limit | value |"
    yield "|---|---|"
    for name, value in _bounds_table():
        yield f"| {name} | {value} |"
    yield ""
    yield "## Examples"
    yield ""
    yield from examples()


def _door() -> Iterator[str]:
    limits = LIMITS
    limit, window = limits.wrong_per_address
    overall, overall_window = limits.wrong_overall
    codes = 10**p.CODE_DIGITS
    hours = p.GUESSING_SESSION / 3600
    evaluated = round(limits.guess_bound() * codes)
    new_burst, new_rate = limits.new_people
    join_burst, join_rate = limits.joins_per_person
    yield "## The door"
    yield ""
    yield ("Limits on the way in, with what a client gets when it meets one. None of them affects "
           "people already in the session.")
    yield ""
    yield "| limit | value | a client that meets it gets |"
    yield "|---|---|---|"
    rows = [
        ("wrong codes (or keys) from one address",
         f"{limit} within {_number(window)} s; then even the right code waits",
         "`error` `throttled`, close 1008"),
        ("wrong codes checked by the whole server, all addresses together",
         f"{overall} per {_number(overall_window)} s (a burst of {overall}, then evenly spread); "
         "beyond that no code is looked at (right or wrong) until the next is due, and the "
         "host's screen is told",
         "`error` `busy`, close 1013"),
        ("new people, all addresses together (the facilitator is never held up)",
         f"a burst of {_number(new_burst)}, then {_number(new_rate)} a second",
         "`error` `busy`, close 1013"),
        ("joins of one returning person, all their connections together",
         f"a burst of {_number(join_burst)}, then one every {_number(1 / join_rate)} s",
         "`error` `busy`, close 1013"),
        ("commands of one person, all their connections together",
         f"a burst of {int(LIMITS.commands[0])}, then {int(LIMITS.commands[1])} a second",
         "`rejected` `busy`"),
        ("people in the session at once (participants and viewers; removed people do not count)",
         f"{p.MAX_PEOPLE}, and the facilitator's key always gets in",
         "`error` `full`, close 1008"),
        ("people who ever joined the session, removed people included", str(p.MAX_PEOPLE_EVER),
         "`error` `full`, close 1008"),
        ("connections from one address that have not joined yet", str(limits.unjoined_per_address),
         "HTTP 503 at the handshake"),
        ("connections that have not joined yet, all addresses together",
         str(limits.unjoined_overall), "the oldest of them is cut (no close frame)"),
        ("time to send `join`", f"{_number(LIMITS.join_deadline)} s", "`error` `join_timeout`, close 1008"),
        ("log lines per logger (websockets, asyncio, the server) during a flood",
         f"{limits.log_burst} in {_number(limits.log_window)} s; the rest are counted in one line",
         "—"),
    ]
    for name, value, effect in rows:
        yield f"| {name} | {value} | {effect} |"
    yield ""
    yield (f"**How likely is a guessed code?** A generated join code has {p.CODE_DIGITS} digits, "
           f"read aloud in groups of three (`482 913 057`): {codes:,} codes. Whatever number of "
           f"addresses a guesser uses, the server checks at most {overall} wrong codes per "
           f"{_number(overall_window)} s (a burst of {overall}, then evenly spread), and refuses "
           "every code join beyond that *before* looking at the code (so the refusal tells "
           f"nothing). In a {_number(hours)}-hour session that is at most {evaluated:,} wrong codes "
           f"checked: the chance that guessing finds the code is at most "
           f"**{limits.guess_bound():.3%}**.")
    yield ""
    yield (f"Meanwhile a participant who mistyped once still gets in. Past the per-address limit, "
           f"a guesser with all 254 addresses of a room's network reaches "
           f"{254 * limit / window:.0f} wrong codes a second, well under {overall}; during a flood "
           f"from more addresses, every try gets its share of the {overall} a second. When the "
           "server-wide limit is reached the host's screen says so, and the facilitator can give "
           "the session a new code with one key (`J`, shift+j); it is saved with the session, and people "
           "already in are not affected. (A code set with `--code` is whatever the host chose: "
           "the bound holds only for as many codes as it allows.)")
    yield ""


def _bounds_table() -> Iterator[tuple[str, str]]:
    yield "a client frame", f"{p.MAX_FRAME_BYTES} bytes"
    yield "a cause, an action, the situation", f"{p.MAX_CAUSE_TEXT} characters"
    yield "who can do an action, first step, owner, due", f"{p.MAX_SHORT_TEXT} characters"
    yield "a name", f"{p.MAX_NAME} characters"
    yield "`op`", f"{p.MAX_OP} characters, {PATTERN_WORDS[p.OP_PATTERN]}"
    yield "an id", f"{p.MAX_ID} characters"
    yield "the join code / the facilitator key or a token", f"{p.MAX_CODE} / {p.MAX_SECRET} characters"
    yield "causes in a session", str(p.MAX_CAUSES)
    yield ("answers in one chain below the situation (`add_cause` and `merge_causes` that would go "
           "deeper are refused with `too_deep`)", str(p.MAX_DEPTH))
    yield "actions in a session", str(p.MAX_ACTIONS)
    yield "people in a session at once (removed people do not count; the facilitator has a seat beyond)", \
        str(p.MAX_PEOPLE)
    yield "people who ever joined a session, removed people included", str(p.MAX_PEOPLE_EVER)
    yield "causes per action", str(p.MAX_CAUSES_PER_ACTION)
    yield "dots (budget, cap, on one cause)", str(p.MAX_DOTS)
    yield "a step timer", f"{p.MAX_TIMER_SECONDS} seconds"
    yield "`seq` and `since`", "2^53"


def schema() -> dict[str, Any]:
    """JSON Schema of every client frame and every server frame."""
    (client, server), components = msgspec.json.schema_components([p.ClientFrame, p.ServerFrame])
    return {"client_frame": client, "server_frame": server, "$defs": components}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/protocol.md is out of date")
    parser.add_argument("--schema", action="store_true", help="print the JSON Schema of all frames")
    args = parser.parse_args(argv)
    if args.schema:
        print(json.dumps(schema(), indent=2))
        return 0
    text = render()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
