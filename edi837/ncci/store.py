"""The NCCI database: what was imported (file, sha256, kind, version, row counts), the PTP rows and the
MUE rows, in one SQLite file; opened for reading by runs, `ncci status` and `ncci lookup`, for writing by
`ncci import` (edi837.ncci.load).

Why these choices:
- Every row keeps its import id, so a record can cite the CMS file and version it rests on, and older
  quarters stay stored beside the new one (an auditor may ask which quarter a past run used).
- Which imports came from files edi837's generator marked synthetic is a table of its own
  (`synthetic`), not a column: a database written by this version still opens in an edi837 that does
  not know the table, and one written before it simply has no synthetic imports.
- Readers open read-only, through edi837.datafiles.journal as every store does: an import running
  meanwhile (WAL) never makes them wait, and what a killed import left is rolled back, or refused in one
  line saying who can.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from edi837.datafiles.sqlite import StoreSpec, open_reader
from edi837.ncci.formats import KIND_NAMES, MUE, PTP
from edi837.ncci.paths import LOCATION

SCHEMA_VERSION = 1
TABLES = """
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
SYNTHETIC_TABLE = "CREATE TABLE IF NOT EXISTS synthetic (import_id INTEGER PRIMARY KEY)"
INDEXES = {PTP: "CREATE INDEX IF NOT EXISTS ptp_pair ON ptp (column1, column2)",
           MUE: "CREATE INDEX IF NOT EXISTS mue_code ON mue (code)"}
SPEC = StoreSpec(LOCATION, TABLES + "".join(f"{s};\n" for s in (SYNTHETIC_TABLE, *INDEXES.values())), SCHEMA_VERSION,
                 "imports")


@dataclass(frozen=True)
class ImportInfo:
    """One imported CMS file (or a file edi837's generator wrote and marked synthetic)."""

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
    synthetic: bool = False

    @classmethod
    def of(cls, row: sqlite3.Row | tuple[object, ...]) -> ImportInfo:
        """From `SELECT i.*, <synthetic 0 or 1> FROM imports i`."""
        values = tuple(row)
        return cls(*values[:10], synthetic=bool(values[10]))  # type: ignore[misc]

    @property
    def described(self) -> str:
        """How a record cites it: "CMS NCCI PTP practitioner v322r0 (ccipra-v322r0-f1.txt)", or for a
        generated file "SYNTHETIC NCCI PTP practitioner v321r0 (ccipra-v321r0-f1.txt, an edi837 test file,
        not from CMS)"."""
        if self.synthetic:
            return (f"SYNTHETIC NCCI {KIND_NAMES[self.kind]} {self.version} ({self.file_name}, an edi837 test file, "
                    "not from CMS)")
        return f"CMS NCCI {KIND_NAMES[self.kind]} {self.version} ({self.file_name})"


class NcciStore:
    """An open NCCI database, read-only. `recovered` says what opening it took (a hot journal rolled back)."""

    def __init__(self, connection: sqlite3.Connection, path: Path, tables: set[str],
                 recovered: list[str] | None = None) -> None:
        self.connection = connection
        self.path = path
        self.recovered = recovered or []
        self.marks_synthetic = "synthetic" in tables

    @classmethod
    def open(cls, path: Path, *, tidy: bool = False) -> NcciStore:
        """The database at `path` for reading (see edi837.datafiles.journal for `tidy` and what a reader may do)."""
        opened = open_reader(path, SPEC, tidy=tidy)
        return cls(opened.connection, path, opened.tables, opened.recovered)

    def close(self) -> None:
        self.connection.close()

    def imports(self, kind: str | None = None) -> list[ImportInfo]:
        synthetic = "(SELECT count(*) FROM synthetic s WHERE s.import_id = i.id)" if self.marks_synthetic else "0"
        sql = f"SELECT i.*, {synthetic} FROM imports i" + (" WHERE kind = ?" if kind else "") + " ORDER BY id"
        return [ImportInfo.of(row) for row in self.connection.execute(sql, (kind,) if kind else ())]

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
