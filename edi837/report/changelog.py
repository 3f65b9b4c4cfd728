"""The change log: one JSON Lines record per finding, the audit trail a billing manager shows a payer.

Field names are a contract (DESIGN.md): claim_id, line_number, procedure, rule, action,
segment_before, segment_after, applied, message. Extra fields add context an auditor asks for: the
rule's source, the fix's applicability, the severity, the transaction control number and the
segment position in the input. Records carry segment text of SV1 and CLM only, never of
patient loops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from json.encoder import encode_basestring
from operator import attrgetter
from pathlib import Path

from edi837.delivery.fileio import AtomicWriter

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
        return "{" + ", ".join([key + (encode_basestring(value) if type(value) is str else _value(value))
                                for key, value in zip(_KEYS, _values(self), strict=True)]) + "}"


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
_KEYS = tuple(f'"{name}": ' for name in _FIELDS)
# All the fields in one C call, in order, and the strings (most values) encoded without a call to _value:
# a record is written for each of ~28k findings on a 20,000-claim file.
_values = attrgetter(*_FIELDS)


class ChangeLogWriter:
    """Streams records into a change-log file that appears only if the run is committed.

    Records are written as they are made, so a file with many findings does not hold them all in
    memory; the file itself is an AtomicWriter, so a refused run leaves no change log behind.
    """

    def __init__(self, path: Path) -> None:
        self._writer = AtomicWriter(path)

    def __enter__(self) -> ChangeLogWriter:
        self._writer.__enter__()
        return self

    def write(self, record: ChangeRecord) -> None:
        self._writer.handle.write(record.to_json().encode("utf-8") + b"\n")

    def restart(self) -> None:
        """Start the log over (the run is made again, to hold claims that turned out invalid)."""
        self._writer.handle.seek(0)
        self._writer.handle.truncate()

    def discard(self) -> None:
        self._writer.commit = False

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self._writer.__exit__(kind, value, traceback)
