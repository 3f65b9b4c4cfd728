"""Benchmark: `edi-fix batch` on 1, 2 (and, where there are more cores, more) Dask workers against one plain
process fixing the same files one after another, in one run.

Not a test: speed is measured and printed here, never asserted in the suite. The goal on a 2-core machine
is near-linear scaling (at least 1.7x with 2 workers).

The plain process runs the batch task (`edi837.batch.task.fix_one`) over the planned files in a loop, with
no Dask at all: the same code path as each worker, so the speed-up is what Dask adds, cluster start-up
included. Every measurement is its own process, timed from outside; the batch runs print their own
start-up time (starting the LocalCluster) in their JSON summary, shown beside. Every run's outputs are
compared byte for byte with the plain process's.

    python bench/batch.py                           # 200 files x 500 claims, the gate on
    python bench/batch.py --files 40 --claims 500   # smaller
    python bench/batch.py --no-validate             # the fix path alone, without the pyx12 gate
    python bench/batch.py --workers 1 2 4
    python bench/batch.py --files 20 --big 40000    # one file of 40,000 claims among 20 small ones: split
                                                    # across the workers (--split-above) and not (0)
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from edi837.exits import ExitCode

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "batch"

PLAIN = """
import sys
from pathlib import Path
from edi837.batch.plan import plan
from edi837.batch.run import for_workers
from edi837.batch.task import fix_one
from edi837.pipeline import FixOptions
options = for_workers(FixOptions(validate=sys.argv[3] == "validate"))
tasks = plan(Path(sys.argv[1]), Path(sys.argv[2]), options, recursive=False, report=False)
outcomes = [fix_one(task) for task in tasks]
print(sum(o.claims for o in outcomes), sum(o.kind in ("ok", "review") for o in outcomes))
"""


def generate(folder: Path, files: int, claims: int, big: int) -> None:
    """`files` files of `claims` generated claims each (a different seed per file), and with `big` one more
    file of that many claims, unless already there."""
    from edi837.testing.generator import random_claims, write_837

    stamp = folder / ".made"
    if stamp.exists() and stamp.read_text() == f"{files} {claims} {big}":
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for number in range(files):
        with (folder / f"practice-{number:04d}.837").open("wb") as out:
            write_837(out, random_claims(claims, seed=number))
    if big:
        with (folder / "practice-big.837").open("wb") as out:
            write_837(out, random_claims(big, seed=files, minutes_share=0.3))
    stamp.write_text(f"{files} {claims} {big}")


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the process and every process it started and waited for:
    the cluster's nannies and workers) and stdout. On a shared machine the wall time depends on what else
    runs; the CPU time says what the work itself cost."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv[2:4]} failed ({proc.returncode}): {err.strip()[-800:]}")
    return seconds, cpu_of_children(), out


_cpu_before = 0.0


def cpu_of_children() -> float:
    """CPU seconds of the children reaped since the last call."""
    global _cpu_before
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    spent, _cpu_before = total - _cpu_before, total
    return spent


def same_outputs(first: Path, second: Path) -> bool:
    names = sorted(p.name for p in first.iterdir() if p.is_file())
    if names != sorted(p.name for p in second.iterdir() if p.is_file()):
        return False
    _, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    return not mismatch and not errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--claims", type=int, default=500, help="claims per file")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    parser.add_argument("--workers", type=int, nargs="+",
                        default=sorted({1, 2, *([cores] if cores > 2 else [])}))
    parser.add_argument("--no-validate", action="store_true", help="skip the pyx12 gate in every run")
    parser.add_argument("--big", type=int, default=0, metavar="CLAIMS",
                        help="add one file of this many claims; each batch then also runs with --split-above 0")
    args = parser.parse_args(argv)

    env = {**os.environ, "EDI837_NCCI_DB": ""}  # the shipped pairs: no machine's own database
    source = OUT / (f"in-{args.files}x{args.claims}" + (f"+{args.big}" if args.big else ""))
    started = time.perf_counter()
    generate(source, args.files, args.claims, args.big)
    total = args.files * args.claims + args.big
    mode = "--no-validate" if args.no_validate else "the gate on"
    print(f"{args.files} files x {args.claims} claims = {total:,} claims ({mode}); {cores} cores; "
          f"generated in {time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.2f}")

    runs = OUT / f"run-{os.getpid()}"  # this run's outputs: two benchmarks at once must not share them
    plain_out = runs / "plain"
    plain_out.mkdir(parents=True)
    cpu_of_children()
    plain, plain_cpu, printed = timed([sys.executable, "-c", PLAIN, str(source), str(plain_out),
                                       "skip" if args.no_validate else "validate"], env)
    claims, written = map(int, printed.split())
    assert claims == total and written == args.files + bool(args.big), printed
    print(f"{'run':<32}{'seconds':>9}{'start-up':>10}{'claims/s':>10}{'speed-up':>10}{'CPU s':>9}  outputs")
    print(f"{'one plain process':<32}{plain:>9.1f}{'':>10}{total / plain:>10,.0f}{1.0:>9.2f}x{plain_cpu:>9.1f}"
          "  (reference)")
    # With a big file: each worker count with the big file split across the workers (the default) and not.
    splits = [None, "0"] if args.big else [None]
    for workers, split in ((w, x) for w in args.workers for x in splits):
        out = runs / f"workers-{workers}-{split or 'default'}"
        extra = ["--no-validate"] if args.no_validate else []
        if split is not None:
            extra += ["--split-above", split]
        seconds, cpu, printed = timed([sys.executable, "-m", "edi837", "batch", str(source), "--to", str(out),
                                  "--workers", str(workers), "--format", "json", *extra], env)
        summary = json.loads(printed)
        assert summary["claims"] == total, summary["claims"]
        same = "identical" if same_outputs(plain_out, out) else "DIFFER"
        label = f"batch, {workers} worker{'s' if workers > 1 else ''}" + (", no split" if split == "0" else "")
        print(f"{label:<32}{seconds:>9.1f}{summary['startup_seconds']:>10.1f}{total / seconds:>10,.0f}"
              f"{plain / seconds:>9.2f}x{cpu:>9.1f}  {same}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    shutil.rmtree(runs, ignore_errors=True)
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
