"""Benchmark: edi-fix against pyx12 and a bare Python split, on the same generated files, in one run.

Not a test: speed is measured here and reported as ratios, never asserted in the suite.

Every measurement runs in its own process (`python -c ...` or `python -m edi837 ...`), so start-up
cost is included for all methods alike and peak memory (max RSS from wait4) belongs to that method
alone. Files are generated with edi837.testing.generator into bench/out/ (not committed).

    python bench/bench.py                  # 20k and 50k claims (the 50k pyx12 run takes minutes)
    python bench/bench.py --sizes 1000 10000
    python bench/bench.py --pyx12-gate     # also edi-fix --validator pyx12 (the old gate: slow)

The edi-fix runs are made with `--jobs 1` (one core: the fix path's own speed) and again with `--jobs N`,
N the cores (at least 2): the rule work on worker processes (edi837/engine/farm.py), output identical.

Each cell shows wall seconds and CPU seconds (user + system of the process and the children it
waited for, from wait4): on a shared machine the wall time varies with the load, the CPU time much
less. The gated run forks a scan process beside the fix (edi837/gate/ahead.py), so its CPU time is
the sum of both and its wall time is what a user waits.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from edi837.exits import ExitCode

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

# Every method reads the same information, as research/pyx12-notes.md §9 did: each SV1's procedure
# code (SV101-2) and units (SV104, summed), so the totals printed by each can be compared.
READER = """
import sys, pyx12.x12file
units, codes = 0.0, set()
with pyx12.x12file.X12Reader(open(sys.argv[1], encoding="latin-1", newline="")) as src:
    for seg in src:
        if seg.get_seg_id() == "SV1":
            codes.add(seg.get_value("SV101-2"))
            units += float(seg.get_value("SV104"))
print(units, len(codes))
"""

VALIDATE = """
import io, logging, sys, pyx12.params, pyx12.x12n_document
logging.getLogger("pyx12").setLevel(logging.CRITICAL + 1)
ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), open(sys.argv[1], encoding="latin-1", newline=""),
                                       None, None, None, io.StringIO())
print(ok)
"""

SPLIT = """
import sys
data = open(sys.argv[1], "rb").read()
term, ele, comp = data[105:106], data[3:4], data[104:105]
units, codes = 0.0, set()
for seg in data.split(term):
    fields = seg.strip().split(ele)
    if fields[0] == b"SV1":
        codes.add(fields[1].split(comp)[1])
        units += float(fields[4])
print(units, len(codes))
"""


@dataclass
class Measure:
    method: str
    seconds: float
    peak_mb: float
    output: str = ""
    cpu: float = 0.0


def measure(method: str, argv: list[str]) -> Measure:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    stdout = proc.stdout.read().decode().strip() if proc.stdout else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{method} failed ({code}): {stderr.strip()[-500:]}")
    return Measure(method, seconds, usage.ru_maxrss / 1024, stdout.splitlines()[-1] if stdout else "",
                   usage.ru_utime + usage.ru_stime)


def generate(claims: int) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"synthetic-{claims}.837"
    if not path.exists():
        subprocess.run([sys.executable, "-m", "edi837.testing.generator", "--claims", str(claims), "--seed", "11",
                        "--minutes-share", "0.3", "--out", str(path)], check=True)
    return path


def run_size(claims: int, skip_pyx12_above: int, pyx12_gate: bool) -> list[Measure]:
    path = generate(claims)
    py = sys.executable
    fixed = OUT / f"synthetic-{claims}.fixed.837"
    edi_fix = [py, "-m", "edi837", str(path), str(fixed)]
    jobs = str(max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
    results = [
        measure("bare split", [py, "-c", SPLIT, str(path)]),
        # one process: the fix path on one core (--jobs 1), then the same on every core
        measure("edi-fix --no-validate", [*edi_fix, "--no-validate", "--jobs", "1"]),
        measure(f"  same, --jobs {jobs}", [*edi_fix, "--no-validate", "--jobs", jobs]),
        # the machinery alone (tokenizer, walker, writer), no rule work: what every file pays
        measure("  same, --ignore ALL", [*edi_fix, "--no-validate", "--ignore", "ALL", "--jobs", "1"]),
        measure("edi-fix (default gate)", [*edi_fix, "--jobs", "1"]),
        measure(f"  same, --jobs {jobs}", [*edi_fix, "--jobs", jobs]),
    ]
    if claims <= skip_pyx12_above:
        results += [
            measure("pyx12 X12Reader", [py, "-c", READER, str(path)]),
            measure("pyx12 validation", [py, "-c", VALIDATE, str(path)]),
        ]
        if pyx12_gate:
            results.append(measure("edi-fix --validator pyx12", [*edi_fix, "--validator", "pyx12"]))
    return results


def startup() -> Measure:
    """`edi-fix --version`, the best of five (start-up is what a script or health check waits for)."""
    runs = [measure("edi-fix --version", [str(Path(sys.executable).parent / "edi-fix"), "--version"])
            for _ in range(5)]
    return min(runs, key=lambda m: m.seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20000, 50000])
    parser.add_argument("--skip-pyx12-above", type=int, default=10**9,
                        help="skip the slow pyx12 methods for files with more claims than this")
    parser.add_argument("--pyx12-gate", action="store_true", help="also run edi-fix --validator pyx12")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, load average {load:.1f} at start; "
          "each cell is one process\n")
    up = startup()
    print(f"start-up: edi-fix --version {up.seconds:.3f} s wall, {up.cpu:.3f} s CPU (best of 5; target < 0.15 s)\n")
    header = (f"{'claims':>7} {'MB':>6}  {'method':<26} {'wall s':>8} {'CPU s':>7} {'MB/s':>7} {'claims/s':>9} "
              f"{'peak MB':>8}")
    for claims in args.sizes:
        path = generate(claims)
        size_mb = path.stat().st_size / 1e6
        results = run_size(claims, args.skip_pyx12_above, args.pyx12_gate)
        print(header)
        for m in results:
            print(f"{claims:>7} {size_mb:>6.1f}  {m.method:<26} {m.seconds:>8.2f} {m.cpu:>7.2f} "
                  f"{size_mb / m.seconds:>7.2f} {claims / m.seconds:>9.0f} {m.peak_mb:>8.1f}")
        by = {m.method: m for m in results}
        split, fix, bare = by["bare split"], by["edi-fix --no-validate"], by["  same, --ignore ALL"]
        gated = by["edi-fix (default gate)"]
        fix_jobs, gated_jobs = [m for m in results if m.method.startswith("  same, --jobs")]
        print("  ratios (wall; CPU in brackets):")
        print(f"  --no-validate, --jobs 1 / {fix_jobs.method.strip()[6:]}: {fix.seconds / fix_jobs.seconds:.2f}x "
              "faster (near-linear is the target)")
        print(f"  default gate, --jobs 1 / {gated_jobs.method.strip()[6:]}: {gated.seconds / gated_jobs.seconds:.2f}x "
              "faster")
        print(f"  default gated run / --no-validate run: {gated.seconds / fix.seconds:.2f} "
              f"[{gated.cpu / fix.cpu:.2f}]  (target <= 2)")
        print(f"  --no-validate run / bare split: {fix.seconds / split.seconds:.1f} [{fix.cpu / split.cpu:.1f}]")
        print(f"  default gated run / bare split: {gated.seconds / split.seconds:.1f} "
              f"[{gated.cpu / split.cpu:.1f}]")
        print(f"  fix path without rule work / bare split: {bare.seconds / split.seconds:.1f}")
        print(f"  fix path speed: {size_mb / fix.seconds:.2f} MB/s wall, {size_mb / fix.cpu:.2f} MB/s CPU "
              "(target >= 8 on one core)")
        if "pyx12 validation" in by:
            val, reader = by["pyx12 validation"], by["pyx12 X12Reader"]
            print(f"  pyx12 validation / default gated run: {val.seconds / gated.seconds:.1f} "
                  f"[{val.cpu / gated.cpu:.1f}]  (how much faster the gate is than pyx12 alone)")
            print(f"  pyx12 validation / --no-validate run: {val.seconds / fix.seconds:.1f}")
            print(f"  pyx12 X12Reader / --no-validate run: {reader.seconds / fix.seconds:.1f}")
            if "edi-fix --validator pyx12" in by:
                old = by["edi-fix --validator pyx12"]
                print(f"  --validator pyx12 run / default gated run: {old.seconds / gated.seconds:.1f}")
        print(f"  peak memory: --no-validate {fix.peak_mb:.0f} MB, gated {gated.peak_mb:.0f} MB "
              "(target < 150 MB, flat in file size)\n")
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
