"""Who is who on a Medicare Part B claim: the payer, the performing provider's specialty, what is covered.

The payer is Medicare Part B when the claim's payer profile says so (`medicare_part_b = true`, the shipped
profile matched by SBR09 = MB). The specialty comes from the performing provider's taxonomy (see
`Claim.performer_taxonomy`) through the pack's taxonomy table; no taxonomy, no specialty: the specialty
rules do not guess. From a chiropractor Medicare covers only manual manipulation of the spine
(98940-98942): everything else is statutorily excluded and is billed, if at all, with GY.
"""

from __future__ import annotations

from edi837.engine import ClaimContext
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import RulePacks
from edi837.rules._claims import UnitOfEdit, units_of_edit

SPINAL_CMT = ("98940", "98941", "98942")
NOT_COVERED = "GY"  # item or service statutorily excluded
THERAPISTS = {"physical_therapist": "GP", "physical_therapist_assistant": "GP", "occupational_therapist": "GO",
              "occupational_therapist_assistant": "GO", "speech_language_pathologist": "GN"}
DISCIPLINE_MODIFIERS = ("GP", "GO", "GN")
NOTE_NO_TAXONOMY = "medicare-claim-without-taxonomy"
CHIRO_SOURCE = ("42 CFR 410.21(b) and Medicare Benefit Policy Manual ch. 15 §240.1.1 (from a chiropractor only "
                "manual manipulation of the spine is covered); NGS and Palmetto chiropractic billing: GY on "
                "non-covered services, with GP on therapy codes")


def is_medicare(context: ClaimContext) -> bool:
    profile = context.profile
    return profile is not None and profile.medicare_part_b


def specialty(packs: RulePacks, claim: Claim, line: ServiceLine) -> str:
    """The performing provider's specialty, or "" when the claim does not say who performed the line: no
    taxonomy, one the pack does not know, or a group's (which names no person)."""
    taxonomy = claim.performer_taxonomy(line)
    kind = packs.specialty_of(taxonomy) if taxonomy else ""
    return "" if kind == "group" else kind


def covered_from_chiropractor(context: ClaimContext) -> tuple[str, ...]:
    """What Medicare covers from a chiropractor (MC002's setting, read for this claim)."""
    return tuple(context.setting("MC002", "covered_codes", list(SPINAL_CMT)))


def excluded_from_chiropractor(packs: RulePacks, claim: Claim, line: ServiceLine, context: ClaimContext) -> bool:
    """True for a service Medicare never pays a chiropractor for (it is billed, if at all, with GY)."""
    return (is_medicare(context) and line.procedure not in covered_from_chiropractor(context)
            and specialty(packs, claim, line) == "chiropractor")


def not_payable(packs: RulePacks, claim: Claim, line: ServiceLine, context: ClaimContext) -> bool:
    """A line that is no payable partner of an NCCI pair: it carries GY, or it is one Medicare never pays
    a chiropractor for. No 59 or X modifier goes on it, and it makes no pair."""
    return NOT_COVERED in line.modifiers or excluded_from_chiropractor(packs, claim, line, context)


def payable_units(packs: RulePacks, claim: Claim, context: ClaimContext) -> list[UnitOfEdit]:
    """The claim's units of edit (rules/_claims.py: its lines by date of service, with the lines of its own
    ranges and of other claims that may share the date), without the lines that cannot be payable partners
    of an NCCI pair (GY, or excluded from a chiropractor): what the NCCI rules pair."""
    return units_of_edit(claim, context, lambda x: not not_payable(packs, claim, x, context))


def chiropractor_unknown(packs: RulePacks, claim: Claim, line: ServiceLine, context: ClaimContext) -> str:
    """On Medicare, why a 59/X on this line cannot be proven right when the claim does not say who performed
    it: a chiropractor's non-spinal service is not covered and takes GY, not a distinct-procedure modifier.
    "" when the performer's specialty is known or the payer is not Medicare."""
    if not is_medicare(context) or line.procedure in covered_from_chiropractor(context):
        return ""
    if specialty(packs, claim, line):
        return ""
    context.notes.add(NOTE_NO_TAXONOMY)
    return (f"on Medicare, and the claim does not say who performed {line.procedure} (no taxonomy, or a group's "
            "or an unknown one): from a chiropractor it is not covered (GY, and GP on therapy codes; never 59/X); "
            "add the PRV taxonomy, or decide by hand")
