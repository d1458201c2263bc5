"""The words on screen and in reports, which follow the session's mode.

A *problem* session digs into why something goes wrong; a *success* session into why
something goes well. Every screen and report takes its wording from here, so the two
modes read naturally everywhere and a change of mode changes every place at once.

The words say what to do, never how: a terminal has keys, a phone has buttons. Where the
help tells people to do something on their screen it names the doing (`HOW_TO`), and each
client says how in its own words -- the TUI its keys, the browser its buttons.
"""

from __future__ import annotations

from collections.abc import Mapping

from .model import Change, Doer, Mode, Phase

STEP_TITLES: dict[Phase, str] = {
    "situation": "1 Situation",
    "why": "2 But why?",
    "weigh": "3 Weigh",
    "act": "4 Act",
    "agree": "5 Agree",
    "closed": "Closed",
}

CHANGE_LABELS: dict[Change | None, str] = {
    "we": "we can change it",
    "others": "only with others",
    "no": "not for now",
    None: "not answered",
}

DOER_LABELS: dict[Doer, str] = {"inside": "people in the group", "outside": "people outside the group"}

CHANGE_CHOICES = "by us / only with others / not for now"
"""The "can it change?" answers in one breath, for the help."""

VOTES_HIDDEN = "Nobody sees your votes until the facilitator reveals them."

HOW_TO: dict[str, str] = {
    "add_answer": "how to add an answer under the situation or under any answer (a clause "
                  "the help goes on with “to add a reason under it”)",
    "fix_answer": "how to move or remove a misplaced answer (a sentence, or nothing)",
    "dots": "how to add a “matters” dot and take one back",
    "change": "how to answer “can it change?” (the answers follow it)",
    "propose": "how to propose an action for a cause",
}
"""The doings the step help names, which each client says in its own words (its keys or its
buttons): `step_help(..., how={name: words})`. `PLACEHOLDERS` keeps them as `{name}` for a
client that fills them itself (the browser, from `/core.json`)."""

PLACEHOLDERS: dict[str, str] = {name: "{" + name + "}" for name in HOW_TO}


def why_prompt(mode: Mode) -> str:
    """The question asked after every answer."""
    return "But why?" if mode == "problem" else "But why did it go well?"


def cause_word(mode: Mode, plural: bool = False) -> str:
    if mode == "problem":
        return "causes" if plural else "cause"
    return "reasons" if plural else "reason"


def action_question(mode: Mode) -> str:
    return "What can we do about it?" if mode == "problem" else "What can we apply here?"


def situation_prompt(mode: Mode) -> str:
    if mode == "problem":
        return ("Describe the problem in one sentence "
                "(e.g. “Our fifth graders get into trouble after school”).")
    return "Describe the success in one sentence (e.g. “The teen centre next door is always full”)."


def step_help(phase: Phase, mode: Mode, revealed: bool = False, *, how: Mapping[str, str]) -> str:
    """What this step is for and what to do now, in plain words (one short paragraph);
    `revealed`: the votes show (it changes what to do in the weigh step); `how`: the
    client's words for every doing in `HOW_TO` (`PLACEHOLDERS` keeps them as `{name}`)."""
    causes = cause_word(mode, plural=True)
    if phase == "weigh" and revealed:
        return (f"The votes are revealed. Look together at the {causes} that matter most and "
                f"whether they can change: the 2×2 shows where to act first. Voting is closed "
                f"while the votes show; the facilitator can hide them to reopen it.")
    match phase:
        case "situation":
            return (
                "The facilitator writes the situation in one sentence. "
                + ("Say what goes wrong, as plainly as you can." if mode == "problem"
                   else "Say what went well, as plainly as you can.")
                + " Everyone else: wait for the next step, or say “I'm done” when you are ready."
            )
        case "why":
            return (
                f"Ask “{why_prompt(mode)}” and answer it. {how['add_answer']} to add a reason "
                f"under it; then ask “But why?” again about that answer. Keep going for as "
                f"long as you find {causes}. {how['fix_answer']}"
            ).rstrip()
        case "weigh":
            return (
                f"Look at all the {causes}. Put your “matters” dots on the ones that matter "
                f"most ({how['dots']}), and for each say whether it can change "
                f"({how['change']}: {CHANGE_CHOICES}). {VOTES_HIDDEN}"
            )
        case "act":
            return (
                f"For the {causes} that matter and can change, propose actions: "
                f"{how['propose']}. {action_question(mode)} Say who can do it: people in the "
                f"group, or named people outside it."
            )
        case "agree":
            return (
                "Together, choose the actions to start with. For each, the facilitator records "
                "the first step, who takes it, and by when."
            )
        case "closed":
            return "The session is closed and saved. This is the summary everyone takes home."
