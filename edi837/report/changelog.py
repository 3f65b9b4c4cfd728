"""The change-log file: the records of a run streamed into a file that appears only if the run is committed.

The records themselves (engine/records.py; their fields are a contract: docs/change-log.md) are one JSON
Lines object each; this is where they are written, atomically, and where the hold records are rewritten when
the held file had to take another name.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from edi837.engine.engine_rules import HOLD_RULE
from edi837.engine.records import ChangeRecord
from edi837.files.atomic import AtomicWriter


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


def held_message_moved(message: str, old: str, new: str) -> str:
    """A hold record's message with the held file's name changed from `old` to `new`."""
    return message.replace(f" in {old}: ", f" in {new}: ", 1)
