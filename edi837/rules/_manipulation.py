"""What a claim proves was manipulated: each manipulation line's own pointers read against what its code is.

A manipulation code says which kind of region it treats and how many (packs/manipulation.toml: 98940 "spinal,
1-2 regions", 98943 "extraspinal, 1 or more", 98926 "3-4 body regions"). A line's diagnosis pointers are the
proof a payer reads, but only as far as they agree with the code:

- pointers that name no region the code can treat (98940 -> a shoulder only), that cannot be read, or that
  name a diagnosis the pack does not place: what was manipulated is unknown (`unknown`), and nothing beside
  the line can be shown distinct from it;
- fewer regions of its kind than the code means (98941, 3-4 regions, pointing to one): the others are not
  named, so every region of its kind may have been manipulated (`unnamed`); the same when the pointers name
  more than the code means, since then the code and its pointers disagree about which. An SV107 holds four
  pointers at most, so 98942 (5 regions) and 98927-98929 (5-10 body regions) always leave their kind open;
- a region outside its kind (98940 -> lumbar and shoulder) is a supporting diagnosis, not a manipulated
  region, but a payer reading the pointers sees that region on the manipulation line: it is counted as one
  the manipulation may have reached (`supporting`), so a 97140 there is never shown distinct by the claim.

A partner line of another claim of the file (engine/partners.py) is read the same way against its own claim:
its pointers index that claim's diagnoses (Claim.diagnoses_for and pointer_problem follow `line.partner`), and
messages name it by claim and line.
"""

from __future__ import annotations

from dataclasses import dataclass

from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import REGIONS, RulePacks
from edi837.rules._claims import line_name
from edi837.rules._regions import regions_of, words

EVERY_REGION = frozenset(REGIONS)


@dataclass(frozen=True)
class Evidence:
    """What one manipulation line shows it manipulated."""

    line: ServiceLine
    named: frozenset[str] = frozenset()  # regions of its kind its pointers name: manipulated
    supporting: frozenset[str] = frozenset()  # regions outside its kind its pointers name
    unnamed: frozenset[str] = frozenset()  # regions of its kind it may have manipulated without naming them
    caveat: str = ""  # why `unnamed` is not empty
    unknown: str = ""  # why nothing about what it manipulated can be known
    whole: bool = False  # the code means every region of its kind (98942): `unnamed` were manipulated too

    @property
    def reach(self) -> frozenset[str]:
        """Every region this line may have manipulated, as far as the claim shows."""
        return EVERY_REGION if self.unknown else self.named | self.supporting | self.unnamed


def read_manipulation(packs: RulePacks, claim: Claim, line: ServiceLine) -> Evidence:
    """A manipulation line's pointers read against its code (see the module's docstring)."""
    where = f"{line.procedure} on {line_name(line)}"
    code = packs.manipulation.get(line.procedure)
    if code is None:
        return Evidence(line, unknown=f"{where}: packs/manipulation.toml does not say which regions it manipulates")
    problem = claim.pointer_problem(line)
    if problem:
        return Evidence(line, unknown=f"{where}: {problem}")
    regions, unplaced = regions_of(packs, claim, [line])
    if unplaced:
        return Evidence(line, unknown=f"{where} points to {', '.join(unplaced)}, whose region is unknown")
    named, supporting = frozenset(regions & code.regions), frozenset(regions - code.regions)
    kind = f"{code.kind} region{'' if code.least == code.most == 1 else 's'}"
    if not named:
        shown = f"{words(set(supporting))} only" if supporting else "only external causes, which name no region"
        return Evidence(line, supporting=supporting, unknown=(
            f"{where} is {code.kind} manipulation but points to no {code.kind} region, {shown}, so the claim "
            "contradicts itself"))
    count = f"{where} means {code.count_words} {kind} but points to {len(named)} ({words(set(named))})"
    if len(named) < code.least:
        caveat = (f"{where} means all {code.least} {kind}" if code.least == len(code.regions) else
                  f"{count}, so any {code.kind} region may have been manipulated")
    elif len(named) > code.most:
        caveat = f"{count}: the code and its pointers disagree, so which {code.kind} regions it manipulated is unknown"
    else:
        return Evidence(line, named, supporting)
    return Evidence(line, named, supporting, frozenset(code.regions - named), caveat,
                    whole=code.least == len(code.regions))


def why_reached(regions: set[str], evidence: list[Evidence]) -> tuple[str, bool]:
    """Why each of `regions` may have been manipulated, one clause per region in region order, and whether
    every one of them was named as manipulated (rather than left open or shown only as a supporting one)."""
    clauses, named = [], True
    for region in sorted(regions):
        name = region.replace("_", " ")
        for e in evidence:
            where = f"{e.line.procedure} on {line_name(e.line)}"
            if region in e.named:
                clauses.append(f"{name}, manipulated by {where}")
            elif region in e.supporting:
                clauses.append(f"{name}, which {where} points to as well (its code does not manipulate it, so the "
                               "claim contradicts itself)")
            elif region in e.unnamed:
                clauses.append(f"{name}, as {e.caveat}")
            else:
                continue
            named = named and (region in e.named or e.whole)
            break
    return "; ".join(clauses), named


def named_words(evidence: list[Evidence]) -> str:
    """The regions shown manipulated (named by the pointers, or all of a kind its code means), for a message."""
    return words({r for e in evidence for r in (e.named | e.unnamed if e.whole else e.named)})


def caveats(evidence: list[Evidence]) -> list[str]:
    """What leaves regions open that the pointers do not name, and which supporting diagnoses they show."""
    out = [e.caveat for e in evidence if e.caveat]
    out += [f"{e.line.procedure} on {line_name(e.line)} also points to {words(set(e.supporting))}, which its "
            "code does not manipulate" for e in evidence if e.supporting]
    return out
