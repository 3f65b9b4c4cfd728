"""The claims ledger as every entry point writes it: real `edi-fix` processes (fix, hook, watch) into a real
SQLite file, one code path (delivery/outputs.py), refused before anything is committed when it cannot be
written, best effort on request, and several writers at once.

Expected values come from the synthetic file of tests/ledger_helpers.py, worked out by hand there: SAFE1
gets a safe fix (delivered), SAME1 has one NC001 review item on line 2 (held with --hold review), PLAIN1 is
left as billed (unchanged); each claim bills $85.00.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edi837.exits import ExitCode
from edi837.ledger.shadow import BESIDE
from tests.cli_helpers import edi_fix, one_refusal
from tests.ledger_helpers import small_file
from tests.watch_helpers import once


def rows(ledger: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(ledger) as db:
        return db.execute(sql, params).fetchall()


def statuses(ledger: Path, run: int = 1) -> dict[str, str]:
    return dict(rows(ledger, "SELECT claim_id, status FROM claims WHERE run = ? ORDER BY position", run))  # type: ignore[arg-type]


def test_cli_run_is_committed_with_claims_files_and_digests(tmp_path: Path) -> None:
    (tmp_path / "in.837").write_bytes(small_file())
    ledger = tmp_path / "db" / "ledger.sqlite3"
    proc = edi_fix("in.837", "out.837", "--hold", "review", "--ledger", str(ledger), cwd=tmp_path)
    assert proc.returncode == ExitCode.NEEDS_PERSON, proc.stderr
    assert rows(ledger, "SELECT state, entry, exit_code, input_name FROM runs") == [("committed", "cli", 1, "in.837")]
    assert rows(ledger, "SELECT input_sha256 FROM runs") == [(hashlib.sha256(small_file()).hexdigest(),)]
    assert statuses(ledger) == {"SAFE1": "delivered", "SAME1": "held", "PLAIN1": "unchanged"}
    assert rows(ledger, "SELECT held_file FROM claims WHERE claim_id = 'SAME1'") == [("out.837.held.837",)]
    files = {role: (name, sha, size) for role, name, sha, size in
             rows(ledger, "SELECT role, name, sha256, size FROM run_files")}
    out, held = (tmp_path / "out.837").read_bytes(), (tmp_path / "out.837.held.837").read_bytes()
    assert files["output"] == ("out.837", hashlib.sha256(out).hexdigest(), len(out))
    assert files["held"] == ("out.837.held.837", hashlib.sha256(held).hexdigest(), len(held))
    assert files["changelog"][0] == "out.837.changes.jsonl"
    for path in (ledger, ledger.with_name(ledger.name + ".key")):  # patient data: the owner's alone
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(ledger.parent.stat().st_mode) == 0o700


def test_environment_variable_names_the_ledger_and_off_keeps_none(tmp_path: Path) -> None:
    (tmp_path / "in.837").write_bytes(small_file())
    ledger = tmp_path / "env.sqlite3"
    env = {**os.environ, "EDI837_LEDGER": str(ledger)}
    assert edi_fix("in.837", "out.837", cwd=tmp_path, env=env).returncode == ExitCode.NEEDS_PERSON
    assert rows(ledger, "SELECT count(*) FROM claims") == [(3,)]
    other = tmp_path / "off.sqlite3"
    env["EDI837_LEDGER"] = str(other)
    assert edi_fix("in.837", "out2.837", "--ledger", "off", cwd=tmp_path, env=env).returncode == 1
    assert not other.exists()
    assert (tmp_path / "out2.837").exists()


def test_a_ledger_that_cannot_be_written_refuses_the_run_before_anything_is_committed(tmp_path: Path) -> None:
    (tmp_path / "in.837").write_bytes(small_file())
    broken = tmp_path / "not-a-ledger"
    broken.write_bytes(b"these are not the bytes of an SQLite file")
    proc = edi_fix("in.837", "out.837", "--hold", "review", "--ledger", str(broken), cwd=tmp_path)
    assert proc.returncode == ExitCode.REFUSED
    assert "claims ledger" in one_refusal(proc.stderr.decode())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837", "not-a-ledger"]  # nothing written


def test_best_effort_warns_once_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "in.837").write_bytes(small_file())
    (tmp_path / "folder").mkdir()
    proc = edi_fix("in.837", "out.837", "--ledger", str(tmp_path / "folder"), "--ledger-best-effort", cwd=tmp_path)
    assert proc.returncode == ExitCode.NEEDS_PERSON  # as without a ledger: SAME1's review item
    warnings = [line for line in proc.stderr.decode().splitlines() if "claims ledger was not kept" in line]
    assert len(warnings) == 1
    assert (tmp_path / "out.837").exists()


def test_a_refused_input_is_recorded_refused_and_nothing_delivered(tmp_path: Path) -> None:
    (tmp_path / "in.837").write_bytes(b"ISA*this is not an interchange~")
    ledger = tmp_path / "ledger.sqlite3"
    proc = edi_fix("in.837", "out.837", "--ledger", str(ledger), cwd=tmp_path)
    assert proc.returncode == ExitCode.REFUSED
    assert rows(ledger, "SELECT state, exit_code FROM runs") == [("refused", 2)]
    assert not (tmp_path / "out.837").exists()


def test_check_writes_no_ledger(tmp_path: Path) -> None:
    (tmp_path / "in.837").write_bytes(small_file())
    ledger = tmp_path / "ledger.sqlite3"
    assert edi_fix("in.837", "out.837", "--check", "--ledger", str(ledger), cwd=tmp_path).returncode == 1
    assert not ledger.exists()


def test_hook_records_its_run(tmp_path: Path) -> None:
    target = tmp_path / "claims.837"
    target.write_bytes(small_file())
    ledger = tmp_path / "ledger.sqlite3"
    proc = edi_fix("hook", str(target), "--ledger", str(ledger))
    assert proc.returncode == ExitCode.NEEDS_PERSON, proc.stderr
    assert rows(ledger, "SELECT state, entry, input_name FROM runs") == [("committed", "hook", "claims.837")]
    assert statuses(ledger) == {"SAFE1": "delivered", "SAME1": "review", "PLAIN1": "unchanged"}


def test_watcher_records_each_file_and_refuses_to_start_without_its_ledger(tmp_path: Path) -> None:
    outbound, ready = tmp_path / "outbound", tmp_path / "ready"
    outbound.mkdir()
    ready.mkdir()
    (outbound / "a.837").write_bytes(small_file())
    ledger = tmp_path / "ledger.sqlite3"
    proc = once(outbound, ready, "--ledger", str(ledger))
    assert proc.returncode == ExitCode.NEEDS_PERSON, proc.stderr  # SAME1 held (the watcher holds by default)
    assert rows(ledger, "SELECT state, entry, input_name FROM runs") == [("committed", "watch", "a.837")]
    assert statuses(ledger) == {"SAFE1": "delivered", "SAME1": "held", "PLAIN1": "unchanged"}
    assert rows(ledger, "SELECT held_file FROM claims WHERE claim_id = 'SAME1'") == [("a.837",)]
    (outbound / "b.837").write_bytes(small_file())
    proc = once(outbound, ready, "--ledger", str(tmp_path))  # a folder: no ledger can be written there
    assert proc.returncode == ExitCode.REFUSED
    assert (outbound / "b.837").exists()  # not taken


def test_concurrent_writers_never_corrupt_the_ledger(tmp_path: Path) -> None:
    """Five CLI runs, two hooks, a watcher and a Dask batch, all real processes started together on one ledger."""
    ledger = tmp_path / "ledger.sqlite3"
    env = {**os.environ, "EDI837_LEDGER": str(ledger)}
    outbound, ready = tmp_path / "outbound", tmp_path / "ready"
    outbound.mkdir()
    ready.mkdir()
    for n in range(3):
        (outbound / f"w{n}.837").write_bytes(small_file())
    commands = []
    for n in range(5):
        (tmp_path / f"in{n}.837").write_bytes(small_file())
        commands.append([f"in{n}.837", f"out{n}.837", "--hold", "review"])
    for n in range(2):
        (tmp_path / f"h{n}.837").write_bytes(small_file())
        commands.append(["hook", f"h{n}.837"])
    commands.append(["watch", str(outbound), "--to", str(ready), "--once", "--settle", "0"])
    (tmp_path / "batch").mkdir()
    for n in range(2):
        (tmp_path / "batch" / f"b{n}.837").write_bytes(small_file())
    commands.append(["batch", "batch", "--to", "batched", "--workers", "1", "--hold", "review"])
    procs = [subprocess.Popen([sys.executable, "-m", "edi837", *c], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for c in commands]
    deadline = time.monotonic() + 600
    for proc in procs:
        _, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        assert proc.returncode == ExitCode.NEEDS_PERSON, err
    assert rows(ledger, "PRAGMA integrity_check") == [("ok",)]
    assert rows(ledger, "SELECT entry, count(*) FROM runs WHERE state = 'committed' GROUP BY entry ORDER BY entry") \
        == [("batch", 2), ("cli", 5), ("hook", 2), ("watch", 3)]
    assert rows(ledger, "SELECT count(*), count(DISTINCT run) FROM claims") == [(36, 12)]
    assert rows(ledger, "SELECT count(*) FROM claims WHERE claim_id = 'SAME1' AND status = 'held'") == [(10,)]


def test_batch_workers_send_rows_and_the_caller_writes_them_with_acks_honoured(tmp_path: Path) -> None:
    """A real local Dask cluster: every file one committed run of entry batch, patients digested by the caller
    (the workers hold no key), and an acknowledgement made before the batch honoured by its workers."""
    ledger = tmp_path / "ledger.sqlite3"
    (tmp_path / "first.837").write_bytes(small_file())
    assert edi_fix("first.837", "first.out", "--hold", "review", "--ledger", str(ledger), cwd=tmp_path).returncode == 1
    assert edi_fix("ack", "SAME1", "--rule", "NC001", "--note", "ok", "--ledger", str(ledger)).returncode == 0
    in_dir, out_dir = tmp_path / "in", tmp_path / "out"
    in_dir.mkdir()
    for name in ("a.837", "b.837"):
        (in_dir / name).write_bytes(small_file())
    (in_dir / "c.837").write_bytes(small_file(same_units="2"))  # the acknowledged line billed otherwise: held
    proc = edi_fix("batch", str(in_dir), "--to", str(out_dir), "--workers", "2", "--hold", "review",
                   "--ledger", str(ledger))
    assert proc.returncode == ExitCode.NEEDS_PERSON, proc.stderr
    assert rows(ledger, "SELECT input_name, state, exit_code FROM runs WHERE entry = 'batch' ORDER BY input_name") \
        == [("a.837", "committed", 0), ("b.837", "committed", 0), ("c.837", "committed", 1)]
    assert rows(ledger, "SELECT r.input_name, c.status FROM claims c JOIN runs r ON r.id = c.run "
                        "WHERE r.entry = 'batch' AND c.claim_id = 'SAME1' ORDER BY r.input_name") \
        == [("a.837", "unchanged"), ("b.837", "unchanged"), ("c.837", "held")]
    # one patient key for every run: the caller's digests match the CLI's
    assert rows(ledger, "SELECT count(DISTINCT patient), count(patient) FROM claims WHERE claim_id = 'SAME1'") \
        == [(1, 4)]
    out = (out_dir / "a.837").read_bytes()
    assert rows(ledger, "SELECT f.sha256, f.size FROM run_files f JOIN runs r ON r.id = f.run "
                        "WHERE r.input_name = 'a.837' AND f.role = 'output'") == [(hashlib.sha256(out).hexdigest(),
                                                                                   len(out))]


def test_the_api_records_when_asked(tmp_path: Path) -> None:
    from edi837.delivery.ledgering import fix_recorded

    ledger = tmp_path / "ledger.sqlite3"
    result = fix_recorded(small_file(), ledger=ledger, validate=False, hold=frozenset({"review"}))
    assert result.held_claims == 1 and result.held_output is not None
    assert rows(ledger, "SELECT state, entry, input_name FROM runs") == [("committed", "api", "api")]
    assert statuses(ledger) == {"SAFE1": "delivered", "SAME1": "held", "PLAIN1": "unchanged"}
    import edi837

    edi837.fix(small_file(), validate=False)  # the plain API keeps no ledger
    assert rows(ledger, "SELECT count(*) FROM runs") == [(1,)]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="processes are read from Linux's /proc")
def test_the_ledger_child_killed_stops_the_run_before_anything_is_placed(tmp_path: Path) -> None:
    """On an input of 1 MB or more the rows are made by a child beside the run (ledger/shadow.py): killed, the
    run cannot write its rows, so it places nothing and says so in one line, exit 2."""
    from edi837.testing.generator import build_837
    from edi837.testing.random_claims import random_claims
    from tests.test_jobs_kills import _children

    source = tmp_path / "in.837"
    source.write_bytes(build_837(random_claims(6000, seed=14, minutes_share=0.3), seed=14))
    assert source.stat().st_size >= 1_000_000
    caller = subprocess.Popen([sys.executable, "-m", "edi837", "in.837", "out.837", "--no-validate", "--jobs", "1",
                               "--ledger", str(tmp_path / "ledger.sqlite3")], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env={**os.environ, BESIDE: "always"})  # whatever the load
    try:
        deadline = time.monotonic() + 120
        while not (children := [p for p, state in _children(caller.pid).items() if state != "Z"]):
            assert caller.poll() is None and time.monotonic() < deadline, "the ledger's child never started"
            time.sleep(0.01)
        for child in children:  # --jobs 1 and no gate: the ledger's child is the only one
            os.kill(child, signal.SIGKILL)
        _, err = caller.communicate(timeout=300)
    finally:
        caller.kill()
        caller.wait()
    assert caller.returncode == ExitCode.REFUSED, err
    assert "ledger's rows stopped" in one_refusal(err.decode())
    assert not (tmp_path / "out.837").exists() and not (tmp_path / "out.837.changes.jsonl").exists()
    assert rows(tmp_path / "ledger.sqlite3", "SELECT state FROM runs") in ([("failed",)], [("prepared",)])


def test_the_rows_child_is_started_only_where_a_core_would_sit_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child beside a run costs more CPU than the rows made in process (it reads the input again): it is
    worth it only on a large input and where the run's core and the child's share fit beside the load."""
    from edi837.ledger import shadow

    monkeypatch.delenv(BESIDE, raising=False)
    monkeypatch.setattr(shadow, "cores", lambda: 4)
    monkeypatch.setattr(shadow.os, "getloadavg", lambda: (2.5, 9.0, 9.0))  # 2.5 + 1 + 0.5 fits in 4
    assert shadow.wanted(shadow.SHADOW_BYTES)
    assert not shadow.wanted(shadow.SHADOW_BYTES - 1)  # small: a fork costs more than it saves
    monkeypatch.setattr(shadow.os, "getloadavg", lambda: (2.6, 0.0, 0.0))  # a core less than the run needs
    assert not shadow.wanted(10**9)
    assert shadow.wanted(10**9, forced=True) and not shadow.wanted(shadow.SHADOW_BYTES - 1, forced=True)
    monkeypatch.setenv(BESIDE, "always")
    assert shadow.wanted(10**9)
    monkeypatch.setattr(shadow.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setenv(BESIDE, "never")
    assert not shadow.wanted(10**9) and shadow.wanted(10**9, forced=True)

    def no_load() -> tuple[float, float, float]:
        raise OSError("no load average")

    monkeypatch.delenv(BESIDE)
    monkeypatch.setattr(shadow.os, "getloadavg", no_load)
    assert not shadow.wanted(10**9)
    monkeypatch.delattr(shadow.os, "getloadavg")  # a platform without one
    assert not shadow.wanted(10**9)
