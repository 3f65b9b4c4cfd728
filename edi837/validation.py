"""The validation gate: pyx12 against 005010X222A1, compared input to output.

Why compare rather than demand a clean output: real files often carry errors edi837 did not cause
(an outdated code list in the map, a payer address typo). Refusing them would block billing for
no gain; passing new errors would corrupt a file. So the rule is: the output may carry no error
the input did not. Errors are compared by what and where in the segment they are (segment id,
element, error code, offending value), not by line number, because removing a service line shifts
every later line.

Cost: one pyx12 pass over the output, the slow part of a run (about 0.12 MB/s). The input is
validated only when the output has errors to compare, or is the same file anyway.

pyx12 logs every error at ERROR level, value included; its logger is silenced here so no element
value (a name, a member id) can reach the logs. Messages built here name the segment position,
segment id, element and error kind, never the value.
"""

from __future__ import annotations

import io
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from edi837.x12.envelope import BOM

_pyx12_log = logging.getLogger("pyx12")
_pyx12_log.setLevel(logging.CRITICAL + 1)
_pyx12_log.propagate = False

# pyx12 error codes (IK4 for elements, IK3 for segments) in words; see pyx12's error_codes.py.
_ELEMENT_ERRORS = {
    "1": "mandatory element missing",
    "2": "conditional element required by a syntax rule",
    "3": "too many data elements",
    "4": "value too short",
    "5": "value too long",
    "6": "invalid character",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "element not used in this guide, or an exclusion rule broken",
    "12": "too many repetitions",
    "13": "too many components",
}


@dataclass(frozen=True)
class ValidationIssue:
    """One pyx12 finding. `value` is kept for comparison only and never printed."""

    segment: int | None  # 1-based position in the file, as pyx12 counts it
    segment_id: str
    element: str
    code: str
    message: str
    value: str | None = field(default=None, repr=False, compare=True)

    def key(self) -> tuple[str, str, str, str | None, str]:
        return (self.segment_id, self.element, self.code, self.value, self.message)

    def __str__(self) -> str:
        where = f"segment {self.segment} " if self.segment else ""
        element = f" {self.element}" if self.element else ""
        return f"{where}{self.segment_id}{element}: {self.message} [{self.code}]"


Opener = Callable[[], IO[bytes]]


def validate(open_data: Opener) -> list[ValidationIssue]:
    """Run pyx12's validator over the data `open_data` returns; return its findings."""
    import pyx12.params
    import pyx12.x12n_document

    fd_json = io.StringIO()
    with open_data() as raw:
        head = raw.read(len(BOM))
        if head != BOM:
            raw.seek(0)
        text = io.TextIOWrapper(raw, encoding="latin-1", newline="")
        try:
            ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), text, None, None, None, fd_json)
        finally:
            text.detach()
    report = json.loads(fd_json.getvalue() or '{"interchanges": []}')
    issues = list(_issues(report))
    if not ok and not issues:
        # pyx12 can fail a file without listing why (a control character in ISA11/ISA16 is one case);
        # the verdict still counts, as an issue of its own.
        verdict = "pyx12 reports the interchange invalid without naming an error"
        issues.append(ValidationIssue(None, "ISA", "", "?", verdict))
    return issues


def _issues(report: dict[str, Any]) -> Iterator[ValidationIssue]:
    for isa in report.get("interchanges", []):
        yield from _envelope_errors(isa, "ISA")
        for gs in isa.get("groups", []):
            yield from _envelope_errors(gs, "GS")
            for st in gs.get("transactions", []):
                yield from _envelope_errors(st, "ST")
                for seg in st.get("segments", []):
                    seg_id = str(seg.get("seg_id") or "")
                    line = seg.get("cur_line")
                    for err in seg.get("errors", []):
                        yield ValidationIssue(line, seg_id, "", str(err.get("err_cde")),
                                              _segment_message(err), err.get("err_val"))
                    for ele in seg.get("elements", []):
                        ref = _element_ref(seg_id, ele)
                        for err in ele.get("errors", []):
                            code = str(err.get("err_cde"))
                            words = _ELEMENT_ERRORS.get(code, "invalid element")
                            name = ele.get("name") or ""
                            yield ValidationIssue(line, seg_id, ref, code, f"{words} ({name})".strip(),
                                                  err.get("err_val"))


def _envelope_errors(node: dict[str, Any], kind: str) -> Iterator[ValidationIssue]:
    for err in node.get("errors", []):
        yield ValidationIssue(node.get("cur_line"), kind, "", str(err.get("err_cde")), _segment_message(err),
                              err.get("err_val"))


def _segment_message(err: dict[str, Any]) -> str:
    # Segment- and envelope-level texts name segments, loops and counts, not element values.
    return str(err.get("err_str") or "").strip()


def _element_ref(seg_id: str, ele: dict[str, Any]) -> str:
    pos = ele.get("ele_pos")
    sub = ele.get("subele_pos")
    if pos is None:
        return ""
    ref = f"{seg_id}{int(pos):02d}"
    return f"{ref}-{int(sub)}" if sub else ref


def new_issues(before: list[ValidationIssue], after: list[ValidationIssue]) -> list[ValidationIssue]:
    """Issues in `after` that `before` does not account for (as a multiset, ignoring position)."""
    budget = Counter(issue.key() for issue in before)
    fresh = []
    for issue in after:
        k = issue.key()
        if budget[k]:
            budget[k] -= 1
        else:
            fresh.append(issue)
    return fresh
