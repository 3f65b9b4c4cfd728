"""Per-rule fixture cases (tests/fixtures/rules/<CODE>/cases.toml), run by the harness plugin authors use too.

Each case gives an input 837P, the segment replacements expected (written by hand from the rule's
source) and the expected change-log records; `edi837.testing.cases.run_case` builds the expected output
from the input and those replacements, independently of edi837, and checks: the output is exactly that;
the records carry exactly those fields; the output passes pyx12; a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from edi837.rules import all_factories
from edi837.testing.cases import RuleCase, case_options, case_params, load_cases, run_case
from tests.helpers import FIXTURES

CASES_DIR = FIXTURES / "rules"


@pytest.mark.parametrize("case", case_params(CASES_DIR))
def test_rule_case(case: RuleCase) -> None:
    run_case(case)


def test_every_rule_has_a_folder_of_its_own() -> None:
    """One fixture folder per rule code, named by the code: its cases.toml, the inputs its cases name and the
    builder part that makes them (inputs.py); every folder names a rule that exists, and nothing of a rule lies
    loose beside the folders."""
    from edi837.engine.registry import rule_schemas

    codes = set(rule_schemas(all_factories()))
    files = {p.parent.name for p in CASES_DIR.glob("*/cases.toml")}
    shared = {"_specs.py", "_modifiers_time.py", "_third_audit.py", "build_inputs.py", "__pycache__"}  # builders
    assert {p.name for p in CASES_DIR.iterdir()} - files <= shared
    # EDI001 (claim totals) is in every case that changes a charge; EDI003 (a held claim) is the split's: held
    # claims leave the output, which a case's segment replacements cannot say (tests/test_split.py).
    assert codes - {"EDI001", "EDI003"} <= files
    assert files <= codes
    for case in load_cases(CASES_DIR):  # a case lives in the file of a rule it is about
        rules = {r.get("rule") for r in case.data.get("records", [])}
        assert not rules or case.rule in rules or case.rule.startswith("EDI"), case.id


def test_each_folder_builds_the_inputs_it_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule folder's inputs.py names exactly the 837 files of its folder (its part of build_inputs.py)."""
    import importlib.util

    monkeypatch.syspath_prepend(str(CASES_DIR))  # as when build_inputs.py runs: _specs.py beside it
    for folder in sorted(p.parent for p in CASES_DIR.glob("*/cases.toml")):
        spec = importlib.util.spec_from_file_location(f"inputs_{folder.name}", folder / "inputs.py")
        assert spec is not None and spec.loader is not None, folder.name
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        made = {*module.INPUTS, *getattr(module, "INTERCHANGES", {}), *getattr(module, "SPECIAL", {})}
        assert made == {p.name for p in folder.glob("*.837")}, folder.name


def test_inputs_are_not_the_real_samples() -> None:
    """Fixtures are synthetic: none is byte-identical to a file of the public samples."""
    from tests.helpers import sample_files

    samples = {p.read_bytes() for p in sample_files()}
    assert not any(p.read_bytes() in samples for p in Path(CASES_DIR).rglob("*.837"))


def test_every_record_action_is_one_of_the_contract() -> None:
    """docs/change-log.md fixes the action values; a rule that invents one breaks every consumer of the log."""
    from edi837.engine.records import ACTIONS
    from edi837.pipeline import fix

    for case in load_cases(CASES_DIR):
        data = (case.file.parent / case.data["input"]).read_bytes()
        # The records do not depend on the gate (run_case checks each case's output with pyx12 itself).
        for record in fix(data, replace(case_options(case), validate=False)).records:
            assert record.action in ACTIONS, record
