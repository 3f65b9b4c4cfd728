"""Mutation fuzzing of the CLI at scale: 100,000 broken inputs through `edi-fix IN OUT`, counts printed.

Not a test (the suite runs 1,000 of the same mutations, tests/test_cli_fuzz.py). Each input is a fixture
837 with one to four random mutations (tests/mutations.py), run in-process with assorted flags; one in
`--gate-every` also goes through the pyx12 gate. What is counted: exit codes, refusals by kind, and every
violation of the contract (exit 3, a traceback, a refusal that is not one line or that wrote something, a
temp file left, a control character on the terminal). Inputs that violate it are saved under
bench/out/fuzz-failures/ to be replayed.

    python bench/fuzz.py                       # 100,000 mutations on 2 processes
    python bench/fuzz.py --count 5000 --seed 7
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from edi837.exits import ExitCode  # noqa: E402
from tests.mutations import mutate, run_cli, seeds, violations  # noqa: E402 - after the path set-up

FLAGS = [["--no-validate"], ["--no-validate", "--format", "json"], ["--no-validate", "--check"],
         ["--no-validate", "--diff"], ["--no-validate", "--apply-review", "REPORT"], ["--no-validate", "STDIN"]]
FAILURES = HERE / "out" / "fuzz-failures"


def _kind(stderr: str) -> str:
    """A refusal's kind: its words without the file name, numbers and quoted values."""
    line = next((x for x in stderr.splitlines() if x.startswith("edi-fix: ")), "")
    text = re.sub(r"^edi-fix: (refused|failed): (\S+: )?", r"\1: ", line)
    text = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "#", text)
    return " ".join(text.split()[:7])


def work(job: tuple[int, int, int]) -> tuple[Counter[str], Counter[str], Counter[str], list[str]]:
    start, count, gate_every = job
    codes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    broken: Counter[str] = Counter()
    saved: list[str] = []
    corpus = seeds()
    rng = random.Random(start)
    with tempfile.TemporaryDirectory() as folder:
        for n in range(start, start + count):
            try:
                data = mutate(rng.choice(corpus), rng)
            except Exception as error:  # a bug of the mutator, not of edi-fix: count it and go on
                broken[f"mutator {type(error).__name__}"] += 1
                continue
            flags = [] if gate_every and n % gate_every == 0 else rng.choice(FLAGS)
            outcome = run_cli(data, Path(folder), flags)
            codes[f"exit {outcome.code}" + (" (gate)" if not flags else "")] += 1
            if outcome.code == ExitCode.REFUSED:
                kinds[_kind(outcome.stderr)] += 1
            problems = violations(outcome, flags)
            for problem in problems:
                broken[problem.split(":")[0]] += 1
            if problems and len(saved) < 20:
                FAILURES.mkdir(parents=True, exist_ok=True)
                path = FAILURES / f"case-{n}.837"
                path.write_bytes(data)
                saved.append(f"{path} {' '.join(flags)}: {problems[0][:200]}")
    return codes, kinds, broken, saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--gate-every", type=int, default=200, help="every Nth input also goes through pyx12 (0: none)")
    args = parser.parse_args()

    started = time.perf_counter()
    chunk = 500
    jobs = [(args.seed * 10_000_000 + i, min(chunk, args.count - i), args.gate_every)
            for i in range(0, args.count, chunk)]
    codes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    broken: Counter[str] = Counter()
    saved: list[str] = []
    with multiprocessing.Pool(args.workers) as pool:
        for done, (c, k, b, s) in enumerate(pool.imap_unordered(work, jobs), start=1):
            codes.update(c)
            kinds.update(k)
            broken.update(b)
            saved.extend(s)
            if done % 20 == 0:
                print(f"  {sum(codes.values()):,} inputs, {sum(broken.values())} violations, "
                      f"{time.perf_counter() - started:.0f} s", file=sys.stderr)

    total = sum(codes.values())
    print(f"{total:,} mutated inputs in {time.perf_counter() - started:.0f} s ({args.workers} processes)")
    print("exit codes:")
    for code, n in sorted(codes.items()):
        print(f"  {code:<16} {n:>8,}")
    print("refusals by kind (top 25):")
    for kind, n in kinds.most_common(25):
        print(f"  {n:>8,}  {kind}")
    print(f"contract violations: {sum(broken.values())}")
    for problem, n in broken.most_common():
        print(f"  {n:>8,}  {problem}")
    for line in saved[:20]:
        print(f"  saved {line}")


if __name__ == "__main__":
    main()
