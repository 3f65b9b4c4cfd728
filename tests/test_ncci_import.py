"""`edi-fix ncci import`: the CMS practitioner PTP and MUE files, as downloaded or extracted, into the store.

Every file here is written by edi837.testing.ncci_files in the CMS layout (no CMS data is committed);
the expected rows are read off the layout written in each test, never off the importer's output.
"""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pytest

from edi837.cli.app import main
from edi837.ncci.load import Outcome
from edi837.ncci.load import import_files as load_files
from edi837.testing.ncci_files import (
    MueEntry,
    PtpEdit,
    deal,
    mue_name,
    ptp_name,
    write_mue,
    write_ptp,
    write_ptp_version,
    zip_file,
)

EDITS = [
    PtpEdit("98940", "97140", "20020401"),
    PtpEdit("97012", "97140", "20000101", "20200101", 1),  # one key, two windows and indicators
    PtpEdit("97012", "97140", "20200101", "*", 0),
    PtpEdit("97530", "97161", "19950101", "20200401", 0, prior_1996=True,
            rationale="Mutually exclusive procedures \u00a7"),
    PtpEdit("97110", "97035", "20100101", "20100101", 9),
]
# What the store must hold for EDITS: column1, column2, effective, deletion (None for "*"), indicator, before 1996.
STORED = [
    ("98940", "97140", 20020401, None, 1, 0),
    ("97012", "97140", 20000101, 20200101, 1, 0),
    ("97012", "97140", 20200101, None, 0, 0),
    ("97530", "97161", 19950101, 20200401, 0, 1),
    ("97110", "97035", 20100101, 20100101, 9, 0),
]


def import_files(db: Path, files: list[Path], version: str | None = None) -> list[Outcome]:
    return load_files(db, files, version).outcomes


def rows(db: Path, table: str = "ptp") -> list[tuple[object, ...]]:
    columns = ("column1, column2, effective, deletion, indicator, prior_1996" if table == "ptp"
               else "code, value, indicator, rationale")
    with sqlite3.connect(db) as connection:
        return sorted(connection.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)


def ncci(*args: str | Path) -> int:
    return main(["ncci", *map(str, args)])


def one_refusal(err: str, reason: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("edi-fix: refused:")]
    assert len(lines) == 1 and reason in lines[0], err
    assert "Traceback" not in err


def test_the_ptp_layout_is_read_whole(tmp_path: Path) -> None:
    """Notice, title, headings wrapped over four lines, CRLF, latin-1; every row kept with its own window."""
    text = write_ptp(tmp_path / ptp_name("v321r0", 1), EDITS)
    raw = text.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"") and "\u00a7".encode("latin-1") in raw
    db = tmp_path / "ncci.sqlite3"
    (outcome,) = import_files(db, [text])
    assert outcome.loaded and outcome.info is not None
    assert (outcome.info.kind, outcome.info.version, outcome.info.part, outcome.info.rows) == ("ptp", "v321r0", 1, 5)
    assert rows(db) == sorted(STORED, key=repr)
    with sqlite3.connect(db) as connection:
        assert ("Mutually exclusive procedures \u00a7",) in connection.execute("SELECT text FROM rationales").fetchall()


def test_a_single_heading_line_is_read_too(tmp_path: Path) -> None:
    """The one-line heading public parsers show ("Column 1<TAB>Column 2<TAB>...") is the same table."""
    path = tmp_path / "ccipra-v321r0-f1.txt"
    path.write_bytes(b"CPT only copyright AMA.\r\n\r\nColumn 1\tColumn 2\t*=in existence prior to 1996\t"
                     b"Effective Date\tDeletion Date *=no data\tModifier 0=not allowed 1=allowed 9=not applicable\t"
                     b"PTP Edit Rationale\r\n"
                     b"97140\t97530\t\t20000101\t*\t1\tStandards of medical / surgical practice\r\n")
    (outcome,) = import_files(tmp_path / "db", [path])
    assert outcome.loaded and rows(tmp_path / "db") == [("97140", "97530", 20000101, None, 1, 0)]


def test_mue_blank_and_confidential_values_stay_unknown(tmp_path: Path) -> None:
    """The header's first cell holds a line break; "3 Date of Service Edit: Clinical" is MAI 3; blank and
    confidential values are NULL (unknown), never 0."""
    csv = write_mue(tmp_path / mue_name("2026-q1"), [
        MueEntry("97110", "4", 3), MueEntry("97112", "", 3), MueEntry("97116", "Confidential", 2),
        MueEntry("97140", "2", 1, "Anatomic Consideration"), MueEntry("97014", "0", 2),
    ], "2026-q1")
    assert b'"HCPCS/\nCPT Code"' in csv.read_bytes()
    db = tmp_path / "db"
    (outcome,) = import_files(db, [csv])
    assert outcome.info is not None and (outcome.info.version, outcome.info.unknown_values) == ("2026-q1", 2)
    assert rows(db, "mue") == sorted([("97110", 4, 3, "Clinical: Data"), ("97112", None, 3, "Clinical: Data"),
                                      ("97116", None, 2, "Clinical: Data"), ("97140", 2, 1, "Anatomic Consideration"),
                                      ("97014", 0, 2, "Clinical: Data")], key=repr)


def test_zip_as_downloaded_and_extracted_file_are_one_import(tmp_path: Path) -> None:
    """Same table bytes, same sha256: the second import is a no-op, whether ZIP or extracted file."""
    (packed,) = write_ptp_version(tmp_path, "v321r0", [EDITS])
    with zipfile.ZipFile(packed) as archive:
        archive.extractall(tmp_path / "x")
    db = tmp_path / "db"
    (first,) = import_files(db, [packed])
    (again,) = import_files(db, [packed])
    (extracted,) = import_files(db, [tmp_path / "x" / ptp_name("v321r0", 1)])
    assert first.loaded and not again.loaded and not extracted.loaded
    assert again.info == extracted.info == first.info
    assert len(rows(db)) == len(EDITS)


def test_kind_is_told_by_content_not_name(tmp_path: Path) -> None:
    """A PTP table saved as .csv and an MUE table saved as .txt are still what they are; the version comes
    from the text when the name does not say it, or from --version."""
    ptp = write_ptp(tmp_path / "edits.csv", EDITS[:1])
    mue = write_mue(tmp_path / "limits.txt", [MueEntry("97110", "4", 3)], "2026-q2")
    db = tmp_path / "db"
    refused, loaded = import_files(db, [ptp, mue])
    assert refused.refused is not None and "which version" in refused.refused and "--version" in refused.refused
    assert loaded.info is not None and (loaded.info.kind, loaded.info.version) == ("mue", "2026-q2")  # from its text
    (named,) = import_files(db, [ptp], version="v321r0")
    assert named.info is not None and (named.info.kind, named.info.version, named.info.part) == ("ptp", "v321r0", None)


def test_foreign_files_are_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        "empty.txt": (b"", "empty file"),
        "claims.837": (b"ISA*00*          *00*          *ZZ*A~GS*HC~ST*837*0001~", "not a CMS NCCI practitioner"),
        "ccipra-v321r0-f1.txt": (b"Column 1\tColumn 2\nnothing else here\n", "not a CMS NCCI practitioner"),
        "scan.pdf": (b"%PDF-1.4\x00\x01\x02", "not a text file"),
    }
    for name, (data, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert ncci("import", "--db", tmp_path / "db", path) == 2
        one_refusal(capsys.readouterr().err, reason)
    book = tmp_path / "edits.xlsx"  # a workbook is a ZIP of XML parts
    with zipfile.ZipFile(book, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert ncci("import", "--db", tmp_path / "db", book) == 2
    one_refusal(capsys.readouterr().err, "holds no CMS NCCI practitioner PTP or MUE table")
    hospital = write_ptp(tmp_path / "ccioph-v321r0-f1.txt", EDITS[:1])
    assert ncci("import", "--db", tmp_path / "db", hospital) == 2
    one_refusal(capsys.readouterr().err, "outpatient hospital")
    dme = tmp_path / "dme.csv"
    dme.write_text('"notice"\n"HCPCS/\nCPT Code","DME Supplier Services MUE Values","MUE Adjudication Indicator",'
                   '"MUE Rationale"\nE0100,1,"1 Line Edit",Clinical\n', encoding="utf-8")
    assert ncci("import", "--db", tmp_path / "db", "--version", "2026-q1", dme) == 2
    one_refusal(capsys.readouterr().err, "another kind of provider")
    assert not (tmp_path / "db").exists() or rows(tmp_path / "db") == []


def test_truncated_files_are_refused_and_load_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A table cut mid-row, or a ZIP cut short, is refused whole; a good file given with it still loads."""
    good = write_ptp(tmp_path / ptp_name("v321r0", 1), EDITS[:2])
    whole = write_ptp(tmp_path / "whole.txt", EDITS).read_bytes()
    cut = tmp_path / ptp_name("v321r0", 2)
    cut.write_bytes(whole[: whole.rindex(b"20100101")])  # the last row ends in the middle of a date
    packed = zip_file(tmp_path / "medicare-ncci-ccipra-v321r0-f3.zip",
                      [write_ptp(tmp_path / ptp_name("v321r0", 3), EDITS)])
    short = tmp_path / "medicare-ncci-ccipra-v321r0-f4.zip"
    short.write_bytes(packed.read_bytes()[:-40])
    mue = tmp_path / mue_name("2026-q1")
    mue.write_bytes(write_mue(mue, [MueEntry("97110", "4", 3)], "2026-q1").read_bytes() + b'97112,2,"3 Date of')
    db = tmp_path / "db"
    assert ncci("import", "--db", db, good, cut, short, mue) == 2
    captured = capsys.readouterr()
    refusals = [line for line in captured.err.splitlines() if line.startswith("edi-fix: refused:")]
    assert len(refusals) == 3, captured.err
    assert "line 12 is not a PTP row" in refusals[1] and "truncated" in refusals[1]  # notice 2 + title + 4 + 5 rows
    assert refusals[0] == ("edi-fix: refused: medicare-ncci-ccipra-v321r0-f4.zip: not a whole ZIP: the directory at "
                           "its end is missing (a download cut short?)")
    assert "cannot be read as CSV" in refusals[2]
    assert "loaded   " in captured.out and "Traceback" not in captured.err
    assert rows(db) == sorted(STORED[:2], key=repr) and rows(db, "mue") == []


def test_another_file_for_a_loaded_version_and_part_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "db"
    (tmp_path / "a").mkdir()
    import_files(db, [write_ptp(tmp_path / "a" / ptp_name("v321r0", 1), EDITS[:1])])
    other = write_ptp(tmp_path / ptp_name("v321r0", 1), EDITS[:2])
    (outcome,) = import_files(db, [other])
    assert outcome.refused is not None and "already loaded from another file" in outcome.refused
    assert len(rows(db)) == 1


def test_older_versions_stay_and_status_lists_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two complete versions and a third with three of its four files: runs read the newest complete one."""
    db = tmp_path / "db"
    files = [*write_ptp_version(tmp_path, "v320r0", deal(EDITS[:2])),
             *write_ptp_version(tmp_path, "v321r0", deal(EDITS)),
             *write_ptp_version(tmp_path, "v322r0", deal(EDITS))[:3],
             write_mue(tmp_path / mue_name("2026-q1"), [MueEntry("97110", "4", 3)], "2026-q1")]
    assert ncci("import", "--db", db, *files) == 0
    out = capsys.readouterr().out
    assert "note: PTP v322r0 has f1, f2, f3 of its 4 files" in out
    assert ncci("status", "--db", db) == 0
    status = capsys.readouterr().out
    assert "v322r0  files f1, f2, f3 (incomplete" in status
    assert "v321r0  in use, files f1, f2, f3, f4, 5 rows" in status  # the 5 EDITS dealt over 4 files
    assert "v320r0  files f1, f2, f3, f4, 4 rows" in status  # 2 EDITS and a filler row in each other file
    assert "runs read: PTP v321r0; MUE 2026-q1 for dates of service from 2026-01-01" in status


def test_status_without_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ncci("status", "--db", tmp_path / "none.sqlite3") == 0
    assert "no NCCI database at" in capsys.readouterr().out


def test_lookup_prints_the_edit_in_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "db"
    import_files(db, write_ptp_version(tmp_path, "v321r0", deal(EDITS)))
    assert ncci("lookup", "97140", "97012", "--date", "2019-12-31", "--db", db) == 0
    before = capsys.readouterr().out
    assert "in force: column 1 97012, column 2 97140, modifier indicator 1" in before
    assert "effective 2000-01-01, deletion date 2020-01-01" in before
    assert ncci("lookup", "97012", "97140", "--date", "2020-01-01", "--db", db) == 0
    assert "modifier indicator 0: no modifier bypasses it" in capsys.readouterr().out
    assert ncci("lookup", "97110", "97035", "--date", "2010-01-01", "--db", db) == 0
    assert "no edit in force on that date" in capsys.readouterr().out  # indicator 9, deleted the day it began
    assert ncci("lookup", "97140", "97012", "--date", "2019-02-30", "--db", db) == 2
    one_refusal(capsys.readouterr().err, "not a date")
    assert ncci("lookup", "97140", "--date", "2026-03-02", "--db", db) == 2
    one_refusal(capsys.readouterr().err, "no MUE table loaded")
