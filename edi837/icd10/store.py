"""The ICD-10-CM store: each imported release (file, sha256, kind, release, counts) and its codes, in one
SQLite file beside the NCCI database; opened for reading by runs, `icd10 status` and `icd10 lookup`, for
writing by `icd10 import` (edi837.icd10.load).

Why its own file and not tables in the NCCI database: the two change on different calendars (NCCI every
quarter, ICD-10-CM every October with an April update), a user may rebuild or delete one without the
other, and each import is one transaction on its own file, so loading a code set never waits on, or rolls
back with, a quarter of NCCI edits. The location rules are the same (edi837.datafiles.location), and so is
how it is opened: readers open it read-only through edi837.datafiles.journal, so an import running
meanwhile (WAL) never makes them wait, and what a killed import left is rolled back, or refused in one line
saying who can.

Why these choices, as for the NCCI store: every code row keeps its import id, so a record cites the file
and release it rests on; older releases stay (a claim of last year is checked against last year's codes).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from edi837.datafiles.location import Location
from edi837.datafiles.sqlite import StoreSpec, open_reader
from edi837.icd10.formats import Release

ENV_VAR = "EDI837_ICD10_DB"
LOCATION = Location("--icd10-db", ENV_VAR, "icd10cm.sqlite3", "ICD-10-CM store", "edi-fix icd10",
                    "use the shipped releases alone")
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
SPEC = StoreSpec(LOCATION, _TABLES, SCHEMA_VERSION, "codes")


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


class Icd10Store:
    """An open ICD-10-CM store, read-only. `recovered` says what opening it took (a hot journal rolled back)."""

    def __init__(self, connection: sqlite3.Connection, path: Path, recovered: list[str] | None = None) -> None:
        self.connection = connection
        self.path = path
        self.recovered = recovered or []

    @classmethod
    def open(cls, path: Path, *, tidy: bool = False) -> Icd10Store:
        """The store at `path` for reading (see edi837.datafiles.journal for `tidy` and what a reader may do)."""
        opened = open_reader(path, SPEC, tidy=tidy)
        return cls(opened.connection, path, opened.recovered)

    def close(self) -> None:
        self.connection.close()

    def imports(self) -> list[Icd10Import]:
        """Every imported release, oldest first."""
        rows = self.connection.execute("SELECT * FROM imports ORDER BY effective")
        return [Icd10Import(*row) for row in rows]

    def statuses(self, code: str) -> dict[int, int]:
        """The code in every imported release that lists it: import id -> 1 billable, 0 header."""
        return dict(self.connection.execute("SELECT import_id, billable FROM codes WHERE code = ?", (code,)))

    def billable_below(self, code: str, import_id: int, limit: int) -> list[str]:
        """The billable codes under a header in one release (M545 -> M5450, M5451, M5459), in code order."""
        rows = self.connection.execute("SELECT code FROM codes WHERE code > ? AND code < ? AND import_id = ? AND "
                                       "billable = 1 ORDER BY code LIMIT ?", (code, code + "~", import_id, limit))
        return [row[0] for row in rows]
