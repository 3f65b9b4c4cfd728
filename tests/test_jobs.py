"""`--jobs N`: the rules on several processes give the very bytes one process gives (engine/farm.py).

The invariant is byte identity of everything a run produces: the output, the held file, the change log,
the counts and dollar totals, the exit status. The runs are made in a fresh interpreter
(tests/jobs_probe.py), because the workers fork only in a single-threaded process and a pytest-xdist
worker runs threads; each run also says how many processes ran the rules, so a run that quietly fell
back to one process cannot pass for a parallel one.
"""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from edi837.delivery import terminal
from edi837.engine import farm
from edi837.forking import cores
from edi837.pipeline import FixOptions, fix
from edi837.testing.generator import build_837
from edi837.testing.random_claims import random_claims

ROOT = Path(__file__).resolve().parent.parent
PROBE = Path(__file__).resolve().parent / "jobs_probe.py"


def _probe(tmp_path: Path, data: bytes, jobs: str, *extra: str) -> dict[int, Any]:
    source = tmp_path / "in.837"
    source.write_bytes(data)
    target = tmp_path / "runs.pickle"
    subprocess.run([sys.executable, str(PROBE), str(source), str(target), jobs, *extra], check=True, cwd=ROOT,
                   timeout=300)
    runs: dict[int, Any] = pickle.loads(target.read_bytes())
    return runs


def _claims(count: int, seed: int) -> bytes:
    # Claim shapes (voids, replacements, secondary claims, provider loops) and minutes, several transactions:
    # claims whose lines are removed change SE01, which the caller recounts across the workers' chunks.
    return build_837(random_claims(count, seed=seed, minutes_share=0.3, shapes=True), claims_per_transaction=90,
                     seed=seed)


def test_several_processes_give_the_bytes_one_gives(tmp_path: Path) -> None:
    runs = _probe(tmp_path, _claims(400, seed=3), "1,2,3")
    kinds = {jobs: kind for jobs, (kind, _) in runs.items()}
    assert kinds == {1: "done", 2: "done", 3: "done"}
    one = runs[1][1]
    assert one["jobs"] == 1
    assert one["claims"][2] > 50 and len(one["log"]) > 100  # the rules did change things: identity is no accident
    for jobs in (2, 3):
        many = runs[jobs][1]
        # Processes that ran chunks: the caller and at least one worker (which workers take which chunks is
        # up to the operating system's scheduling, so not every one need get one).
        assert 2 <= many["jobs"] <= jobs
        for key in one:
            if key != "jobs":
                assert many[key] == one[key], f"{key} differs with jobs={jobs}"


def test_held_claims_and_minutes_are_the_same_on_several_processes(tmp_path: Path) -> None:
    data = _claims(300, seed=8)
    # Minutes for the first lines of some claims: read in the workers (TU001) and checked in the caller.
    minutes = tmp_path / "minutes.csv"
    minutes.write_text("claim_id,line,minutes\n" + "".join(f"C{n:08d},1,{20 + n % 20}\n" for n in range(5, 300, 9)))
    runs = _probe(tmp_path, data, "1,2", "review", str(minutes))
    one, two = runs[1][1], runs[2][1]
    assert two["jobs"] == 2  # the caller and its one worker
    assert one["held"] and one["held_output"]  # some claims were held, so the split ran
    for key in one:
        if key != "jobs":
            assert two[key] == one[key], key


def test_a_gated_run_on_several_processes_is_the_same(tmp_path: Path) -> None:
    # The scan ahead (gate/ahead.py) forks before the workers; they must not keep its pipe open.
    runs = _probe(tmp_path, _claims(150, seed=5), "1,2", "", "", "--validate")
    assert runs[2][1]["jobs"] == 2
    assert runs[2][1]["output"] == runs[1][1]["output"]
    assert runs[2][1]["log"] == runs[1][1]["log"]


def _bad_units(data: bytes, claim: int) -> bytes:
    """Units that are not a number on a timed line billed in UN, in this claim or the next that has one:
    the rules refuse that claim."""
    start = data.index(b"CLM*C%08d*" % claim)
    line = re.compile(rb"SV1\*HC:97[^~]*?\*UN\*")
    found = line.search(data, start)
    assert found is not None
    at = found.end()
    return data[:at] + b"X" + data[data.index(b"*", at):]


def _bad_structure(data: bytes, claim: int) -> bytes:
    """A billing provider HL right before this claim's CLM: the walker refuses the file there."""
    at = data.index(b"CLM*C%08d*" % claim)
    return data[:at] + b"HL*99999*1*20*1~\n" + data[at:]


# Chunks are 7 claims here (tests/jobs_probe.py), and the walker reads up to 2 x 3 chunks per worker ahead of
# the answers: faults a few chunks apart meet in that window, where the caller runs some chunks itself.
@pytest.mark.parametrize("faults", [
    ("units 90",),
    ("units 3", "units 40"),  # two: the first in the file is the one told, wherever each ran
    ("units 10", "units 24"),
    ("units 5", "structure 30"),  # the walker reads ahead of the answers: the earlier claim still comes first
    ("units 12", "structure 48"),
    ("structure 333",),
])
def test_a_refusal_is_the_one_a_single_process_gives(faults: tuple[str, ...], tmp_path: Path) -> None:
    data = _claims(400, seed=4)
    for fault in sorted(faults, key=lambda f: -int(f.split()[1])):  # from the end, so positions hold
        kind, claim = fault.split()
        data = (_bad_units if kind == "units" else _bad_structure)(data, int(claim))
    runs = _probe(tmp_path, data, "1,2,3")
    assert runs[1][0] == "refused"
    assert runs[2] == runs[1] and runs[3] == runs[1]


def test_small_files_and_one_job_run_in_process() -> None:
    data = _claims(20, seed=1)
    assert len(data) < farm.MIN_BYTES
    assert fix(data, FixOptions(validate=False, jobs=4, ncci_db=False)).jobs == 1
    assert farm.jobs_for(1) == 1
    assert farm.jobs_for(None) == cores()  # the command line's default: every core this process may use


def test_edi_fix_jobs_writes_the_same_files(tmp_path: Path) -> None:
    # Above the size where the CLI starts workers by itself (MIN_BYTES): the real command, both ways.
    data = build_837(random_claims(5200, seed=12, minutes_share=0.3), seed=12)
    assert len(data) > farm.MIN_BYTES
    source = tmp_path / "in.837"
    source.write_bytes(data)
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.837"
        done = subprocess.run([sys.executable, "-m", "edi837", str(source), str(out), "--no-validate", "--jobs", jobs,
                               "--format", "json"], capture_output=True, cwd=ROOT, timeout=300)
        assert done.returncode == 1  # review items remain in this mix
        assert f'"jobs": {jobs},' in done.stderr.decode()  # the run's log line: how many processes ran the rules
        summary = json.loads(done.stdout)
        for key in ("written", "changelog", "seconds", "claims_per_second"):
            summary.pop(key, None)  # where this run wrote and how long it took: the rest must be the same
        outputs.append((out.read_bytes(), Path(f"{out}.changes.jsonl").read_bytes(), summary))
    assert outputs[1] == outputs[0]


def test_the_run_tells_its_ncci_source_once_however_many_processes(tmp_path: Path) -> None:
    # Each worker builds the run's engine again; what it found is the caller's to log, once.
    from edi837.testing.ncci_files import ncci_database

    database = ncci_database(Path(__file__).parent / "fixtures" / "ncci" / "cms.toml")
    source = tmp_path / "in.837"
    source.write_bytes(build_837(random_claims(5200, seed=13), seed=13))
    said = []
    for jobs in ("1", "2"):
        done = subprocess.run([sys.executable, "-m", "edi837", str(source), str(tmp_path / f"out{jobs}.837"),
                               "--no-validate", "--jobs", jobs, "--ncci-db", str(database)], capture_output=True,
                              text=True, cwd=ROOT, timeout=300)
        assert f'"jobs": {jobs},' in done.stderr
        said.append(done.stderr.count('"event": "ncci.source"'))
    assert said == [1, 1]


def test_edi_fix_refuses_zero_jobs(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "edi837", str(tmp_path / "a"), str(tmp_path / "b"), "--jobs", "0"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert not (tmp_path / "b").exists()


def test_the_progress_bar_starts_no_thread() -> None:
    # A second thread would stop the scan ahead and the workers from forking (edi837/forking.py).
    before = threading.active_count()
    with terminal.progress_bar(100) as update:
        update(50)
        assert threading.active_count() == before
        update(100)


def test_a_hedging_farm_never_waits_for_a_chunk_that_is_away(monkeypatch: pytest.MonkeyPatch) -> None:
    # On a cluster a chunk may queue behind another file's whole task: the file's own task then runs it
    # itself, so a split file never waits on it. Here the chunks sent away never come back at all.
    from concurrent.futures import Future

    from edi837.model.claim import Claim

    class Engine:
        def run(self, claim: object) -> object:
            return ("outcome", claim)

    monkeypatch.setattr(farm, "CHUNK", 3)
    sent: list[Future[Any]] = []

    def submit(claims: object) -> Future[Any]:
        sent.append(Future())
        return sent[-1]

    claim_farm = farm.ClaimFarm(Engine(), submit, 2, hedge=True)  # type: ignore[arg-type]
    units: list[object] = []
    for n in range(40):
        units.append(f"loop before claim {n}")
        units.append(object.__new__(Claim))
    got = list(claim_farm.outcomes(units))  # type: ignore[arg-type]
    assert [unit for unit, _ in got] == units
    assert all(outcome == ("outcome", unit) if isinstance(unit, Claim) else outcome is None for unit, outcome in got)
    assert sent and all(future.cancelled() for future in sent)


@pytest.mark.parametrize(("value", "seconds"), [(None, 0.5), ("3", 3.0), ("0.25", 0.25), ("0", 0.5), ("-2", 0.5),
                                              ("soon", 0.5), ("nan", 0.5), ("inf", 0.5), ("", 0.5)])
def test_the_wait_for_a_chunk_away_is_half_a_second_unless_said(value: str | None, seconds: float,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # docs/running.md: EDI837_HEDGE_AFTER, a positive number of seconds; anything else keeps the default.
    if value is None:
        monkeypatch.delenv("EDI837_HEDGE_AFTER", raising=False)
    else:
        monkeypatch.setenv("EDI837_HEDGE_AFTER", value)
    assert farm.hedge_after() == seconds


def test_a_hedging_farm_takes_the_chunks_that_come_back_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker's first chunk of a file builds its engine: an answer a moment late is still taken, not redone.
    import threading
    import time
    from concurrent.futures import Future

    from edi837.model.claim import Claim

    class Engine:
        def run(self, claim: object) -> object:
            return ("outcome", claim)

    monkeypatch.setattr(farm, "CHUNK", 3)

    def submit(claims: list[object]) -> Future[Any]:
        future: Future[Any] = Future()
        threading.Timer(0.05, lambda: future.set_result(("elsewhere", [("outcome", c) for c in claims]))).start()
        return future

    claim_farm = farm.ClaimFarm(Engine(), submit, 2, hedge=True)  # type: ignore[arg-type]
    units = [object.__new__(Claim) for _ in range(30)]
    started = time.monotonic()
    got = list(claim_farm.outcomes(units))  # type: ignore[arg-type]
    assert [outcome for _, outcome in got] == [("outcome", unit) for unit in units]
    assert "elsewhere" in claim_farm.ran_by
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("workers", [1, 3])
def test_answers_are_consumed_in_input_order_however_they_finish(workers: int,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # The farm's ordering alone: threads stand in for the worker processes, and each claim takes a random
    # time, so chunks finish out of order and some run in the caller while older ones are still out.
    import random
    import time
    from concurrent.futures import ThreadPoolExecutor

    from edi837.model.claim import Claim

    delays = random.Random(workers)

    class Engine:
        def run(self, claim: object) -> object:
            time.sleep(delays.random() / 2000)
            return ("outcome", claim)

    monkeypatch.setattr(farm, "CHUNK", 3)
    pool = ThreadPoolExecutor(workers)
    claim_farm = farm.ClaimFarm(Engine(), lambda claims: pool.submit(farm.run_claims, Engine(), claims),  # type: ignore[arg-type]
                                workers, lambda: pool.shutdown(wait=True))
    units: list[object] = []
    for n in range(101):
        units.append(f"loop before claim {n}")
        units.append(object.__new__(Claim))
    units.append("trailer")
    try:
        got = list(claim_farm.outcomes(units))  # type: ignore[arg-type]
    finally:
        claim_farm.close()
    assert [unit for unit, _ in got] == units
    assert all(outcome == ("outcome", unit) if isinstance(unit, Claim) else outcome is None for unit, outcome in got)


def test_partners_in_other_chunks_give_the_same_bytes_on_several_processes(tmp_path: Path) -> None:
    """NCCI's unit of edit crosses claims (engine/partners.py): a claim's partner lines, found before the run,
    travel with its chunk, so a claim whose partner is in another chunk (the probe's chunks are 7 claims,
    partners 60 apart) gets the answer it gets in one process."""
    from tests.helpers import split_visits_far_apart

    runs = _probe(tmp_path, split_visits_far_apart(300, seed=5, gap=60), "1,2")
    one, two = runs[1][1], runs[2][1]
    assert two["jobs"] == 2
    across = [json.loads(r) for r in one["log"] if "another claim of this file" in json.loads(r)["message"]]
    assert {r["claim_id"] for r in across} >= {"FAR0-B", "FAR1-B", "FAR2-B"}  # the pairs were seen across chunks
    for key in one:
        if key != "jobs":
            assert two[key] == one[key], key
