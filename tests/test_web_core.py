"""The core's export for the browser (`/core.json`) says what `rules.decide` does.

The page offers a button only where the export says the person may use it; these tests
hold the export to the rules themselves, so the page can never offer what the server
refuses (or hide what it allows) because a table drifted.
"""

from __future__ import annotations

import typing

import pytest

from whytree.shared import protocol as p
from whytree.shared import wording
from whytree.shared.export import core_data
from whytree.shared.model import PHASES, Action, Cause, Person, Phase, Session
from whytree.shared.rules import AUTHOR_ONLY, REMOVER_ONLY, Refusal, decide

ANN = Person(id="p1", name="Ann", role="participant")
BO = Person(id="p2", name="Bo", role="participant")
FAC = Person(id="p3", name="Fay", role="facilitator")


def state(phase: Phase) -> Session:
    return Session(
        phase=phase, people={person.id: person for person in (ANN, BO, FAC)},
        causes={"c0": Cause(id="c0", parent=None, text="Fay's answer", author=FAC.id),
                "c1": Cause(id="c1", parent=None, text="Ann's answer", author=ANN.id)},
        actions={"a1": Action(id="a1", text="Ann's action", causes=["c1"], author=ANN.id)},
    )


def command_about(kind: type[p.ClientCommand]) -> p.ClientCommand:
    if kind is p.EditCause:
        return p.EditCause(op="o1", cause="c1", text="reworded")
    if kind is p.MoveCause:
        return p.MoveCause(op="o1", cause="c1", parent="c0")
    if kind is p.RemoveCause:
        return p.RemoveCause(op="o1", cause="c1")
    if kind is p.EditAction:
        return p.EditAction(op="o1", action="a1", text="reworded", causes=["c1"])
    assert kind is p.RemoveAction, f"write a sample {kind.__name__} about Ann's cause or action"
    return p.RemoveAction(op="o1", action="a1")


@pytest.mark.parametrize("kind", list(AUTHOR_ONLY), ids=lambda kind: kind.__name__)
def test_author_only_commands_are_refused_to_other_participants(kind: type[p.ClientCommand]) -> None:
    core = core_data()
    tag = typing.cast(str, kind.__struct_config__.tag)
    assert core["author_only"][tag] in ("cause", "action")
    for phase in core["open_in"][tag]["participant"]:
        command = command_about(kind)
        assert not isinstance(decide(state(phase), ANN, command, 0.0), Refusal), (phase, "author")
        assert not isinstance(decide(state(phase), FAC, command, 0.0), Refusal), (phase, "facilitator")
        refused = decide(state(phase), BO, command, 0.0)
        assert isinstance(refused, Refusal) and refused.reason == "not_allowed", (phase, refused)


def test_every_other_participant_command_needs_no_ownership() -> None:
    """A command not in `author_only` is accepted from any participant where it is open
    (or refused for a reason other than who wrote what)."""
    core = core_data()
    samples: dict[str, p.ClientCommand] = {
        "add_cause": p.AddCause(op="o1", parent="c1", text="Bo's answer"),
        "set_dots": p.SetDots(op="o1", cause="c1", dots=1),
        "set_change": p.SetChange(op="o1", cause="c1", answer="we"),
        "add_action": p.AddAction(op="o1", text="Bo's action", causes=["c1"]),
        "set_done": p.SetDone(op="o1", done=True),
    }
    participant_tags = {tag for tag, roles in core["role_may"].items() if "participant" in roles}
    assert participant_tags - set(core["author_only"]) - set(core["remover_only"]) == set(samples)
    for tag, command in samples.items():
        for phase in PHASES:
            outcome = decide(state(phase), BO, command, 0.0)
            allowed = phase in core["open_in"][tag]["participant"]
            assert isinstance(outcome, Refusal) != allowed, (tag, phase, outcome)


def test_the_words_are_the_cores_own() -> None:
    words = core_data()["words"]
    assert words["step_titles"] == wording.STEP_TITLES
    for mode in ("problem", "success"):
        assert words["modes"][mode]["change_labels"][""] == wording.CHANGE_LABELS[mode][None]
        assert words["modes"][mode]["why_prompt"] == wording.why_prompt(mode)
        assert words["modes"][mode]["step_help"]["agree"] == wording.step_help(
            "agree", mode, how=wording.PLACEHOLDERS)
        assert "{add_answer}" in words["modes"][mode]["step_help"]["why"]
    assert words["how_to"] == wording.HOW_TO


def test_the_pages_apply_knows_every_event_the_server_sends() -> None:
    """A new command in `protocol.py` must be carried out by `web/apply.js` too, or the
    page would silently drift from the server (the replay test only meets the commands
    that exist)."""
    import re

    from whytree.server.web import web_file

    source = web_file("apply.js").decode()
    handled = set(re.findall(r'case "([a-z_]+)":', source))
    tags = {typing.cast(str, kind.__struct_config__.tag) for kind in typing.get_args(p.EventBody)}
    assert tags - handled == set(), "web/apply.js does not apply these events"
    assert handled - tags == set(), "web/apply.js handles events the server never sends"


def test_only_the_remover_undoes_a_removal() -> None:
    """`remover_only`: Ann removed her answer; Bo and the facilitator can't bring it back."""
    assert sorted(core_data()["remover_only"]) == ["restore_cause"] == [
        typing.cast(str, kind.__struct_config__.tag) for kind in REMOVER_ONLY]
    session = state("why")
    removed = decide(session, ANN, p.RemoveCause(op="o1", cause="c1"), 0.0)
    assert isinstance(removed, p.RemoveCause)
    from whytree.shared.apply import apply

    apply(session, p.Event(seq=1, by=ANN.id, op="o1", command=removed))
    undo = p.RestoreCause(op="o2", cause="c1")
    for other in (BO, FAC):
        refused = decide(session, other, undo, 0.0)
        assert isinstance(refused, Refusal) and refused.reason == "not_allowed"
    assert not isinstance(decide(session, ANN, undo, 0.0), Refusal)


def test_the_pages_limits_are_the_cores() -> None:
    import re

    from whytree.server.web import web_file

    source = web_file("apply.js").decode()
    found = re.search(r"MAX_CAUSES_PER_ACTION = (\d+);", source)
    assert found is not None and int(found.group(1)) == p.MAX_CAUSES_PER_ACTION
