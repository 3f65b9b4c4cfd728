"""Shared scenarios for the remittance tests: generated claims and the payer's chosen answers."""

from __future__ import annotations

from datetime import date

from edi837.testing.specs import ClaimSpec, LineSpec

DAY = date(2026, 3, 2)


def chiro(claim_id: str, modifier: str = "59", payer: str = "SX123", day: date = DAY) -> ClaimSpec:
    """CMT plus 97140 with a distinct-procedure modifier: the NC001 shape."""
    return ClaimSpec(claim_id, ("M9901", "M9903"), (
        LineSpec("98941", "55.00", service_date=day, pointers=(1, 2)),
        LineSpec("97140", "40.00", modifiers=(modifier,), service_date=day, pointers=(2,)),
    ), payer_id=payer)
