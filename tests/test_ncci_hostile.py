"""`edi-fix ncci import` under hostile or broken files: size bombs, overlong lines, nested ZIPs, repeated rows,
other layouts and damaged ZIPs. Each is refused in one line (exit 2) naming the file, and the line or ZIP entry,
having read no more than the cap and loaded nothing of it.

Every import runs as a real `edi-fix` process on real files. The bombs are built at a small scale by lowering
the caps with EDI837_NCCI_TEST_LIMITS (edi837.ncci.limits), and once at the real size (1.6 GB inside a 5 MB
ZIP), where the process's peak memory is measured. Expected messages are written from the files each test
builds (line numbers counted on the layout: a notice, a blank line, the title, four heading lines, then rows).
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from edi837.ncci.limits import TEST_ENV
from edi837.testing.ncci_files import (
    MUE_HEADER,
    MueEntry,
    PtpEdit,
    deal,
    deflate_bomb,
    mue_name,
    ptp_name,
    write_mue,
    write_ptp,
    write_ptp_version,
)
from tests.osfixtures import Mounts

FIRST_ROW = 8  # line of the first row in a generated PTP file: notice, blank, title, four heading lines
EDITS = [PtpEdit("97012", "97140", "20000101", "20200101", 1), PtpEdit("97012", "97140", "20200101", "*", 0),
         PtpEdit("97140", "97530", "20000101"), PtpEdit("98940", "97140", "20020401")]


@dataclass(frozen=True)
class Import:
    code: int
    out: str
    err: str
    peak_mb: float

    def refusal(self) -> str:
        """The one refusal line: everything on stderr, no traceback."""
        lines = self.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("edi-fix: refused: "), self.err
        return lines[0].removeprefix("edi-fix: refused: ")


def ncci_import(db: Path, *files: Path, limits: str = "", tmpdir: Path | None = None) -> Import:
    """A real `edi-fix ncci import` with the caps lowered as `limits` says, its address space held to 2 GB (a
    regression must end in a MemoryError, not take the machine's memory) and its peak memory measured."""
    env = {**os.environ, TEST_ENV: limits}
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    out, err = db.with_name(db.name + ".out"), db.with_name(db.name + ".err")

    def hold_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "edi837", "ncci", "import", "--db", str(db), *map(str, files)],
                                stdout=stdout, stderr=stderr, env=env, preexec_fn=hold_memory)
    deadline = time.monotonic() + 300
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail("the import did not end in 300 s")
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Import(proc.returncode, out.read_text(), err.read_text(), usage.ru_maxrss / 1024)


def ptp_rows(db: Path) -> list[tuple[str, str, int, int | None, int]]:
    with sqlite3.connect(db) as connection:
        return sorted(connection.execute("SELECT column1, column2, effective, deletion, indicator FROM ptp"),
                      key=repr)


def ptp_file(folder: Path, edits: list[PtpEdit], part: int = 1) -> Path:
    return write_ptp(folder / ptp_name("v321r0", part), edits)


def with_lines(path: Path, change: dict[int, bytes]) -> Path:
    """The file with some lines (1-based) replaced, its CRLF line ends kept."""
    lines = path.read_bytes().split(b"\r\n")
    for number, line in change.items():
        lines[number - 1] = line
    path.write_bytes(b"\r\n".join(lines))
    return path


# --- item 9: sizes --------------------------------------------------------------------------------------------
def test_a_table_larger_than_a_cms_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """The entry's size is in the ZIP's directory (a file's, in the file system): over the cap, nothing is read."""
    entries = [MueEntry(f"9{n:04d}", "2", 3) for n in range(100)]
    csv = write_mue(tmp_path / mue_name("2026-q1"), entries, "2026-q1")
    packed = tmp_path / "medicare-ncci-2026-q1-practitioner-services-mue-table.zip"
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(csv, csv.name)
    csv.unlink()
    size = zipfile.ZipFile(packed).infolist()[0].file_size
    assert 4000 < size < 10_000
    done = ncci_import(tmp_path / "db", packed, limits="mue_bytes=2000")
    assert done.code == 2
    assert done.refusal() == (f"{packed.name}: {csv.name}: {size / 1000:.1f} KB, more than a CMS MUE practitioner file "
                              "can be (at most 2.0 KB); not read")
    assert not (tmp_path / "db").exists()
    ptp = ptp_file(tmp_path, EDITS)
    assert ptp.stat().st_size > 600
    done = ncci_import(tmp_path / "db", ptp, limits="ptp_bytes=600")
    assert done.refusal() == (f"{ptp.name}: {ptp.stat().st_size} bytes, more than a CMS PTP practitioner file can be "
                              "(at most 600 bytes); not read")


def test_a_real_size_zip_bomb_is_refused_with_memory_bounded(tmp_path: Path) -> None:
    """1.6 GB of valid MUE rows in a 5 MB ZIP, at the real caps: refused from the ZIP's directory; the process
    never holds more than a small Python's memory (the table read whole took 3.3 GB)."""
    header = ('"CPT only copyright American Medical Association."\r\n'
              + ",".join(f'"{cell}"' for cell in MUE_HEADER) + "\r\n").encode()
    bomb = deflate_bomb(tmp_path / "medicare-ncci-2026-q1-practitioner-services-mue-table.zip",
                        mue_name("2026-q1"), header, b'97110,4,"3 Date of Service Edit: Clinical","Clinical: Data"\r\n'
                        * 16384, 1600 << 20)
    assert bomb.stat().st_size < 6_000_000
    done = ncci_import(tmp_path / "db", bomb)
    assert done.code == 2
    assert done.refusal() == (f"{bomb.name}: {mue_name('2026-q1')}: 1.7 GB, more than a CMS MUE practitioner file can "
                              "be (at most 32 MiB); not read")
    assert done.peak_mb < 200, done.peak_mb


def test_a_line_longer_than_any_cms_line_refuses_the_file(tmp_path: Path) -> None:
    """A valid row whose rationale runs on: refused at the line cap (lowered, then the real 64 KiB), whatever
    the chunk it spans; nothing of the file is loaded."""
    long_row = PtpEdit("97140", "97530", "20000101", rationale="x" * 600)
    ptp = ptp_file(tmp_path, [EDITS[0], long_row, EDITS[1]])
    done = ncci_import(tmp_path / "db", ptp, limits="line=512")
    assert done.code == 2
    assert done.refusal() == (f"{ptp.name}: line {FIRST_ROW + 1} is longer than 512 bytes, which no CMS row or heading "
                              "is; not a CMS file, or a damaged one; nothing of it was loaded")
    huge = ptp_file(tmp_path, [EDITS[0], PtpEdit("97140", "97530", "20000101", rationale="y" * (3 << 20))], part=2)
    done = ncci_import(tmp_path / "db2", huge)
    assert done.refusal() == (f"{huge.name}: line {FIRST_ROW + 1} is longer than 64 KiB, which no CMS row or heading "
                              "is; not a CMS file, or a damaged one; nothing of it was loaded")
    assert done.peak_mb < 200, done.peak_mb


def _stored_zip(path: Path, files: list[Path]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for file in files:
            archive.write(file, file.name)
    return path


def test_nested_zips_are_read_where_they_are(tmp_path: Path, mounts: Mounts) -> None:
    """A ZIP of the four CMS ZIPs is read without a byte written to the temporary folder (a 256 KB tmpfs here,
    smaller than the ZIPs inside): a nested bomb can no longer fill it."""
    edits = [PtpEdit(f"{10000 + n:05d}", f"{20000 + m:05d}", "20000101") for n in range(200) for m in range(100)]
    parts = write_ptp_version(tmp_path, "v321r0", deal(edits), zipped=False)
    inner = [_stored_zip(tmp_path / f"medicare-ncci-practitioner-ptp-edits-ccipra-v321r0-f{n}.zip", [part])
             for n, part in enumerate(parts, start=1)]
    outer = _stored_zip(tmp_path / "all-four.zip", inner)
    assert outer.stat().st_size > 1_000_000
    small_tmp = mounts.tmpfs(tmp_path / "tmp", "256k")
    done = ncci_import(tmp_path / "db", outer, tmpdir=small_tmp)
    assert done.code == 0, done.err
    assert done.out.count("loaded   all-four.zip: medicare-ncci-practitioner-ptp-edits-ccipra-v321r0-f") == 4
    assert len(ptp_rows(tmp_path / "db")) == len(edits)
    assert list(small_tmp.iterdir()) == []


def test_a_nested_bomb_and_a_crowded_zip_are_refused_unread(tmp_path: Path) -> None:
    table = ptp_file(tmp_path, [*EDITS, *(PtpEdit(f"{10000 + n:05d}", "97140", "20000101") for n in range(100))])
    inner = tmp_path / "medicare-ncci-practitioner-ptp-edits-ccipra-v321r0-f1.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:  # 2 KB: within the cap a ZIP may be
        archive.write(table, table.name)
    outer = _stored_zip(tmp_path / "download.zip", [inner])
    done = ncci_import(tmp_path / "db", outer, limits="ptp_bytes=4000")
    assert done.refusal() == (f"download.zip: {inner.name}: {table.name}: {table.stat().st_size / 1000:.1f} KB, more "
                              "than a CMS PTP practitioner file can be (at most 4.0 KB); not read")
    crowded = tmp_path / "crowded.zip"
    with zipfile.ZipFile(crowded, "w") as archive:
        archive.write(table, table.name)
        for n in range(32):
            archive.writestr(f"readme-{n}.txt", "not a table")
    done = ncci_import(tmp_path / "db", crowded)
    assert done.refusal().startswith("crowded.zip: a ZIP of 33 entries (")
    assert done.refusal().endswith(" of directory); a CMS download holds a few (at most 32 are read); not read")
    assert not (tmp_path / "db").exists()


def test_more_rows_than_a_cms_file_holds_are_refused(tmp_path: Path) -> None:
    ptp = ptp_file(tmp_path, [PtpEdit(f"{10000 + n:05d}", "97140", "20000101") for n in range(6)])
    done = ncci_import(tmp_path / "db", ptp, limits="ptp_rows=5")
    assert done.refusal() == (f"{ptp.name}: more than 5 rows (line {FIRST_ROW + 5}), more than a CMS PTP file holds; "
                              "not loaded")
    assert ptp_rows(tmp_path / "db") == []


def test_repeated_rows_are_refused_naming_their_lines(tmp_path: Path) -> None:
    """A key repeated with the same window is refused (a CMS file lists a window once): while reading when the
    file is ordered by key, as CMS writes them, once its rows are in when it is not; a key repeated with other
    windows, as CMS files have it, loads."""
    repeated = ptp_file(tmp_path, [EDITS[2], EDITS[3], EDITS[3], EDITS[0]])
    done = ncci_import(tmp_path / "db", repeated)
    assert done.refusal() == (f"{repeated.name}: lines {FIRST_ROW + 1} and {FIRST_ROW + 2} both give 98940/97140 the "
                              "window from 2002-04-01 (no deletion date); a CMS file lists an edit's window once; a "
                              "damaged or altered file, nothing of it was loaded")
    apart = ptp_file(tmp_path, [EDITS[0], EDITS[2], PtpEdit("97012", "97140", "20000101", "20200101", 0)], part=2)
    done = ncci_import(tmp_path / "db", apart)
    assert done.refusal() == (f"{apart.name}: lines {FIRST_ROW} and {FIRST_ROW + 2} both give 97012/97140 the window "
                              "from 2000-01-01 (deletion date 2020-01-01); a CMS file lists an edit's window once; a "
                              "damaged or altered file, nothing of it was loaded")
    mue = write_mue(tmp_path / mue_name("2026-q1"), [MueEntry("97110", "4", 3), MueEntry("97112", "2", 3),
                                                     MueEntry("97110", "4", 3)], "2026-q1")
    done = ncci_import(tmp_path / "db", mue)
    assert done.refusal() == (f"{mue.name}: line 7 repeats code 97110 of line 5; a CMS table lists a code once; a "
                              "damaged or altered file, nothing of it was loaded")
    # Both shapes seen in a real practitioner file: one key, one effective date, two deletion dates.
    cms_like = ptp_file(tmp_path, [PtpEdit("13121", "13120", "19960101", "19960101", 9),
                                   PtpEdit("13121", "13120", "19960101", "*", 0, prior_1996=True)], part=3)
    done = ncci_import(tmp_path / "db", cms_like)
    assert done.code == 0, done.err
    assert ptp_rows(tmp_path / "db") == [("13121", "13120", 19960101, 19960101, 9),
                                         ("13121", "13120", 19960101, None, 0)]


# --- item 10: layouts and damaged ZIPs -------------------------------------------------------------------------
def test_other_layouts_are_refused_naming_the_file_and_line(tmp_path: Path) -> None:
    ptp = ptp_file(tmp_path, EDITS)
    with_lines(ptp, {FIRST_ROW + 2: b"97140\t97530\t\t20000101\t*\t1\tStandards of medical / surgical practice\tX"})
    done = ncci_import(tmp_path / "db", ptp)
    assert done.refusal() == (f"{ptp.name}: line {FIRST_ROW + 2} is not a PTP row (8 tab-separated fields where a PTP "
                              "row has 7); the file looks truncated, damaged or of another layout; nothing of it was "
                              "loaded")
    headed = with_lines(ptp_file(tmp_path, EDITS, part=2), {4: b"Column 1\tColumn 2\t*=in existence\tEffective\t"
                                                                b"Deletion\tModifier\tPTP Edit Rationale\tNotes"})
    done = ncci_import(tmp_path / "db", headed)
    assert done.refusal() == (f"{headed.name}: line 4: the column headings have 8 columns where the CMS layout has 7; "
                              "another layout, not read")
    trailing_tab = with_lines(ptp_file(tmp_path, EDITS, part=3),
                              {FIRST_ROW: b"97012\t97140\t\t20000101\t20200101\t1\tStandards of medical / surgical "
                                          b"practice\t"})
    assert ncci_import(tmp_path / "db", trailing_tab).code == 0  # a blank field after the seventh is no column
    mue = write_mue(tmp_path / mue_name("2026-q1"), [MueEntry("97110", "4", 3), MueEntry("97112", "2", 3)], "2026-q1")
    mue.write_bytes(mue.read_bytes().replace(b'97112,2,"3 Date of Service Edit: Clinical","Clinical: Data"',
                                             b'97112,2,"3 Date of Service Edit: Clinical","Clinical: Data",7'))
    done = ncci_import(tmp_path / "db", mue)
    assert done.refusal() == (f"{mue.name}: line 6 has 5 cells where the MUE header has 4; the file looks truncated, "
                              "damaged or of another layout; nothing of it was loaded")
    wide = write_mue(tmp_path / "wide.csv", [MueEntry("97110", "4", 3)], "2026-q1")
    wide.write_bytes(wide.read_bytes().replace(b'"MUE Rationale"', b'"MUE Rationale","Effective Date"'))
    done = ncci_import(tmp_path / "db", wide)
    assert done.refusal() == ("wide.csv: line 4: the MUE header has 5 columns where the CMS layout has 4 (code, MUE "
                              "values, adjudication indicator, rationale); another layout, not read")


def _patched(zip_path: Path, name: bytes, *, flag: int | None = None, method: int | None = None) -> Path:
    """The ZIP with the entry's general-purpose flag or compression method changed in both of its headers."""
    data = bytearray(zip_path.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature)
        assert name in data[at:at + 200]
        if flag is not None:
            data[at + flag_at:at + flag_at + 2] = flag.to_bytes(2, "little")
        if method is not None:
            data[at + flag_at + 2:at + flag_at + 4] = method.to_bytes(2, "little")
    zip_path.write_bytes(bytes(data))
    return zip_path


def test_what_is_wrong_with_a_zip_is_said(tmp_path: Path) -> None:
    table = ptp_file(tmp_path, EDITS)
    name = table.name

    def packed(zip_name: str) -> Path:
        return _stored_zip(tmp_path / zip_name, [table])

    bad_crc = packed("bad-crc.zip")
    data = bad_crc.read_bytes()
    bad_crc.write_bytes(data.replace(b"surgical", b"surgicaL", 1))
    done = ncci_import(tmp_path / "db", bad_crc)
    assert done.refusal() == (f"bad-crc.zip: {name}: bad CRC: its bytes are not the ones the ZIP was made with (a "
                              "damaged download?); nothing of it was loaded")
    done = ncci_import(tmp_path / "db", _patched(packed("locked.zip"), name.encode(), flag=1))
    assert done.refusal() == f"locked.zip: {name}: encrypted (password-protected); CMS ZIPs are not; not read"
    done = ncci_import(tmp_path / "db", _patched(packed("odd.zip"), name.encode(), method=99))
    assert done.refusal() == f"odd.zip: {name}: compressed with method 99, which is not read"
    cut = packed("cut.zip")
    cut.write_bytes(cut.read_bytes()[:-30])
    done = ncci_import(tmp_path / "db", cut)
    assert done.refusal() == "cut.zip: not a whole ZIP: the directory at its end is missing (a download cut short?)"
    page = tmp_path / "medicare-ncci-2026q1-practitioner-ptp-edits-ccipra-v321r0-f1.zip"
    page.write_bytes(b"<html><body>Access denied</body></html>\n")
    done = ncci_import(tmp_path / "db", page)
    assert done.refusal() == (f"{page.name}: not a ZIP archive (it does not begin as one), nor a CMS NCCI table; a "
                              "download error page or a damaged file?")
    assert not (tmp_path / "db").exists() or ptp_rows(tmp_path / "db") == []


def test_names_from_inside_a_zip_are_printed_harmless(tmp_path: Path) -> None:
    table = ptp_file(tmp_path, EDITS)
    sneaky = tmp_path / "sneaky.zip"
    with zipfile.ZipFile(sneaky, "w") as archive:
        archive.write(table, "\x1b[2J\x1b[31mccipra-v321r0-f1\nFAKE.txt")
    done = ncci_import(tmp_path / "db", sneaky)
    assert done.code == 0, done.err
    assert "\x1b" not in done.out
    assert "loaded   sneaky.zip: ccipra-v321r0-f1 FAKE.txt: PTP practitioner v321r0" in done.out
