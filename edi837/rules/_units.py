"""Timed units: the 15-minute arithmetic (CMS chart, CPT midpoint), the CMS distribution, and which
claims carry minutes at all."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from edi837.engine import ClaimContext
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.writer.edits import format_decimal

CMS_SOURCE = ("CMS Pub 100-04 Medicare Claims Processing Manual ch. 5 §20.2 (8-minute rule: total timed minutes "
              "of the day decide the units; 8-22 = 1, 23-37 = 2, ...; examples 1-5)")
CPT_SOURCE = ("CPT time rule, midpoint per code: 'a unit of time is attained when the midpoint is passed' "
              "(premera.com billing for time, 2019); 8-22 minutes = 1 unit, 23-37 = 2, 38-52 = 3")
FIFTEEN = Decimal(15)


def units_for(minutes: Decimal) -> int:
    """Units of a 15-minute code for some minutes: 0 under 8, then floor((m + 7) / 15).

    The chart (8-22 -> 1, 23-37 -> 2, 38-52 -> 3 ...) "remains the same for treatment times in excess of
    2 hours" (CMS ch. 5 §20.2), which is this formula.
    """
    if minutes < 8:
        return 0
    return int(((minutes + 7) / FIFTEEN).to_integral_value(rounding=ROUND_FLOOR))


@dataclass
class TimedCode:
    """A timed code's minutes on one date: one or more lines of the same code (split time blocks)."""

    lines: list[ServiceLine]  # in line order; the first keeps the code's units, the others go
    minutes: Decimal

    @property
    def code(self) -> str:
        return self.lines[0].procedure

    @property
    def first(self) -> int:
        return self.lines[0].number


def distribute_cms(timed: list[TimedCode], tie_order: tuple[str, ...]) -> tuple[int, dict[str, int]]:
    """CMS total-minutes distribution: (units of the day, units per code).

    Each code first gets its whole 15-minute units; the remaining units go one each to the codes with
    the most leftover minutes. Ties (CMS: "either"): more total minutes first, then the pack's
    `tie_order`, then the earlier line.
    """
    total = sum((t.minutes for t in timed), Decimal(0))
    day_units = units_for(total)
    units = {t.code: int((t.minutes / FIFTEEN).to_integral_value(rounding=ROUND_FLOOR)) for t in timed}
    remaining = day_units - sum(units.values())
    rank = {code: i for i, code in enumerate(tie_order)}

    def key(t: TimedCode) -> tuple[Decimal, Decimal, int, int]:
        leftover = t.minutes - FIFTEEN * units[t.code]
        return (-leftover, -t.minutes, rank.get(t.code, len(rank)), t.first)

    for t in sorted(timed, key=key)[: max(remaining, 0)]:
        units[t.code] += 1
    return day_units, units


def why_no_unit(t: TimedCode, timed: list[TimedCode], units: dict[str, int], tie_order: tuple[str, ...]) -> str:
    """Why a code of the day got no unit while others did, as `distribute_cms` decided it.

    The remaining units (after each code's whole 15-minute units) went to codes with more leftover minutes,
    or to codes whose leftover minutes tie with this one's (CMS: "either" may be billed), when more total
    minutes, the pack's tie_order or the earlier line decided. Each code that won is named with what made
    it win, so a three-way tie never reads as "more leftover minutes".
    """
    rank = {code: i for i, code in enumerate(tie_order)}
    whole = {o.code: int((o.minutes / FIFTEEN).to_integral_value(rounding=ROUND_FLOOR)) for o in timed}
    left = {o.code: o.minutes - FIFTEEN * whole[o.code] for o in timed}
    mine = left[t.code]
    winners = [o for o in timed if units[o.code] > whole[o.code]]
    more = [o for o in winners if left[o.code] > mine]
    tied = [o for o in winners if left[o.code] == mine]
    parts = []
    if more:
        parts.append("the day's units went to codes with more leftover minutes: "
                     + ", ".join(f"{o.code} ({format_decimal(left[o.code])})" for o in more)
                     + f" against its {format_decimal(mine)}")
    if tied:
        won = ", ".join(f"{o.code} by " + ("more minutes in all" if o.minutes != t.minutes else
                                         "the pack's tie_order" if rank.get(o.code, len(rank)) != rank.get(
                                             t.code, len(rank)) else "an earlier line") for o in tied)
        ties = [o.code for o in timed if o is not t and left[o.code] == mine]
        parts.append(f"its {format_decimal(mine)} leftover minutes tie with {', '.join(ties)} (CMS lets either be "
                     f"billed), and the unit{'s' if len(tied) > 1 else ''} went to {won}")
    if not parts:
        parts.append("the day's units are all whole 15-minute units of "
                     + ", ".join(o.code for o in timed if units[o.code]))
    return "; ".join(parts)


def decided_by_tie(timed: list[TimedCode], units: dict[str, int]) -> list[TimedCode]:
    """The codes `distribute_cms` left with no unit although their leftover minutes tie those of a code that got
    one of the remaining units: CMS lets either be billed (ch. 5 §20.2, example 2: "choose either"), so which
    line goes is the therapist's choice, not something the claim shows."""
    whole = {t.code: int((t.minutes / FIFTEEN).to_integral_value(rounding=ROUND_FLOOR)) for t in timed}
    left = {t.code: t.minutes - FIFTEEN * whole[t.code] for t in timed}
    winners = [o for o in timed if units[o.code] > whole[o.code]]
    return [t for t in timed if units[t.code] == 0 and any(left[o.code] == left[t.code] for o in winners)]


DISCIPLINES = ("GP", "GO", "GN")  # physical therapy, occupational therapy, speech-language pathology


def plural(n: int | Decimal, word: str) -> str:
    return f"{format_decimal(Decimal(n))} {word}{'' if n == 1 else 's'}"


def minutes_text(t: TimedCode, minutes: dict[int, Decimal]) -> str:
    if len(t.lines) == 1:
        return f"{t.code} {format_decimal(t.minutes)} min"
    parts = " + ".join(format_decimal(minutes[id(x)]) for x in t.lines)
    return f"{t.code} {parts} = {format_decimal(t.minutes)} min (lines {', '.join(str(x.number) for x in t.lines)})"


def in_minutes(claim: Claim, context: ClaimContext) -> bool:
    """True when the claim may carry minutes: an MJ unit basis, or rows of the minutes side file."""
    d = claim.delimiters
    if claim.may_contain(d.element + b"MJ" + d.element):
        return True
    return context.minutes is not None and context.minutes.has_claim(claim.claim_id)
