"""MC004: Medicare pays spinal manipulation only when the line's primary diagnosis is a subluxation."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.engine import ClaimContext, Finding, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.model.lines import Diagnosis, ServiceLine
from edi837.rules._medicare import NOT_COVERED, SPINAL_CMT, is_medicare

# Medicare pays spinal CMT only to treat a subluxation, read from the line's primary diagnosis (SV107-1)
# (Medicare Benefit Policy Manual ch. 15 §240.1.2-240.1.4). Primary codes every MAC lists: NGS's LCD from
# 2015-10-01 names Group 1 as M99.01-M99.05 (Illinois Chiropractic Society, ilchiro.org "NGS changes
# chiropractic LCD"); Noridian (article A57913) also takes M99.00 and M99.10-M99.15 (hjrosscompany.com,
# "Noridian Medicare denials"), while another billing service reads M99.1x as not listed by Medicare
# (outsourcestrategies.com): those are MAC-dependent, a warning to check the MAC's own article. M99.00 is the
# "head region": occiput-C1 is spinal for Medicare (the LCDs' location of subluxation lists the occiput under
# the neck), the TMJ is not, and the code does not say which. The LCD tables themselves were not read here.
SUBLUXATION = ["M99.01", "M99.02", "M99.03", "M99.04", "M99.05"]
MAC_DEPENDENT = ["M99.00", "M99.10", "M99.11", "M99.12", "M99.13", "M99.14", "M99.15"]
ICD10 = ("ABK", "ABF")  # HI qualifiers of ICD-10-CM codes (BK/BF are ICD-9-CM: this rule cannot judge them)
SOURCE = ("Medicare Benefit Policy Manual (Pub 100-02) ch. 15 §240.1.2-240.1.4 (CMT is covered only to treat a "
          "subluxation, whose level must be specified); MAC chiropractic LCDs: 'the primary diagnosis must be "
          "subluxation' (NGS LCD effective 2015-10-01, Group 1 M99.01-M99.05, per the Illinois Chiropractic Society, "
          "ilchiro.org); Noridian: primary subluxation M99.00-M99.05 or M99.10-M99.15 (hjrosscompany.com on article "
          "A57913); 'the precise level of subluxation must be listed as the primary diagnosis' (MAC LCDs, quoted at "
          "medicarebillingandcoding.blogspot.com)")


def _key(code: str) -> str:
    return code.replace(".", "").upper()


class CmtSubluxationPrimary(Rule):
    """MC004 medicare-cmt-subluxation: spinal CMT on Medicare whose primary diagnosis is not a subluxation.

    What it does: on a Medicare Part B claim (the payer profile that MC001-MC003 read), a line of spinal
    manipulation (98940-98942) whose first diagnosis pointer (SV107-1, the line's primary diagnosis) does not
    name a subluxation code is an error-severity review item: Medicare denies it. It says where a subluxation
    is if the line points to one further down (point to it first), and that none is there otherwise. The
    codes every MAC lists (M99.01-M99.05) are accepted; codes only some MACs list (M99.00 head region, whose
    occiput-C1 reading is spinal and whose TMJ reading is not; M99.10-M99.15 subluxation complex) and a
    primary that cannot be read (no SV107, a pointer past the last diagnosis, an HI entry that cannot be
    read) are warning-severity review items saying what to check. It changes nothing; a line with GY
    (billed for a denial), a line a prior payer adjudicated and ICD-9-CM diagnoses are left alone.

    Why: Medicare covers a chiropractor's manual manipulation of the spine only to correct a subluxation, and
    the MACs read the line's primary diagnosis for it; without one the line is denied. Which diagnosis is the
    primary one, and whether a subluxation was documented, are coding facts a person decides.

    Example: `HI*ABK:M545~` with `SV1*HC:98940:AT*45*UN*1***1` on a Medicare claim -> error: "98940's primary
    diagnosis M54.5 is not a subluxation ... Medicare denies it".

    Fix safety: none; the person corrects the pointers or the diagnoses. `--hold review` holds the claim.

    Source: Medicare Benefit Policy Manual ch. 15 §240.1.2-240.1.4; the MACs' chiropractic LCDs and articles
    (NGS Group 1 M99.01-M99.05 from 2015-10-01; Noridian A57913 also M99.00, M99.10-M99.15).
    """

    code = "MC004"
    name = "medicare-cmt-subluxation"
    settings = (
        Setting("cmt_codes", "codes", list(SPINAL_CMT), "spinal manipulation, paid only for a subluxation"),
        Setting("subluxation_codes", "diagnoses", SUBLUXATION,
                "primary diagnoses every MAC accepts for spinal CMT (ICD-10-CM)"),
        Setting("mac_dependent_codes", "diagnoses", MAC_DEPENDENT,
                "primary diagnoses only some MACs accept: a warning to check the MAC's article"),
    )

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return not claim.procedures.isdisjoint(self.setting(context, "cmt_codes")) and is_medicare(context)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        codes = self.setting(context, "cmt_codes")
        accepted = {_key(c) for c in self.setting(context, "subluxation_codes")}
        depends = {_key(c) for c in self.setting(context, "mac_dependent_codes")}
        for line in claim.lines:
            if line.procedure not in codes or NOT_COVERED in line.modifiers or claim.is_history(line):
                continue
            primary, why = self._primary(claim, line)
            if primary is None:
                yield self._finding(claim, line, f"{line.procedure}'s primary diagnosis cannot be read ({why}): "
                                    "Medicare pays spinal manipulation only with a subluxation as the primary "
                                    "diagnosis; check SV107 and the HI diagnoses", Severity.WARNING)
                continue
            if primary.qualifier not in ICD10 or _key(primary.code) in accepted:
                continue
            if _key(primary.code) in depends:
                yield self._finding(claim, line, f"{line.procedure}'s primary diagnosis {primary.dotted} is a "
                                    "subluxation code only some Medicare contractors accept as primary: check "
                                    "your MAC's chiropractic article, or point first to the subluxation level "
                                    f"({', '.join(sorted(self.setting(context, 'subluxation_codes')))})",
                                    Severity.WARNING)
                continue
            further = [(n, d) for n, d in enumerate(claim.diagnoses_for(line)[1:], 2) if _key(d.code) in accepted]
            where = (f"its pointer {further[0][0]} names the subluxation {further[0][1].dotted}: point to it first "
                     "(SV107-1)" if further else
                     "none of its pointers names a subluxation: add the documented subluxation level as the "
                     "primary diagnosis, or do not bill the manipulation to Medicare")
            yield self._finding(claim, line, f"{line.procedure}'s primary diagnosis {primary.dotted} is not a "
                                f"subluxation, so Medicare denies it; {where}", Severity.ERROR)

    @staticmethod
    def _primary(claim: Claim, line: ServiceLine) -> tuple[Diagnosis | None, str]:
        """The diagnosis SV107-1 names, or None and why it cannot be read (later pointers do not matter)."""
        if line.pointer_problem or not line.pointers:
            return None, line.pointer_problem or "SV107 has no diagnosis pointer"
        first, diagnoses = line.pointers[0], claim.diagnoses
        if first > len(diagnoses):
            return None, f"SV107-1 points to diagnosis {first}, but the claim has {len(diagnoses)}"
        if not diagnoses[first - 1].code:
            return None, "SV107-1 points to an HI entry that cannot be read"
        return diagnoses[first - 1], ""

    def _finding(self, claim: Claim, line: ServiceLine, message: str, severity: Severity) -> Finding:
        return Finding(self.code, claim.claim_id, (line.number,), line.procedure, message, severity, None, SOURCE)
