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
segment id, element and error kind, never the value. pyx12's own segment-level texts can quote the
segment ("Segment N3*<address> not found"), so each is rewritten from a known template to ids and
positions only; a text no template knows is not shown at all.

pyx12 can also crash on input it does not expect (an IndexError on an SV101 with nine components).
That is a verdict on the input, not a bug of edi837: it becomes a refusal naming the segment position
pyx12 was reading.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import IO, Any

from edi837.errors import InputRefused
from edi837.x12.envelope import BOM
from edi837.x12.untrusted import SEGMENT_ID, name_segment, segment_id

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
    message: str  # printable: ids, positions and kinds only
    value: str | None = field(default=None, repr=False, compare=True)
    detail: str = field(default="", repr=False, compare=True)  # pyx12's own text: compared, never printed

    def key(self) -> tuple[str, str, str, str | None, str, str]:
        return (self.segment_id, self.element, self.code, self.value, self.message, self.detail)

    def named(self) -> str:
        """What the issue is about, as a message names it: `NM1 NM109`, `an unreadable segment`."""
        return name_segment(self.segment_id) + (f" {self.element}" if self.element else "")

    def __str__(self) -> str:
        where = name_segment(self.segment_id, self.segment or None)
        element = f" {self.element}" if self.element else ""
        return f"{where}{element}: {self.message} [{self.code}]"


Opener = Callable[[], IO[bytes]]

_MAPS: dict[tuple[str, str | None], Any] = {}


@contextmanager
def maps_loaded_once() -> Iterator[None]:
    """pyx12 re-parses its 1.1 MB map on every call (0.15 s); the fast gate calls it once per excerpt.

    pyx12 4.0.0 keeps no validation state in the map objects (its walker counts in a NodeCounter of its
    own), so one parsed map per file name serves every call; the differential test compares verdicts
    with it against the oracle. Patched for the call only, so no other user of pyx12 is affected.
    """
    import pyx12.map_if

    original = pyx12.map_if.load_map_file

    def load(map_file: str, param: Any, map_path: str | None = None) -> Any:
        key = (map_file, map_path)
        if key not in _MAPS:
            _MAPS[key] = original(map_file, param, map_path)
        return _MAPS[key]

    pyx12.map_if.load_map_file = load
    try:
        yield
    finally:
        pyx12.map_if.load_map_file = original


def validate(open_data: Opener, position: Callable[[int | None], int | None] | None = None) -> list[ValidationIssue]:
    """Run pyx12's validator over the data `open_data` returns; return its findings.

    `position` maps pyx12's segment positions to the ones to report (for an excerpt: the file's).
    """
    import pyx12.params
    import pyx12.x12n_document

    fd_json = io.StringIO()
    with open_data() as raw:
        head = raw.read(len(BOM))
        if head != BOM:
            raw.seek(0)
        text = io.TextIOWrapper(raw, encoding="latin-1", newline="")
        try:
            with maps_loaded_once():
                ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), text, None, None, None, fd_json)
        except Exception as error:  # pyx12 crashed on this input: a refusal, never an internal error
            raise InputRefused(_crash_message(error, position)) from None
        finally:
            text.detach()
    report = json.loads(fd_json.getvalue() or '{"interchanges": []}')
    issues = list(_issues(report))
    if position is not None:
        issues = [replace(i, segment=position(i.segment)) for i in issues]
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
                                              _segment_message(err), err.get("err_val"), _detail(err))
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
                              err.get("err_val"), _detail(err))


def _detail(err: dict[str, Any]) -> str:
    return str(err.get("err_str") or "").strip()


# pyx12's segment- and envelope-level texts (x12file.py, map_walker.py), each with what may be printed.
# Map paths, loop and segment names come from pyx12's map; anything read from the file is left out.
_ID = SEGMENT_ID  # what a message may show of a segment id pyx12 quotes (x12/untrusted.py)
_TEMPLATES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.DOTALL), r) for p, r in (
    (rf"^Segment ({_ID})\b.* not found\.\s+Started at ([\w/\[\]:. -]*)$",
     r"segment \1 is not expected here (after \2)"),
    (r'^Segment ".*" is empty$', "the segment is empty"),
    (r'^Segment identifier ".*" is invalid$', "the segment identifier is invalid"),
    (rf"^Segment ({_ID}) found but marked as not used$", r"segment \1 is marked as not used here"),
    (rf"^Segment ({_ID}) exceeded max count\.\s+Found (\d+), should have (\d+)$",
     r"segment \1 repeats \2 times, at most \3 allowed"),
    (rf'^Mandatory segment "([\w ,/()-]*)" \(({_ID})\) missing$', r'mandatory segment \2 ("\1") missing'),
    (r'^Mandatory segment "([\w ]*)" \((?:SE|GE|IEA)=.*\) missing$', r'mandatory segment "\1" missing'),
    (r'^Mandatory loop "([\w ,/()-]*)" \(([A-Z0-9]\w*)\) missing$', r'mandatory loop \2 ("\1") missing'),
    (r"^Loop (\w+) found but marked as not used$", r"loop \1 is marked as not used here"),
    (r"^Loop (\w+) exceeded max count\.\s+Found (\d+), should have (\d+)$",
     r"loop \1 repeats \2 times, at most \3 allowed"),
    (r"^My HL count (\d+) does not match your HL count .*$", r"HL01 does not match the HL count (\1)"),
    (r"^HL parent \(.*\) is not a valid parent$", "HL02 does not name an earlier HL"),
    (r"^Your 2400/LX01 Service Line Number .* does not match my count of (\d+)$",
     r"LX01 does not match the line count (\1)"),
    (r"^(ISA|GS|ST) Interchange Control Number .* not unique within file$", r"\1 control number repeated in the file"),
    (r"^IEA id=.* does not match ISA id=.*$", "IEA02 does not match ISA13"),
    (r"^IEA count for IEA02=.* is wrong$", "IEA01 group count is wrong"),
    (r"^GE id=.* does not match GS id=.*$", "GE02 does not match GS06"),
    (r"^GE count of .* is wrong\. I count (\d+)$", r"GE01 transaction count is wrong (counted \1)"),
    (r"^SE id=.* does not match ST id=.*$", "SE02 does not match ST02"),
    (r"^SE count of .* is wrong\. I count (\d+)$", r"SE01 segment count is wrong (counted \1)"),
    (r"^Unterminated (?:Loop|segment) .*$", "a loop is not closed by its trailer"),
    (r"^Segment contains a leading space$", "the segment starts with a space"),
    (r"^Segment contains trailing element terminators$", "the segment ends with empty elements"),
))


def _segment_message(err: dict[str, Any]) -> str:
    """pyx12's text rewritten to name segment ids, loops and counts only (see _TEMPLATES)."""
    text = _detail(err)
    for pattern, replacement in _TEMPLATES:
        if pattern.match(text):
            return pattern.sub(replacement, text)
    return "pyx12 reports an error here (its text is not shown: it may quote the data)"


def _crash_message(error: Exception, mapped: Callable[[int | None], int | None] | None = None) -> str:
    """Where pyx12 was when it crashed: the position of the segment it was reading, from its reader."""
    position, seg_id = None, ""
    tb = error.__traceback__
    while tb is not None:
        frame_locals: dict[str, Any] = tb.tb_frame.f_locals
        reader: Any = frame_locals.get("src")
        if hasattr(reader, "get_cur_line"):
            try:
                position = int(reader.get_cur_line())
                seg: Any = frame_locals.get("seg")
                seg_id = str(seg.get_seg_id()) if hasattr(seg, "get_seg_id") else ""
            except Exception:  # the reader is in an unknown state: the position is then unknown
                pass
        tb = tb.tb_next
    if mapped is not None:
        position = mapped(position)
    where = name_segment(seg_id, position) if position else "a segment it could not place"
    return (f"{where}: pyx12 cannot validate it ({type(error).__name__}); the segment does not have the shape "
            "005010X222A1 gives it")


def _element_ref(seg_id: str, ele: dict[str, Any]) -> str:
    pos = ele.get("ele_pos")
    sub = ele.get("subele_pos")
    if pos is None:
        return ""
    ref = f"{segment_id(seg_id) or 'element '}{int(pos):02d}"
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
