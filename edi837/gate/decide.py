"""The gate's verdict on a run: the output may carry no validation error the input did not.

Two validators, one verdict. `pyx12` validates the whole output (and the input when the output has
errors to compare), as edi837 always did: about 0.12 MB/s. `fast` (the default) scans the output with
tables compiled from pyx12's own maps (`fast.py`) and accepts a file the scan finds nothing in; that
is the clean majority, and the differential test shows the scan never calls clean what pyx12 reports on.
When the scan flags claims, pyx12 decides, on excerpts (`excerpt.py`) of only those claims with their
parent loops, cut from the output and from the input alike, and the comparison is the same as the
full pass makes. When the scan names a reason an excerpt cannot reproduce (the envelope, HL numbers,
segment counts), or the installed pyx12 is not the one the tables were checked against, the full pass
runs: slower, never wrong.

The comparison on excerpts is the full pass's, restricted to the flagged claims: an error the output
has in a flagged claim must be matched by one the input has in the same claims. That is never looser
than the full pass (which may match it anywhere in the input), so it cannot accept what the full pass
rejects.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from edi837.errors import GateFailed
from edi837.gate.pyx12_gate import Opener, ValidationIssue, new_issues, validate
from edi837.log import get_logger

if TYPE_CHECKING:
    from edi837.gate.fast import ScanResult

VALIDATORS = ("fast", "pyx12")
log = get_logger("edi837.gate")


def check(open_input: Opener, open_output: Opener, changed: bool, validator: str = "fast",
          scanned: ScanResult | None = None) -> list[ValidationIssue]:
    """The validation errors the output carries that the input already had (the run's warnings).

    `scanned`: the fast scan of this output when it already ran (gate/ahead.py), else it runs here.

    Raises GateFailed when the output carries one the input did not, InputRefused when pyx12 cannot
    validate the output at all.
    """
    if validator == "pyx12":
        return full(open_input, open_output, changed)
    from edi837.gate.maps import reviewed

    if not reviewed():
        log.info("gate.full", reason_kind="pyx12 or its maps differ from the reviewed ones")
        return full(open_input, open_output, changed)
    from edi837.gate.excerpt import cut
    from edi837.gate.fast import scan

    found = scanned if scanned is not None else scan(open_output)
    if found.clean:
        log.info("gate.fast", outcome="clean")
        return []
    if found.global_reason is not None:
        log.info("gate.full", reason_kind="file-wide", count=len(found.flagged))
        return full(open_input, open_output, changed)
    log.info("gate.referee", count=len(found.flagged))
    after_cut = cut(open_output, found.flagged)
    if after_cut.claims != found.claims or after_cut.chosen != len(found.flagged):
        # The excerpt did not find the claims the scan counted: it would show pyx12 other claims than the
        # flagged ones, so nothing it says could clear them.
        log.info("gate.full", reason_kind="the excerpt and the scan count claims differently")
        return full(open_input, open_output, changed)
    after = validate(_opener(after_cut.data), after_cut.position)
    if not changed:
        return after  # the same bytes as the input: every error was already there
    if not after:
        return []
    before_cut = cut(open_input, found.flagged)
    if before_cut.claims != after_cut.claims or before_cut.chosen != after_cut.chosen:
        return full(open_input, open_output, changed)  # not claim for claim: compare whole files
    before = validate(_opener(before_cut.data), before_cut.position)
    refuse_new(before, after)
    return before


def clean_alone(open_outputs: list[Opener], validator: str = "fast") -> bool:
    """Whether the fast scan alone clears every one of `open_outputs` (the split's two files): nothing in
    them that pyx12 could report, so pyx12 need not run. False with `--validator pyx12`, or when the
    installed pyx12 is not the reviewed one: the caller then validates with pyx12."""
    if validator == "pyx12":
        return False
    from edi837.gate.maps import reviewed

    if not reviewed():
        return False
    from edi837.gate.fast import scan

    return all(scan(opener).clean for opener in open_outputs)


def full(open_input: Opener, open_output: Opener, changed: bool) -> list[ValidationIssue]:
    """pyx12 over the whole output, and over the input when there is something to compare."""
    after = validate(open_output)
    if not changed:
        return after
    if not after:
        return []
    before = validate(open_input)
    refuse_new(before, after)
    return before


def refuse_new(before: list[ValidationIssue], after: list[ValidationIssue], what: str = "the fixed file") -> None:
    """Raise GateFailed when `after` (the errors of `what`) has any the input's `before` did not."""
    fresh = new_issues(before, after)
    if fresh:
        listed = "; ".join(str(i) for i in fresh[:10])
        more = f" (and {len(fresh) - 10} more)" if len(fresh) > 10 else ""
        raise GateFailed(f"{what} would fail validation where the input did not: {listed}{more}",
                         [str(i) for i in fresh])


def _opener(data: bytes) -> Callable[[], IO[bytes]]:
    return lambda: io.BytesIO(data)
