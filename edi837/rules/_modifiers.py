"""Modifier hygiene for every rule that adds a modifier, in one place (MOD001 reports what is already there).

Nothing is added to a line whose own modifiers contradict each other or its code (`RulePacks.modifier_problems`:
59 beside an X modifier, one written twice, 25 on a code that is not an E/M): MOD001 asks a person to correct
them first. Never a duplicate; 59 and an X modifier never together (an existing XS satisfies a payer that wants
59 and the reverse, unless the payer profile says `exact_modifier = true`); at most four modifiers (a fifth
needed is a review item, no change); XP (a separate practitioner) is never taken as the distinct modifier when
the claim shows the same performer on both lines of the pair (`separate_practitioner`). The order a new modifier
takes is the pack's (modifiers.toml), applied by the editor, which also enforces these limits whatever a rule
asks. Modifiers compare as codes, whatever their case (the parser reads them in upper case).
"""

from __future__ import annotations

from edi837.engine import Applicability, ClaimContext, Finding, Fix, Severity
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import PayerProfile, RulePacks
from edi837.packs.modifiers import conflicts
from edi837.rules._claims import line_name, same_performer
from edi837.writer.edits import DISTINCT_MODIFIERS, MAX_MODIFIERS, AppendModifier

__all__ = ["SITE_MODIFIERS", "conflicts", "modifier_finding", "satisfied", "separate_practitioner",
           "wanted_modifier"]

# 59/X modifiers that assert a distinct site or service, which the diagnosis pointers can contradict. XE (a
# separate encounter the same day) is not about the site, and the 837 cannot show encounters: never checked.
SITE_MODIFIERS = frozenset({"59", "XS", "XU", "XP"})


def separate_practitioner(claim: Claim, line: ServiceLine, partners: list[ServiceLine]) -> str:
    """Why a line's XP (a separate practitioner, CMS MLN1783722) contradicts the claim, or "" when it does not.

    NCCI pairs one provider's services, and the rules pair two lines only when the claim shows the same
    performer on both (2420A, else 2310B, else the billing provider). XP on such a line says another
    practitioner did it, which the claim then does not show: either that practitioner belongs in the line's
    2420A (and the pair is no pair), or XP is the wrong modifier. A person decides.
    """
    if "XP" not in line.modifiers:
        return ""
    same = [p for p in partners if p is not line and same_performer(claim, p, line) is True]
    if not same:
        return ""
    who = claim.performer(line)
    named = {"2010AA": "the billing provider (no rendering provider on the claim)",
             "2310B": "the claim's rendering provider (2310B)"}.get(who.loop,
                                                                     f"the same rendering provider ({who.loop})")
    partner = same[0]
    return (f"{line.procedure} carries XP (a separate practitioner), but the claim shows {named} performing both it "
            f"and {partner.procedure} ({line_name(partner)}): name the other practitioner on the line (2420A), "
            "or replace XP with the modifier the documentation supports")


def wanted_modifier(context: ClaimContext, rule: str) -> str:
    """The distinct-procedure modifier the claim's payer wants for this rule (59 without packs)."""
    return context.profile.modifier(rule) if context.profile else "59"


def satisfied(line: ServiceLine, wanted: str, profile: PayerProfile | None) -> bool:
    """True when the line already carries the modifier, or an equivalent the payer accepts."""
    if wanted in line.modifiers:
        return True
    exact = profile is not None and profile.exact_modifier
    return not exact and any(m in DISTINCT_MODIFIERS for m in line.modifiers)


def modifier_finding(packs: RulePacks, rule: str, claim: Claim, line: ServiceLine, wanted: str,
                     profile: PayerProfile | None, message: str, source: str, applicability: Applicability,
                     approved: bool, partners: list[ServiceLine] | None = None) -> Finding | None:
    """The finding that appends `wanted` to a line, with the hygiene rules applied.

    None when nothing needs doing (the modifier, or an accepted equivalent, is already there). `partners`: the
    lines of the NCCI pair the modifier is for, whose performer an XP on the line would contradict.
    """
    xp = separate_practitioner(claim, line, partners or [])
    if xp:
        return Finding(rule, claim.claim_id, (line.number,), line.procedure, f"{message}; {xp}", Severity.WARNING,
                       None, source)
    if satisfied(line, wanted, profile):
        return None  # an existing 59/X satisfies the edit; adding another would be "59 beside X"
    clash = packs.modifier_problems(line)
    if clash:
        return Finding(rule, claim.claim_id, (line.number,), line.procedure,
                       f"{message}; {wanted} is not added while the line's own modifiers contradict each other or "
                       f"its code ({'; '.join(clash)}, see MOD001): correct them first", Severity.WARNING, None,
                       source)
    present = [m for m in line.modifiers if m in DISTINCT_MODIFIERS]
    if present:
        assert profile is not None
        return Finding(rule, claim.claim_id, (line.number,), line.procedure,
                       f"{message}; the payer ({profile.name}) requires {wanted} but the line carries "
                       f"{', '.join(present)}: replace it by hand (59 and X modifiers never go together)",
                       Severity.WARNING, None, source)
    if len(line.modifiers) >= MAX_MODIFIERS:
        return Finding(rule, claim.claim_id, (line.number,), line.procedure,
                       f"{message}; SV101 already holds {MAX_MODIFIERS} modifiers ({':'.join(line.modifiers)}), "
                       f"so {wanted} cannot be added: a person must decide which modifiers the payer needs",
                       Severity.WARNING, None, source)
    return Finding(rule, claim.claim_id, (line.number,), line.procedure, f"{message}: append {wanted}",
                   Severity.INFO, Fix((AppendModifier(line.number, wanted),), applicability, approved), source)
