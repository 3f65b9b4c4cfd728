"""The worklist's cards and the claim tables: what a person reads to act on one claim.

A card is a table whose head is the claim (id, status, payer, dollars at risk): a browser repeats a table's
head on every printed page the table runs onto, so each printed page says which claim it belongs to (CSS
@page margin boxes, the other way, are not supported by Chromium). Each item says the command that
records a person's decision (`edi-fix ack`) and a held claim the command that releases it
(`edi-fix release`), quoted for a POSIX shell.
"""

from __future__ import annotations

import shlex
from datetime import date
from typing import Any, cast

from lxml import etree
from lxml.html import builder as E

from edi837.engine.engine_rules import HOLD_RULE
from edi837.engine.records import ChangeRecord
from edi837.errors import one_line
from edi837.model.summary import ClaimSummary, LineSummary
from edi837.report.worklist import HELD, ClaimView
from edi837.words import dollars

TODO_REVIEW = ("Check each item against the chart. Correct the claim in the practice system and send it again, "
               "or, if it is right as billed, record that with the item's edi-fix ack command.")
TODO_INVALID = ("Correct the segment named below in the practice system and send the claim again: a "
                "clearinghouse would reject it as it is.")


def t(text: str | None) -> str:
    """Text for the page: one line, no control characters (lxml refuses them)."""
    return one_line(text or "", limit=10_000)


def money(value: Any) -> str:
    return dollars(value) if value is not None else "unreadable"


def day(first: date | None, last: date | None) -> str:
    if first is None:
        return ""
    return f"{first:%Y-%m-%d}" + (f" to {last:%Y-%m-%d}" if last and last != first else "")


# The regions of packs/regions.toml (CPT's five spinal and five extraspinal regions for manipulation), in the
# letters chiropractic notes use: a 20,000-claim page names about 50,000 regions. A region a pack adds that is
# not here is written out.
REGIONS = {"cervical": "C", "thoracic": "T", "lumbar": "L", "sacral": "S", "pelvic": "P", "head": "H",
           "upper_extremity": "UE", "lower_extremity": "LE", "rib_cage": "RC", "abdomen": "AB"}
REGION_LEGEND = "Diagnoses show the region the rules read for each: " + ", ".join(
    f"{short} {region.replace('_', ' ')}" for region, short in REGIONS.items()) + "."


def diagnoses(summary: ClaimSummary) -> str:
    """`M99.01 C, M25.511`: the codes in HI order, each with the region the rules read, if any (REGIONS)."""
    return ", ".join(code + (f" {REGIONS.get(region, region.replace('_', ' '))}" if region else "")
                     for code, region in summary.diagnoses)


def provider(summary: ClaimSummary) -> str:
    """`NPI 1234567893 · M99.03 L, M25.511 UE`: the rendering NPI (when not the billing provider's), diagnoses."""
    npi = f"NPI {summary.rendering_npi} · " if summary.rendering_npi else ""
    return npi + (diagnoses(summary) or "no diagnosis")


def line_fields(line: LineSummary) -> tuple[str, str, str]:
    """`97140:59`, `x1` (`x38 min` for minutes), `$40.00`: code and modifiers, units, charge."""
    units = f"{line.units.normalize():f}" + (" min" if line.basis == "MJ" else "")
    return ":".join((line.procedure, *line.modifiers)), f"x{units}", dollars(line.charge)


def change_text(before: LineSummary, after: LineSummary | None) -> str:
    """What a fix changed on a line, the fields that differ (`97140:59`, `x2`, `removed`): "" for none."""
    if after is None:
        return "removed"
    return " ".join(new for old, new in zip(line_fields(before), line_fields(after), strict=True) if new != old)


def lines_text(summary: ClaimSummary) -> str:
    """`1 98940 x1 $45.00; 2 97140 x1 $40.00 → 97140:59 (2026-03-02)`: each line as billed and, when a fix
    changed it, after `→` the fields that changed (code:modifiers, units, charge; or removed); the date of
    service once when the lines share it."""
    after = {x.number: x for x in summary.lines_after} if summary.lines_after is not None else None
    days = {day(x.service_date, x.service_date_end) for x in summary.lines}
    parts = []
    for x in summary.lines:
        change = change_text(x, after.get(x.number)) if after is not None else ""
        parts.append(f"{x.number} {' '.join(line_fields(x))}" + (f" → {change}" if change else "")
                     + (f" {day(x.service_date, x.service_date_end)}" if len(days) > 1 else ""))
    return "; ".join(parts) + (f" ({days.pop()})" if len(days) == 1 and "" not in days else "")


def _rule_line(r: ChangeRecord) -> str:
    return r.rule if r.line_number is None else f"{r.rule} line {r.line_number}"


def acknowledged_text(r: ChangeRecord) -> str:
    """`NC001 line 2 acknowledged by NAME on DATE: NOTE`: an item a person said is right as billed."""
    return f"{_rule_line(r)} acknowledged by {r.acknowledged}"


def ack_command(r: ChangeRecord) -> str:
    line = f" --line {r.line_number}" if r.line_number is not None else ""
    return f"edi-fix ack {shlex.quote(r.claim_id)} --rule {shlex.quote(r.rule)}{line} --note \"...\""


def release_command(claim_id: str, held_name: str) -> str:
    return f"edi-fix release {shlex.quote(held_name) if held_name else 'HELD'} --claim {shlex.quote(claim_id)} --to OUT"


def _item(r: ChangeRecord) -> etree._Element:
    """The rule, where, the finding, and the command that records a person's decision (a block of its own by
    the style, so the page needs no break before it)."""
    where = f"line {r.line_number}" if r.line_number is not None else "claim"
    body: list[Any] = [E.B(t(r.rule)), f" {t(where)}: {t(r.message)}"]
    if r.acknowledged is not None:
        body.append(E.DIV(t(f"acknowledged by {r.acknowledged}"), E.CLASS("ack")))
    elif r.action == "review":
        body.append(E.KBD(t(ack_command(r))))
    return cast(etree._Element, E.LI(*body))


def card(v: ClaimView, held_name: str) -> etree._Element:
    """One claim that needs a person: its head (claim, status, payer, dollars at risk; CARD_LEGEND says it
    once for all) repeats on each printed page; then the rendering NPI and diagnoses, the lines before and
    after, the items, the safe fixes withheld, and for a held claim the release command, whole to copy."""
    s = v.summary
    head = E.THEAD(E.TR(E.TH(t(f"Claim {s.claim_id}") + " ", E.B(v.status),
                             " " + t(f"· {s.payer or 'no payer'} · {money(v.at_risk)}"))))
    parts: list[Any] = [
        E.DIV(t(provider(s))),
        E.DIV(t(lines_text(s))),
    ]
    items = [_item(r) for r in [*v.items, *v.acknowledged] if r.rule != HOLD_RULE]
    items += [E.LI(E.B("held"), f" {t(reason)}") for reason in s.hold_reasons if reason.startswith("invalid")]
    if items:
        parts.append(E.UL(*items))
    if v.withheld:
        parts.append(E.DIV(t("withheld: "
                             + ", ".join(_rule_line(r) for r in v.withheld))))
    if v.status == HELD:
        parts.append(E.KBD(t(release_command(s.claim_id, held_name))))
    return cast(etree._Element, E.TABLE(E.CLASS("card"), head, E.TBODY(E.TR(E.TD(*parts))), id=f"c{s.index + 1}"))


CARD_LEGEND = ("Each card: claim, status, payer id and dollars at risk; the rendering provider's NPI (when not the "
               "billing provider) and the diagnoses in HI order, each with the region the rules read; each line as "
               "billed (number, code:modifiers, units, charge) and → what a safe fix changes, then the date of "
               "service; the items, each with the command that records a person's decision; the safe fixes a held "
               "claim withholds (applied when it is released); its release command last.")


def delivered_table(views: list[ClaimView]) -> list[etree._Element]:
    """The fixed claims that need no one, one row each: its lines as billed and after, the rules applied."""
    head = ("claim", "payer", "rendering NPI", "diagnoses", "billed", "lines (as billed → after)", "rules applied")
    rows = []
    for v in views:
        s = v.summary
        total = money(s.amount_before) + ("" if s.amount_after == s.amount_before else f" → {money(s.amount_after)}")
        rules = ", ".join([*sorted({r.rule for r in v.records if r.applied}),
                           *[acknowledged_text(r) for r in v.acknowledged]])
        rows.append(_tr(s, (s.claim_id, s.payer, s.rendering_npi, diagnoses(s), total, lines_text(s), rules)))
    return chunked("delivered", head, rows)


def _tr(summary: ClaimSummary, cells: tuple[str, ...]) -> etree._Element:
    row = E.TR(*[E.TD(t(cell)) for cell in cells])
    return cast(etree._Element, row)


CHUNK = 250  # rows per table: each table is laid out (and, off screen, skipped) on its own


def chunked(kind: str, head: tuple[str, ...], rows: list[etree._Element]) -> list[etree._Element]:
    """Rows in tables of CHUNK, each in a block the browser lays out only when it scrolls near
    (content-visibility): a 20,000-row table would otherwise be laid out whole before the page shows."""
    return [cast(etree._Element, E.DIV(E.CLASS("chunk"), E.TABLE(E.CLASS(kind), E.THEAD(E.TR(*[E.TH(h) for h in head])),
                                                             E.TBODY(*rows[i:i + CHUNK]))))
            for i in range(0, len(rows), CHUNK)]


def unchanged_table(views: list[ClaimView]) -> list[etree._Element]:
    """The claims no rule changed, one compact row each (large runs stay small and quick to open)."""
    head = ("claim", "payer", "rendering NPI", "diagnoses", "lines", "billed")
    return chunked("unchanged", head, [
        _tr(v.summary, (v.summary.claim_id, v.summary.payer, v.summary.rendering_npi, diagnoses(v.summary),
                        " ".join(":".join((x.procedure, *x.modifiers)) for x in v.summary.lines),
                        money(v.summary.amount_before)))
        for v in views])
