"""What a user hands `edi-fix ncci import`: a ZIP as CMS ships it (a table inside, maybe with a PDF beside
it, maybe a ZIP inside the ZIP), or the extracted file. Either way the importer sees "members": a name,
the ZIP it came in, its size, and a way to read its bytes.

Why members and not paths: importing the ZIP and later the file extracted from it must be the same
import (the same sha256 of the table's own bytes), and a damaged ZIP must be refused in one line, not
crash half-way through a quarter.

Why every read is capped (edi837.ncci.limits): a ZIP's directory says how large each entry is before a
byte of it is inflated, so an entry larger than a CMS table can be is refused before it is read; the
reading itself stops at the cap too (a plain file can grow while it is read). A ZIP inside a ZIP is read
where it is (a ZIP entry can be seeked, by inflating again from its start), never copied to disk.
"""

from __future__ import annotations

import hashlib
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import IO

from edi837.errors import one_line
from edi837.ncci import limits
from edi837.ncci.formats import KIND_NAMES, SNIFF_BYTES, FormatRefused, sniff

# What reading a damaged download raises: a truncated ZIP, a bad CRC, a cut deflate stream, a disk error.
READ_ERRORS = (zipfile.BadZipFile, EOFError, zlib.error, OSError)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_END = struct.Struct("<4s4H2LH")  # the end-of-central-directory record
_DIRECTORY_BYTES = 1 << 20  # a directory of 32 entries is a few KB


def read_problem(error: BaseException) -> str:
    """What is wrong with a file or ZIP entry that could not be read, in words (never the error's own text,
    which quotes names from inside the archive)."""
    text = str(error)
    if isinstance(error, zipfile.BadZipFile):
        if "CRC" in text:
            return "bad CRC: its bytes are not the ones the ZIP was made with (a damaged download?)"
        if "not a zip file" in text:
            return "not a whole ZIP: the directory at its end is missing (a download cut short?)"
        if "Truncated" in text:
            return "the ZIP is cut short inside its directory or an entry's header (a download cut short?)"
        if "differ" in text:
            return "the ZIP's directory and an entry's header disagree (a damaged ZIP)"
        return "a damaged ZIP (a header does not have the ZIP layout)"
    if isinstance(error, EOFError):
        return "cut short: its compressed data ends before the file does (a download cut short?)"
    if isinstance(error, zlib.error):
        return "its compressed data is damaged and cannot be inflated (a damaged download?)"
    if isinstance(error, OSError) and error.strerror:
        return f"a read error ({error.strerror})"
    return f"cannot be read ({type(error).__name__})"


@dataclass(frozen=True)
class Member:
    """One table to import: its own file name, the ZIP it came in (if any), how large it says it is, how to
    read it, and (once its kind is known) the most bytes it may give."""

    name: str
    container: str | None
    opener: Callable[[], IO[bytes]]
    size: int
    cap: int | None = None

    @property
    def label(self) -> str:
        return f"{self.container}: {self.name}" if self.container else self.name

    def open(self) -> Capped:
        """The bytes, refused past the cap."""
        return Capped(self.opener(), self.cap if self.cap is not None else limits.current().ptp_bytes, self.label)

    def head(self) -> bytes:
        with self.opener() as stream:
            return stream.read(SNIFF_BYTES)

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.open() as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()


class Capped:
    """A stream that refuses (FormatRefused) to give more than `cap` bytes: what bounds a read whatever a
    header declared."""

    def __init__(self, stream: IO[bytes], cap: int, label: str) -> None:
        self.stream, self.cap, self.label, self.seen = stream, cap, label, 0

    def read(self, size: int = -1) -> bytes:
        room = self.cap + 1 - self.seen
        data = self.stream.read(room if size < 0 else min(size, room))
        self.seen += len(data)
        if self.seen > self.cap:
            raise FormatRefused(f"{self.label}: more than {limits.size(self.cap)}, more than a CMS file of its kind "
                                "can be; not loaded")
        return data

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> Capped:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@dataclass(frozen=True)
class Found:
    """The tables found in one path, and the files beside them that are not tables (name, why)."""

    tables: list[tuple[Member, str]]  # (member, kind)
    skipped: list[tuple[str, str]]


@contextmanager
def open_download(path: Path, kind_of: Callable[[bytes, str], str] = sniff,
                  wanted: str = "CMS NCCI practitioner PTP or MUE table") -> Iterator[Found]:
    """The tables in `path` (a ZIP or a table file), each with its kind; refuses a path that holds none, one
    that cannot be read, or a table larger than a CMS file of its kind can be.

    `kind_of(head, name)` tells a table's kind or raises FormatRefused (the NCCI files' `sniff` unless the
    caller reads other CMS files: the ICD-10-CM importer passes its own); `wanted` names them in a refusal."""
    if not path.exists():
        raise FormatRefused(f"{path}: no such file")
    if path.is_dir():
        raise FormatRefused(f"{path}: a folder; give the downloaded ZIP or the extracted table files")
    if not path.is_file():
        raise FormatRefused(f"{path}: not a regular file (a device, FIFO or socket); not read")
    cap = limits.current()
    with ExitStack() as stack:
        try:
            stream = stack.enter_context(path.open("rb"))
            magic = stream.read(4)
            if magic in _ZIP_MAGIC:
                members = list(_archive(stream, path.name, None, stack, 0, cap))
            else:
                members = [Member(path.name, None, lambda: path.open("rb"), path.stat().st_size)]
        except READ_ERRORS as error:
            raise FormatRefused(f"{path.name}: {read_problem(error)}") from None
        yield _classify(path, members, magic, cap, kind_of, wanted)


def _classify(path: Path, members: list[Member], magic: bytes, cap: limits.Limits,
              kind_of: Callable[[bytes, str], str], wanted: str) -> Found:
    tables: list[tuple[Member, str]] = []
    skipped: list[tuple[str, str]] = []
    for member in members:
        try:
            kind = kind_of(member.head(), member.name)
        except FormatRefused as why:
            if member.container is None:
                if path.suffix.lower() == ".zip" and magic not in _ZIP_MAGIC:
                    raise FormatRefused(f"{path.name}: not a ZIP archive (it does not begin as one), nor a CMS "
                                        "NCCI table; a download error page or a damaged file?") from None
                raise
            skipped.append((member.label, str(why).split(": ", 1)[-1]))
            continue
        except READ_ERRORS as error:
            raise FormatRefused(f"{member.label}: {read_problem(error)}; nothing of it was loaded") from None
        if member.size > cap.bytes(kind):
            named = KIND_NAMES.get(kind, kind)
            raise FormatRefused(f"{member.label}: {limits.size(member.size)}, more than a CMS {named} "
                                f"file can be (at most {limits.size(cap.bytes(kind))}); not read")
        tables.append((replace(member, cap=cap.bytes(kind)), kind))
    if not tables:
        if len(skipped) == 1:
            raise FormatRefused(f"{skipped[0][0]}: {skipped[0][1]}")
        names = ", ".join(name for name, _ in skipped[:3]) or "nothing"
        raise FormatRefused(f"{path.name}: the ZIP holds no {wanted} ({names}); an Excel workbook or another CMS "
                            "file?")
    return Found(tables, skipped)


def _archive(stream: IO[bytes], name: str, container: str | None, stack: ExitStack, depth: int,
             cap: limits.Limits) -> Iterator[Member]:
    """The entries of the ZIP read from `stream` (a file, or an entry of an outer ZIP), nested ZIPs opened
    where they are; its directory is checked against the caps before zipfile reads it."""
    label = name if container is None else f"{container}: {name}"
    if depth >= cap.depth:
        raise FormatRefused(f"{label}: ZIPs nested more than {cap.depth} deep; not read")
    _check_directory(stream, label, cap)
    archive = stack.enter_context(zipfile.ZipFile(stream))
    for info in archive.infolist():
        entry = PurePosixPath(info.filename).name
        if info.is_dir() or info.filename.startswith("__MACOSX/") or entry.startswith("."):
            continue
        where = f"{label}: {one_line(entry, 200)}"
        if info.flag_bits & 0x1:
            raise FormatRefused(f"{where}: encrypted (password-protected); CMS ZIPs are not; not read")
        if info.compress_type not in _METHODS:
            raise FormatRefused(f"{where}: compressed with method {info.compress_type}, which is not read")
        try:
            with archive.open(info) as inner:
                inner_magic = inner.read(4)
        except READ_ERRORS as error:
            raise FormatRefused(f"{where}: {read_problem(error)}; nothing of it was loaded") from None
        if inner_magic in _ZIP_MAGIC:
            if info.file_size > cap.ptp_bytes:
                raise FormatRefused(f"{where}: a ZIP of {limits.size(info.file_size)} inside the ZIP, more than "
                                    f"a CMS download can be (at most {limits.size(cap.ptp_bytes)}); not read")
            nested = stack.enter_context(archive.open(info))
            yield from _archive(nested, one_line(entry, 200), label, stack, depth + 1, cap)
            continue
        yield Member(one_line(entry, 200), label, _opener(archive, info), info.file_size)


def _check_directory(stream: IO[bytes], label: str, cap: limits.Limits) -> None:
    """The end record's entry count and directory size, read before zipfile builds an object per entry: a
    directory of millions of entries is a memory bomb of its own."""
    end = stream.seek(0, 2)
    tail_size = min(end, _END.size + 0xFFFF)
    stream.seek(end - tail_size)
    tail = stream.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _END.size:
        raise FormatRefused(f"{label}: not a whole ZIP: the directory at its end is missing (a download cut short?)")
    entries, directory = _END.unpack_from(tail, at)[4:6]
    if (entries == 0xFFFF or directory == 0xFFFFFFFF) and at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
        stream.seek(struct.unpack_from("<Q", tail, at - 12)[0])
        record = stream.read(56)
        if record[:4] == b"PK\x06\x06":
            entries, directory = struct.unpack_from("<2Q", record, 32)
    if entries > cap.entries or directory > _DIRECTORY_BYTES:
        raise FormatRefused(f"{label}: a ZIP of {entries:,} entries ({limits.size(directory)} of directory); a "
                            f"CMS download holds a few (at most {cap.entries} are read); not read")
    stream.seek(0)


def _opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
    return lambda: archive.open(info)
