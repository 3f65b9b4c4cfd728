"""The HTML report: the billing office's worklist for one run.

It reads top-down in the order of the work: what the run did in one sentence, the totals (claims by status,
items that need a person, safe fixes withheld with a held claim, dollars at risk: held, for review, lines
that now carry GY), then "Needs a person": the claims held or with items for review in blocks of the same
findings (blocks.py: each finding said once, a row per claim with its commands), the most dollars first;
then the claims fixed and delivered, each line as billed and after; then every unchanged claim in one compact
table (past DETAIL_ROWS claims these two parts list ids, grouped: compact.py). No index of links comes before
the content, and long parts are laid out only as they scroll into view (content-visibility), so a
20,000-claim run is a 2.7 MB page that opens in well under a second (bench/report.py, docs/report.md).

Built with lxml's element builder, so every value is escaped by construction (claim ids and segment text
can contain '<' or '&'). One self-contained file: its style is inline, it needs no JavaScript, and it prints:
a row is kept whole on a page and names its claim, column heads repeat on each page, a long claim's card
repeats its head (the claim id) on each page it runs onto, and each page's foot names the report and the
page (CSS @page margin boxes, printed by Chromium since version 131: tests/test_report_browser.py reads them
back from a PDF the real headless Chromium printed).

It shows claim ids, payer ids, NPIs, codes, line numbers, amounts, dates of service, rules, reasons and
sources, and nothing from patient loops.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any, cast

from lxml import etree
from lxml.html import builder as E

from edi837 import __version__
from edi837.pipeline import FixResult
from edi837.report.blocks import ROW_LEGEND, block
from edi837.report.cards import REGION_LEGEND, TODO_INVALID, TODO_REVIEW, delivered_table, money, t, unchanged_table
from edi837.report.compact import DETAIL_ROWS, delivered_ids, unchanged_ids
from edi837.report.groups import groups
from edi837.report.worklist import DELIVERED, HELD, REVIEW, UNCHANGED, Worklist, worklist
from edi837.words import plural

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; line-height: 1.35; }
h1 { font-size: 1.45em; margin-bottom: .2em; } h2 { font-size: 1.2em; margin-top: 2em; }
.meta, .source { color: #555; font-size: .85em; }
table { border-collapse: collapse; margin: .4em 0 1em; }
th, td { border: 1px solid #ccc; padding: .2em .45em; text-align: left; vertical-align: top; font-size: .9em; }
th { background: #f3f3f3; }
.totals td:nth-child(2), .by-rule td:nth-child(-n+4):not(:first-child) { text-align: right; }
kbd { font-family: ui-monospace, monospace; font-size: .92em; white-space: normal;
  word-break: keep-all; overflow-wrap: normal; hyphens: none; }
kbd { background: #f4f4f4; padding: 0 .3em; overflow-wrap: anywhere; }
table.card { width: 100%; border: 1px solid #d9a400; border-left: 6px solid #d9a400; background: #fffaf0; }
table.card > thead th { background: #fbeec8; font-size: 1em; }
table.card > tbody > tr > td { border: none; padding: .4em .8em; }
table.card ul { margin: .3em 0; padding-left: 1.2em; } table.card li { margin-bottom: .35em; }
th b { text-transform: uppercase; font-size: .8em; } .ack { color: #1e6b2e; }
.todo { font-weight: 600; } table.delivered, table.unchanged { width: 100%; }
table.delivered tbody { border-top: 2px solid #999; } tr.ln td { color: #444; border-top: none; }
.chunk { content-visibility: auto; contain-intrinsic-size: auto 40em; }
table.card > tbody > tr > td > div { margin: .15em 0; }
table.card kbd, table.rows kbd { display: table; margin: .15em 0; }
table.rows { width: 100%; } h3 { font-size: 1.05em; margin: 1.6em 0 .3em; } ul.why { margin: .2em 0; }
a { color: #0b57a4; }
@media print {
  body { margin: 0 0 2em; max-width: none; font-size: 9.5pt; }
  h1, h2, h3, ul.why { break-after: avoid; page-break-after: avoid; }
  tr, tbody, .keep, table.card ul, table.card li, table.lines { break-inside: avoid; page-break-inside: avoid; }
  table.card { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
}
@page { margin: 1.2cm 1.2cm 1.6cm;
  @bottom-right { content: "page " counter(page) " of " counter(pages); font: 8pt system-ui, sans-serif; color: #555; }
}
"""


def css_string(text: str) -> str:
    """A CSS string of `text` with every character but letters, digits, space and . _ - : escaped (a file
    name may hold a quote, a backslash or `</style>`: inside a style element nothing may end it early)."""
    return '"' + "".join(c if c.isascii() and (c.isalnum() or c in " ._-:") else f"\\{ord(c):06x}"
                         for c in t(text)) + '"'


def _row(label: str, value: str) -> etree._Element:
    return cast(etree._Element, E.TR(E.TD(label), E.TD(value)))


def _totals(result: FixResult, work: Worklist) -> etree._Element:
    """The run in numbers that match the work: each claim counted once by status, review items apart from
    the safe fixes a held claim withholds, dollars at risk by why."""
    n = work.statuses
    rows = [_row("claims in", str(result.claims)), _row("service lines in", str(result.lines)),
            _row("claims held", str(n[HELD])), _row("claims delivered with items for review", str(n[REVIEW])),
            _row("claims fixed and delivered", str(n[DELIVERED])), _row("claims unchanged", str(n[UNCHANGED])),
            _row("items for review", str(work.review_items)),
            _row("safe fixes withheld (their claims are held)", str(work.withheld)),
            _row("changes applied", str(result.applied_count))]
    if work.acknowledged:
        rows.append(_row("items acknowledged as right as billed", str(work.acknowledged)))
    rows += [_row("dollars billed before", money(result.amount_in)),
             _row("dollars billed after", money(result.amount_out)),
             _row("dollars at risk: held", money(work.held_dollars)),
             _row("dollars at risk: delivered with items for review", money(work.review_dollars)),
             _row("dollars at risk: lines that now carry GY", money(work.gy_dollars))]
    return cast(etree._Element, E.TABLE(E.CLASS("totals keep"), E.TBODY(*rows)))


TODO_HELD = ("A held claim is in the held file as it arrived: its commands end with the one that releases it, "
             "its safe fixes applied.")


def _by_rule(work: Worklist) -> etree._Element:
    """Findings by rule, and each rule's source once (the cards do not repeat it)."""
    head = E.THEAD(E.TR(E.TH("rule"), E.TH("applied"), E.TH("withheld (held)"), E.TH("for review"), E.TH("source")))
    rows = [E.TR(E.TD(t(rule)), E.TD(str(c["applied"])), E.TD(str(c["withheld"])), E.TD(str(c["review"])),
                 E.TD(t(work.sources.get(rule)), E.CLASS("source")))
            for rule, c in sorted(work.by_rule.items())]
    if not rows:
        rows = [E.TR(E.TD("no rule found anything", colspan="5"))]
    return cast(etree._Element, E.TABLE(E.CLASS("by-rule keep"), head, E.TBODY(*rows)))


def _sentence(result: FixResult, work: Worklist, output_name: str, held_name: str) -> str:
    """What happened, in one sentence: delivered where, held where, how much needs a person."""
    n = work.statuses
    delivered = result.claims - n[HELD]
    said = f"{plural(delivered, 'claim')} delivered" + (f" in {output_name}" if output_name and delivered else "")
    if n[HELD]:
        said += f"; {plural(n[HELD], 'claim')} held" + (f" in {held_name}" if held_name else "")
    people = len(work.people)
    if people:
        verb = "needs" if people == 1 else "need"
        return f"{said}. {plural(people, 'claim')} {verb} a person ({plural(work.review_items, 'item')} for review)."
    return f"{said}. Nothing needs a person."


def render_report(result: FixResult, *, input_name: str = "", output_name: str = "", held_name: str = "",
                  detail_rows: int = DETAIL_ROWS) -> bytes:
    """The report for one run (the run must have kept its records: Sinks.keep_records). A part that needs
    no one and has more than `detail_rows` claims lists their ids, grouped (compact.py)."""
    name = PurePath(input_name).name if input_name and input_name != "-" else "standard input"
    title = f"edi837 report: {name}"
    work = worklist(result)
    made = f"edi837 {__version__}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    checked = ("validated against 005010X222A1 (pyx12's maps)" if result.validated
               else "not validated (--no-validate)")
    body: list[Any] = [
        E.H1(t(title)),
        E.P(E.CLASS("meta"), t(f"{made}; {checked}")),
        E.P(E.CLASS("lead"), t(_sentence(result, work, output_name, held_name))),
        E.H2("Totals"), _totals(result, work), _by_rule(work), E.P(E.CLASS("meta"), REGION_LEGEND),
    ]
    if work.people:
        body.append(E.H2(t(f"Needs a person ({plural(len(work.people), 'claim')}, most dollars first)")))
        body.append(E.P(E.SPAN("What to do: ", E.CLASS("todo")), TODO_REVIEW, " ", TODO_HELD))
        body.append(E.P(E.CLASS("meta"), ROW_LEGEND))
        if any(r.startswith("invalid") for v in work.people for r in v.summary.hold_reasons):
            body.append(E.P(E.CLASS("meta"), "A claim held as invalid: ", TODO_INVALID))
        for group in groups(work.people):
            body += block(group, held_name)
    body.append(E.H2(t(f"Fixed and delivered ({plural(len(work.delivered), 'claim')})")))
    if not work.delivered:
        body.append(E.P("No claim was fixed without a question."))
    else:
        body += (delivered_table if len(work.delivered) <= detail_rows else delivered_ids)(work.delivered)
    body.append(E.H2(t(f"Unchanged ({plural(len(work.unchanged), 'claim')})")))
    body += (unchanged_table if len(work.unchanged) <= detail_rows else unchanged_ids)(work.unchanged)
    if result.warnings:
        body.append(E.H2(t(f"{plural(len(result.warnings), 'validation error')} already in the input")))
        body.append(E.UL(*[E.LI(t(str(w))) for w in result.warnings]))
    footer = (f'@page {{ @bottom-left {{ content: {css_string(f"{title} · {made}")}; '
              'font: 8pt system-ui, sans-serif; } }')
    page = E.HTML(E.HEAD(E.META(charset="utf-8"), E.TITLE(t(title)), E.STYLE(_STYLE + footer)), E.BODY(*body),
                  lang="en")
    return _OPTIONAL_END.sub(b"", etree.tostring(page, method="html", encoding="utf-8", doctype="<!DOCTYPE html>"))


# End tags HTML lets a page leave out (the parser closes the element at the next sibling or at its parent's
# end): a 20,000-claim page has about 200,000 of them. lxml escapes every '<' of text, so each match is a tag.
_OPTIONAL_END = re.compile(rb"</(?:td|th|tr|li|thead|tbody)>")
