"""`edi-fix ncci import`: CMS files (ZIPs as downloaded, or the tables extracted) into the NCCI database.

How an import writes (one transaction, a savepoint per file, WAL while it runs, a note a kill leaves, rows
streamed under caps) is shared with the ICD-10-CM store: edi837.datafiles.load. What is the NCCI's own:
- Re-importing a file is a no-op, decided by the sha256 of the table's own bytes with its version and
  part (the ZIP as downloaded and the file extracted from it are the same import; a part whose bytes did
  not change from one quarter to the next is still loaded as the new quarter's part). Another file
  claiming a version and part that is already loaded is refused rather than mixed in.
- Bulk load: the lookup indexes are dropped before and built once after loading, which is several times
  faster than maintaining them row by row for millions of rows.
- Duplicates are refused, not collapsed: a CMS file lists an edit's window once (a key may recur, with
  another window), so a key repeated with the same window is a damaged or altered file, and loading it
  anyway would hide that. In a file ordered by key (as CMS writes them) a repeat is caught while reading,
  on the spot; in any other, one grouped query over the file's rows finds it once they are in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from edi837.datafiles import journal
from edi837.datafiles import load as shared
from edi837.datafiles.lines import FormatRefused
from edi837.datafiles.members import Member, Publication
from edi837.errors import InputRefused
from edi837.ncci import limits
from edi837.ncci.formats import (
    KIND_NAMES,
    MUE,
    PTP,
    VERSION_FORMS,
    PtpSeen,
    is_synthetic,
    part_of,
    read_ptp,
    repeated_window,
    sniff,
    valid_version,
    version_in,
)
from edi837.ncci.mue import read_mue
from edi837.ncci.store import INDEXES, SPEC, SYNTHETIC_TABLE, ImportInfo

_INDEX_NAMES = {PTP: "ptp_pair", MUE: "mue_code"}
_DUPLICATE = ("SELECT min(rowid), max(rowid), column1, column2, effective, deletion FROM ptp WHERE rowid > ? "
              "GROUP BY column1, column2, effective, ifnull(deletion, 0) HAVING count(*) > 1 LIMIT 1")
# The files `ncci import` reads: told by content (edi837.ncci.formats.sniff), held to the NCCI caps.
FILES = Publication(sniff, limits.current, {kind: f"CMS {name} file" for kind, name in KIND_NAMES.items()},
                    "CMS NCCI practitioner PTP or MUE table", "a CMS NCCI table")
Outcome = shared.Outcome[ImportInfo]
ImportRun = shared.ImportRun[ImportInfo]


def import_files(database: Path, files: Iterable[Path], version: str | None = None) -> ImportRun:
    """Every table in `files` (ZIPs or extracted files) into `database`, in one transaction; one outcome per
    table found, and one per path refused whole (no table in it)."""
    if version is not None and not (valid_version(PTP, version) or valid_version(MUE, version)):
        raise InputRefused(f"--version {version}: not a version ({VERSION_FORMS[PTP]} or {VERSION_FORMS[MUE]})")
    run = ImportRun()
    with ExitStack() as stack:
        tables = shared.gather(files, FILES, stack, run)
        if tables:
            shared.import_tables(database, tables, SPEC, lambda *opened: Loader(*opened, version=version), run)
    return run


class Loader(shared.Loader[ImportInfo]):
    """The database opened for writing; `version` (--version) overrides what names and texts say."""

    spec = SPEC

    def __init__(self, connection: sqlite3.Connection, path: Path, lock: journal.ImportLock | None = None, *,
                 version: str | None = None) -> None:
        super().__init__(connection, path, lock)
        connection.execute(SYNTHETIC_TABLE)  # a database made before synthetic files were marked
        self.version = version
        self.dropped: set[str] = set()

    def finish(self) -> None:
        for kind in sorted(self.dropped):
            self.connection.execute(INDEXES[kind])

    def load_one(self, member: Member, kind: str) -> Outcome:
        db = self.connection
        sha = member.sha256()
        version = self._version_of(member, kind, self.version)
        part = (part_of(member.name) or part_of(member.container or "")) if kind == PTP else None
        # The same bytes as the same version and part: already loaded. The same bytes under another version
        # (a part CMS did not change that quarter) are that version's part, loaded again.
        known = db.execute("SELECT id FROM imports WHERE sha256 = ? AND kind = ? AND version = ? AND part IS ?",
                           (sha, kind, version, part)).fetchone()
        if known is not None:
            return Outcome(member.label, self._info(known[0]), loaded=False)
        clash = db.execute("SELECT file_name, imported_at FROM imports WHERE kind = ? AND version = ? AND part IS ?",
                           (kind, version, part)).fetchone()
        if clash is not None:
            which = f" part {part}" if part else ""
            raise FormatRefused(f"{member.label}: {KIND_NAMES[kind]} {version}{which} is already loaded from another "
                                f"file ({clash[0]}, {clash[1][:10]}); a version is never mixed from two files")
        now = datetime.now(UTC).isoformat(timespec="seconds")
        cursor = db.execute("INSERT INTO imports (kind, version, part, file_name, container, sha256, rows, "
                            "imported_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                            (kind, version, part, member.name, member.container, sha, now))
        import_id = cursor.lastrowid
        assert import_id is not None
        if is_synthetic(member.head()):
            db.execute("INSERT INTO synthetic (import_id) VALUES (?)", (import_id,))
        if kind not in self.dropped:
            db.execute(f"DROP INDEX IF EXISTS {_INDEX_NAMES[kind]}")
            self.dropped.add(kind)
        self.loading(member)
        rows, unknown = self._load_ptp(member, import_id) if kind == PTP else self._load_mue(member, import_id)
        if rows == 0:
            raise FormatRefused(f"{member.label}: a {KIND_NAMES[kind]} table with no rows; not loaded")
        db.execute("UPDATE imports SET rows = ?, unknown_values = ? WHERE id = ?", (rows, unknown, import_id))
        return Outcome(member.label, self._info(import_id), loaded=True)

    def _info(self, import_id: int) -> ImportInfo:
        row = self.connection.execute("SELECT i.*, (SELECT count(*) FROM synthetic s WHERE s.import_id = i.id) "
                                      "FROM imports i WHERE id = ?", (import_id,)).fetchone()
        return ImportInfo.of(row)

    def _version_of(self, member: Member, kind: str, override: str | None) -> str:
        if override is not None and valid_version(kind, override):
            return override
        found = (version_in(kind, member.name) or version_in(kind, member.container or "")
                 or version_in(kind, member.head().decode("latin-1")))
        if found is None:
            raise FormatRefused(f"{member.label}: a {KIND_NAMES[kind]} table, but neither its name nor its text says "
                                f"which version; give it with --version {VERSION_FORMS[kind]}")
        return found

    def _load_ptp(self, member: Member, import_id: int) -> tuple[int, int]:
        db = self.connection
        rationale_ids: dict[str, int] = {text: rid for rid, text in db.execute("SELECT id, text FROM rationales")}
        known = set(rationale_ids)

        def rationale_id(text: str) -> int:
            return rationale_ids.setdefault(text, len(rationale_ids) + 1)

        before = db.execute("SELECT ifnull(max(rowid), 0) FROM ptp").fetchone()[0]
        seen = PtpSeen()
        with member.open() as stream:
            cursor = db.executemany("INSERT INTO ptp VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                    read_ptp(stream, member.label, rationale=rationale_id, tag=import_id, seen=seen))
        duplicate = None if seen.ordered else db.execute(_DUPLICATE, (before,)).fetchone()
        if duplicate is not None:
            first, second, column1, column2, effective, deletion = duplicate
            raise FormatRefused(repeated_window(member.label, seen.lines[first - before - 1],
                                                seen.lines[second - before - 1], (column1, column2),
                                                (effective, deletion)))
        db.executemany("INSERT INTO rationales (id, text) VALUES (?, ?)",
                       [(rid, text) for text, rid in rationale_ids.items() if text not in known])
        return int(cursor.rowcount), 0

    def _load_mue(self, member: Member, import_id: int) -> tuple[int, int]:
        unknown = 0

        def tagged(rows: Iterator[tuple[str, int | None, int | None, str]]) -> Iterator[tuple[object, ...]]:
            nonlocal unknown
            for row in rows:
                unknown += row[1] is None
                yield (*row, import_id)

        with member.open() as stream:
            cursor = self.connection.executemany("INSERT INTO mue VALUES (?, ?, ?, ?, ?)",
                                                 tagged(read_mue(stream, member.label)))
        return int(cursor.rowcount), unknown
