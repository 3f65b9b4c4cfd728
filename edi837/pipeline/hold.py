"""The hold policy: which claims a person must see before they go, and what the change log says about them.

`--hold review` holds a claim with any review item left unapplied; `--hold invalid` holds a claim that
carries a validation error, whether the input already had it or the claim's fixes would introduce it
(then its fixes are not applied), and a claim with an error-severity rule finding left unapplied (a
diagnosis not valid on the date of service, DX001; a pair no modifier bypasses, NC004; units above an
MUE with MAI 2, MUE001): a payer rejects or denies those as surely as a validation error. A held claim
goes to the held file exactly as it arrived, so none of its fixes is applied: its change records say so,
and one EDI003 record per held claim gives the reasons. The split itself is the writer's (writer/split.py);
the pipeline decides, claim by claim, where each goes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from edi837.engine.engine_rules import HOLD_RULE, HOLD_SOURCE
from edi837.engine.records import ChangeRecord
from edi837.errors import InputRefused
from edi837.gate.pyx12_gate import ValidationIssue
from edi837.model.claim import Claim

REVIEW, INVALID = "review", "invalid"
POLICIES = (REVIEW, INVALID)
WATCH_DEFAULT = frozenset({REVIEW, INVALID})
MISSING_CODE = "3"  # pyx12's error code for a mandatory segment or loop missing (map_walker.py)


def parse_policy(values: Iterable[str]) -> frozenset[str]:
    """`--hold` values (repeatable, comma-separated allowed; `none` alone means hold nothing)."""
    words = [w.strip().lower() for v in values for w in v.split(",") if w.strip()]
    if words == ["none"]:
        return frozenset()
    unknown = [w for w in words if w not in POLICIES]
    if unknown:
        raise InputRefused(f"--hold {unknown[0]}: one of review, invalid (repeatable), or none")
    return frozenset(words)


def review_reason(records: Sequence[ChangeRecord]) -> str | None:
    """Why a claim is held for review: the rules (and lines) of its unapplied items, or None if it has none."""
    items = [r for r in records if not r.applied and r.acknowledged is None]
    if not items:
        return None
    named = Counter(f"{r.rule}" + (f" line {r.line_number}" if r.line_number is not None else "") for r in items)
    return "review: " + ", ".join(named)


def error_reason(records: Sequence[ChangeRecord]) -> str | None:
    """Why a claim is held as invalid by a rule: its unapplied error-severity findings, or None if it has none."""
    items = [r for r in records if not r.applied and r.severity == "error"]
    if not items:
        return None
    named = Counter(f"{r.rule}" + (f" line {r.line_number}" if r.line_number is not None else "") for r in items)
    return "invalid: " + ", ".join(named) + " (error-severity findings)"


def invalid_reason(issues: Sequence[ValidationIssue], introduced: bool, where: str) -> str:
    """Why a claim is held as invalid: its errors by segment, element and kind (never a value)."""
    shown = "; ".join(f"{i.named()}: {i.message} [{i.code}]" for i in issues[:3])
    more = f" (and {len(issues) - 3} more)" if len(issues) > 3 else ""
    if introduced:
        return f"invalid: its fixes would introduce a validation error{where} ({shown}{more}); fixes not applied"
    return f"invalid: validation error already in the input{where} ({shown}{more})"


def held_records(claim: Claim, records: Sequence[ChangeRecord], reasons: Sequence[str],
                 where: str = "") -> list[ChangeRecord]:
    """A held claim's records: its fixes marked not applied (the held file has its original bytes), then one
    EDI003 record with the reasons and the held file's path (`where`, when the caller knows it)."""
    note = "not applied: the claim is held for a person"
    out = [replace(r, applied=False, message=f"{r.message} ({note})") if r.applied else r for r in records]
    out.append(ChangeRecord(
        claim_id=claim.claim_id,
        line_number=None,
        procedure=None,
        rule=HOLD_RULE,
        action="review",
        segment_before=None,
        segment_after=None,
        applied=False,
        message=f"claim held for a person, as it arrived, in {where or 'the held file'}: " + "; ".join(reasons),
        severity="warning",
        applicability=None,
        source=HOLD_SOURCE,
        transaction=claim.transaction.control_number,
        segment=claim.first_ordinal,
    ))
    return out


def introduced(claim_issues: Sequence[ValidationIssue], input_issues: Sequence[ValidationIssue]) -> bool:
    """True when the claim's errors in the output are not all among the errors its input segments had."""
    budget = Counter(i.key() for i in input_issues)
    for issue in claim_issues:
        if budget[issue.key()]:
            budget[issue.key()] -= 1
        else:
            return True
    return False


__all__ = ["HOLD_RULE", "HOLD_SOURCE", "INVALID", "POLICIES", "REVIEW", "WATCH_DEFAULT", "error_reason",
           "held_records", "introduced", "invalid_reason", "parse_policy", "review_reason"]
