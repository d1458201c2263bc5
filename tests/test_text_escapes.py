"""No escape sequence or control character typed by one person reaches anyone's terminal.

Every class of terminal escape (CSI, OSC, DCS, SOS, PM, APC, in their 7-bit `ESC x` and
8-bit single-character forms), every C0 and C1 control, NUL, DEL and every bidi control is
put into every text field the server accepts -- a name, an answer and its edit, an action
and who can do it (added and edited), the agreed first step, owner and date, the
situation -- and must be gone from the state and from every frame the server sends. A
complete sequence goes with its parameters (no stray `31m` or window title left behind).
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from room import Room, accepted

from whytree.shared import protocol as p
from whytree.shared.text import clean

ESC = "\x1b"
ST = ESC + "\\"

# Each class of introducer, as a person could paste it: (name, sequence builder).
STRING_INTRODUCERS = {
    "OSC": (ESC + "]", "\x9d"), "DCS": (ESC + "P", "\x90"), "SOS": (ESC + "X", "\x98"),
    "PM": (ESC + "^", "\x9e"), "APC": (ESC + "_", "\x9f"),
}
SEQUENCES: dict[str, str] = {
    "CSI colour": ESC + "[31;1m",
    "CSI cursor": ESC + "[2J" + ESC + "[H",
    "CSI 8-bit": "\x9b" + "6n",
    "CSI private": ESC + "[?1049h",
    **{f"{name} BEL": seven + "0;payload\x07" for name, (seven, _) in STRING_INTRODUCERS.items()},
    **{f"{name} ST": seven + "2;payload" + ST for name, (seven, _) in STRING_INTRODUCERS.items()},
    **{f"{name} 8-bit": eight + "payload\x9c" for name, (_, eight) in STRING_INTRODUCERS.items()},
    "two-byte escape": ESC + "c",
    "charset escape": ESC + "(0",
}
CONTROLS = (
    [chr(c) for c in range(0x20) if chr(c) not in "\t\n\v\f\r"]
    + ["\x7f"] + [chr(c) for c in range(0x80, 0xA0)]
)
"""C0 (NUL included), DEL and C1 controls, but for the white space people type."""
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
        "\u200e", "\u200f", "\u061c"]
SPACES = ["\t", "\n", "\r", "\v", "\f"]


def unsafe(text: str) -> list[str]:
    """Characters a terminal could act on: controls, surrogates, format characters (bidi
    controls among them) except the zero-width joiner of emoji."""
    categories = {ch: unicodedata.category(ch) for ch in text}
    return [ch for ch, kind in categories.items()
            if kind in ("Cc", "Cs") or (kind == "Cf" and ch != "\u200d")]


@pytest.mark.parametrize("name", SEQUENCES)
def test_a_whole_escape_sequence_goes_with_its_parameters(name: str) -> None:
    assert clean(f"Kids{SEQUENCES[name]} are bored") == "Kids are bored"


INTRODUCERS = {ESC, "\x9b", "\x9d", "\x90", "\x98", "\x9e", "\x9f"}
"""Characters that start a sequence (they take what follows with them: tested above)."""


@pytest.mark.parametrize("char", [c for c in CONTROLS + BIDI if c not in INTRODUCERS],
                         ids=lambda c: f"U+{ord(c):04X}")
def test_every_control_and_bidi_character_is_dropped(char: str) -> None:
    assert clean(f"No{char}where") == "Nowhere"


@pytest.mark.parametrize("char", SPACES, ids=lambda c: f"U+{ord(c):04X}")
def test_line_breaks_and_tabs_become_one_space(char: str) -> None:
    assert clean(f"{char}No {char}{char} safe{char}place{char}") == "No safe place"


def test_text_people_write_is_kept_as_written() -> None:
    for text in ("Après l'école [bold]rien[/bold] 👩‍👩‍👧 ساعة", "a\u0301 = á", "x" * 300):
        cleaned = clean(text)
        assert not unsafe(cleaned)
        assert cleaned == " ".join(text.split()).replace("a\u0301", "á")


hostile_piece = st.one_of(
    st.sampled_from(list(SEQUENCES.values())),
    st.sampled_from(CONTROLS + BIDI + SPACES),
    st.builds(lambda intro, body: intro + body,
              st.sampled_from([ESC + "[", "\x9b", ESC + "]", "\x9d", ESC + "P", "\x90", ESC + "X",
                               "\x98", ESC + "^", "\x9e", ESC + "_", "\x9f", ESC]),
              st.text(st.characters(max_codepoint=0x7F), max_size=6)),
)
hostile_text = st.lists(
    st.one_of(hostile_piece, st.text(st.characters(codec="utf-8"), max_size=8)), min_size=1, max_size=8,
).map("".join).map(lambda text: text[:100])

def _room() -> tuple[Room, str, str]:
    """A session in the act step with one answer and one action, made with plain text."""
    room = Room()
    room.join("Fran", facilitator=True)
    room.join("Ann")
    room.send("Fran", p.SetPhase(op=room.op(), phase="why"))
    cause = accepted(room.send("Ann", p.AddCause(op=room.op(), parent=None, text="Nowhere to go")))
    room.send("Fran", p.SetPhase(op=room.op(), phase="act"))
    action = accepted(room.send("Ann", p.AddAction(op=room.op(), text="Open the hall")))
    assert isinstance(cause.command, p.AddCause) and isinstance(action.command, p.AddAction)
    assert cause.command.id is not None and action.command.id is not None
    return room, cause.command.id, action.command.id


def put(field: str, room: Room, cause: str, action: str, text: str) -> None:
    """Send `text` in `field` (a cause's text needs the why step)."""
    fran, ann = "Fran", "Ann"
    match field:
        case "name":
            room.join(text or "x")
        case "answer":
            room.send(fran, p.SetPhase(op=room.op(), phase="why"))
            room.send(ann, p.AddCause(op=room.op(), parent=cause, text=text))
        case "answer edit":
            room.send(fran, p.SetPhase(op=room.op(), phase="why"))
            room.send(ann, p.EditCause(op=room.op(), cause=cause, text=text))
        case "action":
            room.send(ann, p.AddAction(op=room.op(), text=text, causes=[cause], who=text))
        case "action edit":
            room.send(ann, p.EditAction(op=room.op(), action=action, text=text, causes=[cause], who=text))
        case "agreement":
            room.send(fran, p.SetAgreement(op=room.op(), action=action, agreed=True,
                                           first_step=text, owner=text, due=text))
        case "situation":
            room.send(fran, p.SetSituation(op=room.op(), text=text))
        case _:
            raise AssertionError(field)


TEXT_FIELDS = ["name", "answer", "answer edit", "action", "action edit", "agreement", "situation"]


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (*strings(key), *strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


@pytest.mark.parametrize("field", TEXT_FIELDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_text)
def test_no_escape_reaches_anyone_from_any_text_field(field: str, text: str) -> None:
    room, cause, action = _room()
    room.sent.clear()
    put(field, room, cause, action, "Why " + text + " now")
    for frame in room.sent:
        for string in strings(json.loads(frame)):
            assert not unsafe(string), (field, string)
    for string in strings(msgspec.to_builtins(room.state)):
        assert not unsafe(string), (field, string)


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_each_text_field_arrives_cleaned(field: str) -> None:
    """The sequence and its parameters go, and the words around it arrive as typed."""
    room, cause, action = _room()
    put(field, room, cause, action, "Why" + SEQUENCES["OSC ST"] + " the\x00 bus" + "\u202e" + " stops")
    texts = strings(msgspec.to_builtins(room.state))
    assert "Why the bus stops" in texts, field
