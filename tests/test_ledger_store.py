"""The claims ledger as a file: made with the modes of patient data, refused when it is not a ledger of a
schema this edi837 knows or has lost its key, refused before a run begins when it cannot be written, never
corrupted by two processes writing at once, and a run killed mid-way shown as not committed."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from edi837.ledger import queries, schema
from edi837.ledger.recorder import Recorder
from edi837.ledger.rows import RunInfo
from edi837.ledger.secret import key_path
from edi837.ledger.store import Ledger, LedgerUnavailable
from tests.helpers import REPO
from tests.ledger_helpers import record, small_file
from tests.osfixtures import read_only

INFO = RunInfo("cli", "in.837", "0" * 64)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_ledger_is_private_and_marked_as_a_ledger(tmp_path: Path) -> None:
    path = tmp_path / "new" / "ledger.sqlite3"
    with Ledger.open(path) as ledger:
        assert mode(path.with_name("ledger.sqlite3-wal")) == 0o600
        assert ledger.connection.execute("PRAGMA application_id").fetchone()[0] == 0x4544_4C47
        assert ledger.connection.execute("PRAGMA user_version").fetchone()[0] == 2
        assert ledger.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (mode(path.parent), mode(path), mode(key_path(path))) == (0o700, 0o600, 0o600)
    shared = tmp_path / "shared" / "ledger.sqlite3"
    Ledger.open(shared, group_readable=True).close()
    assert (mode(shared.parent), mode(shared), mode(key_path(shared))) == (0o750, 0o640, 0o640)


def _refused(path: Path, words: str, *, write: bool = True) -> None:
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(LedgerUnavailable, match=words):
        Ledger.open(path, write=write)
    assert (path.read_bytes() if path.is_file() else None) == before  # nothing written into it


def test_what_is_not_a_ledger_is_refused_untouched(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    _refused(text, "not an SQLite file")
    store = tmp_path / "ncci.sqlite3"  # another SQLite file: the NCCI store, a spreadsheet's export
    with sqlite3.connect(store) as db:
        db.execute("CREATE TABLE ptp (a, b)")
    _refused(store, "not an edi837 claims ledger")
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("PRAGMA application_id = 7")
    _refused(other, "not an edi837 claims ledger")
    _refused(tmp_path, "a folder")
    _refused(tmp_path / "absent.sqlite3", "no claims ledger there yet", write=False)
    assert not (tmp_path / "absent.sqlite3").exists()


def test_a_ledger_of_a_later_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    Ledger.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    _refused(path, "of a later edi837")
    _refused(path, "of a later edi837", write=False)


def test_a_ledger_without_its_own_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    Ledger.open(path).close()
    key = key_path(path)
    mine = key.read_bytes()
    key.unlink()
    _refused(path, "key file is missing")
    assert not key.exists()  # no new key made in its place
    Ledger.open(tmp_path / "other.sqlite3").close()
    key.write_bytes(key_path(tmp_path / "other.sqlite3").read_bytes())
    _refused(path, "not the key this ledger was written with")
    key.write_bytes(mine)
    Ledger.open(path).close()


def test_a_ledger_that_cannot_be_written_refuses_the_run_before_it_begins(tmp_path: Path) -> None:
    folder = tmp_path / "ledgers"
    folder.mkdir()
    path = folder / "ledger.sqlite3"
    record(path, small_file())
    with read_only(folder):
        with pytest.raises(LedgerUnavailable, match="cannot be written"):
            Recorder.prepare(folder / "never.sqlite3", INFO)
        with pytest.raises(LedgerUnavailable, match="cannot be written"):
            Recorder.prepare(path, INFO)  # no -wal file can be made beside it
        best = Recorder.prepare(path, INFO, required=False)  # best effort: the run goes on, told why
        assert not best.on and best.problem is not None and "cannot be written" in best.problem
    assert not (folder / "never.sqlite3").exists()
    with Ledger.open(path, write=False) as ledger:
        assert [r.state for r in queries.runs(ledger)] == ["committed"]


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from tests.ledger_helpers import record, small_file
    data = small_file()
    for n in range(int(sys.argv[2])):
        record(Path(sys.argv[1]), data, beside=n % 3 == 0)
""")


def test_two_processes_writing_one_ledger_never_corrupt_it(tmp_path: Path) -> None:
    """Two real processes start on a ledger that does not exist yet (both make it, migrate it, make its key)
    and record runs into it at once, some with rows made by a child of their own."""
    path = tmp_path / "ledger.sqlite3"
    runs = 12
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(runs)], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for writer in writers:
        _out, err = writer.communicate(timeout=600)
        assert writer.returncode == 0, err.decode()[-2000:]
    with Ledger.open(path, write=False) as ledger:
        db = ledger.connection
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM migrations").fetchone()[0] == 2
        listed = queries.runs(ledger)
        assert [r.state for r in listed] == ["committed"] * 2 * runs
        assert {r.pid for r in listed} == {w.pid for w in writers}
        assert all(r.claims == 3 for r in listed)
        positions = db.execute("SELECT run, group_concat(position, ',') FROM (SELECT run, position FROM claims "
                               "ORDER BY run, position) GROUP BY run").fetchall()
        assert {p for _, p in positions} == {"0,1,2"}
        # One key for both: every run digests the same patient the same way.
        assert db.execute("SELECT count(DISTINCT patient) FROM claims WHERE claim_id = 'SAME1'").fetchone()[0] == 1


KILLED = textwrap.dedent("""
    import io, os, sys
    from pathlib import Path
    import edi837
    from edi837.ledger.build import rows_for
    from edi837.ledger.recorder import Recorder
    from edi837.ledger.rows import RunInfo
    from tests.ledger_helpers import small_file
    data = small_file()
    recorder = Recorder.prepare(Path(sys.argv[1]), RunInfo("watch", "in.837", "0" * 64))
    for row in rows_for(lambda: io.BytesIO(data), edi837.fix(data, validate=False)):
        recorder.add(row)
    recorder.flush()
    os._exit(9)  # killed before its outputs were placed: never written, never committed
""")


def test_a_run_killed_midway_shows_as_not_committed(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    record(path, small_file())
    killed = subprocess.run([sys.executable, "-c", KILLED, str(path)], cwd=REPO, capture_output=True, timeout=300)
    assert killed.returncode == 9, killed.stderr.decode()[-2000:]
    with Ledger.open(path) as ledger:
        first, second = queries.runs(ledger)
        assert (first.condition, second.state, second.condition) == ("committed", "prepared", "not committed")
        latest = queries.claims(ledger)
        assert [(c.run, c.claim_id, c.committed, c.run_condition) for c in latest] == [
            (2, "SAFE1", False, "not committed"), (2, "SAME1", False, "not committed"),
            (2, "PLAIN1", False, "not committed")]
        assert queries.totals(latest).not_committed == 3
        # What an 835 is matched against is only what a committed run delivered.
        assert [d.run for d in queries.delivered_claims(ledger)] == [1, 1, 1]


def test_a_later_migration_brings_an_existing_ledger_forward(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ledger written by an edi837 that knew only step 1 gets step 2 (the 835/277CA tables) once, keeping its
    rows; an edi837 that knows only step 1 then refuses it."""
    path = tmp_path / "ledger.sqlite3"
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
    monkeypatch.setattr(schema, "VERSION", 1)
    record(path, small_file())
    monkeypatch.undo()
    with pytest.raises(LedgerUnavailable, match="earlier schema"):
        Ledger.open(path, write=False)
    record(path, small_file())
    with Ledger.open(path, write=False) as ledger:
        db = ledger.connection
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        assert [v for v, *_ in db.execute("SELECT * FROM migrations ORDER BY version")] == [1, 2]
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"remittances", "remit_claims", "remit_lines", "status_reports", "claim_statuses"} <= tables
        assert db.execute("SELECT count(*) FROM remit_claims").fetchone()[0] == 0
        assert [r.claims for r in queries.runs(ledger)] == [3, 3]
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
    monkeypatch.setattr(schema, "VERSION", 1)
    with pytest.raises(LedgerUnavailable, match="of a later edi837"):
        Ledger.open(path)
