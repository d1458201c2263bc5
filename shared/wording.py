"""The words on screen and in reports, which follow the session's mode.

A *problem* session digs into why something goes wrong; a *success* session into why
something goes well. Every screen and report takes its wording from here, so the two
modes read naturally everywhere and a change of mode changes every place at once.
"""

from __future__ import annotations

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


def step_help(phase: Phase, mode: Mode, revealed: bool = False, *, touch: bool = False) -> str:
    """What this step is for and what to do now, in plain words (one short paragraph);
    `revealed`: the votes show (it changes what to do in the weigh step); `touch`: say
    which button to tap (the browser client) rather than which key to press (the TUI)."""
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
        case "why" if touch:
            return (
                f"Ask “{why_prompt(mode)}” and answer it. Tap “{why_prompt(mode)}” under the "
                f"situation or under any answer to add a reason below it; then ask “But why?” "
                f"again about that answer. Keep going for as long as you find {causes}."
            )
        case "weigh" if touch:
            return (
                f"Look at all the {causes}. Put your “matters” dots on the ones that matter "
                f"most (+ adds a dot, − takes one back), and for each say whether it can "
                f"change (by us / only with others / not for now). Nobody sees your votes "
                f"until the facilitator reveals them."
            )
        case "act" if touch:
            return (
                f"For the {causes} that matter and can change, propose actions: tap “Propose "
                f"an action” on one. {action_question(mode)} Say who can do it: people in the "
                f"group, or named people outside it."
            )
        case "why":
            return (
                f"Ask “{why_prompt(mode)}” and answer it. Select the situation or any answer "
                f"and press w to add a reason under it; then ask “But why?” again about that "
                f"answer. Keep going for as long as you find {causes}. Misplaced? g moves "
                f"it; del removes it."
            )
        case "weigh":
            return (
                f"Look at all the {causes}. Put your “matters” dots on the ones that matter "
                f"most (+ adds a dot, - takes one back), and for each say whether it can "
                f"change (press c: by us / only with others / not for now). Nobody sees your "
                f"votes until the facilitator reveals them."
            )
        case "act":
            return (
                f"For the {causes} that matter and can change, propose actions: select one and "
                f"press n. {action_question(mode)} Say who can do it: people in the group, or "
                f"named people outside it."
            )
        case "agree":
            return (
                "Together, choose the actions to start with. For each, the facilitator records "
                "the first step, who takes it, and by when."
            )
        case "closed":
            return "The session is closed and saved. This is the summary everyone takes home."
