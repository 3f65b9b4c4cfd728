"""A batch run again over the same IN_DIR leaves alone the files it has already done.

Why: an uploader watching OUT_DIR takes every file that appears or is replaced; a batch that rewrote all its
outputs each time it ran (a cron job, a retry after one refused file) would hand it every file again. So each
file's task records, beside its output, what decided that output: `OUT_DIR/.NAME.edi837.json` holds the
input's sha256 and size, a digest of the settings (below), and what the run wrote (the output's sha256 and
size, or that nothing was delivered) and its outcome. The next batch leaves the file alone, outputs untouched
(same inodes, same times), when all of these still hold:
- the record is there and readable, from this kind of record;
- the input has the same bytes (sha256 over the whole file, read again each time);
- the settings digest is the same: edi837's version and every file of its code and shipped data (a checkout
  that changed code without a new version counts as changed), the installed rule plugins and their
  versions, the `--packs` folder's files, the NCCI and ICD-10-CM databases in use (path, size, time and inode of
  each, and of its write-ahead log), every option that decides the output or which files are written (`--hold`,
  `--report`, `--group-readable`, the rule options);
- OUT_DIR/NAME holds the bytes that run wrote (or, when that run delivered nothing, is absent), and the
  change log is there.
Anything else, or `--force`, fixes the file again. A held file is not looked at: a person moves it away
once worked, and that must not bring the claims back. A record is written only after a run's outputs are
committed, and only if the input did not change while it ran, so a crash can cost a redo, never a skip.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import IO, Any

from edi837 import __version__
from edi837.files.atomic import AtomicWriter
from edi837.files.modes import data_file_mode
from edi837.files.names import short_name
from edi837.pipeline import FixOptions
from edi837.resources import data_dir

KIND = "edi837 batch record 1"
_PACKAGE = Path(__file__).resolve().parent.parent
_IGNORED_PARTS = {"__pycache__"}


def record_path(output: Path) -> Path:
    """The record beside OUT_DIR/NAME: `.NAME.edi837.json` (hidden: a batch over OUT_DIR never takes it)."""
    return output.with_name(f".{short_name(output.name, 200)}.edi837.json")


@dataclass(frozen=True)
class Record:
    """What decided a file's outputs, and what that run wrote and told."""

    settings: str
    input_sha256: str
    input_size: int
    output_sha256: str  # "" when the run delivered nothing (every claim held)
    output_size: int
    kind: str  # ok | review | held
    exit_code: int
    claims: int
    changed_claims: int
    held_claims: int


# --- the settings digest (computed once per batch, where it is typed) ------------------------------------

def settings_digest(options: FixOptions, *, report: bool, group_readable: bool) -> str:
    """A digest of everything besides the input that decides a file's outputs (see the module docstring).
    `options` must have its paths settled (batch.run.for_workers)."""
    digest = hashlib.sha256()

    def feed(*parts: object) -> None:
        for part in parts:
            data = part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogateescape")
            digest.update(len(data).to_bytes(8, "big") + data)

    feed(KIND, __version__, f"report={report}", f"group_readable={group_readable}")
    settled = {f.name: getattr(options, f.name) for f in fields(options) if f.name not in ("jobs", "extra_rules")}
    feed(repr(sorted((name, repr(value)) for name, value in settled.items())))
    feed(repr([getattr(rule, "code", type(rule).__name__) for rule in options.extra_rules]))
    for folder in (_PACKAGE, data_dir("packs"), data_dir("segments"), options.packs_dir):
        if folder is not None:
            _feed_folder(feed, folder)
    feed(*_plugins())
    for store in (options.ncci_db, options.icd10_db):  # the CMS stores: a new import changes the answers
        if not store:
            continue
        for path in (store, Path(f"{store}-wal")):
            try:
                info = os.stat(path)
            except OSError:
                feed(path, "absent")
                continue
            feed(path, info.st_size, info.st_mtime_ns, info.st_ino)
    return digest.hexdigest()


def _feed_folder(feed: Any, folder: Path) -> None:
    """Every regular file below `folder`, by relative name and bytes, in a fixed order."""
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if f not in _IGNORED_PARTS)
        for name in sorted(files):
            path = Path(root) / name
            if name.endswith((".pyc", ".pyo")) or not path.is_file():
                continue
            feed(path.relative_to(folder).as_posix(), path.read_bytes())


def _plugins() -> list[str]:
    from importlib.metadata import entry_points

    from edi837.engine.registry import PLUGIN_GROUP

    found = []
    for entry in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        dist = getattr(entry, "dist", None)
        found.append(f"{entry.name}={entry.value}@{dist.name if dist else ''}:{dist.version if dist else ''}")
    return found


# --- one file ----------------------------------------------------------------------------------------------

def file_digest(handle: IO[bytes]) -> tuple[str, int, tuple[int, int, int]]:
    """sha256 and size of an open file, and its identity (inode, size, mtime) to tell whether it changed
    later."""
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    info = os.fstat(handle.fileno())
    return digest.hexdigest(), size, (info.st_ino, info.st_size, info.st_mtime_ns)


def identity(path: Path) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def done_before(output: Path, changelog: Path, settings: str, input_sha256: str, input_size: int) -> Record | None:
    """The record of an earlier run whose outputs are still what it wrote from these bytes and settings."""
    record = read_record(record_path(output))
    if record is None or (record.settings, record.input_sha256, record.input_size) != (settings, input_sha256,
                                                                                       input_size):
        return None
    if not changelog.is_file():
        return None
    if not record.output_sha256:
        return None if os.path.lexists(output) else record
    try:
        if not output.is_file() or output.stat().st_size != record.output_size:
            return None
        with open(output, "rb") as handle:
            same = file_digest(handle)[0] == record.output_sha256
    except OSError:
        return None
    return record if same else None


def read_record(path: Path) -> Record | None:
    try:
        data = json.loads(path.read_bytes())
        if not isinstance(data, dict) or data.get("kind_of_record") != KIND:
            return None
        return Record(**{f.name: type(getattr(_EMPTY, f.name))(data[f.name]) for f in fields(Record)})
    except (OSError, ValueError, TypeError, KeyError):
        return None


_EMPTY = Record("", "", 0, "", 0, "", 0, 0, 0, 0)


def write_record(output: Path, record: Record, *, group_readable: bool) -> None:
    """Write the record beside `output`, atomically (the last thing a file's task commits)."""
    with AtomicWriter(record_path(output), mode=data_file_mode(group_readable=group_readable)) as writer:
        writer.handle.write(json.dumps({"kind_of_record": KIND, **asdict(record)}, indent=1).encode())


def forget(output: Path) -> None:
    """Remove the record beside `output` (its outputs are about to change)."""
    record_path(output).unlink(missing_ok=True)


__all__ = ["Record", "done_before", "file_digest", "forget", "identity", "record_path", "settings_digest",
           "write_record"]
