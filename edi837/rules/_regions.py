"""Anatomic regions of the diagnoses lines point to (the proof NC001 reads), and how to say them."""

from __future__ import annotations

from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import NO_SITE, RulePacks
from edi837.rules._claims import line_name


def regions_of(packs: RulePacks, claim: Claim, lines: list[ServiceLine]) -> tuple[set[str], list[str]]:
    """The known anatomic regions of the diagnoses some lines point to, and what leaves them unknown:
    codes with no region in the pack, and lines whose pointers name nothing reliable."""
    known: set[str] = set()
    unknown: list[str] = []
    for line in lines:
        problem = claim.pointer_problem(line)
        if problem:
            unknown.append(f"{line_name(line)}: {problem}")
            continue
        for diagnosis in claim.diagnoses_for(line):
            region, is_known = packs.region_of(diagnosis.code)
            if is_known and region == NO_SITE:
                continue  # an external cause says how, not where: no region either way
            if is_known and region is not None:
                known.add(region)
            else:
                unknown.append(diagnosis.dotted)
    return known, unknown


def words(regions: set[str]) -> str:
    return ", ".join(sorted(r.replace("_", " ") for r in regions))
