"""`edi-fix ncci import`: CMS files (ZIPs as downloaded, or the tables extracted) into the NCCI database.

Why these choices:
- Re-importing a file is a no-op, decided by the sha256 of the table's own bytes with its version and
  part (the ZIP as downloaded and the file extracted from it are the same import; a part whose bytes did
  not change from one quarter to the next is still loaded as the new quarter's part). Another file
  claiming a version and part that is already loaded is refused rather than mixed in.
- Bulk load: rows stream from the file straight into `executemany` (memory stays flat for millions of
  rows; every read is capped, edi837.ncci.limits); the lookup indexes are dropped before and built once
  after loading, which is several times faster than maintaining them row by row.
- One transaction for the whole command, a savepoint per file: a file refused half-way (truncated,
  damaged, a row repeated) leaves none of its rows, the others still load, and a crash or a kill leaves
  the database as it was. The import runs in WAL mode and returns the database to one file at its end
  (edi837.ncci.journal: readers never wait for it, and a killed import is never read). `synchronous` is
  OFF during the load (a killed process cannot corrupt the file in that mode, only an OS crash in that
  minute could) and back on before the WAL is written into the database.
- Duplicates are refused, not collapsed: a CMS file lists an edit's window once (a key may recur, with
  another window), so a key repeated with the same window is a damaged or altered file, and loading it
  anyway would hide that. In a file ordered by key (as CMS writes them) a repeat is caught while reading,
  on the spot; in any other, one grouped query over the file's rows finds it once they are in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from edi837.errors import InputRefused
from edi837.ncci import journal
from edi837.ncci.formats import (
    KIND_NAMES,
    MUE,
    PTP,
    VERSION_FORMS,
    FormatRefused,
    PtpSeen,
    is_synthetic,
    part_of,
    read_ptp,
    repeated_window,
    valid_version,
    version_in,
)
from edi837.ncci.members import READ_ERRORS, Member, open_download, read_problem
from edi837.ncci.mue import read_mue
from edi837.ncci.store import SCHEMA_VERSION, SYNTHETIC_TABLE, TABLES, ImportInfo, check_file, check_schema

_INDEXES = {PTP: "CREATE INDEX IF NOT EXISTS ptp_pair ON ptp (column1, column2)",
            MUE: "CREATE INDEX IF NOT EXISTS mue_code ON mue (code)"}
_INDEX_NAMES = {PTP: "ptp_pair", MUE: "mue_code"}
_BULK_CACHE_KIB = 96 * 1024  # page cache during a load: the index build sorts in it
_DUPLICATE = ("SELECT min(rowid), max(rowid), column1, column2, effective, deletion FROM ptp WHERE rowid > ? "
              "GROUP BY column1, column2, effective, ifnull(deletion, 0) HAVING count(*) > 1 LIMIT 1")


@dataclass(frozen=True)
class Outcome:
    """What importing one table did: loaded, already there (same sha256), or refused (with why); or a
    file beside the tables in a ZIP that is not one (skipped, with why)."""

    label: str
    info: ImportInfo | None
    loaded: bool
    refused: str | None = None
    skipped: str | None = None


@dataclass
class ImportRun:
    """Every outcome of one `ncci import`, and what it found and left beside the database."""

    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def import_files(database: Path, files: Iterable[Path], version: str | None = None) -> ImportRun:
    """Every table in `files` (ZIPs or extracted files) into `database`, in one transaction; one outcome per
    table found, and one per path refused whole (no table in it)."""
    if version is not None and not (valid_version(PTP, version) or valid_version(MUE, version)):
        raise InputRefused(f"--version {version}: not a version ({VERSION_FORMS[PTP]} or {VERSION_FORMS[MUE]})")
    run = ImportRun()
    tables: list[tuple[Member, str]] = []
    with ExitStack() as stack:
        for file in files:
            try:
                found = stack.enter_context(open_download(file))
            except FormatRefused as why:
                run.outcomes.append(Outcome(str(file), None, False, str(why)))
                continue
            tables += found.tables
            run.outcomes += [Outcome(name, None, False, skipped=why) for name, why in found.skipped]
        if tables:
            check_file(database, write=True)
            try:
                lock = stack.enter_context(journal.ImportLock(database, [m.label for m, _ in tables]))
            except OSError as error:
                problem = error.strerror or type(error).__name__
                raise InputRefused(f"{database}: cannot write there ({problem})") from None
            if lock.earlier is not None:
                run.notes.append(f"note: {lock.earlier.describe(earlier=True)}")
            _load_all(database, tables, version, lock, run)
    return run


def _load_all(database: Path, tables: list[tuple[Member, str]], version: str | None, lock: journal.ImportLock,
              run: ImportRun) -> None:
    try:
        connection = sqlite3.connect(database, isolation_level=None, timeout=30)
        try:
            loader = Loader(connection, database, lock)  # the database is in WAL mode from here
            try:
                run.outcomes += loader.load(tables, version)
                lock.write(committed=True)
            finally:
                if not journal.to_one_file(connection):
                    run.notes.append(f"note: runs had the database open, so it stays in WAL mode ({database.name}-wal "
                                     "beside it) until `edi-fix ncci status` or the next import returns it to one file")
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise InputRefused(f"{database}: the NCCI database cannot be written ({error})") from None


class Loader:
    """The database opened for writing: WAL on, the schema made when it is new."""

    def __init__(self, connection: sqlite3.Connection, path: Path, lock: journal.ImportLock | None = None) -> None:
        self.connection = connection
        self.path = path
        self.lock = lock
        tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables == 0 and connection.execute("PRAGMA user_version").fetchone()[0] == 0:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.executescript(f"BEGIN; {TABLES} {SYNTHETIC_TABLE}; "
                                     + "".join(f"{s};\n" for s in _INDEXES.values())
                                     + f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        check_schema(connection, path)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(SYNTHETIC_TABLE)

    def load(self, tables: Iterable[tuple[Member, str]], version: str | None = None) -> list[Outcome]:
        """Import tables (member, kind), one outcome each; all in one transaction."""
        db = self.connection
        synchronous = db.execute("PRAGMA synchronous").fetchone()[0]
        cache = db.execute("PRAGMA cache_size").fetchone()[0]
        db.execute("PRAGMA synchronous = OFF")
        db.execute(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
        dropped: set[str] = set()
        outcomes: list[Outcome] = []
        db.execute("BEGIN IMMEDIATE")
        try:
            for member, kind in tables:
                db.execute("SAVEPOINT member")
                try:
                    outcome = self._load_one(member, kind, version, dropped)
                except FormatRefused as why:
                    db.execute("ROLLBACK TO member")
                    outcome = Outcome(member.label, None, False, str(why))
                except READ_ERRORS as error:
                    db.execute("ROLLBACK TO member")
                    outcome = Outcome(member.label, None, False, f"{member.label}: {read_problem(error)}; nothing "
                                      "of it was loaded")
                db.execute("RELEASE member")
                outcomes.append(outcome)
            for kind in sorted(dropped):
                db.execute(_INDEXES[kind])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.execute(f"PRAGMA cache_size = {cache}")
            db.execute(f"PRAGMA synchronous = {synchronous}")
        return outcomes

    def _load_one(self, member: Member, kind: str, override: str | None, dropped: set[str]) -> Outcome:
        db = self.connection
        sha = member.sha256()
        version = self._version_of(member, kind, override)
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
        if kind not in dropped:
            db.execute(f"DROP INDEX IF EXISTS {_INDEX_NAMES[kind]}")
            dropped.add(kind)
        if self.lock is not None:
            self.lock.write(committed=False, loading=member.label)
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
