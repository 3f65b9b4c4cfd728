"""What an import leaves beside a store (the NCCI database, the ICD-10-CM store) while it runs or after it was
killed, and how every reader (a fix run's lookups, `status`, `lookup`) gets past it. Both stores are written
and read this way; only their words differ (edi837.datafiles.location.Location: the store's name, commands).

Why WAL while an import runs, and a rollback journal otherwise:
- An import is one transaction of up to millions of rows. With a rollback journal the importer soon holds
  the exclusive lock (once its page cache spills) and every run that looks a row up waits, then fails. In
  WAL mode readers never wait: they read what was committed before the import, and see the new quarter or
  release once it commits. A killed import leaves frames that were never committed: every reader ignores them.
- Out of an import the database is one file again (journal_mode DELETE): a WAL database cannot be read by
  a user who may not create NAME-shm beside it, and WAL does not work on network file systems. The switch
  back needs no other connection open; when runs are reading at that moment the database stays in WAL
  until `status` (run by a user who may write there) or the next import switches it.
- A hot rollback journal (NAME-journal left by a write that was killed: an import of an earlier edi837,
  or the instant of the switch) blocks every read-only open ("attempt to write a readonly database").
  Only a connection that may write can roll it back: a reader that may write to the database and its
  folder opens it for writing once, which rolls it back, and reads on; a reader that may not is refused
  with one line saying who can fix it. SQLite itself decides whether a journal is hot (no live writer
  holds it), so a running import's journal is never touched.

Why a note file (NAME.import): WAL hides an interrupted import (its frames are simply never read), yet a
person must learn that one was killed. The importer holds an flock on the note while it runs and removes
it when it ends, however it ends; a note nobody holds is an import that was killed, and says when it
started, which files it had, and whether it had committed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from edi837.datafiles.location import Location
from edi837.errors import InputRefused, one_line

_WAL_BYTE = 18  # the database header's "file format write version": 2 in WAL mode, 1 otherwise
_LOCK_WAIT = 5.0  # seconds an import waits for a reader's brief probe of the note, or refuses
_SWITCH_WAIT_MS = 5000  # how long the switch back to one file waits for readers to let go


def sibling(db: Path, suffix: str) -> Path:
    return db.with_name(db.name + suffix)


def in_wal(db: Path) -> bool:
    """Whether the database file says WAL mode (read from its header, without opening it)."""
    try:
        with db.open("rb") as probe:
            probe.seek(_WAL_BYTE)
            return probe.read(1) == b"\x02"
    except OSError:
        return False


def may_write(db: Path) -> bool:
    """Whether this process may write the database and create or remove files beside it."""
    return os.access(db, os.W_OK) and os.access(db.parent, os.W_OK | os.X_OK)


@dataclass(frozen=True)
class ImportNote:
    """An import as its note tells it: running now, or killed (the note was left behind)."""

    pid: int | None
    started: str
    files: tuple[str, ...]
    loading: str | None  # the file whose rows it was loading
    committed: bool
    running: bool

    def describe(self, *, earlier: bool = False) -> str:
        """For `status` (or, `earlier`, for the import that finds the note of a killed one)."""
        pid = f" (pid {self.pid})" if self.pid else ""
        who = f"an {'earlier ' if earlier else ''}import started {self.started}{pid}"
        files = f" of {', '.join(self.files[:5])}{', ...' if len(self.files) > 5 else ''}" if self.files else ""
        at = f" while loading {self.loading}" if self.loading else ""
        if self.running:
            now = f": loading {self.loading} now" if self.loading else ""
            return f"{who}{files} is running{now}; runs read what was loaded before it until it commits"
        if self.committed:
            return (f"{who}{files} was interrupted after it committed: its files are loaded (listed "
                    f"{'below' if earlier else 'above'}); only tidying up was left undone")
        kept = "had been kept" if earlier else "is in the database"
        return (f"{who}{files} was interrupted{at}, before it committed: it was rolled back, none of its rows were "
                f"ever read and nothing of it {kept}" + ("" if earlier else "; the next import clears this note"))


def read_note(db: Path) -> ImportNote | None:
    """The note beside the database, if any, and whether its importer is alive (it holds the note's lock)."""
    try:
        handle = sibling(db, ".import").open("rb")
    except FileNotFoundError:
        return None
    except OSError:
        return ImportNote(None, "at an unknown time", (), None, False, False)
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            running = False
            fcntl.flock(handle, fcntl.LOCK_UN)
        except BlockingIOError:
            running = True
        return _parse(handle.read(1 << 16), running)


def _parse(raw: bytes, running: bool) -> ImportNote | None:
    try:
        data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    if not data and not running:
        return None  # an empty note: its importer died before writing it, or this is a stray file
    pid, files, loading = data.get("pid"), data.get("files"), data.get("loading")
    return ImportNote(pid if isinstance(pid, int) else None, str(data.get("started", "at an unknown time"))[:40],
                      tuple(str(f)[:200] for f in files) if isinstance(files, list) else (),
                      str(loading)[:200] if loading else None, data.get("phase") == "committed", running)


def status_lines(db: Path, recovered: list[str], location: Location) -> list[str]:
    """What `status` says about the imports beside a store: one running now or killed earlier, what opening
    the store took (`recovered`), and a WAL mode an import left behind."""
    note = read_note(db)
    lines = [one_line(f"import: {note.describe()}")] if note is not None else []
    lines += [one_line(f"recovered: {done}") for done in recovered]
    if in_wal(db) and (note is None or not note.running):
        lines.append(f"journal: WAL ({db.name}-wal beside it); a user who may write to {db.parent} can return it "
                     f"to one file by running `{location.status_command}` again when no run reads it")
    return lines


class ImportLock:
    """Held by a store's import for its whole run: one import at a time, and a note a killed import leaves
    behind. `earlier` is the note of an import that was killed before this one."""

    def __init__(self, db: Path, files: list[str], location: Location) -> None:
        self.path = sibling(db, ".import")
        self.location = location
        self.files = files
        self.started = datetime.now(UTC).isoformat(timespec="seconds")
        self.handle: IO[bytes] | None = None
        self.earlier: ImportNote | None = None

    def __enter__(self) -> ImportLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + _LOCK_WAIT
        while True:
            handle = self.path.open("a+b")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                if time.monotonic() > deadline:
                    other = _parse(self.path.read_bytes(), True)
                    since = f" (started {other.started}, pid {other.pid})" if other else ""
                    raise InputRefused(f"another `{self.location.import_command}` is loading into this database "
                                       f"now{since}; run this one when it has finished") from None
                time.sleep(0.05)
                continue
            if self._same_file(handle):
                break
            handle.close()  # removed by the import that held it just before: take the new one
        handle.seek(0)
        self.earlier = _parse(handle.read(1 << 16), False)
        self.handle = handle
        self.write(committed=False)
        return self

    def _same_file(self, handle: IO[bytes]) -> bool:
        try:
            return os.path.samestat(os.fstat(handle.fileno()), os.stat(self.path))
        except FileNotFoundError:
            return False

    def write(self, *, committed: bool, loading: str | None = None) -> None:
        """Say in the note how far the import got (the note is what a kill leaves): the file whose rows it is
        loading, or that it committed."""
        assert self.handle is not None
        note = {"pid": os.getpid(), "started": self.started, "files": self.files, "loading": loading,
                "phase": "committed" if committed else "loading"}
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(json.dumps(note).encode())
        self.handle.flush()

    def __exit__(self, *_: object) -> None:
        if self.handle is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self.handle.close()


def to_one_file(connection: sqlite3.Connection) -> bool:
    """Switch a database in WAL mode back to a rollback journal (checkpointing the WAL into it); False when
    another connection has it open (the switch then waits for a later import or `status`)."""
    connection.execute(f"PRAGMA busy_timeout = {_SWITCH_WAIT_MS}")
    try:
        return str(connection.execute("PRAGMA journal_mode = DELETE").fetchone()[0]).lower() == "delete"
    except sqlite3.OperationalError:
        return False


def _read_only(db: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=30)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        connection.close()
        raise
    return connection


def open_reader(db: Path, location: Location, *, tidy: bool = False) -> tuple[sqlite3.Connection, list[str]]:
    """A read-only connection to the store, and what was done to get it (said by `status`, logged by runs).
    A hot journal is rolled back when this process may write there, else refused in one line. `tidy`
    (`status`): also return a store left in WAL mode to one file when no import runs."""
    done: list[str] = []
    try:
        connection = _read_only(db)
    except sqlite3.Error as error:
        if not may_write(db):
            raise InputRefused(_unreadable(db, error, location)) from None
        done += _recover(db)
        connection = _read_only(db)
    if tidy and in_wal(db) and may_write(db):
        note = read_note(db)
        if note is None or not note.running:
            connection.close()
            done += _tidy(db)
            connection = _read_only(db)
    return connection, done


def _recover(db: Path) -> list[str]:
    journal = sibling(db, "-journal")
    hot = journal.exists()
    writer = sqlite3.connect(db, isolation_level=None, timeout=30)
    try:
        writer.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a hot journal is rolled back here
    finally:
        writer.close()
    if hot and not journal.exists():
        return [f"rolled back {journal.name}, left by an interrupted write: the database is as it was before it"]
    return []


def _tidy(db: Path) -> list[str]:
    """Back to one file; nothing said when runs still hold it (`status` then shows the WAL mode)."""
    writer = sqlite3.connect(db, isolation_level=None, timeout=30)
    try:
        if to_one_file(writer):
            return [f"returned the database to one file (it was left in WAL mode, with {db.name}-wal beside it)"]
        return []
    finally:
        writer.close()


def _unreadable(db: Path, error: sqlite3.Error, location: Location) -> str:
    """Why a reader that may not write cannot open the store, and who can make it readable."""
    fix = f"run `{location.status_command} --db {db}` once as a user who may write to {db.parent}"
    journal = sibling(db, "-journal")
    if journal.exists():
        return (f"{db}: an interrupted import left {journal.name} beside it, which must be rolled back before the "
                f"database can be read, and this user may not write there: {fix} (the rollback restores the "
                "database as it was before that import; nothing loaded earlier is lost)")
    if in_wal(db):
        return (f"{db}: left in WAL mode by an import (interrupted, or one that ended while runs were reading), "
                f"and this user may not create {db.name}-shm beside it: {fix} (it returns the database to one file)")
    return f"{db}: the {location.what} cannot be opened ({getattr(error, 'sqlite_errorname', '') or error})"
