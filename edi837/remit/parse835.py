"""An 835 transaction set (005010X221A1) into a Remittance: claims (loop 2100), lines (loop 2110), adjustments.

What is copied, and from where (the 835 implementation guide's element names):
- header: BPR16 (payment date), TRN02 (trace number), the payer id from N1*PR N104 (loop 1000A), else REF*2U,
  else TRN03;
- CLP01 (the provider's claim id), CLP02 status, CLP03 charge, CLP04 paid, CLP05 patient responsibility,
  CLP07 payer claim control number; claim-level CAS; MOA remark codes; DTM*232/233 (period), DTM*050 (received);
- SVC01 (code and modifiers as adjudicated; the code empty when unreadable), SVC02 charge, SVC03 paid, SVC05
  units, SVC06 (as submitted, when the payer changed the code); DTM*472 (or DTM*150) date; REF*6R line item
  control number; CAS; LQ*HE RARCs.
Never read: NM1 (patient, insured, corrected names and ids), N3/N4 addresses, PER contacts. PLB (provider
level adjustments) belongs to no claim and is not read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from edi837.errors import InputRefused
from edi837.remit.records import Adjustment, ClaimPayment, Remittance, ServiceLine
from edi837.remit.segments import Segment, Transaction

_LINE_DATES = ("472", "150")


@dataclass
class _Claim:
    head: ClaimPayment
    adjustments: list[Adjustment] = field(default_factory=list)
    lines: list[ServiceLine] = field(default_factory=list)


def adjustments(seg: Segment) -> list[Adjustment]:
    """CAS01 group, then up to six triples reason/amount/units (CAS02-04, CAS05-07, ... CAS17-19)."""
    group = seg.get(1)
    found = []
    for first in range(2, 20, 3):
        reason = seg.get(first)
        if reason:
            found.append(Adjustment(group, reason, seg.money(first + 1), seg.amount(first + 2)))
    return found


def _procedure(parts: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """SVC01/SVC06: qualifier, code, up to four modifiers (components 3-6), description (7, not kept)."""
    code = parts[1] if len(parts) > 1 else ""
    return code, tuple(m for m in parts[2:6] if m)


def _line(seg: Segment, position: int) -> ServiceLine:
    """One SVC. An SVC01 without a readable code (the public samples carry `SVC*HC*24599.00` and `HC>55669`
    under another component separator) is kept with an empty code: the matcher reports it unmatched, by claim
    id and position. Refusing the file for it would lose the payer's verdict on every other claim of the 835."""
    code, modifiers = _procedure(seg.composite(1))
    submitted, submitted_mods = _procedure(seg.composite(6))
    return ServiceLine(position, code, modifiers, seg.money(2), seg.money(3), seg.amount(5),
                       submitted or None, submitted_mods)


def _claim(seg: Segment, payer_id: str) -> _Claim:
    if not seg.get(1):
        raise InputRefused(f"{seg.where()}01: no claim id")
    head = ClaimPayment(seg.get(1), seg.get(2), seg.money(3), seg.money(4), seg.amount(5), seg.get(7) or None,
                        payer_id)
    return _Claim(head)


def _payer(segments: tuple[Segment, ...]) -> str:
    n1 = next((s.get(4) for s in segments if s.id == "N1" and s.get(1) == "PR" and s.get(4)), "")
    ref = next((s.get(2) for s in segments if s.id == "REF" and s.get(1) == "2U"), "")
    trn = next((s.get(3) for s in segments if s.id == "TRN"), "")
    return n1 or ref or trn


def _on_claim(claim: _Claim, seg: Segment) -> None:
    """A segment of loop 2100 or 2110 (SVC already opened a line when `claim.lines` is not empty)."""
    if seg.id == "SVC":
        claim.lines.append(_line(seg, len(claim.lines)))
    elif claim.lines:
        claim.lines[-1] = _on_line(claim.lines[-1], seg)
    elif seg.id == "CAS":
        claim.adjustments.extend(adjustments(seg))
    elif seg.id == "MOA":
        claim.head = replace(claim.head, remarks=claim.head.remarks + tuple(c for c in (seg.get(n) for n in
                                                                                      range(3, 8)) if c))
    elif seg.id == "DTM" and seg.get(1) in ("232", "233", "050"):
        qualifier, day = seg.get(1), seg.day(2)
        if qualifier == "232":
            claim.head = replace(claim.head, period_from=day)
        elif qualifier == "233":
            claim.head = replace(claim.head, period_to=day)
        else:
            claim.head = replace(claim.head, received=day)


def _on_line(line: ServiceLine, seg: Segment) -> ServiceLine:
    if seg.id == "CAS":
        return replace(line, adjustments=line.adjustments + tuple(adjustments(seg)))
    if seg.id == "DTM" and seg.get(1) in _LINE_DATES and line.service_date is None:
        return replace(line, service_date=seg.day(2))
    if seg.id == "REF" and seg.get(1) == "6R":
        return replace(line, control=seg.get(2) or None)
    if seg.id == "LQ" and seg.get(1) == "HE" and seg.get(2):
        return replace(line, remarks=(*line.remarks, seg.get(2)))
    return line


def parse_835(tx: Transaction, issues: tuple[str, ...] = ()) -> Remittance:
    """The Remittance one 835 transaction set says."""
    payer_id = _payer(tx.segments)
    claims: list[_Claim] = []
    current: _Claim | None = None  # a claim ends at the next CLP, header number (LX), PLB or SE
    paid_on, trace = None, None
    for seg in tx.segments:
        if seg.id == "CLP":
            current = _claim(seg, payer_id)
            claims.append(current)
        elif seg.id in ("LX", "PLB", "SE"):
            current = None
        elif current is not None:
            _on_claim(current, seg)
        elif seg.id == "BPR":
            paid_on = seg.day_or_none(16)  # pyx12 lists a bad one; no verdict depends on it
        elif seg.id == "TRN" and trace is None:
            trace = seg.get(2) or None
    return Remittance(tx.digest, tx.control, payer_id, paid_on, trace, tuple(_finish(c) for c in claims), issues)


def _finish(claim: _Claim) -> ClaimPayment:
    return replace(claim.head, adjustments=tuple(claim.adjustments), lines=tuple(claim.lines))
