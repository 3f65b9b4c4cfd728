"""What the report and the summary know of one claim: its lines, its amounts, why it was held.

A value type beside the claim model it is read from (the pipeline makes them, the report shows them).
Kept per claim (only when the caller keeps records, as the HTML report does), so the report can show each
claim's payer, rendering NPI, diagnoses and lines before and after without reading the file again. Nothing
here is patient data: claim ids, payer ids, NPIs, codes, line numbers, amounts and dates of service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from edi837.errors import InputRefused
from edi837.model.claim import Claim
from edi837.x12.envelope import split_lead
from edi837.x12.untrusted import amount


@dataclass(frozen=True, slots=True)
class LineSummary:
    """One service line as it arrived: LX01, code and modifiers, charge, units and basis, dates of service."""

    number: int
    procedure: str
    modifiers: tuple[str, ...]
    charge: Decimal
    units: Decimal
    basis: str
    service_date: date | None
    service_date_end: date | None


@dataclass
class ClaimSummary:
    """A claim with findings or held: where it is, what it bills, and its records' range in FixResult.records."""

    index: int  # 0-based position among the input's claims
    claim_id: str
    transaction: str | None  # ST02, None when it may not be shown (x12/untrusted.py)
    segment: int  # position of its CLM in the input
    amount_before: Decimal | None
    amount_after: Decimal | None  # CLM02 as delivered (None when held or unreadable)
    lines: list[LineSummary] = field(default_factory=list)
    hold_reasons: tuple[str, ...] = ()
    first_record: int = 0
    end_record: int = 0
    payer: str = ""  # 2010BB NM109, the payer id (never the subscriber's own ids)
    rendering_npi: str = ""  # 2310B NPI ("" when the billing provider renders)
    diagnoses: tuple[tuple[str, str | None], ...] = ()  # (ICD-10-CM code, dotted; its region or None), HI order
    lines_after: list[LineSummary] | None = None  # the lines with the safe fixes (delivered, or on release)

    @property
    def held(self) -> bool:
        return bool(self.hold_reasons)


def clm02(piece: bytes, element: bytes) -> Decimal | None:
    """CLM02 of a CLM piece (leading white space allowed)."""
    fields = split_lead(piece)[1].split(element, 3)
    return amount(fields[2]) if len(fields) > 2 else None


def lines_of(claim: Claim) -> list[LineSummary]:
    """The claim's lines as they arrived; none when a line cannot be read (the gate judges the claim)."""
    try:
        lines = claim.all_lines
    except InputRefused:
        return []
    return [LineSummary(x.number, x.procedure, x.modifiers, x.charge, x.units, x.unit_basis, x.service_date,
                        x.service_date_end) for x in lines]


def described(summary: ClaimSummary, claim: Claim, region_of: Callable[[str], str | None]) -> ClaimSummary:
    """The summary with what the report shows of its claim: payer id, rendering NPI, diagnoses and their
    anatomic regions (`region_of`, the rule packs' table the rules read). Codes only, never names."""
    summary.payer = claim.subscriber.payer_id
    try:
        summary.rendering_npi = claim.rendering_npi
        summary.diagnoses = tuple((d.dotted, region_of(d.code)) for d in claim.diagnoses)
    except InputRefused:
        pass
    return summary


def lines_after(lines: list[LineSummary], edits: Iterable[tuple[int | None, str, str | None]],
                element: str, component: str) -> list[LineSummary]:
    """The lines with a claim's fixes, read from the fixes themselves: (line number, action, SV1 after) of each
    fix in order; `remove_line` drops the line, any other puts the SV1's code, modifiers, charge, basis and
    units in place (the last one of a line wins). Reading these few SV1 texts costs a tenth of parsing the
    rebuilt claim again, which a 20,000-claim report would do for every changed claim."""
    by_number = {x.number: x for x in lines}
    for number, action, after in edits:
        if number is None or number not in by_number:
            continue
        if action == "remove_line":
            del by_number[number]
        elif after and after.startswith("SV1" + element):
            line = _sv1(by_number[number], after, element, component)
            if line is not None:
                by_number[number] = line
    return [by_number[x.number] for x in lines if x.number in by_number]


def _sv1(line: LineSummary, text: str, element: str, component: str) -> LineSummary | None:
    fields = text.split(element)
    if len(fields) < 5:
        return None
    code = fields[1].split(component)
    charge, units = amount(fields[2]), amount(fields[4])
    if len(code) < 2 or charge is None or units is None:
        return None
    return replace(line, procedure=code[1], modifiers=tuple(m for m in code[2:6] if m), charge=charge,
                   basis=fields[3], units=units)


__all__ = ["ClaimSummary", "LineSummary", "amount", "clm02", "described", "lines_after", "lines_of"]
