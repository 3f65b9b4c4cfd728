"""MC006: Medicare spinal manipulation needs the initial treatment date (2300 DTP*454), or the MAC returns it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from edi837.engine import ClaimContext, Finding, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.model.fields import date8, field
from edi837.rules._medicare import SPINAL_CMT, is_medicare
from edi837.x12.envelope import WHITESPACE

SOURCE = ("Noridian JF 'Chiropractic Services - Initial Treatment Date' (CO-16 with MA122 'Missing/incomplete/"
          "invalid initial treatment date': 'required on all chiropractic claims involving spinal manipulation', "
          "'submitted in Loop 2300 ... in a DTP segment in format CCYYMMDD ... qualifier must be submitted as 454'); "
          "Stedi claim edit 'Missing initial treatment date for Medicare chiropractic claims' (2025-12-02: "
          "98940-98942 to Medicare Part B without 2300 DTP*454 is rejected); 005010X222A1 2300 DTP*454: 'Required "
          "when the Initial Treatment Date is known to impact adjudication for claims involving spinal "
          "manipulation ...'")


class CmtInitialTreatmentDate(Rule):
    """MC006 medicare-cmt-initial-treatment-date: Medicare spinal CMT without the initial treatment date.

    What it does: on a Medicare Part B claim with spinal manipulation (98940-98942), it looks for the claim's
    initial treatment date (2300 DTP*454, D8 CCYYMMDD: the first day of the current course of chiropractic
    treatment). None, one that is not a D8 date, or one later than the manipulation's date of service is an
    error-severity review item on the manipulation lines (one record per claim). It changes nothing: the date
    is in the patient's record, not on the claim.

    Why: the Medicare contractors return a chiropractic claim without it as unprocessable (CO-16 with remark
    MA122), and a clearinghouse's edit rejects it before it gets there; the 837P makes DTP*454 situational
    ("required when ... known to impact adjudication for claims involving spinal manipulation"), so practice
    systems often leave it out unless the field was filled in.

    Example: a Medicare claim with `SV1*HC:98940:AT*45*UN*1***1` and no `DTP*454` -> error: "the claim bills
    spinal manipulation (98940, line 1) to Medicare without an initial treatment date (2300 DTP*454)".

    Fix safety: none; the date is a clinical fact the claim does not carry.

    Source: Noridian JF chiropractic services, initial treatment date (CO-16/MA122); Stedi claim edit "Missing
    initial treatment date for Medicare chiropractic claims" (2025-12-02); 005010X222A1 2300 DTP*454 situational
    rule.
    """

    code = "MC006"
    name = "medicare-cmt-initial-treatment-date"
    settings = (Setting("cmt_codes", "codes", list(SPINAL_CMT), "spinal manipulation, which needs the date"),)

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return not claim.procedures.isdisjoint(self.setting(context, "cmt_codes")) and is_medicare(context)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        codes = self.setting(context, "cmt_codes")
        lines = [x for x in claim.lines if x.procedure in codes]
        if not lines:
            return
        what = ", ".join(f"{x.procedure} on line {x.number}" for x in lines)
        found, problem = initial_treatment(claim)
        if found is None:
            message = (f"the claim bills spinal manipulation ({what}) to Medicare {problem}: Medicare contractors "
                       "return such a claim as unprocessable (CO-16, MA122 'missing/incomplete/invalid initial "
                       "treatment date'); add the date the current course of treatment began "
                       "(DTP*454*D8*CCYYMMDD, loop 2300)")
        else:
            late = [x for x in lines if x.service_date is not None and x.service_date < found]
            if not late:
                return
            message = (f"the claim's initial treatment date (2300 DTP*454) is {found}, after the date of service "
                       f"{late[0].service_date} of {late[0].procedure} (line {late[0].number}): the course of "
                       "treatment cannot begin after a manipulation it includes (MA122 'invalid initial treatment "
                       "date'); check the date")
        yield Finding(self.code, claim.claim_id, tuple(x.number for x in lines), lines[0].procedure, message,
                      Severity.ERROR, None, SOURCE)


def initial_treatment(claim: Claim) -> tuple[date | None, str]:
    """The claim's 2300 DTP*454 date, or None and how the claim lacks it (said after "to Medicare ...")."""
    ele = claim.delimiters.element
    for piece in claim.pieces[1:]:
        body = piece.lstrip(WHITESPACE)
        fields = body.split(ele)
        if fields[0] == b"LX":
            break  # 2400 starts: 2300 is over (2320/2330 carry no DTP*454)
        if fields[0] != b"DTP" or field(fields, 1) != "454":
            continue
        day = date8(fields[3]) if len(fields) > 3 and field(fields, 2) == "D8" else None
        if day is None:
            return None, "with an initial treatment date (2300 DTP*454) that is not a D8 date (CCYYMMDD)"
        return day, ""
    return None, "without an initial treatment date (2300 DTP*454)"
