"""NC002: 97140 with 97530 on one date: the distinct modifier goes on 97530, on the practice's attestation only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from edi837.engine import Applicability, ClaimContext, Finding, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import NcciPair
from edi837.rules._claims import hedge, same_performer, unit_procedures
from edi837.rules._medicare import chiropractor_unknown, payable_units
from edi837.rules._modifiers import modifier_finding, satisfied, wanted_modifier
from edi837.rules._pairs import other_pairs_bypassed
from edi837.writer.edits import DISTINCT_MODIFIERS


class ManualTherapyTherapeuticActivities(Rule):
    """NC002 therapy-time-blocks: 97140 with 97530 on the same day: the distinct modifier on 97530 is a review item.

    What it does: on a claim with 97140 and 97530 lines on the same date of service (same performing
    provider), it offers the payer's distinct-procedure modifier on the NCCI column-2 code of the pair in the
    pack (97530) as a review fix: applied with --apply-review, or when the practice attests that it bills the
    two only for separate time blocks (`attest_separate_time_blocks = true` under [rules.NC002], off by
    default). `action = "review"` keeps it a review item even then (for one payer's profile, say);
    `modifier_on = "column1"` puts the modifier on 97140 instead. A 97530 that already carries XP (a separate
    practitioner) while the claim shows one performer for both lines is a review item. The other code billed as
    a range of dates (DTP*472 RD8) that covers the date, or on another claim of the file for the same patient,
    payer and provider that date, pairs too, but the attestation covers time blocks billed together, not a pair
    the claim cannot show: then the fix is never applied on its own and the message names the other line and
    claim.

    Why: NCCI pairs 97140 (column 1) with 97530 (column 2), indicator 1; 97530 is denied unless the two were
    done in separate time blocks and the claim says so with 59/X. CMS: "97530 should not be reported and
    modifier 59 should not be used if the two procedures are performed during the same time block", and 59
    must not bypass an edit unless its criteria are met. The 837 cannot show time blocks, so only the
    practice's own attestation (like MC001's and EM001's) lets the fix apply; a shipped default cannot attest
    for anyone.

    Example: 97530 billed beside 97140 on 2026-03-03, `SV1*HC:97530*45*UN*1***2`: review "separate time
    blocks documented?"; with the practice's attestation it becomes `SV1*HC:97530:59*45*UN*1***2`.

    Fix safety: review; applied only with --apply-review or the practice's attestation, and never on its own
    when the partner is a range or on another claim.

    Source: WebPT "How to handle modifier 59 denials for 97530 and 97140" (2023), quoting the CMS example
    ("97530 should not be reported and modifier 59 should not be used if the two procedures are performed
    during the same time block"); CMS SE0715 / MLN1783722 (59 "should NOT be used to bypass an NCCI edit
    unless the proper criteria for use of the modifier are met"); the unit of edit: CMS "Medicare NCCI Procedure
    to Procedure (PTP) Edits" (the two codes "for the same beneficiary on the same date of service").
    """

    code = "NC002"
    name = "therapy-time-blocks"
    unit_of_edit = True  # pairs by patient, provider and date, across the file's claims (rules/_claims.py)
    fix_safety = "review"
    approval = (("action", "fix"), ("attest_separate_time_blocks", True))
    tables = ("ncci",)
    settings = (
        Setting("pair", "codes", ["97140", "97530"], "the two codes of the pair", count=2),
        # The 837 cannot show that 97140 and 97530 were done in separate time blocks: only a practice that attests
        # it (its documentation shows the blocks) gets the modifier applied; "review" only reports it, attested or not.
        Setting("attest_separate_time_blocks", "bool", False,
                "true: the practice attests it bills 97140 and 97530 together only for separate time blocks, as "
                "its documentation shows (the modifier is applied)"),
        Setting("action", "choice", "fix", "fix: apply the modifier when the practice attests separate time "
                "blocks; review: only report it, attested or not", choices=("fix", "review")),
        Setting("modifier_on", "choice", "column2", "which code of the NCCI pair gets the modifier",
                choices=("column1", "column2")),
    )

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        first, second = self.setting(context, "pair")
        return unit_procedures(claim, context).issuperset((first, second)) and (
            claim.may_bill(first) or claim.may_bill(second))

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        first, second = self.setting(context, "pair")
        attested = self.setting(context, "attest_separate_time_blocks") and self.setting(context, "action") == "fix"
        placement = self.setting(context, "modifier_on")
        for unit in payable_units(self.packs, claim, context):
            day, lines = unit.day, unit.lines
            pairs = [p for p in self.packs.pairs_for(first, second, day) if p.modifier_indicator == 1]
            if not pairs:
                continue
            pair = pairs[0]
            target_code = pair.column2 if placement == "column2" else pair.column1
            other_code = pair.column1 if target_code == pair.column2 else pair.column2
            others = [line for line in lines if line.procedure == other_code]
            for target in (line for line in unit.home if line.procedure == target_code):
                wanted = wanted_modifier(context, self.code)
                source = pair.citation
                partners = [o for o in others if same_performer(claim, o, target) is not False]
                if not any(same_performer(claim, o, target) for o in others):
                    if partners:
                        yield hedge(Finding(self.code, claim.claim_id, (target.number,), target.procedure,
                                            f"{target_code} billed with {other_code} on {day}, but a performer (a "
                                            "2420A without an NPI) cannot be identified, so whether NCCI pairs them "
                                            "cannot be shown; check who performed them", Severity.WARNING, None,
                                            source), claim, target, partners)
                        continue
                    finding = self._partner_removed(claim, target, other_code, day, lines, pair)
                    if finding is not None:
                        yield finding
                    continue
                bypassed = other_pairs_bypassed(self.packs, claim, target, lines, day, frozenset((other_code,)))
                if bypassed and not satisfied(target, wanted, context.profile):
                    yield hedge(Finding(self.code, claim.claim_id, (target.number,), target.procedure,
                                        f"{target_code} billed with {other_code} on {day}: a {wanted} on {target_code} "
                                        f"would also bypass NCCI {', '.join(bypassed)}, which nothing on the claim "
                                        "shows distinct; not modified, decide by hand", Severity.WARNING, None, source),
                                claim, target, partners)
                    continue
                unknown = chiropractor_unknown(self.packs, claim, target, context)
                if unknown and not satisfied(target, wanted, context.profile):
                    yield hedge(Finding(self.code, claim.claim_id, (target.number,), target.procedure,
                                        f"{target_code} billed with {other_code} on {day}, {unknown}",
                                        Severity.WARNING, None, source), claim, target, partners)
                    continue
                where = 'column 2' if target_code == pair.column2 else 'column 1 by pack setting'
                message = (f"{target_code} billed with {other_code} on {day} (NCCI {pair.label} indicator 1, modifier "
                           f"on {where}); the modifier is valid only if the two were done in separate time blocks, "
                           + ("as the practice attests separate time blocks ([rules.NC002] "
                              "attest_separate_time_blocks)" if attested else
                              "which the 837 cannot show (are separate time blocks documented?)"))
                finding = modifier_finding(self.packs, self.code, claim, target, wanted, context.profile, message,
                                           source, Applicability.REVIEW, approved=attested, partners=others)
                if finding is not None:
                    yield hedge(finding, claim, target, partners)

    def _partner_removed(self, claim: Claim, target: ServiceLine, other_code: str, day: date | None,
                         lines: list[ServiceLine], pair: NcciPair) -> Finding | None:
        """A review item when the target keeps a 59/X modifier whose pair partner an earlier rule of this run
        removed (a 97140 under 8 minutes), and no other NCCI pair that day still explains it."""
        claimed = [m for m in target.modifiers if m in DISTINCT_MODIFIERS]
        gone = [r for r in claim.removed_lines
                if r.procedure == other_code and r.service_date == day and same_performer(claim, r, target)]
        if not claimed or not gone:
            return None
        explained = any(p.modifier_indicator == 1 for line in lines if line is not target
                        and same_performer(claim, line, target)
                        for p in self.packs.pairs_for(line.procedure, target.procedure, day))
        if explained:
            return None
        return Finding(self.code, claim.claim_id, (target.number,), target.procedure,
                       f"{target.procedure} carries {', '.join(claimed)} for the NCCI {pair.label} pair, but the "
                       f"{other_code} line beside it (line {gone[0].number}) was removed on {day}: with no pair left "
                       "the modifier asserts a distinct service nothing on the claim needs; remove it by hand",
                       Severity.WARNING, None, pair.citation)
