"""What the engine's work comes out as: one change record per finding, the change log's lines.

A value type of the engine's output, below everything that reads it (the pipeline, the hold policy, the
report, the change-log file writer in report/changelog.py). Field names are a contract (the change-log
format): claim_id, line_number, procedure, rule, action, segment_before, segment_after, applied, message.
Extra fields add context an auditor asks for: the rule's source, the fix's applicability, the severity,
the transaction control number and the segment position in the input, and, last, `acknowledged`: who said
a review item is right as billed, when, and why ("NAME on DATE: NOTE"). The change log carries that key only
when it is set, so a log without acknowledgements is the same bytes it always was. Records carry segment
text of SV1 and CLM only, never of patient loops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from json.encoder import encode_basestring
from operator import attrgetter

ACTIONS = frozenset(
    {"append_modifier", "set_units", "set_charge", "remove_line", "set_claim_total", "review"}
)


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    claim_id: str
    line_number: int | None
    procedure: str | None
    rule: str
    action: str
    segment_before: str | None
    segment_after: str | None
    applied: bool
    message: str
    severity: str = "info"
    applicability: str | None = None
    source: str | None = None
    transaction: str | None = None
    segment: int | None = None  # 1-based position of the changed segment in the input
    acknowledged: str | None = None  # "NAME on DATE: NOTE" when a person said the item is right as billed

    def __reduce__(self) -> tuple[type[ChangeRecord], tuple[object, ...]]:
        """Pickled as its values in field order (records come back from engine/farm.py's workers): a third
        cheaper than the frozen dataclass's own state protocol."""
        return (ChangeRecord, tuple(getattr(self, name) for name in _FIELDS))

    def to_json(self) -> str:
        """The record as one JSON object, the bytes json.dumps(..., ensure_ascii=False) gives.

        Written by template, not by json.dumps: the keys are fixed and every value is a string, an int,
        a bool or None, so only strings need encoding, by the same C function json.dumps uses. Building a
        dict and walking it through the generic encoder cost more than the rest of writing a record.
        """
        text = ", ".join([key + (encode_basestring(value) if type(value) is str else _value(value))
                          for key, value in zip(_KEYS, _values(self), strict=True)])
        if self.acknowledged is not None:  # written only when set: logs without one keep their bytes
            text += ', "acknowledged": ' + _value(self.acknowledged)
        return "{" + text + "}"


def _value(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    if type(value) is str:
        return str(encode_basestring(value))
    return json.dumps(value, ensure_ascii=False)  # anything else (a str or int subclass): the generic way


_FIELDS = tuple(f.name for f in fields(ChangeRecord))
_ALWAYS = _FIELDS[:-1]  # the change log's fixed keys; `acknowledged` (last) follows only when set
_KEYS = tuple(f'"{name}": ' for name in _ALWAYS)
# All the fields in one C call, in order, and the strings (most values) encoded without a call to _value:
# a record is written for each of ~28k findings on a 20,000-claim file.
_values = attrgetter(*_ALWAYS)

