"""The claims that need a person, grouped by the work they need: one block per set of findings.

A large run holds thousands of claims with the same finding (NC002 on 97530 with 97140, one date or another):
a card per claim repeated the finding's explanation thousands of times. A finding is its rule and its message
with what varies from claim to claim masked (codes, dates, line numbers, amounts: `VARYING`); a claim's work
is the set of its findings (and, held as invalid, of its hold reasons). Claims with the same set form one
block: the block says each finding once, in the words of its first claim's record, and lists its claims in
compact rows (each with its own lines and commands). Grouping by the whole set, not by each finding, keeps one
place per claim: a person acting on a claim reads and acts on everything it needs in one row.

Blocks come by the dollars they hold (most first), rows by dollars at risk then payer (the worklist's order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from edi837.engine.records import ChangeRecord
from edi837.report.worklist import ClaimView

# what a finding's message says of one claim and not of the next: procedure and diagnosis codes, dates,
# line numbers, amounts (each starts with a digit, or a letter and a digit: 97140, M99.01, 2026-03-02, 59)
VARYING = re.compile(r"\b[A-Z]?\d[\w.\-/:]*")


def masked(text: str, claim_id: str) -> str:
    """`text` with the claim's id and everything VARYING masked: equal for the same finding on two claims."""
    return VARYING.sub("#", text.replace(claim_id, "#") if claim_id else text)


def invalid_reasons(v: ClaimView) -> list[str]:
    """Why a claim was held as invalid (a reason a person must correct, not a review item)."""
    return [reason for reason in v.summary.hold_reasons if reason.startswith("invalid")]


@dataclass
class Group:
    """Claims that need the same work: the findings said once (one record of each, from the first claim),
    the invalid hold reasons said once, and the claims in the worklist's order."""

    findings: list[ChangeRecord]
    reasons: list[str]
    views: list[ClaimView] = field(default_factory=list)

    @property
    def dollars(self) -> Decimal:
        return sum((v.at_risk for v in self.views), Decimal(0))


def work_key(v: ClaimView) -> tuple[tuple[str, str], ...]:
    """What a claim needs, as a set that is equal for two claims needing the same work."""
    cid = v.summary.claim_id
    return tuple(sorted({(r.rule, masked(r.message, cid)) for r in v.items}
                        | {("", masked(reason, cid)) for reason in invalid_reasons(v)}))


def groups(people: list[ClaimView]) -> list[Group]:
    """The claims that need a person (in the worklist's order) in blocks of the same work, most dollars first
    (ties: the block whose first claim comes first)."""
    found: dict[tuple[tuple[str, str], ...], Group] = {}
    for v in people:
        group = found.get(key := work_key(v))
        if group is None:
            firsts: dict[tuple[str, str], ChangeRecord] = {}
            for r in v.items:
                firsts.setdefault((r.rule, masked(r.message, v.summary.claim_id)), r)
            group = found[key] = Group(sorted(firsts.values(), key=lambda r: (r.rule, r.line_number or 0)),
                                       invalid_reasons(v))
        group.views.append(v)
    order = list(found.values())
    return sorted(order, key=lambda g: -g.dollars)  # stable: equal dollars keep the worklist's order
