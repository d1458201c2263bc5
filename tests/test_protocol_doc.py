"""`docs/protocol.md` is generated from the code and says everything a client needs.

The document is regenerated here and compared with the file; when it differs, the fix is
to run the generator (the failure says how). The other tests read the *document* and
check it against the code, not against the generator's own helpers: every message and
field is in it with its bound and a note, every reason, error code, close code and limit
is there, the prose names only what the generator fills, and every example is a frame the
decoders accept. Each check is also shown to fail on a document that lacks what it checks.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import typing
from pathlib import Path
from types import ModuleType

import msgspec
import msgspec.inspect as mi
import pytest

from whytree.server import web
from whytree.shared import model
from whytree.shared import protocol as p

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gen_protocol_doc.py"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_protocol_doc", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = load_generator()


@pytest.fixture(scope="module")
def doc() -> str:
    text: str = gen.render()
    return text


def sections(doc: str) -> dict[str, str]:
    """`## name` / `### name` heading -> the text up to the next heading."""
    parts = re.split(r"^#{2,3} (.+)$", doc, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def rows(section: str) -> dict[str, list[str]]:
    """The rows of the tables in `section`: first cell (without backticks) -> its cells."""
    found = {}
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
            found[cells[0][1:-1] if re.fullmatch(r"`[^`]*`", cells[0]) else cells[0]] = cells
    return found


# --- the document is current, and nothing else is touched ------------------------------------


def test_the_document_is_up_to_date(doc: str) -> None:
    current = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    assert current == doc, (
        "docs/protocol.md is out of date with shared/protocol.py or docs/protocol.template.md: "
        f"run `{gen.COMMAND}` and commit the result"
    )


def test_rendering_touches_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert gen.render() == gen.render()
    assert list(tmp_path.iterdir()) == []


def test_the_generator_needs_only_the_core() -> None:
    """It reads the Structs and the contract's numbers, never the server's internals."""
    imported = re.findall(r"^\s*(?:from|import) (whytree\.\w+)", SCRIPT.read_text(), flags=re.MULTILINE)
    assert imported and set(imported) == {"whytree.shared"}, imported


# --- every message and field, with its bound -------------------------------------------------

FRAMES = [*typing.get_args(p.ClientFrame), *typing.get_args(p.ServerFrame),
          *(kind for kind in typing.get_args(p.EventBody) if kind not in typing.get_args(p.ClientCommand))]
STRUCTS = [model.Person, model.Session, model.Settings, model.Cause, model.Action, model.Ballot,
           model.Tally, model.Removal]


def bounds(t: mi.Type) -> list[str]:
    """The numbers a reader must find for a field of type `t` (its own bounds, and those of
    what it holds)."""
    found: list[str] = []
    match t:
        case mi.StrType(min_length=low, max_length=high) | mi.IntType(ge=low, le=high) \
                | mi.FloatType(ge=low, le=high):
            found += [str(int(v)) if v != p.MAX_SEQ else "2^53" for v in (low, high)
                      if v is not None and v < 1e6 or v == p.MAX_SEQ]
        case mi.UnionType(types=types):
            for member in types:
                found += bounds(member)
        case mi.ListType(item_type=item, max_length=high):
            found += ([str(high)] if high is not None else []) + bounds(item)
        case mi.DictType(key_type=key, value_type=value, max_length=high):
            found += ([str(high)] if high is not None else []) + bounds(key) + bounds(value)
    return found


@pytest.mark.parametrize("kind", [*FRAMES, *STRUCTS], ids=lambda kind: kind.__name__)
def test_every_message_and_field_is_documented_with_its_bound(doc: str, kind: type[msgspec.Struct]) -> None:
    check_fields(doc, kind)


def check_fields(doc: str, kind: type[msgspec.Struct]) -> None:
    info = mi.type_info(kind)
    assert isinstance(info, mi.StructType)
    name = str(info.tag) if info.tag is not None else kind.__name__
    section = sections(doc).get(name)
    assert section is not None, f"no section for {name}"
    table = rows(section)
    for field in info.fields:
        row = table.get(field.encode_name)
        assert row is not None, f"{name}.{field.encode_name} is not documented"
        assert len(row) == 4 and row[3], f"{name}.{field.encode_name} has no note: {row}"
        for bound in bounds(field.type):
            assert re.search(rf"(?<![\d.]){re.escape(bound)}(?![\d.])", row[1]), (
                f"{name}.{field.encode_name}: its bound {bound} is not in {row[1]!r}")


def test_a_field_without_its_bound_or_note_fails_the_check(doc: str) -> None:
    section = sections(doc)["add_cause"]
    without_bound = doc.replace(section, section.replace("≤ 280 chars", "no limit"))
    with pytest.raises(AssertionError, match="bound 280"):
        check_fields(without_bound, p.AddCause)
    row = next(line for line in section.splitlines() if line.startswith("| `parent` |"))
    without_note = doc.replace(row, row.rsplit("|", 2)[0] + "| |")
    with pytest.raises(AssertionError, match="no note"):
        check_fields(without_note, p.AddCause)
    with pytest.raises(AssertionError, match="not documented"):
        check_fields(doc.replace(row, ""), p.AddCause)


def test_every_field_note_lives_on_its_attribute() -> None:
    """Notes are docstrings after the attributes, so they stay next to their fields."""
    for kind in [*FRAMES, *STRUCTS]:
        info = mi.type_info(kind)
        assert isinstance(info, mi.StructType)
        for field in info.fields:
            assert gen.field_note(kind, field.name), (kind.__name__, field.name)
    with pytest.raises(LookupError, match="add a docstring"):
        gen.field_note(p.AddCause, "no_such_field")


# --- reasons, errors, close codes, limits ----------------------------------------------------


def check_codes(doc: str) -> None:
    found = sections(doc)
    reasons, errors, closes = (rows(found[name])
                               for name in ("Rejection reasons", "Error codes", "Close codes"))
    for reason, meaning in p.REASONS.items():
        assert reason in reasons and reasons[reason][1] == meaning, f"reason {reason}"
    for code, meaning in p.ERRORS.items():
        assert code in errors and errors[code][1:] == [meaning, p.ERROR_EFFECTS[code]], f"error {code}"
    for name, number in vars(p).items():
        if name.startswith("CLOSE_"):
            assert str(number) in closes, f"close code {name} ({number})"


def test_every_reason_error_and_close_code_is_documented(doc: str) -> None:
    check_codes(doc)
    found = sections(doc)
    for heading, missing, what in (("Rejection reasons", "| `cap` |", "reason cap"),
                                   ("Error codes", "| `locked` |", "error locked"),
                                   ("Close codes", f"| {p.CLOSE_RESTART} |", "close code CLOSE_RESTART")):
        section = found[heading]
        line = next(line for line in section.splitlines() if line.startswith(missing))
        with pytest.raises(AssertionError, match=what):
            check_codes(doc.replace(section, section.replace(line + "\n", "")))


def test_every_limit_is_in_the_prose() -> None:
    """Every field of `Limits` is named by a placeholder of the template (a new limit must
    be explained there), and the template names nothing the generator does not fill."""
    template = gen.TEMPLATE.read_text(encoding="utf-8")
    named = set(gen.PLACEHOLDER.findall(template))
    for field in dataclasses.fields(p.Limits):
        assert any(name.startswith(field.name) for name in named), f"limit {field.name} is not explained"
    assert named <= set(gen.values())
    with pytest.raises(KeyError, match="no_such_number"):
        gen.render(template + "{{ no_such_number }}")


def test_the_numbers_in_the_prose_are_the_code_s(doc: str) -> None:
    limits = p.Limits()
    found = sections(doc)
    door = rows(found["The door"])
    assert door["time to send `join`"][1] == f"{limits.join_deadline:g} s"
    unjoined = door["connections from one address that have not joined yet"]
    assert unjoined[1] == str(limits.unjoined_per_address)
    assert f"default port is {p.DEFAULT_PORT}" in found["Connecting"]
    assert f"**{p.MAX_FRAME_BYTES} bytes**" in found["Connecting"]
    assert f"a burst of {limits.commands[0]:g} commands, then {limits.commands[1]:g} a second" in found[
        "Commands and `op`"]
    assert f"the last {limits.resume_window}" in found["Joining, welcome and resuming"]


def test_every_file_the_browser_may_fetch_is_named(doc: str) -> None:
    for name in web.FILES:
        if name != web.PAGE:
            assert f"`{name}`" in sections(doc)["Connecting"], name


def test_the_joining_and_retry_rules_are_explained(doc: str) -> None:
    found = sections(doc)
    assert "`since`" in found["Joining, welcome and resuming"]
    assert "`\"state\":null`" in found["Joining, welcome and resuming"]
    assert "op_reused" in found["Commands and `op`"]


# --- examples --------------------------------------------------------------------------------


def test_every_example_is_a_valid_frame(doc: str) -> None:
    blocks = re.findall(r"```json\n(.*?)\n```", doc, flags=re.DOTALL)
    assert len(blocks) == len([name for name in gen.values() if name.startswith("example_")]) >= 5
    for block in blocks:
        frame = json.loads(block)
        if frame["type"] in {"welcome", "event", "rejected", "error"}:
            p.decode_server_frame(block)
        else:
            p.decode_client_frame(block)


def test_the_json_schema_covers_every_frame() -> None:
    schema = gen.schema()
    names = set(schema["$defs"])
    for kind in FRAMES:
        assert kind.__name__ in names
