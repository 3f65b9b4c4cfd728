"""The HTML report a billing manager reads: what needs a person first, then every change per claim.

Built with lxml's element builder, so every value is escaped by construction (claim ids and segment
text can contain '<' or '&'). It shows what the change log holds (claim ids, line numbers, codes,
SV1/CLM segments, rules, reasons and sources) and nothing from patient loops.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import cast

from lxml import etree
from lxml.html import builder as E

from edi837 import __version__
from edi837.errors import one_line
from edi837.pipeline import FixResult
from edi837.report.changelog import ChangeRecord
from edi837.words import plural

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; } h3 { font-size: 1em; margin-bottom: .3em; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1em; }
th, td { border: 1px solid #ccc; padding: .3em .5em; text-align: left; vertical-align: top; font-size: .9em; }
th { background: #f3f3f3; }
code { font-family: ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
.review { background: #fff6e0; } .error { background: #fde8e8; } .applied { background: #eef8ee; }
.source { color: #555; font-size: .85em; }
"""


def _t(text: str | None) -> str:
    """Text for the page: one line, no control characters (lxml refuses them, and they have no place in a
    report a billing manager prints)."""
    return one_line(text or "", limit=10_000)


def _segment(text: str | None) -> etree._Element:
    return cast(etree._Element, E.CODE(_t(text)) if text else E.SPAN(""))


def _line(record: ChangeRecord) -> str:
    return "" if record.line_number is None else str(record.line_number)


def _review_table(records: list[ChangeRecord]) -> etree._Element:
    rows = [E.TR(E.TH("claim"), E.TH("line"), E.TH("procedure"), E.TH("rule"), E.TH("severity"),
                 E.TH("why"), E.TH("source"))]
    for r in records:
        rows.append(E.TR(E.TD(_t(r.claim_id)), E.TD(_line(r)), E.TD(_t(r.procedure)), E.TD(_t(r.rule)),
                         E.TD(r.severity), E.TD(_t(r.message)), E.TD(E.SPAN(_t(r.source), E.CLASS("source"))),
                         E.CLASS("error" if r.severity == "error" else "review")))
    return cast(etree._Element, E.TABLE(*rows))


def _claim_table(records: list[ChangeRecord]) -> etree._Element:
    rows = [E.TR(E.TH("line"), E.TH("procedure"), E.TH("rule"), E.TH("action"), E.TH("before"), E.TH("after"),
                 E.TH("why"), E.TH("source"))]
    for r in records:
        rows.append(E.TR(E.TD(_line(r)), E.TD(_t(r.procedure)), E.TD(_t(r.rule)),
                         E.TD(r.action if r.applied else "review (not applied)"),
                         E.TD(_segment(r.segment_before)), E.TD(_segment(r.segment_after)), E.TD(_t(r.message)),
                         E.TD(E.SPAN(_t(r.source), E.CLASS("source"))),
                         E.CLASS("applied" if r.applied else "review")))
    return cast(etree._Element, E.TABLE(*rows))


def render_report(result: FixResult, *, input_name: str = "", output_name: str = "", held_name: str = "") -> bytes:
    review = result.review
    by_claim: dict[str, list[ChangeRecord]] = defaultdict(list)
    for record in result.records:
        by_claim[record.claim_id].append(record)

    body = [
        E.H1("edi837 report"),
        E.P(_t(f"{input_name or 'input'} → {output_name or 'output'}: {plural(result.claims, 'claim')}, "
               f"{plural(result.lines, 'service line')}; {plural(result.applied_count, 'change')} on "
               f"{plural(result.changed_claims, 'claim')}; {len(review)} "
               f"{'item needs' if len(review) == 1 else 'items need'} a person; "
               f"{plural(len(result.warnings), 'validation error')} already in the input.")),
        E.P(E.SPAN(f"edi837 {__version__}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
                   "validated with pyx12 against 005010X222A1" if result.validated else
                   f"edi837 {__version__}; not validated (--no-validate)", E.CLASS("source"))),
        E.H2(f"Needs a person ({len(review)})"),
        _review_table(review) if review else E.P("Nothing: every finding was fixed or needed no change."),
        E.H2(f"Changes by claim ({plural(len(by_claim), 'claim')} with findings)"),
    ]
    for claim_id in sorted(by_claim):
        body.append(E.H3(_t(f"Claim {claim_id}")))
        body.append(_claim_table(by_claim[claim_id]))
    if result.warnings:
        body.append(E.H2(f"Validation errors already in the input ({len(result.warnings)})"))
        body.append(E.UL(*[E.LI(_t(str(w))) for w in result.warnings]))
    page = E.HTML(E.HEAD(E.META(charset="utf-8"), E.TITLE("edi837 report"), E.STYLE(_STYLE)), E.BODY(*body))
    return etree.tostring(page, method="html", encoding="utf-8", doctype="<!DOCTYPE html>")
