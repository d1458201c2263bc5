"""The small pieces of the core people meet at the door: join codes as they are read out and
typed, certificate fingerprints as they are compared by eye, a session's name as the local
network advertises it, and the core's export for the browser.

Fast: the join code goes through the real server core (`Hub`); nothing opens a socket.
"""

from __future__ import annotations

import hashlib

import msgspec
import pytest

from whytree.server.hub import Hub, Send
from whytree.shared import protocol as p
from whytree.shared import ranking, wording
from whytree.shared.advertisement import MAX_TITLE_BYTES, MAX_TITLE_CHARS, clean_title
from whytree.shared.export import core_data, core_json
from whytree.shared.fingerprint import certificate_fingerprint, format_fingerprint, normalize_fingerprint
from whytree.shared.joincode import MIN_CHOSEN_CODE, chosen_code, grouped_code, normalize_code
from whytree.shared.model import PHASES, SCHEMA_VERSION, Session


def joins(code_on_screen: str, typed: str) -> bool:
    """Whether someone who types `typed` gets into a session showing `code_on_screen`."""
    hub = Hub(Session(id="s1", title="Door"), code_on_screen, "the-facilitator-key")
    hub.connect(1, "10.0.0.1", 1000.0)
    outputs = hub.receive(1, p.encode(p.Join(code=typed, name="Ann")), 1000.0)
    frames = [p.decode_server_frame(out.data) for out in outputs if isinstance(out, Send)]
    return any(isinstance(frame, p.Welcome) for frame in frames)


@pytest.mark.parametrize("typed", ["482913057", "482 913 057", "482-913-057", " 482 913-057 "])
def test_a_code_gets_in_however_people_space_it(typed: str) -> None:
    assert joins("482913057", typed)


def test_a_chosen_code_gets_in_in_any_case_and_a_wrong_one_does_not() -> None:
    assert normalize_code("ab-cd ef") == "ABCDEF"
    assert joins(chosen_code("hall-42"), "HALL 42")
    assert joins(chosen_code("HALL42"), "hall42")
    assert not joins("482913057", "482913058")


def test_a_chosen_code_has_at_least_six_letters_or_digits() -> None:
    assert MIN_CHOSEN_CODE == 6
    assert chosen_code("12-34 56") == "123456", "exactly at the limit"
    with pytest.raises(ValueError) as short:
        chosen_code("12-34 5")  # one short, however it is spaced
    message = str(short.value)
    assert "'12-34 5'" in message and "at least 6 letters or digits" in message
    assert "--code" in message, "it says what to do instead"


@pytest.mark.parametrize(("code", "shown"), [
    ("482913057", "482 913 057"), ("123456", "123 456"), ("1234567", "123 456 7"),
    ("12345", "123 45"), ("1234", "1234"), ("123", "123"), ("", ""),
])
def test_a_code_is_shown_in_groups_of_three(code: str, shown: str) -> None:
    assert grouped_code(code) == shown
    assert normalize_code(shown) == code


def test_a_fingerprint_is_the_certificates_sha256_in_capitals() -> None:
    der = b"0\x82\x01\x0a certificate bytes"
    fingerprint = certificate_fingerprint(der)
    assert fingerprint == hashlib.sha256(der).hexdigest().upper()
    assert len(fingerprint) == 64 and fingerprint == fingerprint.upper()


@pytest.mark.parametrize("typed", [
    "ab12cd34ef56", "AB12 CD34 EF56", "ab:12:cd:34:ef:56", "AB12-CD34.EF56", "ab12\tcd34\nef56",
])
def test_a_fingerprint_compares_however_it_was_written(typed: str) -> None:
    assert normalize_fingerprint(typed) == "AB12CD34EF56"


@pytest.mark.parametrize("typed", ["AB12 CD3G", "AB12/CD34", "not a fingerprint"])
def test_anything_else_is_not_a_fingerprint(typed: str) -> None:
    with pytest.raises(ValueError, match="not a fingerprint"):
        normalize_fingerprint(typed)


def test_people_compare_the_first_sixteen_bytes_in_groups_of_four() -> None:
    fingerprint = certificate_fingerprint(b"host certificate")
    shown = format_fingerprint(fingerprint.lower())
    assert shown == " ".join(fingerprint[i:i + 4] for i in range(0, 32, 4))
    assert len(shown.split()) == 8
    assert format_fingerprint(fingerprint, nbytes=4) == f"{fingerprint[:4]} {fingerprint[4:8]}"
    assert format_fingerprint("ab12:cd", nbytes=16) == "AB12 CD"


@pytest.mark.parametrize("escape", ["\x1b[31m", "\x1b]0;owned\x07", "\x1bP1;2q\x1b\\", "\x9b2J", "\u202e",
                                    "\x00", "\x07"])
def test_an_advertised_name_carries_no_escape(escape: str) -> None:
    shown = clean_title(f"Hall{escape} meeting")
    assert shown == "Hall meeting"
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or ch == "\u202e" for ch in shown)


def test_an_advertised_name_fits_its_record_exactly() -> None:
    assert (MAX_TITLE_CHARS, MAX_TITLE_BYTES) == (80, 200)
    assert clean_title("a" * 80) == "a" * 80, "exactly at the limit"
    assert clean_title("a" * 81) == "a" * 80
    wide = clean_title("界" * 80)  # three bytes each: the bytes run out first
    assert wide == "界" * 66 and len(wide.encode()) == 198
    assert clean_title("é" * 100) == "é" * 80 and len(("é" * 80).encode()) == 160
    assert clean_title("a" * 79 + " b") == "a" * 79, "no space left dangling at the end"
    assert clean_title("  Hall  ") == "Hall"


def test_the_browser_reads_the_same_export_it_is_served() -> None:
    data = core_data()
    assert msgspec.json.decode(core_json()) == data
    assert data["limits"]["MAX_DEPTH"] == p.MAX_DEPTH
    assert data["limits"]["MAX_CAUSES"] == p.MAX_CAUSES
    assert all(name.startswith("MAX_") for name in data["limits"])


def test_an_advertised_name_of_four_byte_letters_stops_at_the_record_size() -> None:
    assert clean_title("😀" * 50) == "😀" * 50, "exactly 200 bytes: kept whole"
    assert clean_title("😀" * 51) == "😀" * 50, "one past: the last one goes, nothing more"


def test_the_export_holds_every_table_and_word_the_page_reads_in_both_modes() -> None:
    """`/core.json` is the browser's only source of rules and words: every key is read by
    name (`web/core.js`, `web/render.js`), and the words follow the session's mode."""
    core = core_data()
    assert core["schema"] == SCHEMA_VERSION
    assert core["phases"] == list(PHASES)
    assert core["change_answers"] == ["we", "others", "no"]
    assert core["reasons"] == p.REASONS and core["errors"] == p.ERRORS
    assert core["shut_while_revealed"] == ["set_change", "set_dots"]
    assert core["own_branch_only"] == ["remove_cause"]
    open_steps = [phase for phase in PHASES if phase != "closed"]
    assert core["open_in"]["set_phase"] == {"participant": [], "facilitator": open_steps}
    assert core["open_in"]["reopen"] == {"participant": [], "facilitator": ["closed"]}
    assert core["open_in"]["add_cause"] == {"participant": ["why"], "facilitator": open_steps}
    shared_words = core["words"]
    assert set(shared_words) == {"step_titles", "doer_labels", "how_to", "boxes", "box_titles",
                                 "not_weighed_title", "modes"}
    assert shared_words["doer_labels"] == wording.DOER_LABELS
    assert shared_words["boxes"] == list(ranking.BOXES)
    assert shared_words["box_titles"] == ranking.BOX_TITLES
    assert shared_words["not_weighed_title"] == wording.REPORT_NOT_WEIGHED_HEADING
    for mode in ("problem", "success"):
        words = core["words"]["modes"][mode]
        assert words == {
            "why_prompt": wording.why_prompt(mode),
            "cause": wording.cause_word(mode),
            "causes": wording.cause_word(mode, plural=True),
            "action_question": wording.action_question(mode),
            "situation_prompt": wording.situation_prompt(mode),
            "step_help": {phase: wording.step_help(phase, mode, how=wording.PLACEHOLDERS)
                          for phase in PHASES},
            "step_help_revealed": {phase: wording.step_help(phase, mode, True, how=wording.PLACEHOLDERS)
                                   for phase in PHASES},
            "box_meanings": {box: ranking.box_meaning(box, mode) for box in ranking.BOXES},
            "not_weighed": wording.report_not_weighed(mode),
            "change_question": wording.capitalised(wording.CHANGE_QUESTION[mode]),
            "change_labels": {answer or "": label for answer, label in wording.CHANGE_LABELS[mode].items()},
            "answer_rule": wording.answer_rule(mode),
            "grid_heading": wording.grid_heading(mode),
        }
    problem, success = core["words"]["modes"]["problem"], core["words"]["modes"]["success"]
    for key in ("cause", "causes", "action_question", "situation_prompt", "not_weighed",
                "change_question", "change_labels", "answer_rule", "grid_heading"):
        assert problem[key] != success[key], f"{key}: a success is worded as a success"
    assert problem["causes"] != problem["cause"], "plural"
    assert problem["box_meanings"] != success["box_meanings"]
    assert problem["step_help"] != success["step_help"]
    assert success["step_help_revealed"] != success["step_help"], "what to do once votes show"


def test_the_chance_of_guessing_a_code_follows_the_limit_on_wrong_codes() -> None:
    """What the protocol document promises the host: every wrong code the server may check
    in a session, over all the codes there are."""
    assert p.Limits().guess_bound(3 * 60 * 60) == 90 * (3 * 60 * 60 + 1) / 10**9
    slow = p.Limits(wrong_overall=(5, 60.0))  # 5 wrong codes a minute
    assert slow.guess_bound(3 * 60 * 60) == 5 * (3 * 60 + 1) / 10**9
    assert slow.guess_bound(60.0) == 5 * 2 / 10**9
