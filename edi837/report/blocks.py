"""The "Needs a person" section: one block per set of findings (groups.py), a compact row per claim.

A block says its findings once, in the words of its first claim's records, then lists its claims, one row
each: the claim and its status, payer, dollars at risk, rendering NPI, diagnoses (with the regions the rules
read), each line as billed and after, and the commands that act on it, whole, to copy: `edi-fix ack` for each
item, `edi-fix release` last for a held claim. A row is kept whole on a printed page (it names its claim), the
column heads repeat on each page. A claim whose row would not fit on a page (many items) keeps a card of its
own after its block's rows: a card's head, its claim id, repeats on every page it runs onto.
"""

from __future__ import annotations

from typing import Any, cast

from lxml import etree
from lxml.html import builder as E

from edi837.engine.records import ChangeRecord
from edi837.report.cards import (
    ack_command,
    acknowledged_text,
    card,
    chunked,
    lines_text,
    money,
    provider,
    release_command,
    t,
)
from edi837.report.groups import Group
from edi837.report.worklist import HELD, ClaimView
from edi837.words import thousands

CARD_ITEMS = 8  # a claim with more items than this keeps a card (its row would run over a printed page)
CARD_LINES = 24  # the same for lines

HEAD = ("claim, status, payer, at risk", "rendering NPI, diagnoses", "lines (as billed → after)", "commands")

ROW_LEGEND = ("Each block says once the findings its claims share, in the words of its first claim (the other "
              "claims' codes, dates and line numbers differ: their own lines show them, the change log says "
              "each word for word); then a row per claim: the claim and its status, payer id, dollars at risk, "
              "the rendering provider's NPI (when not the billing provider), the diagnoses in HI order, each with "
              "the region the rules read; each line as billed (number, code:modifiers, units, charge) and → what "
              "a safe fix changes (a held claim's when it is released), then the date of service; the command "
              "that records a person's decision for each item, and a held claim's release command last.")


def commands(v: ClaimView, held_name: str) -> list[Any]:
    """The row's last cell: an ack command per item, the words of each acknowledged item, the release."""
    cell: list[Any] = [E.KBD(t(ack_command(r))) for r in v.items]
    cell += [E.DIV(E.CLASS("ack"), t(acknowledged_text(r))) for r in v.acknowledged]
    if v.status == HELD:
        cell.append(E.KBD(t(release_command(v.summary.claim_id, held_name))))
    return cell


def row(v: ClaimView, held_name: str) -> etree._Element:
    s = v.summary
    texts = (f"{s.claim_id} {v.status} · {s.payer or 'no payer'} · {money(v.at_risk)}", provider(s), lines_text(s))
    return cast(etree._Element, E.TR(*[E.TD(t(text)) for text in texts], E.TD(*commands(v, held_name))))


def is_long(v: ClaimView) -> bool:
    return len(v.items) > CARD_ITEMS or len(v.summary.lines) > CARD_LINES


def _finding(r: ChangeRecord, claim_id: str) -> etree._Element:
    where = f" line {r.line_number}" if r.line_number is not None else ""
    return cast(etree._Element, E.LI(E.B(t(r.rule)), " " + t(f"(claim {claim_id}{where}): {r.message}")))



def block(group: Group, held_name: str) -> list[etree._Element]:
    """One block: its title (rules, claims, dollars), its findings said once, its rows, its long claims' cards."""
    first = group.views[0].summary.claim_id
    rules = ", ".join(dict.fromkeys(r.rule for r in group.findings)) or "held as invalid"
    n = len(group.views)
    title = E.H3(t(f"{rules}: {thousands(n)} {'claim' if n == 1 else 'claims'}, {money(group.dollars)} at risk"))
    said = [_finding(r, first) for r in group.findings]
    said += [E.LI(E.B("held"), " " + t(f"(claim {first}): {reason}")) for reason in group.reasons]
    rows = [row(v, held_name) for v in group.views if not is_long(v)]
    cards = [card(v, held_name) for v in group.views if is_long(v)]
    return [title, E.UL(E.CLASS("why"), *said), *(chunked("rows", HEAD, rows) if rows else []), *cards]
