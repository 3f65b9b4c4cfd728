"""What the CMS data stores share about their SQLite file: what makes a file a store, and opening it to read.

Why shared: both stores (NCCI, ICD-10-CM) must refuse a path that is a folder, a file that is not SQLite, a
store another edi837 version made, in one line each; runs open them read-only (a fix never writes to its
reference data), through edi837.datafiles.journal, so an import running meanwhile never makes them wait and
what a killed import left is rolled back, or refused in one line saying who can. Imports write through
edi837.datafiles.load.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from edi837.datafiles import journal
from edi837.datafiles.location import Location
from edi837.errors import InputRefused

SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class StoreSpec:
    """One kind of store: how it is found and named (`location`), the schema a new one gets (`tables`, all of
    it: tables and indexes), the schema version this edi837 reads, and a table every store of the kind has."""

    location: Location
    tables: str
    version: int
    marker: str

    @property
    def what(self) -> str:
        return self.location.what


def check_file(path: Path, spec: StoreSpec, *, write: bool) -> None:
    """Refuse a path that cannot be a store of this kind (a folder, another kind of file; none, for a reader)."""
    what = spec.what
    if path.is_dir():
        raise InputRefused(f"{path}: a folder, not an {what} file")
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as probe:
            if probe.read(16) != SQLITE_MAGIC:
                raise InputRefused(f"{path}: not an {what} (not an SQLite file)")
    elif not write:
        raise InputRefused(f"{path}: no {what} there; load one with `{spec.location.import_command} --db {path} "
                           "FILE...`")


def check_schema(connection: sqlite3.Connection, path: Path, spec: StoreSpec) -> set[str]:
    """Refuse a store of another schema; the tables it has."""
    found = connection.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if found != spec.version or spec.marker not in tables:
        kind = "made by another edi837 version" if spec.marker in tables else f"not an edi837 {spec.what}"
        raise InputRefused(f"{path}: {kind} (schema {found}, this edi837 reads {spec.version})")
    return tables


@dataclass
class Opened:
    """A store open for reading: the connection, its tables, and what opening it took (a hot journal rolled
    back, a WAL returned to one file)."""

    connection: sqlite3.Connection
    tables: set[str]
    recovered: list[str]


def open_reader(path: Path, spec: StoreSpec, *, tidy: bool = False) -> Opened:
    """The store at `path` for reading (see edi837.datafiles.journal for `tidy` and what a reader may do)."""
    check_file(path, spec, write=False)
    try:
        connection, recovered = journal.open_reader(path, spec.location, tidy=tidy)
    except sqlite3.Error as error:
        raise InputRefused(f"{path}: the {spec.what} cannot be opened ({error})") from None
    try:
        return Opened(connection, check_schema(connection, path, spec), recovered)
    except BaseException:
        connection.close()
        raise
