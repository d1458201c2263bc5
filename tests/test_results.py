"""Saving a closed session's results (`server/results.py`) and ranking its causes
(`shared/ranking.py`): real files in a temporary folder, read back the way a user would."""

from __future__ import annotations

import csv
import io
import logging
import os
import stat
import time
from pathlib import Path

import msgspec
import pytest

from whytree.server.results import (
    AmbiguousSession,
    actions_csv,
    find_saved,
    list_saved,
    report_text,
    save_results,
)
from whytree.shared.model import SCHEMA_VERSION, Action, Ballot, Cause, Person, Session, Settings, Tally
from whytree.shared.ranking import (
    BOXES,
    matters_threshold,
    quadrant,
    ranked,
    room_answer,
    tree_order,
    two_by_two,
)

CLOSED_AT = 1_715_700_000.0  # 2024-05-14 (UTC)
DAY = time.strftime("%Y-%m-%d", time.localtime(CLOSED_AT))
SCRIPT = "<script>alert(1)</script>"
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def make_session(**changes: object) -> Session:
    """A realistic closed session: a tree three levels deep, revealed votes, actions inside
    and outside the group, two of them agreed."""
    people = {
        "p1": Person(id="p1", name="Rosa Facilitator", role="facilitator"),
        "p2": Person(id="p2", name="Kwame Mensah"),
        "p3": Person(id="p3", name="Lena Vogt"),
    }
    causes = [
        Cause(id="c1", parent=None, text="Nobody is at home after school", author="p2"),
        Cause(id="c2", parent="c1", text="Parents work until six", author="p3"),
        Cause(id="c3", parent="c2", text="The factory moved shifts later", author="p2"),
        Cause(id="c4", parent=None, text="There is nothing to do nearby", author="p3"),
        Cause(id="c5", parent="c4", text="The youth club closed", author="p1"),
        Cause(id="c6", parent="c5", text=SCRIPT, author="p2"),
        Cause(id="c7", parent=None, text="[bold]Older kids[/bold] hang around the bus stop",
              author="p3"),
        Cause(id="c8", parent="c7", text="The bus is late", author="p2"),
    ]
    ballots = {
        "p1": Ballot(dots={"c1": 2, "c5": 1}, change={"c1": "we", "c5": "others", "c3": "no"}),
        "p2": Ballot(dots={"c5": 2, "c3": 1}, change={"c1": "we", "c5": "others", "c3": "no"}),
        "p3": Ballot(dots={"c1": 1, "c3": 1, "c8": 1}, change={"c1": "no", "c8": "we"}),
    }
    # c1: 3 dots (we, we, no) · c5: 3 dots (others, others) · c3: 2 dots (no, no)
    # c8: 1 dot (we) · the rest: nothing.  Threshold: (3+3+2+1)/4 = 2.25 -> 3 dots.
    tally = {
        "c1": Tally(dots=3, we=2, no=1),
        "c5": Tally(dots=3, others=2),
        "c3": Tally(dots=2, no=2),
        "c8": Tally(dots=1, we=1),
    }
    actions = [
        Action(id="a1", text="Start a homework club in the library", causes=["c5", "c1"],
               by="inside", who="", author="p2", agreed=True,
               first_step="Ask the librarian for a room", owner="Maria", due="2024-06-01"),
        Action(id="a2", text="Ask the city to run the bus on time", causes=["c8"], by="outside",
               who="the city transport office", author="p3", agreed=True,
               first_step="Write a letter", owner="Jo", due="end of June"),
        Action(id="a3", text="=HYPERLINK(\"http://evil\")", causes=["c3"], by="outside",
               who="+the factory", author="p2", first_step="-call them", owner="@boss"),
    ]
    state = Session(
        id="s-2024-a",
        title="Fifth graders after school",
        situation="Our fifth graders get into trouble after school",
        mode="problem",
        phase="closed",
        people=people,
        causes={cause.id: cause for cause in causes},
        actions={action.id: action for action in actions},
        ballots=ballots,
        voters=3,
        revealed=True,
        tally=tally,
        created_at=CLOSED_AT - 7200,
        closed_at=CLOSED_AT,
        seq=42,
    )
    return msgspec.structs.replace(state, **changes)


def section(text: str, heading: str) -> str:
    """The part of a Markdown report from `heading` up to the next heading of any level."""
    start = text.index(heading + "\n") + len(heading) + 1
    following = [i for i in (text.find("\n#", start),) if i != -1]
    return text[start: following[0] if following else len(text)]


def read_csv(folder: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO((folder / "actions.csv").read_text(encoding="utf-8-sig"))))


# --- the saved folder -----------------------------------------------------------------------------


def test_saves_the_four_files_in_a_dated_folder(tmp_path: Path) -> None:
    folder = save_results(make_session(), tmp_path)

    assert folder == tmp_path / "sessions" / f"{DAY}-fifth-graders-after-school"
    assert sorted(p.name for p in folder.iterdir()) == [
        "actions.csv", "report.html", "report.md", "session.json"
    ]
    assert not list((tmp_path / "sessions").glob(".*")), "no staging folder left behind"


def test_session_json_is_the_final_state_without_anyones_ballot(tmp_path: Path) -> None:
    state = make_session()
    saved = msgspec.json.decode((save_results(state, tmp_path) / "session.json").read_bytes(),
                                type=Session)

    assert saved.schema == SCHEMA_VERSION
    assert saved.causes == state.causes
    assert saved.actions == state.actions
    assert saved.tally == state.tally and saved.revealed
    assert saved.closed_at == CLOSED_AT and saved.seq == 42
    assert saved.ballots == {}, "individual votes stay secret; only the totals are saved"


def test_report_ranks_causes_by_matters_dots_with_change_answers(tmp_path: Path) -> None:
    report = (save_results(make_session(), tmp_path) / "report.md").read_text()
    rows = [line for line in section(report, "## What matters most, and can it change?").splitlines()
            if line.startswith("| ") and "Rank" not in line]

    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    assert [(c[0], c[1], c[2]) for c in cells[:4]] == [
        ("1", "Nobody is at home after school", "3"),
        ("1", "The youth club closed", "3"),  # a tie keeps tree order and shares the place
        ("3", "The factory moved shifts later", "2"),
        ("4", "The bus is late", "1"),
    ]
    assert cells[0][3:] == ["2", "0", "1", "we can change it"]
    assert cells[1][3:] == ["0", "2", "0", "only with others"]
    assert cells[2][3:] == ["0", "0", "2", "not for now"]
    assert len(cells) == 8, "every cause is listed, voted on or not"


def test_report_shows_the_whole_tree_nested_by_depth(tmp_path: Path) -> None:
    report = (save_results(make_session(), tmp_path) / "report.md").read_text()
    tree = section(report, "## Why it happens: the causes").strip().splitlines()

    assert tree[:6] == [
        "- Nobody is at home after school",
        "  - Parents work until six",
        "    - The factory moved shifts later",
        "- There is nothing to do nearby",
        "  - The youth club closed",
        "    - \\<script\\>alert(1)\\</script\\>",
    ]
    assert "# Fifth graders after school" in report
    assert "Our fifth graders get into trouble after school" in section(report, "## The problem")
    assert DAY in report.splitlines()[2]


def test_report_places_causes_on_the_two_by_two(tmp_path: Path) -> None:
    report = (save_results(make_session(), tmp_path) / "report.md").read_text()

    def box(title: str) -> str:
        return section(report, f"### {title}")

    assert "3 dots or more" in section(report, "## Matters × can change")
    assert "Nobody is at home after school (3 dots; we can change it)" in box("Act here first")
    assert "The youth club closed (3 dots; only with others)" in box("Act here first")
    assert "The factory moved shifts later" in box("Let go for now")  # 2 dots, "no"
    assert "The bus is late (1 dot; we can change it)" in box("Maybe later")
    assert "- (none)" in box("Keep in mind")
    assert "There is nothing to do nearby" not in box("Let go for now")  # nobody weighed it
    assert "- There is nothing to do nearby" in section(report, "### Not weighed yet")


def test_report_lists_actions_with_who_and_agreed_next_steps(tmp_path: Path) -> None:
    folder = save_results(make_session(), tmp_path)
    report = (folder / "report.md").read_text()

    actions = section(report, "## Actions")
    assert "**Start a homework club in the library** (agreed)" in actions
    assert "For: The youth club closed; Nobody is at home after school" in actions
    assert "Who can do it: people in the group" in actions
    assert "Who can do it: people outside the group: the city transport office" in actions

    steps = section(report, "## Agreed next steps")
    assert "| Start a homework club in the library | Ask the librarian for a room | Maria | 2024-06-01 |" \
        in steps
    assert "| Ask the city to run the bus on time | Write a letter | Jo | end of June |" in steps
    assert "HYPERLINK" not in steps, "an action not agreed is not a next step"

    html = (folder / "report.html").read_text()
    assert "<td>Ask the librarian for a room</td><td>Maria</td><td>2024-06-01</td>" in html


def test_csv_has_one_row_per_action_and_defuses_formulas(tmp_path: Path) -> None:
    rows = read_csv(save_results(make_session(), tmp_path))

    assert rows[0] == ["Action", "Causes", "Who can do it", "Who exactly", "Agreed", "First step",
                       "Owner", "Due"]
    assert rows[1] == ["Start a homework club in the library",
                       "The youth club closed; Nobody is at home after school", "inside the group",
                       "", "yes", "Ask the librarian for a room", "Maria", "2024-06-01"]
    assert rows[2][2:5] == ["outside the group", "the city transport office", "yes"]
    assert rows[3] == ["'=HYPERLINK(\"http://evil\")", "The factory moved shifts later",
                       "outside the group", "'+the factory", "no", "'-call them", "'@boss", ""]
    assert len(rows) == 4


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"],
                         ids=["equals", "plus", "minus", "at", "tab", "return"])
def test_csv_guards_every_formula_start(start: str) -> None:
    state = Session(actions={"a1": Action(id="a1", text=f"{start}1+1", owner=f"{start}x")})
    row = next(row for row in csv.reader(io.StringIO(actions_csv(state))) if row[0] != "Action")
    assert row[0] == f"'{start}1+1"
    assert row[6] == f"'{start}x"


def test_html_escapes_user_text_and_keeps_markup_literal(tmp_path: Path) -> None:
    state = make_session(title="Kids <b>after</b> school & \"more\"")
    html = (save_results(state, tmp_path) / "report.html").read_text()

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "[bold]Older kids[/bold] hang around the bus stop" in html
    assert "<title>Kids &lt;b&gt;after&lt;/b&gt; school &amp; &quot;more&quot;</title>" in html
    assert "<b>" not in html
    assert "@media print" in html
    assert "<link" not in html and "src=" not in html, "self-contained: nothing to load"


def test_markdown_keeps_user_text_literal(tmp_path: Path) -> None:
    report = (save_results(make_session(), tmp_path) / "report.md").read_text()

    assert SCRIPT not in report, "a Markdown viewer would run inline HTML"
    assert "\\[bold\\]Older kids\\[/bold\\] hang around the bus stop" in report


@posix_only
def test_results_are_private_to_the_hosts_user(tmp_path: Path) -> None:
    (tmp_path / "sessions").mkdir(mode=0o755)
    os.chmod(tmp_path / "sessions", 0o755)
    folder = save_results(make_session(), tmp_path)

    assert stat.S_IMODE((tmp_path / "sessions").stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for file in folder.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name

    again = save_results(make_session(), tmp_path)
    for file in again.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name


def test_anonymous_session_names_nobody_anywhere(tmp_path: Path) -> None:
    state = make_session(settings=Settings(anonymous=True))
    folder = save_results(state, tmp_path)

    for file in folder.iterdir():
        text = file.read_text(encoding="utf-8-sig")
        for name in ("Rosa", "Facilitator", "Kwame", "Mensah", "Lena", "Vogt"):
            assert name not in text, f"{name} in {file.name}"
    saved = msgspec.json.decode((folder / "session.json").read_bytes(), type=Session)
    assert all(cause.author is None for cause in saved.causes.values())
    assert all(action.author is None for action in saved.actions.values())
    assert "Maria" in (folder / "report.md").read_text(), "an owner typed in by the group stays"


def test_reports_never_say_who_wrote_what(tmp_path: Path) -> None:
    folder = save_results(make_session(), tmp_path)
    for name in ("report.md", "report.html", "actions.csv"):
        text = (folder / name).read_text(encoding="utf-8-sig")
        assert "Kwame" not in text and "Lena" not in text, name


def test_success_mode_wording(tmp_path: Path) -> None:
    state = make_session(mode="success", title="The teen centre",
                         situation="The teen centre next door is always full")
    folder = save_results(state, tmp_path)
    report = (folder / "report.md").read_text()

    assert "## The success" in report and "The problem" not in report
    assert "## Why it went well: the reasons" in report
    assert "What can we apply here?" in report
    assert "| Rank | Reason |" in report
    assert "These reasons matter most and we can repeat them" in report
    assert "cause" not in report.lower().replace("because", "")
    assert "Success session" in (folder / "report.html").read_text()
    assert read_csv(folder)[0][1] == "Reasons"


def test_votes_not_revealed_are_not_shown(tmp_path: Path) -> None:
    report = (save_results(make_session(revealed=False, tally={}), tmp_path) / "report.md").read_text()

    assert "The votes were not revealed" in report
    assert "Act here first" not in report
    assert "- The youth club closed" in report, "the tree is still there"


def test_same_session_saved_twice_goes_to_the_same_folder(tmp_path: Path) -> None:
    first = save_results(make_session(), tmp_path)
    later = make_session(actions={}, closed_at=CLOSED_AT + 600)
    second = save_results(later, tmp_path)

    assert second == first
    assert len(list((tmp_path / "sessions").iterdir())) == 1
    assert "No actions were proposed." in (second / "report.md").read_text()
    assert read_csv(second) == [read_csv(first)[0]]
    assert not [p.name for p in second.iterdir() if p.name.startswith(".")], "no temp files left"


def test_different_sessions_with_the_same_title_get_different_folders(tmp_path: Path) -> None:
    first = save_results(make_session(id="one"), tmp_path)
    second = save_results(make_session(id="two"), tmp_path)
    third = save_results(make_session(id="three"), tmp_path)

    assert first.name == f"{DAY}-fifth-graders-after-school"
    assert second.name == f"{DAY}-fifth-graders-after-school-2"
    assert third.name == f"{DAY}-fifth-graders-after-school-3"
    assert save_results(make_session(id="two"), tmp_path) == second


def test_folder_name_is_short_ascii_from_title_or_situation(tmp_path: Path) -> None:
    accented = save_results(make_session(id="x", title="Après l'école: ¿qué pasa? " * 5), tmp_path)
    untitled = save_results(make_session(id="y", title="", situation="Kids & the bus!"), tmp_path)
    nothing = save_results(make_session(id="z", title="¿?", situation=""), tmp_path)

    assert accented.name.startswith(f"{DAY}-apres-l-ecole-que-pasa-apres")
    assert len(accented.name) <= len(DAY) + 1 + 40
    assert untitled.name == f"{DAY}-kids-the-bus"
    assert nothing.name == f"{DAY}-session"


# --- finding saved sessions -----------------------------------------------------------------------


def test_list_saved_newest_first_and_skips_broken_folders(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    older = save_results(make_session(id="old", title="Older", closed_at=CLOSED_AT - 86400 * 30), tmp_path)
    newer = save_results(make_session(id="new", title="Newer"), tmp_path)
    (tmp_path / "sessions" / "2024-01-01-broken").mkdir()
    (tmp_path / "sessions" / "2024-01-01-broken" / "session.json").write_text("{not json")
    (tmp_path / "sessions" / "2024-01-02-empty").mkdir()
    (tmp_path / "sessions" / ".partial-abc").mkdir()

    with caplog.at_level(logging.WARNING):
        saved = list_saved(tmp_path)

    assert [s.id for s in saved] == [newer.name, older.name]
    assert saved[0].title == "Newer"
    assert saved[0].situation == "Our fifth graders get into trouble after school"
    assert saved[0].closed_at == CLOSED_AT
    assert (saved[0].causes, saved[0].actions) == (8, 3)
    assert "2024-01-01-broken" in caplog.text and "2024-01-02-empty" in caplog.text
    assert ".partial" not in caplog.text


def test_list_saved_with_nothing_saved(tmp_path: Path) -> None:
    assert list_saved(tmp_path / "never-created") == []


def test_find_saved_by_id_or_prefix_and_read_its_report(tmp_path: Path) -> None:
    first = save_results(make_session(id="one", title="Bus stop"), tmp_path)
    second = save_results(make_session(id="two", title="Bus stop"), tmp_path)
    save_results(make_session(id="three", title="Youth club"), tmp_path)

    found = find_saved(tmp_path, first.name)
    assert found is not None and found.path == first
    assert report_text(found) == (first / "report.md").read_text()
    by_prefix = find_saved(tmp_path, f"{DAY}-you")
    assert by_prefix is not None and by_prefix.title == "Youth club"
    assert find_saved(tmp_path, "nothing-like-this") is None
    assert find_saved(tmp_path, "") is None
    assert find_saved(tmp_path, "../sessions") is None
    with pytest.raises(AmbiguousSession) as ambiguous:
        find_saved(tmp_path, f"{DAY}-bus")
    assert set(ambiguous.value.matches) == {first.name, second.name}


# --- ranking --------------------------------------------------------------------------------------


def tree(*causes: tuple[str, str | None], tally: dict[str, Tally] | None = None) -> Session:
    return Session(causes={cid: Cause(id=cid, parent=parent, text=cid.upper()) for cid, parent in causes},
                   tally=tally or {}, revealed=tally is not None)


def test_ranked_ties_keep_tree_order_and_share_a_place() -> None:
    # Added in the order z, a, m (under z), top: the tree reads z, m, a, top. The tied
    # causes z, m, a are in neither the order they were added (z, a, m), nor by name
    # (a, m, z), nor by depth (z, a, m), nor reversed: only tree order gives z, m, a.
    state = tree(("z", None), ("a", None), ("m", "z"), ("top", None),
                 tally={"z": Tally(dots=1), "a": Tally(dots=1), "m": Tally(dots=1), "top": Tally(dots=2)})

    causes = ranked(state)
    assert [(item.cause.id, item.place, item.depth) for item in causes] == [
        ("top", 1, 1), ("z", 2, 1), ("m", 2, 2), ("a", 2, 1)
    ]
    assert [cause.id for cause, _ in tree_order(state)] == ["z", "m", "a", "top"]


def test_ranked_with_no_votes_at_all() -> None:
    state = tree(("a", None), ("b", "a"), ("c", None))

    causes = ranked(state)
    assert [item.cause.id for item in causes] == ["a", "b", "c"]
    assert {(item.place, item.dots, item.answer) for item in causes} == {(1, 0, None)}
    assert matters_threshold(causes) == 1
    boxes = two_by_two(state)
    assert not any(boxes.values())  # nothing weighed: nothing on the 2×2, nothing "let go"
    assert ranked(Session()) == [] and matters_threshold([]) == 1


def test_ranked_still_lists_a_cause_whose_parent_is_missing() -> None:
    state = tree(("a", None), ("lost", "gone"), ("lost1", "lost"))
    assert [(c.id, depth) for c, depth in tree_order(state)] == [("a", 1), ("lost", 1), ("lost1", 2)]


@pytest.mark.parametrize(
    ("we", "others", "no", "answer"),
    [
        (0, 0, 0, None),
        (1, 0, 0, "we"),
        (0, 0, 1, "no"),
        (2, 1, 0, "we"),
        (1, 1, 0, "others"),  # split between us and others: plan for help from outside
        (1, 0, 1, "no"),  # a split room is not a majority for change
        (1, 1, 2, "no"),
        (2, 2, 3, "others"),  # 4 of 7 say it can change, though "no" is the biggest answer
        (3, 1, 3, "we"),
    ],
)
def test_room_answer(we: int, others: int, no: int, answer: str | None) -> None:
    assert room_answer(Tally(we=we, others=others, no=no)) == answer


@pytest.mark.parametrize(
    ("dots", "threshold"),
    [
        ([1], 1),
        ([1, 1, 0, 0], 1),  # causes without dots don't pull the average down
        ([2, 1], 2),  # 1.5 rounds up: "at least the average"
        ([3, 2, 1], 2),  # exactly the average counts
        ([4, 1, 1], 2),
        ([6, 1, 1, 1], 3),
    ],
)
def test_matters_threshold(dots: list[int], threshold: int) -> None:
    state = tree(*((f"c{i}", None) for i in range(len(dots))),
                 tally={f"c{i}": Tally(dots=d) for i, d in enumerate(dots)})
    assert matters_threshold(ranked(state)) == threshold


def test_quadrant_boundaries() -> None:
    state = tree(("low_we", None), ("at_we", None), ("at_no", None), ("high_others", None),
                 ("high_none", None), ("low_tie", None),
                 tally={
                     "low_we": Tally(dots=1, we=1),
                     "at_we": Tally(dots=2, we=1),
                     "at_no": Tally(dots=2, we=1, no=1),
                     "high_others": Tally(dots=3, others=2, no=1),
                     "high_none": Tally(dots=3),
                     "low_tie": Tally(dots=1, we=1, others=1),
                 })
    causes = {item.cause.id: item for item in ranked(state)}
    threshold = matters_threshold(list(causes.values()))
    assert threshold == 2  # (1+2+2+3+3+1)/6 = 2

    assert quadrant(causes["at_we"], threshold) == "act_first"  # exactly at the threshold
    assert quadrant(causes["high_others"], threshold) == "act_first"
    assert quadrant(causes["at_no"], threshold) == "keep_in_mind"
    assert quadrant(causes["high_none"], threshold) == "keep_in_mind"  # nobody said it can change
    assert quadrant(causes["low_we"], threshold) == "maybe_later"
    assert quadrant(causes["low_tie"], threshold) == "maybe_later"
    assert quadrant(causes["low_we"], 1) == "act_first"

    boxes = two_by_two(state)
    assert tuple(boxes) == BOXES
    assert [item.cause.id for item in boxes["act_first"]] == ["high_others", "at_we"]
    assert [item.cause.id for item in boxes["keep_in_mind"]] == ["high_none", "at_no"]
