"""EDI001-EDI003: the records the engine and the pipeline write themselves, declared like any rule.

They are not selected and never run as rules (no check of their own): the engine writes EDI001 when it
recomputes a claim total and EDI002 for a claim frequency code the 837P does not use; the hold policy
(pipeline/hold.py) writes EDI003 for each held claim. Declared here as Rule classes so that their codes,
names, documentation and sources live in one place, `edi-fix rule EDI003` documents them like any rule, and
the packs accept a [rules.EDIxxx] table as for any rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from edi837.engine.rule import Rule

if TYPE_CHECKING:
    from edi837.engine.context import ClaimContext
    from edi837.engine.findings import Finding
    from edi837.model.claim import Claim

CLAIM_TOTAL_SOURCE = "005010X222A1 2300 CLM02: total claim charge equals the sum of 2400 SV102"
FREQUENCY_SOURCE = ("NUBC bill type frequency codes for use in the 837 Professional (1 original, 7 replacement of "
                    "prior claim, 8 void/cancel of prior claim); X12 RFI 1538 (REF*F8 on replacements and voids)")
HOLD_SOURCE = ("edi837 hold policy (--hold review: unapplied review items; --hold invalid: validation errors and "
               "error-severity findings)")


class EngineRecord(Rule):
    """The base of EDI001-EDI003: always written where they apply, never selected, never run as a rule."""

    abstract = True

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return False

    def check(self, claim: Claim, context: ClaimContext) -> Iterable[Finding]:
        return ()


class ClaimTotal(EngineRecord):
    """EDI001 claim-total: CLM02 recomputed as the sum of the claim's SV102 line charges.

    What it does: whenever a fix changes a line's charge (SV102) or removes a line, the engine recomputes the
    claim's total charge (CLM02) as the sum of its lines' SV102 and writes one record with the CLM segment
    before and after (SE01 is recounted too when the transaction's segment count changed).

    Why: the implementation guide requires the claim total to equal the sum of the line charges; a claim whose
    total does not balance is rejected by the clearinghouse or the payer, whatever the fix that unbalanced it.

    Example: TU001 removes a 97140 line of $40 (7 minutes, under 8) from a claim billed $116: CLM*WK10-005*116
    becomes CLM*WK10-005*76.

    Fix safety: safe: always applied with the change that unbalanced the claim; it cannot be selected or
    ignored.

    Source: 005010X222A1 2300 CLM02: total claim charge equals the sum of 2400 SV102.
    """

    code = "EDI001"
    name = "claim-total"
    fix_safety = "safe"


class ClaimFrequency(EngineRecord):
    """EDI002 claim-frequency: a claim frequency code the 837P does not use; no rule changes the claim.

    What it does: reads the claim frequency code (CLM05-3). 1 (original) and 7 (replacement) are fixed like any
    claim; 8 (void) is left alone without a record (the summary counts it); any other code gets one review
    record and no rule changes the claim.

    Why: the 837P uses 1, 7 and 8 only, and clearinghouses reject any other code. A void must mirror the claim
    it cancels, so a fix to it would make it cancel nothing; a claim of unknown kind may be either.

    Example: CLM*FREQ-6*85***11:B:6 (frequency 6): a review item "CLM05-3 claim frequency code is 6; the 837P
    uses 1 (original), 7 (replacement) and 8 (void)", the claim unchanged.

    Fix safety: none: reports only; always written, it cannot be selected or ignored.

    Source: NUBC bill type frequency codes for use in the 837 Professional (1 original, 7 replacement of prior
    claim, 8 void/cancel of prior claim); X12 RFI 1538 (REF*F8 on replacements and voids).
    """

    code = "EDI002"
    name = "claim-frequency"


class HeldClaim(EngineRecord):
    """EDI003 held-claim: a claim held for a person by the hold policy, and why.

    What it does: with a hold policy (`--hold review`, `--hold invalid`; the watcher holds both by default),
    each claim set aside into the held file gets one review record with the reasons and the held file's name;
    the claim's own fixes are marked not applied, because the held file has the claim as it arrived.

    Why: a person must see the claim before it goes; without a record of where it went and why, a held claim
    would look like a lost one in the audit trail.

    Example: `--hold review` on a claim whose NC001 finding is a review item: "claim held for a person, as it
    arrived, in OUT.held.837: review: NC001 line 2".

    Fix safety: none: a record of the hold policy, written for every held claim.

    Source: edi837 hold policy (--hold review: unapplied review items; --hold invalid: validation errors and
    error-severity findings).
    """

    code = "EDI003"
    name = "held-claim"


ENGINE_RULES: tuple[type[EngineRecord], ...] = (ClaimTotal, ClaimFrequency, HeldClaim)
CLAIM_TOTAL_RULE, FREQUENCY_RULE, HOLD_RULE = (rule.code for rule in ENGINE_RULES)

__all__ = ["CLAIM_TOTAL_RULE", "CLAIM_TOTAL_SOURCE", "ENGINE_RULES", "FREQUENCY_RULE", "FREQUENCY_SOURCE",
           "HOLD_RULE", "HOLD_SOURCE", "ClaimFrequency", "ClaimTotal", "EngineRecord", "HeldClaim"]
