"""Exactly-once delivery for the watcher: a journal in OUTBOUND, temporary files in a scope of READY.

The journal (OUTBOUND/.edi837/journal/) is the truth about every file the watcher has started to
deliver, during a run as well as after a crash. One entry per input name:

  staged     the fixed file is complete in READY/.edi837-tmp/<scope>/ and fsynced; not yet in READY.
             Whether it was delivered is decided by its temporary file: still there, not delivered;
             gone, delivered (the rename into READY is atomic, so exactly one of the two holds).
  delivered  it is in READY (or the uploader took it): it is never delivered again; the original only
             has to move to archive/.
  stuck      delivered, but the move to archive/ failed (read-only, disk full, ...): reported, retried
             quietly, never delivered again. Same as `delivered` otherwise.

With a hold policy an entry can name two staged files: the delivered one (READY/.edi837-tmp/<scope>/) and
the held one (OUTBOUND/.edi837/held-tmp/, renamed into OUTBOUND/held/). The first rename is the moment of
delivery (READY's when anything is delivered, else held/'s); the held file's rename follows it, and a
recovery that finds the first temporary file gone and the held one still there finishes that rename. An
entry whose `temp` is empty delivered nothing to READY (every claim was held).

An entry goes away once the original is archived. A file whose name has an entry is never delivered
again as long as its bytes are the bytes the entry names; a new file under the same name (other bytes)
is a new delivery.

Temporary files live in READY/.edi837-tmp/<scope>/, where scope is a short hash of OUTBOUND's real path:
two watchers (two OUTBOUNDs) may share one READY, and each one's recovery removes only what lies in its
own scope and is not named by its own journal. The rename into READY never replaces a file already
there (renameat2 RENAME_NOREPLACE on Linux): two watchers delivering the same name cannot overwrite
each other's file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from edi837.errors import OutputFailed
from edi837.files.atomic import AtomicWriter, fsync_directory
from edi837.files.names import rename_noreplace, short_name

STATE = ".edi837"
TEMP = ".edi837-tmp"


def scope_of(outbound: Path) -> str:
    """The temp-folder scope of one OUTBOUND: a short hash of its real path."""
    return hashlib.sha256(os.fsencode(outbound.resolve())).hexdigest()[:12]


def name_key(name: str) -> str:
    """A fixed-length key for a file name (journal entries and temp files of names of any length)."""
    return hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:24]


def sha256_of(handle: IO[bytes], limit: int | None = None) -> str:
    digest = hashlib.sha256()
    left = limit
    while True:
        chunk = handle.read(1 << 20 if left is None else min(1 << 20, left))
        if not chunk:
            break
        digest.update(chunk)
        if left is not None:
            left -= len(chunk)
            if left <= 0:
                break
    return digest.hexdigest()


def sha256_path(path: Path, limit: int | None = None) -> str:
    with path.open("rb") as handle:
        return sha256_of(handle, limit)


# --- the journal ----------------------------------------------------------------------------------

@dataclass
class Entry:
    name: str
    input_sha256: str
    input_size: int
    input_mtime_ns: int
    output_sha256: str
    temp: str  # relative to READY/.edi837-tmp: "<scope>/<file>" (a bare file name in older journals)
    archive_as: str  # the name the original takes in archive/ (its change log is logs/<that>.changes.jsonl)
    state: str = "staged"
    at: str = ""
    problem: str = ""  # why archiving failed, for the report
    held_temp: str = ""  # the staged held file, in OUTBOUND/.edi837/held-tmp ("" when nothing was held)
    held_as: str = ""  # its name in OUTBOUND/held/


class Journal:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, name: str) -> Path:
        return self.folder / f"{name_key(name)}.json"

    def write(self, entry: Entry) -> Path:
        """Write `entry` atomically; OutputFailed/OSError if OUTBOUND cannot take it (then nothing changed)."""
        entry.at = entry.at or datetime.now(UTC).isoformat()
        path = self.path_for(entry.name)
        with AtomicWriter(path) as writer:
            writer.handle.write(json.dumps(asdict(entry)).encode())
        return path

    @staticmethod
    def read(path: Path) -> Entry | None:
        """An entry, or None for one that cannot be read (half-written by an old version, or damaged)."""
        try:
            data = json.loads(path.read_text())
            if not isinstance(data, dict) or not {"name", "temp", "input_sha256"} <= data.keys():
                return None
            return Entry(name=str(data["name"]), input_sha256=str(data["input_sha256"]),
                         input_size=int(data.get("input_size", -1)), input_mtime_ns=int(data.get("input_mtime_ns", -1)),
                         output_sha256=str(data.get("output_sha256", "")), temp=str(data["temp"]),
                         archive_as=str(data.get("archive_as", data["name"])), state=str(data.get("state", "staged")),
                         at=str(data.get("at", "")), problem=str(data.get("problem", "")),
                         held_temp=str(data.get("held_temp", "")), held_as=str(data.get("held_as", "")))
        except (OSError, ValueError, TypeError):
            return None

    def entries(self) -> list[tuple[Path, Entry | None]]:
        try:
            paths = sorted(self.folder.glob("*.json"))
        except OSError:
            return []
        return [(path, self.read(path)) for path in paths]

    def find(self, name: str) -> tuple[Path, Entry] | None:
        for path in (self.path_for(name), self.folder / f"{name}.json"):  # the second: journals before keys
            try:
                exists = path.exists()
            except OSError:  # a name too long for the file system: only the keyed path can exist
                exists = False
            if exists:
                entry = self.read(path)
                if entry is not None and entry.name == name:
                    return path, entry
        return None

    @staticmethod
    def remove(path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


# --- moving originals -------------------------------------------------------------------------------

def free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or a time-stamped name beside it when that one is taken (a reused file name keeps
    both files and both change logs); the stamped name stays within the 255-byte limit."""
    target = folder / name
    if not os.path.lexists(target):
        return target
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return folder / f"{stamp}-{short_name(name, 200)}"


def move(source: Path, target: Path) -> None:
    """Move a regular file, across file systems too: rename, or on EXDEV copy (fsynced, renamed into place)
    then unlink. Raises OSError/OutputFailed when it cannot; the source is then still where it was."""
    try:
        os.replace(source, target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        with AtomicWriter(target) as writer, source.open("rb") as handle:
            shutil.copyfileobj(handle, writer.handle, 1 << 20)
        with contextlib.suppress(OSError):
            shutil.copystat(source, target)
        source.unlink()
    fsync_directory(target.parent)
    fsync_directory(source.parent)


def archive_original(source: Path, archive: Path, entry: Entry) -> None:
    """Move the delivered original to archive/<entry.archive_as>. A copy already there with the same
    bytes (a crash after an EXDEV copy, before the unlink) only needs the original removed."""
    target = archive / entry.archive_as
    if os.path.lexists(target):
        try:
            same = target.stat().st_size == entry.input_size and sha256_path(target) == entry.input_sha256
        except OSError:
            same = False
        if same:
            source.unlink()
            fsync_directory(source.parent)
            return
        target = free_name(archive, entry.archive_as)
    move(source, target)


def problem_of(error: BaseException) -> str:
    """A short, data-free description of a file-system failure, for reports."""
    if isinstance(error, OSError) and error.errno is not None:
        return f"{errno.errorcode.get(error.errno, str(error.errno))} ({os.strerror(error.errno)})"
    if isinstance(error, OutputFailed):
        return "cannot be written"
    return type(error).__name__


def reason_kind(reason: str) -> str:
    """A short, data-free label of a rejection reason for the log line (the reason file has the words)."""
    if reason.startswith("refused:"):
        return "refused"
    if reason.startswith("internal error"):
        return "internal-error"
    return "not-a-claim-file"


__all__ = ["STATE", "TEMP", "Entry", "Journal", "archive_original", "free_name", "move", "name_key", "problem_of",
           "reason_kind", "rename_noreplace", "scope_of", "sha256_of", "sha256_path"]
