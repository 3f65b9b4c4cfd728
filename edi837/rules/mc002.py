"""MC002: what Medicare never covers from a chiropractor is billed with GY (and GP on therapy codes)."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.engine import Applicability, ClaimContext, Finding, Fix, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.rules._medicare import (
    CHIRO_SOURCE,
    DISCIPLINE_MODIFIERS,
    NOT_COVERED,
    NOTE_NO_TAXONOMY,
    SPINAL_CMT,
    is_medicare,
    specialty,
)
from edi837.writer.edits import DISTINCT_MODIFIERS, MAX_MODIFIERS, AppendModifier, Edit

THERAPY_MODIFIER = "GP"
# Modifiers that assert the line is payable or medically necessary: they contradict "statutorily excluded"
CONTRADICT_GY = ("GA", "GZ", "KX", "AT")


class ChiropractorNotCovered(Rule):
    """MC002 medicare-chiropractor-not-covered: GY (and GP) on what Medicare never pays a chiropractor for.

    What it does: on a Medicare Part B claim whose performing provider is a chiropractor (taxonomy 111N),
    every line other than spinal manipulation (98940-98942) - 98943, 97140, 97530, 97012, an office visit
    - gets GY (statutorily excluded) if it lacks it, plus GP when the code is an "always therapy" code
    (safe); a line that already carries a discipline modifier (GP, GO, GN) gets GY only. A line that would
    need a fifth modifier, or that carries 59/X, GA, GZ, KX or AT (which contradict GY), is a review item.
    Without a taxonomy the pack knows as a person's (none, an unknown one, a group's) nothing is assumed: the
    rule does not run on the line, and the summary counts the claim.

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
        for line in claim.lines:
            if line.procedure in covered or not line.procedure:
                continue
            kind = specialty(self.packs, claim, line)
            if not kind:
                context.notes.add(NOTE_NO_TAXONOMY)
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
