"""`--jobs N` when a process dies or is told to stop: a dead worker costs speed, never the run, and a
signal to the caller ends the run (exit 3, nothing left behind) whatever the caller was waiting for.

The kill points are exact, not timed: each forked child stops itself where tests/jobs_probe.py arms it
(while it reads a chunk, runs a claim, writes its answer, starts), so the same point is hit under any load.
Every run that lost a worker must still give the bytes a single process gives.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from edi837.testing.generator import build_837
from edi837.testing.random_claims import random_claims
from tests.test_jobs import PROBE, ROOT, _claims

LINUX_PROC = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="processes are read from Linux's /proc")

# Chunks are 7 claims in the probe: a worker is sent its first 3 chunks at once (3 per worker may be away),
# so every point below is reached by the first worker in every run, whatever the scheduling.
_READING = ["recv:1:0:KILL", "recv:1:2:KILL", "recv:1:4:KILL", "recv:1:5:KILL", "recv:1:half:KILL",
            "recv:1:last:KILL", "recv:1:all:KILL", "recv:2:half:TERM", "recv:3:all:KILL",
            "recv:4:0:KILL",  # waiting for work, its three chunks read
            "fork:::KILL"]
_RUNNING = ["claim:1::KILL", "claim:4::KILL", "claim:7::KILL", "claim:8::KILL", "claim:15::TERM",
            "claim:21::KILL"]
_ANSWERING = ["answer:1:0:KILL", "answer:1:1:KILL", "answer:1:3:KILL", "answer:1:4:KILL", "answer:1:5:KILL",
              "answer:1:half:KILL", "answer:1:last:KILL", "answer:1:all:KILL", "answer:2:half:TERM",
              "answer:2:4:KILL", "answer:3:last:KILL", "answer:3:all:KILL"]


@pytest.mark.parametrize("kills", [_READING, _RUNNING, _ANSWERING], ids=["reading", "running", "answering"])
def test_a_worker_killed_anywhere_costs_speed_not_the_run(kills: list[str], tmp_path: Path) -> None:
    # Half a chunk read, half an answer written, a claim half run, a lock or queue held: the caller notices
    # the death (it never waits on a dead worker for ever), runs what the worker held, and says farm.lost.
    source = tmp_path / "in.837"
    source.write_bytes(_claims(150, seed=21))
    target = tmp_path / "runs.pickle"
    done = subprocess.run([sys.executable, str(PROBE), str(source), str(target), "1,2,3", "--kills", ";".join(kills)],
                          cwd=ROOT, capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    runs: dict[Any, Any] = pickle.loads(target.read_bytes())
    kind, one, _ = runs[(1, "")]
    assert kind == "done" and one["claims"][2] > 20
    for kill in kills:
        for jobs in (2, 3):
            kind, many, lost = runs[(jobs, kill)]
            assert kind == "done", (kill, jobs)
            assert lost, f"{kill}, jobs {jobs}: the worker's death went unnoticed"
            for key in one:
                if key != "jobs":
                    assert many[key] == one[key], f"{kill}, jobs {jobs}: {key} differs"


def _children(pid: int) -> dict[int, str]:
    """The child processes of `pid` and their state letter (Linux's /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
            if int(fields[1]) == pid:
                found[int(entry.name)] = fields[0].decode()
    return found


def _alive(pid: int) -> bool:
    """True while `pid` runs (or is stopped): neither gone nor a zombie waiting to be reaped."""
    try:
        return b") Z" not in Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False


def _blocked(pid: int) -> bool:
    """True once `pid` sleeps and spends no CPU time over half a second, eight looks in a row."""
    def look() -> tuple[str, int]:
        fields = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()
        return fields[0].decode(), int(fields[11]) + int(fields[12])  # state, utime + stime

    first = look()
    for _ in range(8):
        time.sleep(0.0625)
        if look() != first or first[0] != "S":
            return False
    return True


def _edi_fix(kill: str, source: Path, out: Path, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(PROBE), "--cli", kill, str(source), str(out), *options],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)


@LINUX_PROC
@pytest.mark.parametrize("stop", ["claim:3::STOP", "answer:1:half:STOP"])
@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("gate", ["--no-validate", "--validator=fast"])
def test_a_signal_ends_a_run_that_waits_on_a_worker(how: str, stop: str, gate: str, tmp_path: Path) -> None:
    # The worker stops (mid-claim, or with half its answer in the pipe) and the caller waits for it: the
    # signal must still end the run at once, exit 3, with the worker ended and no temporary file left.
    source = tmp_path / "in.837"
    source.write_bytes(_claims(300, seed=22))
    out = tmp_path / "out.837"
    caller = _edi_fix(stop, source, out, gate, "--jobs", "2")
    try:
        deadline = time.monotonic() + 120
        while not ("T" in _children(caller.pid).values() and _blocked(caller.pid)):
            assert caller.poll() is None and time.monotonic() < deadline, "no worker stopped, or the caller ran on"
        workers = list(_children(caller.pid))
        os.kill(caller.pid, getattr(signal, how))
        _, stderr = caller.communicate(timeout=60)
    finally:
        caller.kill()
        caller.wait()
    assert caller.returncode == 3, stderr.decode()[-2000:]
    assert b"interrupted; nothing written" in stderr
    assert b"Traceback" not in stderr and b"Exception ignored" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837"]  # no output, no change log, no temp file
    assert not [pid for pid in workers if _alive(pid)], "a child outlived the run"


@LINUX_PROC
@pytest.mark.parametrize("how", ["TERM", "INT", "HUP"])
def test_a_signal_as_a_child_is_forked_never_runs_the_callers_handler(how: str, tmp_path: Path) -> None:
    # The caller turns SIGTERM into an interrupt of the run; a forked child (a worker, the scan ahead) that
    # got the signal before its own handlers were set printed "Exception ignored in: <bound method
    # Random.seed ...>" (the signal landed in the fork's reseeding) and lived on. A child takes its signals
    # only once its own handlers are set: SIGTERM/SIGHUP end it (the caller does its work), SIGINT is the
    # caller's to handle.
    source = tmp_path / "in.837"
    source.write_bytes(_claims(300, seed=23))
    runs = []
    for jobs, kill in (("1", ""), ("2", f"fork:::{how}")):
        out = tmp_path / f"out{jobs}.837"
        caller = _edi_fix(kill, source, out, "--jobs", jobs)  # the gate's scan ahead forks too
        try:
            stdout, stderr = caller.communicate(timeout=300)
        finally:
            caller.kill()
            caller.wait()
        assert b"Traceback" not in stderr and b"Exception ignored" not in stderr, stderr.decode()[-2000:]
        assert (b'"farm.lost"' in stderr) == (jobs == "2" and how != "INT")
        runs.append((caller.returncode, out.read_bytes(), Path(f"{out}.changes.jsonl").read_bytes(),
                     stdout.replace(str(out).encode(), b"OUT")))
    assert runs[1] == runs[0]


def _workers_of(caller: subprocess.Popen[bytes]) -> list[int]:
    """The live child processes of `caller` once it has some, waiting up to a minute."""
    deadline = time.monotonic() + 60
    while True:
        assert caller.poll() is None and time.monotonic() < deadline, "no worker was ever started"
        found = [pid for pid, state in _children(caller.pid).items() if state != "Z"]
        if found:
            return found
        time.sleep(0.01)


@LINUX_PROC
@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_a_worker_killed_mid_run_costs_speed_not_the_run(how: str, tmp_path: Path) -> None:
    # The out-of-memory killer (or an operator's kill) takes a worker at whatever moment: its chunks are run
    # by the caller, with the same answer; a worker does not inherit the command line's SIGTERM handler, which
    # would turn the signal into an interrupt of the whole run.
    source = tmp_path / "in.837"
    source.write_bytes(build_837(random_claims(6000, seed=14, minutes_share=0.3), seed=14))
    runs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.837"
        # --ledger off: the ledger's own child (ledger/shadow.py) would be among the children killed here; its
        # death stops the run before anything is placed (tests/test_ledger_wiring.py).
        caller = subprocess.Popen([sys.executable, "-m", "edi837", str(source), str(out), "--no-validate", "--jobs",
                                   jobs, "--ledger", "off"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        try:
            if jobs == "2":
                for worker in _workers_of(caller):
                    os.kill(worker, getattr(signal, how))
            stdout, stderr = caller.communicate(timeout=300)
        finally:
            caller.kill()
            caller.wait()
        summary = stdout.replace(str(out).encode(), b"OUT")  # the summary names where it wrote
        runs.append((caller.returncode, out.read_bytes(), Path(f"{out}.changes.jsonl").read_bytes(), summary))
        if jobs == "2":
            assert b'"farm.lost"' in stderr  # the worker was lost mid-run, and the run said so
            assert b"Traceback" not in stderr
    assert runs[1] == runs[0]


@LINUX_PROC
def test_workers_end_with_a_caller_killed_by_sigkill(tmp_path: Path) -> None:
    # An orphaned worker would hold what it inherited: the watcher's lock on OUTBOUND, the caller's files.
    source = tmp_path / "in.837"
    source.write_bytes(build_837(random_claims(5200, seed=12, minutes_share=0.3), seed=12))
    caller = subprocess.Popen([sys.executable, "-m", "edi837", str(source), str(tmp_path / "out.837"),
                               "--no-validate", "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              cwd=ROOT)
    try:
        workers = _workers_of(caller)
        os.kill(caller.pid, signal.SIGKILL)
        caller.wait(timeout=30)
        deadline = time.monotonic() + 10
        alive = workers
        while alive and time.monotonic() < deadline:
            alive = [pid for pid in alive if _alive(pid)]
            time.sleep(0.05)
        assert not alive, f"workers outlived their caller: {alive}"
    finally:
        caller.kill()
        caller.wait()
