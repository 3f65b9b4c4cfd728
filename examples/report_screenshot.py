"""Screenshot the demo's HTML report for the README (docs/report-demo.png).

Run after `make demo`: `.venv/bin/python examples/report_screenshot.py`. It needs Playwright and a Chromium
(see tests/browser.py, which the report tests use too); the picture is committed, so nobody needs them to read
the README.
"""

from __future__ import annotations

import sys
from pathlib import Path

from edi837.exits import ExitCode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/browser.py, a test helper: not in the installed package

from tests.browser import browser  # noqa: E402


def main() -> int:
    report = ROOT / "build" / "clinic-week.report.html"
    if not report.exists():
        print("no build/clinic-week.report.html: run `make demo` first", file=sys.stderr)
        return ExitCode.REFUSED
    target = ROOT / "docs" / "report-demo.png"
    target.parent.mkdir(exist_ok=True)
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1100, "height": 1400}, device_scale_factor=1)
        page.goto(report.as_uri())
        page.screenshot(path=str(target), full_page=True)
    print(target.relative_to(ROOT))
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
