"""The base of the checks that read timed lines billed in units (TU003, TU004)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from edi837.engine import ClaimContext, Rule
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.rules._claims import lines_by_date


class TimedUnitsCheck(Rule):
    """Shared by the checks that read timed lines billed in units (TU003, TU004). They run after TU001
    (same phase, later code), so lines it converted from minutes are counted with their new units."""

    abstract = True
    phase = 0
    tables = ("timed_codes",)

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return not self.packs.timed_codes.isdisjoint(claim.procedures)

    def timed_in_units(self, claim: Claim) -> Iterator[tuple[date | None, list[ServiceLine]]]:
        """Per date of service, the timed lines billed in units (after TU001 has converted minutes)."""
        for day, lines in lines_by_date(claim).items():
            timed = [x for x in lines if x.procedure in self.packs.timed_codes and x.unit_basis == "UN"]
            if timed:
                yield day, timed
