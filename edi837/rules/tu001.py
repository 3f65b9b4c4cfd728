"""TU001: minutes to units for timed codes, by the payer's method (CMS 8-minute rule or CPT midpoint rule)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from edi837.engine import Applicability, ClaimContext, Finding, Fix, Rule, Severity
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import PayerProfile
from edi837.rules._claims import lines_by_date, performer_key
from edi837.rules._units import (
    CMS_SOURCE,
    CPT_SOURCE,
    DISCIPLINES,
    TimedCode,
    decided_by_tie,
    distribute_cms,
    in_minutes,
    minutes_text,
    plural,
    units_for,
    why_no_unit,
)
from edi837.writer.edits import Edit, RemoveLine, SetCharge, SetUnits, format_decimal


@dataclass
class _Day:
    """What TU001 knows while it converts one claim: the payer, each line's minutes (by the line's id),
    and which lines took their minutes from the side file."""

    profile: PayerProfile | None
    minutes: dict[int, Decimal]
    from_side_file: set[int]


class TimedUnits(Rule):
    """TU001 timed-units: minutes to units for timed codes, by the payer's method; 0 units removes the line.

    What it does: for each date of service, the timed lines that carry minutes (SV103 = MJ, SV104 =
    minutes, or a row of the --minutes side file) get units. A code billed on several lines of one date
    (split time blocks) counts its minutes together. Under `cms-total` (Medicare) the day's total timed
    minutes decide the units, each code gets its whole 15-minute units and the remaining units go to the
    codes with the most leftover minutes; under `per-code` (CPT midpoint rule) each code on its own. The
    code's first line becomes SV103 = UN with the code's units (SV102 = units x fee when the pack has a
    fee, else the sum of the merged lines' charges); its other lines of that date are removed, and a code
    left with 0 units loses its lines (LX renumbered, CLM02 and SE01 follow). Nothing changes, and a review
    item says why, when: every line of the claim would go; a date mixes minute lines with timed lines in
    units; lines of one code differ in modifiers or date span; the minutes file and SV104 disagree; a
    line was adjudicated by a prior payer; or (cms-total) the day's lines belong to more than one therapy
    discipline (GP/GO/GN), whose plans of care CMS was not confirmed to total together, or a line in minutes
    is an "initial / each additional" time code (97129 with its add-on 97130: timed_codes.toml
    [initial_and_additional]), which is never converted (per-code: the day's other codes still are). When the
    cms-total distribution removes a line on a tie of leftover minutes (CMS: "choose either"), the day's
    conversion is a review fix, applied whole with --apply-review. Untimed codes are never converted; voids are
    never edited.

    Why: payers pay timed codes per 15-minute unit; units billed off the 8-minute rule are denied or
    recouped in audits, and a code billed for under 8 minutes is not billable at all. Two 10-minute blocks
    of 97140 are 20 minutes of 97140, one unit, not two.

    Example: CMS example 3, 97110 33 minutes + 97140 7 minutes = 40 minutes = 3 units under cms-total:
    97110 gets 2 (its whole units), and the remaining unit goes to 97140 (7 leftover minutes against 3):
    `SV1*HC:97110*...*MJ*33` -> `...*UN*2`, `SV1*HC:97140*...*MJ*7` -> `...*UN*1`. Under per-code the same
    session gives 97110 2 units and removes the 97140 line (7 minutes is under the midpoint).

    Fix safety: safe; the minutes on the claim (or the side file) prove the units. A line removed on a tie of
    leftover minutes is the therapist's choice, not the claim's: that day's fixes are review fixes.

    Source: CMS Pub 100-04 ch. 5 §20.2 and its examples (chirocode.com article 25388; findacode.com therapy
    documentation article; First Coast MAC 0508065; NGS "Counting units for therapy codes"); CPT midpoint
    rule (premera.com, billing for time, 2019).
    """

    code = "TU001"
    name = "timed-units"
    phase = 0

    fix_safety = "safe"
    tables = ("timed_codes", "fees")

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return in_minutes(claim, context)

    def _minutes(self, claim: Claim, line: ServiceLine, context: ClaimContext) -> tuple[Decimal | None, str]:
        """A line's minutes (None: billed in units) and a conflict between the side file and SV104, if any."""
        side = context.minutes.minutes(claim.claim_id, line.number) if context.minutes else None
        if side is not None and line.unit_basis == "MJ" and line.units != side:
            return side, (f"line {line.number} {line.procedure}: the minutes file says {format_decimal(side)} minutes, "
                          f"SV104 says {format_decimal(line.units)} (MJ)")
        if side is not None:
            return side, ""
        return (line.units, "") if line.unit_basis == "MJ" else (None, "")

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        profile = context.profile
        method = profile.unit_method if profile else "per-code"
        source = CMS_SOURCE if method == "cms-total" else CPT_SOURCE
        findings: list[Finding] = []
        state = _Day(profile, {}, set())
        minutes = state.minutes
        for day, lines in sorted(lines_by_date(claim).items(), key=lambda kv: kv[0] or date.min):
            timed = [line for line in lines if line.procedure in self.packs.timed_codes]
            conflicts: list[str] = []
            for line in timed:
                value, conflict = self._minutes(claim, line, context)
                if value is not None:
                    minutes[id(line)] = value
                    if context.minutes is not None and context.minutes.minutes(claim.claim_id, line.number) is not None:
                        state.from_side_file.add(id(line))
                if conflict:
                    conflicts.append(conflict)
            with_minutes = [line for line in timed if id(line) in minutes]
            if not with_minutes:
                continue
            if conflicts:
                findings.append(self._review(claim, with_minutes, f"{day}: {'; '.join(conflicts)}: which is right "
                                             "is for a person to say; not converted", source))
                continue
            negative = [line for line in with_minutes if minutes[id(line)] < 0]
            if negative:
                findings.append(self._review(claim, negative, f"{day}: negative minutes ("
                                             + ", ".join(f"{x.procedure} {format_decimal(minutes[id(x)])}"
                                                         for x in negative)
                                             + "): not converted; correct the minutes", source))
                continue
            empty = [line for line in with_minutes if minutes[id(line)] == 0]
            if empty:
                findings.append(self._review(claim, empty, f"{day}: line {empty[0].number} ({empty[0].procedure}) "
                                             "carries no minutes (SV104 is 0 or empty): the minutes were lost or the "
                                             "line should go, a person decides; not converted", source))
                continue
            split = [x for x in with_minutes if x.procedure in self.packs.initial_time_codes]
            if split and method == "cms-total":
                findings.append(self._review(claim, with_minutes, self._split_day(day, split), source))
                continue
            if split:  # per code: the others are counted on their own; TU002 says what to do with these
                timed = [x for x in timed if all(x is not y for y in split)]
            if method == "cms-total":
                findings.extend(self._cms_day(claim, day, timed, state))
                continue
            by_code: dict[str, list[ServiceLine]] = defaultdict(list)
            for line in timed:
                by_code[line.procedure].append(line)
            for code_lines in by_code.values():
                if len(code_lines) > 1 and any(performer_key(claim, x) is None for x in code_lines):
                    findings.append(self._review(claim, code_lines, f"{day}: {code_lines[0].procedure} is billed on "
                                                 "several lines and a performer (a 2420A without an NPI) cannot be "
                                                 "identified, so whose minutes count together is unknown: not "
                                                 "converted", source))
                    continue
                groups: dict[str | None, list[ServiceLine]] = defaultdict(list)
                for line in code_lines:
                    groups[performer_key(claim, line)].append(line)
                for group in groups.values():
                    findings.extend(self._per_code(claim, day, group, state))
        removing = {e.line for f in findings if f.fix for e in f.fix.edits if isinstance(e, RemoveLine)}
        if removing and not [line for line in claim.lines if line.number not in removing]:
            numbers = ", ".join(str(n) for n in sorted(removing))
            yield self._review(claim, [x for x in claim.lines if x.number in removing],
                               f"every line of the claim would be removed (lines {numbers}: no billable units); "
                               "nothing changed: a claim cannot go without lines, a person must decide whether to "
                               "send it", source)
            return
        yield from findings

    def _split_day(self, day: date | None, split: list[ServiceLine]) -> str:
        """Why a cms-total day with an "initial / each additional" time code in minutes is not converted."""
        named = ", ".join(f"{x.procedure} (line {x.number})" for x in split)
        pairs = ", ".join(sorted({" and ".join(self.packs.initial_time_codes[x.procedure]) for x in split}))
        return (f"{day}: {named} is billed in minutes, but its time is split between an initial code and an add-on "
                f"({pairs}), which edi837 does not convert (it cannot add the add-on's line); its minutes count "
                "toward the day's total, so the day's timed minutes are not converted either: convert them by hand")

    def _review(self, claim: Claim, lines: list[ServiceLine], message: str, source: str) -> Finding:
        return Finding(self.code, claim.claim_id, tuple(x.number for x in lines), None, message, Severity.WARNING,
                       None, source)

    def _blocked(self, claim: Claim, day: date | None, group: list[ServiceLine], minutes: dict[int, Decimal],
                 source: str) -> Finding | None:
        """Why some lines that must be counted together cannot be converted, as a review finding."""
        carrying = [x for x in group if id(x) in minutes]
        in_units = [x for x in group if id(x) not in minutes]
        if in_units:
            codes = ", ".join(f"{x.procedure} (line {x.number})" for x in in_units)
            return self._review(claim, carrying, f"{day}: some timed lines carry minutes and {codes} already carries "
                                "units; the minutes of the day must all be known to count them: not converted", source)
        history = [x for x in carrying if claim.is_history(x)]
        if history:
            return self._review(claim, carrying, f"{day}: line {history[0].number} ({history[0].procedure}) was "
                                "adjudicated by a prior payer, so its minutes and units are history; the lines "
                                "counted with it are not converted either: convert them by hand", source)
        spans = [x for x in carrying if x.service_date_end not in (None, x.service_date)]
        if spans:
            return self._review(claim, carrying, f"line {spans[0].number} ({spans[0].procedure}) spans several dates "
                                "of service; timed codes are counted per date: bill one line per date", source)
        by_code: dict[str, list[ServiceLine]] = defaultdict(list)
        for x in carrying:
            by_code[x.procedure].append(x)
        for code, code_lines in sorted(by_code.items()):
            for what, values in (("modifiers", {x.modifiers for x in code_lines}),
                                 ("diagnosis pointers", {x.pointers for x in code_lines})):
                if len(values) > 1:
                    return self._review(claim, carrying, f"{day}: {code} is billed on several lines with different "
                                        f"{what}; its minutes count together, but which {what} the units keep is "
                                        "for a person to decide: not converted", source)
        return None

    def _cms_day(self, claim: Claim, day: date | None, timed: list[ServiceLine], state: _Day) -> Iterator[Finding]:
        minutes = state.minutes
        disciplines = {m for x in timed for m in x.modifiers if m in DISCIPLINES}
        if len(disciplines) > 1 or (disciplines and any(not set(x.modifiers) & disciplines for x in timed)):
            found = ", ".join(sorted(disciplines))
            yield self._review(claim, [x for x in timed if id(x) in minutes],
                               f"{day}: the timed lines belong to more than one therapy discipline ({found}, or a line "
                               "without one); CMS was not confirmed to total separate plans of care together, so "
                               "edi837 does not pool them: convert each discipline's minutes by hand", CMS_SOURCE)
            return
        performers = {performer_key(claim, x) for x in timed}
        if len(timed) > 1 and (len(performers) > 1 or None in performers):
            yield self._review(claim, [x for x in timed if id(x) in minutes],
                               f"{day}: the timed lines were performed by more than one provider (or by one a 2420A "
                               "without an NPI leaves unidentified); CMS totals a day's minutes for the services "
                               "billed together, and edi837 does not pool different providers' minutes: convert them "
                               "by hand", CMS_SOURCE)
            return
        blocked = self._blocked(claim, day, timed, minutes, CMS_SOURCE)
        if blocked is not None:
            yield blocked
            return
        codes = _by_code(timed, minutes)
        day_units, units = distribute_cms(codes, self.packs.tie_order)
        total = sum((t.minutes for t in codes), Decimal(0))
        parts = ", ".join(minutes_text(t, minutes) for t in codes)
        head = (f"CMS 8-minute rule, {day}: {format_decimal(total)} timed minutes ({parts}) = "
                f"{plural(day_units, 'unit')}")
        tied = decided_by_tie(codes, units)
        for t in codes:
            n = units[t.code]
            if n:
                why = f"{head}; {t.code} gets {plural(n, 'unit')}"
            elif total < 8:
                why = f"{head}: under 8 minutes in the day, nothing is billable"
            else:
                why = (f"{head}; {t.code}'s {format_decimal(t.minutes)} minutes count toward the day's total, but "
                       f"{why_no_unit(t, codes, units, self.packs.tie_order)}")
            finding = self._code_finding(claim, t, n, why, CMS_SOURCE, state)
            if finding is not None and tied:
                finding = _on_a_tie(finding, tied)
            if finding is not None:
                yield finding

    def _per_code(self, claim: Claim, day: date | None, group: list[ServiceLine], state: _Day) -> Iterator[Finding]:
        minutes = state.minutes
        if not any(id(x) in minutes for x in group):
            return
        blocked = self._blocked(claim, day, group, minutes, CPT_SOURCE)
        if blocked is not None:
            yield blocked
            return
        (t,) = _by_code(group, minutes)
        n = units_for(t.minutes)
        why = f"CPT midpoint rule per code, {day}: {minutes_text(t, minutes)} -> {plural(n, 'unit')}"
        if not n:
            why += ": under 8 minutes of the code is not billable"
        finding = self._code_finding(claim, t, n, why, CPT_SOURCE, state)
        if finding is not None:
            yield finding

    def _code_finding(self, claim: Claim, t: TimedCode, units: int, why: str, source: str,
                      state: _Day) -> Finding | None:
        """The edits for one code on one date: its first line gets the units, its other lines go."""
        first, rest = t.lines[0], t.lines[1:]
        numbers = tuple(x.number for x in t.lines)
        where = " (minutes from the side file)" if any(id(x) in state.from_side_file for x in t.lines) else ""
        if units == 0:
            edits: list[Edit] = [RemoveLine(x.number) for x in t.lines]
            what = "line removed" if len(t.lines) == 1 else "lines removed"
            return Finding(self.code, claim.claim_id, numbers, t.code, f"{why}: {what}{where}", Severity.INFO,
                           Fix(tuple(edits), Applicability.SAFE), source)
        profile_fee = self._fee(state.profile, first)
        charge = profile_fee * units if profile_fee is not None else sum((x.charge for x in t.lines), Decimal(0))
        message = f"{why}{where}"
        if rest:
            message += (f"; line {first.number} carries the code's units and "
                        f"{'line' if len(rest) == 1 else 'lines'} {', '.join(str(x.number) for x in rest)} "
                        "(the same code's other time blocks that day) removed")
        if profile_fee is not None:
            message += f"; charge {units} x {format_decimal(profile_fee)} from the fee schedule"
        elif rest:
            message += f"; the removed lines' charges added to line {first.number}"
        if not rest and first.unit_basis == "UN" and first.units == units and first.charge == charge:
            return None  # already right: nothing to change, nothing to report
        edits = [SetUnits(first.number, Decimal(units), "UN")]
        if charge != first.charge:
            edits.append(SetCharge(first.number, charge))
        edits += [RemoveLine(x.number) for x in rest]
        return Finding(self.code, claim.claim_id, numbers, t.code, message, Severity.INFO,
                       Fix(tuple(edits), Applicability.SAFE), source)

    def _fee(self, profile: PayerProfile | None, line: ServiceLine) -> Decimal | None:
        return (profile.fee_schedule.get(line.procedure) if profile else None) or \
            self.packs.fee_schedule.get(line.procedure)


def _on_a_tie(finding: Finding, tied: list[TimedCode]) -> Finding:
    """A finding of a day whose conversion removes a line on a tie of leftover minutes, as a review fix.

    Which of the tied codes is billed is the therapist's choice (CMS ch. 5 §20.2: "choose either"), not the
    claim's, and every finding of the day depends on it (the day's units are right only together), so each
    becomes a review fix: applied together with --apply-review (edi837's pick), or by hand as the note says."""
    assert finding.fix is not None
    lines = ", ".join(f"{t.code} (line {t.first})" for t in tied)
    return replace(finding, fix=Fix(finding.fix.edits, Applicability.REVIEW), message=(
        f"{finding.message}; the day's units rest on a tie of leftover minutes that removes {lines}: CMS lets the "
        "therapist choose either code (ch. 5 §20.2, example 2), which the claim does not show, so the day's "
        "conversion is a review fix, applied whole with --apply-review (the pick above) or by hand"))


def _by_code(lines: list[ServiceLine], minutes: dict[int, Decimal]) -> list[TimedCode]:
    """The minute lines grouped by code, in order of each code's first line."""
    codes: dict[str, TimedCode] = {}
    for line in lines:
        if id(line) not in minutes:
            continue
        entry = codes.get(line.procedure)
        if entry is None:
            codes[line.procedure] = TimedCode([line], minutes[id(line)])
        else:
            entry.lines.append(line)
            entry.minutes += minutes[id(line)]
    return list(codes.values())
