"""DX001 in a whole run: held with --hold invalid, counted when a date is not covered, the store chosen as
for NCCI, and clean claims not parsed. The rule's own cases are in tests/fixtures/rules/DX001/cases.toml."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

from edi837.engine import ClaimContext
from edi837.icd10.source import open_source
from edi837.model.claim import Claim
from edi837.model.walker import Walker
from edi837.packs import load_packs
from edi837.pipeline import FixOptions, fix
from edi837.report.summary import summary_json, summary_text
from edi837.rules.dx001 import InvalidDiagnosis
from edi837.testing.generator import ClaimSpec, LineSpec, build_837
from edi837.x12.envelope import SegmentStream
from tests.cli_helpers import edi_fix, one_refusal
from tests.helpers import FIXTURES, pyx12_errors

RELEASES = FIXTURES / "icd10" / "releases.toml"
MAY = date(2026, 5, 4)  # in the shipped FY2026 April update: M54.5 is a header, M54.50 and M99.03 billable


def claim(claim_id: str, dx: tuple[str, ...], day: date = MAY) -> ClaimSpec:
    return ClaimSpec(claim_id, dx, (LineSpec("98940", "45", pointers=(1,), service_date=day),
                                    LineSpec("97110", "38", pointers=(len(dx),), service_date=day)))


def test_hold_invalid_holds_a_claim_with_a_retired_diagnosis_and_delivers_the_rest() -> None:
    data = build_837([claim("OK-1", ("M9903", "M5450")), claim("BAD-1", ("M9903", "M545")),
                      claim("OK-2", ("M9903",))])
    result = fix(data, FixOptions(icd10_db=False, hold=frozenset({"invalid"})))
    assert [h.claim_id for h in result.held] == ["BAD-1"]
    assert result.held[0].hold_reasons[0] == "invalid: DX001 line 2 (error-severity findings)"
    assert result.delivered_claims == 2 and result.exit_code == 1
    assert result.held_output is not None and b"CLM*BAD-1*" in result.held_output
    assert result.output is not None and b"CLM*BAD-1*" not in result.output
    assert pyx12_errors(result.output) == [] and pyx12_errors(result.held_output) == []
    # without a hold policy the claim goes out with its error-severity record, and the run says so (exit 1)
    plain = fix(data, FixOptions(icd10_db=False))
    assert [(r.claim_id, r.rule, r.severity, r.applied) for r in plain.records] == [
        ("BAD-1", "DX001", "error", False)]
    assert plain.output == data and plain.exit_code == 1


def test_a_date_no_release_covers_is_counted_in_the_summary_not_guessed() -> None:
    """2026-10-05 is in FY2027, whose release is not shipped and lies after the newest one: not judged."""
    data = build_837([claim("OCT-1", ("M9903", "M545"), date(2026, 10, 5)), claim("MAY-1", ("M9903", "M5450"))])
    result = fix(data, FixOptions(validate=False, icd10_db=False))
    assert result.records == [] and result.exit_code == 0
    assert json.loads(summary_json(result, output="o", changelog=None))["notes"] == {"icd10-date-not-covered": 1}
    assert "1 claim with dates of service no loaded ICD-10-CM release covers" in summary_text(
        result, output="o", changelog=None)


def test_the_cli_reads_the_store_given_and_refuses_a_missing_one(tmp_path: Path) -> None:
    from edi837.testing.icd10_files import icd10_database

    store = icd10_database(RELEASES)  # FY2026 (October) imported: 2026-03-02 is covered
    source = FIXTURES / "rules" / "DX001" / "dx001_m545_2026.837"
    out = tmp_path / "out.837"
    done = edi_fix(str(source), str(out), "--icd10-db", str(store), "--no-validate")
    assert done.returncode == 1, done.stderr
    [record] = [json.loads(line) for line in Path(f"{out}.changes.jsonl").read_text().splitlines()]
    assert (record["rule"], record["claim_id"], record["severity"]) == ("DX001", "DX-A", "error")
    assert record["source"].startswith("ICD-10-CM FY2026 (icd10cm-order-2026.txt)")
    missing = edi_fix(str(source), str(tmp_path / "o2.837"), "--icd10-db", str(tmp_path / "none.sqlite3"))
    assert missing.returncode == 2
    assert "--icd10-db names" in one_refusal(missing.stderr.decode()) and not (tmp_path / "o2.837").exists()
    env = {"EDI837_ICD10_DB": str(store), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    by_env = edi_fix(str(source), str(tmp_path / "o3.837"), "--no-validate", env=env)
    assert by_env.returncode == 1 and b"DX001" in Path(f"{tmp_path / 'o3.837'}.changes.jsonl").read_bytes()


def test_a_clean_claim_is_judged_from_its_raw_bytes_without_parsing() -> None:
    packs = load_packs(None)
    packs.icd10 = open_source(None)
    rule = InvalidDiagnosis(packs)
    data = build_837([claim("OK-1", ("M9903", "M5450")), claim("BAD-1", ("M9903", "M545"))])
    clean, bad = [unit for unit in Walker(SegmentStream(io.BytesIO(data))) if type(unit) is Claim]
    assert rule.wants(clean, ClaimContext(packs, None)) is False
    assert clean._lines is None  # never parsed
    assert rule.wants(bad, ClaimContext(packs, None)) is True
    packs.close()


def test_other_hi_qualifiers_are_left_alone() -> None:
    """An HI of condition codes (BG) is not a diagnosis: never judged as one."""
    data = build_837([claim("BG-1", ("M9903", "M5450"))])
    found = re.search(rb"~\s*SE\*(\d+)\*", data)
    assert found is not None
    count = int(found.group(1))
    data = data.replace(b"HI*ABK:M9903*ABF:M5450~", b"HI*ABK:M9903*ABF:M5450~HI*BG:M545~").replace(
        f"SE*{count}*".encode(), f"SE*{count + 1}*".encode())
    result = fix(data, FixOptions(validate=False, icd10_db=False))
    assert result.records == []


def test_several_processes_give_the_findings_one_gives(tmp_path: Path) -> None:
    """DX001 on the claim workers (--jobs): each worker reads the store the caller opened; the same records."""
    import os
    import pickle
    import subprocess
    import sys

    from edi837.testing.icd10_files import icd10_database
    from edi837.testing.random_claims import random_claims

    spec = tmp_path / "fy2026.toml"  # the generator's codes, valid in FY2026; M54.5 a header over M54.50-M54.59
    spec.write_text('[[release]]\nversion = "FY2026"\nheaders = ["M54", "M545", "M99", "M990"]\nbillable = ['
                    '"M542", "M5450", "M5451", "M5459", "M25511", "M25561", "S134XXA", "G4452", "M6281", '
                    + ", ".join(f'"M990{n}"' for n in range(1, 8)) + "]\n")
    store = icd10_database(spec)
    claims = build_837(random_claims(300, seed=4, shapes=True), claims_per_transaction=90, seed=4)
    data = claims.replace(b":M5450*", b":M545*").replace(b":M5450~", b":M545~")  # retired M54.5 on some claims
    source, target = tmp_path / "in.837", tmp_path / "runs.pickle"
    source.write_bytes(data)
    env = {**os.environ, "EDI837_ICD10_DB": str(store)}
    subprocess.run([sys.executable, str(Path(__file__).parent / "jobs_probe.py"), str(source), str(target), "1,2",
                    "invalid"], check=True, cwd=Path(__file__).parent.parent, env=env, timeout=300)
    runs = pickle.loads(target.read_bytes())
    one, two = runs[1][1], runs[2][1]
    assert two["jobs"] == 2
    held = [reasons for _, _, reasons, _ in one["held"]]
    # M54.5 claims held (DX001); the only other error-severity findings the generator's claims can carry are
    # MC004's (Medicare CMT whose primary diagnosis is not a subluxation) and MC006's (Medicare CMT without the
    # initial treatment date, which the generator leaves out)
    assert any("invalid: DX001" in r[0] for r in held)
    assert all(r[0].startswith(("invalid: DX001", "invalid: MC004", "invalid: MC006")) for r in held)
    for key in one:
        if key != "jobs":
            assert two[key] == one[key], key


def test_an_october_release_after_april_first_says_nothing_of_codes_it_does_not_list() -> None:
    """FY2022's October release, no April 2022 update loaded: on 2022-05-02 a code it does not list may have come
    with that update (not covered), while a header it lists is still a header."""
    from edi837.testing.icd10_files import icd10_database

    source = open_source(icd10_database(RELEASES))
    try:
        assert source.verdict("M5458", date(2022, 3, 31)).kind == "unknown"  # before April 1: the release answers
        assert source.verdict("M5458", date(2022, 5, 2)).kind == "not-covered"
        assert source.verdict("M545", date(2022, 5, 2)).kind == "header"
    finally:
        source.close()
    data = build_837([claim("MAY22-1", ("M9903", "M5458"), date(2022, 5, 2))])
    result = fix(data, FixOptions(validate=False, icd10_db=icd10_database(RELEASES)))
    assert result.records == [] and result.notes["icd10-date-not-covered"] == 1


def test_a_valid_code_is_answered_by_the_release_in_force_alone() -> None:
    """A code billable in the release in force needs no other release: the shipped table is not even read."""
    from edi837.icd10.shipped import ShippedTable
    from edi837.testing.icd10_files import icd10_database

    source = open_source(icd10_database(RELEASES))
    try:
        [table] = [c for c in source.catalogs if isinstance(c, ShippedTable)]
        assert source.verdict("M5450", date(2026, 3, 2)).kind == "valid"  # imported FY2026
        assert "_lines" not in vars(table)
        assert source.verdict("M545", date(2026, 3, 2)).kind == "header"  # its history reads every release
        assert "_lines" in vars(table)
    finally:
        source.close()
