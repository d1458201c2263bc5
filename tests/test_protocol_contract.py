"""The wire protocol's public contract, written out by hand from the design.

`docs/protocol.md` is generated from the Structs, so checking the document against the
same Structs cannot fail: a field renamed in `shared/protocol.py` would be renamed in the
document too, and every test would stay green while every other client broke. Here the
names come from the design (DESIGN.md §3) instead: each must stay a field of its message,
in the Structs and in the committed document, and frames written the way the design shows
them must decode.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec
import pytest

from whytree.shared import protocol as p

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"

CONTRACT: dict[str, set[str]] = {
    "join": {"type", "code", "facilitator_key", "name", "role", "token", "since"},
    "add_cause": {"type", "op", "parent", "text"},
    "edit_cause": {"type", "op", "cause", "text"},
    "remove_cause": {"type", "op", "cause"},
    "merge_causes": {"type", "op", "cause", "into"},
    "set_dots": {"type", "op", "cause", "dots"},
    "set_change": {"type", "op", "cause", "answer"},
    "add_action": {"type", "op", "text", "causes", "by", "who"},
    "edit_action": {"type", "op", "action", "text", "causes", "by", "who"},
    "remove_action": {"type", "op", "action"},
    "set_agreement": {"type", "op", "action", "agreed", "first_step", "owner", "due"},
    "set_situation": {"type", "op", "text", "mode"},
    "set_phase": {"type", "op", "phase"},
    "set_settings": {"type", "op", "dots_per_person", "dots_per_cause", "anonymous"},
    "reveal_votes": {"type", "op", "revealed"},
    "close": {"type", "op"},
    "welcome": {"type", "you", "token", "seq", "state"},
    "event": {"type", "seq", "by", "op", "command"},
    "rejected": {"type", "op", "reason", "message"},
    "error": {"type", "code", "message"},
}

CLIENT_FRAMES = [
    '{"type":"join","code":"482 913","name":"Ann"}',
    '{"type":"join","facilitator_key":"k","name":"","role":"participant","token":"t","since":4}',
    '{"type":"join","code":"482913","role":"viewer"}',
    '{"type":"add_cause","op":"k-1","parent":null,"text":"Nobody is at home"}',
    '{"type":"add_cause","op":"k-2","parent":"c1","text":"Parents work late"}',
    '{"type":"edit_cause","op":"k-3","cause":"c1","text":"Nobody home"}',
    '{"type":"remove_cause","op":"k-4","cause":"c1"}',
    '{"type":"merge_causes","op":"k-5","cause":"c2","into":"c1"}',
    '{"type":"set_dots","op":"k-6","cause":"c1","dots":2}',
    '{"type":"set_change","op":"k-7","cause":"c1","answer":"others"}',
    '{"type":"set_change","op":"k-8","cause":"c1","answer":null}',
    '{"type":"add_action","op":"k-9","text":"Ask the city","causes":["c1"],"by":"outside","who":"the city"}',
    '{"type":"edit_action","op":"k-10","action":"a1","text":"Ask","causes":[],"by":"inside","who":""}',
    '{"type":"remove_action","op":"k-11","action":"a1"}',
    '{"type":"set_agreement","op":"k-12","action":"a1","agreed":true,"first_step":"Call",'
    '"owner":"Jo","due":"Friday"}',
    '{"type":"set_situation","op":"k-13","text":"Kids get into trouble","mode":"success"}',
    '{"type":"set_phase","op":"k-14","phase":"weigh"}',
    '{"type":"set_settings","op":"k-15","dots_per_person":3,"dots_per_cause":2,"anonymous":true}',
    '{"type":"reveal_votes","op":"k-16","revealed":true}',
    '{"type":"close","op":"k-17"}',
]


def documented_fields(doc: str, message: str) -> set[str]:
    """The field names in the table of `### message` in the committed document."""
    match = re.search(rf"^### {re.escape(message)}\n(.*?)(?=^##)", doc, flags=re.MULTILINE | re.DOTALL)
    assert match is not None, f"docs/protocol.md has no section for {message}"
    return set(re.findall(r"^\| `([a-z_]+)` \|", match.group(1), flags=re.MULTILINE))


def struct_fields(message: str) -> set[str]:
    kinds = {msgspec.inspect.type_info(kind).tag: kind  # type: ignore[attr-defined]
             for kind in (*p.ClientFrame.__args__, *p.ServerFrame.__args__)}  # type: ignore[attr-defined]
    info = msgspec.inspect.type_info(kinds[message])
    assert isinstance(info, msgspec.inspect.StructType)
    return {field.encode_name for field in info.fields} | {"type"}


@pytest.mark.parametrize("message", CONTRACT)
def test_every_contract_field_is_in_the_structs_and_the_document(message: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert CONTRACT[message] <= struct_fields(message), message
    assert CONTRACT[message] - {"type"} <= documented_fields(doc, message), message


@pytest.mark.parametrize("frame", CLIENT_FRAMES, ids=lambda frame: json.loads(frame)["type"])
def test_frames_written_as_the_design_shows_them_decode(frame: str) -> None:
    decoded = p.decode_client_frame(frame)
    assert json.loads(p.encode(decoded)) | json.loads(frame) == json.loads(p.encode(decoded))


def test_the_documents_examples_are_frames_a_server_accepts() -> None:
    blocks = re.findall(r"```json\n(.*?)\n```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    kinds = [json.loads(block)["type"] for block in blocks]
    assert {"join", "welcome", "add_cause", "event", "rejected"} <= set(kinds)
    for block in blocks:
        if json.loads(block)["type"] in {"welcome", "event", "rejected", "error"}:
            p.decode_server_frame(block)
        else:
            p.decode_client_frame(block)
