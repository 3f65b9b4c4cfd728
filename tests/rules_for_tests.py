"""Scripted rules for tests of the machinery (not billing rules): they ask for exactly the edits given."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from edi837.engine import Applicability, ClaimContext, Finding, Fix
from edi837.model.claim import Claim
from edi837.writer.edits import Edit


@dataclass
class ScriptedRule:
    """Asks for the given edits on the claims named by CLM01."""

    edits: dict[str, tuple[Edit, ...]]
    code: str = "TST001"
    name: str = "scripted"
    applicability: Applicability = Applicability.SAFE

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return True

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        if claim.claim_id in self.edits:
            yield Finding(self.code, claim.claim_id, (), None, "scripted edit",
                          fix=Fix(self.edits[claim.claim_id], self.applicability))
