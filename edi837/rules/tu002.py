"""TU002: minutes given for a code edi837 does not convert (untimed, or in neither list)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from edi837.engine import ClaimContext, Finding, Rule, Severity
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.rules._units import in_minutes
from edi837.writer.edits import format_decimal

SPLIT_SOURCE = ("CPT 2020 97129 'therapeutic interventions that focus on cognitive function ..., initial 15 minutes' "
                "and +97130 'each additional 15 minutes' (timed_codes.toml [initial_and_additional], with its source)")
UNTIMED_SOURCE = ("AOTA timed codes (untimed codes are not counted toward the timed total and are billed once per "
                  "date of service); 8s2c.com which CPT codes are untimed")


class MinutesOnUntimedCode(Rule):
    """TU002 untimed-in-minutes: minutes given for a code edi837 does not convert.

    What it does: reports a review item for a line whose code is in the pack's untimed list but is billed
    with SV103 = MJ, or is given minutes in the side file; and for a side-file row that gives minutes to a
    code in neither the timed nor the untimed list (the minutes would otherwise be ignored without a word).
    It never converts them. A code in neither list billed with MJ in the 837 itself is left alone:
    anesthesia (00100-01999), for one, is rightly billed in minutes. A timed code whose time is split between an
    initial code and an add-on (97129 "initial 15 minutes", 97130 "each additional 15 minutes": timed_codes.toml
    [initial_and_additional]) billed in minutes is a review item too: TU001 does not convert it.

    Why: untimed codes (97012 traction, 97014 e-stim, evaluations, CMT) are billed once per date of
    service whatever the time spent; minutes there usually mean a charge-entry mistake. Minutes in the
    side file for a code edi837 does not know are a sign the pack's timed list is missing a code.

    Example: `SV1*HC:97012*30*MJ*15***1` -> review: "97012 is untimed (1 unit per date of service)";
    `SV1*HC:97129*80*MJ*30***1` -> review: 97129 is 1 unit (its first 15 minutes), the next 15 are 97130.

    Fix safety: review only; which unit count is right is the practice's call.

    Source: AOTA timed codes page (untimed codes not counted, 1 unit per DOS); 8s2c.com which CPT codes are
    untimed; CPT 2020 97129 "initial 15 minutes" and +97130 "each additional 15 minutes" (AOTA and ASHA on
    the 2020 cognitive intervention codes).
    """

    code = "TU002"
    name = "untimed-in-minutes"
    phase = 0

    tables = ("timed_codes",)

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return in_minutes(claim, context)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        untimed, timed, split = self.packs.untimed_codes, self.packs.timed_codes, self.packs.initial_time_codes
        for line in claim.lines:
            side = context.minutes.minutes(claim.claim_id, line.number) if context.minutes else None
            if line.procedure in split and (line.unit_basis == "MJ" or side is not None):
                yield self._split(claim, line, side, split[line.procedure])
                continue
            if line.procedure in untimed and (line.unit_basis == "MJ" or side is not None):
                given = "given minutes in the side file" if side is not None else "billed in minutes (MJ)"
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                              f"{line.procedure} is {given} but is untimed: untimed codes are billed once per date "
                              "of service; not converted", Severity.WARNING, None, UNTIMED_SOURCE)
            elif side is not None and line.procedure not in timed and line.procedure not in untimed:
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                              f"the minutes file gives {format_decimal(side)} minutes for {line.procedure}, which the "
                              "pack lists neither as timed nor as untimed: not converted; add the code to "
                              "timed_codes.toml if it is billed per 15 minutes", Severity.WARNING, None,
                              UNTIMED_SOURCE)

    def _split(self, claim: Claim, line: ServiceLine, side: Decimal | None, pair: tuple[str, str]) -> Finding:
        """An "initial / each additional" time code given minutes: what a person must bill instead."""
        initial, add_on = pair
        minutes = format_decimal(side if side is not None else line.units)
        given = "given minutes in the side file" if side is not None else "billed in minutes (MJ)"
        role = (f"{initial} is its first 15 minutes ('initial 15 minutes', 1 unit a day) and each further 15 "
                f"minutes is the add-on {add_on}" if line.procedure == initial else
                f"{add_on} is 'each additional 15 minutes' after the first 15, which are {initial} (1 unit a day)")
        return Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                       f"{line.procedure} is {given} ({minutes} minutes), but {role}: not converted (edi837 cannot add "
                       f"a line); bill {initial} x1 and {add_on} for the time past the first 15 minutes by hand",
                       Severity.WARNING, None, SPLIT_SOURCE)
