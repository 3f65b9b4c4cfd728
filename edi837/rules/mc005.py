"""MC005: a Medicare CMT level the claim's subluxation diagnoses cannot support (98941 with one region)."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.engine import ClaimContext, Finding, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.model.lines import Diagnosis, diagnosis_key
from edi837.packs import REGIONS, ManipulationCode
from edi837.rules._medicare import NOT_COVERED, SPINAL_CMT, is_medicare
from edi837.rules.mc004 import ICD10, MAC_DEPENDENT, SUBLUXATION
from edi837.words import plural

SOURCE = ("CPT 98940-98942 (spinal CMT, 1-2, 3-4 and 5 regions: rules/manipulation.toml); Medicare Benefit Policy "
          "Manual ch. 15 §240.1.4 ('the precise level of the subluxation must be specified by the chiropractor to "
          "substantiate a claim for manipulation of the spine'); PrimeWest Health chiropractic correct coding (98941 "
          "billed with one region's subluxation diagnosis denied as 'procedure inconsistent with diagnosis': 'at a "
          "minimum, there should be 3 regions of diagnosis codes to correspond with the 3-4 regions of the CPT "
          "code'); Horizon NJ Health chiropractic manipulation policy (records must support the number of regions "
          "billed as well as the diagnosis codes reported)")


class CmtLevelRegions(Rule):
    """MC005 medicare-cmt-level-regions: a Medicare CMT level more regions than the claim's subluxations.

    What it does: on a Medicare Part B claim, a line of spinal manipulation (98940 1-2 regions, 98941 3-4,
    98942 5: rules/manipulation.toml) is compared with the spinal regions the claim's subluxation diagnoses
    name (every HI diagnosis, not only the line's four pointers: 98942's five regions never fit in SV107; the
    subluxation codes are MC004's settings, their regions rules/regions.toml). Fewer regions than the level
    means (98941 with only M99.03) is a warning-severity review item naming the regions found and the level
    they support. A claim with no subluxation diagnosis in a spinal region at all is MC004's; a subluxation
    code the pack places in no region (M99.00 by default) is named as not counted. It changes nothing; lines
    with GY and lines a prior payer adjudicated are left alone.

    Why: Medicare pays manipulation only to treat a subluxation whose precise level is specified; the CMT
    level counts the spinal regions manipulated, so a level above the regions the claim's subluxations name
    is what contractors deny or downcode as inconsistent with the diagnosis.

    Example: `HI*ABK:M9903*ABF:M5450~` with `SV1*HC:98941:AT*55*UN*1***1:2` -> warning: "98941 means 3-4 spinal
    regions, but the claim's subluxation diagnoses name 1 (lumbar: M99.03) ... the level they support is
    98940".

    Fix safety: none; which regions were manipulated is in the treatment notes.

    Source: CPT 98940-98942 descriptors; Medicare Benefit Policy Manual ch. 15 §240.1.4; PrimeWest Health
    chiropractic correct coding (98941 with one region's subluxation diagnosis denied); Horizon NJ Health
    chiropractic manipulation policy.
    """

    code = "MC005"
    name = "medicare-cmt-level-regions"
    tables = ("manipulation", "regions")
    settings = (Setting("cmt_codes", "codes", list(SPINAL_CMT), "spinal manipulation, whose level counts regions"),)

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return not claim.procedures.isdisjoint(self.setting(context, "cmt_codes")) and is_medicare(context)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        codes = self.setting(context, "cmt_codes")
        subluxations = {diagnosis_key(c) for c in context.setting("MC004", "subluxation_codes", SUBLUXATION)}
        subluxations |= {diagnosis_key(c) for c in context.setting("MC004", "mac_dependent_codes", MAC_DEPENDENT)}
        named = [d for d in claim.diagnoses
                 if d.qualifier in ICD10 and diagnosis_key(d.code or d.undotted) in subluxations]
        if not named:
            return  # no subluxation on the claim at all: MC004 says so
        for line in claim.lines:
            kind = self.packs.manipulation.get(line.procedure)
            if (line.procedure not in codes or kind is None or NOT_COVERED in line.modifiers
                    or claim.is_history(line)):
                continue
            regions, unplaced = self._regions(named, kind)
            if not regions or len(regions) >= kind.least:
                continue  # none placed in a region of its kind (M99.00 alone): MC004 says what to check
            found = ", ".join(f"{region.replace('_', ' ')}: {code}" for region, code in regions.items())
            supports = [c.code for c in self.packs.manipulation.values()
                        if c.family == kind.family and c.least <= len(regions) <= c.most]
            level = f"the level they support is {supports[0]}" if supports else "they support no level"
            left = (f"; not counted: {', '.join(unplaced)} (the pack places no region for it)" if unplaced else "")
            yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                          f"{line.procedure} means {kind.count_words} {kind.kind} regions, but the claim's "
                          f"subluxation diagnoses name {plural(len(regions), 'region')}"
                          f"{f' ({found})' if found else ''}{left}: Medicare pays the level the documented "
                          "subluxations support; list the subluxation of each region manipulated (HI holds 12 "
                          f"diagnoses), or bill the lower level ({level})", Severity.WARNING, None, SOURCE)

    def _regions(self, named: list[Diagnosis], kind: ManipulationCode) -> tuple[dict[str, str], list[str]]:
        """The regions of the code's kind the subluxation diagnoses name (region -> the first code naming it),
        and the subluxation codes the pack places in no region."""
        regions: dict[str, str] = {}
        unplaced: list[str] = []
        for diagnosis in named:
            code = diagnosis.code or diagnosis.undotted
            shown = Diagnosis(diagnosis.qualifier, code).dotted
            region, known = self.packs.region_of(code)
            if not known or region is None:
                unplaced.append(shown)
            elif region in kind.regions:
                regions.setdefault(region, shown)
        return {r: regions[r] for r in REGIONS if r in regions}, unplaced  # head to foot, as the spine runs
