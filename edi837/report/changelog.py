"""The change log: one JSON Lines record per finding, the audit trail a billing manager shows a payer.

Field names are a contract (docs/change-log.md): claim_id, line_number, procedure, rule, action,
segment_before, segment_after, applied, message. Extra fields add context an auditor asks for: the
rule's source, the fix's applicability, the severity, the transaction control number and the
segment position in the input. Records carry segment text of SV1 and CLM only, never of
patient loops.
"""

from __future__ import annotations

import json
import shutil
import tempfile
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
    memory; the file itself is an AtomicWriter, so a refused run leaves no change log behind. `mode` and
    `replace` are the AtomicWriter's (a hook's log never replaces an earlier run's: replace=False).
    """

    def __init__(self, path: Path, *, mode: int | None = None, replace: bool = True) -> None:
        self.writer = AtomicWriter(path, mode=mode, replace=replace, what="change log")

    def __enter__(self) -> ChangeLogWriter:
        self.writer.__enter__()
        return self

    def write(self, record: ChangeRecord) -> None:
        self.writer.handle.write(record.to_json().encode("utf-8") + b"\n")

    def restart(self) -> None:
        """Start the log over (the run is made again, to hold claims that turned out invalid)."""
        self.writer.handle.seek(0)
        self.writer.handle.truncate()

    def rename_held(self, old: str, new: str) -> None:
        """The held file went to `new`, not to `old` as the records written so far say (another run took
        that name in the meantime): rewrite the hold records' messages, streaming, before the log is
        committed."""
        source = self.writer.handle
        source.flush()
        source.seek(0)
        with tempfile.TemporaryFile() as copy:
            for line in source:
                if b'"rule": "' + HOLD_RULE.encode() + b'"' in line:
                    record = json.loads(line)
                    record["message"] = held_message_moved(record["message"], old, new)
                    line = json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"
                copy.write(line)
            copy.seek(0)
            source.seek(0)
            source.truncate()
            shutil.copyfileobj(copy, source, 1 << 20)

    def discard(self) -> None:
        self.writer.commit = False

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self.writer.__exit__(kind, value, traceback)


HOLD_RULE = "EDI003"  # the hold policy's record (edi837.hold), named here where the log is rewritten


def held_message_moved(message: str, old: str, new: str) -> str:
    """A hold record's message with the held file's name changed from `old` to `new`."""
    return message.replace(f" in {old}: ", f" in {new}: ", 1)
