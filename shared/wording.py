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

CHANGE_QUESTION: dict[Mode, str] = {"problem": "can it change?", "success": "can we repeat it?"}
"""The question asked about every cause in the weigh step, in small letters (`capitalised`
makes it a title): a cause of a problem can change; a reason for a success can be repeated."""

CAN_CHANGE: dict[Mode, str] = {"problem": "can change", "success": "can repeat"}
"""The "yes" side of `CHANGE_QUESTION` in two words: the 2×2's column, the key's name."""

CHANGE_LABELS: dict[Mode, dict[Change | None, str]] = {
    "problem": {
        "we": "we can change it",
        "others": "only with others",
        "no": "not for now",
        None: "not answered",
    },
    "success": {
        "we": "we can repeat it",
        "others": "only with others",
        "no": "not for now",
        None: "not answered",
    },
}
"""Each answer to `CHANGE_QUESTION`, in words, by mode."""

IT_CAN_CHANGE: dict[Mode, str] = {"problem": "it can change", "success": "it can be repeated"}
"""The "yes" side of `CHANGE_QUESTION` as a clause: by us or with others."""

WHETHER_IT_CAN_CHANGE: dict[Mode, str] = {"problem": "whether it can change",
                                           "success": "whether we can repeat it"}
WHETHER_THEY_CAN_CHANGE: dict[Mode, str] = {"problem": "whether they can change",
                                             "success": "whether we can repeat them"}


def weigh_question(mode: Mode) -> str:
    """The weigh step's question, over its panel."""
    they = "can they change" if mode == "problem" else "can we repeat them"
    return f"Which {cause_word(mode, plural=True)} matter most, and {they}?"


THAT_CAN_CHANGE: dict[Mode, str] = {"problem": "can change", "success": "that we can repeat"}
"""After "the causes that matter and": the act step's causes."""

MODE_NAMES: dict[Mode, str] = {"problem": "a problem", "success": "what went well"}
"""What the session looks at, in plain words, for the header."""


def mode_words(mode: Mode) -> dict[str, str]:
    """The session's words by name, for a client's own sentences about its keys or buttons
    ("Answer “{change_question}” for the selected {cause}"): `str.format_map` fills them."""
    labels = CHANGE_LABELS[mode]
    return {
        "cause": cause_word(mode), "causes": cause_word(mode, plural=True),
        "change_question": CHANGE_QUESTION[mode], "Change_question": capitalised(CHANGE_QUESTION[mode]),
        "can_change": CAN_CHANGE[mode], "Can_change": capitalised(CAN_CHANGE[mode]),
        "that_can_change": THAT_CAN_CHANGE[mode],
        "we": labels["we"], "others": labels["others"], "no": labels["no"],
    }

DOER_LABELS: dict[Doer, str] = {"inside": "people in the group", "outside": "people outside the group"}

CHANGE_CHOICES: dict[Mode, str] = {
    "problem": "by us / only with others / not for now",
    "success": "we can repeat it / only with others / not for now",
}
"""The `CHANGE_QUESTION` answers in one breath, for the help."""

VOTES_HIDDEN = "Nobody sees your votes until the facilitator reveals them."

HOW_TO: dict[str, str] = {
    "add_answer": "how to add an answer under the situation or under any answer (a clause "
                  "the help goes on with “to add a reason under it”)",
    "fix_answer": "how to move or remove a misplaced answer (a sentence, or nothing)",
    "dots": "how to add a “matters” dot and take one back",
    "change": "how to answer `CHANGE_QUESTION` (the answers follow it)",
    "propose": "how to propose an action for a cause",
}
"""The doings the step help names, which each client says in its own words (its keys or its
buttons): `step_help(..., how={name: words})`. `PLACEHOLDERS` keeps them as `{name}` for a
client that fills them itself (the browser, from `/core.json`)."""

PLACEHOLDERS: dict[str, str] = {name: "{" + name + "}" for name in HOW_TO}


def who_can_do(by: Doer, who: str) -> str:
    """Who can do an action, said the one way every screen and report says it: "people in
    the group", or "people outside the group: the school board" when they were named."""
    label = DOER_LABELS[by]
    return f"{label}: {who}" if who else label


# --- the saved report (`shared/report.py`) -----------------------------------------------------

REPORT_UNTITLED = "whytree session"
"""The report's title when the session has neither a title nor a situation."""
REPORT_NO_SITUATION = "(no situation was written)"
REPORT_NOBODY_VOTED = "Nobody voted."


def report_ranking_heading(mode: Mode) -> str:
    return f"What matters most, and {CHANGE_QUESTION[mode]}"


def answer_rule(mode: Mode) -> str:
    """`ranking.room_answer`'s rule, said on screen and in the report."""
    labels = CHANGE_LABELS[mode]
    return (f"The room's answer to “{CHANGE_QUESTION[mode]}”: “{labels['no']}” if half or more "
            f"said so; otherwise “{labels['we']}” if more said that than “{labels['others']}”, "
            f"else “{labels['others']}” (a tie plans for outside help).")

REPORT_NOT_WEIGHED_HEADING = "Not weighed yet"


def report_not_weighed(mode: Mode) -> str:
    """Under the 2×2: the causes nobody put a dot or an answer on."""
    return (f"Nobody put a dot or an answer on these {cause_word(mode, plural=True)}, "
            "so they are not on the 2×2.")


REPORT_CHANGE_MARKS: dict[Change, str] = {"we": "✔", "others": "⇄", "no": "✖"}
"""The mark before the room's answer in the report's pictures: a shape, not a colour, so
that it reads in black and white."""
REPORT_TREE_PICTURE_LABEL = "The tree as a picture"


def report_tree_picture_key(mode: Mode) -> str:
    """Under the tree's picture: what its boxes and marks mean."""
    marks = ", ".join(f"{REPORT_CHANGE_MARKS[answer]} {CHANGE_LABELS[mode][answer]}"
                      for answer in REPORT_CHANGE_MARKS)
    return (f"Each box is an answer to “{why_prompt(mode)}”, under the one it answers. ● are "
            f"the room's “matters” dots; {marks}. A thick border: act here first.")


REPORT_CHART_LABEL = "The 2×2 as a chart"


def report_chart_axes(mode: Mode) -> tuple[str, str]:
    """The chart's vertical and horizontal axes."""
    return ("more dots: matters more", f"more answers say {IT_CAN_CHANGE[mode]}")


def report_level(depth: int) -> str:
    """On an answer drawn less deep than it is in the tree's picture."""
    return f"level {depth}"


def report_chart_key(mode: Mode, threshold: int) -> str:
    """Under the 2×2 chart: what its lines and numbers mean."""
    return (f"Each circle is a weighed {cause_word(mode)}, numbered as in the boxes below. The "
            f"dashed lines are {dots_count(threshold)} (matters most from there up) and half of "
            f"the answers ({CAN_CHANGE[mode]} to their left).")




def grid_heading(mode: Mode) -> str:
    return f"Matters × {CAN_CHANGE[mode]}"


REPORT_GRID_ROWS = ("Matters most", "Matters less")


def report_grid_columns(mode: Mode) -> tuple[str, str]:
    """The 2×2's columns: the room's answer says it can change (or be repeated), or not."""
    return capitalised(CAN_CHANGE[mode]), capitalised(CHANGE_LABELS[mode]["no"])

REPORT_EMPTY_BOX = "(none)"
REPORT_ACTIONS_HEADING = "Actions"
REPORT_AGREED = " (agreed)"
"""After an agreed action's text in the list of actions."""
REPORT_WHO_CAN_DO = "Who can do it"
REPORT_NO_ACTIONS = "No actions were proposed."
REPORT_NEXT_STEPS_HEADING = "Agreed next steps"
REPORT_NEXT_STEPS_COLUMNS = ("Action", "First step", "Who takes it", "By when")
REPORT_NOT_SET = "—"
"""An empty cell of the next steps (no first step, owner or date recorded)."""
REPORT_NO_NEXT_STEPS = "No actions were agreed."

CSV_DOER_CELLS: dict[Doer, str] = {"inside": "inside the group", "outside": "outside the group"}
"""The spreadsheet's "Who can do it" column; the people named go in "Who exactly"."""
CSV_YES_NO = ("yes", "no")
"""The spreadsheet's "Agreed" column."""


def capitalised(text: str) -> str:
    """`text` with its first letter in capitals, for a column's head."""
    return text[:1].upper() + text[1:]


def dots_count(count: int, kind: str = "") -> str:
    """A number of "matters" dots in words: "1 dot", "3 dots" (with `kind`, e.g. "3
    “matters” dots")."""
    return f"{count} {kind + ' ' if kind else ''}dot{'' if count == 1 else 's'}"


def report_subtitle(mode: Mode, closed: str, voters: int) -> str:
    """The line under the report's title; `closed`: when the session closed, as text."""
    subtitle = f"{'Problem' if mode == 'problem' else 'Success'} session · closed {closed}"
    if voters:
        subtitle += f" · {voters} {'person' if voters == 1 else 'people'} voted"
    return subtitle


def report_situation_heading(mode: Mode) -> str:
    return "The problem" if mode == "problem" else "The success"


def report_tree_heading(mode: Mode) -> str:
    why = "Why it happens" if mode == "problem" else "Why it went well"
    return f"{why}: the {cause_word(mode, plural=True)}"


def report_no_causes(mode: Mode) -> str:
    return f"No {cause_word(mode, plural=True)} were found."


def report_nothing_to_weigh(mode: Mode) -> str:
    return f"No {cause_word(mode, plural=True)} to weigh."


def report_votes_not_revealed(mode: Mode) -> str:
    return (f"The votes were not revealed before the session closed, so the "
            f"{cause_word(mode, plural=True)} are not ranked.")


def report_ranking_columns(mode: Mode) -> tuple[str, ...]:
    """The head of the ranking table: place, cause, dots, each "can it change?" answer."""
    return ("Rank", capitalised(cause_word(mode)), "Matters (dots)",
            *(capitalised(CHANGE_LABELS[mode][answer]) for answer in ("we", "others", "no")),
            "The room says")


def report_grid_rule(mode: Mode, threshold: int) -> str:
    """What "matters most" and "can change" mean on the 2×2, given the dots threshold."""
    labels = CHANGE_LABELS[mode]
    return (f"“Matters most” means {dots_count(threshold)} or more: at least the average of the "
            f"{cause_word(mode, plural=True)} that got any dot. “{capitalised(CAN_CHANGE[mode])}” "
            f"means more than half of the answers said “{labels['we']}” or “{labels['others']}”.")


def report_grid_entry(mode: Mode, text: str, dots: int, answer: Change | None) -> str:
    """One cause in a box of the 2×2, with its dots and the room's answer."""
    return f"{text} ({dots_count(dots)}; {CHANGE_LABELS[mode][answer]})"


def report_for_causes(texts: list[str]) -> str:
    """The causes an action is for, under it in the list of actions."""
    return f"For: {'; '.join(texts)}"


def report_who_can_do(by: Doer, who: str) -> str:
    return f"{REPORT_WHO_CAN_DO}: {who_can_do(by, who)}"


def report_saved_on(when: str) -> str:
    """The report's last line; `when`: the time it was saved, as text."""
    return f"Saved by whytree on {when}."


def csv_columns(mode: Mode) -> tuple[str, ...]:
    """The head row of `actions.csv`."""
    return ("Action", capitalised(cause_word(mode, plural=True)), REPORT_WHO_CAN_DO,
            "Who exactly", "Agreed", "First step", "Owner", "Due")


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
                f"{WHETHER_THEY_CAN_CHANGE[mode]}: the 2×2 shows where to act first. Voting is closed "
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
                f"most ({how['dots']}), and for each say {WHETHER_IT_CAN_CHANGE[mode]} "
                f"({how['change']}: {CHANGE_CHOICES[mode]}). {VOTES_HIDDEN}"
            )
        case "act":
            return (
                f"For the {causes} that matter and {THAT_CAN_CHANGE[mode]}, propose actions: "
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
