"""Modifier hygiene for every rule that adds a modifier, in one place (MOD001 reports what is already there).

Nothing is added to a line whose own modifiers contradict each other (`conflicts`: 59 beside an X modifier,
one written twice): MOD001 asks a person to correct them first. Never a duplicate; 59 and an X modifier
never together (an existing XS satisfies a payer that wants 59 and the reverse, unless the payer profile says
`exact_modifier = true`); at most four modifiers (a fifth needed is a review item, no change). The order a
new modifier takes is the pack's (modifiers.toml), applied by the editor, which also enforces these limits
whatever a rule asks.
"""

from __future__ import annotations

from edi837.engine import Applicability, ClaimContext, Finding, Fix, Severity
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import PayerProfile
from edi837.writer.edits import DISTINCT_MODIFIERS, MAX_MODIFIERS, X_MODIFIERS, AppendModifier

# 59/X modifiers that assert a distinct site or service, which the diagnosis pointers can contradict. XE (a
# separate encounter the same day) is not about the site, and the 837 cannot show encounters: never checked.
SITE_MODIFIERS = frozenset({"59", "XS", "XU", "XP"})


def conflicts(modifiers: tuple[str, ...]) -> list[str]:
    """What contradicts itself among a line's own modifiers, in words ("59 with XS", "GP twice"); [] if nothing.

    59 and an X modifier (XE, XP, XS, XU: the specific forms of 59) never go together on one line (CMS
    MLN1783722; HMSA, Moda and Anthem modifier 59 policies); a modifier written twice says nothing more and
    takes one of SV101's four slots. Which of the two a line should keep is in the record, not the claim.
    An empty slot before a filled one (`HC:97140::GP`) is not a conflict: pyx12 accepts it and no payer
    source was found that rejects it.
    """
    found = [f"{m} twice" if modifiers.count(m) == 2 else f"{m} {modifiers.count(m)} times"
             for m in dict.fromkeys(modifiers) if modifiers.count(m) > 1]
    if "59" in modifiers:
        found += [f"59 with {m}" for m in dict.fromkeys(modifiers) if m in X_MODIFIERS]
    return found


def wanted_modifier(context: ClaimContext, rule: str) -> str:
    """The distinct-procedure modifier the claim's payer wants for this rule (59 without packs)."""
    return context.profile.modifier(rule) if context.profile else "59"


def satisfied(line: ServiceLine, wanted: str, profile: PayerProfile | None) -> bool:
    """True when the line already carries the modifier, or an equivalent the payer accepts."""
    if wanted in line.modifiers:
        return True
    exact = profile is not None and profile.exact_modifier
    return not exact and any(m in DISTINCT_MODIFIERS for m in line.modifiers)


def modifier_finding(rule: str, claim: Claim, line: ServiceLine, wanted: str, profile: PayerProfile | None,
                     message: str, source: str, applicability: Applicability, approved: bool) -> Finding | None:
    """The finding that appends `wanted` to a line, with the hygiene rules applied.

    None when nothing needs doing (the modifier, or an accepted equivalent, is already there).
    """
    if satisfied(line, wanted, profile):
        return None  # an existing 59/X satisfies the edit; adding another would be "59 beside X"
    clash = conflicts(line.modifiers)
    if clash:
        return Finding(rule, claim.claim_id, (line.number,), line.procedure,
                       f"{message}; {wanted} is not added while the line's own modifiers contradict each other "
                       f"({', '.join(clash)}, see MOD001): correct them first", Severity.WARNING, None, source)
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
