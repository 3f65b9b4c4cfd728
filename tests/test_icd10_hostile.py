"""`edi-fix icd10 import` under hostile or broken files and kills: the protections of the NCCI import reach the
ICD-10-CM store through the shared edi837.datafiles. A file over a cap, a line no code file has, a damaged ZIP is
refused in one line (exit 2) naming the file, and the line or ZIP entry, and nothing of it is loaded; a ZIP of
ZIPs is read where it is; an import killed mid-load is never read and `icd10 status` says so; a hot journal is
rolled back by a reader that may write.

Every command runs as a real `edi-fix` process on real files, its address space held to 1 GB (a regression that
reads a file whole ends in a MemoryError, exit 3, not in the machine's memory). Bombs are built at a small scale
by lowering the caps with EDI837_ICD10_TEST_LIMITS, and once at the real size (1.7 GB inside a 5 MB ZIP).
Expected messages are written from the files each test builds (an order file: one line per code, sorted).
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from edi837.datafiles import journal
from edi837.icd10.limits import TEST_ENV
from edi837.testing.icd10_files import codes_name, order_name, write_codes, write_order, write_release, zip_name
from edi837.testing.ncci_files import deflate_bomb
from tests.cli_helpers import FIXABLE, edi_fix
from tests.osfixtures import read_only
from tests.test_ncci_journal import wait_for  # waits on the import's own note, as the NCCI kill tests do

# FY2024 around M54.5 (CDC FY2022 addenda: M54.5 a header over M54.50, M54.51, M54.59 from 2021-10-01).
HEADERS = ["M54", "M545"]
BILLABLE = ["M5450", "M5451", "M5459"]
BIG_CODES = 800_000  # seconds of loading, under the 1,000,000-code cap: the stop lands while codes go in


def hold_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def icd10(*args: str | Path, limits: str = "", tmpdir: Path | None = None) -> tuple[int, str, str]:
    """A real `edi-fix icd10 ...` with the caps lowered as `limits` says."""
    env = {**os.environ, TEST_ENV: limits, **({"TMPDIR": str(tmpdir)} if tmpdir else {})}
    done = edi_fix("icd10", *map(str, args), env=env, preexec_fn=hold_memory)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def refusal(err: str) -> str:
    """The one refusal line: everything on stderr, no traceback."""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("edi-fix: refused: "), err
    return lines[0].removeprefix("edi-fix: refused: ")


def refused(*args: str | Path, limits: str = "") -> str:
    """What a real `edi-fix icd10 import` refuses (exit 2, one line)."""
    code, _, err = icd10("import", *args, limits=limits)
    assert code == 2, err
    return refusal(err)


def stored(db: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(db) as connection:
        return sorted(connection.execute("SELECT code, billable FROM codes"))


def fy2024(folder: Path) -> Path:
    return write_order(folder / order_name("FY2024"), [*((c, 0) for c in HEADERS), *((c, 1) for c in BILLABLE)])


def stored_zip(path: Path, files: list[Path]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for file in files:
            archive.write(file, file.name)
    return path


# --- caps --------------------------------------------------------------------------------------------------------
def test_a_code_file_larger_than_a_cms_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """The entry's size is in the ZIP's directory: over the cap, not a byte of it is inflated. Lowered, on the
    release ZIP as the CDC names it; then at the real cap, a 1.7 GB order file in a 5 MB ZIP."""
    archive = write_release(tmp_path, "FY2026", BILLABLE, HEADERS)
    order = tmp_path / order_name("FY2026")  # the file the ZIP holds, as written beside it
    size = order.stat().st_size
    assert 200 < size < 1000
    db = tmp_path / "icd10cm.sqlite3"
    why = refused("--db", db, archive, limits="order_bytes=200")
    assert why == (f"{archive.name}: {order.name}: {size} bytes, more than a CMS/CDC ICD-10-CM order file can be (at "
                   "most 200 bytes); not read")
    assert not db.exists()
    line = b"00001 M5450   1 Synthetic code M5450" + b" " * 41 + b"Synthetic code M5450\r\n"
    (tmp_path / "bomb").mkdir()
    bomb = deflate_bomb(tmp_path / "bomb" / zip_name("FY2026"), order_name("FY2026"), b"", line * 16384, 1600 << 20)
    assert bomb.stat().st_size < 6_000_000
    assert refused("--db", db, bomb) == (f"{bomb.name}: {order.name}: 1.7 GB, more than a CMS/CDC ICD-10-CM order "
                                         "file can be (at most 256 MiB); not read")
    assert not db.exists()


def test_more_codes_than_a_release_lists_are_refused(tmp_path: Path) -> None:
    """One valid line repeated is still valid lines: past the cap on codes (lowered to 5) the file is refused
    at the line that passes it, and nothing of it is loaded."""
    repeated = tmp_path / order_name("FY2024")
    repeated.write_bytes(fy2024(tmp_path).read_bytes().splitlines(keepends=True)[2] * 6)
    db = tmp_path / "icd10cm.sqlite3"
    assert refused("--db", db, repeated, limits="order_rows=5") == (
        f"{repeated.name}: more than 5 codes (line 6), more than an ICD-10-CM release lists; not loaded")
    assert stored(db) == []


def test_a_line_longer_than_any_code_line_refuses_the_file(tmp_path: Path) -> None:
    """An order-file line is under 400 bytes; one of 5,000 (a description run on) is refused at the real 4 KiB
    cap, naming its line, and nothing of the file is loaded."""
    lines = fy2024(tmp_path).read_bytes().split(b"\r\n")
    lines[1] = lines[1] + b"x" * 5000
    long_line = tmp_path / order_name("FY2024")
    long_line.write_bytes(b"\r\n".join(lines))
    db = tmp_path / "icd10cm.sqlite3"
    assert refused("--db", db, long_line) == (
        f"{long_line.name}: line 2 is longer than 4 KiB, which no line of an ICD-10-CM order or codes file is; not a "
        "CMS/CDC code file, or a damaged one; nothing of it was loaded")
    assert stored(db) == []


# --- ZIPs --------------------------------------------------------------------------------------------------------
def test_nested_zips_are_read_where_they_are(tmp_path: Path) -> None:
    """A ZIP of two release ZIPs loads both, read in place (nothing written to the temporary folder); ZIPs nested
    three deep are refused unread."""
    older = write_release(tmp_path, "FY2024", BILLABLE, HEADERS)
    newer = write_release(tmp_path, "FY2026", BILLABLE, HEADERS)
    outer = stored_zip(tmp_path / "releases.zip", [older, newer])
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    db = tmp_path / "icd10cm.sqlite3"
    code, out, err = icd10("import", "--db", db, outer, tmpdir=temporary)
    assert (code, err) == (0, "")
    assert (f"loaded   releases.zip: {older.name}: icd10cm-order-2024.txt: ICD-10-CM FY2024 (ICD-10-CM order file), "
            "in force from 2023-10-01, 5 codes, 3 billable") in out
    assert f"loaded   releases.zip: {newer.name}: icd10cm-order-2026.txt: ICD-10-CM FY2026" in out
    assert len(stored(db)) == 10 and list(temporary.iterdir()) == []
    deep = stored_zip(tmp_path / "deep.zip", [stored_zip(tmp_path / "middle.zip", [outer])])
    assert refused("--db", tmp_path / "other.sqlite3", deep) == (
        "deep.zip: middle.zip: releases.zip: ZIPs nested more than 2 deep; not read")


def test_what_is_wrong_with_a_zip_is_said(tmp_path: Path) -> None:
    order = fy2024(tmp_path)
    bad_crc = stored_zip(tmp_path / "bad-crc.zip", [order])
    bad_crc.write_bytes(bad_crc.read_bytes().replace(b"Synthetic code M5450", b"Synthetic Code M5450", 1))
    db = tmp_path / "icd10cm.sqlite3"
    assert refused("--db", db, bad_crc) == (f"bad-crc.zip: {order.name}: bad CRC: its bytes are not the ones the ZIP "
                                            "was made with (a damaged download?); nothing of it was loaded")
    cut = stored_zip(tmp_path / "cut.zip", [order])
    cut.write_bytes(cut.read_bytes()[:-30])
    assert refused("--db", db, cut) == ("cut.zip: not a whole ZIP: the directory at its end is missing (a download "
                                        "cut short?)")
    page = tmp_path / zip_name("FY2024")
    page.write_bytes(b"<html><body>Access denied</body></html>\n")
    assert refused("--db", db, page) == (f"{page.name}: not a ZIP archive (it does not begin as one), nor an "
                                         "ICD-10-CM order or codes file; a download error page or a damaged file?")
    assert not db.exists()


# --- kills and journals ------------------------------------------------------------------------------------------
@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[Path]:
    """A store holding FY2024 (its release ZIP), imported by a real process; its folder holds nothing else."""
    folder = tmp_path / "icd10"
    folder.mkdir()
    db = folder / "icd10cm.sqlite3"
    code, _out, err = icd10("import", "--db", db, write_release(tmp_path, "FY2024", BILLABLE, HEADERS))
    assert code == 0, err
    yield db


def test_an_import_killed_mid_load_is_never_read_and_status_says_so(loaded: Path, tmp_path: Path) -> None:
    big = write_codes(tmp_path / codes_name("FY2025"), (f"A{n:06d}" for n in range(BIG_CODES)))
    proc = subprocess.Popen([sys.executable, "-m", "edi837", "icd10", "import", "--db", str(loaded), str(big)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: getattr(journal.read_note(loaded), "loading", None) == big.name, f"loading {big.name}", proc)
        os.kill(proc.pid, signal.SIGSTOP)
        # Stopped inside its transaction: readers do not wait for it, and read what was there before it.
        code, out, err = icd10("status", "--db", loaded)
        assert (code, err) == (0, "")
        assert f"of {big.name} is running: loading {big.name} now; runs read what was loaded before it" in out
        code, out, err = icd10("lookup", "M54.50", "--date", "2024-03-01", "--db", loaded)
        assert code == 0 and "M54.50 is valid and billable on 2024-03-01 (ICD-10-CM FY2024)" in out, err
    finally:
        if proc.poll() is None:
            proc.kill()  # SIGKILL, stopped or not
    assert proc.wait() == -signal.SIGKILL
    covered = "  FY2024     dates of service 2023-10-01 to 2024-09-30: ICD-10-CM FY2024 (icd10cm-order-2024.txt)"
    said = (f"(pid {proc.pid}) of {big.name} was interrupted while loading {big.name}, before it committed: it was "
            "rolled back, none of its rows were ever read and nothing of it is in the database; the next import "
            "clears this note")
    with read_only(loaded.parent):  # a reader that may not write (no -shm to make, nothing to roll back)
        code, out, err = icd10("status", "--db", loaded)
    assert (code, err) == (0, "")
    [line] = [line for line in out.splitlines() if line.startswith("import: ")]
    assert line.endswith(said) and covered in out and "  FY2025     " not in out
    code, out, err = icd10("status", "--db", loaded)  # a reader that may write: the store is one file again
    assert (code, err) == (0, "")
    assert "recovered: returned the database to one file (it was left in WAL mode" in out and said in out
    assert sorted(p.name for p in loaded.parent.iterdir()) == ["icd10cm.sqlite3", "icd10cm.sqlite3.import"]
    code, out, err = icd10("import", "--db", loaded, big)
    assert code == 0, err
    assert "note: an earlier import started" in out and "nothing of it had been kept" in out
    assert (f"loaded   {big.name}: ICD-10-CM FY2025 (ICD-10-CM codes file), in force from 2024-10-01, 800,000 codes, "
            "800,000 billable") in out
    assert sorted(p.name for p in loaded.parent.iterdir()) == ["icd10cm.sqlite3"]


HOT_JOURNAL = """
import os, signal, sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("PRAGMA journal_mode = DELETE")
connection.execute("PRAGMA cache_size = 10")  # tiny: pages spill into the store's file before the commit
connection.execute("BEGIN IMMEDIATE")
connection.execute("DELETE FROM codes")
connection.executemany("INSERT INTO codes VALUES (?, 1, 1)", ((f"B{n:06d}",) for n in range(50000)))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_hot_journal_is_rolled_back_by_a_reader_that_may_write(loaded: Path, tmp_path: Path) -> None:
    """A write killed mid-transaction in rollback-journal mode leaves a hot journal: a reader that may not write
    (status, a fix run) is refused in one line saying who can fix it; one that may write rolls it back."""
    before = stored(loaded)
    killed = subprocess.run([sys.executable, "-c", HOT_JOURNAL, str(loaded)], check=False)
    assert killed.returncode == -signal.SIGKILL
    hot = journal.sibling(loaded, "-journal")
    assert hot.exists()
    why = (f"{loaded}: an interrupted import left icd10cm.sqlite3-journal beside it, which must be rolled back before "
           f"the database can be read, and this user may not write there: run `edi-fix icd10 status --db {loaded}` "
           f"once as a user who may write to {loaded.parent} (the rollback restores the database as it was before "
           "that import; nothing loaded earlier is lost)")
    src = tmp_path / "in.837"
    src.write_bytes(FIXABLE)
    with read_only(loaded.parent):
        code, out, err = icd10("status", "--db", loaded)
        assert (code, out, refusal(err)) == (2, "", why)
        done = edi_fix(str(src), str(tmp_path / "out.837"), "--no-validate", "--icd10-db", str(loaded))
        assert done.returncode == 2 and why in done.stderr.decode()
        assert hot.exists()
    code, out, err = icd10("status", "--db", loaded)
    assert (code, err) == (0, "")
    assert ("recovered: rolled back icd10cm.sqlite3-journal, left by an interrupted write: the database is as it was "
            "before it") in out
    assert not hot.exists() and stored(loaded) == before
