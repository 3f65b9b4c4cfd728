"""`edi-fix icd10 import | status | lookup`: the CMS/CDC ICD-10-CM code files into the store, and the shipped table.

Every file here is written by edi837.testing.icd10_files in the CDC layout (order file: order number, code,
0/1 header flag, descriptions; codes file: billable codes only); the expected rows are the codes each test
writes, never read off the importer's output.
"""

from __future__ import annotations

import gzip
import sqlite3
import tomllib
import zipfile
from datetime import date
from pathlib import Path

import pytest

from edi837.cli.app import main
from edi837.icd10.formats import release_in
from edi837.icd10.load import Outcome
from edi837.icd10.load import import_files as load_files
from edi837.icd10.shipped import DATA, RELEASES, TABLE
from edi837.icd10.source import open_source
from edi837.testing.icd10_files import codes_name, order_name, write_codes, write_order, write_release

# FY2022 around M54.5 (CDC FY2022 addenda: M54.5 became a header over M54.50, M54.51, M54.59 on 2021-10-01).
HEADERS = ["M54", "M545"]
BILLABLE = ["M5450", "M5451", "M5459", "M9903"]


def stored(db: Path) -> list[tuple[str, int, str]]:
    with sqlite3.connect(db) as connection:
        return sorted(connection.execute("SELECT code, codes.billable, version FROM codes JOIN imports ON imports.id = "
                                         "codes.import_id").fetchall())


def import_files(db: Path, files: list[Path], version: str | None = None) -> list[Outcome]:
    return load_files(db, files, version).outcomes


def icd10(*args: str | Path) -> int:
    return main(["icd10", *map(str, args)])


def refusals(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("edi-fix: refused:")]


def test_the_order_file_is_read_whole_with_its_header_flags(tmp_path: Path) -> None:
    order = write_order(tmp_path / order_name("FY2022"), [*((c, 0) for c in HEADERS), *((c, 1) for c in BILLABLE)])
    assert order.read_bytes().startswith(b"00001 M54     0 Synthetic header M54")  # the CDC's fixed columns
    [outcome] = import_files(tmp_path / "s.sqlite3", [order])
    assert outcome.loaded and outcome.info is not None
    assert (outcome.info.version, outcome.info.effective, outcome.info.kind) == ("FY2022", "2021-10-01", "order")
    assert (outcome.info.rows, outcome.info.billable) == (6, 4)
    assert stored(tmp_path / "s.sqlite3") == sorted([*((c, 0, "FY2022") for c in HEADERS),
                                                     *((c, 1, "FY2022") for c in BILLABLE)])


def test_a_codes_file_lists_billable_codes_only(tmp_path: Path) -> None:
    codes = write_codes(tmp_path / codes_name("FY2022-04"), BILLABLE)
    [outcome] = import_files(tmp_path / "s.sqlite3", [codes])
    assert outcome.info is not None and (outcome.info.kind, outcome.info.version) == ("codes", "FY2022-04")
    assert stored(tmp_path / "s.sqlite3") == [(c, 1, "FY2022-04") for c in sorted(BILLABLE)]


def test_the_download_zip_loads_its_order_file_and_skips_the_rest(tmp_path: Path) -> None:
    archive = write_release(tmp_path, "FY2026", BILLABLE, HEADERS)
    outcomes = import_files(tmp_path / "s.sqlite3", [archive])
    loaded = [o for o in outcomes if o.loaded]
    assert [o.label for o in loaded] == [f"{archive.name}: icd10cm-order-2026.txt"]
    skipped = {o.label.split(": ")[-1]: o.skipped for o in outcomes if o.skipped}
    assert set(skipped) == {"icd10cm-codes-2026.txt", "icd10cm-codes-addenda-2026.txt",
                            "icd10cm-Order-Files-2026.pdf"}
    assert "order file of the same release" in str(skipped["icd10cm-codes-2026.txt"])
    assert "addenda" in str(skipped["icd10cm-codes-addenda-2026.txt"])
    # the ZIP again, then the order file extracted from it: the same bytes, nothing to do
    again = import_files(tmp_path / "s.sqlite3", [archive, tmp_path / order_name("FY2026")])
    assert [o.loaded for o in again if o.info is not None] == [False, False]
    assert len(stored(tmp_path / "s.sqlite3")) == 6


@pytest.mark.parametrize(("name", "label", "effective"), [
    ("icd10cm-order-2026.txt", "FY2026", date(2025, 10, 1)),           # FY2026 runs from 2025-10-01
    ("icd10cm_order_2024.txt", "FY2024", date(2023, 10, 1)),
    ("icd10cm-order-April-1-2026.txt", "FY2026-04", date(2026, 4, 1)),  # an April update of the same FY
    ("icd10cm-codes-April-2025.txt", "FY2025-04", date(2025, 4, 1)),
    ("icd10cm-order-Jan-2021.txt", "FY2021-01", date(2021, 1, 1)),      # FY2021's January 1, 2021 update
    ("ICD10CM_FY2026_code_descriptions.zip", "FY2026", date(2025, 10, 1)),
    ("icd10cm-Code Descriptions-2026.zip", "FY2026", date(2025, 10, 1)),
])
def test_the_release_is_told_by_the_name(name: str, label: str, effective: date) -> None:
    release = release_in(name)
    assert release is not None and (release.label, release.effective) == (label, effective)


def test_foreign_and_damaged_files_are_refused_in_one_line(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.sqlite3"
    pcs = tmp_path / "icd10pcs_order_2026.txt"
    pcs.write_bytes(b"00001 001     0 Central Nervous System and Cranial Nerves, Bypass\r\n")
    renamed_pcs = tmp_path / "order-2026.txt"
    renamed_pcs.write_bytes(b"00001 0016070 1 Bypass Cereb Vent to Nasophar with Autol Sub, Open Approach\r\n")
    ptp = tmp_path / "ccipra-v321r0-f1-2026.txt"
    ptp.write_bytes(b"98940\t97140\t\t20020401\t*\t1\tStandards\r\n")
    truncated = write_order(tmp_path / order_name("FY2023"), [("M54", 0), ("M545", 0), ("M5450", 1)])
    truncated.write_bytes(truncated.read_bytes()[:-30])  # the last line cut in its description
    cut_code = tmp_path / order_name("FY2024")
    whole = write_order(tmp_path / "x.txt", [(f"A{n:05d}", 1) for n in range(1000)]).read_bytes()  # > 64 kB
    cut_code.write_bytes(whole[:whole.rindex(b"\r\n", 0, -2) + 2 + 9])  # "01000 A00": the last code cut
    nameless = write_order(tmp_path / "codes.txt", [("M5450", 1)])
    empty = tmp_path / "icd10cm-order-2025.txt"
    empty.write_bytes(b"")
    files = [pcs, renamed_pcs, ptp, cut_code, nameless, empty]
    assert icd10("import", "--db", db, *files) == 2
    lines = refusals(capsys.readouterr().err)
    assert len(lines) == len(files), lines
    said = {line.split(": ")[2]: line for line in lines}  # "edi-fix: refused: NAME: why"
    assert "ICD-10-PCS" in said[pcs.name]
    assert "not an ICD-10-CM order or codes file" in said[renamed_pcs.name]
    assert "not an ICD-10-CM order or codes file" in said[ptp.name]
    assert "line 1000 is not an ICD-10-CM order file line" in said[cut_code.name] and "truncated" in said[cut_code.name]
    assert "give it with --version" in said[nameless.name] and "empty file" in said[empty.name]
    assert not db.exists() or stored(db) == []
    # a truncated description still ends a whole line: the codes and flags are whole, so it loads
    assert icd10("import", "--db", db, truncated) == 0
    assert icd10("import", "--db", db, "--version", "FY2025-04", nameless) == 0
    assert [v for _, _, v in stored(db)] == ["FY2023", "FY2023", "FY2023", "FY2025-04"]


def test_another_file_for_a_loaded_release_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    first = write_order(tmp_path / order_name("FY2022"), [("M545", 0), ("M5450", 1)])
    assert import_files(db, [first])[0].loaded
    other = tmp_path / "again" / order_name("FY2022")
    other.parent.mkdir()
    write_order(other, [("M545", 1)])
    [outcome] = import_files(db, [other])
    assert outcome.refused and "already loaded from another file" in outcome.refused
    assert stored(db) == [("M545", 0, "FY2022"), ("M5450", 1, "FY2022")]


def test_status_and_lookup_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.sqlite3"
    fy2021 = write_release(tmp_path, "FY2021", ["M545", "M9903"], ["M54"])
    fy2022 = write_release(tmp_path, "FY2022", BILLABLE, HEADERS)
    assert icd10("import", "--db", db, fy2021, fy2022) == 0
    out = capsys.readouterr().out
    assert "loaded" in out and "ICD-10-CM FY2022 (ICD-10-CM order file), in force from 2021-10-01" in out
    assert icd10("status", "--db", db) == 0
    out = capsys.readouterr().out
    assert "FY2021     dates of service 2020-10-01 to 2020-12-31" in out  # then the shipped January update
    assert "FY2022     dates of service 2021-10-01 to 2022-09-30" in out
    assert icd10("lookup", "M54.5", "--date", "2021-10-01", "--db", db) == 0
    out = capsys.readouterr().out
    assert "M54.5 is not billable on 2021-10-01 (ICD-10-CM FY2022)" in out
    assert "a header (with codes below it) from FY2022 (2021-10-01)" in out and "M54.50, M54.51 or M54.59" in out
    assert "FY2021     from 2020-10-01: billable" in out and "FY2022     from 2021-10-01: header" in out
    assert icd10("lookup", "M545", "--date", "2021-09-30", "--db", db) == 0
    assert "M54.5 is valid and billable on 2021-09-30" in capsys.readouterr().out
    assert icd10("lookup", "M545", "--date", "2019-06-03", "--db", db) == 0
    assert "no loaded release covers that date of service" in capsys.readouterr().out
    assert icd10("lookup", "M54.5", "--date", "2021-13-01", "--db", db) == 2
    assert icd10("lookup", "12", "--date", "2021-10-01", "--db", db) == 2
    assert len(refusals(capsys.readouterr().err)) == 2


def test_status_without_a_store_lists_the_shipped_releases(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDI837_ICD10_DB", str(tmp_path / "none.sqlite3"))
    assert icd10("status") == 0
    out = capsys.readouterr().out
    assert "no ICD-10-CM store" in out and "chosen by EDI837_ICD10_DB" in out
    assert "FY2026-04  dates of service 2026-04-01 to 2026-09-30" in out


def test_the_shipped_table_agrees_with_its_release_list() -> None:
    releases = tomllib.loads((DATA / RELEASES).read_text(encoding="utf-8"))["release"]
    with gzip.open(DATA / TABLE, "rt", encoding="ascii") as table:
        lines = table.read().splitlines()
    assert lines == sorted(lines, key=str.encode)
    flags = dict(line.split("\t") for line in lines)
    for index, release in enumerate(releases):
        assert sum(f[index] != "-" for f in flags.values()) == release["codes"]
        assert sum(f[index] == "1" for f in flags.values()) == release["billable"]
    assert [r["version"] for r in releases] == ["FY2021-01", "FY2025-04", "FY2026-04"]
    # facts of the CDC files (see the DX001 cases): M54.5 billable in FY2021, a header over M54.50-M54.59
    # from FY2022; U07.1 from 2020-04-01; M54 always a category
    assert (flags["M545"], flags["M5450"], flags["M5459"], flags["U071"], flags["M54"]) == (
        "100", "-11", "-11", "111", "000")
    assert all(len(code) <= 7 and code[0].isalpha() for code in flags)


def test_an_imported_release_replaces_the_shipped_one_of_the_same_name(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    assert any(o.loaded for o in import_files(db, [write_release(tmp_path, "FY2026-04", ["M545"], ["M54"])]))
    source = open_source(db)
    try:
        assert [s.label for s in source.sets] == ["FY2021-01", "FY2025-04", "FY2026-04"]
        assert source.verdict("M545", date(2026, 5, 4)).kind == "valid"  # what the imported file says
        assert source.in_force(date(2026, 5, 4)).described.startswith("ICD-10-CM FY2026-04 (icd10cm-order-")
    finally:
        source.close()


def test_a_zip_of_an_april_update_with_a_codes_file_only(tmp_path: Path) -> None:
    archive = write_release(tmp_path, "FY2026-04", BILLABLE, kind="codes")
    with zipfile.ZipFile(archive) as opened:
        assert "icd10cm-codes-April-1-2026.txt" in opened.namelist()
    outcomes = import_files(tmp_path / "s.sqlite3", [archive])
    [loaded] = [o for o in outcomes if o.loaded]
    assert loaded.info is not None and (loaded.info.kind, loaded.info.version) == ("codes", "FY2026-04")
    source = open_source(tmp_path / "s.sqlite3")
    try:
        # a codes file lists billable codes only: a code it leaves out is not billable, whatever it is
        verdict = source.verdict("M545", date(2026, 5, 4))
        assert verdict.kind == "not-billable" and "lists billable codes only" in str(verdict.message)
        assert source.verdict("M5450", date(2026, 5, 4)).kind == "valid"
    finally:
        source.close()
