"""MUE002: a per-session code billed more than once a date (CMT x 2, 98940 with 98941, 97012 x 2): review."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from edi837.engine import ClaimContext, Finding, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import ManipulationCode
from edi837.rules._claims import line_name, performer_key, units_of_edit
from edi837.rules._units import plural

# Codes reported once per session: manipulation, whose level counts the regions treated in the session (CPT
# 98925-98929, 98940-98943), the supervised modalities "1 or more areas" (97010-97028, G0283) and evaluations.
PER_SESSION = ["98925", "98926", "98927", "98928", "98929", "98940", "98941", "98942", "98943",
               "97010", "97012", "97014", "97016", "97018", "97022", "97024", "97026", "97028", "G0283",
               "97161", "97162", "97163", "97164", "97165", "97166", "97167", "97168"]
SOURCE = ("CPT descriptors: CMT 98940-98942 spinal 1-2/3-4/5 regions, 98943 extraspinal 1 or more regions, OMT "
          "98925-98929 by body regions (rules/manipulation.toml): one code describes the session; supervised "
          "modalities 97010-97028 'are coded only once per encounter, regardless of' time (ANJC coding update, 2019) "
          "and untimed codes 'are billed with a unit of one (1) per date of service' (8s2c.com, which CPT codes are "
          "untimed); without an NCCI database (MUE001, NC003/NC004 decide when its MUE or PTP tables have the codes)")


class PerSessionUnits(Rule):
    """MUE002 per-session-units: a code reported once per session billed more than once on one date.

    What it does: for the codes billed once per session (setting `per_session_codes`: manipulation 98925-98929
    and 98940-98943, the supervised modalities 97010-97028 and G0283, evaluations 97161-97168), it adds up a
    date's units by one performing provider (lines billed in units for one exact date, on this claim and on
    the file's other claims for the same patient and payer) and reports a review item when they are more than
    one: the same code at 2 units or on two lines (98940 x 2, 97012 x 2), or two levels of one manipulation
    family (98940 with 98941; 98925 with 98926: rules/manipulation.toml). It never cuts units or removes a
    line. When an NCCI database is loaded it leaves a code to MUE001 if the MUE table has a value for it, and
    two levels to NC003/NC004 if the PTP table pairs them, so one thing is said once. Lines billed as a range
    of dates, lines of unknown performers (a 2420A without an NPI) pooled with others, and claims a prior
    payer adjudicated are not counted.

    Why: a manipulation code's level counts the regions treated in the session, and an untimed modality or an
    evaluation is one unit whatever its length or number of areas; two units, or two levels, on one date are
    denied (and CMS's MUEs for these codes are one) or recovered on audit. Without `ncci import` nothing else
    says so.

    Example: `SV1*HC:98940:AT*90*UN*2***1` -> review: "2 units of 98940 on 2026-03-02 (line 1): 98940 is one
    session of manipulation (1-2 spinal regions) ... one unit per date of service".

    Fix safety: none; which services were given is in the treatment notes.

    Source: CPT descriptors of CMT, OMT and the supervised modalities (rules/manipulation.toml); ANJC coding
    update on supervised modalities (once per encounter); 8s2c.com on untimed codes (one unit per date of
    service); deferring to MUE001 and NC003/NC004 when the CMS tables are loaded.
    """

    code = "MUE002"
    name = "per-session-units"
    unit_of_edit = True  # counts one patient's date across the file's claims, as MUE001 does
    tables = ("manipulation",)
    settings = (Setting("per_session_codes", "codes", PER_SESSION, "codes billed once per session (one unit a date)"),)

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        codes = set(self.setting(context, "per_session_codes"))
        present = claim.procedures & codes
        if context.partners:
            return bool(present)
        units = claim.units_by_code()
        if any(units.get(code, 0.0) > 1 for code in present):
            return True
        families = [self.packs.manipulation[c].family for c in present if c in self.packs.manipulation]
        return len(families) != len(set(families))

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        codes = set(self.setting(context, "per_session_codes"))
        for unit in units_of_edit(claim, context):
            if not unit.home or unit.home[0].is_range:
                continue  # a range's units fall on days the claim does not show
            day = unit.day
            same_day = [*unit.home, *(x for x in unit.lines if x.partner and not x.is_range
                                      and x.service_date == day)]
            groups: dict[tuple[str, str], list[ServiceLine]] = defaultdict(list)
            for line in same_day:
                if line.procedure in codes and line.unit_basis == "UN" and line.units > 0:
                    who = performer_key(claim, line) or f"unknown {id(line)}"  # never pooled
                    groups[who, self._session(line.procedure)].append(line)
            for lines in groups.values():
                own = [x for x in lines if x.partner is None]
                if own and not all(claim.is_history(x) for x in own):
                    yield from self._judge(claim, lines, day)

    def _session(self, code: str) -> str:
        """What one session of the code is counted by: its manipulation family, else the code itself."""
        kind = self.packs.manipulation.get(code)
        return f"family {kind.family}" if kind is not None else code

    def _judge(self, claim: Claim, lines: list[ServiceLine], day: date | None) -> Iterator[Finding]:
        total = sum((x.units for x in lines), Decimal(0))
        if total <= 1:
            return
        codes = list(dict.fromkeys(x.procedure for x in lines))
        kind = self.packs.manipulation.get(codes[0])
        where = _where(lines)
        if len(codes) > 1:
            if any(p.modifier_indicator in (0, 1) for p in self.packs.pair_source.pairs_among(codes, day)):
                return  # the PTP table pairs them: NC003/NC004 say it
            assert kind is not None
            message = (f"{' and '.join(codes)} on {day} ({where}) by one provider: a manipulation session is "
                       f"reported with one code, its level counting the {kind.kind} regions treated "
                       f"({self._levels(kind)}); bill the one level that counts every region manipulated that day")
        else:
            mue = self.packs.mue
            limit = mue.limit(codes[0], day) if mue is not None else None
            if limit is not None and limit.value is not None:
                return  # the CMS MUE table has it: MUE001 says it
            what = (f"{codes[0]} is one session of manipulation ({kind.count_words} {kind.kind} regions)"
                    if kind is not None else f"{codes[0]} is reported once per session (untimed: no time in "
                    "its descriptor, whatever the areas treated)")
            message = (f"{plural(total, 'unit')} of {codes[0]} on {day} ({where}): {what}, one unit per date of "
                       "service")
        yield Finding(self.code, claim.claim_id, tuple(x.number for x in lines if x.partner is None),
                      codes[0], f"{message}; edi-fix never cuts units or removes a line: correct them, or keep the "
                      "documentation of separate sessions", Severity.WARNING, None, SOURCE)

    def _levels(self, kind: ManipulationCode) -> str:
        family = sorted((c for c in self.packs.manipulation.values() if c.family == kind.family),
                        key=lambda c: c.code)
        return ", ".join(f"{c.code} {c.count_words}" for c in family)


def _where(lines: list[ServiceLine]) -> str:
    """The lines counted, as a message names them: its own first, then other claims'."""
    ordered = sorted(lines, key=lambda x: (x.partner is not None, x.number))
    if all(x.partner is None for x in ordered):
        return f"line {ordered[0].number}" if len(ordered) == 1 else \
            f"lines {', '.join(str(x.number) for x in ordered)} together"
    return (f"{', '.join(line_name(x) for x in ordered)} together: the file's other claims for the same patient, "
            "payer and provider count too")
