"""The NCCI database: what was imported (file, sha256, kind, version, row counts), the PTP rows and the
MUE rows, in one SQLite file.

Why these choices:
- Every row keeps its import id, so a record can cite the CMS file and version it rests on, and older
  quarters stay stored beside the new one (an auditor may ask which quarter a past run used).
- Re-importing a file is a no-op, decided by the sha256 of the table's own bytes with its version and
  part (the ZIP as downloaded and the file extracted from it are the same import; a part whose bytes did
  not change from one quarter to the next is still loaded as the new quarter's part). Another file
  claiming a version and part that is already loaded is refused rather than mixed in.
- Bulk load: rows stream from the file straight into `executemany` (memory stays flat for millions of
  rows); the lookup indexes are dropped before and built once after loading, which is several times
  faster than maintaining them row by row. The whole command is one transaction with a savepoint per
  file: a file refused half-way (truncated, damaged) leaves none of its rows, the others still load,
  and a crash leaves the database as it was. The rollback journal stays on for that (journal_mode
  DELETE, never OFF or MEMORY, which would lose the older quarters on a crash); `synchronous` is OFF
  during the load (an application crash cannot corrupt the file in that mode, only an OS crash in
  that minute could) and restored afterwards, with a larger page cache for the index build.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from edi837.datafiles.sqlite import load_each, open_store
from edi837.errors import InputRefused
from edi837.ncci.formats import (
    KIND_NAMES,
    MUE,
    PTP,
    VERSION_FORMS,
    FormatRefused,
    part_of,
    read_mue,
    read_ptp,
    valid_version,
    version_in,
)
from edi837.ncci.members import Member, open_download

SCHEMA_VERSION = 1
_TABLES = """
CREATE TABLE IF NOT EXISTS imports (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('ptp', 'mue')),
    version TEXT NOT NULL,
    part INTEGER,
    file_name TEXT NOT NULL,
    container TEXT,
    sha256 TEXT NOT NULL,
    rows INTEGER NOT NULL,
    unknown_values INTEGER NOT NULL DEFAULT 0,
    imported_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rationales (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS ptp (
    column1 TEXT NOT NULL, column2 TEXT NOT NULL, effective INTEGER NOT NULL, deletion INTEGER,
    indicator INTEGER NOT NULL, prior_1996 INTEGER NOT NULL, rationale INTEGER NOT NULL, import_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS mue (
    code TEXT NOT NULL, value INTEGER, indicator INTEGER, rationale TEXT NOT NULL, import_id INTEGER NOT NULL
);
"""
_INDEXES = {PTP: "CREATE INDEX IF NOT EXISTS ptp_pair ON ptp (column1, column2)",
            MUE: "CREATE INDEX IF NOT EXISTS mue_code ON mue (code)"}
_INDEX_NAMES = {PTP: "ptp_pair", MUE: "mue_code"}
_BULK_CACHE_KIB = 96 * 1024  # page cache during a load: the index build sorts in it


@dataclass(frozen=True)
class ImportInfo:
    """One imported CMS file."""

    id: int
    kind: str
    version: str
    part: int | None
    file_name: str
    container: str | None
    sha256: str
    rows: int
    unknown_values: int
    imported_at: str

    @property
    def described(self) -> str:
        """How a record cites it: "CMS NCCI PTP practitioner v322r0 (ccipra-v322r0-f1.txt)"."""
        return f"CMS NCCI {KIND_NAMES[self.kind]} {self.version} ({self.file_name})"


@dataclass(frozen=True)
class Outcome:
    """What importing one table did: loaded, already there (same sha256), or refused (with why); or a
    file beside the tables in a ZIP that is not one (skipped, with why)."""

    label: str
    info: ImportInfo | None
    loaded: bool
    refused: str | None = None
    skipped: str | None = None


class NcciStore:
    """An open NCCI database. Runs open it read-only; `edi-fix ncci import` opens it for writing."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path

    @classmethod
    def open(cls, path: Path, *, write: bool = False) -> NcciStore:
        return cls(open_store(path, write=write, what="NCCI database", command="edi-fix ncci import",
                              schema=_TABLES + "".join(f"{s};\n" for s in _INDEXES.values()), version=SCHEMA_VERSION,
                              marker="imports"), path)

    def close(self) -> None:
        self.connection.close()

    def imports(self, kind: str | None = None) -> list[ImportInfo]:
        sql = "SELECT * FROM imports" + (" WHERE kind = ?" if kind else "") + " ORDER BY id"
        return [ImportInfo(*row) for row in self.connection.execute(sql, (kind,) if kind else ())]

    # -- import -----------------------------------------------------------------------------------------------
    def load(self, tables: Iterable[tuple[Member, str]], version: str | None = None) -> Iterator[Outcome]:
        """Import tables (member, kind), one outcome each as it is done; all in one transaction."""
        db = self.connection
        synchronous = db.execute("PRAGMA synchronous").fetchone()[0]
        cache = db.execute("PRAGMA cache_size").fetchone()[0]
        db.execute("PRAGMA synchronous = OFF")
        db.execute(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
        dropped: set[str] = set()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield from load_each(db, tables, lambda member, kind: self._load_one(member, kind, version, dropped),
                                 lambda label, why: Outcome(label, None, False, why))
            for kind in sorted(dropped):
                db.execute(_INDEXES[kind])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.execute(f"PRAGMA cache_size = {cache}")
            db.execute(f"PRAGMA synchronous = {synchronous}")

    def _load_one(self, member: Member, kind: str, override: str | None, dropped: set[str]) -> Outcome:
        db = self.connection
        sha = member.sha256()
        version = self._version_of(member, kind, override)
        part = (part_of(member.name) or part_of(member.container or "")) if kind == PTP else None
        # The same bytes as the same version and part: already loaded. The same bytes under another version
        # (a part CMS did not change that quarter) are that version's part, loaded again.
        known = db.execute("SELECT * FROM imports WHERE sha256 = ? AND kind = ? AND version = ? AND part IS ?",
                           (sha, kind, version, part)).fetchone()
        if known is not None:
            return Outcome(member.label, ImportInfo(*known), loaded=False)
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
        if kind not in dropped:
            db.execute(f"DROP INDEX IF EXISTS {_INDEX_NAMES[kind]}")
            dropped.add(kind)
        rows, unknown = self._load_ptp(member, import_id) if kind == PTP else self._load_mue(member, import_id)
        if rows == 0:
            raise FormatRefused(f"{member.label}: a {KIND_NAMES[kind]} table with no rows; not loaded")
        db.execute("UPDATE imports SET rows = ?, unknown_values = ? WHERE id = ?", (rows, unknown, import_id))
        return Outcome(member.label, ImportInfo(import_id, kind, version, part, member.name, member.container, sha,
                                                rows, unknown, now), loaded=True)

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

        with member.opener() as stream:
            cursor = db.executemany("INSERT INTO ptp VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                    read_ptp(stream, member.label, rationale=rationale_id, tag=import_id))
        db.executemany("INSERT INTO rationales (id, text) VALUES (?, ?)",
                       [(rid, text) for text, rid in rationale_ids.items() if text not in known])
        return int(cursor.rowcount), 0

    def _load_mue(self, member: Member, import_id: int) -> tuple[int, int]:
        with member.opener() as stream:
            data = stream.read()
        rows = [(*row, import_id) for row in read_mue(data, member.label)]
        self.connection.executemany("INSERT INTO mue VALUES (?, ?, ?, ?, ?)", rows)
        return len(rows), sum(1 for row in rows if row[1] is None)

    # -- reads ------------------------------------------------------------------------------------------------
    def ptp_rows(self, import_ids: tuple[int, ...], code_a: str, code_b: str) -> list[tuple[str, str, int, int | None,
                                                                                             int, int]]:
        """Every stored row of the pair, both column orders, from these imports: (column1, column2,
        effective, deletion, indicator, import id)."""
        marks = ",".join("?" * len(import_ids))
        sql = (f"SELECT column1, column2, effective, deletion, indicator, import_id FROM ptp WHERE column1 = ? AND "
               f"column2 = ? AND import_id IN ({marks})")
        rows = self.connection.execute(sql, (code_a, code_b, *import_ids)).fetchall()
        if code_a != code_b:
            rows += self.connection.execute(sql, (code_b, code_a, *import_ids)).fetchall()
        return rows

    def mue_row(self, import_id: int, code: str) -> tuple[int | None, int | None, str] | None:
        """(value, indicator, rationale) of a code in one MUE table; the smallest value when listed twice."""
        row = self.connection.execute("SELECT value, indicator, rationale FROM mue WHERE code = ? AND import_id = ? "
                                      "ORDER BY value IS NULL, value LIMIT 1", (code, import_id)).fetchone()
        return None if row is None else (row[0], row[1], row[2])


def import_files(database: Path, files: Iterable[Path], version: str | None = None) -> list[Outcome]:
    """`edi-fix ncci import`: every table in `files` (ZIPs or extracted files) into `database`, in one
    transaction; one outcome per table found, and one per path refused whole (no table in it)."""
    if version is not None and not (valid_version(PTP, version) or valid_version(MUE, version)):
        raise InputRefused(f"--version {version}: not a version ({VERSION_FORMS[PTP]} or {VERSION_FORMS[MUE]})")
    outcomes: list[Outcome] = []
    tables: list[tuple[Member, str]] = []
    with ExitStack() as stack:
        for file in files:
            try:
                found = stack.enter_context(open_download(file))
            except FormatRefused as why:
                outcomes.append(Outcome(str(file), None, False, str(why)))
                continue
            tables += found.tables
            outcomes += [Outcome(name, None, False, skipped=why) for name, why in found.skipped]
        if tables:
            store = NcciStore.open(database, write=True)
            try:
                outcomes += store.load(tables, version)
            finally:
                store.close()
    return outcomes
