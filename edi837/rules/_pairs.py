"""Which other NCCI pairs a modifier would bypass: shared by the rules that add 59/X."""

from __future__ import annotations

from datetime import date

from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import RulePacks
from edi837.rules._claims import same_performer


def other_pairs_bypassed(packs: RulePacks, claim: Claim, line: ServiceLine, lines: list[ServiceLine],
                         day: date | None, handled: frozenset[str]) -> list[str]:
    """The other indicator-1 NCCI pairs a 59/X on `line` would bypass as well, that day, for its performer.

    A distinct-procedure modifier on a column-2 code bypasses every indicator-1 edit in which that code is
    column 2, not only the pair it was added for, so a rule that has shown one pair distinct must not add
    it while another such pair stands unshown (97140 beside CMT on another region, but beside traction
    on the same neck). Pairs where the line's code is column 1 are left to their column-2 line, which
    carries its own modifier decision. `handled` are the partner codes the calling rule has judged.
    """
    labels = []
    for other in lines:
        if other is line or other.procedure in handled or same_performer(claim, line, other) is False:
            continue
        for pair in packs.pairs_for(line.procedure, other.procedure, day):
            if pair.modifier_indicator == 1 and pair.column2 == line.procedure and pair.label not in labels:
                labels.append(pair.label)
    return labels
