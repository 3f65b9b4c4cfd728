"""What a run gives back (FixResult): counts, records, the split's amounts, the output when in memory.

The exit code of every entry point is read from here (`exit_code`), so the CLI, the hook, the watcher and
the batch agree about what needs a person.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from edi837.engine.records import ChangeRecord
from edi837.exits import ExitCode
from edi837.gate.pyx12_gate import ValidationIssue
from edi837.model.summary import ClaimSummary
from edi837.pipeline.options import Sinks
from edi837.writer.diff import SegmentDiff

REVIEW_SAMPLE = 200  # review items a result keeps for the summary when records are streamed
LEFT_ALONE_SAMPLE = 20  # claim ids a result keeps per reason a claim was left alone


@dataclass
class FixResult:
    records: list[ChangeRecord] = field(default_factory=list)  # all of them, when FixOptions.keep_records
    counts: Counter[tuple[str, bool]] = field(default_factory=Counter)  # (rule, applied) -> records
    review_sample: list[ChangeRecord] = field(default_factory=list)  # the first REVIEW_SAMPLE review items
    warnings: list[ValidationIssue] = field(default_factory=list)
    diff: list[SegmentDiff] = field(default_factory=list)
    changed_claims: int = 0
    # Claims no rule looked at, by reason ("void": CLM05-3 = 8, which must mirror the claim it cancels;
    # "frequency": a frequency code the 837P does not use), with the first LEFT_ALONE_SAMPLE claim ids.
    left_alone: dict[str, list[str]] = field(default_factory=dict)
    left_alone_counts: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)  # claims a rule noted something for, by note
    claims: int = 0
    lines: int = 0
    transactions: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    validated: bool = False
    seconds: float = 0.0
    jobs: int = 1  # processes that ran the rules' chunks (engine/farm.py); the output is the same bytes whatever it is
    output: bytes | None = None
    # The split (FixOptions.hold): claims held and why, claims delivered, dollars (CLM02) in and out.
    hold: frozenset[str] = frozenset()
    held: list[ClaimSummary] = field(default_factory=list)
    delivered_claims: int = 0
    amount_in: Decimal = Decimal(0)
    amount_delivered: Decimal = Decimal(0)  # CLM02 of the delivered claims, after their fixes
    amount_held: Decimal = Decimal(0)  # CLM02 of the held claims, as they arrived
    bytes_held: int = 0
    held_output: bytes | None = None
    acknowledged_count: int = 0  # review items a person acknowledged (ChangeRecord.acknowledged): not counted
    claim_summaries: list[ClaimSummary] = field(default_factory=list)  # claims with records or held (keep_records)

    @property
    def changed(self) -> bool:
        return self.changed_claims > 0

    @property
    def applied(self) -> list[ChangeRecord]:
        return [r for r in self.records if r.applied]

    @property
    def review(self) -> list[ChangeRecord]:
        return [r for r in self.records if not r.applied and r.acknowledged is None]

    @property
    def applied_count(self) -> int:
        return sum(n for (_, applied), n in self.counts.items() if applied)

    @property
    def review_count(self) -> int:
        return sum(n for (_, applied), n in self.counts.items() if not applied)

    def add(self, record: ChangeRecord, sinks: Sinks) -> None:
        if record.acknowledged is not None:  # a person said it is right as billed: no one's work any more
            self.acknowledged_count += 1
        else:
            self.counts[record.rule, record.applied] += 1
            if not record.applied and len(self.review_sample) < REVIEW_SAMPLE:
                self.review_sample.append(record)
        if sinks.keep_records:
            self.records.append(record)
        if sinks.record_sink is not None:
            sinks.record_sink(record)

    @property
    def held_claims(self) -> int:
        return len(self.held)

    @property
    def nothing_delivered(self) -> bool:
        """A split with no claim left to deliver: no output at all (a file without claims is not split)."""
        return bool(self.hold) and not self.delivered_claims

    @property
    def amount_out(self) -> Decimal:
        """CLM02 over both files: the delivered claims after their fixes plus the held ones as they arrived."""
        return self.amount_delivered + self.amount_held

    @property
    def exit_code(self) -> ExitCode:
        """OK: nothing needs a person; NEEDS_PERSON: review items or validation warnings remain, or claims
        were held."""
        return ExitCode.NEEDS_PERSON if self.review_count or self.warnings or self.held else ExitCode.OK
