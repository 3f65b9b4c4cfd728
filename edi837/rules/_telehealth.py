"""What on a claim says a line was furnished by telehealth (packs/telehealth.toml): read by TH001 and NC001."""

from __future__ import annotations

from collections.abc import Iterable

from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import RulePacks
from edi837.rules._claims import line_name


def remote_signs(packs: RulePacks, claim: Claim, line: ServiceLine) -> list[str]:
    """The telehealth place of service (the line's SV105, else its claim's CLM05-1: this claim's, or a partner
    line's own claim's) and telehealth modifiers of one line, in words; empty when nothing on it says
    telehealth."""
    telehealth = packs.telehealth
    signs = []
    place, element = claim.place_of(line)
    if place in telehealth.places:
        signs.append(f"place of service {place}, {telehealth.places[place]} ({element})")
    signs += [f"modifier {m}, {telehealth.modifiers[m]}" for m in line.modifiers if m in telehealth.modifiers]
    return signs


def remote_manipulation(packs: RulePacks, claim: Claim, partners: Iterable[ServiceLine] = ()) -> str:
    """Why manipulation is billed as telehealth ("98940 on line 1 is billed as telehealth (place of service 02
    ...)"), or "": any manipulation line of the claim, then the given manipulation lines of other claims (each
    read against its own claim's place of service)."""
    for line in (*claim.lines, *partners):
        if line.procedure in packs.manipulation:
            signs = remote_signs(packs, claim, line)
            if signs:
                return f"{line.procedure} on {line_name(line)} is billed as telehealth ({'; '.join(signs)})"
    return ""
