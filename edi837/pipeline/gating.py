"""The gate step of a run: the output may carry no validation error the input did not (gate/decide.py).

Without a hold policy the fast scan (run beside the fix, gate/ahead.py) or pyx12 judges the output against
the input. With one, both files are judged: by the fast scan first (both clean: done), else by pyx12.
Under `--hold invalid` the claims that carry an error in the delivered file are returned, with why, to be
held in a new pass; otherwise the gate's verdict is final: a new error in either file refuses the run,
errors the input had are warnings.
"""

from __future__ import annotations

from collections import defaultdict
from typing import IO, TYPE_CHECKING

from edi837.files.streams import borrow
from edi837.gate.pyx12_gate import Opener, ValidationIssue, validate
from edi837.pipeline import hold as holding
from edi837.pipeline.state import PassState
from edi837.writer.split import DELIVERED

if TYPE_CHECKING:
    from edi837.gate.fast import ScanResult


def gate(state: PassState, scanned: ScanResult | None) -> dict[int, list[str]]:
    """Validate the pass's output; refuse it when it carries an error the input did not. Returns the claims
    to hold as invalid in a new pass (claim index -> why), or nothing when the verdict is final.

    `scanned`: the fast scan of the output when it ran beside the fix.
    """
    sink, held, result, writer = state.sink, state.sinks.held, state.result, state.writer
    assert sink is not None
    sink.flush()
    if writer is None:
        from edi837.gate.decide import check

        result.warnings = check(state.open_input, lambda: borrow(sink), result.changed, state.options.validator,
                                scanned)
        result.validated = True
        return {}
    if held is not None:
        held.flush()
    from edi837.gate.decide import clean_alone, refuse_new

    outputs = [_borrowing(h) for h, size in ((sink, result.bytes_out), (held, result.bytes_held)) if h and size]
    if clean_alone(outputs, state.options.validator):
        result.validated = True
        return {}
    after = validate(lambda: borrow(sink)) if result.bytes_out else []
    held_after: list[ValidationIssue] = []
    if held is not None and result.bytes_held:
        held_after = validate(lambda: borrow(held))
    result.validated = True
    if not after and not held_after:
        return {}
    before = state.input_issues()
    if holding.INVALID in state.options.hold and after:
        more = _invalid_claims(state, after, before)
        if more:
            return more
    refuse_new(before, after, "the fixed file")
    refuse_new(before, held_after, "the held file")
    result.warnings = after if result.held else before
    return {}


def _invalid_claims(state: PassState, after: list[ValidationIssue],
                    before: list[ValidationIssue]) -> dict[int, list[str]]:
    """The delivered claims that carry (or sit below a loop that carries) one of `after`'s errors, with why."""
    writer = state.writer
    assert writer is not None
    concerned: dict[int, list[ValidationIssue]] = defaultdict(list)
    where: dict[int, str] = {}
    for issue in after:
        claims, loop = writer.locate(DELIVERED, issue.segment, missing=issue.code == holding.MISSING_CODE)
        for index in claims:
            if index not in state.forced:
                concerned[index].append(issue)
                if loop:
                    where[index] = f" in the {loop} it belongs to"
    if not concerned:
        return {}
    spans = writer.input_spans
    more: dict[int, list[str]] = {}
    for index, issues in concerned.items():
        first, last, changed = spans[index]
        mine = [i for i in before if i.segment is not None and first <= i.segment <= last]
        new = changed and index not in where and holding.introduced(issues, mine)
        more[index] = [holding.invalid_reason(issues, new, where.get(index, ""))]
    return more


def _borrowing(handle: IO[bytes]) -> Opener:
    return lambda: borrow(handle)
