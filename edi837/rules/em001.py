"""EM001: an office visit billed the same day as manipulation (CMT or OMT) needs modifier 25."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.engine import Applicability, ClaimContext, Finding, Fix, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.rules._claims import UnitOfEdit, hedge_each, same_performer, unit_procedures, units_of_edit
from edi837.rules._medicare import SPINAL_CMT, chiropractor_unknown, not_payable
from edi837.writer.edits import DISTINCT_MODIFIERS, MAX_MODIFIERS, AppendModifier

# 99201-99215, office or other outpatient visits (99201 was deleted from 2021-01-01, but claims for earlier dates
# of service still carry it)
EVALUATION = [f"992{n:02d}" for n in range(1, 16)]
OMT = [f"9892{n}" for n in range(5, 10)]
SOURCE = ("CPT guidelines: CMT and OMT include a pre-manipulation assessment; a separate E/M is reported with modifier "
          "25 for a significant, separately identifiable service (AAPC on E/M with CMT; Independence Blue Cross "
          "provider communication; CPT OMT introductory language per the AOA; Palmetto GBA OMT reminders; CMS MCD "
          "article A56954: E/M codes are NCCI column 2 to OMT 98925-98929); 59 and X modifiers are never used on "
          "E/M codes")


class EvaluationWithManipulation(Rule):
    """EM001 em-with-manipulation: an office visit (E/M) billed the same day as CMT or OMT without 25.

    What it does: on any payer's claim, an E/M line (99201-99215) on a date that also has chiropractic
    manipulation (98940-98943) or osteopathic manipulation (98925-98929) by the same performing provider,
    without modifier 25, is a review item. A practice that attests its visits beside manipulation are separately
    identifiable can set `attest_separate_service = true`, making 25 an approved fix. An E/M carrying 59 or an X
    modifier, with or without 25, is a review item (E/M takes 25, never 59/X). A line Medicare never pays a
    chiropractor for (MC002's GY lines) is left to MC002; on Medicare, a visit whose performer the claim does
    not name (no taxonomy, a group's) is a review item without a fix, since from a chiropractor it would be
    excluded (GY), not a 25. Manipulation billed as a range of dates covering the visit's date, or on another
    claim of the file for the same patient, payer and provider that date, counts too; the claim does not
    prove it, so the message names that line and claim and the attestation does not apply 25 on its own.

    Why: CMT and OMT include a pre-manipulation assessment; a separate visit is paid only with 25 (for OMT, NCCI
    makes the E/M a column-2 code of 98925-98929), and 25 asserts a significant, separately identifiable service
    that only the visit note shows.

    Example: `SV1*HC:99213*95*UN*1***1` beside `SV1*HC:98940*45*UN*1***1` on one date -> review; with the
    pack's attestation it becomes `SV1*HC:99213:25*95*UN*1***1`.

    Fix safety: review; applied only when the pack attests separately identifiable visits.

    Source: CPT E/M guidelines (modifier 25); AAPC on E/M with CMT; Independence Blue Cross provider
    communication on E/M with CMT; CPT OMT introductory language (osteopathic.org, AOA), Palmetto GBA OMT
    reminders and CMS MCD billing article A56954 (E/M beside OMT 98925-98929 with 25); HMSA and CHIROECO on
    59/X never on E/M.
    """

    code = "EM001"
    name = "em-with-manipulation"
    unit_of_edit = True  # pairs by patient, provider and date, across the file's claims (rules/_claims.py)
    fix_safety = "review"
    approval = (("attest_separate_service", True),)
    settings = (
        Setting("evaluation_codes", "codes", EVALUATION, "the office-visit codes"),
        Setting("cmt_codes", "codes", [*SPINAL_CMT, "98943"],
                "the chiropractic manipulation codes a visit may be billed beside"),
        Setting("omt_codes", "codes", OMT, "the osteopathic manipulation codes a visit may be billed beside"),
        Setting("attest_separate_service", "bool", False,
                "true: the practice attests its visits beside manipulation are separately identifiable (25 "
                "is appended)"),
    )

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        if claim.procedures.isdisjoint(self.setting(context, "evaluation_codes")):
            return False  # one set test per list, not a may_bill call per code
        billed = unit_procedures(claim, context)  # the manipulation may be on another claim of the file
        return (not billed.isdisjoint(self.setting(context, "cmt_codes"))
                or not billed.isdisjoint(self.setting(context, "omt_codes")))

    def _manipulation(self, context: ClaimContext) -> frozenset[str]:
        """Every manipulation code a visit may be billed beside: CMT and OMT, for the claim in hand."""
        return frozenset((*self.setting(context, "cmt_codes"), *self.setting(context, "omt_codes")))

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        """Each visit judged in its unit of edit; a finding resting on manipulation billed as a range, or on
        another claim, is a review item that says so (rules/_claims.py: hedge)."""
        units = units_of_edit(claim, context)
        yield from hedge_each(self._check(claim, context, units), claim, units, self._manipulation(context))

    def _check(self, claim: Claim, context: ClaimContext, units: list[UnitOfEdit]) -> Iterator[Finding]:
        visits, cmt = self.setting(context, "evaluation_codes"), self._manipulation(context)
        attest = self.setting(context, "attest_separate_service")
        for unit in units:
            day, lines = unit.day, unit.lines
            manipulations = [x for x in lines if x.procedure in cmt]
            for visit in (x for x in unit.home if x.procedure in visits):
                if not_payable(self.packs, claim, visit, context):
                    continue
                beside = sorted({m.procedure for m in manipulations if same_performer(claim, m, visit)})
                if not beside:
                    continue
                billed = f"{visit.procedure} billed with manipulation ({', '.join(beside)}) on {day}"
                wrong = [m for m in visit.modifiers if m in DISTINCT_MODIFIERS]
                if "25" in visit.modifiers:
                    if wrong:
                        yield Finding(self.code, claim.claim_id, (visit.number,), visit.procedure,
                                      f"{billed} carries 25 and {', '.join(wrong)}: "
                                      "an E/M takes 25, never 59/X; a person removes the wrong one",
                                      Severity.WARNING, None, SOURCE)
                    continue
                what = f"{billed} without modifier 25"
                unknown = chiropractor_unknown(self.packs, claim, visit, context)
                if wrong or unknown or len(visit.modifiers) >= MAX_MODIFIERS:
                    why = (f"it carries {', '.join(wrong)}, which an E/M never takes (25 is its modifier)" if wrong
                           else unknown or "SV101 already holds four modifiers")
                    yield Finding(self.code, claim.claim_id, (visit.number,), visit.procedure,
                                  f"{what}: {why}; a person decides", Severity.WARNING, None, SOURCE)
                    continue
                fix = Fix((AppendModifier(visit.number, "25"),), Applicability.REVIEW, approved=attest)
                yield Finding(self.code, claim.claim_id, (visit.number,), visit.procedure,
                              f"{what}: 25 only if the visit was significant and separately identifiable, as its "
                              "note must show: append 25", Severity.WARNING, fix, SOURCE)
