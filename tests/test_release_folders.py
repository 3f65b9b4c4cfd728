"""Issue 23, item 4: "The watcher's held/ folder works the same way." A held file the watcher or a batch wrote
into held/ is one the claims ledger recorded, so `edi-fix release` takes claims out of it as it does out of the
CLI's held file. Real processes: the watcher (`--once`), a batch on a real Dask cluster, then `ack` and
`release`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edi837.exits import ExitCode
from tests.test_release import DATA, ack, run, valid


def _release_both(folder: Path, held: Path) -> None:
    """SAME1 and SAME2 are held in `held`: acknowledged one by one, each release takes one claim out."""
    assert b"CLM*SAME1*" in held.read_bytes() and b"CLM*SAME2*" in held.read_bytes()
    ack(folder, "SAME1")
    first = run(folder, "release", str(held), "--claim", "SAME1", "--to", "sent.837")
    assert first.returncode == ExitCode.OK, first.stderr
    assert b"CLM*SAME1*" in (folder / "sent.837").read_bytes() and b"CLM*SAME1*" not in held.read_bytes()
    assert valid(folder / "sent.837") and valid(held)
    ack(folder, "SAME2")
    second = run(folder, "release", str(held), "--claim", "SAME2", "--to", "sent2.837")
    assert second.returncode == ExitCode.OK, second.stderr
    assert not held.exists() and valid(folder / "sent2.837")


def _held_rows(folder: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(folder / "ledger.sqlite3") as db:
        return db.execute("SELECT r.entry, f.name FROM run_files f JOIN runs r ON r.id = f.run "
                          "WHERE f.role = 'held' ORDER BY f.run").fetchall()


def test_a_claim_the_watcher_held_is_released_from_its_held_folder(tmp_path: Path) -> None:
    outbound, ready = tmp_path / "outbound", tmp_path / "ready"
    outbound.mkdir()
    ready.mkdir()
    (outbound / "day.837").write_bytes(DATA)
    done = run(tmp_path, "watch", str(outbound), "--to", str(ready), "--once", "--hold", "review", "--no-validate")
    assert done.returncode in (ExitCode.OK, ExitCode.NEEDS_PERSON), done.stderr
    assert _held_rows(tmp_path) == [("watch", "day.837")]
    _release_both(tmp_path, outbound / "held" / "day.837")


def test_a_claim_a_batch_held_is_released_from_its_held_folder(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "day.837").write_bytes(DATA)
    done = run(tmp_path, "batch", "in", "--to", "out", "--workers", "1", "--hold", "review", "--no-validate")
    assert done.returncode == ExitCode.NEEDS_PERSON, done.stderr
    assert _held_rows(tmp_path) == [("batch", "day.837")]
    _release_both(tmp_path, tmp_path / "out" / "held" / "day.837")
