"""An example edi837 rule plugin: an office visit billed beside chiropractic manipulation needs modifier 25.

Install it next to edi837 (`pip install examples/plugin`) and `edi-fix` runs it like a built-in rule;
`--ignore PX` switches it off. It only reports (no fix): whether the visit was a significant, separately
identifiable service is in the documentation, not in the 837.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from edi837.engine import ClaimContext, Finding, Severity
from edi837.model.claim import Claim

EVALUATION = tuple(f"992{n:02d}" for n in range(2, 16))  # 99202-99215
MANIPULATION = ("98940", "98941", "98942")


class EvaluationWithManipulation:
    """PX001 em-with-cmt-needs-25: an E/M (99202-99215) on the same date as CMT without modifier 25.

    Why: CMT includes a pre-manipulation assessment; a separate E/M is paid only with modifier 25 for a
    significant, separately identifiable service (bcbsnd.com chiropractic policy; research/billing-rules.md §5).
    """

    code = "PX001"
    name = "em-with-cmt-needs-25"

    def __init__(self, packs: Any) -> None:
        self.packs = packs

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return any(claim.may_bill(c) for c in MANIPULATION) and any(claim.may_bill(c) for c in EVALUATION)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        days = {line.service_date for line in claim.lines if line.procedure in MANIPULATION}
        for line in claim.lines:
            if line.procedure in EVALUATION and line.service_date in days and "25" not in line.modifiers:
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                              f"{line.procedure} billed with CMT on {line.service_date} without modifier 25: "
                              "add 25 only if the visit was significant and separately documented",
                              Severity.WARNING, None, "CPT/payer policy on E/M with CMT (modifier 25)")
