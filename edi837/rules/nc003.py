"""NC003: any other indicator-1 NCCI pair billed together: a review item on the column-2 line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from edi837.engine import Applicability, ClaimContext, Finding, Rule, Severity
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import NcciPair, RulePacks
from edi837.rules._claims import hedge, same_performer, unit_procedures
from edi837.rules._medicare import payable_units
from edi837.rules._modifiers import modifier_finding, wanted_modifier
from edi837.rules.nc001 import CmtManualTherapy
from edi837.rules.nc002 import ManualTherapyTherapeuticActivities


class OtherPairs(Rule):
    """NC003 ncci-pair: any other NCCI edit with modifier indicator 1, both codes billed together.

    What it does: when both codes of an indicator-1 NCCI edit (other than the manipulation/97140 pairs, CMT
    and OMT, and 97140/97530, which NC001 and NC002 handle) are on the claim on the same date of service for
    the same provider (or the column-1 code is billed as a range of dates covering that date, or on another
    claim of the file for the same patient, payer and provider that date: the message then names that line
    and claim), it reports a review item on the column-2 line; the suggested fix (the payer's distinct
    modifier on the column-2 code) is applied only with --apply-review. The edits are the CMS
    practitioner PTP file's when an NCCI database is loaded (`edi-fix ncci import`: every pair of the
    claim's codes, the row in force on the date of service), else the pairs of packs/ncci.toml; a
    user pack's rows override either. The record cites the CMS file and version the edit came from. An
    office visit (E/M, modifiers.toml [evaluation]) as the column-2 code is never asked for 59 or an X
    modifier, whatever the edit says: beside manipulation that day (by the same provider) it is EM001's (25),
    and beside any other procedure it is a review item that says 25, without a fix (none when the visit
    carries 25).

    Why: a modifier bypasses an indicator-1 edit only when the documentation supports a distinct
    service, which the 837 does not show; guessing it is the audit risk OIG reports. 59 and the X modifiers
    are for procedures other than E/M; an office visit's own modifier is 25.

    Example: 97012 and 97140 on the same day: review item on 97140 (column 2), no change by default.

    Fix safety: review; applied only with --apply-review (a distinct service is a documentation fact).

    Source: NCCI PTP mechanics (CMS FAQ; MLN1783722 "Proper use of modifiers 59, XE, XP, XS and XU"); CPT
    modifier 59 ("procedures/services, other than E/M services") and modifier 25; the CMS practitioner PTP
    file loaded in the NCCI database, else each pair's own source in packs/ncci.toml; the unit of edit: CMS
    "Medicare NCCI Procedure to Procedure (PTP) Edits" (the two codes "for the same beneficiary on the same
    date of service").
    """

    code = "NC003"
    name = "ncci-pair"
    unit_of_edit = True  # pairs by patient, provider and date, across the file's claims (rules/_claims.py)
    fix_safety = "review"
    tables = ("ncci",)
    indicator = 1

    def __init__(self, packs: RulePacks) -> None:
        super().__init__(packs)
        self.cmt = CmtManualTherapy(packs)
        self._nc002_default = ManualTherapyTherapeuticActivities.default_of("pair")
        # handled() by the settings it is made of: the same few combinations (one per payer profile at most)
        # for every claim, so the sets are built once each. Keyed by the values, so never stale.
        self._handled: dict[tuple[str, tuple[str, ...], tuple[str, ...]], tuple[frozenset[str], frozenset[str]]] = {}

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return self.packs.pair_source.may_pair(unit_procedures(claim, context))

    def handled(self, context: ClaimContext) -> tuple[frozenset[str], frozenset[str]]:
        """(manipulation codes, the NC002 pair): for indicator 1, the manipulation/manual-therapy pairs and
        the NC002 pair are NC001's and NC002's to decide, read from their settings for this claim."""
        if self.indicator == 0:
            return frozenset(), frozenset()
        manual, manipulation = self.cmt.codes(context)
        key = (manual, manipulation, tuple(context.setting("NC002", "pair", self._nc002_default)))
        handled = self._handled.get(key)
        if handled is None:
            handled = self._handled[key] = (frozenset(f"{code}/{manual}" for code in manipulation), frozenset(key[2]))
        return handled

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        handled: tuple[frozenset[str], frozenset[str]] | None = None
        for unit in payable_units(self.packs, claim, context):
            day, lines = unit.day, unit.lines
            codes = {line.procedure for line in lines}
            for pair in self.packs.pair_source.pairs_among(codes, day):
                if pair.modifier_indicator != self.indicator:
                    continue
                handled = handled or self.handled(context)
                if pair.label in handled[0] or frozenset((pair.column1, pair.column2)) == handled[1]:
                    continue
                evaluation = self.indicator == 1 and self.packs.is_evaluation(pair.column2)
                manipulation = self.cmt.codes(context)[1]
                if evaluation and pair.column1 in manipulation:
                    continue  # an office visit beside manipulation: EM001's (25), never a 59 here
                for line in unit.home:
                    if line.procedure != pair.column2:
                        continue
                    if evaluation and any(x.procedure in manipulation and same_performer(claim, x, line)
                                          for x in lines):
                        continue  # that day's manipulation makes the visit EM001's: one request for 25
                    partners = [x for x in lines if x.procedure == pair.column1 and same_performer(claim, x, line)]
                    if not partners:
                        continue
                    for finding in (self._evaluation(claim, line, pair, day) if evaluation else
                                    self._finding(claim, context, line, pair, day, partners)):
                        yield hedge(finding, claim, line, partners)

    def _finding(self, claim: Claim, context: ClaimContext, line: ServiceLine, pair: NcciPair,
                 day: date | None, partners: list[ServiceLine]) -> Iterator[Finding]:
        source = pair.citation
        wanted = wanted_modifier(context, self.code)
        message = (f"{pair.column2} billed with {pair.column1} on {day} (NCCI {pair.label} indicator 1): the "
                   f"column-2 code is denied unless documentation supports a distinct service and {wanted} or "
                   "an X modifier says so")
        finding = modifier_finding(self.packs, self.code, claim, line, wanted, context.profile, message, source,
                                   Applicability.REVIEW, approved=False, partners=partners)
        if finding is not None:
            yield finding

    def _evaluation(self, claim: Claim, line: ServiceLine, pair: NcciPair, day: date | None) -> Iterator[Finding]:
        """An office visit (E/M) as column 2: paid beside the procedure only with 25, for a significant, separately
        identifiable visit; 59 and the X modifiers are for procedures other than E/M (CPT), so no fix is offered
        (25 asserts what only the visit note shows). Nothing when the visit already carries 25."""
        if "25" in line.modifiers:
            return
        yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                      f"{pair.column2} billed with {pair.column1} on {day} (NCCI {pair.label} indicator 1): an office "
                      "visit (E/M) beside a procedure is paid only with 25, for a significant, separately identifiable "
                      "visit as its note must show, never 59 or an X modifier (those are for procedures other than "
                      "E/M); check the note and append 25 by hand, or remove the visit", Severity.WARNING, None,
                      f"{pair.citation}; CPT modifiers 25 and 59 (59: 'procedures/services, other than E/M "
                      "services', CMS MLN1783722)")
