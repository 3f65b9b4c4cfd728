"""NC004: an indicator-0 NCCI pair billed together: no modifier can bypass it, an error for a person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from edi837.engine import ClaimContext, Finding, Severity
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.packs import NcciPair
from edi837.rules.nc003 import OtherPairs


class BlockedPairs(OtherPairs):
    """NC004 ncci-pair-blocked: two codes of an indicator-0 NCCI pair billed together.

    What it does: when both codes of an indicator-0 NCCI edit are on the claim on the same date of
    service for the same provider (or the column-1 code is billed as a range of dates covering it, or on
    another claim of the file for the same patient, payer and provider that date, which the message
    names), it reports an error-severity finding on the column-2 line ("cannot be billed together, no
    modifier bypasses this edit"); it never adds a modifier. The edits are the CMS
    practitioner PTP file's when an NCCI database is loaded (the row in force on the date of service),
    else the pairs of packs/ncci.toml; a user pack's rows override either.

    Why: with modifier indicator 0 no modifier can bypass the edit: the column-2 code will be denied
    whatever the claim says; a person must remove it (billing it on another claim does not escape the
    edit: NCCI pairs one patient's services of a date by one provider, whatever claim carries them).

    Example: a pack pair 97530/97161 with indicator 0 (the 2020-01-01 evaluation edits): both on one
    day -> error on 97161, no change.

    Fix safety: none; no change can make the pair payable.

    Source: NCCI modifier indicator definitions (medlearn.com; MLN Feb 2024); the CMS practitioner PTP file
    loaded in the NCCI database, else each pair's own source in packs/ncci.toml; the unit of edit: CMS
    "Medicare NCCI Procedure to Procedure (PTP) Edits" (the two codes "for the same beneficiary on the same
    date of service").
    """

    code = "NC004"
    name = "ncci-pair-blocked"
    fix_safety = "none"
    indicator = 0

    def _finding(self, claim: Claim, context: ClaimContext, line: ServiceLine, pair: NcciPair,
                 day: date | None, partners: list[ServiceLine]) -> Iterator[Finding]:
        source = pair.citation
        yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                      f"{pair.column2} billed with {pair.column1} on {day}: NCCI {pair.label} has modifier "
                      "indicator 0: the two cannot be billed together and no modifier bypasses this edit; the "
                      "column-2 code will be denied",
                      Severity.ERROR, None, source)
