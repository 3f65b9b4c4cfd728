"""Timed-code units: the CMS 8-minute rule, the CPT midpoint rule per code, and their sanity checks.

Which codes are timed is data (rules/timed_codes.toml); which method a payer uses is data (the payer
profile's `unit_method`); fees are data (rules/fees.toml, or a profile's [fee] table). This module holds
the arithmetic. These rules run in phase 0, before the modifier rules, because they decide which lines
exist: a line left with 0 units is removed, and a 97140 that goes must not leave a 97530 modified.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from edi837.edits import Edit, RemoveLine, SetCharge, SetUnits, format_decimal
from edi837.engine import Applicability, ClaimContext, Finding, Fix, Severity
from edi837.loops import Claim, ServiceLine
from edi837.ncci_rules import lines_by_date
from edi837.packs import PayerProfile, RulePacks

CMS_SOURCE = ("CMS Pub 100-04 Medicare Claims Processing Manual ch. 5 §20.2 (8-minute rule: total timed minutes "
              "of the day decide the units; 8-22 = 1, 23-37 = 2, ...; examples 1-5)")
CPT_SOURCE = ("CPT time rule, midpoint per code: 'a unit of time is attained when the midpoint is passed' "
              "(premera.com billing for time, 2019); 8-22 minutes = 1 unit, 23-37 = 2, 38-52 = 3")
FIFTEEN = Decimal(15)


def units_for(minutes: Decimal) -> int:
    """Units of a 15-minute code for some minutes: 0 under 8, then floor((m + 7) / 15).

    The chart (8-22 -> 1, 23-37 -> 2, 38-52 -> 3 ...) "remains the same for treatment times in excess of
    2 hours" (CMS ch. 5 §20.2), which is this formula.
    """
    if minutes < 8:
        return 0
    return int(((minutes + 7) / FIFTEEN).to_integral_value(rounding=ROUND_FLOOR))


@dataclass
class _Timed:
    line: ServiceLine
    minutes: Decimal
    from_side_file: bool


def distribute_cms(timed: list[_Timed], tie_order: tuple[str, ...]) -> tuple[int, dict[int, int]]:
    """CMS total-minutes distribution: (units of the day, units per line number).

    Each code first gets its whole 15-minute units; the remaining units go one each to the codes with
    the most leftover minutes. Ties (CMS: "either"): more total minutes first, then the pack's
    `tie_order`, then the earlier line.
    """
    total = sum((t.minutes for t in timed), Decimal(0))
    day_units = units_for(total)
    units = {t.line.number: int((t.minutes / FIFTEEN).to_integral_value(rounding=ROUND_FLOOR)) for t in timed}
    remaining = day_units - sum(units.values())
    rank = {code: i for i, code in enumerate(tie_order)}

    def key(t: _Timed) -> tuple[Decimal, Decimal, int, int]:
        leftover = t.minutes - FIFTEEN * units[t.line.number]
        return (-leftover, -t.minutes, rank.get(t.line.procedure, len(rank)), t.line.number)

    for t in sorted(timed, key=key)[: max(remaining, 0)]:
        units[t.line.number] += 1
    return day_units, units


class TimedUnits:
    """TU001 timed-units: minutes to units for timed codes, by the payer's method; 0 units removes the line.

    What it does: for each date of service, the timed lines that carry minutes (SV103 = MJ, SV104 =
    minutes, or a row of the --minutes side file) get units: under `cms-total` (Medicare) the day's total
    timed minutes decide the units, each code gets its whole 15-minute units and the remaining units go
    to the codes with the most leftover minutes; under `per-code` (CPT midpoint rule) each line on its
    own. The line becomes SV103 = UN with the units, and SV102 = units x fee when the pack has a fee for
    the code. A line left with 0 units is removed (LX renumbered, CLM02 and SE01 follow). If every line
    of the claim would go, or a date mixes minute lines with timed lines already in units (cms-total
    cannot total them), nothing changes and a review item says why. Untimed codes are never converted.

    Why: payers pay timed codes per 15-minute unit; units billed off the 8-minute rule are denied or
    recouped in audits, and a line billed for under 8 minutes is not billable at all.

    Example (CMS example 3): 97110 33 minutes + 97140 7 minutes = 40 minutes = 3 units under cms-total:
    97110 gets 2 (its whole units), and the remaining unit goes to 97140 (7 leftover minutes against 3):
    `SV1*HC:97110*...*MJ*33` -> `...*UN*2`, `SV1*HC:97140*...*MJ*7` -> `...*UN*1`. Under per-code the same
    session gives 97110 2 units and removes the 97140 line (7 minutes is under the midpoint).

    Source: CMS Pub 100-04 ch. 5 §20.2 and its examples (chirocode.com article 25388; findacode.com therapy
    documentation article; First Coast MAC); CPT midpoint rule (premera.com, 2019);
    research/billing-rules.md §3.
    """

    code = "TU001"
    name = "timed-units"
    phase = 0

    def __init__(self, packs: RulePacks) -> None:
        self.packs = packs
        self.timed = packs.timed_codes

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return _in_minutes(claim, context)

    def _minutes(self, claim: Claim, line: ServiceLine, context: ClaimContext) -> _Timed | None:
        side = context.minutes.minutes(claim.claim_id, line.number) if context.minutes else None
        if side is not None:
            return _Timed(line, side, True)
        if line.unit_basis == "MJ":
            return _Timed(line, line.units, False)
        return None

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        profile = context.profile
        method = profile.unit_method if profile else "per-code"
        findings: list[Finding] = []
        removing: set[int] = set()
        for day, lines in sorted(lines_by_date(claim).items(), key=lambda kv: kv[0] or date.min):
            timed_lines = [line for line in lines if line.procedure in self.timed]
            with_minutes = [t for t in (self._minutes(claim, line, context) for line in timed_lines) if t]
            if not with_minutes:
                continue
            negative = [t for t in with_minutes if t.minutes < 0]
            if negative:
                findings.append(Finding(
                    self.code, claim.claim_id, tuple(t.line.number for t in negative), None,
                    f"{day}: negative minutes "
                    f"({', '.join(f'{t.line.procedure} {format_decimal(t.minutes)}' for t in negative)})"
                    ": not converted; correct the minutes", Severity.WARNING, None, CMS_SOURCE))
                continue
            if method == "cms-total":
                findings.extend(self._cms_day(claim, day, timed_lines, with_minutes, profile))
            else:
                findings.extend(self._per_code(claim, day, with_minutes, profile))
        for finding in findings:
            if finding.fix and any(isinstance(e, RemoveLine) for e in finding.fix.edits):
                removing.update(finding.lines)
        if removing and not [line for line in claim.lines if line.number not in removing]:
            numbers = ", ".join(str(n) for n in sorted(removing))
            yield Finding(self.code, claim.claim_id, tuple(sorted(removing)), None,
                          f"every line of the claim would be left with 0 units (lines {numbers}: under 8 "
                          "minutes); nothing changed: a claim cannot go without lines, a person must decide "
                          "whether to send it", Severity.WARNING, None, CMS_SOURCE if method == "cms-total"
                          else CPT_SOURCE)
            return
        yield from findings

    def _cms_day(self, claim: Claim, day: date | None, timed_lines: list[ServiceLine], with_minutes: list[_Timed],
                 profile: PayerProfile | None) -> Iterator[Finding]:
        carrying = {t.line.number for t in with_minutes}
        without = [line for line in timed_lines if line.number not in carrying]
        if without:
            codes = ", ".join(f"{x.procedure} (line {x.number})" for x in without)
            yield Finding(self.code, claim.claim_id, tuple(t.line.number for t in with_minutes), None,
                          f"{day}: some timed lines carry minutes and {codes} already carries units; the CMS "
                          "rule needs all timed minutes of the day to total them: not converted",
                          Severity.WARNING, None, CMS_SOURCE)
            return
        repeated = [code for code, n in Counter(t.line.procedure for t in with_minutes).items() if n > 1]
        if repeated:
            yield Finding(self.code, claim.claim_id, tuple(t.line.number for t in with_minutes), None,
                          f"{day}: {', '.join(repeated)} appears on more than one line; Medicare wants one line "
                          "per timed code and date: combine them, then edi837 can convert the minutes",
                          Severity.WARNING, None, CMS_SOURCE)
            return
        day_units, units = distribute_cms(with_minutes, self.packs.tie_order)
        total = sum((t.minutes for t in with_minutes), Decimal(0))
        parts = ", ".join(f"{t.line.procedure} {format_decimal(t.minutes)}" for t in with_minutes)
        for t in with_minutes:
            n = units[t.line.number]
            why = (f"CMS 8-minute rule, {day}: {format_decimal(total)} timed minutes ({parts}) = {day_units} units; "
                   f"{t.line.procedure} {format_decimal(t.minutes)} min -> {n} unit{'s' if n != 1 else ''}")
            finding = self._finding(claim, t, n, why, CMS_SOURCE, profile)
            if finding is not None:
                yield finding

    def _per_code(self, claim: Claim, day: date | None, with_minutes: list[_Timed],
                  profile: PayerProfile | None) -> Iterator[Finding]:
        for t in with_minutes:
            n = units_for(t.minutes)
            why = (f"CPT midpoint rule per code, {day}: {t.line.procedure} {format_decimal(t.minutes)} min -> "
                   f"{n} unit{'s' if n != 1 else ''}")
            finding = self._finding(claim, t, n, why, CPT_SOURCE, profile)
            if finding is not None:
                yield finding

    def _finding(self, claim: Claim, t: _Timed, units: int, why: str, source: str,
                 profile: PayerProfile | None) -> Finding | None:
        line = t.line
        where = " (minutes from the side file)" if t.from_side_file else ""
        if units == 0:
            return Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                           f"{why}: under 8 minutes is not billable, line removed{where}", Severity.INFO,
                           Fix((RemoveLine(line.number),), Applicability.SAFE), source)
        edits: list[Edit] = [SetUnits(line.number, Decimal(units), "UN")]
        fee = (profile.fee_schedule.get(line.procedure) if profile else None) or \
            self.packs.fee_schedule.get(line.procedure)
        message = f"{why}{where}"
        if fee is not None:
            edits.append(SetCharge(line.number, fee * units))
            message += f"; charge {units} x {format_decimal(fee)} from the fee schedule"
        if line.unit_basis == "UN" and line.units == units and (fee is None or line.charge == fee * units):
            return None  # already right: nothing to change, nothing to report
        return Finding(self.code, claim.claim_id, (line.number,), line.procedure, message, Severity.INFO,
                       Fix(tuple(edits), Applicability.SAFE), source)


def _in_minutes(claim: Claim, context: ClaimContext) -> bool:
    """True when the claim may carry minutes: an MJ unit basis, or rows of the minutes side file."""
    d = claim.delimiters
    if claim.may_contain(d.element + b"MJ" + d.element):
        return True
    return context.minutes is not None and context.minutes.has_claim(claim.claim_id)


class MinutesOnUntimedCode:
    """TU002 untimed-in-minutes: an untimed code billed in minutes (SV103 = MJ).

    What it does: reports a review item for a line whose code is in the pack's untimed list but is billed
    with SV103 = MJ, or is given minutes in the side file; it never converts it. Codes in neither list are
    left alone: anesthesia (00100-01999), for one, is rightly billed in minutes.

    Why: untimed codes (97012 traction, 97014 e-stim, evaluations, CMT) are billed once per date of
    service whatever the time spent; minutes there usually mean a charge-entry mistake.

    Example: `SV1*HC:97012*30*MJ*15***1` -> review: "97012 is untimed (1 unit per date of service)".

    Source: AOTA timed codes page (untimed codes not counted, 1 unit per DOS); 8s2c.com which CPT codes are
    untimed; research/billing-rules.md §3.3.
    """

    code = "TU002"
    name = "untimed-in-minutes"
    phase = 0

    def __init__(self, packs: RulePacks) -> None:
        self.packs = packs

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return _in_minutes(claim, context)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        for line in claim.lines:
            if line.procedure not in self.packs.untimed_codes:
                continue
            side = context.minutes.minutes(claim.claim_id, line.number) if context.minutes else None
            if line.unit_basis != "MJ" and side is None:
                continue
            given = "given minutes in the side file" if side is not None else "billed in minutes (MJ)"
            yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                          f"{line.procedure} is {given} but is untimed: untimed codes are billed once per date of "
                          "service; not converted", Severity.WARNING, None,
                          "research/billing-rules.md §3.3 (AOTA; 8s2c.com)")


class _TimedUnitsCheck:
    """Shared by the checks that read timed lines billed in units (TU003, TU004). They run after TU001
    (same phase, later code), so lines it converted from minutes are counted with their new units."""

    phase = 0

    def __init__(self, packs: RulePacks) -> None:
        self.packs = packs

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return not self.packs.timed_codes.isdisjoint(claim.procedures)

    def timed_in_units(self, claim: Claim) -> Iterator[tuple[date | None, list[ServiceLine]]]:
        """Per date of service, the timed lines billed in units (after TU001 has converted minutes)."""
        for day, lines in lines_by_date(claim).items():
            timed = [x for x in lines if x.procedure in self.packs.timed_codes and x.unit_basis == "UN"]
            if timed:
                yield day, timed


class UnitsLookLikeMinutes(_TimedUnitsCheck):
    """TU003 units-look-like-minutes: a timed code billed in units with more units on one date than the cap.

    What it does: sums the units of each timed code per date of service (lines billed with SV103 = UN)
    and reports a review item when the sum is above the pack's `units_that_look_like_minutes` (8 by
    default, two hours of one code).

    Why: a practice-management system that puts minutes where units belong bills 30 units for 30 minutes;
    the claim is denied by the MUE edit or, worse, paid and recouped.

    Example: `SV1*HC:97110*38.50*UN*30***1` -> review: "30 units of 97110 on one date".

    Source: MUE practitioner edits sum units per code per date of service (ngsmedicare.com medically
    unlikely edits); the cap is a pack setting because the CMS MUE values were not available
    (research/billing-rules.md §4).
    """

    code = "TU003"
    name = "units-look-like-minutes"

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        # No code can have more units on a date than all lines together; lines TU001 converted from
        # minutes are not in the raw bytes' units yet, so a claim with minutes is always looked at.
        return (claim.units_in_units() > self.packs.units_cap or _in_minutes(claim, context)) and super().wants(
            claim, context)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        cap = self.packs.units_cap
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
                                  "MUE: units of a code on one date are summed (ngsmedicare.com); cap from the pack")


class DailyTimedCap(_TimedUnitsCheck):
    """TU004 timed-units-daily-cap: a payer's cap on timed units per date of service is exceeded.

    What it does: when the payer profile sets `timed_units_per_day`, it totals the units of timed codes
    per date of service (after TU001 has converted minutes) and reports a review item above the cap. It
    never trims units itself.

    Why: some payers pay at most so many timed units a day (Anthem: 4 units, one hour, per date for the
    same member and provider); the excess is denied, and which unit to drop is a clinical decision.

    Example: 97110 x3 + 97140 x2 for a profile with `timed_units_per_day = 4` -> review.

    Source: Anthem reimbursement policy, frequency editing for professional claims (providernews.anthem.com,
    DOS from 2021-04-01); research/billing-rules.md §3.2, §8 R05.
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
        over = claim.units_in_units() > profile.timed_units_per_day or _in_minutes(claim, context)
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


RULES = (TimedUnits, MinutesOnUntimedCode, UnitsLookLikeMinutes, DailyTimedCap)
