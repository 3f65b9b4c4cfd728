"""NC001: 97140 beside manipulation (CMT or OMT) gets the distinct modifier only on a region not manipulated."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.engine import Applicability, ClaimContext, Finding, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import NO_SITE, NcciPair
from edi837.rules._claims import UnitOfEdit, hedge_each, line_name, performer_key, same_performer, unit_procedures
from edi837.rules._manipulation import Evidence, caveats, named_words, read_manipulation, why_reached
from edi837.rules._medicare import chiropractor_unknown, payable_units
from edi837.rules._modifiers import (
    SITE_MODIFIERS,
    modifier_finding,
    satisfied,
    separate_practitioner,
    wanted_modifier,
)
from edi837.rules._pairs import other_pairs_bypassed
from edi837.rules._regions import regions_of, words
from edi837.rules._telehealth import remote_manipulation, remote_signs
from edi837.words import article
from edi837.writer.edits import DISTINCT_MODIFIERS

HNS_SOURCE = ("97140 with CMT 'ONLY if the therapy is provided to an anatomical region different from the "
              "region(s) manipulated', shown by the diagnosis linked to 97140 (healthnetworksolutions.net, manual "
              "therapy CPT 97140); CPT position on 97140 with CMT/OMT on separate body regions (AAPC Chiropractic "
              "Coding Alert); ChiroCode Q&A 97124 vs 97140")
NOT_MODIFIED = "not modified: bill it only with documentation of a separate region, or remove it"
# Osteopathic manipulation (OMT, 1-2 ... 9-10 body regions): manual therapy on a region it treated is included in
# it, like CMT (ncci.toml, OMT rows). Which regions each code treats, and how many: manipulation.toml.
OMT = [f"9892{n}" for n in range(5, 10)]


class CmtManualTherapy(Rule):
    """NC001 manipulation-manual-therapy: 97140 beside CMT or OMT on another region gets the modifier.

    What it does: on a claim with manipulation (chiropractic 98940-98942 spinal and 98943 extraspinal,
    osteopathic 98925-98929) and a 97140 line on the same date of service by the same performing provider
    (2420A, else 2310B, else the billing provider, whatever other provider loops the claim has), it compares
    the anatomic regions of the diagnoses each line points to (SV107). Every manipulation line of that day
    counts, whatever its kind. A manipulation line's pointers are read against what its code is
    (packs/manipulation.toml): a line that points to no region its code can treat (98940 -> a shoulder only),
    whose pointers cannot be read, or that points to a diagnosis the pack does not place, leaves what was
    manipulated unknown: review, whatever 97140 points to. A line naming fewer regions of its kind than its
    code means (98941, 3-4 spinal regions, pointing to one), or more, leaves every region of that kind open;
    a region outside its kind that it points to (98940 -> lumbar and shoulder) is a supporting diagnosis, but
    the claim then shows that region on the manipulation line, so it is never a distinct one. If 97140
    points to at least one diagnosis in a region no manipulation can have reached, and NCCI pairs the
    manipulation with 97140 (indicator 1), it appends the payer's distinct-procedure modifier to 97140 (safe
    fix). Otherwise it reports a review item and changes nothing; so it does when 97140 already carries 59,
    XS, XU or XP on a region the manipulation reached (what auditors flag), and when the claim bills
    manipulation as telehealth (place of service 02 or 10, or a telehealth modifier: see TH001). Since an SV107
    holds four pointers, 98942 and 98927-98929 never have all their regions named: a 97140 beside them is
    distinct only outside their kind (98942: an extraspinal region), and never beside 98927-98929. It never
    puts the modifier on the manipulation line, never edits a void or a line a prior payer adjudicated, and
    leaves an XE (separate encounter) alone.

    NCCI's unit of edit is the patient, the provider and the date, not the claim: a manipulation billed as a
    range (DTP*472 RD8) that covers 97140's date, or billed on another claim of the file for the same
    patient, payer and provider that date (a void never; an adjudicated line still), pairs too, and is judged
    like the claim's own: its pointers read against its code and against its own claim's diagnoses, and its
    own claim's place of service or its modifiers saying telehealth keep the modifier off 97140 as the
    claim's own would. The claim does not prove such a pair (the range may not cover that day; the file
    cannot show why the visit was split over two claims), so the finding is a review item naming the other
    line and claim, and the modifier, on 97140 in its own claim, applies only with --apply-review. A range
    that ends before 97140's date, or starts after it, is no partner.

    Why: NCCI pairs CMT and OMT (column 1) with 97140 (column 2), modifier indicator 1. 97140 is payable
    beside manipulation only on an anatomic region other than those manipulated; the diagnosis pointers are
    the proof a payer reads, and only as far as they agree with the manipulation code. Without the modifier
    97140 is denied; with it on the same region it is an overpayment and an audit finding. Deciding the
    contradictory cases for review, never a fix, keeps a 59 off every claim whose own lines disagree. CMT and
    OMT are one rule because one 59 on 97140 bypasses every manipulation/97140 edit at once: the question
    "is 97140 on a region no manipulation reached?" has one answer per 97140 line, and a billing manager
    reads it in one finding.

    Example: 98940 -> M99.03 (lumbar), 97140 -> M25.511 (shoulder, upper extremity):
    `SV1*HC:97140*40*UN*1***2` becomes `SV1*HC:97140:59*40*UN*1***2` for a payer wanting 59; 98940 ->
    M25.511 with 97140 -> M99.03 is a review item (the spinal code points to no spinal region).

    Fix safety: safe only when the pointers prove a region no manipulation can have reached and a
    manipulation of the claim itself is on 97140's exact date; everything else is a review item.

    Source: NCCI PTP 98940-98942/97140, indicator 1 (chiro.org "Decoding Manual Therapy"; ChiroEconomics
    on the 59 modifier); OMT 98925-98929/97140 (packs/ncci.toml, inferred); "ONLY if the therapy is provided
    to an anatomical region different from the region(s) manipulated" and the diagnosis-pointer proof
    (healthnetworksolutions.net, manual therapy 97140; ChiroCode Q&A 97124 vs 97140); the CPT position on
    97140 with CMT/OMT on separate body regions (AAPC); regions and region counts of each code (CPT
    descriptors; AMA CPT Assistant Feb 1997, CMT/OMT body regions; AAP Coding for OMT 2022); the unit of
    edit: CMS "Medicare NCCI Procedure to Procedure (PTP) Edits" (the two codes "for the same beneficiary on
    the same date of service").
    """

    code = "NC001"
    name = "manipulation-manual-therapy"
    unit_of_edit = True  # pairs by patient, provider and date, across the file's claims (rules/_claims.py)
    fix_safety = "safe"
    tables = ("ncci", "regions", "manipulation", "telehealth")
    settings = (
        Setting("cmt_codes", "codes", ["98940", "98941", "98942"],
                "the spinal manipulation codes NCCI pairs with manual therapy (column 1)"),
        # Extraspinal manipulation (head, extremities, rib cage, abdomen): a 97140 on a shoulder 98943 manipulated is
        # never a distinct region ("97140 ... will not be separately reimbursed when billed with 98940-98943 (CMT)
        # for the same region", a payer policy quoted at medicarepaymentandreimbursement.com, 2016). Whether NCCI
        # pairs 98943 with 97140 was not confirmed: see ncci.toml, where that row ships disabled.
        Setting("extraspinal_cmt_codes", "codes", ["98943"],
                "extraspinal manipulation: the regions it manipulates count as manipulated"),
        Setting("omt_codes", "codes", OMT, "osteopathic manipulation (OMT), paired with manual therapy like CMT"),
        Setting("manual_therapy", "code", "97140", "the manual-therapy code (column 2)"),
    )

    def codes(self, context: ClaimContext) -> tuple[str, tuple[str, ...]]:
        """The manual-therapy code and every manipulation code, for the claim in hand."""
        return (self.setting(context, "manual_therapy"),
                (*self.setting(context, "cmt_codes"), *self.setting(context, "extraspinal_cmt_codes"),
                 *self.setting(context, "omt_codes")))

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        manual, manipulation = self.codes(context)
        return claim.may_bill(manual) and not unit_procedures(claim, context).isdisjoint(manipulation)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        """Each 97140 of the claim judged in its unit of edit, the finding hedged by the manipulation lines it
        rests on: a range that may not cover its date, or another claim's line, makes it a review item."""
        units = payable_units(self.packs, claim, context)
        yield from hedge_each(self._check(claim, context, units), claim, units, frozenset(self.codes(context)[1]))
        yield from self._modifier_on_manipulation(claim, context, units)

    def _modifier_on_manipulation(self, claim: Claim, context: ClaimContext,
                                  units: list[UnitOfEdit]) -> Iterator[Finding]:
        """A 59/X on the manipulation line itself, beside a 97140 NCCI pairs it with: a review item on that line.

        The distinct-procedure modifier of the pair goes on the column-2 code (97140); on the manipulation it
        says the manipulation itself was distinct from the manual therapy, which nothing on the claim shows.
        Nothing is removed (the claim does not show why it is there); this claim's own lines only."""
        manual_code, manipulation = self.codes(context)
        for unit in units:
            for line in unit.home:
                marked = [m for m in line.modifiers if m in DISTINCT_MODIFIERS]
                if line.procedure not in manipulation or not marked or claim.is_history(line):
                    continue
                beside = [m for m in unit.lines if m.procedure == manual_code and same_performer(claim, m, line)
                          and any(p.modifier_indicator == 1 and p.column1 == line.procedure
                                  for p in self.packs.pairs_for(line.procedure, manual_code, unit.day))]
                if beside:
                    partner = beside[0]
                    yield self._review(claim, line, (
                        f"{line.procedure} ({line_name(line)}) carries {', '.join(marked)} beside {manual_code} "
                        f"({line_name(partner)}) on {unit.day}: the distinct-procedure modifier of the NCCI "
                        f"{line.procedure}/{manual_code} pair goes on {manual_code}, the column-2 code; on the "
                        "manipulation it says the manipulation itself was a distinct service, which nothing on the "
                        "claim shows: remove it unless the documentation says so; not changed"), HNS_SOURCE)

    def _check(self, claim: Claim, context: ClaimContext, units: list[UnitOfEdit]) -> Iterator[Finding]:
        manual_code, manipulation = self.codes(context)
        for unit in units:
            day, lines = unit.day, unit.lines
            for manual in (line for line in unit.home if line.procedure == manual_code):
                if "XE" in manual.modifiers:
                    continue  # a separate encounter the same day: nothing on the claim can confirm or deny it
                manipulations = [c for c in lines if c.procedure in manipulation]
                unidentified = [c for c in manipulations if same_performer(claim, c, manual) is None]
                if unidentified:
                    who = manual if performer_key(claim, manual) is None else unidentified[0]
                    yield self._review(claim, manual, f"{manual_code} and manipulation on {day}: {line_name(who)}'s "
                                       "performer (a 2420A without an NPI) cannot be identified, so whether NCCI "
                                       "pairs the two cannot be shown; check who performed them", HNS_SOURCE)
                    continue
                partners = [c for c in manipulations if same_performer(claim, c, manual)]
                if partners:
                    yield from self._judge(claim, context, manual, partners, unit, frozenset(manipulation))

    def _judge(self, claim: Claim, context: ClaimContext, manual: ServiceLine, partners: list[ServiceLine],
               unit: UnitOfEdit, manipulation: frozenset[str]) -> Iterator[Finding]:
        """The finding for one 97140 line beside its performer's manipulation in its unit of edit (`partners`:
        the manipulation lines of the unit, its claim's own and other claims', it is judged against)."""
        packs, wanted, day = self.packs, wanted_modifier(context, self.code), unit.day
        pairs = [p for c in partners for p in packs.pairs_for(c.procedure, manual.procedure, day)
                 if p.column1 == c.procedure and p.column2 == manual.procedure and p.modifier_indicator == 1]
        pair = pairs[0] if pairs else None
        source = pair.citation if pair else HNS_SOURCE
        names = f"{', '.join(sorted({c.procedure for c in partners}))} on {day}"
        xp = separate_practitioner(claim, manual, partners) if pair is not None else ""
        if xp:
            yield self._review(claim, manual, f"{manual.procedure} billed with manipulation {names}: {xp}", source)
            return
        evidence = [read_manipulation(packs, claim, c) for c in partners]
        unknown = [e.unknown for e in evidence if e.unknown]
        if unknown:
            if pair is not None and not satisfied(manual, wanted, context.profile):
                yield self._review(claim, manual, f"{manual.procedure} billed with manipulation {names}, but what "
                                   f"was manipulated is unknown: {'; '.join(unknown)}; a distinct region cannot be "
                                   "shown: check the documentation", source)
            return
        reach = frozenset().union(*(e.reach for e in evidence))
        manual_regions, _ = regions_of(packs, claim, [manual])
        distinct = manual_regions - reach
        if not distinct:
            yield from self._not_distinct(claim, manual, manual_regions, evidence, names, pair, source)
            return
        if pair is None:
            return  # another region and no NCCI edit between these codes: nothing to add
        secondary = self._primary_reached(claim, manual, distinct, evidence)
        if secondary:
            claimed = [m for m in manual.modifiers if m in SITE_MODIFIERS]
            has = f"carries {', '.join(claimed)} but " if claimed else ""
            yield self._review(claim, manual, f"{manual.procedure} {has}{secondary} ({names}); {NOT_MODIFIED}", source)
            return
        where = (f"{article(words(distinct))} diagnosis, a region" if len(distinct) == 1 else
                 f"diagnoses of the {words(distinct)} regions")
        also = manual_regions - distinct
        shown = (f"{manual.procedure} points to {where} other than the manipulated {named_words(evidence)}"
                 + (f" (it also points to {words(also)}, which the manipulation may have reached)" if also else "")
                 + "".join(f"; {c}" for c in caveats(evidence)) + f" ({names}, NCCI {pair.label} indicator 1)")
        yield from self._distinct(claim, context, manual, partners, unit, manipulation, shown, wanted, source)

    def _distinct(self, claim: Claim, context: ClaimContext, manual: ServiceLine, partners: list[ServiceLine],
                  unit: UnitOfEdit, manipulation: frozenset[str], shown: str, wanted: str,
                  source: str) -> Iterator[Finding]:
        """97140 on a region the manipulation cannot have reached: the modifier, unless something else stands."""
        if satisfied(manual, wanted, context.profile):
            return
        blocker = self._blocker(claim, context, manual, partners, unit, manipulation, wanted)
        if blocker:
            yield self._review(claim, manual, f"{shown}, but {blocker}", source)
            return
        finding = modifier_finding(self.packs, self.code, claim, manual, wanted, context.profile, shown, source,
                                   Applicability.SAFE, approved=False)
        if finding is not None:
            yield finding

    def _blocker(self, claim: Claim, context: ClaimContext, manual: ServiceLine, partners: list[ServiceLine],
                 unit: UnitOfEdit, manipulation: frozenset[str], wanted: str) -> str:
        """What keeps a distinct region from a safe modifier, or "" when nothing does.

        Telehealth: any manipulation line of this claim (a claim that bills manipulation as remote contradicts
        itself, whatever its 97140 shows), or one of the manipulation lines of other claims this 97140 is paired
        with, as its own claim says (the 59 would rest on that line being hands-on and in person; its claim's
        TH001 record says what to correct). Another claim's lines that are not paired with it do not count."""
        packs = self.packs
        bypassed = other_pairs_bypassed(packs, claim, manual, unit.lines, unit.day, manipulation)
        if bypassed:
            return (f"{article(wanted)} would also bypass NCCI {', '.join(bypassed)}, which nothing on the claim "
                    "shows distinct; decide by hand")
        signs = remote_signs(packs, claim, manual)
        remote = (f"{manual.procedure} on line {manual.number} is billed as telehealth ({'; '.join(signs)})" if signs
                  else remote_manipulation(packs, claim, [c for c in partners if c.partner is not None]))
        if remote:
            return (f"{remote}: manipulation and manual therapy are hands-on and cannot be furnished remotely, so "
                    "nothing is added until the place of service and modifiers are right")
        unknown = chiropractor_unknown(packs, claim, manual, context)
        return f"it is billed {unknown}" if unknown else ""

    def _not_distinct(self, claim: Claim, manual: ServiceLine, manual_regions: set[str], evidence: list[Evidence],
                      names: str, pair: NcciPair | None, source: str) -> Iterator[Finding]:
        """97140 on no region, or only on regions the manipulation may have reached: review, never a fix."""
        code = manual.procedure
        claimed = [m for m in manual.modifiers if m in SITE_MODIFIERS]
        if not manual_regions:
            if claimed or pair is None:
                return  # nothing shows the modifier wrong, and nothing would be added
            yield self._review(claim, manual, f"{self._unplaced(claim, manual)} ({names}); {NOT_MODIFIED}", source)
            return
        reached, named = why_reached(manual_regions, evidence)
        what = (f"{code} {'carries ' + ', '.join(claimed) + ' but ' if claimed else ''}points only to regions the "
                f"manipulation {'reached' if named else 'may have reached'} ({names}): {reached}; manual therapy on "
                "a manipulated region is included in the manipulation")
        if claimed:
            yield self._review(claim, manual, f"{what}, and auditors recoup it; check the documentation for a "
                               "separate region, or remove the line", source)
            return
        yield self._review(claim, manual, f"{what}; {NOT_MODIFIED}", source)

    def _primary_reached(self, claim: Claim, manual: ServiceLine, distinct: set[str],
                         evidence: list[Evidence]) -> str:
        """Why 97140's primary diagnosis does not show the distinct region, or "" when it does.

        The payer reads the diagnosis linked first (SV107-1): "the primary diagnosis linked to the manual
        therapy code must clearly indicate ... a different anatomical region" (HNS/BCBSNC). A distinct region
        only among the secondary pointers shows at best part of the line on it: what the units cover is then
        for a person to confirm."""
        first = claim.diagnoses_for(manual)[0]
        region, known = self.packs.region_of(first.code)
        if known and region in distinct:
            return ""
        elsewhere = words(distinct)
        if known and region is not None and region != NO_SITE:
            reached, _ = why_reached({region}, evidence)
            what = f"{first.dotted}, {reached}"
        else:
            what = f"{first.dotted} ({self._place(first.code)})"
        return (f"points to {elsewhere} only as a secondary diagnosis: its first pointer (the primary diagnosis, "
                f"SV107-1) is {what}; move the {elsewhere} diagnosis to the first pointer and confirm the units "
                f"exclude the work on the manipulated region")

    def _unplaced(self, claim: Claim, manual: ServiceLine) -> str:
        """What the 97140 line's pointers show when they name no region, exactly as the line has them."""
        where = f"{manual.procedure} on line {manual.number}"
        problem = claim.pointer_problem(manual)
        if problem:
            return f"{where}: {problem}, so the region it treated is unknown"
        shown = [f"{d.dotted} ({self._place(d.code)})" for d in claim.diagnoses_for(manual)]
        return f"{where} points to {', '.join(shown)}: no diagnosis that names a body region"

    def _place(self, code: str) -> str:
        region, known = self.packs.region_of(code)
        return "an external cause, no region" if known and region == NO_SITE else "region unknown"

    def _review(self, claim: Claim, line: ServiceLine, message: str, source: str) -> Finding:
        return Finding(self.code, claim.claim_id, (line.number,), line.procedure, message, Severity.WARNING, None,
                       source)
