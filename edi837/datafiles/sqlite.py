"""What the CMS data stores share about their SQLite file: opening it, and loading files one savepoint each.

Why shared: both stores (NCCI, ICD-10-CM) must refuse a path that is a folder, a file that is not SQLite, a
store another edi837 version made, in one line each; runs open them read-only (a fix never writes to its
reference data) and imports read-write with the schema made on first use. An import is one transaction with
a savepoint per file: a file refused half-way (truncated, damaged) leaves none of its rows while the others
load, and a crash leaves the store as it was (the rollback journal stays on).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from edi837.errors import InputRefused
from edi837.ncci.formats import FormatRefused
from edi837.ncci.members import READ_ERRORS, Member

SQLITE_MAGIC = b"SQLite format 3\x00"
T = TypeVar("T")


def open_store(path: Path, *, write: bool, what: str, command: str, schema: str, version: int,
               marker: str) -> sqlite3.Connection:
    """A connection to the store at `path` (`what`: "NCCI database"), read-only unless `write`; a new file
    gets `schema` and `version` when written; `marker` is a table every store of this kind has."""
    if path.is_dir():
        raise InputRefused(f"{path}: a folder, not an {what} file")
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as probe:
            if probe.read(16) != SQLITE_MAGIC:
                raise InputRefused(f"{path}: not an {what} (not an SQLite file)")
    elif not write:
        raise InputRefused(f"{path}: no {what} there; load one with `{command} --db {path} FILE...`")
    connection: sqlite3.Connection | None = None
    try:
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        else:
            connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                                         timeout=30)
        found = connection.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if found == 0 and not tables and write:
            connection.executescript(schema)
            connection.execute(f"PRAGMA user_version = {version}")
        elif found != version or marker not in tables:
            kind = "made by another edi837 version" if marker in tables else f"not an edi837 {what}"
            raise InputRefused(f"{path}: {kind} (schema {found}, this edi837 reads {version})")
    except sqlite3.Error as error:
        if connection is not None:
            connection.close()
        raise InputRefused(f"{path}: the {what} cannot be opened ({error})") from None
    except InputRefused:
        if connection is not None:
            connection.close()
        raise
    return connection


def load_each(db: sqlite3.Connection, tables: Iterable[tuple[Member, str]], load: Callable[[Member, str], T],
              refused: Callable[[str, str], T]) -> Iterator[T]:
    """`load(member, kind)` each table in a savepoint of the open transaction; a table refused (FormatRefused)
    or unreadable is rolled back alone and reported as `refused(label, why)`."""
    for member, kind in tables:
        db.execute("SAVEPOINT member")
        try:
            outcome = load(member, kind)
        except FormatRefused as why:
            db.execute("ROLLBACK TO member")
            outcome = refused(member.label, str(why))
        except READ_ERRORS as error:
            db.execute("ROLLBACK TO member")
            outcome = refused(member.label, f"{member.label}: cannot be read ({type(error).__name__}); a truncated or "
                                            "damaged download?")
        db.execute("RELEASE member")
        yield outcome
