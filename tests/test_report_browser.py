"""The staff report rendered by a real headless Chromium: what lxml cannot see (layout, print media).

Skipped, with the reason, when Playwright or a Chromium is missing; tests/test_report.py checks the same
report's structure and numbers with lxml either way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edi837.pipeline import FixOptions, fix
from edi837.report.html import render_report
from tests.browser import browser
from tests.test_split import mixed_file

# Every text run between two break opportunities (<wbr>) of a segment, and the number of line boxes it
# takes: a run on two lines is a segment broken inside an element.
_RUNS_PER_LINE = """() => {
  const out = [];
  for (const code of document.querySelectorAll('code.segment')) {
    for (const node of code.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE || !node.textContent) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      out.push([node.textContent, tops.size]);
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    result = fix(mixed_file(), FixOptions(validate=False, hold=frozenset({"review"})))
    report = tmp_path_factory.mktemp("report") / "week.report.html"
    report.write_bytes(render_report(result, input_name="week.837", output_name="out.837", held_name="out.held.837"))
    try:
        with browser() as chromium:
            # narrow enough that the changes table must wrap its segments
            tab = chromium.new_page(viewport={"width": 900, "height": 900})
            tab.goto(report.as_uri())
            yield tab
    except RuntimeError as exc:
        if os.environ.get("EDI837_REQUIRE_BROWSER") == "1":  # CI: the browser tests must run there
            pytest.fail(f"EDI837_REQUIRE_BROWSER=1 but no headless browser: {exc}")
        pytest.skip(f"no headless browser ({exc}); install chromium to run these tests")


def test_the_report_fits_the_screen_and_breaks_segments_only_between_elements(page: Any) -> None:
    assert page.title() == "edi837 report: week.837"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    runs = page.evaluate(_RUNS_PER_LINE)
    assert len(runs) == 16  # SV1 before and after of the one changed claim, 8 elements each
    assert [text for text, lines in runs if lines != 1] == []
    # in a column narrower than a segment, it wraps, and still only between elements
    page.evaluate("""() => { const t = document.querySelector('table.changes');
        t.style.tableLayout = 'fixed'; t.style.width = '260px'; }""")
    try:
        assert page.evaluate("""() => [...document.querySelectorAll('code.segment')]
            .every(c => new Set([...c.getClientRects()].map(r => Math.round(r.top))).size > 1)""")
        assert [text for text, lines in page.evaluate(_RUNS_PER_LINE) if lines != 1] == []
    finally:
        page.reload()


def test_held_cards_come_first_and_every_link_lands_on_its_claim(page: Any) -> None:
    tops = page.evaluate("""() => ({
        held: document.querySelector('.card').getBoundingClientRect().top + window.scrollY,
        changes: document.querySelector('div.claim').getBoundingClientRect().top + window.scrollY})""")
    assert tops["held"] < tops["changes"]
    links = page.eval_on_selector_all("nav a", "links => links.map(a => a.getAttribute('href'))")
    assert len(links) == 6
    for href in links:
        page.click(f"nav a[href='{href}']")
        top = page.evaluate(f"document.getElementById('{href[1:]}').getBoundingClientRect().top")
        at_bottom = page.evaluate("window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 1")
        # the claim is at the top of the window, or the page is scrolled as far as it goes and the claim shows
        assert abs(top) < 2 or (at_bottom and 0 < top < page.evaluate("window.innerHeight")), href
        assert not page.is_visible("script")


def test_printing_hides_the_links_and_keeps_rows_cards_and_headings_whole(page: Any, tmp_path: Path) -> None:
    page.emulate_media(media="print")
    try:
        assert page.evaluate("getComputedStyle(document.querySelector('nav')).display") == "none"
        styles = page.evaluate("""() => ({
            card: getComputedStyle(document.querySelector('.card')).breakInside,
            row: getComputedStyle(document.querySelector('table.changes tbody')).breakInside,
            h2: getComputedStyle(document.querySelector('h2')).breakAfter,
            h3: getComputedStyle(document.querySelector('.card h3')).breakAfter,
            head: getComputedStyle(document.querySelector('table.changes thead')).display})""")
        assert styles == {"card": "avoid", "row": "avoid", "h2": "avoid", "h3": "avoid",
                          "head": "table-header-group"}
        pdf = page.pdf(format="Letter")
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1
    finally:
        page.emulate_media(media="screen")
