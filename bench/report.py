"""Benchmark: the HTML report of a large run, its size and how long headless Chromium takes to show it.

Not a test: sizes and times are measured here, never asserted in the suite. The file is generated like
bench/bench.py's (edi837.testing.generator, seed 11) into bench/out/ (not committed); the run holds claims
for review (`--hold review`, as a billing office runs it), the report is rendered as the CLI renders it,
then opened in a real headless Chromium (Playwright, with the system Chromium when Playwright has none:
tests/browser.py): the time from navigation to the load event plus a full layout (the page's height read),
the median of three loads, and the time to print it to PDF once.

    python bench/report.py                 # 20,000 claims
    python bench/report.py --claims 1000 20000
    python bench/report.py --held /srv/billing/claims/2026-03/week-12.837.held.837   # a longer held name
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402  (bench/bench.py, beside this script)
from edi837.pipeline import FixOptions, fix  # noqa: E402
from edi837.report.html import render_report  # noqa: E402
from tests.browser import browser  # noqa: E402


def measure(claims: int, pdf: bool, held: str) -> None:
    source = generate(claims)
    started = time.perf_counter()
    result = fix(source.read_bytes(), FixOptions(validate=False, hold=frozenset({"review"})))
    fixed = time.perf_counter() - started
    started = time.perf_counter()
    page = render_report(result, input_name=source.name, output_name="out.837", held_name=held)
    built = time.perf_counter() - started
    report = source.with_suffix(".report.html")
    report.write_bytes(page)
    links = page.count(b"<a ")
    print(f"{claims} claims: report {len(page) / 1e6:.2f} MB, {links} links, built in {built:.2f} s "
          f"(the fix itself {fixed:.2f} s)")
    with browser() as chromium:
        tab = chromium.new_page(viewport={"width": 1200, "height": 900})
        loads = []
        for _ in range(3):
            started = time.perf_counter()
            tab.goto(report.as_uri(), wait_until="load", timeout=600_000)
            tab.evaluate("document.body.scrollHeight")
            loads.append(time.perf_counter() - started)
        first = tab.evaluate("document.querySelector('h2') ? document.querySelector('h2').textContent : ''")
        print(f"  headless Chromium: load and lay out {statistics.median(loads):.2f} s (median of 3: "
              + ", ".join(f"{x:.2f}" for x in loads) + f"); first section: {first!r}")
        if pdf:
            started = time.perf_counter()
            printed = tab.pdf(format="Letter")
            print(f"  printed to PDF in {time.perf_counter() - started:.2f} s, {len(printed) / 1e6:.1f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, nargs="+", default=[20000])
    parser.add_argument("--pdf", action="store_true", help="also print the report to PDF once")
    parser.add_argument("--held", default="out.837.held.837",
                        help="the held file's name, as each release command says it (default out.837.held.837)")
    args = parser.parse_args()
    for claims in args.claims:
        measure(claims, args.pdf, args.held)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
