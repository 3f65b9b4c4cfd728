"""How rules group a claim's lines: by date of service, and by who performed them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine


def lines_by_date(claim: Claim) -> dict[date | None, list[ServiceLine]]:
    days: dict[date | None, list[ServiceLine]] = defaultdict(list)
    for line in claim.lines:
        days[line.service_date].append(line)
    return days


def performer_key(claim: Claim, line: ServiceLine) -> str | None:
    """Who performed a line, as a key two lines can be compared by: NCCI pairs one provider's services.

    The NPI of its 2420A, else the claim's 2310B, else the billing provider, whatever order the provider
    loops came in (a 2310A referring provider before 2310B changes nothing). A claim-level 2310B without
    an NPI is still one provider for every line it covers; a line's own 2420A without an NPI cannot be
    told apart from anyone: None (unknown).
    """
    provider = claim.performer(line)
    if provider.npi:
        return provider.npi
    return None if provider.loop.startswith("2420") else provider.loop


def same_performer(claim: Claim, a: ServiceLine, b: ServiceLine) -> bool | None:
    """True or False when both performers are known; None when either is not (a 2420A without an NPI)."""
    if a is b:
        return True
    key_a, key_b = performer_key(claim, a), performer_key(claim, b)
    return None if key_a is None or key_b is None else key_a == key_b
