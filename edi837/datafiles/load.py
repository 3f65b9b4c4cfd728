"""How a store's import writes (`edi-fix ncci import`, `edi-fix icd10 import`): the downloads opened, one
transaction with a savepoint per file, WAL while it runs, a note a kill leaves, one file again at its end.

Why these choices, the same for both stores:
- One transaction for the whole command, a savepoint per file: a file refused half-way (truncated,
  damaged, over a cap, a row repeated) leaves none of its rows, the others still load, and a crash or a
  kill leaves the store as it was.
- WAL while it runs, one file again at its end (edi837.datafiles.journal): readers never wait for it, and a
  killed import is never read. It holds a note beside the store (NAME.import) that a kill leaves behind,
  which `status` reports and the next import names. `synchronous` is OFF during the load (a killed process
  cannot corrupt the file in that mode, only an OS crash in that minute could) and back on before the WAL
  is written into the store.
- Rows stream from the file into `executemany`: memory stays flat whatever the file holds, and every read
  is capped (edi837.datafiles.limits).

What each store does itself (a `Loader` subclass): what one file is (its version or release, whether it is
loaded already) and how its rows go in.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from edi837.datafiles import journal
from edi837.datafiles.lines import FormatRefused
from edi837.datafiles.members import READ_ERRORS, Member, Publication, open_download, read_problem
from edi837.datafiles.sqlite import StoreSpec, check_file, check_schema
from edi837.errors import InputRefused

Info = TypeVar("Info")  # what a store says about one import (its row of `imports`)
_BULK_CACHE_KIB = 96 * 1024  # page cache during a load: an index build sorts in it

Table = tuple[Member, str]  # a member and its kind


@dataclass(frozen=True)
class Outcome(Generic[Info]):
    """What importing one table did: loaded, already there (same sha256), or refused (with why); or a
    file beside the tables in a ZIP that is not one (skipped, with why)."""

    label: str
    info: Info | None
    loaded: bool
    refused: str | None = None
    skipped: str | None = None


@dataclass
class ImportRun(Generic[Info]):
    """Every outcome of one import, and what it found and left beside the store."""

    outcomes: list[Outcome[Info]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def gather(files: Iterable[Path], publication: Publication, stack: ExitStack, run: ImportRun[Info]) -> list[Table]:
    """The tables in `files` (ZIPs or extracted files), held open by `stack`; a path refused whole (no table
    in it, damaged) and the files beside the tables are outcomes of `run`."""
    tables: list[Table] = []
    for file in files:
        try:
            found = stack.enter_context(open_download(file, publication))
        except FormatRefused as why:
            run.outcomes.append(Outcome(str(file), None, False, str(why)))
            continue
        tables += found.tables
        run.outcomes += [Outcome(name, None, False, skipped=why) for name, why in found.skipped]
    return tables


def load_each(db: sqlite3.Connection, tables: Iterable[Table], load: Callable[[Member, str], Outcome[Info]]
              ) -> Iterator[Outcome[Info]]:
    """`load(member, kind)` each table in a savepoint of the open transaction; a table refused (FormatRefused)
    or unreadable is rolled back alone and reported as refused."""
    for member, kind in tables:
        db.execute("SAVEPOINT member")
        try:
            outcome = load(member, kind)
        except FormatRefused as why:
            db.execute("ROLLBACK TO member")
            outcome = Outcome(member.label, None, False, str(why))
        except READ_ERRORS as error:
            db.execute("ROLLBACK TO member")
            outcome = Outcome(member.label, None, False, f"{member.label}: {read_problem(error)}; nothing of it was "
                              "loaded")
        db.execute("RELEASE member")
        yield outcome


class Loader(ABC, Generic[Info]):
    """A store opened for writing: WAL on, the schema made when it is new, then checked."""

    spec: StoreSpec

    def __init__(self, connection: sqlite3.Connection, path: Path, lock: journal.ImportLock | None = None) -> None:
        self.connection = connection
        self.path = path
        self.lock = lock
        tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables == 0 and connection.execute("PRAGMA user_version").fetchone()[0] == 0:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.executescript(f"BEGIN;\n{self.spec.tables}\nPRAGMA user_version = {self.spec.version}; COMMIT;")
        self.tables = check_schema(connection, path, self.spec)
        connection.execute("PRAGMA journal_mode = WAL")

    def load(self, tables: Iterable[Table]) -> list[Outcome[Info]]:
        """Import tables (member, kind), one outcome each; all in one transaction."""
        db = self.connection
        synchronous = db.execute("PRAGMA synchronous").fetchone()[0]
        cache = db.execute("PRAGMA cache_size").fetchone()[0]
        db.execute("PRAGMA synchronous = OFF")
        db.execute(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
        db.execute("BEGIN IMMEDIATE")
        try:
            outcomes = list(load_each(db, tables, self.load_one))
            self.finish()
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.execute(f"PRAGMA cache_size = {cache}")
            db.execute(f"PRAGMA synchronous = {synchronous}")
        return outcomes

    def loading(self, member: Member) -> None:
        """Say in the note which file's rows go in now (what `status` names if the import is killed)."""
        if self.lock is not None:
            self.lock.write(committed=False, loading=member.label)

    @abstractmethod
    def load_one(self, member: Member, kind: str) -> Outcome[Info]:
        """One table into the open transaction (refused with FormatRefused)."""

    def finish(self) -> None:
        """What is left to do before the commit, once every table is in (an index to build again)."""


Open = Callable[[sqlite3.Connection, Path, journal.ImportLock], "Loader[Info]"]


def import_tables(database: Path, tables: list[Table], spec: StoreSpec, loader: Open[Info],
                  run: ImportRun[Info]) -> None:
    """Load `tables` into the store at `database` with `loader(connection, path, lock)`, holding the note
    while it runs; what it found (an earlier import's note, a WAL it had to leave) goes to `run.notes`."""
    check_file(database, spec, write=True)
    with ExitStack() as stack:
        try:
            lock = stack.enter_context(journal.ImportLock(database, [m.label for m, _ in tables], spec.location))
        except OSError as error:
            problem = error.strerror or type(error).__name__
            raise InputRefused(f"{database}: cannot write there ({problem})") from None
        if lock.earlier is not None:
            run.notes.append(f"note: {lock.earlier.describe(earlier=True)}")
        _load_all(database, tables, spec, loader, lock, run)


def _load_all(database: Path, tables: list[Table], spec: StoreSpec, loader: Open[Info], lock: journal.ImportLock,
              run: ImportRun[Info]) -> None:
    try:
        connection = sqlite3.connect(database, isolation_level=None, timeout=30)
        try:
            writer = loader(connection, database, lock)  # the store is in WAL mode from here
            try:
                run.outcomes += writer.load(tables)
                lock.write(committed=True)
            finally:
                if not journal.to_one_file(connection):
                    run.notes.append(f"note: runs had the database open, so it stays in WAL mode ({database.name}-wal "
                                     f"beside it) until `{spec.location.status_command}` or the next import returns "
                                     "it to one file")
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise InputRefused(f"{database}: the {spec.what} cannot be written ({error})") from None
