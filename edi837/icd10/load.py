"""`edi-fix icd10 import`: CMS/CDC ICD-10-CM code files (ZIPs as downloaded, or the files extracted) into the
ICD-10-CM store.

How an import writes is shared with the NCCI database (edi837.datafiles.load): one transaction for the
whole command with a savepoint per file (a file refused half-way leaves none of its rows, the others load),
WAL while it runs and one file again at its end (readers never wait, a killed import is never read), a note
beside the store that a kill leaves (`icd10 status` says what happened), every file read in bounded lines
under the caps of edi837.icd10.limits, its codes streamed into the store. What is the ICD-10-CM's own:
- Re-importing a file is a no-op (the sha256 of the file's own bytes, its kind and release); another file
  claiming a release that is loaded is refused rather than mixed in.
- A download holds both the order file and the codes file of a release: the order file is loaded (it lists
  the headers too), the codes file skipped, saying why.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from edi837.datafiles import load as shared
from edi837.datafiles.journal import ImportLock
from edi837.datafiles.lines import FormatRefused
from edi837.datafiles.members import Member, Publication
from edi837.errors import InputRefused
from edi837.icd10 import limits
from edi837.icd10.formats import (
    CODES,
    KIND_NAMES,
    ORDER,
    VERSION_FORMS,
    WANTED,
    CodeRow,
    Release,
    parse_version,
    read_codes,
    release_in,
    sniff,
)
from edi837.icd10.store import SPEC, Icd10Import

# The files `icd10 import` reads: told by content (edi837.icd10.formats.sniff), held to the ICD-10-CM caps.
FILES = Publication(sniff, limits.current, {kind: f"CMS/CDC {name}" for kind, name in KIND_NAMES.items()}, WANTED,
                    "an ICD-10-CM order or codes file", "CMS/CDC")
Outcome = shared.Outcome[Icd10Import]
ImportRun = shared.ImportRun[Icd10Import]


def import_files(database: Path, files: Iterable[Path], version: str | None = None) -> ImportRun:
    """`edi-fix icd10 import`: every code file in `files` (ZIPs or extracted files) into `database`, in one
    transaction; one outcome per file found, and one per path refused whole (no code file in it)."""
    override = None
    if version is not None:
        override = parse_version(version)
        if override is None:
            raise InputRefused(f"--version {version}: not a release ({VERSION_FORMS})")
    run = ImportRun()
    with ExitStack() as stack:
        tables = _prefer_order_files(shared.gather(files, FILES, stack, run), override, run)
        if tables:
            shared.import_tables(database, tables, SPEC, lambda *opened: Loader(*opened, release=override), run)
    return run


class Loader(shared.Loader[Icd10Import]):
    """The store opened for writing; `release` (--version) overrides what names say."""

    spec = SPEC

    def __init__(self, connection: sqlite3.Connection, path: Path, lock: ImportLock | None = None, *,
                 release: Release | None = None) -> None:
        super().__init__(connection, path, lock)
        self.release = release

    def load_one(self, member: Member, kind: str) -> Outcome:
        db = self.connection
        sha = member.sha256()
        release = self.release or release_of_member(member)
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
        self.loading(member)
        billable = 0

        def tagged(rows: Iterator[CodeRow]) -> Iterator[tuple[str, int, int]]:
            nonlocal billable
            for code, flag in rows:
                billable += flag
                yield code, flag, import_id

        with member.open() as stream:
            rows = db.executemany("INSERT INTO codes VALUES (?, ?, ?)", tagged(read_codes(stream, kind, member.label)))
        count = int(rows.rowcount)
        if count == 0:
            raise FormatRefused(f"{member.label}: an {KIND_NAMES[kind]} with no codes; not loaded")
        db.execute("UPDATE imports SET rows = ?, billable = ? WHERE id = ?", (count, billable, import_id))
        return Outcome(member.label, Icd10Import(import_id, kind, release.label, release.effective.isoformat(),
                                                 release.fiscal_year, member.name, member.container, sha, count,
                                                 billable, now), loaded=True)


def release_of_member(member: Member) -> Release:
    """The release a file's name, or its ZIP's, says; refused when neither says one."""
    found = release_in(member.name) or release_in(member.container or "")
    if found is None:
        raise FormatRefused(f"{member.label}: an ICD-10-CM code file, but neither its name nor its ZIP's says which "
                            f"release; give it with --version {VERSION_FORMS}")
    return found


def _prefer_order_files(tables: list[shared.Table], override: Release | None, run: ImportRun) -> list[shared.Table]:
    """A download holds both the order file and the codes file of a release: the order file is loaded (it has
    the headers too), the codes file skipped, saying why."""
    def release(member: Member) -> str | None:
        try:
            return (override or release_of_member(member)).label
        except FormatRefused:
            return None

    with_order = {release(m) for m, kind in tables if kind == ORDER} - {None}
    keep = []
    for member, kind in tables:
        if kind == CODES and release(member) in with_order:
            run.outcomes.append(Outcome(member.label, None, False, skipped="the order file of the same release is "
                                        "loaded instead (it lists the headers too)"))
        else:
            keep.append((member, kind))
    return keep
