"""How rules group lines: by date of service, by who performed them, and by NCCI's unit of edit.

NCCI pairs the services of one patient, one performing provider and one date of service (CMS, "Medicare NCCI
Procedure to Procedure (PTP) Edits"), not of one claim and not of one exact date string. So the pairing
rules read units of edit (`units_of_edit`): a claim's lines for one date (its home lines), with every line
that may be on that date too: its own lines billed as a range (DTP*472 RD8) that covers it, and the lines of
the file's other claims for the same patient and a payer that may be the same (ClaimContext.partners,
engine/partners.py). Whether a partner is the same performer is each rule's `same_performer` test.

A partner proves the pair only when it is a line of the claim itself billed for the same exact date (a
one-day RD8 is an exact date). Any other partner (a range that covers the date, a line of another claim) may
be the same unit of edit, which the claim cannot prove: `hedge` turns the rule's finding into a review item
that says why, and never lets its fix apply on its own. A range that does not cover the date is no partner.
The timed-units rules keep reading their own claim's dates (`lines_by_date`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date

from edi837.engine import Applicability, ClaimContext, Finding, Fix
from edi837.engine.partners import same_payer
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine


def lines_by_date(claim: Claim) -> dict[date | None, list[ServiceLine]]:
    days: dict[date | None, list[ServiceLine]] = defaultdict(list)
    for line in claim.lines:
        days[line.service_date].append(line)
    return days


@dataclass(frozen=True, slots=True)
class UnitOfEdit:
    """The claim's lines billed for one date (or one range), and every line that may share that date.

    `home`: this claim's lines with exactly that date of service (or exactly that range): the lines a rule
    may change here. `lines`: `home`, then this claim's lines of other dates whose range covers it (or that it
    covers), then partner lines of other claims whose dates overlap it. `day`: the home lines' date (a
    range's first day), what NCCI and MUE tables are read for.
    """

    day: date | None
    home: list[ServiceLine]
    lines: list[ServiceLine]


def units_of_edit(claim: Claim, context: ClaimContext,
                  keep: Callable[[ServiceLine], bool] | None = None) -> list[UnitOfEdit]:
    """The claim's units of edit, one per date (or range) its lines are billed for, in line order; `keep`
    leaves out lines (own or partner) that cannot be partners at all."""
    own = claim.lines if keep is None else [x for x in claim.lines if keep(x)]
    partners = [x for x in context.partners if keep is None or keep(x)] if context.partners else []
    if not partners and not _ranges(claim, own):  # the common claim: one unit per date, no guests
        days: dict[date | None, list[ServiceLine]] = defaultdict(list)
        for line in own:
            days[line.service_date].append(line)
        return [UnitOfEdit(day, lines, lines) for day, lines in days.items()]
    spans: dict[tuple[date | None, date | None], list[ServiceLine]] = defaultdict(list)
    for line in own:
        spans[line.service_date, line.last_date].append(line)
    units = []
    for (first, last), home in spans.items():
        if first is None or last is None:
            units.append(UnitOfEdit(first, home, home))  # no date of service: only its own kind
            continue
        guests = [x for x in own if x.service_date is not None and x.last_date is not None
                  and (x.service_date, x.last_date) != (first, last) and x.service_date <= last
                  and first <= x.last_date]
        guests += [x for x in partners if x.service_date <= last and first <= x.last_date]  # type: ignore[operator]
        units.append(UnitOfEdit(first, home, home + guests))
    return units


def _ranges(claim: Claim, lines: list[ServiceLine]) -> bool:
    """Whether some of these lines of the claim are billed as a range (an RD8 in the raw claim first: most
    claims have none, and a substring test costs less than asking each line)."""
    return claim.may_contain(b"RD8") and any(x.is_range for x in lines)


def unit_procedures(claim: Claim, context: ClaimContext) -> frozenset[str]:
    """The codes of a claim's lines and of its partner lines (a rule's cheap `wants` test)."""
    partners = context.partners
    return claim.procedures.union(x.procedure for x in partners) if partners else claim.procedures


def performer_key(claim: Claim, line: ServiceLine) -> str | None:
    """Who performed a line, as a key two lines can be compared by: NCCI pairs one provider's services.

    The NPI of its 2420A, else its claim's 2310B, else the billing provider, whatever order the provider
    loops came in (a 2310A referring provider before 2310B changes nothing). A claim-level 2310B without
    an NPI is still one provider for every line it covers; a line's own 2420A without an NPI cannot be
    told apart from anyone: None (unknown). A partner line of another claim: by that claim's loops; a
    loop without an NPI names no one outside its own claim.
    """
    provider = claim.performer(line)
    if provider.npi:
        return provider.npi
    if provider.loop.startswith("2420"):
        return None
    return provider.loop if line.partner is None else None


def same_performer(claim: Claim, a: ServiceLine, b: ServiceLine) -> bool | None:
    """True or False when both performers are known; None when either is not (a 2420A without an NPI)."""
    if a is b:
        return True
    key_a, key_b = performer_key(claim, a), performer_key(claim, b)
    return None if key_a is None or key_b is None else key_a == key_b


def line_name(line: ServiceLine) -> str:
    """How a message names a line: "line 2", or "claim C-2 line 1" for a partner line of another claim."""
    return f"line {line.number}" if line.partner is None else f"claim {line.partner.claim_id} line {line.number}"


def proves(target: ServiceLine, partner: ServiceLine) -> bool:
    """The claim itself shows the two lines share the unit of edit: a line of its own, same exact date."""
    return (partner.partner is None and not target.is_range and not partner.is_range
            and partner.service_date == target.service_date)


def hedge(finding: Finding, claim: Claim, target: ServiceLine, partners: list[ServiceLine]) -> Finding:
    """The finding a rule made for `target` by its NCCI `partners`, as far as the claim proves them.

    When one partner is proven (a line of the claim on the target's exact date) the pair stands whatever the
    others are: a fix stays as the rule made it (the rules judge the others with it, so it is right either
    way), and a review item names the others. Otherwise the pair may not exist (a range that may not cover
    the date) or rests on a claim this one cannot vouch for (another claim of the file: why were they billed
    apart?), so the message says which line, where and why, and a fix that would have applied on its own
    (safe, or approved by the pack) becomes a review fix (--apply-review).
    """
    doubted = [p for p in partners if not proves(target, p)]
    fix = finding.fix
    applies = fix is not None and (fix.applicability is Applicability.SAFE or fix.approved)
    if not doubted or (applies and len(doubted) < len(partners)):
        return finding
    if fix is not None and applies:  # every partner is in doubt: nothing on the claim proves the pair
        fix = Fix(fix.edits, Applicability.REVIEW, approved=False)
    doubts = dict.fromkeys(_doubt(claim, target, p) for p in doubted)
    return replace(finding, message=f"{finding.message}; {'; '.join(doubts)}", fix=fix)


def hedge_each(findings: Iterable[Finding], claim: Claim, units: list[UnitOfEdit],
               codes: frozenset[str]) -> Iterator[Finding]:
    """`hedge` for a rule whose findings name their target line first: its partners are the lines of `codes`
    in the target's unit of edit whose performer may be the target's."""
    if all(unit.lines is unit.home for unit in units) and not _ranges(claim, claim.lines):
        yield from findings  # every pair is a line of the claim on one exact date: nothing to hedge
        return
    for finding in findings:
        unit, target = next(((u, x) for u in units for x in u.home if finding.lines and x.number == finding.lines[0]),
                            (None, None))
        if unit is None or target is None:
            yield finding
            continue
        partners = [x for x in unit.lines if x.procedure in codes and x is not target
                    and same_performer(claim, x, target) is not False]
        yield hedge(finding, claim, target, partners)


def _doubt(claim: Claim, target: ServiceLine, partner: ServiceLine) -> str:
    """Why the claim does not prove that `partner` shares the target's unit of edit, in a person's words."""
    where = partner.partner
    elsewhere = ""
    if where is not None:
        same = ("the same patient, payer, provider and date of service" if same_payer(claim, partner) else
                "the same patient, provider and date of service (whether it goes to the same payer is unknown: a "
                "2010BB payer id is missing)")
        elsewhere = (f"{partner.procedure} is billed on {line_name(partner)}, another claim of this file for {same}; "
                     "NCCI pairs services across claims, and the file cannot show why they were billed apart (another "
                     "encounter that day?): check both claims")
    if not target.is_range and not partner.is_range:
        return elsewhere
    who = "the claim" if where is None else f"claim {where.claim_id}"
    if target.is_range and partner.is_range:
        dates = (f"bills {target.procedure} ({line_name(target)}) as a range {_range(target)} and "
                 f"{partner.procedure} ({line_name(partner)}) as a range {_range(partner)}, which overlap")
    else:
        ranged, other = (partner, target) if partner.is_range else (target, partner)
        dates = (f"bills {ranged.procedure} ({line_name(ranged)}) as a range {_range(ranged)}, which covers "
                 f"{other.procedure}'s date {other.service_date}")
    said = f"may be the same date of service: {who} {dates}; check the dates each was performed"
    return f"{said}; {elsewhere}" if elsewhere else said


def _range(line: ServiceLine) -> str:
    return f"{line.service_date} to {line.last_date}"
