"""NC003: any other indicator-1 NCCI pair billed together: a review item on the column-2 line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from edi837.engine import Applicability, ClaimContext, Finding, Rule
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import NcciPair, RulePacks
from edi837.rules._claims import same_performer
from edi837.rules._medicare import payable_by_date
from edi837.rules._modifiers import modifier_finding, wanted_modifier
from edi837.rules.nc001 import CmtManualTherapy
from edi837.rules.nc002 import ManualTherapyTherapeuticActivities


class OtherPairs(Rule):
    """NC003 ncci-pair: any other NCCI pair of the pack with modifier indicator 1, billed together.

    What it does: when both codes of a pair from rules/ncci.toml (other than the CMT/97140 and
    97140/97530 pairs, which NC001 and NC002 handle) are on the claim on the same date of service for
    the same provider, it reports a review item; the suggested fix (the payer's distinct modifier on
    the column-2 code) is applied only with --apply-review.

    Why: a modifier bypasses an indicator-1 edit only when the documentation supports a distinct
    service, which the 837 does not show; guessing it is the audit risk OIG reports.

    Example: 97012 and 97140 on the same day: review item on 97140 (column 2), no change by default.

    Fix safety: review; applied only with --apply-review (a distinct service is a documentation fact).

    Source: NCCI PTP mechanics (CMS FAQ; MLN1783722 "Proper use of modifiers 59, XE, XP, XS and XU");
    each pair's own source in rules/ncci.toml.
    """

    code = "NC003"
    name = "ncci-pair"
    fix_safety = "review"
    tables = ("ncci",)
    indicator = 1

    def __init__(self, packs: RulePacks) -> None:
        super().__init__(packs)
        self.candidates = [p for p in packs.pairs if p.enabled and p.modifier_indicator == self.indicator]
        self.codes = frozenset(c for p in self.candidates for c in (p.column1, p.column2))

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        procedures = claim.procedures
        if len(self.codes.intersection(procedures)) < 2:
            return False
        return any(p.column1 in procedures and p.column2 in procedures for p in self.candidates)

    def pairs(self, context: ClaimContext) -> list[NcciPair]:
        """The pairs this rule checks for the claim in hand: for indicator 1, not the ones NC001 (CMT with
        manual therapy) and NC002 (its own pair) decide, read from their settings for this claim."""
        if self.indicator == 0:
            return self.candidates
        manual, manipulation = CmtManualTherapy(self.packs).codes(context)
        handled = frozenset(context.setting("NC002", "pair", ManualTherapyTherapeuticActivities.default_of("pair")))
        return [p for p in self.candidates if not (p.column1 in manipulation and p.column2 == manual)
                and frozenset((p.column1, p.column2)) != handled]

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        pairs = self.pairs(context)
        for day, lines in payable_by_date(self.packs, claim, context).items():
            codes = {line.procedure for line in lines}
            for pair in pairs:
                if pair.column1 not in codes or pair.column2 not in codes or not pair.active_on(day):
                    continue
                for line in lines:
                    if line.procedure != pair.column2:
                        continue
                    partners = [x for x in lines if x.procedure == pair.column1 and same_performer(claim, x, line)]
                    if partners:
                        yield from self._finding(claim, context, line, pair, day)

    def _finding(self, claim: Claim, context: ClaimContext, line: ServiceLine, pair: NcciPair,
                 day: date | None) -> Iterator[Finding]:
        source = pair.citation
        wanted = wanted_modifier(context, self.code)
        message = (f"{pair.column2} billed with {pair.column1} on {day} (NCCI {pair.label} indicator 1): the "
                   f"column-2 code is denied unless documentation supports a distinct service and {wanted} or "
                   "an X modifier says so")
        finding = modifier_finding(self.code, claim, line, wanted, context.profile, message, source,
                                   Applicability.REVIEW, approved=False)
        if finding is not None:
            yield finding
