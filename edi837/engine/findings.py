"""What a rule returns: findings, each with an optional fix (a list of edits) and its applicability.

Modelled on ruff's diagnostics: a fix is `safe` when the claim itself proves it (applied by default) or
`review` when it rests on something the 837 cannot show (shown, and applied only when the user asks or
the pack approves it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from edi837.writer.edits import Edit


class Applicability(StrEnum):
    SAFE = "safe"
    REVIEW = "review"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Fix:
    edits: tuple[Edit, ...]
    applicability: Applicability
    approved: bool = False  # a review fix the pack says to apply (the practice attests to it)


@dataclass(frozen=True)
class Finding:
    rule: str
    claim_id: str
    lines: tuple[int, ...]
    procedure: str | None
    message: str
    severity: Severity = Severity.WARNING
    fix: Fix | None = None
    source: str | None = None
