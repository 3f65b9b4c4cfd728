"""Imports run one way: down the floors of docs/architecture.md.

A module may import its own package and anything on a lower floor, never a higher one: that is what lets the
engine be read without the pipeline, the pipeline without the delivery, and a rule be tested with nothing
above it. Every `import` counts, at the top of a module or inside a function (a late import is still a
dependency, only a hidden one). A package missing from the table fails too, so a new package is given its
floor when it is made.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import REPO

PACKAGE = REPO / "edi837"
PARTS = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}

# The floor table (docs/architecture.md "Floors"): top-level package or module of edi837 -> its floor.
FLOORS: dict[str, int] = {
    "cli": 12, "__main__": 12, "testing": 12,  # the entry points; testing: the harness plugin authors run
    "batch": 11,
    "delivery": 10,
    "ledger": 9, "remit": 9,
    "report": 8,
    "pipeline": 7,
    "rules": 6,
    "engine": 5, "ncci": 5, "icd10": 5,
    "packs": 4, "datafiles": 4,
    "writer": 3, "gate": 3,
    "model": 2,
    "x12": 1, "files": 1,
    "__init__": 0, "errors": 0, "exits": 0, "log": 0, "words": 0, "resources": 0, "forking": 0,
}
# `edi837/__init__.py` is the API face: it re-exports `fix`, `run`, `FixOptions` lazily (a module
# __getattr__), so importing `edi837` costs nothing; those late imports are its whole job.
API_FACE = {("__init__", "pipeline")}


@dataclass(frozen=True)
class Import:
    file: Path
    line: int
    target: str  # the top-level part of edi837 it reaches: "pipeline", "errors", ...


def part_of(file: Path) -> str:
    """The top-level package or module of edi837 a file belongs to."""
    return file.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imports_of(file: Path) -> list[Import]:
    """Every import of an edi837 module in `file`, wherever it stands, as the top-level part it reaches."""
    found = []
    package = file.relative_to(REPO).with_suffix("").parts[:-1] if file.name != "__init__.py" else \
        file.relative_to(REPO).parent.parts
    for node in ast.walk(ast.parse(file.read_bytes(), str(file))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the file's own package upwards
                base = package[: len(package) - node.level + 1]
                module = ".".join(base) + (f".{node.module}" if node.module else "")
                names = [module] if node.module else [f"{module}.{alias.name}" for alias in node.names]
            elif node.module:
                names = [node.module] if node.module != "edi837" else [
                    f"edi837.{a.name if a.name in PARTS else '__init__'}" for a in node.names]  # __version__, fix
        for name in names:
            parts = name.split(".")
            if parts[0] == "edi837" and len(parts) > 1:
                found.append(Import(file, node.lineno, parts[1]))
    return found


def upward(file: Path) -> list[str]:
    """What is wrong with the imports of one file: each as 'file:line: floor A imports floor B'."""
    here = part_of(file)
    problems = []
    for imp in imports_of(file):
        where = f"{file.relative_to(REPO)}:{imp.line}"
        if imp.target not in FLOORS:
            problems.append(f"{where}: imports edi837.{imp.target}, which has no floor in the table")
        elif imp.target != here and FLOORS[imp.target] > FLOORS[here] and (here, imp.target) not in API_FACE:
            problems.append(f"{where}: {here} (floor {FLOORS[here]}) imports {imp.target} "
                            f"(floor {FLOORS[imp.target]})")
    return problems


def test_every_part_of_the_package_has_a_floor() -> None:
    parts = {part_of(p) for p in PACKAGE.rglob("*.py")}
    assert parts - FLOORS.keys() == set()


def test_no_module_imports_upward() -> None:
    problems = [problem for file in sorted(PACKAGE.rglob("*.py")) for problem in upward(file)]
    assert problems == []


@pytest.mark.parametrize(("source", "expected"), [
    ("from edi837.delivery.outputs import commit\n",
     "edi837/engine/x.py:1: engine (floor 5) imports delivery (floor 10)"),
    ("def f():\n    from ..report import html\n", "edi837/engine/x.py:2: engine (floor 5) imports report (floor 8)"),
    ("import edi837.cli.app\n", "edi837/engine/x.py:1: engine (floor 5) imports cli (floor 12)"),
    ("from edi837 import pipeline\n", "edi837/engine/x.py:1: engine (floor 5) imports pipeline (floor 7)"),
    ("from edi837.attic import thing\n", "edi837/engine/x.py:1: imports edi837.attic, which has no floor"),
])
def test_an_upward_import_is_named_with_its_line_and_both_floors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 source: str, expected: str) -> None:
    """The check itself: an engine module reaching up, at top level or in a function, absolutely or relatively."""
    fake = tmp_path / "edi837" / "engine" / "x.py"
    fake.parent.mkdir(parents=True)
    fake.write_text(source)
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    monkeypatch.setattr(f"{__name__}.PACKAGE", tmp_path / "edi837")
    (problem,) = upward(fake)
    assert problem.startswith(expected)


def test_downward_and_own_package_imports_are_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "edi837" / "engine" / "x.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("from edi837.model.claim import Claim\nfrom . import registry\nfrom .runner import run\n"
                    "import edi837.errors\ndef f():\n    from ..x12 import envelope\n")
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    monkeypatch.setattr(f"{__name__}.PACKAGE", tmp_path / "edi837")
    assert upward(fake) == []
