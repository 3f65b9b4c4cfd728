"""An import killed mid-load, a hot rollback journal, an import running while runs read: every reader (a fix
run's lookups, `ncci status`, `ncci lookup`) still gets an answer, or one line saying who can give it one, and
`ncci status` says what happened.

Real processes on real files: `edi-fix ncci import` is SIGKILLed while it loads (the test waits until its note
says which file's rows it is loading, or, in a rollback-journal database, until the journal exists), a hot
journal is made by a real process killed inside a write transaction, and "a reader that may not write" is a
real process reading from a folder made read-only (chattr +i as root). Expected answers come from the rows of
the files each test writes.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from edi837.ncci import journal
from edi837.testing.ncci_files import PtpEdit, deal, ptp_name, random_ptp, write_ptp, write_ptp_version
from tests.cli_helpers import FIXABLE, edi_fix
from tests.osfixtures import read_only

OLD = [PtpEdit("98940", "97140", "20020401"), PtpEdit("97140", "97530", "20000101")]  # v320r0, complete
BIG_ROWS = 200_000  # a second or more of loading: the stop lands while rows go in


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[Path]:
    """A database holding a complete v320r0 (four parts), imported by a real process; its folder."""
    folder = tmp_path / "ncci"
    folder.mkdir()
    files = write_ptp_version(tmp_path, "v320r0", deal(OLD))
    done = edi_fix("ncci", "import", "--db", str(folder / "ncci.sqlite3"), *map(str, files))
    assert done.returncode == 0, done.stderr
    yield folder / "ncci.sqlite3"


def text(done: subprocess.CompletedProcess[bytes]) -> tuple[int, str, str]:
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def wait_for(condition: Callable[[], bool], what: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the import ended ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"waited 180 s for {what}")
        time.sleep(0.005)


def start_big_import(db: Path, tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """A real import of one large v321r0 part, stopped (SIGSTOP) once it is loading that file's rows: its note
    says so (an importer that keeps no note, an edi837 before this one: once its rollback journal exists)."""
    big = write_ptp(tmp_path / ptp_name("v321r0", 1), random_ptp(BIG_ROWS, seed=7))
    proc = subprocess.Popen([sys.executable, "-m", "edi837", "ncci", "import", "--db", str(db), str(big)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def loading() -> bool:
        note = journal.read_note(db)
        if note is None:  # an importer that keeps no note: its rollback journal says it is writing
            return journal.sibling(db, "-journal").exists()
        return note.loading == big.name

    wait_for(loading, f"the import to load {big.name}", proc)
    os.kill(proc.pid, signal.SIGSTOP)
    return proc, big


def test_an_import_killed_mid_load_is_never_read_and_status_says_so(loaded: Path, tmp_path: Path) -> None:
    proc, big = start_big_import(loaded, tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    # A reader that may not write there (no -shm to create, no journal to roll back) still reads what was there.
    with read_only(loaded.parent):
        code, out, err = text(edi_fix("ncci", "status", "--db", str(loaded)))
    assert (code, err) == (0, "")
    said = [line for line in out.splitlines() if line.startswith("import: ")]
    assert len(said) == 1 and said[0].endswith(
        f"(pid {proc.pid}) of {big.name} was interrupted while loading {big.name}, before it committed: it was "
        "rolled back, none of its rows were ever read and nothing of it is in the database; the next import clears "
        "this note")
    assert "  v320r0  in use, files f1, f2, f3, f4, 4 rows" in out and "  v321r0  " not in out  # 2 rows, 2 fillers
    # A reader that may write returns the database to one file, and says so.
    code, out, err = text(edi_fix("ncci", "status", "--db", str(loaded)))
    assert code == 0 and "recovered: returned the database to one file" in out and "was interrupted while" in out
    assert sorted(p.name for p in loaded.parent.iterdir()) == ["ncci.sqlite3", "ncci.sqlite3.import"]
    code, out, err = text(edi_fix("ncci", "lookup", "98940", "97140", "--date", "2026-03-02", "--db", str(loaded)))
    assert code == 0, err
    assert "v320r0 (ccipra-v320r0-f1.txt, an edi837 test file, not from CMS): 98940/97140 indicator 1" in out
    src = tmp_path / "in.837"
    src.write_bytes(FIXABLE)
    done = edi_fix(str(src), str(tmp_path / "out.837"), "--no-validate", "--ncci-db", str(loaded))
    assert done.returncode in (0, 1), done.stderr
    assert b"v320r0 (ccipra-v320r0-f1.txt" in (tmp_path / "out.837.changes.jsonl").read_bytes()
    # The next import says what it found, loads, and leaves one file behind.
    code, out, err = text(edi_fix("ncci", "import", "--db", str(loaded), str(big)))
    assert code == 0, err
    assert "note: an earlier import started" in out and "nothing of it had been kept" in out
    assert f"loaded   {big.name}: PTP practitioner v321r0 part 1" in out and f"{BIG_ROWS:,} rows" in out
    assert sorted(p.name for p in loaded.parent.iterdir()) == ["ncci.sqlite3"]


HOT_JOURNAL = """
import os, signal, sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("PRAGMA journal_mode = DELETE")
connection.execute("PRAGMA cache_size = 10")  # tiny: pages spill into the database file before the commit
connection.execute("BEGIN IMMEDIATE")
connection.execute("DELETE FROM ptp")
connection.executemany("INSERT INTO ptp VALUES (?, ?, 20000101, NULL, 0, 0, 1, 1)",
                       ((f"{n:05d}", "97140") for n in range(10000, 60000)))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_hot_journal_is_rolled_back_by_a_reader_that_may_write(loaded: Path, tmp_path: Path) -> None:
    """A write killed mid-transaction in rollback-journal mode (as every import of an edi837 before WAL ran)
    leaves a hot journal: a reader that may not write is refused in one line saying who can fix it; one that
    may write rolls it back and reads the database as it was."""
    before = loaded.read_bytes()
    killed = subprocess.run([sys.executable, "-c", HOT_JOURNAL, str(loaded)], check=False)
    assert killed.returncode == -signal.SIGKILL
    journal_file = journal.sibling(loaded, "-journal")
    assert journal_file.exists() and loaded.read_bytes() != before  # rows were written into the file itself
    src = tmp_path / "in.837"
    src.write_bytes(FIXABLE)
    why = (f"edi-fix: refused: {loaded}: an interrupted import left ncci.sqlite3-journal beside it, which must be "
           f"rolled back before the database can be read, and this user may not write there: run `edi-fix ncci "
           f"status --db {loaded}` once as a user who may write to {loaded.parent} (the rollback restores the "
           "database as it was before that import; nothing loaded earlier is lost)")
    with read_only(loaded.parent):
        code, out, err = text(edi_fix("ncci", "status", "--db", str(loaded)))
        assert (code, out, err.strip()) == (2, "", why)
        code, out, err = text(edi_fix(str(src), str(tmp_path / "out.837"), "--no-validate", "--ncci-db", str(loaded)))
        assert code == 2 and why.removeprefix("edi-fix: refused: ") in err
        assert journal_file.exists()
    code, out, err = text(edi_fix("ncci", "status", "--db", str(loaded)))
    assert (code, err) == (0, "")
    assert ("recovered: rolled back ncci.sqlite3-journal, left by an interrupted write: the database is as it was "
            "before it") in out
    assert "  v320r0  in use, files f1, f2, f3, f4, 4 rows" in out and not journal_file.exists()
    with sqlite3.connect(f"{loaded.as_uri()}?mode=ro", uri=True) as connection:
        assert connection.execute("SELECT count(*) FROM ptp").fetchone() == (4,)
    with read_only(loaded.parent):
        done = edi_fix(str(src), str(tmp_path / "out.837"), "--no-validate", "--ncci-db", str(loaded))
    assert done.returncode in (0, 1), done.stderr


def test_readers_never_wait_for_an_import_in_progress(loaded: Path, tmp_path: Path) -> None:
    """The import is stopped mid-load, holding its write transaction: status and lookups answer at once from what
    was committed before it. A run still reading when the import ends keeps the database in WAL mode (the switch
    back to one file needs no other connection): the import says so, and `ncci status` switches it later."""
    proc, big = start_big_import(loaded, tmp_path)
    reader = sqlite3.connect(f"{loaded.as_uri()}?mode=ro", uri=True)
    try:
        code, out, err = text(edi_fix("ncci", "status", "--db", str(loaded)))
        assert (code, err) == (0, "")
        assert f"of {big.name} is running: loading {big.name} now; runs read what was loaded before it" in out
        assert "  v320r0  in use" in out and "  v321r0  " not in out
        code, out, err = text(edi_fix("ncci", "lookup", "98940", "97140", "--date", "2026-03-02", "--db", str(loaded)))
        assert code == 0 and "v320r0" in out, err
        assert reader.execute("SELECT count(*) FROM ptp").fetchone() == (4,)  # a run reading, as the import ends
        os.kill(proc.pid, signal.SIGCONT)
        out_bytes, err_bytes = proc.communicate(timeout=300)
        assert proc.returncode == 0, err_bytes
        assert ("note: runs had the database open, so it stays in WAL mode (ncci.sqlite3-wal beside it) until "
                "`edi-fix ncci status` or the next import returns it to one file") in out_bytes.decode()
        assert journal.in_wal(loaded)
    finally:
        os.kill(proc.pid, signal.SIGCONT) if proc.poll() is None else None
        reader.close()
    code, out, err = text(edi_fix("ncci", "status", "--db", str(loaded)))
    assert code == 0 and ("recovered: returned the database to one file (it was left in WAL mode, with "
                          "ncci.sqlite3-wal beside it)") in out
    assert "import:" not in out and "  v321r0  files f1 (incomplete" in out
    assert not journal.in_wal(loaded) and sorted(p.name for p in loaded.parent.iterdir()) == ["ncci.sqlite3"]
