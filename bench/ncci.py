"""Benchmark of the NCCI store: importing a quarter of the real size, and what a database costs a fix run.

Not a test: the figures are printed, never asserted in the suite. Targets (issue 12): three million PTP
rows over four files imported in under a minute with peak memory under 300 MB; a fix run with the
database at most 10% slower than the same run without it.

The files are generated (edi837.testing.ncci_files): the CMS layout with invented rows, about three
million of them over four zipped parts (each key's history, repeated keys, indicator 9 rows), and an
MUE table; no CMS data is used. Every measurement runs in its own process, so peak memory (max RSS
from wait4) belongs to that step alone. Files go to bench/out/ (not committed).

    python bench/ncci.py                          # 3,000,000 PTP rows, a 20,000-claim 837, 7 runs each way
    python bench/ncci.py --ptp-rows 300000 --claims 5000 --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from edi837.exits import ExitCode

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "ncci"


def measure(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str, float]:
    """(seconds, peak MB, stdout, CPU seconds) of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    stdout = proc.stdout.read().decode() if proc.stdout else ""
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{argv[2:5]} failed ({code}): {stderr.strip()[-800:]}")
    return seconds, usage.ru_maxrss / 1024, stdout, usage.ru_utime + usage.ru_stime


def generate_ncci(rows: int) -> list[Path]:
    folder = OUT / f"cms-{rows}"
    if not folder.is_dir() or len(list(folder.glob("*.zip"))) < 5:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "edi837.testing.ncci_files", "--ptp-rows", str(rows), "--out",
                        str(folder)], check=True, stdout=subprocess.DEVNULL)
    return sorted(folder.glob("*.zip"))


def generate_837(claims: int) -> Path:
    path = OUT / f"synthetic-{claims}.837"
    if not path.exists():
        subprocess.run([sys.executable, "-m", "edi837.testing.generator", "--claims", str(claims), "--seed", "11",
                        "--minutes-share", "0.3", "--out", str(path)], check=True)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ptp-rows", type=int, default=3_000_000)
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7, help="fix runs each way (the median is compared)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; each figure is one process\n")

    files = generate_ncci(args.ptp_rows)
    size = sum(f.stat().st_size for f in files) / 1e6
    db = OUT / f"ncci-{args.ptp_rows}.sqlite3"
    for suffix in ("", "-journal", "-wal", "-shm", ".import"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    seconds, peak, out, cpu = measure([py, "-m", "edi837", "ncci", "import", "--db", str(db), *map(str, files)])
    rows = sum(int(line.split(", ")[-1].split()[0].replace(",", "")) for line in out.splitlines()
               if line.startswith("loaded") and "PTP" in line)
    print(f"import: {len(files)} ZIPs ({size:.0f} MB zipped), {rows:,} PTP rows: {seconds:.1f} s ({cpu:.1f} s CPU), "
          f"{rows / seconds:,.0f} rows/s, peak {peak:.0f} MB, database {db.stat().st_size / 1e6:.0f} MB")
    print(f"  target: under 60 s and 300 MB -> {'met' if seconds < 60 and peak < 300 else 'NOT met'}")
    again, _, _, _ = measure([py, "-m", "edi837", "ncci", "import", "--db", str(db), *map(str, files)])
    print(f"re-import of the same files (a no-op, sha256 only): {again:.1f} s\n")

    claims = generate_837(args.claims)
    fixed = OUT / "fixed.837"
    base = [py, "-m", "edi837", str(claims), str(fixed), "--no-validate"]
    without: list[tuple[float, float]] = []
    with_db: list[tuple[float, float]] = []
    for _ in range(args.runs):  # interleaved, so drift on a shared machine hits both alike
        seconds, _, _, cpu = measure(base, {"EDI837_NCCI_DB": ""})
        without.append((seconds, cpu))
        seconds, _, _, cpu = measure([*base, "--ncci-db", str(db)])
        with_db.append((seconds, cpu))
    print(f"fix run, {args.claims:,} claims, --no-validate, median of {args.runs} runs each way "
          "(the CPU time is the steadier figure on a shared machine):")
    for what, index in (("CPU time", 1), ("wall time", 0)):
        a = statistics.median(r[index] for r in without)
        b = statistics.median(r[index] for r in with_db)
        print(f"  {what}: without the database {a:.2f} s, with it {b:.2f} s: {100 * (b - a) / a:+.1f}%"
              f"{'  (target at most +10%: ' + ('met' if b <= a * 1.10 else 'NOT met') + ')' if index else ''}")
    print(f"  wall times without: {', '.join(f'{r[0]:.2f}' for r in without)}; "
          f"with: {', '.join(f'{r[0]:.2f}' for r in with_db)}")
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
