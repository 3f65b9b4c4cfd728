"""The ICD-10-CM store: each imported release (file, sha256, kind, release, counts) and its codes, in one
SQLite file beside the NCCI database.

Why its own file and not tables in the NCCI database: the two change on different calendars (NCCI every
quarter, ICD-10-CM every October with an April update), a user may rebuild or delete one without the
other, and each import is one transaction on its own file, so loading a code set never waits on, or rolls
back with, a quarter of NCCI edits. The location rules are the same (edi837.datafiles.location).

Why these choices, as for the NCCI store: every code row keeps its import id, so a record cites the file
and release it rests on; older releases stay (a claim of last year is checked against last year's codes);
re-importing a file is a no-op (the sha256 of the table's own bytes, its kind and release); another file
claiming a release that is loaded is refused rather than mixed in. The whole command is one transaction
with a savepoint per file: a file refused half-way leaves none of its rows, and a crash leaves the store
as it was (rollback journal on).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from edi837.datafiles.sqlite import load_each, open_store
from edi837.errors import InputRefused
from edi837.icd10.formats import CODES, KIND_NAMES, ORDER, VERSION_FORMS, WANTED, Release, read_codes, release_in, sniff
from edi837.ncci.formats import FormatRefused
from edi837.ncci.members import Member, open_download

SCHEMA_VERSION = 1
_TABLES = """
CREATE TABLE IF NOT EXISTS imports (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('order', 'codes')),
    version TEXT NOT NULL UNIQUE,
    effective TEXT NOT NULL,
    fiscal_year INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    container TEXT,
    sha256 TEXT NOT NULL,
    rows INTEGER NOT NULL,
    billable INTEGER NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS codes (code TEXT NOT NULL, billable INTEGER NOT NULL, import_id INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS codes_code ON codes (code, import_id);
"""


@dataclass(frozen=True)
class Icd10Import:
    """One imported ICD-10-CM file: a whole release's code set."""

    id: int
    kind: str
    version: str
    effective: str
    fiscal_year: int
    file_name: str
    container: str | None
    sha256: str
    rows: int
    billable: int
    imported_at: str

    @property
    def release(self) -> Release:
        return Release(date.fromisoformat(self.effective), self.fiscal_year)

    @property
    def described(self) -> str:
        """How a record cites it: "ICD-10-CM FY2026 (icd10cm-order-2026.txt)"."""
        return f"ICD-10-CM {self.version} ({self.file_name})"


@dataclass(frozen=True)
class Outcome:
    """What importing one file did: loaded, already there, refused (with why), or skipped (with why)."""

    label: str
    info: Icd10Import | None
    loaded: bool
    refused: str | None = None
    skipped: str | None = None


class Icd10Store:
    """An open ICD-10-CM store. Runs open it read-only; `edi-fix icd10 import` opens it for writing."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path

    @classmethod
    def open(cls, path: Path, *, write: bool = False) -> Icd10Store:
        return cls(open_store(path, write=write, what="ICD-10-CM store", command="edi-fix icd10 import",
                              schema=_TABLES, version=SCHEMA_VERSION, marker="codes"), path)

    def close(self) -> None:
        self.connection.close()

    def imports(self) -> list[Icd10Import]:
        """Every imported release, oldest first."""
        rows = self.connection.execute("SELECT * FROM imports ORDER BY effective")
        return [Icd10Import(*row) for row in rows]

    # -- import -------------------------------------------------------------------------------------------
    def load(self, tables: Iterable[tuple[Member, str]], version: Release | None = None) -> Iterator[Outcome]:
        """Import files (member, kind), one outcome each as it is done; all in one transaction."""
        db = self.connection
        db.execute("BEGIN IMMEDIATE")
        try:
            yield from load_each(db, tables, lambda member, kind: self._load_one(member, kind, version),
                                 lambda label, why: Outcome(label, None, False, why))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _load_one(self, member: Member, kind: str, override: Release | None) -> Outcome:
        db = self.connection
        sha = member.sha256()
        release = override or release_of_member(member)
        known = db.execute("SELECT * FROM imports WHERE version = ?", (release.label,)).fetchone()
        if known is not None:
            info = Icd10Import(*known)
            if info.sha256 == sha and info.kind == kind:
                return Outcome(member.label, info, loaded=False)
            raise FormatRefused(f"{member.label}: ICD-10-CM {release.label} is already loaded from another file "
                                f"({info.file_name}, {info.imported_at[:10]}); a release is never mixed from two "
                                "files")
        now = datetime.now(UTC).isoformat(timespec="seconds")
        cursor = db.execute("INSERT INTO imports (kind, version, effective, fiscal_year, file_name, container, sha256, "
                            "rows, billable, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, ?)",
                            (kind, release.label, release.effective.isoformat(), release.fiscal_year, member.name,
                             member.container, sha, now))
        import_id = cursor.lastrowid
        assert import_id is not None
        with member.opener() as stream:
            rows = [(code, billable, import_id) for code, billable in read_codes(stream, kind, member.label)]
        if not rows:
            raise FormatRefused(f"{member.label}: an {KIND_NAMES[kind]} with no codes; not loaded")
        db.executemany("INSERT INTO codes VALUES (?, ?, ?)", rows)
        billable = sum(row[1] for row in rows)
        db.execute("UPDATE imports SET rows = ?, billable = ? WHERE id = ?", (len(rows), billable, import_id))
        return Outcome(member.label, Icd10Import(import_id, kind, release.label, release.effective.isoformat(),
                                                 release.fiscal_year, member.name, member.container, sha, len(rows),
                                                 billable, now), loaded=True)

    # -- reads --------------------------------------------------------------------------------------------
    def statuses(self, code: str) -> dict[int, int]:
        """The code in every imported release that lists it: import id -> 1 billable, 0 header."""
        return dict(self.connection.execute("SELECT import_id, billable FROM codes WHERE code = ?", (code,)))

    def billable_below(self, code: str, import_id: int, limit: int) -> list[str]:
        """The billable codes under a header in one release (M545 -> M5450, M5451, M5459), in code order."""
        rows = self.connection.execute("SELECT code FROM codes WHERE code > ? AND code < ? AND import_id = ? AND "
                                       "billable = 1 ORDER BY code LIMIT ?", (code, code + "~", import_id, limit))
        return [row[0] for row in rows]


def release_of_member(member: Member) -> Release:
    """The release a file's name, or its ZIP's, says; refused when neither says one."""
    found = release_in(member.name) or release_in(member.container or "")
    if found is None:
        raise FormatRefused(f"{member.label}: an ICD-10-CM code file, but neither its name nor its ZIP's says which "
                            f"release; give it with --version {VERSION_FORMS}")
    return found


def _prefer_order_files(tables: list[tuple[Member, str]], override: Release | None) -> tuple[list[tuple[Member, str]],
                                                                                               list[Outcome]]:
    """A download holds both the order file and the codes file of a release: the order file is loaded (it has
    the headers too), the codes file skipped, saying why."""
    def release(member: Member) -> str | None:
        try:
            return (override or release_of_member(member)).label
        except FormatRefused:
            return None

    with_order = {release(m) for m, kind in tables if kind == ORDER} - {None}
    keep, skipped = [], []
    for member, kind in tables:
        if kind == CODES and release(member) in with_order:
            skipped.append(Outcome(member.label, None, False, skipped="the order file of the same release is loaded "
                                   "instead (it lists the headers too)"))
        else:
            keep.append((member, kind))
    return keep, skipped


def import_files(database: Path, files: Iterable[Path], version: str | None = None) -> list[Outcome]:
    """`edi-fix icd10 import`: every code file in `files` (ZIPs or extracted files) into `database`, in one
    transaction; one outcome per file found, and one per path refused whole (no code file in it)."""
    override = None
    if version is not None:
        from edi837.icd10.formats import parse_version

        override = parse_version(version)
        if override is None:
            raise InputRefused(f"--version {version}: not a release ({VERSION_FORMS})")
    outcomes: list[Outcome] = []
    tables: list[tuple[Member, str]] = []
    with ExitStack() as stack:
        for file in files:
            try:
                found = stack.enter_context(open_download(file, sniff, WANTED))
            except FormatRefused as why:
                outcomes.append(Outcome(str(file), None, False, str(why)))
                continue
            tables += found.tables
            outcomes += [Outcome(name, None, False, skipped=why) for name, why in found.skipped]
        tables, skipped = _prefer_order_files(tables, override)
        outcomes += skipped
        if tables:
            store = Icd10Store.open(database, write=True)
            try:
                outcomes += store.load(tables, override)
            finally:
                store.close()
    return outcomes
