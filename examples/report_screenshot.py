"""Screenshot the demo's HTML report for the README (docs/report-demo.png).

Run after `make demo`: `.venv/bin/python examples/report_screenshot.py`. It needs Playwright and a Chromium
(see edi837/testing/browser.py); the picture is committed, so nobody needs them to read the README.
"""

from __future__ import annotations

import sys
from pathlib import Path

from edi837.testing.browser import browser

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    report = ROOT / "build" / "clinic-week.report.html"
    if not report.exists():
        print("no build/clinic-week.report.html: run `make demo` first", file=sys.stderr)
        return 2
    target = ROOT / "docs" / "report-demo.png"
    target.parent.mkdir(exist_ok=True)
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1100, "height": 1400}, device_scale_factor=1)
        page.goto(report.as_uri())
        page.screenshot(path=str(target), full_page=True)
    print(target.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
