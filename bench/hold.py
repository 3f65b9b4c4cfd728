"""Benchmark: what the hold split costs, as the ratio of a run with `--hold review` to the same run without.

Not a test: speed is measured here and reported as a ratio, never asserted in the suite (target <= 1.2x).

The file is bench/bench.py's generated one (seed 11, 30% of timed lines in minutes): about one claim in
six has a review item, so the split really routes claims to both files. Each run is its own process
(start-up included for both alike), and each pair is run `--repeat` times, alternating, taking the best,
because this machine is shared and a single timing varies by tens of percent.

    python bench/hold.py                     # 50k claims, --no-validate (the fix path: where a split could show)
    python bench/hold.py --gate              # also with the pyx12 gate on (minutes: pyx12 reads 21 MB twice)
    python bench/hold.py --claims 10000
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import OUT, SPLIT, generate, measure
from edi837.exits import ExitCode


def pair(path: Path, extra: list[str], repeat: int) -> tuple[float, float]:
    """(seconds without a hold, seconds with --hold review), best of `repeat` each, alternating."""
    py = sys.executable
    plain_out, held_out = OUT / f"{path.stem}.plain.837", OUT / f"{path.stem}.held-run.837"
    plain = [py, "-m", "edi837", str(path), str(plain_out), *extra]
    held = [py, "-m", "edi837", str(path), str(held_out), *extra, "--hold", "review"]
    without, with_hold = [], []
    for _ in range(repeat):
        without.append(measure("plain", plain).seconds)
        with_hold.append(measure("hold", held).seconds)
    return min(without), min(with_hold)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gate", action="store_true", help="also measure with the pyx12 gate on (slow)")
    args = parser.parse_args()
    path = generate(args.claims)
    size_mb = path.stat().st_size / 1e6
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; {args.claims} claims, {size_mb:.1f} MB; "
          f"best of {args.repeat}")
    split = min(measure("bare split", [sys.executable, "-c", SPLIT, str(path)]).seconds for _ in range(args.repeat))
    print(f"  bare split     {split:7.2f} s   (the floor: read and split every segment in Python)")
    runs = [("--no-validate", ["--no-validate"], args.repeat)]
    if args.gate:
        runs.append(("gate on", [], 1))
    for label, extra, repeat in runs:
        without, with_hold = pair(path, extra, repeat)
        held = OUT / f"{path.stem}.held-run.837.held.837"
        held_mb = held.stat().st_size / 1e6 if held.exists() else 0.0
        print(f"  {label:<14} without hold {without:7.2f} s   --hold review {with_hold:7.2f} s   "
              f"ratio {with_hold / without:.2f}x (target <= 1.2)   held file {held_mb:.1f} MB")
        print(f"  {'':<14} --hold review takes {with_hold / split:.1f}x the bare split's time")
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
