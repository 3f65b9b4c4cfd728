"""MC002: what Medicare never covers from a chiropractor is billed with GY (and GP on therapy codes)."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.engine import Applicability, ClaimContext, Finding, Fix, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.rules._medicare import (
    CHIRO_SOURCE,
    DISCIPLINE_MODIFIERS,
    NOT_COVERED,
    NOTE_NO_TAXONOMY,
    SPINAL_CMT,
    is_medicare,
    specialty,
)
from edi837.rules.em001 import EVALUATION, OMT
from edi837.writer.edits import DISTINCT_MODIFIERS, MAX_MODIFIERS, AppendModifier, Edit

THERAPY_MODIFIER = "GP"
# Chiropractic manipulative treatment (CPT 98940-98943): the one sign on a claim that a chiropractor may have
# performed its other lines, when no taxonomy says who did.
CHIROPRACTIC = (*SPINAL_CMT, "98943")
# Modifiers that assert the line is payable or medically necessary: they contradict "statutorily excluded"
CONTRADICT_GY = ("GA", "GZ", "KX", "AT")


class ChiropractorNotCovered(Rule):
    """MC002 medicare-chiropractor-not-covered: GY (and GP) on what Medicare never pays a chiropractor for.

    What it does: on a Medicare Part B claim whose performing provider is a chiropractor (taxonomy 111N),
    every line other than spinal manipulation (98940-98942) - 98943, 97140, 97530, 97012, an office visit
    - gets GY (statutorily excluded) if it lacks it, plus GP when the code is an "always therapy" code
    (safe); a line that already carries a discipline modifier (GP, GO, GN) gets GY only. A line that would
    need a fifth modifier, or that carries 59/X, GA, GZ, KX or AT (which contradict GY), is a review item.
    Without a taxonomy the pack knows as a person's (none, an unknown one, a group's) nothing is assumed: no
    modifier is added and the summary counts the claim. When the claim bills chiropractic manipulation
    (98940-98943: the sign that a chiropractor may have performed its other lines; a DME supplier's oxygen
    rental is not asked about) and no taxonomy, or only a group's, names the performer (one the pack does not
    know is some other provider's, an ambulance supplier's 3416L0300X, never a chiropractor's 111N), one
    review item names the lines whose performer is unknown, so `--hold review` holds the claim; not the lines
    already carrying GY or adjudicated by a prior payer, an always-therapy code without GP/GO/GN (MC003
    asks), or a visit without 25 beside manipulation (EM001 asks).

    Why: Medicare covers only manual manipulation of the spine from a chiropractor; everything else is
    excluded by statute and, billed at the beneficiary's request, must carry GY; a therapy code billed with
    GY but no therapy modifier is rejected as unprocessable. Adding 59/XS to such a line (as edi-fix once
    did) asserts a payable pair that does not exist.

    Example: a chiropractor's `SV1*HC:97140*40*UN*1***2` on a Medicare claim becomes
    `SV1*HC:97140:GP:GY*40*UN*1***2`.

    Fix safety: safe: the payer and the taxonomy on the claim prove it.

    Source: 42 CFR 410.21(b); Medicare Benefit Policy Manual ch. 15 §240.1.1; NGS chiropractic services (97140
    by a chiropractor with GY and GP); Palmetto GBA (therapy services with GY but no therapy modifier are
    rejected as unprocessable).
    """

    code = "MC002"
    name = "medicare-chiropractor-not-covered"
    fix_safety = "safe"
    tables = ("taxonomy", "therapy_codes")
    settings = (
        Setting("covered_codes", "codes", list(SPINAL_CMT), "what Medicare covers from a chiropractor"),
    )

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        covered = self.setting(context, "covered_codes")
        return not claim.procedures <= set(covered) and is_medicare(context)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        covered = self.setting(context, "covered_codes")
        unknown: list[ServiceLine] = []
        chiropractic = not claim.procedures.isdisjoint(CHIROPRACTIC)
        for line in claim.lines:
            if line.procedure in covered or not line.procedure:
                continue
            kind = specialty(self.packs, claim, line)
            if not kind:
                context.notes.add(NOTE_NO_TAXONOMY)
                if chiropractic and self._undecided(claim, line, context):
                    unknown.append(line)
            if kind != "chiropractor":
                continue
            wants_gp = (line.procedure in self.packs.always_therapy
                       and not any(m in DISCIPLINE_MODIFIERS for m in line.modifiers))
            needed = [m for m in (NOT_COVERED, THERAPY_MODIFIER if wants_gp else "") if m and m not in line.modifiers]
            if not needed:
                continue
            what = f"{line.procedure} from a chiropractor is not covered by Medicare"
            clash = [m for m in line.modifiers if m in DISTINCT_MODIFIERS or m in CONTRADICT_GY]
            if clash:
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                              f"{what} and needs {' and '.join(needed)}, but it carries {', '.join(clash)}, which "
                              "contradicts GY (59/X assert a payable pair; GA/GZ a medical-necessity denial; KX "
                              "medical necessity; AT active treatment): a person decides", Severity.WARNING, None,
                              CHIRO_SOURCE)
                continue
            if len(line.modifiers) + len(needed) > MAX_MODIFIERS:
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                              f"{what} and needs {' and '.join(needed)}, but SV101 has no room for "
                              f"{'them' if len(needed) > 1 else 'it'}: a person decides which modifiers go",
                              Severity.WARNING, None, CHIRO_SOURCE)
                continue
            edits: tuple[Edit, ...] = tuple(AppendModifier(line.number, m) for m in needed)
            note = " (an always-therapy code: GP too)" if THERAPY_MODIFIER in needed else ""
            yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                          f"{what} (only spinal manipulation is): append {' and '.join(needed)}{note}",
                          Severity.INFO, Fix(edits, Applicability.SAFE), CHIRO_SOURCE)
        if unknown:
            yield self._unknown(claim, unknown)

    def _undecided(self, claim: Claim, line: ServiceLine, context: ClaimContext) -> bool:
        """A line that may be a chiropractor's, no taxonomy or only a group's naming its performer, and that no
        other record asks about: not already GY, not history, not an always-therapy code without a discipline
        modifier (MC003 asks who performed it), not a visit without 25 beside manipulation that day (EM001
        asks)."""
        taxonomy = claim.performer_taxonomy(line)
        if taxonomy and self.packs.specialty_of(taxonomy) != "group":
            return False  # a taxonomy the pack does not know: some other provider's, not a chiropractor's
        if NOT_COVERED in line.modifiers or claim.is_history(line):
            return False
        if line.procedure in self.packs.always_therapy:
            return any(m in DISCIPLINE_MODIFIERS for m in line.modifiers)
        if line.procedure in context.setting("EM001", "evaluation_codes", EVALUATION) and "25" not in line.modifiers:
            manipulation = {*context.setting("EM001", "cmt_codes", list(SPINAL_CMT)),
                            *context.setting("EM001", "omt_codes", OMT)}
            return not any(x.procedure in manipulation and x.service_date == line.service_date for x in claim.lines)
        return True

    def _unknown(self, claim: Claim, lines: list[ServiceLine]) -> Finding:
        """One review item for the claim: the lines whose performer the claim does not name."""
        names = " and ".join(f"{x.procedure} (line {x.number})" for x in lines)
        it, they = ("it", "it is") if len(lines) == 1 else ("them", "they are")
        return Finding(self.code, claim.claim_id, tuple(x.number for x in lines), lines[0].procedure,
                       f"the claim does not say who performed {names}: no PRV taxonomy for the performing provider, "
                       "a group's, or one the pack does not know; from a chiropractor Medicare does not cover "
                       f"{it} (GY, and GP on therapy codes), from a therapist or a physician {they} payable as "
                       "billed: add the performer's PRV taxonomy (2420A or 2310B PRV*PE, or the billing provider's "
                       "PRV*BI), or decide by hand", Severity.WARNING, None, CHIRO_SOURCE)
