"""MC004: Medicare pays spinal manipulation only when the line's primary diagnosis is a subluxation."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.engine import ClaimContext, Finding, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.model.lines import Diagnosis, ServiceLine, diagnosis_key
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
FIRST_SOURCE = ("Stedi claim edit 'Invalid primary diagnosis on Medicare chiropractic claims' (stedi.com changelog, "
                "2025-12-03): a Medicare Part B claim with 98940-98942 whose primary diagnosis, 'the first diagnosis "
                "code in HI of Loop 2300', is outside M99.00-M99.05 is rejected; H.J. Ross on CMS-1500 item 24E for "
                "Medicare spinal CMT: the pointer 'will always be \"A\" as it corresponds to the primary diagnosis "
                "of subluxation' (item 21 A is 837P HI01)")


class CmtSubluxationPrimary(Rule):
    """MC004 medicare-cmt-subluxation: spinal CMT on Medicare whose primary diagnosis is not a subluxation.

    What it does: on a Medicare Part B claim (the payer profile that MC001-MC003 read), a line of spinal
    manipulation (98940-98942) whose first diagnosis pointer (SV107-1, the line's primary diagnosis) does not
    name a subluxation code is an error-severity review item: Medicare denies it. It says where a subluxation
    is if the line points to one further down (point to it first), and that none is there otherwise. The
    codes every MAC lists (M99.01-M99.05) are accepted; codes only some MACs list (M99.00 head region, whose
    occiput-C1 reading is spinal and whose TMJ reading is not; M99.10-M99.15 subluxation complex) and a
    primary that cannot be read (no SV107, a pointer past the last diagnosis, an HI entry that cannot be
    read, with why it cannot: a decimal point, no code) are warning-severity review items saying what to
    check. The claim's first diagnosis (HI01) is read too: when it is not a subluxation code (M99.00-M99.05,
    M99.10-M99.15), the line's message says to list the subluxation first in HI as well, and a line whose own
    first pointer names a subluxation gets a warning-severity review item saying so ("list the subluxation
    first in HI"): one record per line, never two. It changes nothing; a line with GY (billed for a denial),
    a line a prior payer adjudicated and ICD-9-CM diagnoses are left alone.

    Why: Medicare covers a chiropractor's manual manipulation of the spine only to correct a subluxation, and
    the MACs read the primary diagnosis for it; without one the line is denied. Which diagnosis is primary is
    read two ways: the line's first pointer (SV107-1, as this rule always did) and the claim's first-listed
    diagnosis (HI01), which a clearinghouse's Medicare chiropractic edit rejects when it is not a subluxation.
    Pointing a line first to a subluxation lower in HI satisfies the first but not the second. Which diagnosis
    is primary, and whether a subluxation was documented, are coding facts a person decides.

    Example: `HI*ABK:M545~` with `SV1*HC:98940:AT*45*UN*1***1` on a Medicare claim -> error: "98940's primary
    diagnosis M54.5 is not a subluxation ... Medicare denies it"; `HI*ABK:M5450*ABF:M9903~` with 98940 -> 2:1
    -> warning: "the claim's first diagnosis (HI01) is M54.50, not a subluxation ... list the subluxation
    first in HI".

    Fix safety: none; the person corrects the pointers or the diagnoses. `--hold review` holds the claim.

    Source: Medicare Benefit Policy Manual ch. 15 §240.1.2-240.1.4; the MACs' chiropractic LCDs and articles
    (NGS Group 1 M99.01-M99.05 from 2015-10-01; Noridian A57913 also M99.00, M99.10-M99.15); HI01: Stedi's claim
    edit "Invalid primary diagnosis on Medicare chiropractic claims" (2025-12-03: the first diagnosis in 2300 HI
    must be M99.00-M99.05).
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
        accepted = {diagnosis_key(c) for c in self.setting(context, "subluxation_codes")}
        depends = {diagnosis_key(c) for c in self.setting(context, "mac_dependent_codes")}
        lines = [x for x in claim.lines
                 if x.procedure in codes and NOT_COVERED not in x.modifiers and not claim.is_history(x)]
        first = self._first_listed(claim, accepted | depends) if lines else ""
        ahead = (f"; and the claim's first diagnosis (HI01) is {first}, not a subluxation: list the subluxation "
                 "first in HI and renumber the pointers") if first else ""
        quiet = []
        for line in lines:
            found = self._line_finding(claim, context, line, accepted, depends)
            if found is None:
                quiet.append(line)
            else:
                message, severity = found
                yield self._finding(claim, (line,), message + ahead, severity, SOURCE)
        if first and quiet:
            names = " and ".join(f"{x.procedure} (line {x.number})" for x in quiet)
            verb = "points" if len(quiet) == 1 else "point"
            yield self._finding(claim, tuple(quiet), f"the claim's first diagnosis (HI01) is {first}, not a "
                                f"subluxation, though {names} {verb} first to one: list the subluxation first in "
                                "HI and renumber the pointers; a clearinghouse's Medicare edit rejects the claim "
                                "when the first HI diagnosis is not M99.00-M99.05 (whether each Medicare contractor "
                                "reads HI01 or the line's first pointer was not confirmed)", Severity.WARNING,
                                f"{FIRST_SOURCE}; {SOURCE}")

    def _line_finding(self, claim: Claim, context: ClaimContext, line: ServiceLine, accepted: set[str],
                      depends: set[str]) -> tuple[str, Severity] | None:
        """What the line's primary diagnosis (SV107-1) says: a message and its severity, or None when it is a
        subluxation every MAC accepts (or an ICD-9-CM code this rule cannot judge)."""
        primary, why = self._primary(claim, line)
        if primary is None:
            return (f"{line.procedure}'s primary diagnosis cannot be read: {why}; Medicare pays spinal manipulation "
                    "only with a subluxation as the primary diagnosis: check SV107 and the HI diagnoses",
                    Severity.WARNING)
        if primary.qualifier not in ICD10 or diagnosis_key(primary.code) in accepted:
            return None
        if diagnosis_key(primary.code) in depends:
            return (f"{line.procedure}'s primary diagnosis {primary.dotted} is a subluxation code only some Medicare "
                    "contractors accept as primary: check your MAC's chiropractic article, or point first to the "
                    f"subluxation level ({', '.join(sorted(self.setting(context, 'subluxation_codes')))})",
                    Severity.WARNING)
        further = [(n, d) for n, d in enumerate(claim.diagnoses_for(line)[1:], 2) if diagnosis_key(d.code) in accepted]
        where = (f"its pointer {further[0][0]} names the subluxation {further[0][1].dotted}: point to it first "
                 "(SV107-1)" if further else
                 "none of its pointers names a subluxation: add the documented subluxation level as the "
                 "primary diagnosis, or do not bill the manipulation to Medicare")
        return (f"{line.procedure}'s primary diagnosis {primary.dotted} is not a subluxation, so Medicare denies it; "
                f"{where}", Severity.ERROR)

    @staticmethod
    def _first_listed(claim: Claim, subluxations: set[str]) -> str:
        """How a message names the claim's first diagnosis (HI01) when it is not a subluxation code, else ""
        (an ICD-9-CM first diagnosis, or none, is not this rule's to judge)."""
        if not claim.diagnoses:
            return ""
        first = claim.diagnoses[0]
        code = first.code or first.undotted  # M99.03 written with its point is still a subluxation (DX001 says)
        if not code or first.qualifier not in ICD10 or diagnosis_key(code) in subluxations:
            return ""
        return Diagnosis(first.qualifier, code).dotted

    @staticmethod
    def _primary(claim: Claim, line: ServiceLine) -> tuple[Diagnosis | None, str]:
        """The diagnosis SV107-1 names, or None and why it cannot be read (later pointers do not matter)."""
        if line.pointer_problem or not line.pointers:
            return None, line.pointer_problem or "SV107 has no diagnosis pointer"
        first, diagnoses = line.pointers[0], claim.diagnoses
        if first > len(diagnoses):
            return None, f"SV107-1 points to diagnosis {first}, but the claim has {len(diagnoses)}"
        if not diagnoses[first - 1].code:
            return None, (f"SV107-1 points to diagnosis {first}, an HI entry that cannot be read "
                          f"({diagnoses[first - 1].problem})")
        return diagnoses[first - 1], ""

    def _finding(self, claim: Claim, lines: tuple[ServiceLine, ...], message: str, severity: Severity,
                 source: str) -> Finding:
        return Finding(self.code, claim.claim_id, tuple(x.number for x in lines), lines[0].procedure, message,
                       severity, None, source)
