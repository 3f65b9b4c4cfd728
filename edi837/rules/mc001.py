"""MC001: chiropractic manipulation billed to Medicare needs AT (active treatment), or GA/GZ (maintenance)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from edi837.engine import Applicability, ClaimContext, Finding, Fix, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.rules._medicare import SPINAL_CMT, is_medicare
from edi837.writer.edits import MAX_MODIFIERS, AppendModifier

AT_FROM = date(2004, 10, 1)  # AT was introduced for dates of service from 2004-10-01
AT_GA_REJECTED_FROM = date(2015, 11, 1)  # AT with GA on one line rejects from this date of service
SOURCE = ("CMS (AT2004) and Noridian chiropractic claim submission: AT on 98940-98942 for active/corrective "
          "treatment since DOS 2004-10-01, GA with an ABN or GZ without one for maintenance; Palmetto: AT and GA on "
          "one line reject (DOS from 2015-11-01); NGS: CMT without a modifier is denied as not medically necessary")


class CmtActiveTreatment(Rule):
    """MC001 medicare-cmt-active-treatment: CMT on Medicare without AT, GA or GZ, or with AT beside GA.

    What it does: on a Medicare Part B claim, a line of spinal manipulation (98940-98942) that carries
    none of AT, GA and GZ is a review item: active treatment needs AT; maintenance needs GA with an ABN on
    file, or GZ without one. Modifiers that contradict each other are a review item with no fix: AT with
    GZ, GA with GZ, GY on a manipulation line, and AT with GA for dates of service from 2015-11-01. Lines
    dated before 2004-10-01 (before AT existed) are left alone. A practice that attests all its CMT is
    active treatment can set `attest_active_treatment = true`, making AT an approved fix.

    Why: Medicare pays CMT only as active/corrective treatment of a subluxation; without AT it is processed
    as maintenance and denied, and AT with GA on one line rejects. Whether a visit was active treatment
    or maintenance, and whether an ABN was signed, is in the record, not in the 837.

    Example: `SV1*HC:98941*60*UN*1***1` on a Medicare claim -> review: "active treatment needs AT;
    maintenance needs GA with an ABN or GZ".

    Fix safety: review; applied only when the pack attests active treatment (`attest_active_treatment`).

    Source: CMS AT modifier instructions (2004); Noridian JF chiropractic claim submission requirements;
    Palmetto GBA chiropractic AT/GA; NGS chiropractic services.
    """

    code = "MC001"
    name = "medicare-cmt-active-treatment"
    fix_safety = "review"
    approval = (("attest_active_treatment", True),)
    settings = (
        Setting("cmt_codes", "codes", list(SPINAL_CMT), "the manipulation codes that need AT, GA or GZ"),
        Setting("attest_active_treatment", "bool", False,
                "true: the practice attests its CMT is active treatment, so AT is appended (approved fix)"),
    )

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return not claim.procedures.isdisjoint(self.setting(context, "cmt_codes")) and is_medicare(context)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        codes = self.setting(context, "cmt_codes")
        attest = self.setting(context, "attest_active_treatment")
        for line in claim.lines:
            if line.procedure not in codes or (line.service_date is not None and line.service_date < AT_FROM):
                continue
            clash = self._contradiction(line.procedure, set(line.modifiers), line.service_date)
            if clash:
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure, clash, Severity.WARNING,
                              None, SOURCE)
                continue
            if set(line.modifiers) & {"AT", "GA", "GZ"}:
                continue
            message = (f"{line.procedure} billed to Medicare without AT, GA or GZ will be denied as maintenance: "
                       "active treatment needs AT; maintenance needs GA with an ABN on file, or GZ without one")
            if len(line.modifiers) >= MAX_MODIFIERS:
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                              f"{message}; SV101 already holds four modifiers", Severity.WARNING, None, SOURCE)
                continue
            fix = Fix((AppendModifier(line.number, "AT"),), Applicability.REVIEW, approved=attest)
            yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                          f"{message}: append AT" + (" (the practice attests active treatment)" if attest else ""),
                          Severity.WARNING, fix, SOURCE)

    @staticmethod
    def _contradiction(procedure: str, mods: set[str], day: date | None) -> str:
        """Why the line's own modifiers contradict each other, or "" when they do not."""
        if "GY" in mods:
            return (f"{procedure} carries GY (statutorily excluded), but spinal manipulation is what Medicare covers "
                    "from a chiropractor: GY is for another performer or service; a person decides")
        if {"AT", "GZ"} <= mods:
            return (f"{procedure} carries AT and GZ: active treatment and an expected maintenance denial without an "
                    "ABN cannot both be true; keep the one the record supports")
        if {"GA", "GZ"} <= mods:
            return (f"{procedure} carries GA and GZ: an ABN is either on file (GA) or not (GZ); keep the one the "
                    "record supports")
        if {"AT", "GA"} <= mods and (day is None or day >= AT_GA_REJECTED_FROM):
            return (f"{procedure} carries both AT and GA: Medicare rejects the two on one line for dates from "
                    "2015-11-01; keep the one the record supports")
        return ""
