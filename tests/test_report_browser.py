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


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    try:
        with browser() as launched:
            yield launched
    except RuntimeError as exc:
        if os.environ.get("EDI837_REQUIRE_BROWSER") == "1":  # CI: the browser tests must run there
            pytest.fail(f"EDI837_REQUIRE_BROWSER=1 but no headless browser: {exc}")
        pytest.skip(f"no headless browser ({exc}); install chromium to run these tests")


@pytest.fixture(scope="module")
def page(chromium: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    result = fix(mixed_file(), FixOptions(validate=False, hold=frozenset({"review"})))
    report = tmp_path_factory.mktemp("report") / "week.report.html"
    report.write_bytes(render_report(result, input_name="week.837", output_name="out.837", held_name="out.held.837"))
    # narrow enough that the cards must wrap their segments
    tab = chromium.new_page(viewport={"width": 900, "height": 900})
    tab.goto(report.as_uri())
    yield tab
    tab.close()


def test_the_report_fits_a_narrow_screen(page: Any) -> None:
    """At 900 pixels nothing runs off to the side: long item texts and commands wrap."""
    assert page.title() == "edi837 report: week.837"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_worklist_comes_first_without_links_before_it(page: Any) -> None:
    """The worklist's rows are the first thing after the totals; no link index precedes them; each held claim
    has one row; no script runs."""
    tops = page.evaluate("""() => ({
        card: document.querySelector('table.rows').getBoundingClientRect().top + window.scrollY,
        delivered: document.querySelector('table.delivered').getBoundingClientRect().top + window.scrollY,
        unchanged: document.querySelector('table.unchanged').getBoundingClientRect().top + window.scrollY})""")
    assert tops["card"] < tops["delivered"] < tops["unchanged"]
    assert page.evaluate("document.links.length") == 0
    assert page.evaluate("document.scripts.length") == 0
    claims = page.eval_on_selector_all("table.rows tbody tr td:first-child",
                                       "cells => cells.map(c => c.textContent.split(' ')[0])")
    assert sorted(claims) == ["A2", "A4", "B1", "C1", "C2"]  # mixed_file: the 5 held claims (tests/test_split.py)


def test_printing_keeps_rows_whole_and_repeats_their_head(page: Any) -> None:
    """In print, a row (it names its claim) is not split across pages and the column heads repeat."""
    page.emulate_media(media="print")
    try:
        styles = page.evaluate("""() => ({
            row: getComputedStyle(document.querySelector('table.rows tbody tr')).breakInside,
            h3: getComputedStyle(document.querySelector('h3')).breakAfter,
            head: getComputedStyle(document.querySelector('table.rows thead')).display})""")
        assert styles == {"row": "avoid", "h3": "avoid", "head": "table-header-group"}
    finally:
        page.emulate_media(media="screen")


def test_every_printed_page_names_its_claim_the_report_and_the_page(chromium: Any, tmp_path: Path) -> None:
    """A held claim with 50 lines, the most an 837P claim has (50 review items: NC001 on each 97140, TU003 on
    their day's 49 units) keeps a card of its own (its row would not fit on a page) and runs over several
    printed pages: Chromium's own PDF says,
    on every page the card runs onto, "Claim LONG-1", and on every page the report's name and "page N of M"
    (CSS @page margin boxes, read back from the PDF's text)."""
    from edi837.testing.generator import ClaimSpec, LineSpec, build_837
    from tests.browser import pdf_pages_text

    lines = (LineSpec("98940", "45"), *[LineSpec("97140", "40") for _ in range(49)])
    result = fix(build_837([ClaimSpec("LONG-1", ("M9901",), lines)]),
                 FixOptions(validate=False, hold=frozenset({"review"})))
    report = tmp_path / "long.report.html"
    report.write_bytes(render_report(result, input_name="long.837", held_name="long.held.837"))
    tab = chromium.new_page()
    tab.goto(report.as_uri())
    pdf = tab.pdf(format="Letter")
    tab.close()
    pages = pdf_pages_text(pdf)
    assert len(pages) >= 3
    for number, text in enumerate(pages, 1):
        assert f"page {number} of {len(pages)}" in " ".join(text.split()), number
        assert "edi837 report: long.837" in text, number
    card_pages = [n for n, text in enumerate(pages) if "edi-fix ack LONG-1" in text or "1 98940 x1" in text]
    assert len(card_pages) >= 2  # the card does run over pages
    for n in card_pages:
        assert "Claim LONG-1" in pages[n], n
    assert "edi-fix release long.held.837 --claim LONG-1 --to OUT" in pages[card_pages[-1]]
