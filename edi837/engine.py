"""Rule engine: runs rules on each claim, applies the fixes it may, and turns findings into records.

Rules are small named units with a stable code (like ruff's): each reads a claim and its pack data
and returns findings; a finding may carry a fix (a list of edits) with an applicability. `safe`
fixes are applied by default because the claim itself proves them right; `review` fixes are shown
and applied only when the user asks (`--apply-review`) or their pack says so. Rules never touch
bytes: the engine hands their edits to the ClaimEditor.

Collisions: fixes are applied in rule-code order, then line order. A fix whose edit the editor
rejects (a second rule adding a modifier the first already added, a fifth modifier) is not applied;
its finding is logged as a review item saying why, so nothing is silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from edi837.changelog import ChangeRecord
from edi837.edits import ClaimEditor, Edit, EditRejected, SegmentChange
from edi837.envelope import Delimiters
from edi837.loops import Claim


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


class Rule(Protocol):
    """What the engine needs of a rule: a stable code, a name, and a check."""

    code: str
    name: str

    def check(self, claim: Claim) -> Iterable[Finding]: ...


@dataclass
class ClaimOutcome:
    pieces: list[bytes] | None  # None: the claim is unchanged
    records: list[ChangeRecord] = field(default_factory=list)
    changes: list[SegmentChange] = field(default_factory=list)


class RuleEngine:
    """Holds the selected rules and applies them claim by claim."""

    def __init__(
        self,
        rules: Sequence[Rule],
        delimiters: Delimiters,
        *,
        apply_review: bool = False,
        modifier_rank: Callable[[str], int] | None = None,
    ) -> None:
        self.rules = sorted(rules, key=lambda r: r.code)
        self.delimiters = delimiters
        self.apply_review = apply_review
        self.modifier_rank = modifier_rank

    def run(self, claim: Claim) -> ClaimOutcome:
        if not self.rules:
            return ClaimOutcome(None)
        editor: ClaimEditor | None = None
        records: list[ChangeRecord] = []
        for rule in self.rules:
            for finding in rule.check(claim):
                if finding.fix is None or not self._may_apply(finding.fix):
                    records.append(self._record(claim, finding, None, applied=False))
                    continue
                if editor is None:
                    editor = ClaimEditor(claim, self.delimiters, self.modifier_rank)
                applied = self._apply(editor, claim, finding, records)
                if not applied:
                    continue
        if editor is None:
            return ClaimOutcome(None, records)
        pieces = editor.finish()
        if any(c.action == "renumber_line" for c in editor.changes):
            # LX renumbering is a consequence of a removal; it is told on the removal's record so the
            # log's action values stay those of the contract.
            records = [
                replace(r, message=f"{r.message}; LX01 of the following lines renumbered")
                if r.action == "remove_line" and r.applied else r
                for r in records
            ]
        for change in editor.changes:
            if change.action == "set_claim_total":
                records.append(self._total_record(claim, change))
        return ClaimOutcome(pieces if editor.changes else None, records, editor.changes)

    def _may_apply(self, fix: Fix) -> bool:
        return fix.applicability is Applicability.SAFE or self.apply_review

    def _apply(self, editor: ClaimEditor, claim: Claim, finding: Finding, records: list[ChangeRecord]) -> bool:
        assert finding.fix is not None
        point = editor.checkpoint()
        start = len(editor.changes)
        try:
            for edit in finding.fix.edits:
                editor.apply(edit)
        except EditRejected as why:
            # A fix applies whole or not at all.
            editor.rollback(point)
            records.append(self._record(claim, finding, None, applied=False, note=f"not applied: {why}"))
            return False
        for change in editor.changes[start:]:
            records.append(self._record(claim, finding, change, applied=True))
        return True

    def _record(self, claim: Claim, finding: Finding, change: SegmentChange | None, *, applied: bool,
                note: str | None = None) -> ChangeRecord:
        line = change.line if change else (finding.lines[0] if finding.lines else None)
        message = finding.message if note is None else f"{finding.message} ({note})"
        return ChangeRecord(
            claim_id=claim.claim_id,
            line_number=line,
            procedure=change.procedure if change else finding.procedure,
            rule=finding.rule,
            action=change.action if change else "review",
            segment_before=change.before if change else None,
            segment_after=change.after if change else None,
            applied=applied,
            message=message,
            severity=str(finding.severity),
            applicability=str(finding.fix.applicability) if finding.fix else None,
            source=finding.source,
            transaction=claim.transaction.control_number,
        )

    def _total_record(self, claim: Claim, change: SegmentChange) -> ChangeRecord:
        message = "CLM02 recomputed as the sum of the claim's SV102 line charges"
        return ChangeRecord(
            claim_id=claim.claim_id,
            line_number=change.line,
            procedure=change.procedure,
            rule="EDI001",
            action=change.action,
            segment_before=change.before,
            segment_after=change.after,
            applied=True,
            message=message,
            severity="info",
            applicability="safe",
            source="005010X222A1 2300 CLM02: total claim charge equals the sum of 2400 SV102",
            transaction=claim.transaction.control_number,
        )
