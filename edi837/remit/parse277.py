"""A 277CA transaction set (005010X214) into an Acknowledgement: one ClaimStatus per claim-level STC.

Where the values are (the 277CA implementation guide's loops): the payer is NM1*PR NM109 of loop 2100A
(HL level 20); a claim is loop 2200D under the patient level (HL level PT): TRN*2 TRN02 echoes the
provider's CLM01, STC01 (category:status:entity), STC02 date, STC04 charge, STC10/STC11 further statuses,
REF*1K the payer's claim control number. STCs of the receiver and provider levels (2200B, 2200C) speak of the
whole batch, and service-line STCs (loop 2220D, after an SVC) of one line; neither is a claim's verdict and
neither is read. NM1*QC (the patient's name and member id) is never read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edi837.remit.records import Acknowledgement, ClaimStatus
from edi837.remit.segments import Segment, Transaction

_CLAIM_LEVELS = ("PT", "23")  # HL03: patient, dependent


@dataclass
class _Claim:
    trn: str | None = None
    ref_1k: str | None = None
    stcs: list[Segment] = field(default_factory=list)
    in_line: bool = False


def _status(claim: _Claim, stc: Segment) -> ClaimStatus:
    first = stc.composite(1)
    more = tuple(":".join(c for c in stc.composite(n)[:3] if c) for n in (10, 11) if stc.get(n))
    return ClaimStatus(claim.trn, claim.ref_1k, first[0] if first else "", stc.get(1, 2), stc.get(1, 3) or None,
                       more, stc.amount(4), stc.day(2))


def _on_claim(claim: _Claim, seg: Segment) -> None:
    if seg.id == "SVC":
        claim.in_line = True
    elif claim.in_line:
        return
    elif seg.id == "TRN" and seg.get(1) == "2":
        claim.trn = seg.get(2) or None
    elif seg.id == "REF" and seg.get(1) == "1K":
        claim.ref_1k = seg.get(2) or None
    elif seg.id == "STC":
        claim.stcs.append(seg)


def parse_277(tx: Transaction, issues: tuple[str, ...] = ()) -> Acknowledgement:
    """The Acknowledgement one 277CA transaction set says."""
    payer_id, level = "", ""
    claims: list[_Claim] = []
    for seg in tx.segments:
        if seg.id == "HL":
            level = seg.get(3)
            if level in _CLAIM_LEVELS:
                claims.append(_Claim())
        elif seg.id == "NM1" and seg.get(1) == "PR" and level == "20" and not payer_id:
            payer_id = seg.get(9)
        elif level in _CLAIM_LEVELS and claims:
            _on_claim(claims[-1], seg)
    statuses = tuple(_status(c, stc) for c in claims for stc in c.stcs)
    return Acknowledgement(tx.digest, tx.control, payer_id, statuses, issues)
