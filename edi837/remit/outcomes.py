"""What the payers did with the lines edi837 delivered, summed by rule action, payer, code, CARC.

Only payments still standing count (edi837.remit.store: not a reversal, not reversed, not replaced), and
only lines matched to a delivered line: an unmatched line cannot be credited to any rule. A line is "paid"
when the payer paid more than nothing, "denied" when it paid nothing on a positive charge; a denial is
named by its adjustments (`CO-4`) and remarks (`N519`).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

from edi837.remit.codes import is_denial_reason


@dataclass(frozen=True)
class OutcomeLine:
    """One matched line of a standing payment, with what edi837 sent and what its rules did to it."""

    payer_id: str  # as the delivered claim named the payer (what a payer profile matches)
    claim_id: str
    code: str  # as delivered
    modifiers: tuple[str, ...]  # as delivered
    charge: Decimal
    paid: Decimal
    adjustments: tuple[str, ...]  # CAS labels of the line, `CO-4`
    remarks: tuple[str, ...]
    findings: tuple[tuple[str, str, bool], ...]  # rule, action, applied
    changed: bool
    paid_on: date | None

    @property
    def denied(self) -> bool:
        return self.paid == 0 and self.charge > 0

    @property
    def denial_reasons(self) -> tuple[str, ...]:
        """The line's adjustments that name a denial reason (CO-45, charge over the fee schedule, does not)."""
        return tuple(a for a in self.adjustments if is_denial_reason(a.split("-", 1)[1]))


@dataclass
class Tally:
    lines: int = 0
    paid: int = 0
    denied: int = 0
    paid_amount: Decimal = Decimal(0)
    charge: Decimal = Decimal(0)
    reasons: Counter[str] = field(default_factory=Counter)  # CARC labels on denied lines
    remarks: Counter[str] = field(default_factory=Counter)
    claims: set[str] = field(default_factory=set)
    first: date | None = None
    last: date | None = None

    def add(self, line: OutcomeLine) -> None:
        self.lines += 1
        self.paid += int(line.paid > 0)
        self.denied += int(line.denied)
        self.paid_amount += line.paid
        self.charge += line.charge
        if line.denied:
            self.reasons.update(line.denial_reasons)
            self.remarks.update(line.remarks)
        self.claims.add(line.claim_id)
        if line.paid_on is not None:
            self.first = min(self.first or line.paid_on, line.paid_on)
            self.last = max(self.last or line.paid_on, line.paid_on)


def procedure(code: str, modifiers: tuple[str, ...]) -> str:
    """`97140 +59`, or `97140` without modifiers."""
    return " ".join([code, *(f"+{m}" for m in modifiers)])


@dataclass
class Outcomes:
    by_action: dict[str, Tally] = field(default_factory=dict)  # "97140 +59 by NC001 (fix)"
    by_payer: dict[str, Tally] = field(default_factory=dict)
    by_procedure: dict[str, Tally] = field(default_factory=dict)
    by_payer_procedure: dict[tuple[str, str], Tally] = field(default_factory=dict)
    by_reason: dict[str, Tally] = field(default_factory=dict)  # every CAS label of the line
    changed: dict[str, Tally] = field(default_factory=dict)  # "changed" / "untouched"
    rejections: Counter[str] = field(default_factory=Counter)  # 277CA category:status:entity
    lines: list[OutcomeLine] = field(default_factory=list)


K = TypeVar("K")


def _tally(table: dict[K, Tally], key: K, line: OutcomeLine) -> None:
    table.setdefault(key, Tally()).add(line)


def aggregate(lines: list[OutcomeLine], rejections: Counter[str] | None = None) -> Outcomes:
    out = Outcomes(rejections=rejections or Counter(), lines=lines)
    for line in lines:
        name = procedure(line.code, line.modifiers)
        # A rule that made two changes to one line (MC002: GP, then GY) has two records: the line counts once.
        for key in dict.fromkeys(f"{name} by {rule} ({action})" for rule, action, applied in line.findings if applied):
            _tally(out.by_action, key, line)
        _tally(out.by_payer, line.payer_id, line)
        _tally(out.by_procedure, name, line)
        _tally(out.by_payer_procedure, (line.payer_id, name), line)
        for label in dict.fromkeys(line.adjustments):
            _tally(out.by_reason, label, line)
        _tally(out.changed, "changed" if line.changed else "untouched", line)
    return out


_LINES = """
SELECT coalesce(c.sent_payer_id, c.payer_id), c.claim_id, l.sent_code, l.sent_modifiers, l.charge, l.paid,
       l.adjustments, l.remarks, l.findings, l.changed, r.paid_on
FROM remit_lines l JOIN remit_claims c ON c.id = l.remit_claim JOIN remittances r ON r.id = c.remittance
WHERE l.position IS NOT NULL AND c.status != '22' AND c.reversed_by IS NULL AND c.replaced_by IS NULL
AND (:payer IS NULL OR coalesce(c.sent_payer_id, c.payer_id) = :payer COLLATE NOCASE)
AND (:since IS NULL OR r.paid_on >= :since)
ORDER BY c.id, l.ordinal
"""
_REJECTIONS = """
SELECT s.category, s.status, s.entity FROM claim_statuses s JOIN status_reports r ON r.id = s.report
WHERE s.accepted = 0 AND (:payer IS NULL OR r.payer_id = :payer COLLATE NOCASE)
AND (:since IS NULL OR s.status_date >= :since)
"""


def _filters(since: date | None, payer: str | None) -> dict[str, str | None]:
    """A payment counts from its date (BPR16), a 277CA status from its STC02; a payer is the one the claim was
    sent to (2010BB), any case."""
    return {"since": since.isoformat() if since else None, "payer": payer}


def standing_lines(db: sqlite3.Connection, *, since: date | None = None,
                   payer: str | None = None) -> list[OutcomeLine]:
    """The matched lines of every payment still standing, from the remittance tables."""
    found = []
    for payer_id, claim, code, mods, charge, paid, adjustments, remarks, findings, changed, paid_on in db.execute(
            _LINES, _filters(since, payer)):
        found.append(OutcomeLine(payer_id, claim, code, tuple(json.loads(mods)), Decimal(charge), Decimal(paid),
                                 tuple(f"{a[0]}-{a[1]}" for a in json.loads(adjustments)), tuple(json.loads(remarks)),
                                 tuple((f[0], f[1], bool(f[2])) for f in json.loads(findings)), bool(changed),
                                 date.fromisoformat(paid_on) if paid_on else None))
    return found


def rejections(db: sqlite3.Connection, *, since: date | None = None, payer: str | None = None) -> Counter[str]:
    """277CA rejections (category not A1/A2) by category:status:entity."""
    return Counter(":".join(p for p in row if p) for row in db.execute(_REJECTIONS, _filters(since, payer)))


def outcomes(db: sqlite3.Connection, *, since: date | None = None, payer: str | None = None) -> Outcomes:
    """The outcomes of payments dated `since` or later, of claims sent to `payer` (None: all)."""
    return aggregate(standing_lines(db, since=since, payer=payer), rejections(db, since=since, payer=payer))
