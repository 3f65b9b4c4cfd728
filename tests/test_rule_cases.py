"""Per-rule fixture cases (tests/fixtures/rules/<CODE>.toml), in the style of sqlfluff's YAML rule cases.

Each case gives an input 837P, the segment replacements expected (written by hand from the rule's
source) and the expected change-log records. The test builds the expected output from the input and
those replacements, independently of edi837, and checks: the output is exactly that; the records carry
exactly those fields; the output passes pyx12; a second run changes nothing (idempotency).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from edi837.pipeline import FixOptions, fix
from tests.helpers import FIXTURES, pyx12_errors

CASES_DIR = FIXTURES / "rules"


def load_cases() -> list[Any]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        for case in tomllib.loads(path.read_text())["case"]:
            cases.append(pytest.param(case, id=f"{path.stem}-{case['name']}"))
    return cases


def expected_output(data: bytes, changes: list[list[Any]]) -> bytes:
    for change in changes:
        before, after = change[0].encode(), change[1].encode()
        occurrence = change[2] if len(change) > 2 else None
        count = data.count(before)
        if occurrence is None:
            assert count == 1, f"{change[0]!r} occurs {count} times in the input; give an occurrence"
            data = data.replace(before, after)
        else:
            at = -1
            for _ in range(occurrence):
                at = data.index(before, at + 1)
            data = data[:at] + after + data[at + len(before):]
    return data


def options(case: dict[str, Any]) -> FixOptions:
    rules, minutes = case.get("rules"), case.get("minutes")
    return FixOptions(rules_dir=CASES_DIR / rules if rules else None, apply_review=case.get("apply_review", False),
                      minutes_file=CASES_DIR / minutes if minutes else None)


@pytest.mark.parametrize("case", load_cases())
def test_rule_case(case: dict[str, Any]) -> None:
    data = (CASES_DIR / case["input"]).read_bytes()
    result = fix(data, options(case))
    assert result.output == expected_output(data, case["changes"]), case["why"]
    rule_records = [r for r in result.records if r.rule != "EDI001"]
    assert len(rule_records) == len(case["records"]), [r.message for r in rule_records]
    for record, expected in zip(rule_records, case["records"], strict=True):
        expected = dict(expected)
        words, absent = expected.pop("words", []), expected.pop("absent", [])
        actual = {key: getattr(record, key) for key in expected}
        assert actual == expected, record.message
        assert [w for w in words if w not in record.message] == [], record.message
        assert [w for w in absent if w in record.message] == [], record.message
        if not record.applied:
            assert (record.segment_before, record.segment_after) == (None, None)
    if "exit_code" in case:
        assert result.exit_code == case["exit_code"], [r.message for r in rule_records]
    if case["changes"]:
        assert result.output is not None
        if case.get("input_invalid"):  # the input's own errors stay; the fix may add none
            assert set(pyx12_errors(result.output)) <= set(pyx12_errors(data))
        else:
            assert pyx12_errors(result.output) == []
        again = fix(result.output, options(case))
        assert again.output == result.output
        assert again.applied == []


def test_every_rule_has_cases() -> None:
    from edi837.engine.registry import build_rules
    from edi837.packs import load_packs

    codes = {rule.code for rule in build_rules(load_packs(), ["ALL"], [])} | {"EDI002"}
    assert codes <= {p.stem for p in CASES_DIR.glob("*.toml")}


def test_inputs_are_not_the_real_samples() -> None:
    """Fixtures are synthetic: none is byte-identical to a file of the public samples."""
    from tests.helpers import sample_files

    samples = {p.read_bytes() for p in sample_files()}
    assert not any(p.read_bytes() in samples for p in Path(CASES_DIR).glob("*.837"))


def test_every_record_action_is_one_of_the_contract() -> None:
    """DESIGN.md fixes the action values; a rule that invents one breaks every consumer of the log."""
    from edi837.changelog import ACTIONS

    for case in load_cases():
        data = (CASES_DIR / case.values[0]["input"]).read_bytes()
        for record in fix(data, options(case.values[0])).records:
            assert record.action in ACTIONS, record
