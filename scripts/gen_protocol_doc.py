"""Generate `docs/protocol.md`, the wire protocol's reference, from the code.

The prose lives in `docs/protocol.template.md`; this script fills its `{{name}}`
placeholders. Every message, field, type, bound and note comes from the msgspec Structs of
`whytree.shared.protocol` and `whytree.shared.model` (read with `msgspec.inspect`; a
field's note is the docstring after its attribute), who may send what from
`whytree.shared.rules`, and every number the prose quotes from `whytree.shared.protocol`
(its constants and `Limits`). It imports nothing but `whytree.shared`. So the document
cannot drift from the code: `tests/test_protocol_doc.py` regenerates it and fails when the
file differs.

    .venv/bin/python scripts/gen_protocol_doc.py           # rewrite docs/protocol.md
    .venv/bin/python scripts/gen_protocol_doc.py --check   # exit 1 if it is out of date
    .venv/bin/python scripts/gen_protocol_doc.py --schema  # print the JSON Schema instead

`render()` builds the text and writes no file; only `main()` writes.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import re
import sys
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import msgspec.inspect as mi

from whytree.shared import model, rules
from whytree.shared import protocol as p
from whytree.shared.views import HIDDEN_OP

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "protocol.md"
TEMPLATE = ROOT / "docs" / "protocol.template.md"
WEB = ROOT / "web"
"""The browser client's files, served as they are (the page itself is `index.html`)."""
COMMAND = ".venv/bin/python scripts/gen_protocol_doc.py"
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")

KNOWN_ORDERS: list[tuple[str, ...]] = [model.PHASES, model.CHANGE_ANSWERS, ("problem", "success"),
                                       ("inside", "outside"), ("facilitator", "participant", "viewer")]
PATTERN_WORDS = {p.OP_PATTERN: "ASCII letters, digits and `_` `.` `:` `-` only"}
"""Each string pattern of the protocol, in words."""
OWN_ONLY: dict[type[p.ClientCommand], str] = {
    p.EditCause: "a participant only their own causes",
    p.MoveCause: "a participant only their own causes",
    p.RemoveCause: "a participant only their own causes with only their own causes below",
    p.RestoreCause: "only the person who made the removal",
    p.EditAction: "a participant only their own actions",
    p.RemoveAction: "a participant only their own actions",
}
"""Commands a person may send only about what is theirs (`rules.decide` checks it)."""

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
    """The docstring of `field`, from the class that defines it (`op`: `Command`)."""
    own = next((DOCS[(base.__name__, field)] for base in kind.__mro__ if (base.__name__, field) in DOCS),
               None)
    if own is None:
        raise LookupError(f"no note for field {field!r} of {kind.__name__}: add a docstring after "
                          f"the attribute in {kind.__module__}")
    if own.startswith("Server fills"):
        own = "**Server fills** (a client's value is replaced)" + own[len("Server fills"):]
    return own


# --- types and bounds in words ----------------------------------------------------------------


def number(value: float) -> str:
    if value == p.MAX_SEQ:
        return "2^53"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0e}".replace("e+", "e") if value >= 1e6 else str(int(value))
    return str(value)


def _bounds(low: float | None, high: float | None, unit: str = "") -> str:
    if low is not None and high is not None:
        return f"{number(low)}–{number(high)}{unit}"
    if high is not None:
        return f"≤ {number(high)}{unit}"
    if low is not None:
        return f"≥ {number(low)}{unit}"
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
    yield "| field | type | default | notes |"
    yield "|---|---|---|---|"
    if info.tag is not None:
        yield f"| `type` | `\"{info.tag}\"` | required | |"
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
    own = OWN_ONLY.get(kind)
    return ", ".join(parts) + (f"; {own}" if own else "")


# --- the generated blocks -----------------------------------------------------------------------


def section(kind: type[msgspec.Struct], extra: Iterable[str] = ()) -> Iterator[str]:
    yield f"### {tag(kind)}"
    yield ""
    if struct_doc(kind):
        yield struct_doc(kind)
        yield ""
    yield from extra
    yield from field_table(kind)
    yield ""


def client_sections() -> Iterator[str]:
    yield from section(p.Join)
    for kind in typing.get_args(p.ClientCommand):
        yield from section(kind, [f"Who may send it, and when: {who_may(kind)}.", ""])


def code_table(heading: Iterable[str], rows: Iterable[Iterable[str]]) -> Iterator[str]:
    columns = list(heading)
    yield "| " + " | ".join(columns) + " |"
    yield "|" + "---|" * len(columns)
    for row in rows:
        yield "| " + " | ".join(row) + " |"


def error_rows() -> Iterator[tuple[str, str, str]]:
    for code, meaning in p.ERRORS.items():
        if code not in p.ERROR_EFFECTS:
            raise LookupError(f"error code {code!r}: say in protocol.ERROR_EFFECTS what happens "
                              "to the connection")
        yield f"`{code}`", meaning, p.ERROR_EFFECTS[code]


def _json(frame: p.Frame, indent: int = 0) -> str:
    data = p.encode(frame)
    if isinstance(frame, p.Welcome | p.Event | p.Rejected | p.Error):
        p.decode_server_frame(data)  # an example that would not decode is a bug here
    else:
        p.decode_client_frame(data)
    return (msgspec.json.format(data, indent=indent) if indent else data).decode()


def examples() -> dict[str, str]:
    """The frames of the story in the template's Examples, built from the Structs."""
    ann = model.Person(id="p2", name="Ann")
    add = p.AddCause(op="k3f9-7", parent=None, text="No safe place to go after school")
    added = msgspec.structs.replace(add, id="c5")
    state = model.Session(
        id="9f1c2a", title="Thursday group", situation="Our fifth graders get into trouble after school",
        phase="why", people={"p1": model.Person(id="p1", name="Fran", role="facilitator"), "p2": ann},
        causes={"c4": model.Cause(id="c4", parent=None, text="Nobody is home until six", author="p1")},
        seq=4, created_at=1764000000.0,
    )
    frames: dict[str, str] = {
        "join": _json(p.Join(code="482 913 057", name="Ann")),
        "welcome": _json(p.Welcome(you=ann, token="q8V1-token-from-the-server", seq=4, state=state,
                                   server_time=1764000123.5, latest=4), indent=2),
        "add_cause": _json(add),
        "event_for_author": _json(p.Event(seq=5, by="p2", op="k3f9-7", command=added)),
        "event_for_others": _json(p.Event(seq=5, by="p2", op=None, command=added)),
        "votes_cast": _json(p.Event(seq=9, by=None, op=None, command=p.VotesCast(voters=3))),
        "rejected": _json(p.Rejected(op="k3f9-8", reason="wrong_phase",
                                     message="Not now: we are weighing the causes. "
                                             "Answers are added while asking why.")),
        "rejoin": _json(p.Join(code="482913057", name="Ann", token="q8V1-token-from-the-server",
                               since=9)),
    }
    return {f"example_{name}": f"```json\n{text}\n```" for name, text in frames.items()}


def _lines(block: Iterable[str]) -> str:
    return "\n".join(block)


def values() -> dict[str, str]:
    """Everything the template may name: the protocol's constants, the limits, the blocks."""
    limits = p.Limits()
    found: dict[str, str] = {name: number(value) for name, value in vars(p).items()
                             if name.isupper() and isinstance(value, int) and not isinstance(value, bool)}
    wrong, wrong_window = limits.wrong_per_address
    overall, overall_window = limits.wrong_overall
    codes = 10**p.CODE_DIGITS
    web_files = sorted(path.name for path in WEB.iterdir()
                       if path.is_file() and not path.name.startswith(("_", ".", "index.")))
    found.update({
        "COMMAND": COMMAND,
        "HIDDEN_OP": HIDDEN_OP,
        "SCHEMA_VERSION": str(model.SCHEMA_VERSION),
        "op_characters": PATTERN_WORDS[p.OP_PATTERN],
        "web_files": ", ".join(f"`{name}`" for name in web_files),
        "join_deadline": number(limits.join_deadline),
        "ping_interval": number(limits.ping_interval or 0),
        "ping_timeout": number(limits.ping_timeout),
        "max_backlog_kib": str(limits.max_backlog // 1024),
        "commands_burst": number(limits.commands[0]),
        "commands_rate": number(limits.commands[1]),
        "wrong_per_address": number(wrong),
        "wrong_per_address_window": number(wrong_window),
        "wrong_overall": number(overall),
        "wrong_overall_window": number(overall_window),
        "new_people_burst": number(limits.new_people[0]),
        "new_people_rate": number(limits.new_people[1]),
        "joins_per_person_burst": number(limits.joins_per_person[0]),
        "joins_per_person_every": number(1 / limits.joins_per_person[1]),
        "unjoined_per_address": str(limits.unjoined_per_address),
        "unjoined_overall": str(limits.unjoined_overall),
        "log_burst": str(limits.log_burst),
        "log_window": number(limits.log_window),
        "presence_every": number(limits.presence_every),
        "presence_settle": number(limits.presence_settle),
        "resume_window": str(limits.resume_window),
        "codes": f"{codes:,}",
        "guessing_hours": number(p.GUESSING_SESSION / 3600),
        "guesses": f"{round(limits.guess_bound() * codes):,}",
        "guess_bound": f"{limits.guess_bound():.3%}",
        "room_guesses": f"{254 * wrong / wrong_window:.0f}",
        "client_frames": _lines(client_sections()),
        "server_frames": _lines(line for kind in server_frames() for line in section(kind)),
        "server_bodies": _lines(line for kind in server_bodies() for line in section(kind)),
        "shared_structs": _lines(line for kind in shared_structs() for line in section(kind)),
        "reasons": _lines(code_table(("reason", "meaning"),
                                     ((f"`{code}`", meaning) for code, meaning in p.REASONS.items()))),
        "errors": _lines(code_table(("code", "meaning", "the connection"), error_rows())),
        **examples(),
    })
    return found


def fill(template: str, known: dict[str, str]) -> str:
    """`template` with every `{{name}}` replaced; a name nobody knows is an error."""
    unknown = sorted({name for name in PLACEHOLDER.findall(template) if name not in known})
    if unknown:
        raise KeyError(f"{TEMPLATE.name} names {', '.join(unknown)}, which {__file__} does not fill")
    return PLACEHOLDER.sub(lambda match: known[match.group(1)], template)


def render(template: str | None = None) -> str:
    """The whole of `docs/protocol.md` (from `template`, or the template file)."""
    text = TEMPLATE.read_text(encoding="utf-8") if template is None else template
    return fill(text, values()).rstrip() + "\n"


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
