"""What on a claim says a line was furnished by telehealth (rules/telehealth.toml): read by TH001 and NC001."""

from __future__ import annotations

from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import RulePacks


def remote_signs(packs: RulePacks, claim: Claim, line: ServiceLine) -> list[str]:
    """The telehealth place of service (the line's SV105, else the claim's CLM05-1) and telehealth modifiers
    of one line, in words; empty when nothing on it says telehealth."""
    telehealth = packs.telehealth
    signs = []
    place = line.place_of_service or claim.place_of_service
    if place in telehealth.places:
        signs.append(f"place of service {place}, {telehealth.places[place]} "
                     f"({'SV105' if line.place_of_service else 'CLM05-1'})")
    signs += [f"modifier {m}, {telehealth.modifiers[m]}" for m in line.modifiers if m in telehealth.modifiers]
    return signs


def remote_manipulation(packs: RulePacks, claim: Claim) -> str:
    """Why the claim bills manipulation as telehealth ("98940 on line 1: place of service 02 ..."), or ""."""
    for line in claim.lines:
        if line.procedure in packs.manipulation:
            signs = remote_signs(packs, claim, line)
            if signs:
                return f"{line.procedure} on line {line.number} is billed as telehealth ({'; '.join(signs)})"
    return ""
