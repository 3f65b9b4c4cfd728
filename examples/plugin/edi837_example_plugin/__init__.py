"""An example edi837 rule plugin: an office visit billed beside chiropractic manipulation needs modifier 25.

Install it next to edi837 (`pip install examples/plugin`) and `edi-fix` runs it like a built-in rule;
`--ignore PX` switches it off, and `edi-fix rule PX001` prints its documentation. It only reports (no
fix): whether the visit was a significant, separately identifiable service is in the documentation, not
in the 837. Its cases are in `tests/PX001.toml`, run with `edi837.testing.cases` like the built-in ones.
"""

from __future__ import annotations

from collections.abc import Iterator

from edi837.engine import ClaimContext, Finding, Rule, Setting, Severity
from edi837.model.claim import Claim


class EvaluationWithManipulation(Rule):
    """PX001 em-with-cmt-needs-25: an E/M (99202-99215) on the same date as CMT without modifier 25.

    What it does: reports a review item on each office visit (E/M) billed on a date of service that also
    has chiropractic manipulation, when the visit does not carry modifier 25.

    Why: CMT includes a pre-manipulation assessment; a separate E/M is paid only with modifier 25 for a
    significant, separately identifiable service.

    Example: `SV1*HC:99213*95*UN*1***1` beside `SV1*HC:98940*45*UN*1***1` on one date -> review.

    Fix safety: none; 25 asserts something only the visit note shows.

    Source: CPT guidelines on E/M with CMT; bcbsnd.com chiropractic reimbursement policy.
    """

    code = "PX001"
    name = "em-with-cmt-needs-25"
    settings = (
        Setting("manipulation", "codes", ["98940", "98941", "98942"], "the manipulation codes"),
    )

    evaluation = tuple(f"992{n:02d}" for n in range(2, 16))  # 99202-99215

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        manipulation = self.setting(context, "manipulation")
        return any(claim.may_bill(c) for c in manipulation) and any(claim.may_bill(c) for c in self.evaluation)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        manipulation = self.setting(context, "manipulation")
        days = {line.service_date for line in claim.lines if line.procedure in manipulation}
        for line in claim.lines:
            if line.procedure in self.evaluation and line.service_date in days and "25" not in line.modifiers:
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                              f"{line.procedure} billed with CMT on {line.service_date} without modifier 25: "
                              "add 25 only if the visit was significant and separately documented",
                              Severity.WARNING, None, "CPT/payer policy on E/M with CMT (modifier 25)")
