"""The claims that need no one, when a run has too many to show each with its lines: their ids, grouped.

A 20,000-claim run has thousands of claims fixed and delivered and thousands unchanged. Each with its lines
before and after would be 1.6 MB of a page that must open quickly and stay under 3 MB (bench/report.py),
and no one acts on them. Past DETAIL_ROWS claims a part lists its claims' ids instead, grouped by what they
share (the rules applied; the payer), each group with its count and dollars: every claim is still on the
page with its status, and `edi-fix claims --claim ID` (the ledger) or the change log has each one's lines.
An item a person acknowledged is said with its words, claim by claim.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from lxml import etree
from lxml.html import builder as E

from edi837.report.cards import acknowledged_text, money, t
from edi837.report.worklist import ClaimView
from edi837.words import plural, thousands

DETAIL_ROWS = 2000  # claims a part shows one row each, with their lines; past this, their ids grouped


def id_lists(views: list[ClaimView], key: Callable[[ClaimView], str], after: bool) -> list[etree._Element]:
    """One paragraph per group (its key, how many claims, dollars billed, and after the fixes when `after`),
    then its claim ids in file order."""
    found: dict[str, list[ClaimView]] = {}
    for v in views:
        found.setdefault(key(v), []).append(v)
    out: list[etree._Element] = [cast(etree._Element, E.P(E.CLASS("meta"), t(
        f"{plural(len(views), 'claim')}: too many to show each with its lines here; grouped, their ids in "
        "file order (the change log, or `edi-fix claims --claim ID`, has each claim's lines).")))]
    for name, group in sorted(found.items(), key=lambda pair: (-len(pair[1]), pair[0])):
        before = sum((v.summary.amount_before or Decimal(0) for v in group), Decimal(0))
        billed = money(before)
        if after:
            now = sum((v.summary.amount_after or Decimal(0) for v in group), Decimal(0))
            billed += "" if now == before else f" → {money(now)}"
        head = t(f"{thousands(len(group))} {'claim' if len(group) == 1 else 'claims'}, {billed}:")
        ids = t(" ".join(v.summary.claim_id for v in group))
        out.append(cast(etree._Element, E.P(E.CLASS("ids chunk"), E.B(t(name)), " " + head, E.BR(), ids)))
    acked = [(v.summary.claim_id, r) for v in views for r in v.acknowledged]
    if acked:
        out.append(cast(etree._Element, E.UL(*[E.LI(t(f"{claim} {acknowledged_text(r)}")) for claim, r in acked])))
    return out


def rules_applied(v: ClaimView) -> str:
    return ", ".join(sorted({r.rule for r in v.records if r.applied})) or "acknowledged only"


def by_payer(v: ClaimView) -> str:
    return v.summary.payer or "no payer"


def delivered_ids(views: list[ClaimView]) -> list[Any]:
    return id_lists(views, rules_applied, after=True)


def unchanged_ids(views: list[ClaimView]) -> list[Any]:
    return id_lists(views, by_payer, after=False)
