"""An example edi837 rule plugin: the same service entered twice on one date of service.

Install it next to edi837 (`pip install examples/plugin`) and `edi-fix` runs it like a built-in rule;
`--ignore PX` switches it off, and `edi-fix rule PX001` prints its documentation. It only reports (no
fix): whether the second line is a double entry or a second, separately documented service is in the
record. Its cases are in `tests/PX001.toml`, run with `edi837.testing.cases` like the built-in ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from edi837.engine import ClaimContext, Finding, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine


class DuplicateLine(Rule):
    """PX001 duplicate-line: the same code, modifiers and units on two lines of one date of service.

    What it does: reports a review item on the second (and any later) line that repeats an earlier line's
    procedure code, modifiers and units on the same date of service, for codes billed once a visit (the
    `once_per_visit` setting; timed codes split into time blocks are TU001's business).

    Why: a double entry bills a service twice; payers deny the duplicate and some flag the practice.

    Example: two `SV1*HC:99213*95*UN*1***1` lines on 2026-03-02 -> review on the second.

    Fix safety: none; a person decides whether the second line is a double entry.

    Source: the practice's own charge-entry checks (an example plugin, not a payer rule).
    """

    code = "PX001"
    name = "duplicate-line"
    settings = (
        Setting("once_per_visit", "codes", ["99213", "99214", "98940", "98941", "98942"],
                "codes billed once a visit"),
    )

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return claim.line_count > 1 and any(claim.may_bill(c) for c in self.setting(context, "once_per_visit"))

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        codes = set(self.setting(context, "once_per_visit"))
        seen: dict[tuple[date | None, str, tuple[str, ...], str], ServiceLine] = {}
        repeats: dict[int, ServiceLine] = {}
        for line in claim.lines:
            if line.procedure not in codes:
                continue
            key = (line.service_date, line.procedure, line.modifiers, str(line.units))
            first = seen.setdefault(key, line)
            if first is not line:
                repeats[line.number] = first
        for number, first in repeats.items():
            yield Finding(self.code, claim.claim_id, (number,), first.procedure,
                          f"line {number} repeats line {first.number} ({first.procedure}, same date, modifiers and "
                          "units): a double entry, or a second service the record must show", Severity.WARNING)
