"""Real public 837P files (../shared/samples, or $EDI837_SAMPLES): byte-identical through edi-fix, or refused.

The files are read by path and never copied into the project; the tests skip when the folder is absent.
A file that pyx12 passes must never be refused.
"""

from __future__ import annotations

from pathlib import Path

from edi837.errors import InputRefused
from edi837.pipeline import FixOptions, fix
from tests.helpers import pyx12_errors

# What we expect of each sample: "identical" or the reason it is refused. Checked by reading the files:
# the imsweb file declares SE*25 for a 34-segment transaction.
EXPECTED_REFUSALS = {
    "ims_x12_valid_different_separators.txt": "SE01 of transaction 987654 says 25 segments, it has 34",
}
# Review items (never changes) we expect on a sample, read off the file: the TR3's chiropractic example bills
# 98940 to Medicare Part B (SBR09 MB) for 2005-02-15 without AT, GA or GZ, which Medicare has required on CMT
# since 2004-10-01: MC001 asks a person.
EXPECTED_REVIEW = {"x222_chiropractic.edi": ["MC001"]}


def test_every_sample_is_identical_or_refused(samples: list[Path]) -> None:
    seen = {}
    for path in samples:
        data = path.read_bytes()
        try:
            result = fix(data, FixOptions(validate=True))
        except InputRefused as refused:
            seen[path.name] = str(refused)
            continue
        assert result.output == data, path.name
        assert [(r.rule, r.applied) for r in result.records] == [(rule, False) for rule in
                                                                  EXPECTED_REVIEW.get(path.name, [])], path.name
        seen[path.name] = "identical"
    for name, reason in EXPECTED_REFUSALS.items():
        if name in seen:
            assert reason in seen[name]
    refused = {n for n, r in seen.items() if r != "identical"}
    assert refused <= set(EXPECTED_REFUSALS), refused


def test_files_pyx12_passes_are_never_refused(samples: list[Path]) -> None:
    passing = [p for p in samples if not pyx12_errors(p.read_bytes())]
    assert len(passing) >= 10  # the TR3 examples, dbx_837p and uhin_837
    for path in passing:
        result = fix(path.read_bytes(), FixOptions(validate=True))
        assert result.warnings == [], path.name
        assert result.exit_code == (1 if path.name in EXPECTED_REVIEW else 0), path.name


def test_input_errors_become_warnings_with_locations(samples: list[Path]) -> None:
    oxygen = next((p for p in samples if p.name == "x222_oxygen.edi"), None)
    if oxygen is None:
        return
    result = fix(oxygen.read_bytes(), FixOptions(validate=True))
    assert [str(w) for w in result.warnings] == [
        "segment 24 PWK PWK02: invalid code value (Attachment Transmission Code) [7]",
        "segment 47 PWK PWK02: invalid code value (Attachment Transmission Code) [7]",
    ]
    assert result.exit_code == 1
