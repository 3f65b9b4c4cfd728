"""Plain typed records of what an 835 or a 277CA says, with no patient data in them.

Why plain frozen dataclasses: matching, storage and outcomes only need values (ids, codes, amounts, dates);
keeping pyx12's segment objects would carry every element of the file, names and member ids included, into
code that must never see them. The readers copy the elements named here and nothing else: NM1*QC (patient),
NM1*IL (insured), NM1*74 (corrected insured) and their ids are never read. Amounts are Decimal: dollars
must not round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

REVERSAL = "22"  # CLP02: reversal of a previous payment (005010X221A1, claim status code list)
DENIED = "4"  # CLP02: denied
ACCEPTED_CATEGORIES = ("A1", "A2")  # STC01-1: A1 received, A2 accepted into adjudication (277CA)


@dataclass(frozen=True)
class Adjustment:
    """One CAS adjustment: group (CO, PR, OA, PI, CR), CARC, amount and units (CAS segment, triples 1-6)."""

    group: str
    reason: str
    amount: Decimal
    units: Decimal | None = None

    @property
    def label(self) -> str:
        """`CO-4`: how billing staff name an adjustment."""
        return f"{self.group}-{self.reason}"


@dataclass(frozen=True)
class ServiceLine:
    """One SVC (loop 2110): the procedure as the payer adjudicated it (SVC01) and as submitted when the payer
    changed it (SVC06), amounts, units, date, the line item control number (REF*6R) and adjustments."""

    position: int  # 0-based order of the SVC inside its CLP
    code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    units: Decimal | None
    submitted_code: str | None = None  # SVC06-2, present when the payer adjudicated another code
    submitted_modifiers: tuple[str, ...] = ()
    service_date: date | None = None
    control: str | None = None  # REF*6R
    adjustments: tuple[Adjustment, ...] = ()
    remarks: tuple[str, ...] = ()  # LQ*HE RARCs

    @property
    def billed_code(self) -> str:
        """The code the provider sent: SVC06 when the payer changed it, else SVC01."""
        return self.submitted_code or self.code

    @property
    def billed_modifiers(self) -> tuple[str, ...]:
        return self.submitted_modifiers if self.submitted_code else self.modifiers

    @property
    def denied(self) -> bool:
        """Paid nothing on a positive charge (a zero-charge line is neither paid nor denied)."""
        return self.paid == 0 and self.charge > 0


@dataclass(frozen=True)
class ClaimPayment:
    """One CLP (loop 2100) with its claim-level CAS and its service lines."""

    claim_id: str  # CLP01: the provider's CLM01
    status: str  # CLP02
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    payer_control: str | None  # CLP07
    payer_id: str
    period_from: date | None = None  # DTM*232
    period_to: date | None = None  # DTM*233
    received: date | None = None  # DTM*050
    adjustments: tuple[Adjustment, ...] = ()
    remarks: tuple[str, ...] = ()  # MOA remark codes
    lines: tuple[ServiceLine, ...] = ()

    @property
    def reversal(self) -> bool:
        return self.status == REVERSAL


@dataclass(frozen=True)
class Remittance:
    """One 835 transaction set (ST..SE): who paid, when, and the claims."""

    digest: str  # sha256 of the transaction's segments: the same 835 read twice is recognised
    control: str  # ST02
    payer_id: str  # N1*PR N104, else REF*2U, else TRN03
    paid_on: date | None  # BPR16
    trace: str | None  # TRN02: check or EFT trace number
    claims: tuple[ClaimPayment, ...]
    issues: tuple[str, ...] = field(default=(), compare=False)  # pyx12 findings, printable


@dataclass(frozen=True)
class ClaimStatus:
    """One claim's STC in a 277CA (loop 2200D): category, status codes, entity, and the ids it names."""

    claim_id: str | None  # TRN02 of 2200D: the provider's CLM01 as the 277CA echoes it
    payer_control: str | None  # REF*1K: the payer's claim control number
    category: str  # STC01-1
    status: str  # STC01-2
    entity: str | None  # STC01-3
    more: tuple[str, ...] = ()  # STC10 and STC11: further category:status[:entity] triples
    charge: Decimal | None = None  # STC04
    on: date | None = None  # STC02

    @property
    def accepted(self) -> bool:
        return self.category in ACCEPTED_CATEGORIES

    @property
    def reason(self) -> str:
        """`A7:562:85`: category, status and entity, how rejections are grouped."""
        return ":".join(p for p in (self.category, self.status, self.entity) if p)


@dataclass(frozen=True)
class Acknowledgement:
    """One 277CA transaction set."""

    digest: str
    control: str
    payer_id: str  # NM1*PR NM109 of loop 2100A
    claims: tuple[ClaimStatus, ...]
    issues: tuple[str, ...] = field(default=(), compare=False)
