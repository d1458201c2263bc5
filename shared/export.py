"""The core's rules and words as plain data, for clients that cannot import Python.

The browser client (`web/`) decides no rule and writes no sentence of its own: it reads
this export (served as `/core.json`) to know which buttons to offer to whom in which step,
the bounds of every field, and every word it shows -- step titles, what to do now, the
labels of the "can it change?" answers, the boxes of the 2×2. The server still decides
everything; a command the page offers by mistake comes back `rejected` with a sentence.

`core_data()` is pure and built only from `shared`, so the tables here cannot drift from
the ones `rules.may` reads (and `decide` and the TUI ask): `web/core.js` answers "may this
person do this now?" from them as `rules.may` does, which `tests/test_web_may.py` checks.
"""

from __future__ import annotations

from typing import Any, get_args

import msgspec

from . import protocol as p
from . import ranking, rules, wording
from .model import CHANGE_ANSWERS, PHASES, SCHEMA_VERSION, Mode

MODES: tuple[Mode, ...] = ("problem", "success")


def _tag(kind: type[p.ClientCommand]) -> str:
    tag = msgspec.inspect.type_info(kind).tag  # type: ignore[attr-defined]
    assert isinstance(tag, str), kind
    return tag


def _commands() -> list[type[p.ClientCommand]]:
    return list(get_args(p.ClientCommand))


def _limits() -> dict[str, int]:
    return {name: value for name, value in vars(p).items()
            if name.startswith("MAX_") and isinstance(value, int)}


def _words(mode: Mode) -> dict[str, Any]:
    return {
        "why_prompt": wording.why_prompt(mode),
        "cause": wording.cause_word(mode),
        "causes": wording.cause_word(mode, plural=True),
        "action_question": wording.action_question(mode),
        "situation_prompt": wording.situation_prompt(mode),
        # With a `{name}` where the page says how, with its buttons (`how_to` names them).
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


def core_data() -> dict[str, Any]:
    """Everything a client needs from the core, as JSON-ready builtins."""
    role_may = {_tag(kind): sorted(roles) for kind, roles in rules.ROLE_MAY.items()}
    open_in: dict[str, dict[str, list[str]]] = {}
    for kind in _commands():
        participant, facilitator = rules.OPEN_IN.get(kind, (frozenset(), rules.OPEN))
        open_in[_tag(kind)] = {
            "participant": [phase for phase in PHASES if phase in participant],
            "facilitator": [phase for phase in PHASES if phase in facilitator],
        }
    return {
        "schema": SCHEMA_VERSION,
        "phases": list(PHASES),
        "change_answers": list(CHANGE_ANSWERS),
        "role_may": role_may,
        "open_in": open_in,
        "shut_while_revealed": sorted(_tag(kind) for kind in rules.SHUT_WHILE_REVEALED),
        "author_only": {_tag(kind): field for kind, field in rules.AUTHOR_ONLY.items()},
        "own_branch_only": sorted(_tag(kind) for kind in rules.OWN_BRANCH_ONLY),
        "remover_only": sorted(_tag(kind) for kind in rules.REMOVER_ONLY),
        "limits": _limits(),
        "reasons": dict(p.REASONS),
        "errors": dict(p.ERRORS),
        "words": {
            "step_titles": dict(wording.STEP_TITLES),
            "doer_labels": dict(wording.DOER_LABELS),
            "how_to": dict(wording.HOW_TO),
            "boxes": list(ranking.BOXES),
            "box_titles": dict(ranking.BOX_TITLES),
            "not_weighed_title": wording.REPORT_NOT_WEIGHED_HEADING,
            "modes": {mode: _words(mode) for mode in MODES},
        },
    }


def core_json() -> bytes:
    """`core_data()` as compact JSON (what `/core.json` serves)."""
    return msgspec.json.encode(core_data())
