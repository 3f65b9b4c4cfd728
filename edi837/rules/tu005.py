"""TU005: a line billed in units with 0 units is a review item."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.engine import ClaimContext, Finding, Rule, Severity
from edi837.model.claim import Claim


class ZeroUnits(Rule):
    """TU005 zero-units: a line billed in units (SV103 = UN) with 0 units.

    What it does: reports a review item for each line whose SV104 is 0 in units; it changes nothing.

    Why: a service line with no units bills nothing a payer can pay: clearinghouses reject it (Stedi
    rejects an SV1 unit count of 0 or less) and payers deny it. Whether the units were lost or the line
    should go is a person's call, so it is never removed or guessed.

    Example: `SV1*HC:97110*0*UN*0***1` -> review: "line 1 bills 0 units of 97110".

    Fix safety: review only.

    Source: Stedi claim edits (SV1 unit count must be greater than 0); 005010X222A1 SV104 service unit count.
    """

    code = "TU005"
    name = "zero-units"
    phase = 0

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        d = claim.delimiters
        return claim.may_contain(d.element + b"UN" + d.element + b"0")

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        for line in claim.all_lines:  # a unit count is the 837's, not the code set's: every qualifier
            if line.unit_basis == "UN" and line.units == 0 and line.sv1_index >= 0:
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                              f"line {line.number} bills 0 units of {line.procedure}: a line without units is "
                              "rejected or denied; bill the units performed, or remove the line", Severity.WARNING,
                              None, "Stedi claim edits (SV1 unit count must be greater than 0); 005010X222A1 SV104")
