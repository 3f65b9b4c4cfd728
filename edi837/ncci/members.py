"""What a user hands `edi-fix ncci import`: a ZIP as CMS ships it (a table inside, maybe with a PDF beside
it, maybe a ZIP inside the ZIP), or the extracted file. Either way the importer sees "members": a name,
the ZIP it came in, and a way to read its bytes.

Why members and not paths: importing the ZIP and later the file extracted from it must be the same
import (the same sha256 of the table's own bytes), and a damaged ZIP must be refused in one line, not
crash half-way through a quarter. Nested ZIPs are spooled to a temporary file because a ZIP member
cannot be seeked cheaply.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from edi837.ncci.formats import SNIFF_BYTES, FormatRefused, sniff

# What reading a damaged download raises: a truncated ZIP, a bad CRC, a cut deflate stream, a disk error.
READ_ERRORS = (zipfile.BadZipFile, EOFError, zlib.error, OSError)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_MAX_DEPTH = 2  # a ZIP of ZIPs is seen in downloads; deeper nesting is not


@dataclass(frozen=True)
class Member:
    """One table to import: its own file name, the ZIP it came in (if any) and how to read it."""

    name: str
    container: str | None
    opener: Callable[[], IO[bytes]]

    @property
    def label(self) -> str:
        return f"{self.container}: {self.name}" if self.container else self.name

    def head(self) -> bytes:
        with self.opener() as stream:
            return stream.read(SNIFF_BYTES)

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.opener() as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()


@dataclass(frozen=True)
class Found:
    """The tables found in one path, and the files beside them that are not tables (name, why)."""

    tables: list[tuple[Member, str]]  # (member, kind)
    skipped: list[tuple[str, str]]


@contextmanager
def open_download(path: Path, kind_of: Callable[[bytes, str], str] = sniff,
                  wanted: str = "CMS NCCI practitioner PTP or MUE table") -> Iterator[Found]:
    """The tables in `path` (a ZIP or a table file), each with its kind; refuses a path that holds none.

    `kind_of(head, name)` tells a table's kind or raises FormatRefused (the NCCI files' `sniff` unless the
    caller reads other CMS files: the ICD-10-CM importer passes its own); `wanted` names them in a refusal."""
    if not path.exists():
        raise FormatRefused(f"{path}: no such file")
    if path.is_dir():
        raise FormatRefused(f"{path}: a folder; give the downloaded ZIP or the extracted table files")
    with ExitStack() as stack:
        try:
            with path.open("rb") as probe:
                magic = probe.read(4)
            members = list(_members(path, magic, None, stack, 0))
        except READ_ERRORS as error:
            raise FormatRefused(f"{path.name}: cannot be read ({type(error).__name__}); a truncated or damaged "
                                "download?") from None
        tables: list[tuple[Member, str]] = []
        skipped: list[tuple[str, str]] = []
        for member in members:
            try:
                tables.append((member, kind_of(member.head(), member.name)))
            except FormatRefused as why:
                if member.container is None:
                    raise
                skipped.append((member.label, str(why).split(": ", 1)[-1]))
            except READ_ERRORS as error:
                raise FormatRefused(f"{member.label}: cannot be read ({type(error).__name__}); a truncated or "
                                    "damaged download?") from None
        if not tables:
            if len(skipped) == 1:
                raise FormatRefused(f"{skipped[0][0]}: {skipped[0][1]}")
            names = ", ".join(name for name, _ in skipped[:3]) or "nothing"
            raise FormatRefused(f"{path.name}: the ZIP holds no {wanted} ({names}); an Excel workbook or another "
                                "CMS file?")
        yield Found(tables, skipped)


def _members(path: Path, magic: bytes, container: str | None, stack: ExitStack, depth: int) -> Iterator[Member]:
    if magic not in _ZIP_MAGIC:
        yield Member(path.name, container, lambda: path.open("rb"))
        return
    if depth >= _MAX_DEPTH:
        raise FormatRefused(f"{path.name}: ZIPs nested more than {_MAX_DEPTH} deep")
    archive = stack.enter_context(zipfile.ZipFile(path))
    label = path.name if container is None else f"{container}: {path.name}"
    for info in archive.infolist():
        name = PurePosixPath(info.filename).name
        if info.is_dir() or info.filename.startswith("__MACOSX/") or name.startswith("."):
            continue
        with archive.open(info) as inner:
            inner_magic = inner.read(4)
        if inner_magic in _ZIP_MAGIC:
            spool = Path(stack.enter_context(tempfile.TemporaryDirectory())) / name
            with archive.open(info) as inner, spool.open("wb") as out:
                shutil.copyfileobj(inner, out, 1 << 20)
            yield from _members(spool, inner_magic, label, stack, depth + 1)
            continue
        yield Member(name, label, _opener(archive, info))


def _opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
    return lambda: archive.open(info)
