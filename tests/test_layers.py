"""The layers stay layers: what each package may import.

The contracts in `pyproject.toml` (`[tool.importlinter]`, explained in
`docs/architecture.md`) are checked by `lint-imports`, which reads every import statement:
`whytree.shared` is the I/O-free core -- no asyncio, no sockets, no SQLite, no websockets,
no Textual, and neither of the other two packages; `whytree.server` never imports the
terminal client; the terminal client imports the server only where it starts it (`app`
for `whytree host`, `cli`); no two modules of a package import each other.

The checks below also import every module of a package in a new interpreter (this test run
has already imported everything) and look at `sys.modules`, as harlequin's import-hygiene
tests do: that catches what is loaded at run time, which an import statement may hide.

Every module of the three packages also says what it is for, in a docstring.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"whytree.shared": ROOT / "shared", "whytree.server": ROOT / "server", "whytree.tui": ROOT / "tui"}

_IMPORT_ALL = """
import importlib, json, pkgutil, sys
before = set(sys.modules)
package = importlib.import_module({package!r})
names = [package.__name__]
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    if info.name in {skip!r}:
        continue
    importlib.import_module(info.name)
    names.append(info.name)
new = sorted(set(sys.modules) - before)
print(json.dumps({{"imported": names, "modules": sorted(sys.modules), "new": new}}))
"""


class Imported(NamedTuple):
    package: list[str]
    """The package's own modules, all imported."""
    modules: set[str]
    """Everything in `sys.modules` afterwards."""
    new: set[str]
    """What importing the package added to `sys.modules`."""


def import_everything(package: str, skip: frozenset[str] = frozenset()) -> Imported:
    """Import every module of `package` but those in `skip`, in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-I", "-c", _IMPORT_ALL.format(package=package, skip=set(skip))],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    return Imported(found["imported"], set(found["modules"]), set(found["new"]))


def loaded(modules: set[str], forbidden: str) -> bool:
    return forbidden in modules or any(name.startswith(forbidden + ".") for name in modules)


def module_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


SHARED_MUST_NOT_LOAD = ["asyncio", "websockets", "textual", "sqlite3", "socket", "ssl", "selectors",
                        "zeroconf", "platformdirs", "whytree.server", "whytree.tui"]
SERVER_MUST_NOT_LOAD = ["textual", "whytree.tui"]
HOST_STARTERS = frozenset({"whytree.tui.app", "whytree.tui.cli"})
"""The terminal client's only modules that may load the server: to run it in host mode."""


@pytest.fixture(scope="module")
def shared() -> Imported:
    return import_everything("whytree.shared")


@pytest.fixture(scope="module")
def server() -> Imported:
    return import_everything("whytree.server")


def test_every_shared_module_was_imported(shared: Imported) -> None:
    expected = {"whytree.shared." + path.stem for path in module_files(PACKAGES["whytree.shared"])
                if path.stem != "__init__"}
    assert expected <= set(shared.package)


@pytest.mark.parametrize("forbidden", SHARED_MUST_NOT_LOAD)
def test_shared_does_no_io(shared: Imported, forbidden: str) -> None:
    assert not loaded(shared.modules, forbidden), f"importing whytree.shared loads {forbidden}"


def test_shared_needs_only_msgspec_and_the_standard_library(shared: Imported) -> None:
    outside = {name.split(".")[0] for name in shared.new} - set(sys.stdlib_module_names)
    # typing_extensions comes with msgspec.
    assert outside <= {"whytree", "msgspec", "typing_extensions"}, (
        f"whytree.shared loads third-party packages: {sorted(outside)}"
    )


def test_every_server_module_was_imported(server: Imported) -> None:
    expected = {"whytree.server." + path.stem for path in module_files(PACKAGES["whytree.server"])
                if path.stem != "__init__"}
    assert expected <= set(server.package)


@pytest.mark.parametrize("forbidden", SERVER_MUST_NOT_LOAD)
def test_server_never_imports_the_terminal_ui(server: Imported, forbidden: str) -> None:
    assert not loaded(server.modules, forbidden), f"importing whytree.server loads {forbidden}"


def test_the_terminal_client_loads_the_server_only_to_host() -> None:
    """A participant's screens, widgets, link, trust and LAN browsing run without any of
    the server's code: only the modules that start a host may bring it in."""
    client = import_everything("whytree.tui", skip=HOST_STARTERS)
    expected = {"whytree.tui." + ".".join(path.relative_to(PACKAGES["whytree.tui"]).with_suffix("").parts)
                for path in module_files(PACKAGES["whytree.tui"]) if path.stem != "__init__"}
    assert expected - HOST_STARTERS <= set(client.package)
    server_modules = sorted(name for name in client.modules if loaded({name}, "whytree.server"))
    assert not server_modules, f"the terminal client loads {server_modules}"


def test_the_import_contracts_hold() -> None:
    """`lint-imports` checks the contracts in pyproject.toml (and fails on a broken one)."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), "import-linter is missing: install the dev extra (`run.py test` does)"
    result = subprocess.run([str(lint_imports), "--no-cache", "--no-logo"], capture_output=True,
                            text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and " KEPT" in result.stdout


@pytest.mark.parametrize(
    "path",
    [path for folder in PACKAGES.values() for path in module_files(folder)],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_every_module_has_a_docstring(path: Path) -> None:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring and docstring.strip(), f"{path.relative_to(ROOT)} has no module docstring"
