"""NC001: 97140 beside chiropractic manipulation gets the distinct modifier only on a region not manipulated."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.engine import Applicability, ClaimContext, Finding, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.rules._claims import UnitOfEdit, hedge_each, line_name, performer_key, same_performer, unit_procedures
from edi837.rules._medicare import chiropractor_unknown, payable_units
from edi837.rules._modifiers import SITE_MODIFIERS, modifier_finding, satisfied, wanted_modifier
from edi837.rules._pairs import other_pairs_bypassed
from edi837.rules._regions import regions_of, words
from edi837.words import article

HNS_SOURCE = ("97140 with CMT 'ONLY if the therapy is provided to an anatomical region different from the "
              "region(s) manipulated', shown by the diagnosis linked to 97140 (healthnetworksolutions.net, manual "
              "therapy CPT 97140); ChiroCode Q&A 97124 vs 97140")


class CmtManualTherapy(Rule):
    """NC001 cmt-manual-therapy: 97140 beside chiropractic manipulation on another region gets the modifier.

    What it does: on a claim with manipulation (98940-98942 spinal, 98943 extraspinal) and a 97140 line on
    the same date of service by the same performing provider (2420A, else 2310B, else the billing
    provider, whatever other provider loops the claim has), it compares the anatomic regions of the
    diagnoses each line points to (SV107). Every manipulation line of that day counts: a shoulder that
    98943 manipulated is a manipulated region. If 97140 points to at least one diagnosis whose region is
    not manipulated, and NCCI pairs the manipulation with 97140 (indicator 1), it appends the payer's
    distinct-procedure modifier to 97140 (safe fix). If every diagnosis it points to is in a manipulated
    region, it reports a review item and changes nothing; so it does when 97140 already carries 59, XS, XU
    or XP on a manipulated region (what auditors flag). Unknown regions (a code the pack does not place, a
    pointer past the last diagnosis, an SV107 that cannot be read) are never treated as distinct: review.
    It never puts the modifier on the manipulation line, never edits a void or a line a prior payer
    adjudicated, and leaves an XE (separate encounter) alone. NCCI's unit of edit is the patient, the
    provider and the date, not the claim: a manipulation billed as a range (DTP*472 RD8) that covers 97140's
    date, or billed on another claim of the file for the same patient, payer and provider that date (a void
    never; an adjudicated line still), pairs too. The claim does not prove such a pair (the range may not
    cover that day; the file cannot show why the visit was split over two claims), so the finding is a
    review item naming the other line and claim, and the modifier, on 97140 in its own claim, applies only
    with --apply-review. A range that ends before 97140's date, or starts after it, is no partner.

    Why: NCCI pairs CMT (column 1) with 97140 (column 2), modifier indicator 1. 97140 is payable beside
    CMT only on an anatomic region other than those manipulated; the diagnosis pointers are the proof a
    payer reads. Without the modifier 97140 is denied; with it on the same region it is an overpayment
    and an audit finding.

    Example: 98940 -> M99.03 (lumbar), 97140 -> M25.511 (shoulder, upper extremity):
    `SV1*HC:97140*40*UN*1***2` becomes `SV1*HC:97140:59*40*UN*1***2` for a payer wanting 59.

    Fix safety: safe only when the pointers prove a region that was not manipulated and a manipulation of
    the claim itself is on 97140's exact date; everything else is a review item.

    Source: NCCI PTP 98940-98942/97140, indicator 1 (chiro.org "Decoding Manual Therapy"; ChiroEconomics
    on the 59 modifier); "ONLY if the therapy is provided to an anatomical region different from the
    region(s) manipulated" and the diagnosis-pointer proof (healthnetworksolutions.net, manual therapy
    97140; ChiroCode Q&A 97124 vs 97140); extraspinal regions (AMA CPT Assistant Feb 1997, CMT body regions);
    the unit of edit: CMS "Medicare NCCI Procedure to Procedure (PTP) Edits" (the two codes "for the same
    beneficiary on the same date of service").
    """

    code = "NC001"
    name = "cmt-manual-therapy"
    unit_of_edit = True  # pairs by patient, provider and date, across the file's claims (rules/_claims.py)
    fix_safety = "safe"
    tables = ("ncci", "regions")
    settings = (
        Setting("cmt_codes", "codes", ["98940", "98941", "98942"],
                "the spinal manipulation codes NCCI pairs with manual therapy (column 1)"),
        Setting("extraspinal_cmt_codes", "codes", ["98943"],
                "extraspinal manipulation: the regions it manipulates count as manipulated"),
        Setting("manual_therapy", "code", "97140", "the manual-therapy code (column 2)"),
    )

    def codes(self, context: ClaimContext) -> tuple[str, tuple[str, ...]]:
        """The manual-therapy code and every manipulation code, for the claim in hand."""
        return (self.setting(context, "manual_therapy"),
                (*self.setting(context, "cmt_codes"), *self.setting(context, "extraspinal_cmt_codes")))

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        manual, manipulation = self.codes(context)
        return claim.may_bill(manual) and not unit_procedures(claim, context).isdisjoint(manipulation)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        """Each 97140 of the claim judged in its unit of edit, the finding hedged by the manipulation lines it
        rests on: a range that may not cover its date, or another claim's line, makes it a review item."""
        units = payable_units(self.packs, claim, context)
        yield from hedge_each(self._check(claim, context, units), claim, units, frozenset(self.codes(context)[1]))

    def _check(self, claim: Claim, context: ClaimContext, units: list[UnitOfEdit]) -> Iterator[Finding]:
        packs, profile = self.packs, context.profile
        manual_code, manipulation = self.codes(context)
        wanted = wanted_modifier(context, self.code)
        for unit in units:
            day, lines = unit.day, unit.lines
            for manual in (line for line in unit.home if line.procedure == manual_code):
                if "XE" in manual.modifiers:
                    continue  # a separate encounter the same day: nothing on the claim can confirm or deny it
                manipulations = [c for c in lines if c.procedure in manipulation]
                unidentified = [c for c in manipulations if same_performer(claim, c, manual) is None]
                partners = [c for c in manipulations if same_performer(claim, c, manual)]
                if unidentified:
                    who = manual if performer_key(claim, manual) is None else unidentified[0]
                    yield self._review(claim, manual, f"{manual_code} and manipulation on {day}: {line_name(who)}'s "
                                       "performer (a 2420A without an NPI) cannot be identified, so whether NCCI "
                                       "pairs the two cannot be shown; check who performed them",
                                       HNS_SOURCE)
                    continue
                if not partners:
                    continue
                pairs = [p for c in partners for p in packs.pairs_for(c.procedure, manual_code, day)
                         if p.column1 == c.procedure and p.column2 == manual_code and p.modifier_indicator == 1]
                pair = pairs[0] if pairs else None
                source = pair.citation if pair else HNS_SOURCE
                names = ", ".join(sorted({c.procedure for c in partners}))
                claimed = [m for m in manual.modifiers if m in SITE_MODIFIERS]
                cmt_regions, cmt_unknown = regions_of(packs, claim, partners)
                if cmt_unknown:
                    if pair is not None and not satisfied(manual, wanted, profile):
                        yield self._review(claim, manual, f"{manual_code} billed with manipulation {names} on {day}: "
                                           f"what was manipulated is unknown ({'; '.join(cmt_unknown)}), so a "
                                           "distinct region cannot be shown; check the documentation", source)
                    continue
                manual_regions, manual_unknown = regions_of(packs, claim, [manual])
                distinct = manual_regions - cmt_regions
                if distinct:
                    if pair is None:
                        continue  # another region and no NCCI edit between these codes: nothing to add
                    bypassed = other_pairs_bypassed(packs, claim, manual, lines, day, frozenset(manipulation))
                    if bypassed and not satisfied(manual, wanted, profile):
                        yield self._review(claim, manual, f"{manual_code} points to {article(words(distinct))} "
                                           "diagnosis, a region other than the manipulated "
                                           f"{words(cmt_regions)}, but a {wanted} would also bypass NCCI "
                                           f"{', '.join(bypassed)}, which nothing on the claim shows distinct; "
                                           "decide by hand", source)
                        continue
                    unknown = chiropractor_unknown(packs, claim, manual, context)
                    if unknown and not satisfied(manual, wanted, profile):
                        yield self._review(claim, manual, f"{manual_code} points to a region other than the "
                                           f"manipulated {words(cmt_regions)}, but it is billed {unknown}", source)
                        continue
                    finding = modifier_finding(
                        self.code, claim, manual, wanted, profile,
                        f"{manual_code} points to {article(words(distinct))} diagnosis, a region "
                        f"other than the manipulated {words(cmt_regions)} ({names}, NCCI {pair.label} indicator 1)",
                        source, Applicability.SAFE, approved=False)
                    if finding is not None:
                        yield finding
                    continue
                if not manual_regions:
                    if claimed or pair is None:
                        continue  # nothing shows the modifier wrong, and nothing would be added
                    why = (f"{manual_code} points only to {'; '.join(manual_unknown)}, whose region is unknown"
                           if manual_unknown else f"{manual_code} points to no diagnosis that names a body region")
                    yield self._review(claim, manual, f"{why} ({names} on {day}); not modified: bill it only with "
                                       "documentation of a separate region, or remove it", source)
                    continue
                regions = words(manual_regions)
                if claimed:
                    yield self._review(claim, manual, f"{manual_code} carries {', '.join(claimed)} but points only to "
                                       f"the manipulated {regions} region ({names} on {day}): manual therapy on a "
                                       "manipulated region is included in the manipulation, and auditors recoup it; "
                                       "check the documentation for a separate region, or remove the line", source)
                    continue
                yield self._review(claim, manual, f"{manual_code} points only to the manipulated region ({regions}) "
                                   f"({names} on {day}); manual therapy on a manipulated region is included in the "
                                   "manipulation; not modified: bill it only with documentation of a separate "
                                   "region, or remove it", source)

    def _review(self, claim: Claim, line: ServiceLine, message: str, source: str) -> Finding:
        return Finding(self.code, claim.claim_id, (line.number,), line.procedure, message, Severity.WARNING, None,
                       source)
