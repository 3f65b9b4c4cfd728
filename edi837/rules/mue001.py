"""MUE001: units of a code above its CMS Medically Unlikely Edit: a review item, never a cut."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from edi837.engine import ClaimContext, Finding, Rule, Severity
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import MueLimit
from edi837.rules._claims import line_name, performer_key, units_of_edit
from edi837.rules._units import in_minutes, plural

MAI_SOURCE = ("MAI 2 'an absolute date-of-service limit that can't be overridden or bypassed with a modifier', some "
              "values confidential (First Coast MAC, medically unlikely edits: avoid denials); date-of-service MUEs "
              "sum the units of all lines of the date, and split lines with modifiers are not paid above the MUE "
              "(NGS, medically unlikely edits)")
_MEANING = {
    1: ("MAI 1, a line edit: each line is held to the MUE on its own; billing the units on separate lines with a "
        "modifier (59, 76, 77 or an anatomic one) is right only when the services were truly separate and the "
        "payer allows it"),
    2: ("MAI 2, a date-of-service edit (policy): an absolute limit for the date of service that no modifier "
        "bypasses and split lines do not get round; units above it will not be paid"),
    3: ("MAI 3, a date-of-service edit (clinical): the units of all lines of the date are summed, split lines "
        "with modifiers do not get round it; units above it are denied but may be appealed with documentation "
        "of medical necessity"),
}
_ZERO = ("an MUE of 0 means CMS pays no units of this code to a practitioner (invalid, not covered, bundled or not "
         "separately payable; AAPC on MUE values)")


class MedicallyUnlikelyUnits(Rule):
    """MUE001 medically-unlikely-units: units of a code above its CMS Medically Unlikely Edit.

    What it does: when an NCCI database with a practitioner MUE table is loaded (`edi-fix ncci import`),
    it compares the units of each code (lines billed in units, SV103 = UN, after TU001 has turned minutes
    into units) with the code's MUE in the table for the date of service, and reports a review item above
    it. MAI 1 (line edit): each line on its own. MAI 2 and 3 (date-of-service edits): the units of all
    lines of that code on that date by the same performing provider are summed, as CMS adjudicates, with
    those of the file's other claims for the same patient and payer (the record names their claim and line;
    each claim gets its own record); a line whose performer cannot be identified is never pooled, and a
    review item says when pooling it would go over. A line billed as a range of dates is pooled only with
    lines of that same range: how its units fall on the days it covers the claim does not say, so when they
    would take a date it covers over the MUE, a review item says they may. The message
    names the indicator and what it means for an appeal. A code whose MUE is blank or confidential in the
    table, or that the table does not list, gives no finding; without an NCCI database, or with no MUE
    table in it, the rule does nothing. It never changes units.

    Why: units above the MUE are denied, and a date-of-service MUE is adjudicated on the units of all the
    date's lines, so splitting them with modifiers does not help; a slip such as minutes keyed as units
    costs the service. The units actually given are the practice's to correct or to document.

    Example: two lines of 97110 on 2026-03-02, 3 and 2 units, MUE 4 with MAI 3 -> review on both lines:
    "5 units of 97110 on 2026-03-02 ... above the CMS practitioner MUE of 4".

    Fix safety: none; how many units were given is a clinical fact, and cutting units is never safe.

    Source: the CMS NCCI practitioner MUE table loaded in the NCCI database (its file and version cited in
    each record); MAI meanings: First Coast MAC "Medically unlikely edits: avoid denials and appeals" and
    NGS "Medically unlikely edits"; MUE 0: AAPC on MUE values; date-of-service MUEs across claims: MLN via
    Zebu Compliance ("applies to all reporting of that HCPCS code on a service date, even if broken into
    separate line items or claims").
    """

    code = "MUE001"
    name = "medically-unlikely-units"
    unit_of_edit = True  # pairs by patient, provider and date, across the file's claims (rules/_claims.py)
    fix_safety = "none"

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        mue = self.packs.mue
        if mue is None:
            return False
        if in_minutes(claim, context) or context.partners:
            return True  # TU001's units are not in the raw bytes, or another claim's count too: look closer
        return any(units > limit for code, units in claim.units_by_code().items()
                   if (limit := mue.smallest(code)) is not None)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        mue = self.packs.mue
        if mue is None:
            return
        for unit in units_of_edit(claim, context):
            day, span = unit.day, (unit.home[0].service_date, unit.home[0].last_date)
            by_code: dict[str, list[ServiceLine]] = defaultdict(list)
            maybe: dict[str, list[ServiceLine]] = defaultdict(list)  # ranges that cover the date: may be on it
            # its own lines of that date, and other claims' of exactly that date
            for line in [*unit.home, *(x for x in unit.lines if x.partner and (x.service_date, x.last_date) == span)]:
                if line.unit_basis == "UN":
                    by_code[line.procedure].append(line)
            for line in unit.lines if not unit.home[0].is_range else ():
                if line.unit_basis == "UN" and line.is_range:
                    maybe[line.procedure].append(line)
            for code, code_lines in by_code.items():
                limit = mue.limit(code, day)
                if limit is None or limit.value is None:
                    continue
                if limit.indicator in (2, 3):
                    yield from self._per_date(claim, code_lines, limit, day, maybe[code])
                else:
                    for line in code_lines:
                        if line.partner is None and line.units > limit.value:
                            yield self._finding(claim, [line], line.units, limit, day, "")

    def _per_date(self, claim: Claim, lines: list[ServiceLine], limit: MueLimit, day: date | None,
                  maybe: list[ServiceLine]) -> Iterator[Finding]:
        """A date-of-service MUE: the units of `lines` (that date's) summed per performer; `maybe` are lines
        billed as a range covering the date, whose units may or may not fall on it: a review item says when
        counting them would go over."""
        assert limit.value is not None
        total = sum((x.units for x in lines), Decimal(0))
        if total + sum((x.units for x in maybe), Decimal(0)) <= limit.value:
            return  # no provider's share of the day can be over either
        groups: dict[str, list[ServiceLine]] = defaultdict(list)
        unknown: list[ServiceLine] = []
        for line in [*lines, *maybe]:
            key = performer_key(claim, line)
            (unknown if key is None else groups[key]).append(line)
        over = False
        for group in [*groups.values(), *([x] for x in unknown)]:
            sure = [x for x in group if not any(x is y for y in maybe)]
            units = sum((x.units for x in sure), Decimal(0))
            if units > limit.value:
                over = True
                if any(x.partner is None for x in sure):  # another claim's own group is its record's
                    yield self._finding(claim, sure, units, limit, day, "")
            elif len(sure) < len(group) and any(x.partner is None for x in group):
                ranges = [x for x in group if not any(x is y for y in sure)]
                units = sum((x.units for x in group), Decimal(0))
                if units > limit.value:
                    over = True
                    yield self._finding(claim, group, units, limit, day, (
                        f" if the units of {', '.join(line_name(x) for x in ranges)}, billed as a range of dates that "
                        f"covers {day}, fell on that date (may be the same date of service; check the dates)"))
        if unknown and not over and any(x.partner is None for x in lines) and total > limit.value:
            yield self._finding(claim, lines, total, limit, day,
                                f" if one provider performed them all ({line_name(unknown[0])}'s performer, a "
                                "2420A without an NPI, cannot be identified)")

    def _finding(self, claim: Claim, lines: list[ServiceLine], units: Decimal, limit: MueLimit, day: date | None,
                 condition: str) -> Finding:
        assert limit.value is not None
        lines = sorted(lines, key=lambda x: (x.partner is not None, x.number))  # its own first, in line order
        if all(x.partner is None for x in lines):
            where = (f"line {lines[0].number}" if len(lines) == 1
                     else f"lines {', '.join(str(x.number) for x in lines)} together")
        else:
            where = (f"{', '.join(line_name(x) for x in lines)} together: another claim of this file for the same "
                     "patient, payer and provider; a date-of-service MUE counts a date's units across claims")
        meaning = _MEANING.get(limit.indicator or 0, "its adjudication indicator could not be read in the table, so "
                               "each line was checked on its own")
        if limit.value == 0:
            meaning = f"{_ZERO}; {meaning}"
        severity = Severity.ERROR if limit.indicator == 2 else Severity.WARNING
        return Finding(self.code, claim.claim_id, tuple(x.number for x in lines if x.partner is None), limit.code,
                       f"{plural(units, 'unit')} of {limit.code} on {day} ({where}) above the CMS practitioner MUE of "
                       f"{limit.value}{condition}: {meaning}; edi-fix never cuts units: correct them or keep the "
                       "documentation", severity, None, f"{limit.citation}; {MAI_SOURCE}")
