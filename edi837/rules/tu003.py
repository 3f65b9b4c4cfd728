"""TU003: more units of one timed code on one date than a person could bill: they look like minutes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from edi837.engine import ClaimContext, Finding, Setting, Severity
from edi837.model.claim import Claim
from edi837.rules._medicare import is_medicare
from edi837.rules._timed_check import TimedUnitsCheck
from edi837.rules._units import in_minutes
from edi837.writer.edits import format_decimal

RANGE_SOURCE = ("First Coast MAC 0508065 (from 2021-04-19, claims are rejected if timed codes are not reported for "
                "each date of service on a single line); CMS Pub 100-04 ch. 5 §20.2 (units counted per date of "
                "service)")


class UnitsLookLikeMinutes(TimedUnitsCheck):
    """TU003 units-look-like-minutes: a timed code billed in units with more units on one date than the cap.

    What it does: sums the units of each timed code per date of service (lines billed with SV103 = UN)
    and reports a review item when the sum is above the `max_units` setting (8 by default, two hours of
    one code). On a Medicare Part B claim, a timed code billed in units over a range of dates (DTP*472 RD8)
    is a review item too: Medicare wants one line per date of service (TU001 says the same of minutes).

    Why: a practice-management system that puts minutes where units belong bills 30 units for 30 minutes;
    the claim is denied by the MUE edit or, worse, paid and recouped.

    Example: `SV1*HC:97110*38.50*UN*30***1` -> review: "30 units of 97110 on one date".

    Fix safety: none; which number is right is for the practice to say.

    Source: MUE practitioner edits sum units per code per date of service (ngsmedicare.com medically
    unlikely edits); the cap is a setting because the CMS MUE values were not available; First Coast MAC
    0508065 (from 2021-04-19, claims whose timed codes are not reported one date of service per line are
    rejected).
    """

    code = "TU003"
    name = "units-look-like-minutes"
    settings = (Setting("max_units", "int", 8, "more units of one timed code on one date than this look like minutes"),)

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        if not super().wants(claim, context):
            return False  # no timed code at all: a set test, asked before the scan of the raw bytes below
        # No code can have more units on a date than all lines together; lines TU001 converted from
        # minutes are not in the raw bytes' units yet, so a claim with minutes is always looked at.
        return (not (claim.units_in_units() <= self.setting(context, "max_units") and not in_minutes(claim, context))
                or (claim.may_contain(b"RD8") and is_medicare(context)))

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        if is_medicare(context):
            for line in claim.lines:
                if line.is_range and line.unit_basis == "UN" and line.procedure in self.packs.timed_codes:
                    yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                                  f"{format_decimal(line.units)} units of {line.procedure} billed over "
                                  f"{line.service_date} to {line.last_date}: Medicare wants a timed code on one line "
                                  "per date of service, with that day's units (First Coast rejects it otherwise); "
                                  "split the line by date of service", Severity.WARNING, None, RANGE_SOURCE)
        cap = self.setting(context, "max_units")
        for day, timed in self.timed_in_units(claim):
            per_code: dict[str, Decimal] = defaultdict(Decimal)
            numbers: dict[str, list[int]] = defaultdict(list)
            for line in timed:
                per_code[line.procedure] += line.units
                numbers[line.procedure].append(line.number)
            for code, units in per_code.items():
                if units > cap:
                    yield Finding(self.code, claim.claim_id, tuple(numbers[code]), code,
                                  f"{format_decimal(units)} units of {code} on {day} (over {cap}, two hours of one "
                                  "code): these "
                                  "look like minutes; check the charge entry", Severity.WARNING, None,
                                  "MUE: units of a code on one date are summed (ngsmedicare.com); cap: TU003 max_units")
