"""Saving results folders and finding them again, on real files in a temporary folder.

What a host's user notices: a closed session's folder is named after its title (or
situation) and the day it closed; saving the same session again rewrites the same folder,
never another session's; what a crash left behind is cleared once it is surely stale and
never before; nothing outside the results folder is touched, even through a link; and
`whytree sessions` / `whytree report` list and find what was saved, newest first.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import stat
import tempfile
import time
import warnings
from pathlib import Path

import msgspec
import pytest
from test_results import CLOSED_AT, DAY, make_session

from whytree.server.results import (
    AmbiguousSession,
    find_saved,
    list_saved,
    report_text,
    save_results,
)
from whytree.shared.model import Person, Session

HOUR = 3600.0
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX links and permissions")


def sessions(data_dir: Path) -> Path:
    return data_dir / "sessions"


def age(path: Path, seconds: float) -> None:
    """Make `path` look `seconds` old (a crash's leftover from then)."""
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


# --- where a session is saved -------------------------------------------------------------------


def test_the_folder_is_dated_by_the_close_else_by_the_save(tmp_path: Path) -> None:
    later = CLOSED_AT + 40 * 86400
    closed = save_results(make_session(id="closed", title="Closed"), tmp_path, now=later)
    still_open = save_results(make_session(id="open", title="Open", closed_at=None), tmp_path, now=later)
    assert closed.name == f"{DAY}-closed"
    assert still_open.name == time.strftime("%Y-%m-%d", time.localtime(later)) + "-open"


def test_a_session_saved_again_goes_back_to_its_folder_even_renamed(tmp_path: Path) -> None:
    first = save_results(make_session(id="s1", title="Bus stop"), tmp_path)
    other = save_results(make_session(id="s2", title="Youth club"), tmp_path)
    # Reopened, retitled, closed a month later: still the folder it was saved in.
    renamed = make_session(id="s1", title="Youth club", closed_at=CLOSED_AT + 30 * 86400)
    assert save_results(renamed, tmp_path) == first
    assert sorted(p.name for p in sessions(tmp_path).iterdir()) == sorted([first.name, other.name])
    assert "# Youth club" in (first / "report.md").read_text()
    assert "# Youth club" in (other / "report.md").read_text()  # the other one is untouched
    assert msgspec.json.decode((other / "session.json").read_bytes(), type=Session).id == "s2"


def test_sessions_without_an_id_never_share_a_folder(tmp_path: Path) -> None:
    first = save_results(make_session(id="", title="Bus stop"), tmp_path)
    second = save_results(make_session(id="", title="Bus stop", actions={}), tmp_path)
    assert (first.name, second.name) == (f"{DAY}-bus-stop", f"{DAY}-bus-stop-2")
    assert "Nobody is at home" in (first / "report.md").read_text()
    assert "No actions were proposed." not in (first / "report.md").read_text()


def test_a_name_taken_by_a_stray_file_or_an_unreadable_folder_is_skipped(tmp_path: Path) -> None:
    sessions(tmp_path).mkdir(parents=True)
    (sessions(tmp_path) / f"{DAY}-bus-stop").write_text("a note the host left here")
    (sessions(tmp_path) / f"{DAY}-bus-stop-2").mkdir()  # no session.json: not ours to rewrite
    folder = save_results(make_session(id="s1", title="Bus stop"), tmp_path)
    assert folder.name == f"{DAY}-bus-stop-3"
    assert (sessions(tmp_path) / f"{DAY}-bus-stop").read_text() == "a note the host left here"
    assert list((sessions(tmp_path) / f"{DAY}-bus-stop-2").iterdir()) == []


@posix_only
def test_a_link_in_the_results_folder_is_never_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    # A copy of the session's own results behind a link: never taken for its folder.
    save_results(make_session(id="s1", title="Elsewhere"), outside)
    elsewhere = next(sessions(outside).iterdir())
    before = {p.name: p.read_bytes() for p in elsewhere.iterdir()}
    data = tmp_path / "data"
    sessions(data).mkdir(parents=True)
    (sessions(data) / "2020-01-01-linked").symlink_to(elsewhere, target_is_directory=True)
    (sessions(data) / f"{DAY}-bus-stop").symlink_to(elsewhere, target_is_directory=True)

    folder = save_results(make_session(id="s1", title="Bus stop"), data)
    assert folder.name == f"{DAY}-bus-stop-2" and not folder.is_symlink()
    assert {p.name: p.read_bytes() for p in elsewhere.iterdir()} == before


def test_the_data_folder_is_made_when_missing_and_private(tmp_path: Path) -> None:
    data = tmp_path / "a" / "new" / "place"
    folder = save_results(make_session(), data)
    assert folder.parent == sessions(data) and (folder / "report.md").exists()
    if os.name == "posix":
        assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_saving_needs_no_system_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A new folder is put together inside the results folder itself (then renamed into
    # place), so a full or missing /tmp does not stop a save.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-tmp"))
    folder = save_results(make_session(), tmp_path / "data")
    assert (folder / "session.json").exists()


@pytest.mark.parametrize(("title", "situation", "name"), [
    ("", "Kids & the bus!", "kids-the-bus"),
    ("¿?", "Après l'école", "apres-l-ecole"),
    ("¿?", "…", "session"),
    # Whole words, up to 40 letters: this one is exactly 40 long, so it stays whole...
    ("abcdefghij abcdefghij abcdefghij abcdefg", "", "abcdefghij-abcdefghij-abcdefghij-abcdefg"),
    # ...one letter more and the last word goes; a single long word is cut at 40.
    ("abcdefghij abcdefghij abcdefghij abcdefgh", "", "abcdefghij-abcdefghij-abcdefghij"),
    ("alpha bravo charlie delta echo foxtrot golf", "", "alpha-bravo-charlie-delta-echo-foxtrot"),
    ("x" * 60, "", "x" * 40),
])
def test_the_folder_name_is_short_plain_words(tmp_path: Path, title: str, situation: str, name: str) -> None:
    folder = save_results(make_session(title=title, situation=situation), tmp_path)
    assert folder.name == f"{DAY}-{name}"


# --- what a crash leaves behind ------------------------------------------------------------------


def test_a_crashed_saves_leftovers_go_once_stale_and_not_before(tmp_path: Path) -> None:
    first = save_results(make_session(id="s1"), tmp_path)
    stale_staging = sessions(tmp_path) / ".partial-old"
    stale_staging.mkdir()
    (stale_staging / "report.md").write_text("half a report")
    age(stale_staging / "report.md", 2 * HOUR)
    age(stale_staging, 2 * HOUR)
    fresh_staging = sessions(tmp_path) / ".partial-now"  # another save, in progress
    fresh_staging.mkdir()
    stale_file = sessions(tmp_path) / ".partial-file"
    stale_file.write_text("x")
    age(stale_file, 2 * HOUR)
    stale_tmp = first / ".report.md.abc.tmp"
    stale_tmp.write_text("half")
    age(stale_tmp, 2 * HOUR)
    fresh_tmp = first / ".report.md.def.tmp"
    fresh_tmp.write_text("being written")
    kept = first / ".keep"  # not a leftover of ours
    kept.write_text("x")
    age(kept, 2 * HOUR)

    save_results(make_session(id="s1"), tmp_path)  # closed, reopened, closed again
    assert not stale_staging.exists() and not stale_file.exists() and not stale_tmp.exists()
    assert fresh_staging.is_dir() and fresh_tmp.read_text() == "being written"
    assert kept.exists()
    assert [s.id for s in list_saved(tmp_path)] == [first.name]


def test_every_stale_leftover_goes_whatever_order_they_are_found_in(tmp_path: Path) -> None:
    sessions(tmp_path).mkdir(parents=True)
    for n in range(10):
        (sessions(tmp_path) / f".partial-fresh{n}").mkdir()
        stale = sessions(tmp_path) / f".partial-stale{n}"
        stale.mkdir()
        age(stale, 2 * HOUR)
    save_results(make_session(), tmp_path)
    left = sorted(p.name for p in sessions(tmp_path).glob(".partial-*"))
    assert left == [f".partial-fresh{n}" for n in range(10)]


def test_a_crash_leftover_holding_the_session_is_not_taken_for_its_folder(tmp_path: Path) -> None:
    first = save_results(make_session(id="s1", title="Bus stop"), tmp_path)
    # A save that crashed after writing everything but before the rename (fresh: kept).
    crashed = sessions(tmp_path) / ".partial-crashed"
    shutil.copytree(first, crashed)
    (sessions(tmp_path) / "0-notes.txt").write_text("the host's own notes")
    again = save_results(make_session(id="s1", title="Bus stop again", actions={}), tmp_path)
    assert again == first
    assert "No actions were proposed." in (first / "report.md").read_text()
    assert "No actions were proposed." not in (crashed / "report.md").read_text()


def test_leftovers_are_cleared_by_the_save_of_a_new_session_too(tmp_path: Path) -> None:
    sessions(tmp_path).mkdir(parents=True)
    stale = sessions(tmp_path) / ".partial-old"
    stale.mkdir()
    age(stale, HOUR + 60)
    save_results(make_session(id="new"), tmp_path)
    assert not stale.exists()


@posix_only
def test_a_stale_link_among_the_leftovers_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("precious")
    age(outside, 2 * HOUR)
    data = tmp_path / "data"
    sessions(data).mkdir(parents=True)
    link = sessions(data) / ".partial-link"
    link.symlink_to(outside, target_is_directory=True)
    age(link, 2 * HOUR)
    save_results(make_session(), data)
    assert (outside / "keep.txt").read_text() == "precious"


# --- finding saved sessions ---------------------------------------------------------------------


def test_sessions_are_listed_newest_first_with_what_they_hold(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    people = {
        "p1": Person(id="p1", name="Rosa", role="facilitator"),
        "p2": Person(id="p2", name="Kwame"),
        "p3": Person(id="p3", name="Projector", role="viewer"),
    }
    same_time = [save_results(make_session(id=f"s{n}", title=f"Same {n}"), tmp_path) for n in (1, 2)]
    older = save_results(make_session(id="old", title="Older", closed_at=CLOSED_AT - 86400), tmp_path)
    never_closed = save_results(make_session(id="open", title="Open", closed_at=None, people=people,
                                             mode="success", created_at=CLOSED_AT - 7200),
                                tmp_path, now=CLOSED_AT + 86400)
    (sessions(tmp_path) / "notes.txt").write_text("not a session")
    (sessions(tmp_path) / "2024-01-01-broken").mkdir()
    (sessions(tmp_path) / "2024-01-01-broken" / "session.json").write_text("{not json")

    saved = list_saved(tmp_path)
    assert [s.id for s in saved] == [same_time[1].name, same_time[0].name, older.name, never_closed.name]
    last = saved[-1]
    assert (last.title, last.mode, last.closed_at, last.path) == ("Open", "success", None, never_closed)
    assert (last.created_at, last.people) == (CLOSED_AT - 7200, 2)  # the projector is no person
    assert saved[0].people == 3
    # The host's log says which folder was skipped and why.
    try:
        msgspec.json.decode(b"{not json")
    except msgspec.DecodeError as error:
        why = str(error)
    assert [record.getMessage() for record in caplog.records] == [
        f"Skipping saved session 2024-01-01-broken: {why}"]


def test_an_exact_name_wins_over_names_it_starts(tmp_path: Path) -> None:
    first = save_results(make_session(id="one", title="Bus stop"), tmp_path)
    second = save_results(make_session(id="two", title="Bus stop"), tmp_path)
    found = find_saved(tmp_path, f"  {first.name} ")
    assert found is not None and found.path == first
    found = find_saved(tmp_path, second.name)
    assert found is not None and found.path == second
    assert find_saved(tmp_path, "   ") is None


def test_a_name_that_fits_several_says_which(tmp_path: Path) -> None:
    first = save_results(make_session(id="one", title="Bus stop"), tmp_path)
    second = save_results(make_session(id="two", title="Bus stop"), tmp_path)
    with pytest.raises(AmbiguousSession) as raised:
        find_saved(tmp_path, f"{DAY}-bus")
    assert raised.value.prefix == f"{DAY}-bus"
    assert str(raised.value) == (f"'{DAY}-bus' matches 2 saved sessions: "
                                 f"{', '.join(sorted([first.name, second.name], reverse=True))}")


def test_a_lost_or_damaged_report_is_made_again_as_of_the_save(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = save_results(make_session(), tmp_path)
    saved_at = CLOSED_AT + 5 * 86400
    os.utime(folder / "session.json", (saved_at, saved_at))
    expected = (folder / "report.md").read_text(encoding="utf-8")
    expected_saved_on = time.strftime("%Y-%m-%d %H:%M", time.localtime(saved_at))

    (folder / "report.md").write_bytes(b"\xff\xfe not text")
    found = find_saved(tmp_path, folder.name)
    assert found is not None
    with caplog.at_level(logging.WARNING):
        again = report_text(found)
    assert expected_saved_on in again
    try:
        (folder / "report.md").read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        why = str(error)
    assert [record.getMessage() for record in caplog.records] == [
        f"Making the report of {folder.name} again from session.json: {why}"]
    assert again.split("\n")[:-2] == expected.split("\n")[:-2]  # all but the "saved on" line

    (folder / "report.md").unlink()
    assert report_text(found) == again


def test_a_report_that_cannot_be_made_again_says_why(tmp_path: Path) -> None:
    folder = save_results(make_session(), tmp_path)
    found = find_saved(tmp_path, folder.name)
    assert found is not None
    (folder / "report.md").unlink()
    (folder / "session.json").write_bytes(b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    with pytest.raises(ValueError, match="nested too deeply"):
        report_text(found)


# --- a save that fails or crashes halfway ------------------------------------------------------

FILE_LIMIT = 2000
"""Bytes: more than a folder needs, less than `report.html` (a stand-in for a full disk)."""


@posix_only
def test_a_save_the_disk_refuses_halfway_leaves_nothing_behind(tmp_path: Path) -> None:
    import resource  # (POSIX only)

    first = save_results(make_session(id="s1", title="First"), tmp_path)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, hard))
    try:
        with pytest.raises(OSError):
            save_results(make_session(id="s2", title="Second"), tmp_path)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert [p.name for p in sessions(tmp_path).iterdir()] == [first.name]


@posix_only
def test_a_host_that_dies_halfway_through_a_save_leaves_only_a_hidden_leftover(tmp_path: Path) -> None:
    import resource  # (POSIX only)

    first = save_results(make_session(id="s1", title="First"), tmp_path)
    with warnings.catch_warnings():  # (newer Pythons warn about forking a threaded process)
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the host, killed by the system in the middle of writing the files
        try:
            signal.alarm(30)  # should it hang instead, the test fails rather than waits forever
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
            resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, hard))
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
            save_results(make_session(id="s2", title="Second"), tmp_path)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXFSZ, status

    assert [saved.id for saved in list_saved(tmp_path)] == [first.name]
    leftovers = [p for p in sessions(tmp_path).iterdir() if p != first]
    assert leftovers and all(p.name.startswith(".") for p in leftovers), leftovers
    for leftover in leftovers:  # an hour later, the next save clears them
        age(leftover, 2 * HOUR)
    second = save_results(make_session(id="s2", title="Second"), tmp_path)
    assert sorted(p.name for p in sessions(tmp_path).iterdir()) == sorted([first.name, second.name])
