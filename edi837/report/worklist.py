"""What the report counts: each claim's status, its items for a person, its dollars at risk.

The billing office reads the report as its worklist, so its numbers must be the work: a safe fix withheld
because its claim was held is not an item for review (the claim is held: that is the work, counted once);
an item a person acknowledged as right as billed needs no one again; the records one finding wrote (two
modifiers appended for one reason) are one item. Every number of the report is computed here, from the
run's records and claim summaries, so the page and its tests read one definition.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal

from edi837.engine.engine_rules import HOLD_RULE
from edi837.engine.records import ChangeRecord
from edi837.model.summary import ClaimSummary, LineSummary
from edi837.pipeline import FixResult

DELIVERED, HELD, REVIEW, UNCHANGED = "delivered", "held", "review", "unchanged"
GY = "GY"  # Medicare: "item or service statutorily excluded"; a line that gains it is expected to be denied


def is_review_item(record: ChangeRecord) -> bool:
    """A finding a person must judge: a review action not applied, not yet acknowledged, not the hold record."""
    return (not record.applied and record.action == "review" and record.rule != HOLD_RULE
            and record.acknowledged is None)


def is_withheld(record: ChangeRecord) -> bool:
    """A safe fix not applied because its claim is held (the held file keeps the claim as it arrived)."""
    return not record.applied and record.action != "review"


def unique(records: list[ChangeRecord]) -> list[ChangeRecord]:
    """One record per finding: a rule that appends two modifiers for one reason (MC002: GY, then GP) writes
    one change-log record per edit with the same message; a person reads it once (the line's before and
    after show both modifiers). Same line, rule, action, message and applied state: the first is kept."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for r in records:
        # an applied finding of several edits says which one each record is (engine/runner.py): one item here
        message = _ONE_STEP.sub("", r.message)
        key = (r.line_number, r.rule, r.action, message, r.applied)
        if key not in seen:
            seen.add(key)
            out.append(r if message == r.message else replace(r, message=message))
    return out


_ONE_STEP = re.compile(r" \(this record: [^()]*\)")


@dataclass
class ClaimView:
    """One claim as the report shows it."""

    summary: ClaimSummary
    records: list[ChangeRecord]
    status: str
    items: list[ChangeRecord]  # review items (not acknowledged)
    withheld: list[ChangeRecord]
    acknowledged: list[ChangeRecord]
    gy_dollars: Decimal  # charges of the lines that carry GY after the fixes and did not before

    @property
    def at_risk(self) -> Decimal:
        """Dollars a person's decision stands between: the claim's CLM02 when held or with items for review
        (as it arrived when held, as delivered otherwise), plus lines that now carry GY."""
        s = self.summary
        if self.status == HELD:
            return s.amount_before or Decimal(0)
        if self.status == REVIEW:
            return (s.amount_after if s.amount_after is not None else s.amount_before) or Decimal(0)
        return self.gy_dollars


def _gy_dollars(summary: ClaimSummary) -> Decimal:
    if summary.lines_after is None:
        return Decimal(0)
    before = {x.number: x for x in summary.lines}
    return sum((x.charge for x in summary.lines_after
                if GY in x.modifiers and GY not in _modifiers(before.get(x.number))), Decimal(0))


def _modifiers(line: LineSummary | None) -> tuple[str, ...]:
    return line.modifiers if line is not None else ()


def view(summary: ClaimSummary, records: list[ChangeRecord]) -> ClaimView:
    mine = unique(records)
    items = [r for r in mine if is_review_item(r)]
    status = (HELD if summary.held else REVIEW if items else
              DELIVERED if any(r.applied or r.acknowledged is not None for r in mine) else UNCHANGED)
    return ClaimView(summary, mine, status, items, [r for r in mine if is_withheld(r)],
                     [r for r in mine if r.acknowledged is not None], _gy_dollars(summary))


@dataclass
class Worklist:
    """The run's claims by what they need, and the totals the report prints."""

    people: list[ClaimView] = field(default_factory=list)  # held or with items for review, most dollars first
    delivered: list[ClaimView] = field(default_factory=list)  # fixed and delivered, nothing to judge
    unchanged: list[ClaimView] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    review_items: int = 0
    withheld: int = 0
    acknowledged: int = 0
    held_dollars: Decimal = Decimal(0)
    review_dollars: Decimal = Decimal(0)
    gy_dollars: Decimal = Decimal(0)
    by_rule: dict[str, Counter[str]] = field(default_factory=dict)  # rule -> applied / withheld / review
    sources: dict[str, str] = field(default_factory=dict)  # rule -> its source, as its first record cites it


def worklist(result: FixResult) -> Worklist:
    """Every claim of a run that kept its records (Sinks.keep_records), sorted into the report's parts."""
    out = Worklist()
    for summary in result.claim_summaries:
        v = view(summary, result.records[summary.first_record:summary.end_record])
        out.statuses[v.status] += 1
        out.review_items += len(v.items)
        out.withheld += len(v.withheld)
        out.acknowledged += len(v.acknowledged)
        out.gy_dollars += v.gy_dollars
        if v.status == HELD:
            out.held_dollars += v.at_risk
        elif v.status == REVIEW:
            out.review_dollars += v.at_risk
        for r in v.records:
            if r.rule != HOLD_RULE:
                kind = ("applied" if r.applied else "review" if r in v.items else
                        "withheld" if is_withheld(r) else "acknowledged")
                out.by_rule.setdefault(r.rule, Counter())[kind] += 1
                if r.source and r.rule not in out.sources:
                    out.sources[r.rule] = r.source
        (out.people if v.status in (HELD, REVIEW) else out.delivered if v.status == DELIVERED
         else out.unchanged).append(v)
    out.people.sort(key=lambda v: (-v.at_risk, v.summary.payer, v.summary.index))
    return out

