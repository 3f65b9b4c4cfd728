"""Rule cases: how every rule is tested, built-in or plugin (sqlfluff's YAML rule cases, in TOML).

One TOML file per rule code holds its cases: either `<CODE>/cases.toml`, in a folder of the rule's own with
the input files its cases name (edi837's own fixtures: tests/fixtures/rules/NC001/), or `<CODE>.toml` beside
its inputs. Each `[[case]]` is:

```toml
[[case]]
name = "distinct-region"                  # unique within the file
input = "nc001_distinct.837"              # an 837P file, relative to the TOML file
why = "98940 lumbar; 97140 shoulder ..."  # what the case shows, from the rule's source
changes = [["SV1*HC:97140*40*UN*1***2", "SV1*HC:97140:59*40*UN*1***2"]]   # [before, after(, occurrence)]
records = [{ claim_id = "NC001-A", line_number = 2, rule = "NC001", action = "append_modifier",
             applied = true, words = ["a region other than"], absent = ["appended"] }]
exit_code = 0                             # optional: what edi-fix exits with
packs = "packs/xs_payer"                  # optional: a --packs folder, relative to the TOML file (or `rules`)
minutes = "side.csv"                      # optional: a --minutes file
apply_review = false                      # optional
input_invalid = false                     # optional: the input already fails pyx12 (the fix may add no error)
ncci = "ncci/pairs.toml"                  # optional: the case's NCCI database (else none, whatever the machine has)
ncci_version = "v321r0"                   # optional: pin a version of it
icd10 = "icd10/releases.toml"             # optional: the case's ICD-10-CM store (else the shipped releases alone)
```

`ncci` names a spec of CMS rows (a `.toml` with `[ptp] version, rows = [[column1, column2, effective,
deletion, indicator], ...]` and `[mue] version, rows = [[code, value, MAI], ...]`, see
`edi837.testing.ncci_files.write_spec`), which the harness writes as CMS-layout files and imports into a
temporary database; or an NCCI database file; or CMS files to import. Without it a case runs with no
NCCI database, so a database at the per-user location never changes a case's result. `icd10` is the same
for the ICD-10-CM store (`edi837.testing.icd10_files`): a spec of releases, a store, or CMS files; without
it a case reads the releases shipped with edi837 alone.

`changes` are the segment replacements that turn the input into the expected output, written by hand
from the rule's source; the expected output is built from them without edi837. `records` are the
change-log records in order (any record field, plus `words` the message must contain and `absent` words
it must not), EDI001 claim-total records excepted. Each case also checks that the output passes pyx12
and that a second run changes nothing.

A plugin author tests a plugin rule the same way: `run_case(case, extra_rules=(MyRule,))`, or
`case_params(folder)` for pytest's parametrize.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from edi837.engine.engine_rules import CLAIM_TOTAL_RULE
from edi837.engine.registry import RuleLike
from edi837.packs import RulePacks
from edi837.pipeline import FixOptions, FixResult, fix

Errors = Callable[[bytes], list[str]]
CASES_FILE = "cases.toml"  # a rule folder's case file: <CODE>/cases.toml


@dataclass(frozen=True)
class RuleCase:
    """One case of a rule-case file."""

    file: Path  # the TOML file it came from
    name: str
    data: dict[str, Any]

    @property
    def rule(self) -> str:
        """The rule code the case file is for: its folder's name (`NC001/cases.toml`) or its own (`NC001.toml`)."""
        return self.file.parent.name if self.file.name == CASES_FILE else self.file.stem

    @property
    def id(self) -> str:
        return f"{self.rule}-{self.name}"

    def path(self, key: str) -> Path | None:
        value = self.data.get(key)
        return self.file.parent / value if value else None


def load_cases(where: Path) -> list[RuleCase]:
    """The cases of one rule-case file, or of a folder's: every `<CODE>/cases.toml` and `<CODE>.toml` in it,
    by rule code."""
    files = ([*where.glob(f"*/{CASES_FILE}"), *where.glob("*.toml")] if where.is_dir() else [where])
    files.sort(key=lambda f: f.parent.name if f.name == CASES_FILE else f.stem)
    cases = []
    for file in files:
        for entry in tomllib.loads(file.read_text(encoding="utf-8")).get("case", []):
            cases.append(RuleCase(file, str(entry["name"]), entry))
    return cases


def case_params(where: Path) -> list[Any]:
    """The cases as `pytest.param`s with readable ids, for `@pytest.mark.parametrize("case", ...)`."""
    import pytest

    return [pytest.param(case, id=case.id) for case in load_cases(where)]


def expected_output(data: bytes, changes: Sequence[Sequence[Any]]) -> bytes:
    """The input with the hand-written segment replacements applied, in order.

    A replacement names its `before` text; if that text occurs more than once it must give which
    occurrence (1-based) is meant, so a case can never match the wrong segment by accident.
    """
    for change in changes:
        before, after = str(change[0]).encode(), str(change[1]).encode()
        occurrence = int(change[2]) if len(change) > 2 else None
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


def case_options(case: RuleCase, extra_rules: Sequence[Callable[[RulePacks], RuleLike]] = ()) -> FixOptions:
    """The run settings a case asks for (its --packs folder, minutes file, --apply-review, NCCI database)."""
    ncci = case.path("ncci")
    if ncci is not None:
        from edi837.testing.ncci_files import ncci_database

        ncci = ncci_database(ncci)
    icd10 = case.path("icd10")
    if icd10 is not None:
        from edi837.testing.icd10_files import icd10_database

        icd10 = icd10_database(icd10)
    options = FixOptions(packs_dir=case.path("packs") or case.path("rules"),  # `rules`: the key's older name
                         apply_review=bool(case.data.get("apply_review", False)),
                         minutes_file=case.path("minutes"), ncci_db=ncci or False,
                         ncci_version=str(case.data.get("ncci_version", "")) or (), icd10_db=icd10 or False)
    if extra_rules:
        from edi837.icd10.source import attach as attach_icd10
        from edi837.ncci.source import attach
        from edi837.packs import load_packs

        packs = load_packs(options.packs_dir)
        attach(packs, options.ncci_db, (options.ncci_version,) if isinstance(options.ncci_version, str) else ())
        attach_icd10(packs, options.icd10_db)
        options.extra_rules = tuple(factory(packs) for factory in extra_rules)
    return options


def pyx12_errors(data: bytes, *, fresh_map: bool = False) -> list[str]:
    """pyx12's own verdict on some bytes, run directly (not through edi837's gate): its error texts.

    pyx12 parses its 1.1 MB map on every call; a map parsed once per process gives the same verdicts at a
    tenth of the cost. `fresh_map` lets pyx12 parse it as it would alone: tests/test_gate_differential.py
    compares the two."""
    import io
    import json
    import logging
    from contextlib import nullcontext

    import pyx12.params
    import pyx12.x12n_document

    from edi837.gate.pyx12_gate import maps_loaded_once

    logging.getLogger("pyx12").setLevel(logging.CRITICAL + 1)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    report = io.StringIO()
    with nullcontext() if fresh_map else maps_loaded_once():
        text = io.StringIO(data.decode("latin-1"), newline="")
        ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), text, None, None, None, report)
    errors: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for err in node.get("errors", []):
                errors.append(f"{node.get('seg_id', '')}{node.get('ele_pos', '')}: {err.get('err_str')}")
            for value in node.values():
                if isinstance(value, list):
                    for child in value:
                        walk(child)

    walk(json.loads(report.getvalue()))
    if not ok and not errors:
        errors.append("pyx12 returned failure without listing an error")
    return errors


def run_case(case: RuleCase, *, extra_rules: Sequence[Callable[[RulePacks], RuleLike]] = (),
             errors: Errors = pyx12_errors) -> FixResult:
    """Run one case and assert what it says; returns the result for further checks."""
    data = (case.file.parent / case.data["input"]).read_bytes()
    options = case_options(case, extra_rules)
    # The gate runs only where the input is known to be invalid (its exit code counts pre-existing errors);
    # elsewhere the output is checked by pyx12 directly below, once, instead of by the gate and again here.
    result = fix(data, replace(options, validate=bool(case.data.get("input_invalid"))))
    why = case.data.get("why", case.name)
    assert result.output == expected_output(data, case.data.get("changes", [])), why
    records = [r for r in result.records if r.rule != CLAIM_TOTAL_RULE]
    expected_records = case.data.get("records", [])
    assert len(records) == len(expected_records), [r.message for r in records]
    for record, expected in zip(records, expected_records, strict=True):
        expected = dict(expected)
        words, absent = expected.pop("words", []), expected.pop("absent", [])
        actual = {key: getattr(record, key) for key in expected}
        assert actual == expected, record.message
        assert [w for w in words if w not in record.message] == [], record.message
        assert [w for w in absent if w in record.message] == [], record.message
        if not record.applied:
            assert (record.segment_before, record.segment_after) == (None, None), record
    if "exit_code" in case.data:
        assert result.exit_code == case.data["exit_code"], [r.message for r in records]
    if case.data.get("changes"):
        assert result.output is not None
        if case.data.get("input_invalid"):  # the input's own errors stay; the fix may add none
            assert set(errors(result.output)) <= set(errors(data))
        else:
            assert errors(result.output) == []
        again = fix(result.output, replace(case_options(case, extra_rules), validate=False))  # checked just above
        assert again.output == result.output, f"{case.id}: a second run changed the output"
        assert again.applied == [], f"{case.id}: a second run applied fixes"
    return result
