"""Fix runs with the NCCI database: where it is found, which version answers, and what the records cite.

The databases are built from small specs through the CMS-layout writer and the real importer
(edi837.testing.ncci_files); expected sources are written from the spec's rows and file layout.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import edi837
from edi837.cli.app import main
from edi837.delivery.hook import fix_in_place
from edi837.delivery.watch import watch
from edi837.errors import InputRefused
from edi837.ncci import paths
from edi837.pipeline import FixOptions
from edi837.testing.generator import ClaimSpec, LineSpec, build_837
from edi837.testing.ncci_files import ncci_database
from tests.helpers import FIXTURES

RULES = FIXTURES / "rules"
CMS = FIXTURES / "ncci" / "cms.toml"
DISTINCT = (RULES / "NC001" / "nc001_distinct.837").read_bytes()  # 98940 lumbar, 97140 shoulder, 2026-03-02
# The test files are written by edi837's generator, which marks them synthetic: every record citing them says so.
NOT_CMS = "an edi837 test file, not from CMS"
NC001_CMS = (f"SYNTHETIC NCCI PTP practitioner v321r0 (ccipra-v321r0-f1.txt, {NOT_CMS}): 98940/97140 indicator 1, "
             "effective 2002-04-01")
TWO_VERSIONS = """
[[ptp_versions]]
version = "v320r0"
rows = [["98940", "97140", "20020401", "*", 1]]

[[ptp_versions]]
version = "v321r0"
rows = [["98940", "97140", "20020401", "20260101", 1], ["98940", "97140", "20260101", "*", 0]]
"""


def spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return ncci_database(path)


def nc_records(result: edi837.FixResult) -> list[tuple[str, str | None, str | None]]:
    return [(r.rule, r.action, r.source) for r in result.records if r.rule.startswith("NC")]


def test_nc001_fix_cites_the_cms_row() -> None:
    result = edi837.fix(DISTINCT, ncci_db=ncci_database(CMS), validate=False)
    assert nc_records(result) == [("NC001", "append_modifier", NC001_CMS)]
    assert b"SV1*HC:97140:59*40*UN*1***2" in (result.output or b"")


def test_nc002_reads_the_column_order_of_the_cms_row() -> None:
    data = (RULES / "NC002" / "nc002_pair.837").read_bytes()  # 97110, 97530, 97140 on one date
    # the 59 on 97530 is a review fix (separate time blocks are not on the claim): --apply-review writes it
    result = edi837.fix(data, ncci_db=ncci_database(CMS), validate=False, apply_review=True)
    assert nc_records(result) == [("NC002", "append_modifier", "SYNTHETIC NCCI PTP practitioner v321r0 "
                                   f"(ccipra-v321r0-f2.txt, {NOT_CMS}): 97140/97530 indicator 1, effective 2000-01-01")]
    assert b"SV1*HC:97530:59*45*UN*1***2" in (result.output or b"")


def test_newest_version_answers_unless_pinned(tmp_path: Path) -> None:
    """v321r0 has 98940/97140 at indicator 0 from 2026-01-01; v320r0 still at 1. The newest answers; a pin
    reads the older one, and the record says which."""
    db = spec(tmp_path, TWO_VERSIONS)
    newest = edi837.fix(DISTINCT, ncci_db=db, validate=False)
    assert nc_records(newest) == [("NC004", "review", "SYNTHETIC NCCI PTP practitioner v321r0 (ccipra-v321r0-f2.txt, "
                                   f"{NOT_CMS}): 98940/97140 indicator 0, effective 2026-01-01")]
    assert newest.output == DISTINCT
    pinned = edi837.fix(DISTINCT, ncci_db=db, ncci_version="v320r0", validate=False)
    assert nc_records(pinned) == [("NC001", "append_modifier", "SYNTHETIC NCCI PTP practitioner v320r0 "
                                   f"(ccipra-v320r0-f1.txt, {NOT_CMS}): 98940/97140 indicator 1, effective 2002-04-01")]
    with pytest.raises(InputRefused, match="--ncci-version v319r0: not loaded"):
        edi837.fix(DISTINCT, ncci_db=db, ncci_version="v319r0", validate=False)


def _units_claim(day: str) -> bytes:
    from datetime import date

    line = LineSpec("97110", "114", units="3", service_date=date.fromisoformat(day))
    return build_837([ClaimSpec("MUE-Q", ("M25511",), (line,), payer_id="ACME1", payer_name="ACME",
                                claim_filing="CI")], seed=3)


def test_mue_table_is_chosen_by_date_of_service(tmp_path: Path) -> None:
    """2026-q1 says 97110 MUE 4, 2026-q2 says 2: three units are over only from April (unless q1 is pinned)."""
    folder = tmp_path / "files"
    folder.mkdir()
    from edi837.testing.ncci_files import MueEntry, mue_name, write_mue

    for version, value in (("2026-q1", "4"), ("2026-q2", "2")):
        write_mue(folder / mue_name(version), [MueEntry("97110", value, 3)], version)
    db = ncci_database(folder)
    march = edi837.fix(_units_claim("2026-03-30"), ncci_db=db, validate=False)
    april = edi837.fix(_units_claim("2026-04-01"), ncci_db=db, validate=False)
    assert [r.rule for r in march.records] == []
    assert [(r.rule, r.source.split(":")[0] if r.source else None) for r in april.records] == [
        ("MUE001", f"SYNTHETIC NCCI MUE practitioner 2026-q2 (MCR_MUE_PractitionerServices_Eff_04-01-2026.csv, "
                   f"{NOT_CMS})")]
    pinned = edi837.fix(_units_claim("2026-04-01"), ncci_db=db, ncci_version="2026-q1", validate=False)
    assert pinned.records == []


def test_where_the_database_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--ncci-db, then EDI837_NCCI_DB (empty: none), then the per-user file, which may be absent."""
    option, env, default = tmp_path / "option.sqlite3", tmp_path / "env.sqlite3", tmp_path / "user" / "ncci.sqlite3"
    monkeypatch.setattr(paths, "default_path", lambda: default)
    monkeypatch.delenv(paths.ENV_VAR)
    assert paths.for_run(None) is None  # no per-user file yet: run without
    default.parent.mkdir()
    default.write_bytes(b"")
    assert paths.for_run(None) is None  # an empty file is no database either
    default.write_bytes(b"SQLite format 3\x00")
    assert paths.for_run(None) == default
    monkeypatch.setenv(paths.ENV_VAR, str(env))
    with pytest.raises(InputRefused, match="EDI837_NCCI_DB names"):
        paths.for_run(None)  # named but missing: refused, never a silent fallback
    env.write_bytes(b"")
    assert paths.for_run(None) == env
    with pytest.raises(InputRefused, match="--ncci-db names"):
        paths.for_run(option)
    option.write_bytes(b"")
    assert paths.for_run(option) == option
    assert paths.for_run(False) is None
    monkeypatch.setenv(paths.ENV_VAR, "")
    assert paths.for_run(None) is None
    assert paths.for_import(option) == option
    with pytest.raises(InputRefused):
        paths.for_import(None)


def _source_of(log: Path) -> list[str | None]:
    return [json.loads(line).get("source") for line in log.read_text().splitlines()
            if json.loads(line)["rule"] == "NC001"]


def test_every_entry_point_finds_the_database_the_same_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """EDI837_NCCI_DB reaches the CLI, the hook, the watcher and the API; --ncci-db on the CLI too."""
    db = ncci_database(CMS)
    monkeypatch.setenv(paths.ENV_VAR, str(db))
    src = tmp_path / "in.837"
    src.write_bytes(DISTINCT)
    assert main([str(src), str(tmp_path / "out.837"), "--no-validate"]) in (0, 1)
    assert _source_of(tmp_path / "out.837.changes.jsonl") == [NC001_CMS]
    hooked = tmp_path / "hook.837"
    hooked.write_bytes(DISTINCT)
    fix_in_place(hooked, changelog=tmp_path / "hook.jsonl", as_json=True, options=FixOptions(validate=False))
    assert _source_of(tmp_path / "hook.jsonl") == [NC001_CMS]
    outbound, ready = tmp_path / "outbound", tmp_path / "ready"
    outbound.mkdir()
    ready.mkdir()
    (outbound / "week.837").write_bytes(DISTINCT)
    watch(outbound, ready, FixOptions(validate=False), once=True, settle=0)
    assert _source_of(outbound / "logs" / "week.837.changes.jsonl") == [NC001_CMS]
    assert _source_of_api(edi837.fix(DISTINCT, validate=False)) == [NC001_CMS]
    monkeypatch.setenv(paths.ENV_VAR, "")
    assert _source_of_api(edi837.fix(DISTINCT, validate=False)) != [NC001_CMS]  # the shipped pack's row
    assert main([str(src), str(tmp_path / "opt.837"), "--no-validate", "--ncci-db", str(db)]) in (0, 1)
    assert _source_of(tmp_path / "opt.837.changes.jsonl") == [NC001_CMS]


def _source_of_api(result: edi837.FixResult) -> list[str | None]:
    return [r.source for r in result.records if r.rule == "NC001"]


def test_a_named_database_that_is_missing_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.837"
    src.write_bytes(DISTINCT)
    assert main([str(src), str(tmp_path / "out.837"), "--ncci-db", str(tmp_path / "typo.sqlite3")]) == 2
    err, typo = capsys.readouterr().err, tmp_path / "typo.sqlite3"
    assert [line for line in err.splitlines() if line.startswith("edi-fix: refused:")] == [
        f"edi-fix: refused: {src}: --ncci-db names {typo}, which is not an NCCI database file; load one with "
        f"`edi-fix ncci import --db {typo} FILE...` (or set EDI837_NCCI_DB empty to run without)"]
    assert not (tmp_path / "out.837").exists()


def test_mue_never_pools_a_line_whose_performer_is_unknown() -> None:
    """97110 MUE 4 (MAI 3): 3 units by the billing provider and 2 by a 2420A without an NPI are each within
    it; together they would be over, which is said as a condition, on both lines."""
    from datetime import date

    lines = (LineSpec("97110", "114", units="3", service_date=date(2026, 3, 2)),
             LineSpec("97110", "76", units="2", service_date=date(2026, 3, 2), rendering_npi="1245319599"))
    data = build_837([ClaimSpec("MUE-ANON", ("M25511",), lines, payer_id="ACME1", payer_name="ACME",
                                claim_filing="CI")], seed=3)
    assert data.count(b"*XX*1245319599") == 1
    data = data.replace(b"*XX*1245319599", b"")  # the line's 2420A loses its NPI: who performed it is unknown
    (record,) = edi837.fix(data, ncci_db=ncci_database(CMS), validate=False).records
    assert (record.rule, record.line_number, record.applied) == ("MUE001", 1, False)
    assert "5 units of 97110 on 2026-03-02 (lines 1, 2 together)" in record.message
    assert "if one provider performed them all (line 2's performer" in record.message
