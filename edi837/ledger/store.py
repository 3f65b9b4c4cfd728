"""Where the ledger is, and opening it: made on first use with the modes of patient data, WAL, waits its turn.

Found like the CMS stores (edi837.datafiles.location): `--ledger PATH`, else `$EDI837_LEDGER` (set empty: no
ledger), else `ledger.sqlite3` in the per-user data folder. Unlike a CMS store, the ledger is written by every
run that keeps one, so it is made when missing - its folder 0700 and the file 0600 (0750 and 0640 with
`group_readable`), through the same mode helper as every file with patient data, the file created with its
mode before SQLite opens it so it is never wider even for a moment; SQLite gives its `-wal` and `-shm` files
the database's mode.

Several writers at once (the watcher, a batch, a person at the command line) are the normal case:
- WAL mode, so readers never wait for a writer and a writer never waits for readers;
- every write is one short `BEGIN IMMEDIATE` transaction (the write lock taken first, never upgraded from a
  read, which could deadlock two writers), and a writer that finds the lock taken waits for it up to
  BUSY_SECONDS, then says the ledger stayed locked;
- a process killed mid-transaction leaves nothing of it: SQLite rolls it back on the next open, and the
  lock dies with the process.
Rows are written with synchronous=NORMAL (a crash of the process loses nothing committed; a power cut may lose
the last moments of a run that is then not yet marked written) and the step that must hold before outputs are
placed with synchronous=FULL.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Literal

from edi837.datafiles.location import Location
from edi837.datafiles.sqlite import SQLITE_MAGIC
from edi837.errors import OutputFailed, one_line
from edi837.files.modes import data_file_mode, make_data_dirs
from edi837.ledger import schema
from edi837.ledger.secret import KeyProblem, fingerprint, key_for

LEDGER = Location(option="--ledger", env_var="EDI837_LEDGER", file_name="ledger.sqlite3", what="claims ledger",
                  commands="edi-fix claims", without="run without a ledger")
_OPEN_TRIES = 5
BUSY_SECONDS = 60.0  # how long a writer waits for another's transaction (each is short; a checkpoint can take more)


class LedgerUnavailable(OutputFailed):
    """The ledger cannot be opened or written: exit 2, and a run that needs it commits nothing."""

    locked = False  # SQLite said "locked" (another process's transaction), not a file or schema problem


def ledger_path(option: Path | Literal[False] | None) -> Path | None:
    """The ledger a run writes: the option's, else $EDI837_LEDGER's, else the per-user one; None: no ledger."""
    return LEDGER.choose(option).path


def _problem(path: Path, error: BaseException) -> LedgerUnavailable:
    if isinstance(error, LedgerUnavailable):
        return error
    if isinstance(error, KeyProblem):
        return LedgerUnavailable(str(error))
    text = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    locked = isinstance(error, sqlite3.OperationalError) and "locked" in text
    if locked:
        text = f"another run kept it locked for more than {BUSY_SECONDS:.0f} s"
    problem = LedgerUnavailable(one_line(f"{path}: the claims ledger cannot be written ({text})"))
    problem.locked = locked
    return problem


class Ledger:
    """An open ledger: its connection (autocommit; writes go through `writing`) and, for a writer, its key."""

    def __init__(self, path: Path, connection: sqlite3.Connection, key: bytes | None) -> None:
        self.path = path
        self.connection = connection
        self.key = key

    @classmethod
    def open(cls, path: Path, *, write: bool = True, group_readable: bool = False) -> Ledger:
        """The ledger at `path`, made (with its key file) when missing and `write`; LedgerUnavailable when it
        cannot be: a folder, not a ledger, a later schema, a missing or other key, no room, locked too long.

        Two processes making one ledger at once can meet in a lock SQLite answers at once instead of waiting
        out (a file turning to WAL under a reader, an upgrade from read to write: SQLite's documented answer
        is to start again): such a quick "locked" is tried again, a few times, before it is refused."""
        started = time.monotonic()
        for attempt in range(_OPEN_TRIES):
            try:
                return cls._open(path, write=write, group_readable=group_readable)
            except LedgerUnavailable as error:
                quick = time.monotonic() - started < BUSY_SECONDS / 2
                if not (quick and error.locked) or attempt == _OPEN_TRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")  # the loop returns or raises

    @classmethod
    def _open(cls, path: Path, *, write: bool, group_readable: bool) -> Ledger:
        connection = None
        try:
            _check_file(path, write=write)
            mode = data_file_mode(group_readable=group_readable)
            if write:
                _create(path, mode, group_readable)
            connection = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
            found = _settle_schema(connection, path, write=write)
            key = None
            if write:
                known = found.get("key")
                key = key_for(path, known, mode)
                if known is None:
                    with _transaction(connection):
                        connection.execute("INSERT OR IGNORE INTO meta VALUES ('key', ?)", (fingerprint(key),))
                    known = connection.execute("SELECT value FROM meta WHERE key = 'key'").fetchone()[0]
                    key = key_for(path, known, mode)  # another process made the first one: its key is the one
            return cls(path, connection, key)
        except (sqlite3.Error, OSError, KeyProblem, LedgerUnavailable) as error:
            if connection is not None:
                connection.close()
            raise _problem(path, error) from None

    @contextmanager
    def writing(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE); `durable`: fsynced before it returns (synchronous=FULL)."""
        try:
            if durable:
                self.connection.execute("PRAGMA synchronous = FULL")
            with _transaction(self.connection):
                yield self.connection
        except (sqlite3.Error, OSError) as error:
            raise _problem(self.path, error) from None
        finally:
            if durable:
                with suppress(sqlite3.Error):
                    self.connection.execute("PRAGMA synchronous = NORMAL")

    def close(self) -> None:
        with suppress(sqlite3.Error):
            self.connection.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _check_file(path: Path, *, write: bool) -> None:
    if path.is_dir():
        raise LedgerUnavailable(f"{path}: a folder, not a claims ledger file")
    try:
        with path.open("rb") as probe:
            head = probe.read(16)
    except FileNotFoundError:
        if not write:
            raise LedgerUnavailable(f"{path}: no claims ledger there yet (a run with the ledger on makes it)") \
                from None
        return
    if head and head != SQLITE_MAGIC:
        raise LedgerUnavailable(f"{path}: not a claims ledger (not an SQLite file)")


def _create(path: Path, mode: int, group_readable: bool) -> None:
    """The folder and an empty file with the patient-data modes, before SQLite opens it (it would use 0644)."""
    make_data_dirs(path.parent, group_readable=group_readable)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode))


def _settle_schema(connection: sqlite3.Connection, path: Path, *, write: bool) -> dict[str, str]:
    """Check the file is a ledger of a schema this edi837 knows, migrating an older (or new) one when writing;
    returns its meta rows."""
    app, version = _ids(connection)
    if app != schema.APPLICATION_ID and not (app == 0 and version == 0 and _empty(connection)):
        raise LedgerUnavailable(f"{path}: an SQLite file, but not an edi837 claims ledger")
    if version > schema.VERSION:
        raise LedgerUnavailable(f"{path}: a claims ledger of a later edi837 (schema {version}; this edi837 knows "
                                f"up to {schema.VERSION}): use that edi837 or a newer one")
    connection.execute("PRAGMA synchronous = NORMAL")
    if write and connection.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
        raise LedgerUnavailable(f"{path}: the claims ledger needs a folder where SQLite can keep a write-ahead log "
                                "(a local disk, not a network share)")
    if version < schema.VERSION:
        if not write:
            raise LedgerUnavailable(f"{path}: no claims ledger there yet (a run with the ledger on makes it)"
                                    if version == 0 else
                                    f"{path}: a claims ledger of an earlier schema ({version}); a run with the "
                                    "ledger on brings it up to date")
        with _transaction(connection):
            app, version = _ids(connection)  # another process may have migrated it meanwhile
            if version < schema.VERSION:
                schema.migrate(connection, version)
    return dict(connection.execute("SELECT key, value FROM meta").fetchall())


def _ids(connection: sqlite3.Connection) -> tuple[int, int]:
    app = connection.execute("PRAGMA application_id").fetchone()[0]
    return app, connection.execute("PRAGMA user_version").fetchone()[0]


def _empty(connection: sqlite3.Connection) -> bool:
    return bool(connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0)
