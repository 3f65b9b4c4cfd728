"""The fast gate against pyx12 on 100,000 mutated files: agreement counts, and every disagreement saved.

Not a test (the suite runs a few hundred of the same mutations, tests/test_gate_differential.py). Each
input is a small valid 837P (tests/gate_mutations.py) with one to three segment or element mutations.
For each, the fast scan's answer (clean, claims flagged, or a file-wide reason) is set against pyx12's
verdict (no error, errors, or a crash). The one count that must be zero is "scan clean, pyx12 rejects".
Such inputs are written to bench/out/gate-disagreements/ to be replayed.

    python bench/gate_agreement.py                      # 100,000 mutations on all cores
    python bench/gate_agreement.py --count 5000 --seed 7
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from edi837.errors import InputRefused  # noqa: E402 - after the path set-up
from edi837.exits import ExitCode  # noqa: E402
from edi837.gate.fast import scan  # noqa: E402
from edi837.gate.pyx12_gate import validate  # noqa: E402
from tests.gate_mutations import bases, mutate  # noqa: E402

SAVED = HERE / "out" / "gate-disagreements"


def work(job: tuple[int, int, int]) -> Counter[tuple[str, str]]:
    start, count, seed = job
    counts: Counter[tuple[str, str]] = Counter()
    files = bases()
    for n in range(start, start + count):
        rng = random.Random(f"{seed}/{n}")
        data = mutate(rng.choice(files), rng)

        def opener(data: bytes = data) -> io.BytesIO:
            return io.BytesIO(data)

        try:
            found = scan(opener)
        except InputRefused:
            counts["refused before the gate", "-"] += 1
            continue
        fast = "clean" if found.clean else "file-wide" if found.global_reason else "claims flagged"
        try:
            pyx12 = "rejects" if validate(opener) else "accepts"
        except InputRefused:
            pyx12 = "crashes (rejects)"
        counts[fast, pyx12] += 1
        if fast == "clean" and pyx12 != "accepts":
            SAVED.mkdir(parents=True, exist_ok=True)
            (SAVED / f"{seed}-{n}.837").write_bytes(data)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    chunk = 500
    jobs = [(start, min(chunk, args.count - start), args.seed) for start in range(0, args.count, chunk)]
    started = time.perf_counter()
    total: Counter[tuple[str, str]] = Counter()
    with multiprocessing.Pool(args.processes) as pool:
        for counts in pool.imap_unordered(work, jobs):
            total.update(counts)
    seconds = time.perf_counter() - started
    print(f"{args.count} mutations, seed {args.seed}, {args.processes} processes, {seconds:.0f} s\n")
    print(f"{'fast scan':<16} {'pyx12':<18} {'count':>8}")
    for (fast, pyx12), n in sorted(total.items()):
        print(f"{fast:<16} {pyx12:<18} {n:>8}")
    wrong = sum(n for (fast, pyx12), n in total.items() if fast == "clean" and pyx12 != "accepts")
    agree = total["clean", "accepts"] + sum(n for (fast, pyx12), n in total.items()
                                            if fast != "clean" and pyx12 != "accepts" and pyx12 != "-")
    extra = sum(n for (fast, pyx12), n in total.items() if fast != "clean" and pyx12 == "accepts")
    print(f"\nagree: {agree}; sent to pyx12 though it accepts: {extra}; "
          f"scan clean but pyx12 rejects: {wrong} (must be 0)")
    return ExitCode.NEEDS_PERSON if wrong else ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
