"""Which delivered claim and line each paid claim (CLP) and line (SVC) of an 835 answers; never a guess.

The interface to the claims edi837 delivered is DeliveredClaim: a plain value the claims ledger (or a test)
builds, so matching needs nothing from the ledger's tables.

The rules, in order:
- claim: CLP01 equals CLM01 of a delivered claim (the 835 guide: CLP01 is the patient control number the
  provider sent). No delivered claim of that id -> the claim is unmatched and listed.
- line, when the SVC has no readable procedure code (SVC01 without one): unmatched ("no procedure code"),
  whatever else it carries: a verdict on a line whose code cannot be read is credited to no rule.
- line, when the SVC carries REF*6R: the delivered line whose REF*6R is that value (the payer echoes the line
  item control number the 837 sent); none -> unmatched (a REF*6R edi837 never sent is not ours to place).
- line, without REF*6R: the delivered line with the same code (SVC06 when the payer adjudicated another code,
  else SVC01), date (the SVC's DTM, else the claim's one-day period) and charge (negated in a reversal), when
  exactly one delivered line and exactly one SVC of the claim have that key. Two of either -> both unmatched as
  ambiguous: which line got which verdict cannot be told, and a guess would credit a rule with another line's
  outcome.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from edi837.remit.records import ClaimPayment, ServiceLine


@dataclass(frozen=True)
class Finding:
    """What a rule said about a delivered claim: its code, its action (as the change log names it), whether
    the change was applied, and the line position it concerns (None: the claim)."""

    rule: str
    action: str
    applied: bool
    line: int | None = None


@dataclass(frozen=True)
class DeliveredLine:
    position: int  # 0-based order of the line in the delivered claim
    number: str  # LX01
    control: str | None  # REF*6R as delivered
    code: str
    modifiers: tuple[str, ...]
    units: Decimal
    charge: Decimal
    service_date: date | None


@dataclass(frozen=True)
class DeliveredClaim:
    """A claim as edi837 delivered it (after its fixes), with the findings of the run that delivered it."""

    claim_id: str  # CLM01
    payer_id: str  # 2010BB NM109
    lines: tuple[DeliveredLine, ...]
    findings: tuple[Finding, ...] = ()
    ledger_id: int | None = None  # claims.id in the ledger, when it came from there

    def findings_for(self, position: int) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.line == position)

    def changed(self, position: int) -> bool:
        """Whether edi837 applied a change to this line (the lines it left alone are the comparison)."""
        return any(f.applied for f in self.findings_for(position))


UNREADABLE = "no procedure code"


@dataclass(frozen=True)
class LineMatch:
    paid: ServiceLine
    delivered: DeliveredLine | None
    how: str  # "control" (REF*6R), "content" (code+date+charge), or why unmatched: "unknown control",
    # "ambiguous", "no such line", "no such claim", UNREADABLE


@dataclass(frozen=True)
class ClaimMatch:
    payment: ClaimPayment
    delivered: DeliveredClaim | None
    lines: tuple[LineMatch, ...]

    @property
    def unmatched_lines(self) -> tuple[LineMatch, ...]:
        return tuple(m for m in self.lines if m.delivered is None)


def match_claim(payment: ClaimPayment, delivered: Mapping[str, DeliveredClaim]) -> ClaimMatch:
    """`payment` matched to the delivered claim of its CLP01 and to that claim's lines."""
    claim = delivered.get(payment.claim_id)
    if claim is None:
        return ClaimMatch(payment, None, tuple(LineMatch(svc, None, "no such claim") for svc in payment.lines))
    return ClaimMatch(payment, claim, tuple(_lines(payment, claim)))


def _day(payment: ClaimPayment, svc: ServiceLine) -> date | None:
    if svc.service_date is not None:
        return svc.service_date
    one_day = payment.period_to is None or payment.period_to == payment.period_from
    return payment.period_from if one_day else None


def _key(payment: ClaimPayment, svc: ServiceLine) -> tuple[str, date | None, Decimal]:
    """What a line without REF*6R is matched by. A reversal (CLP02 22) repeats the payment it takes back with
    every amount negated (835 guide, claim reversals), so its charge is compared with its sign turned."""
    return svc.billed_code, _day(payment, svc), -svc.charge if payment.reversal else svc.charge


def _lines(payment: ClaimPayment, claim: DeliveredClaim) -> list[LineMatch]:
    by_control = {line.control: line for line in claim.lines if line.control}
    echoed = {svc.control for svc in payment.lines if svc.control}
    # Lines no SVC names by REF*6R (a payer that does not echo it) are matched by content.
    uncontrolled = [line for line in claim.lines if not line.control or line.control not in echoed]
    keyed = Counter((line.code, line.service_date, line.charge) for line in uncontrolled)
    svc_keys = Counter(_key(payment, svc) for svc in payment.lines if not svc.control)
    found = []
    for svc in payment.lines:
        if not svc.billed_code:
            found.append(LineMatch(svc, None, UNREADABLE))
            continue
        if svc.control:
            line = by_control.get(svc.control)
            found.append(LineMatch(svc, line, "control" if line else "unknown control"))
            continue
        key = _key(payment, svc)
        if keyed[key] == 1 and svc_keys[key] == 1:
            line = next(d for d in uncontrolled if (d.code, d.service_date, d.charge) == key)
            found.append(LineMatch(svc, line, "content"))
        else:
            found.append(LineMatch(svc, None, "ambiguous" if keyed[key] > 1 or svc_keys[key] > 1 else "no such line"))
    return found
