"""LC001: a delivered line without a REF*6R line item control number, for a practice that requires one."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.engine import ClaimContext, Finding, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.model.loops import line_control

SOURCE = ("ASC X12N 005010X222A1 (837P), loop 2400 REF*6R Line Item Control Number: situational, required when "
          "the submitter wants the payer to return it on the 835; ASC X12N 005010X221A1 (835), loop 2110 REF*6R "
          "returns it when it was sent")


class LineControlNumber(Rule):
    """LC001 line-control-number: a service line without REF*6R, for a practice that matches remittances by it.

    What it does: with `require_line_control = true` (a pack's config.toml, or a payer profile's [rules.LC001]
    for one payer), every service line of a claim (a void excepted) that carries no 2400 REF*6R line item
    control number is a review item naming the line. It changes nothing. With the default (false) it asks
    nothing.

    Why: an 835 names the line it answers by the REF*6R the 837 sent; `edi-fix remit` matches a line without
    one by its code, date and charge, which cannot tell two identical lines of a claim apart, nor a line whose
    charge the payer changed. Their outcomes are then credited to no rule. Only the practice management system
    can number its lines, so a practice that relies on the payer loop wants to know which lines go out without
    one. Why off by default: REF*6R is situational in the guide (nothing is wrong with a claim without it),
    most practice systems send none, and a review item on every line of every claim would bury the items that
    need a person. A practice turns it on once its system writes the numbers, for every payer or per payer.

    Example: with `[rules.LC001] require_line_control = true`, `LX*2~SV1*HC:97140*40*UN*1***2~DTP*472*D8*
    20260302~` (no REF*6R) -> review: "line 2 (97140) carries no REF*6R line item control number ...".

    Fix safety: none: a review item, never a fix (the number is the practice system's to assign).

    Source: ASC X12N 005010X222A1, loop 2400 REF*6R (situational: required when the submitter wants the payer
    to return it on the 835); 005010X221A1, loop 2110 REF*6R (the payer returns it).
    """

    code = "LC001"
    name = "line-control-number"
    fix_safety = "none"
    settings = (
        Setting("require_line_control", "bool", False,
                "true: every delivered service line must carry a REF*6R line item control number (review item)"),
    )

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return bool(self.setting(context, "require_line_control")) and not claim.is_void

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        element = claim.delimiters.element
        for line in claim.lines:
            if line_control(claim.pieces, line, element) is None:
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                              f"line {line.number} ({line.procedure}) carries no REF*6R line item control number: "
                              "an 835 can then name it only by code, date and charge, which two identical lines "
                              "defeat; have the practice system number its lines (2400 REF*6R)",
                              Severity.WARNING, None, SOURCE)
