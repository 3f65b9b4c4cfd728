"""The claims an 835 is matched against, taken from the claims ledger: the one adapter between the two.

Why an adapter and not the ledger's type in the matcher: the ledger's `queries.DeliveredClaim` is a row of
a run (run id, when it was committed, the patient digest, the charge) and keys a line's findings by LX01 as
read; matching needs only ids, codes, amounts and dates, with findings keyed by the line's delivered
position, and tests build those values by hand (edi837.testing.remits) without a ledger. This module is the
only place that turns one into the other.

Which delivery: a claim id sent several times (a correction, a run over the same file) is matched to its
latest committed delivery, the one the payer most recently received; `delivered_claims` yields them in run
order, so the last one wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date

from edi837.ledger import queries
from edi837.ledger.store import Ledger
from edi837.remit.match import DeliveredClaim, DeliveredLine, Finding

Delivered = Callable[[Iterable[str]], Mapping[str, DeliveredClaim]]


def from_ledger(claim: queries.DeliveredClaim) -> DeliveredClaim:
    """The matcher's view of one delivery the ledger recorded."""
    lines = tuple(DeliveredLine(line.position, str(line.number), line.control, line.procedure, line.modifiers,
                                line.units, line.charge, _day(line.date_from)) for line in claim.lines)
    findings = [Finding(f.rule, f.action, f.applied) for f in claim.findings]
    findings += [Finding(f.rule, f.action, f.applied, line.position) for line in claim.lines for f in line.findings]
    return DeliveredClaim(claim.claim_id, claim.payer_id, lines, tuple(findings), claim.row)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def ledger_deliveries(ledger: Ledger) -> Delivered:
    """A lookup for `remit`: claim ids -> the latest committed delivery of each that the ledger holds."""

    def lookup(claim_ids: Iterable[str]) -> dict[str, DeliveredClaim]:
        found: dict[str, DeliveredClaim] = {}
        for claim_id in dict.fromkeys(claim_ids):
            for claim in queries.delivered_claims(ledger, claim_id=claim_id):
                found[claim_id] = from_ledger(claim)
        return found

    return lookup
