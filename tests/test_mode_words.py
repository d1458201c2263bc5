"""The session's words that the keys, the help and the weigh panel are written with, in
each mode: what a person reads in the footer ("c Can repeat?"), the help ("Answer “can we
repeat it?” for the selected reason") and over the weigh panel."""

from __future__ import annotations

from whytree.shared import wording

PROBLEM = {
    "cause": "cause", "causes": "causes",
    "change_question": "can it change?", "Change_question": "Can it change?",
    "can_change": "can change", "Can_change": "Can change", "that_can_change": "can change",
    "we": "we can change it", "others": "only with others", "no": "not for now",
}
SUCCESS = {
    "cause": "reason", "causes": "reasons",
    "change_question": "can we repeat it?", "Change_question": "Can we repeat it?",
    "can_change": "can repeat", "Can_change": "Can repeat", "that_can_change": "that we can repeat",
    "we": "we can repeat it", "others": "only with others", "no": "not for now",
}


def test_the_keys_and_help_are_worded_for_the_sessions_mode() -> None:
    assert wording.mode_words("problem") == PROBLEM
    assert wording.mode_words("success") == SUCCESS
    help_line = "Answer “{change_question}” for the selected {cause}: 1 {we}, 2 {others}, 3 {no}"
    assert help_line.format_map(wording.mode_words("success")) == (
        "Answer “can we repeat it?” for the selected reason: 1 we can repeat it, "
        "2 only with others, 3 not for now")


def test_the_weigh_panel_asks_in_the_sessions_words() -> None:
    assert wording.weigh_question("problem") == "Which causes matter most, and can they change?"
    assert wording.weigh_question("success") == "Which reasons matter most, and can we repeat them?"
