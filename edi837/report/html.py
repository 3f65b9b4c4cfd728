"""The HTML report: the billing staff's worklist for one file.

A billing manager opens it to act, so it reads top-down in the order of the work: the totals (claims in,
delivered, held; dollars billed before and after; changes by rule), then the held claims, one card each
with what to do in plain words and where the rule comes from, then every change by claim with the line
it touched (code, units, charge, date of service) and the SV1/CLM segment before and after.

Built with lxml's element builder, so every value is escaped by construction (claim ids and segment text
can contain '<' or '&'). One self-contained file: its style is inline, it needs no JavaScript, and it prints
(no heading left alone at the foot of a page, no table row or card split across pages). Segments are shown
whole: they break only after an element separator, never inside a code or an amount.

It shows what the change log holds (claim ids, line numbers, codes, SV1/CLM segments, rules, reasons and
sources) plus each line's code, charge and date of service, and nothing from patient loops.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any, cast

from lxml import etree
from lxml.html import builder as E

from edi837 import __version__
from edi837.engine.engine_rules import HOLD_RULE
from edi837.engine.records import ChangeRecord
from edi837.errors import one_line
from edi837.model.summary import ClaimSummary, LineSummary
from edi837.pipeline import FixResult
from edi837.words import dollars, plural

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; line-height: 1.35; }
h1 { font-size: 1.45em; margin-bottom: .2em; } h2 { font-size: 1.2em; margin-top: 2em; }
h3 { font-size: 1.02em; margin: 0 0 .4em; }
.meta, .source { color: #555; font-size: .85em; }
table { border-collapse: collapse; margin: .4em 0 1em; }
table.changes { width: 100%; } table.changes tr.segments td { border-top: none; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; font-size: .9em; }
th { background: #f3f3f3; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.totals td:first-child { font-weight: 600; }
code.segment { font-family: ui-monospace, monospace; font-size: .92em; white-space: normal; word-break: keep-all;
  overflow-wrap: normal; hyphens: none; }
.card { border: 1px solid #d9a400; border-left: 6px solid #d9a400; background: #fffaf0; padding: .7em 1em;
  margin: 0 0 1em; }
.card.invalid { border-color: #c0392b; background: #fdf1f0; }
.claim { border-top: 1px solid #ddd; padding-top: .6em; margin-top: .8em; }
.todo { font-weight: 600; } .applied { background: #eef8ee; } .review { background: #fff6e0; }
.error { background: #fde8e8; } nav ul { columns: 4 12em; padding-left: 1.2em; margin: .3em 0; }
a { color: #0b57a4; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  a { color: inherit; text-decoration: none; }
  nav { display: none; }
  h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
  tr, tbody, .card, .keep { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
}
"""

# What a person does about a held claim, by why it was held. The record messages below each say what
# the rule found; these are the first words of the card.
_TODO_REVIEW = ("Read each item below, correct the claim in the practice system (or note why it is right as "
                "billed), then send it again: edi837 checks it again on the way.")
_TODO_INVALID = ("Correct the segment named below in the practice system and send the claim again: a "
                 "clearinghouse would reject it as it is.")


def _t(text: str | None) -> str:
    """Text for the page: one line, no control characters (lxml refuses them, and they have no place in a
    report a billing manager prints)."""
    return one_line(text or "", limit=10_000)


def _segment(text: str | None, element: str = "*") -> etree._Element:
    """A segment that breaks only after an element separator (a <wbr> there), never inside a value."""
    if not text:
        return cast(etree._Element, E.SPAN(""))
    code = E.CODE(E.CLASS("segment"))
    parts = _t(text).split(element)
    code.text = parts[0]
    for part in parts[1:]:
        wbr = etree.SubElement(code, "wbr")
        wbr.tail = element + part
    return cast(etree._Element, code)


def _money(value: Decimal | None) -> str:
    return dollars(value) if value is not None else "unreadable"


def _day(first: date | None, last: date | None) -> str:
    if first is None:
        return ""
    return f"{first:%Y-%m-%d}" + (f" to {last:%Y-%m-%d}" if last and last != first else "")


def _where(summary: ClaimSummary) -> str:
    """`transaction 0021, segment 40`; the transaction is left out when its ST02 may not be shown."""
    transaction = f"transaction {summary.transaction}, " if summary.transaction else ""
    return f"{transaction}segment {summary.segment}"


def _anchor(summary: ClaimSummary) -> str:
    return f"claim-{summary.index + 1}"


def _lines_table(lines: list[LineSummary]) -> etree._Element:
    head = E.THEAD(E.TR(E.TH("line"), E.TH("procedure"), E.TH("modifiers"), E.TH("units", E.CLASS("num")),
                        E.TH("charge", E.CLASS("num")), E.TH("date of service")))
    rows = [E.TR(E.TD(str(x.number)), E.TD(_t(x.procedure)), E.TD(_t(" ".join(x.modifiers))),
                 E.TD(f"{x.units.normalize():f}" + (" min" if x.basis == "MJ" else ""), E.CLASS("num")),
                 E.TD(dollars(x.charge), E.CLASS("num")), E.TD(_day(x.service_date, x.service_date_end)))
            for x in lines]
    return cast(etree._Element, E.TABLE(E.CLASS("lines"), head, E.TBODY(*rows)))


def _changes_table(records: list[ChangeRecord]) -> etree._Element:
    """One body per change: what the rule did and why, then the segment before and after on a row of its own.

    Segments get the full width of the table (a narrow column would squeeze the reasons into a ribbon), and
    a change's two rows share a <tbody> so a printed page never separates them.
    """
    head = E.THEAD(E.TR(E.TH("line"), E.TH("procedure"), E.TH("rule"), E.TH("action"), E.TH("why")))
    bodies = []
    for r in records:
        state = r.action if r.applied else ("review (not applied)" if r.action == "review" else
                                            f"{r.action} (not applied)")
        kind = "applied" if r.applied else "error" if r.severity == "error" else "review"
        why: list[Any] = [_t(r.message)]
        if r.source:
            why += [E.BR(), E.SPAN(_t(f"Source: {r.source}"), E.CLASS("source"))]
        rows = [E.TR(E.TD("" if r.line_number is None else str(r.line_number)), E.TD(_t(r.procedure)),
                     E.TD(_t(r.rule)), E.TD(_t(state).replace("_", " ")), E.TD(*why))]
        if r.segment_before or r.segment_after:
            segments: list[Any] = [E.SPAN("before ", E.CLASS("meta")), _segment(r.segment_before)]
            if r.segment_after and r.segment_after != r.segment_before:
                segments += [E.BR(), E.SPAN("after ", E.CLASS("meta")), _segment(r.segment_after)]
            rows.append(E.TR(E.CLASS("segments"), E.TD(), E.TD(*segments, colspan="4")))
        bodies.append(E.TBODY(E.CLASS(kind), *rows))
    return cast(etree._Element, E.TABLE(E.CLASS("changes"), head, *bodies))


def _card(summary: ClaimSummary, records: list[ChangeRecord]) -> etree._Element:
    """One held claim: what to do, why, the rules' sources, its lines."""
    invalid = any(reason.startswith("invalid") for reason in summary.hold_reasons)
    todo = _TODO_INVALID if invalid else _TODO_REVIEW
    items = [E.LI(_t(reason)) for reason in summary.hold_reasons]
    for r in records:
        if r.applied or r.rule == HOLD_RULE:
            continue
        where = f"line {r.line_number} ({r.procedure}): " if r.line_number is not None and r.procedure else ""
        items.append(E.LI(E.STRONG(_t(r.rule)), f" {_t(where + r.message)} ",
                          E.SPAN(_t(f"Source: {r.source}") if r.source else "", E.CLASS("source"))))
    body: list[Any] = [
        E.H3(_t(f"Claim {summary.claim_id}: {_money(summary.amount_before)} held "
                f"({_where(summary)})")),
        E.P(E.SPAN("What to do: ", E.CLASS("todo")), todo),
        E.UL(*items),
    ]
    if summary.lines:
        body.append(_lines_table(summary.lines))
    return cast(etree._Element, E.DIV(E.CLASS("card invalid" if invalid else "card"), *body, id=_anchor(summary)))


def _totals(result: FixResult) -> etree._Element:
    def row(label: str, value: str) -> etree._Element:
        return cast(etree._Element, E.TR(E.TD(label), E.TD(value, E.CLASS("num"))))

    rows = [row("claims in", str(result.claims)), row("service lines in", str(result.lines))]
    if result.hold:
        rows += [row("claims delivered", str(result.delivered_claims)), row("claims held", str(result.held_claims))]
    rows += [row("claims changed", str(result.changed_claims)), row("changes applied", str(result.applied_count)),
             row("items for review", str(_review_items(result))),
             row("dollars billed before", dollars(result.amount_in)),
             row("dollars billed after", dollars(result.amount_out))]
    if result.hold:
        rows += [row("dollars delivered", dollars(result.amount_delivered)),
                 row("dollars held", dollars(result.amount_held))]
    return cast(etree._Element, E.TABLE(E.CLASS("totals keep"), E.TBODY(*rows)))


def _review_items(result: FixResult) -> int:
    return sum(n for (rule, applied), n in result.counts.items() if not applied and rule != HOLD_RULE)


def _by_rule(result: FixResult) -> etree._Element:
    applied = Counter({rule: n for (rule, done), n in result.counts.items() if done})
    review = Counter({rule: n for (rule, done), n in result.counts.items() if not done and rule != HOLD_RULE})
    rules = sorted(set(applied) | set(review))
    head = E.THEAD(E.TR(E.TH("rule"), E.TH("applied", E.CLASS("num")), E.TH("for review", E.CLASS("num"))))
    rows = [E.TR(E.TD(_t(rule)), E.TD(str(applied[rule]), E.CLASS("num")), E.TD(str(review[rule]), E.CLASS("num")))
            for rule in rules]
    if not rows:
        rows = [E.TR(E.TD("no rule found anything", colspan="3"))]
    return cast(etree._Element, E.TABLE(E.CLASS("by-rule keep"), head, E.TBODY(*rows)))


def render_report(result: FixResult, *, input_name: str = "", output_name: str = "", held_name: str = "") -> bytes:
    """The report for one run (the run must have kept its records: Sinks.keep_records)."""
    name = PurePath(input_name).name if input_name and input_name != "-" else "standard input"
    title = f"edi837 report: {name}"
    summaries = result.claim_summaries
    held = [s for s in summaries if s.held]
    changed = [s for s in summaries if not s.held]
    records = result.records

    where = []
    if result.hold:
        delivered = (f"{plural(result.delivered_claims, 'claim')} delivered"
                     + (f" in {output_name}" if output_name and result.delivered_claims else ""))
        kept = f"{plural(result.held_claims, 'claim')} held" + (f" in {held_name}" if held_name and held else "")
        where.append(E.P(_t(f"{delivered}; {kept} for a person.")))
    checked = ("validated against 005010X222A1 (pyx12's maps)" if result.validated
               else "not validated (--no-validate)")
    body: list[Any] = [
        E.H1(_t(title)),
        E.P(E.CLASS("meta"), _t(f"edi837 {__version__}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {checked}")),
        *where,
        E.H2("Totals"),
        _totals(result),
        E.H3("Changes by rule"),
        _by_rule(result),
    ]
    if summaries:
        body.append(E.NAV(E.H3("Claims in this report"), E.UL(*[
            E.LI(E.A(_t(f"{s.claim_id}" + (" (held)" if s.held else "")), href=f"#{_anchor(s)}"))
            for s in [*held, *changed]])))
    body.append(E.H2(_t(f"Held: what to do ({plural(len(held), 'claim')})")))
    if held:
        body += [_card(s, records[s.first_record:s.end_record]) for s in held]
    else:
        body.append(E.P("No claim is held." if result.hold else "No hold policy: every claim was delivered."))
    body.append(E.H2(_t(f"Changes by claim ({plural(len(changed), 'claim')})")))
    if not changed:
        body.append(E.P("No delivered claim has a finding."))
    for s in changed:
        mine = records[s.first_record:s.end_record]
        total = (f"{_money(s.amount_before)} billed" if s.amount_after == s.amount_before
                 else f"{_money(s.amount_before)} billed, {_money(s.amount_after)} after")
        section: list[Any] = [E.H3(_t(f"Claim {s.claim_id}: {total} "
                                      f"({_where(s)})"))]
        if s.lines:
            section.append(_lines_table(s.lines))
        section.append(_changes_table(mine))
        body.append(E.DIV(E.CLASS("claim"), *section, id=_anchor(s)))
    if result.warnings:
        body.append(E.H2(_t(f"{plural(len(result.warnings), 'validation error')} already in the input")))
        body.append(E.UL(*[E.LI(_t(str(w))) for w in result.warnings]))
    page = E.HTML(E.HEAD(E.META(charset="utf-8"), E.TITLE(_t(title)), E.STYLE(_STYLE)), E.BODY(*body), lang="en")
    return etree.tostring(page, method="html", encoding="utf-8", doctype="<!DOCTYPE html>")
