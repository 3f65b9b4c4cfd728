"""Benchmark: what the claims ledger adds to a run, against the fix run's own time (target: at most +10%).

Not a test: speed is measured here and reported, never asserted in the suite.

The file is bench/bench.py's generated one (seed 11, 30% of timed lines in minutes). In one process:
- the fix run as the API makes it (`edi837.fix`, with `--no-validate`: the fix path, where the ledger's share
  shows most; and with the default gate), best of `--repeat`;
- the ledger's work as the pipeline will do it: the fix path's own loop (walker, rule engine, claim by claim)
  with the recorder called where the pipeline will call it - the bytes passed through between claims (the
  patient's loops), each claim with its final records - timed around those calls only, plus the two end
  steps (`write` before the outputs are placed, `commit` after), into a fresh ledger each time;
  measured twice: with the rows made by a child process beside the run (ledger/shadow.py: what a run on a
  large input does where it may fork) and in this process (where it may not: the watcher, a Dask worker);
- whole `edi-fix IN OUT` processes with the ledger off and on, the rows made in process (where the machine has
  no idle core: ledger/shadow.py) and beside (where it has), whatever the load now;
- the same loop whole, with the recorder's calls and without (CPU, best of `--repeat` each): what the ledger
  adds to the loop, its effect on the run's own work included;
- the ratio that target is about: the ledger's CPU in process over the --no-validate run's CPU, each the best
  of `--repeat` (CPU time, not wall: on a loaded machine wall time is mostly waiting), with the load said;
- what a 20k-claim run leaves in the ledger (bytes) and what `claims` takes to answer over two such runs.

    python bench/ledger.py                  # 20,000 claims
    python bench/ledger.py --claims 50000 --repeat 2
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import edi837
from bench import generate
from edi837.engine import farm as farming
from edi837.ledger import queries
from edi837.ledger.recorder import Recorder, options_digest
from edi837.ledger.rows import FileRow, RunInfo
from edi837.ledger.store import Ledger
from edi837.model.claim import Claim
from edi837.model.walker import Passthrough, Walker
from edi837.pipeline import FixOptions, build_engine
from edi837.x12.envelope import SegmentStream


def best(repeat: int, step: Callable[[], tuple[float, float]]) -> tuple[float, float]:
    """The best wall time and the best CPU time of `repeat` runs (each its own minimum)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        times.append(step())
    return min(wall for wall, _ in times), min(cpu for _, cpu in times)


def fix_seconds(data: bytes, validate: bool) -> tuple[float, float]:
    """(wall, CPU of this process) of one fix run."""
    started, cpu = time.perf_counter(), time.process_time()
    edi837.fix(data, validate=validate)
    return time.perf_counter() - started, time.process_time() - cpu


class Spent:
    """Time a run spends in the recorder's calls (wall and CPU), and the CPU of the child making its rows."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self._child = _children_cpu()

    def __enter__(self) -> Spent:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu

    @property
    def child(self) -> float:
        return _children_cpu() - self._child


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def loop_cpu(data: bytes, folder: Path, *, record: bool) -> float:
    """CPU of the whole fix loop of `ledger_run`, with the recorder's calls (in process) or without them: the
    difference is what the ledger adds, the way it slows the run's own work (caches) included."""
    if not record:
        started = time.process_time()
        stream = SegmentStream(io.BytesIO(data))
        engine = build_engine(stream.delimiters, FixOptions(validate=False))
        for _ in farming.in_process(Walker(stream), engine):
            pass
        if engine.packs is not None:
            engine.packs.close()
        return time.process_time() - started
    started = time.process_time()
    ledger_run(data, folder, beside=False)
    return time.process_time() - started


def ledger_run(data: bytes, folder: Path, *, beside: bool, keep: bool = False) -> Spent:
    """The recorder's time in a fix loop (see the module docstring): what the run spends in its calls, waiting
    at `write` for the rows included. `beside`: the rows made by a child (ledger/shadow.py), else in process;
    `keep`: into the ledger already there."""
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    options = FixOptions(validate=False)
    spent = Spent()
    with spent:
        recorder = Recorder.prepare(folder / "ledger.sqlite3", RunInfo("api", "synthetic.837",
                                                                        options_digest(options)),
                                    opener=lambda: io.BytesIO(data), size=len(data), beside=beside)
    stream = SegmentStream(io.BytesIO(data))
    delims = stream.delimiters
    engine = build_engine(delims, options)
    position = -1
    for unit, outcome in farming.in_process(Walker(stream), engine):
        if type(unit) is Passthrough:
            with spent:
                recorder.passthrough(unit.raw, delims)
        elif type(unit) is Claim:
            assert outcome is not None
            position += 1
            with spent:
                recorder.claim(position, unit, outcome.records)
    with spent:
        recorder.write([FileRow("output", "synthetic.fixed.837", "0" * 64, len(data))])
        recorder.commit(0)
        recorder.close()
    if engine.packs is not None:
        engine.packs.close()
    assert recorder.problem is None, recorder.problem
    return spent


def _load() -> str:
    """The machine's load, said beside the numbers it disturbs."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cpus"


def cli_seconds(source: Path, folder: Path, ledger: str, validate: bool) -> tuple[float, float]:
    """(wall, CPU) of one real `edi-fix IN OUT --jobs 1` process, its children included, `--ledger` as given (a
    fresh ledger file each time): `off`, or the rows made `beside` (a child) or `here` (in process), whatever the
    load (ledger/shadow.py chooses by it). CPU is the fair measure on a busy machine, where wall time is the
    others'."""
    target = folder / "ledger.sqlite3"
    for leftover in folder.glob("ledger.sqlite3*"):
        leftover.unlink()
    args = [sys.executable, "-m", "edi837", str(source), str(folder / "out.837"), "--ledger",
            str(target) if ledger != "off" else "off", "--jobs", "1", *([] if validate else ["--no-validate"])]
    beside = {"beside": "always", "here": "never"}.get(ledger, "")
    started, cpu = time.perf_counter(), _children_cpu()
    subprocess.run(args, check=False, capture_output=True,
                   env={**os.environ, "EDI837_NCCI_DB": "", "EDI837_LEDGER_BESIDE": beside})
    return time.perf_counter() - started, _children_cpu() - cpu


def wired(data: bytes, folder: Path, repeat: int) -> None:
    """The ledger as the entry points now keep it: `edi-fix IN OUT` with --ledger off and on, whole processes."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "in.837"
    source.write_bytes(data)
    for validate in (False, True):
        label = "default gate " if validate else "--no-validate"
        off = min((cli_seconds(source, folder, "off", validate) for _ in range(repeat)), key=lambda t: t[1])
        print(f"  edi-fix IN OUT {label}: --ledger off {off[0]:6.2f} s wall {off[1]:6.2f} s CPU")
        for where in ("here", "beside"):
            on = min((cli_seconds(source, folder, where, validate) for _ in range(repeat)), key=lambda t: t[1])
            print(f"    rows made {where:<6}: {on[0]:6.2f} s wall {on[1]:6.2f} s CPU: "
                  f"+{100 * (on[1] - off[1]) / off[1]:.1f}% CPU, +{100 * (on[0] - off[0]) / off[0]:.1f}% wall "
                  f"(target <= 10%); {_load()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = generate(args.claims).read_bytes()
    folder = Path(tempfile.mkdtemp(prefix="edi837-ledger-bench-"))
    try:
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; {args.claims} claims, "
              f"{len(data) / 1e6:.1f} MB; best of {args.repeat}; {_load()}")
        fix_path, fix_cpu = best(args.repeat, lambda: fix_seconds(data, False))
        gated, _ = best(args.repeat, lambda: fix_seconds(data, True))
        beside = min((ledger_run(data, folder / "beside", beside=True) for _ in range(args.repeat)),
                     key=lambda s: s.wall)
        # In process the ledger's work is CPU in this process: its best CPU time is the measure a loaded machine
        # leaves least disturbed (wall time there is mostly waiting for a core).
        here = min((ledger_run(data, folder / "here", beside=False) for _ in range(args.repeat)),
                   key=lambda s: s.cpu)
        wired(data, folder / "wired", args.repeat)
        print(f"  fix run, --no-validate        {fix_path:6.2f} s wall {fix_cpu:6.2f} s CPU")
        print(f"  fix run, default gate         {gated:6.2f} s wall")
        for label, spent in (("ledger, rows made beside", beside), ("ledger, rows made in process", here)):
            print(f"  {label:<30}{spent.wall:6.2f} s wall {spent.cpu:6.2f} s CPU: +{100 * spent.wall / fix_path:.1f}% "
                  f"of --no-validate's wall, +{100 * spent.cpu / fix_cpu:.1f}% of its CPU, "
                  f"+{100 * spent.wall / gated:.1f}% of the gated run's wall (target <= 10%)")
        print(f"  in process, ledger CPU / fix run CPU = {here.cpu:.2f} / {fix_cpu:.2f} = {here.cpu / fix_cpu:.3f} "
              f"(target <= 0.100); {_load()}")
        alone = min(loop_cpu(data, folder / "loop", record=False) for _ in range(args.repeat))
        recorded = min(loop_cpu(data, folder / "loop", record=True) for _ in range(args.repeat))
        print(f"  the fix loop alone {alone:.2f} s CPU, with the ledger in process {recorded:.2f} s CPU: ratio "
              f"{recorded / alone:.3f} (+{100 * (recorded - alone) / alone:.1f}%); {_load()}")
        print(f"  the child making the rows beside: {beside.child:.2f} s CPU on another core; run and child "
              f"together +{100 * (beside.cpu + beside.child) / fix_cpu:.1f}% of --no-validate's CPU")
        ledger = folder / "beside" / "ledger.sqlite3"
        size = ledger.stat().st_size
        ledger_run(data, folder / "beside", beside=True, keep=True)
        started = time.perf_counter()
        with Ledger.open(ledger, write=False) as opened:
            listed = queries.claims(opened)
            total = queries.totals(listed)
        print(f"  ledger file after one run   {size / 1e6:7.1f} MB ({size / args.claims:.0f} bytes a claim)")
        print(f"  claims query over two runs: {total.claims} claims by their latest run, "
              f"{time.perf_counter() - started:.2f} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
