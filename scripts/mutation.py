"""Mutation testing: how many small, plausible bugs would the tests catch?

Runs mutmut (the `mutation` extra: `pip install -e '.[mutation]'`) over the measured
modules and prints the share of mutants killed per module. See `docs/testing.md`.

mutmut expects the import name of a module to follow its path (`whytree/shared/rules.py`
is `whytree.shared.rules`), but this project maps `shared/` to `whytree.shared` in
`pyproject.toml`. So the run happens in a staging folder, one per module
(`.mutation/shared.rules/` for `shared/rules.py`), laid out the way mutmut expects:
`whytree/shared`, `whytree/server`, `whytree/tui` and `tests/` copied from the working
tree (file times kept, so mutmut reuses its earlier results for files that did not
change), with a `pyproject.toml` holding the mutmut settings. Inside it mutmut puts the
mutated copies first on `sys.path`, ahead of the installed (editable) package, and runs
each mutant against only the tests that reach the mutated function.
A folder per module keeps each module's results when another module is run with other
tests (mutmut forgets every result when the selected tests change), so a run can also be
stopped and taken up again later.

    python scripts/mutation.py                      # every measured module (long)
    python scripts/mutation.py shared/text.py       # one module, its tests only
    python scripts/mutation.py shared/text.py shared/model.py   # one after the other
    python scripts/mutation.py --report             # the scores of the last runs
    python scripts/mutation.py --survivors shared/ranking.py   # what survived, as diffs

The machine is shared: the run is niced, and uses one worker unless `--jobs` says more.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGING = ROOT / ".mutation"
PACKAGES = ("shared", "server", "tui")

MEASURED: dict[str, list[str]] = {
    # module (as in the working tree): the fast test files that exercise it. The tests that
    # start real servers, processes and Textual apps are left out on purpose: they would
    # run for every mutant they reach, which takes hours on a small machine.
    "shared/advertisement.py": ["test_small_core.py"],
    "shared/apply.py": ["test_apply_fields.py", "test_rules.py", "test_journal_properties.py",
                        "test_fixing_mistakes.py", "test_rules_gone.py"],
    "shared/export.py": ["test_web_core.py", "test_small_core.py"],
    "shared/fingerprint.py": ["test_small_core.py"],
    "shared/joincode.py": ["test_small_core.py"],
    "shared/mirror.py": ["test_mirror.py"],
    "shared/model.py": ["test_rules.py", "test_results.py", "test_apply_fields.py",
                        "test_fixing_mistakes.py", "test_model_helpers.py"],
    "shared/protocol.py": ["test_bounds.py", "test_protocol_contract.py", "test_protocol_doc.py",
                           "test_small_core.py"],
    "shared/report.py": ["test_report.py", "test_results.py", "test_report_escaping.py",
                         "test_report_golden.py", "test_report_chart.py"],
    "shared/ranking.py": ["test_results.py", "test_report_golden.py", "test_ranking_saved_states.py",
                          "test_ranking_edges.py"],
    "shared/rules.py": ["test_rules.py", "test_rule_tables.py", "test_bounds.py", "test_apply_fields.py",
                        "test_refusal_messages.py", "test_text_escapes.py", "test_views.py",
                        "test_may.py", "test_fixing_mistakes.py", "test_model_helpers.py",
                        "test_rules_gone.py"],
    "shared/text.py": ["test_text_escapes.py", "test_text_bounds.py", "test_text_fit.py"],
    "shared/views.py": ["test_rules.py", "test_apply_fields.py", "test_views.py", "test_fixing_mistakes.py",
                        "test_views_resent.py"],
    "shared/wording.py": ["test_results.py", "test_report_golden.py", "test_ranking_edges.py",
                          "test_mode_words.py"],
    "server/hub.py": ["test_bounds.py", "test_apply_fields.py", "test_text_escapes.py",
                      "test_journal_properties.py"],
    "server/journal.py": ["test_journal_properties.py"],
    "server/results.py": ["test_results.py", "test_report_escaping.py", "test_report_golden.py",
                          "test_report.py", "test_saving_results.py"],
    "tui/widgets/cause_tree.py": ["test_tui_session.py"],
    "tui/widgets/summary.py": ["test_panels.py"],
}
"""The measured modules: the core, the server's hub, journal and reports, the text
cleaning, and the TUI widgets that render people's text."""

LEFT_OUT = [
    # The pure-core tests of a file are measured; its tests through the real server are not.
    "tests/test_fixing_mistakes.py::test_moves_removals_and_undo_reach_everyone_and_survive_a_restart",
    "tests/test_text_bounds.py::test_a_cause_that_grows_when_cleaned_cannot_break_the_session",
]
"""Tests of measured files that run a real server: deselected for every mutant."""


def staging(module: str) -> Path:
    """The staging folder of one module: `.mutation/shared.rules/` for `shared/rules.py`."""
    return STAGING / module.removesuffix(".py").replace("/", ".")


def stage(module: str, tests: list[str]) -> Path:
    """Lay out the staging folder of `module` from the working tree (file times kept)."""
    folder = staging(module)
    folder.mkdir(parents=True, exist_ok=True)
    package = folder / "whytree"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text('"""whytree, laid out for mutation testing."""\n')
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in PACKAGES:
        shutil.copytree(ROOT / name, package / name, dirs_exist_ok=True, ignore=ignore)
    for name in ("tests", "scripts", "docs", "web"):  # the protocol document's tests read the rest
        shutil.copytree(ROOT / name, folder / name, dirs_exist_ok=True, ignore=ignore)

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_options = dict(project["tool"]["pytest"]["ini_options"])
    pytest_options.pop("pythonpath", None)  # the mutated copies must come first on sys.path
    lines = ["[tool.pytest.ini_options]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in pytest_options.items()]
    lines += [
        "", "[tool.mutmut]",
        'source_paths = ["whytree"]',
        f"only_mutate = {json.dumps([f'whytree/{module}'])}",
        'also_copy = ["scripts/", "docs/", "web/"]',
        f"pytest_add_cli_args_test_selection = {json.dumps(['tests/' + t for t in tests])}",
        "pytest_add_cli_args = " + json.dumps(["-p", "no:cacheprovider", "-m", "not slow", "-q", *(
            arg for test in LEFT_OUT if test.split("::")[0].removeprefix("tests/") in tests
            for arg in ("--deselect", test))]),
        "use_git_change_detection = false",
        # A mutant that loops forever is stopped after this many times its tests' CPU time
        # (times two; mutmut's default is 15): CPU time does not stretch on a busy machine.
        "timeout_multiplier = 3.0",
        "",
    ]
    (folder / "pyproject.toml").write_text("\n".join(lines))
    return folder


def run(modules: list[str], jobs: int) -> int:
    """Mutate each module in turn, in its own staging folder, against its own tests."""
    for module in modules:
        tests = sorted(test for test in MEASURED[module] if (ROOT / "tests" / test).exists())
        folder = stage(module, tests)
        mutmut = Path(sys.executable).parent / "mutmut"
        # No mutant names: the folder mutates only `module`, and mutmut given names would
        # test every one of them again instead of only those not yet tested.
        command = ["nice", "-n", "19", str(mutmut), "run", "--max-children", str(jobs)]
        print("$", " ".join(command), f"  (in {folder.relative_to(ROOT)}/)", flush=True)
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        code = subprocess.run(command, cwd=folder, env=env, check=False).returncode
        if code:
            return code
    return 0


def results() -> dict[str, dict[str, int]]:
    """Per measured module: killed, survived, and untested (no test reaches it) mutants."""
    scores: dict[str, dict[str, int]] = {}
    for module in MEASURED:
        meta = staging(module) / "mutants" / "whytree" / (module + ".meta")
        if not meta.exists():
            continue
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        counts = {"killed": 0, "survived": 0, "untested": 0, "not run": 0}
        for code in codes.values():
            if code is None:
                counts["not run"] += 1
            elif code == 0:
                counts["survived"] += 1
            elif code == 33:  # mutmut: no test reaches this mutant
                counts["untested"] += 1
            else:
                counts["killed"] += 1  # a failing test, a timeout, or a crash
        scores[module] = counts
    return scores


def report() -> None:
    scores = results()
    if not scores:
        print("No results yet: run `python scripts/mutation.py` first.")
        return
    print(f"{'module':32} {'killed':>7} {'survived':>9} {'untested':>9} {'score':>7}")
    for module, counts in scores.items():
        measured = counts["killed"] + counts["survived"] + counts["untested"]
        score = f"{100 * counts['killed'] / measured:6.1f}%" if measured else "     -"
        pending = f"  ({counts['not run']} not run yet)" if counts["not run"] else ""
        print(f"{module:32} {counts['killed']:7} {counts['survived']:9} {counts['untested']:9} "
              f"{score}{pending}")


def survivors(modules: list[str]) -> None:
    mutmut = Path(sys.executable).parent / "mutmut"
    for module in modules:
        meta = staging(module) / "mutants" / "whytree" / (module + ".meta")
        if not meta.exists():
            continue
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if code in (0, 33):
                subprocess.run([str(mutmut), "show", name], cwd=staging(module), check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*",
                        help="modules to mutate, e.g. shared/text.py (default: all measured)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--report", action="store_true", help="only print the scores of earlier runs")
    parser.add_argument("--survivors", action="store_true", help="show the surviving mutants as diffs")
    args = parser.parse_args()
    modules = [module.removeprefix("./") for module in args.modules] or list(MEASURED)
    unknown = [module for module in modules if module not in MEASURED]
    if unknown:
        parser.error(f"not a measured module: {', '.join(unknown)} (see MEASURED in {__file__})")
    if args.survivors:
        survivors(modules)
        return 0
    if not args.report:
        code = run(modules, args.jobs)
        if code:
            return code
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
