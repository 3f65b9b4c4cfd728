"""TU004: more timed units on one date than the payer pays."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from edi837.engine import ClaimContext, Finding, Severity
from edi837.model.claim import Claim
from edi837.packs import RulePacks
from edi837.rules._timed_check import TimedUnitsCheck
from edi837.rules._units import in_minutes
from edi837.writer.edits import format_decimal


class DailyTimedCap(TimedUnitsCheck):
    """TU004 timed-units-daily-cap: a payer's cap on timed units per date of service is exceeded.

    What it does: when the payer profile sets `timed_units_per_day`, it totals the units of timed codes
    per date of service (after TU001 has converted minutes) and reports a review item above the cap. It
    never trims units itself.

    Why: some payers pay at most so many timed units a day (Anthem: 4 units, one hour, per date for the
    same member and provider); the excess is denied, and which unit to drop is a clinical decision.

    Example: 97110 x3 + 97140 x2 for a profile with `timed_units_per_day = 4` -> review.

    Fix safety: none; which unit to drop is a clinical decision.

    Source: Anthem reimbursement policy, frequency editing for professional claims (providernews.anthem.com,
    DOS from 2021-04-01).
    """

    code = "TU004"
    name = "timed-units-daily-cap"

    def __init__(self, packs: RulePacks) -> None:
        super().__init__(packs)
        self.any_cap = any(p.timed_units_per_day is not None for p in packs.profiles)

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        if not self.any_cap:
            return False
        profile = context.profile
        if profile is None or profile.timed_units_per_day is None:
            return False
        over = claim.units_in_units() > profile.timed_units_per_day or in_minutes(claim, context)
        return over and super().wants(claim, context)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        cap = context.profile.timed_units_per_day if context.profile else None
        if cap is None:
            return
        for day, timed in self.timed_in_units(claim):
            total = sum((x.units for x in timed), Decimal(0))
            if total > cap:
                assert context.profile is not None
                yield Finding(self.code, claim.claim_id, tuple(x.number for x in timed), None,
                              f"{format_decimal(total)} timed units on {day}; {context.profile.name} pays at most "
                              f"{cap} a day: "
                              "the excess will be denied; decide which units to bill", Severity.WARNING, None,
                              "payer profile timed_units_per_day (Anthem frequency editing, providernews.anthem.com)")
