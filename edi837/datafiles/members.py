"""What a user hands a store's import (`edi-fix ncci import`, `edi-fix icd10 import`): a ZIP as CMS ships
it (a table inside, maybe with a PDF beside it, maybe a ZIP inside the ZIP), or the extracted file. Either
way the importer sees "members": a name, the ZIP it came in, its size, and a way to read its bytes. What
differs from one store to the other (how a file's kind is told, its caps, the words of a refusal) is the
store's `Publication`.

Why members and not paths: importing the ZIP and later the file extracted from it must be the same
import (the same sha256 of the table's own bytes), and a damaged ZIP must be refused in one line, saying
what is wrong with it, not crash half-way through a quarter.

Why every read is capped (edi837.datafiles.limits): a ZIP's directory says how large each entry is before
a byte of it is inflated, so an entry larger than a file of its kind can be is refused before it is read;
the reading itself stops at the cap too (a plain file can grow while it is read). A ZIP inside a ZIP is
read where it is (a ZIP entry can be seeked, by inflating again from its start), never copied to disk.
"""

from __future__ import annotations

import hashlib
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import IO

from edi837.datafiles.limits import Limits, size
from edi837.datafiles.lines import SNIFF_BYTES, FormatRefused
from edi837.errors import one_line

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
class Publication:
    """The files one store imports: how a file's kind is told (`kind_of(head, name)`, or FormatRefused) and
    said, the caps in force, and who publishes them, for the refusals."""

    kind_of: Callable[[bytes, str], str]
    limits: Callable[[], Limits]
    files: Mapping[str, str]  # kind -> a file of that kind, as a refusal says it: "CMS PTP practitioner file"
    wanted: str  # what a ZIP may hold: "CMS NCCI practitioner PTP or MUE table"
    table: str  # what a file given alone may be: "a CMS NCCI table"
    publisher: str = "CMS"


@dataclass(frozen=True)
class Member:
    """One table to import: its own file name, the ZIP it came in (if any), how large it says it is, how to
    read it, and (once its kind is known) the most bytes it may give and who publishes such a file."""

    name: str
    container: str | None
    opener: Callable[[], IO[bytes]]
    size: int
    cap: int | None = None
    publisher: str = "CMS"

    @property
    def label(self) -> str:
        return f"{self.container}: {self.name}" if self.container else self.name

    def open(self) -> Capped:
        """The bytes, refused past the cap (known once the member's kind is)."""
        if self.cap is None:
            raise ValueError(f"{self.label}: read before its kind, and so its cap, was known")
        return Capped(self.opener(), self.cap, self.label, self.publisher)

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

    def __init__(self, stream: IO[bytes], cap: int, label: str, publisher: str = "CMS") -> None:
        self.stream, self.cap, self.label, self.publisher, self.seen = stream, cap, label, publisher, 0

    def read(self, n: int = -1) -> bytes:
        room = self.cap + 1 - self.seen
        data = self.stream.read(room if n < 0 else min(n, room))
        self.seen += len(data)
        if self.seen > self.cap:
            raise FormatRefused(f"{self.label}: more than {size(self.cap)}, more than a {self.publisher} file of its "
                                "kind can be; not loaded")
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
def open_download(path: Path, files: Publication) -> Iterator[Found]:
    """The tables in `path` (a ZIP or a table file), each with its kind as `files.kind_of` tells it; refuses
    a path that holds none, one that cannot be read, or a table larger than a file of its kind can be."""
    if not path.exists():
        raise FormatRefused(f"{path}: no such file")
    if path.is_dir():
        raise FormatRefused(f"{path}: a folder; give the downloaded ZIP or the extracted table files")
    if not path.is_file():
        raise FormatRefused(f"{path}: not a regular file (a device, FIFO or socket); not read")
    with ExitStack() as stack:
        reader = _Reader(files, files.limits(), stack)
        try:
            stream = stack.enter_context(path.open("rb"))
            magic = stream.read(4)
            if magic in _ZIP_MAGIC:
                members = list(reader.archive(stream, path.name, None, 0))
            else:
                members = [Member(path.name, None, lambda: path.open("rb"), path.stat().st_size)]
        except READ_ERRORS as error:
            raise FormatRefused(f"{path.name}: {read_problem(error)}") from None
        yield reader.classify(path, members, magic)


@dataclass(frozen=True)
class _Reader:
    """One download being read: the store's publication, the caps in force, what holds its ZIPs open."""

    files: Publication
    cap: Limits
    stack: ExitStack

    def classify(self, path: Path, members: list[Member], magic: bytes) -> Found:
        files, cap = self.files, self.cap
        tables: list[tuple[Member, str]] = []
        skipped: list[tuple[str, str]] = []
        for member in members:
            try:
                kind = files.kind_of(member.head(), member.name)
            except FormatRefused as why:
                if member.container is None:
                    if path.suffix.lower() == ".zip" and magic not in _ZIP_MAGIC:
                        raise FormatRefused(f"{path.name}: not a ZIP archive (it does not begin as one), nor "
                                            f"{files.table}; a download error page or a damaged file?") from None
                    raise
                skipped.append((member.label, str(why).split(": ", 1)[-1]))
                continue
            except READ_ERRORS as error:
                raise FormatRefused(f"{member.label}: {read_problem(error)}; nothing of it was loaded") from None
            if member.size > cap.bytes(kind):
                raise FormatRefused(f"{member.label}: {size(member.size)}, more than a {files.files[kind]} can be "
                                    f"(at most {size(cap.bytes(kind))}); not read")
            tables.append((replace(member, cap=cap.bytes(kind), publisher=files.publisher), kind))
        if not tables:
            if len(skipped) == 1:
                raise FormatRefused(f"{skipped[0][0]}: {skipped[0][1]}")
            names = ", ".join(name for name, _ in skipped[:3]) or "nothing"
            raise FormatRefused(f"{path.name}: the ZIP holds no {files.wanted} ({names}); an Excel workbook or another "
                                "CMS file?")
        return Found(tables, skipped)

    def archive(self, stream: IO[bytes], name: str, container: str | None, depth: int) -> Iterator[Member]:
        """The entries of the ZIP read from `stream` (a file, or an entry of an outer ZIP), nested ZIPs opened
        where they are; its directory is checked against the caps before zipfile reads it."""
        cap, publisher = self.cap, self.files.publisher
        label = name if container is None else f"{container}: {name}"
        if depth >= cap.depth:
            raise FormatRefused(f"{label}: ZIPs nested more than {cap.depth} deep; not read")
        self.check_directory(stream, label)
        archive = self.stack.enter_context(zipfile.ZipFile(stream))
        for info in archive.infolist():
            entry = PurePosixPath(info.filename).name
            if info.is_dir() or info.filename.startswith("__MACOSX/") or entry.startswith("."):
                continue
            where = f"{label}: {one_line(entry, 200)}"
            if info.flag_bits & 0x1:
                raise FormatRefused(f"{where}: encrypted (password-protected); {publisher} ZIPs are not; not read")
            if info.compress_type not in _METHODS:
                raise FormatRefused(f"{where}: compressed with method {info.compress_type}, which is not read")
            try:
                with archive.open(info) as inner:
                    inner_magic = inner.read(4)
            except READ_ERRORS as error:
                raise FormatRefused(f"{where}: {read_problem(error)}; nothing of it was loaded") from None
            if inner_magic in _ZIP_MAGIC:
                if info.file_size > cap.largest:
                    raise FormatRefused(f"{where}: a ZIP of {size(info.file_size)} inside the ZIP, more than a "
                                        f"{publisher} download can be (at most {size(cap.largest)}); not read")
                nested = self.stack.enter_context(archive.open(info))
                yield from self.archive(nested, one_line(entry, 200), label, depth + 1)
                continue
            yield Member(one_line(entry, 200), label, _opener(archive, info), info.file_size)

    def check_directory(self, stream: IO[bytes], label: str) -> None:
        """The end record's entry count and directory size, read before zipfile builds an object per entry: a
        directory of millions of entries is a memory bomb of its own."""
        end = stream.seek(0, 2)
        tail_size = min(end, _END.size + 0xFFFF)
        stream.seek(end - tail_size)
        tail = stream.read(tail_size)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _END.size:
            raise FormatRefused(f"{label}: not a whole ZIP: the directory at its end is missing (a download cut "
                                "short?)")
        entries, directory = _END.unpack_from(tail, at)[4:6]
        if (entries == 0xFFFF or directory == 0xFFFFFFFF) and at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
            stream.seek(struct.unpack_from("<Q", tail, at - 12)[0])
            record = stream.read(56)
            if record[:4] == b"PK\x06\x06":
                entries, directory = struct.unpack_from("<2Q", record, 32)
        if entries > self.cap.entries or directory > _DIRECTORY_BYTES:
            raise FormatRefused(f"{label}: a ZIP of {entries:,} entries ({size(directory)} of directory); a "
                                f"{self.files.publisher} download holds a few (at most {self.cap.entries} are read); "
                                "not read")
        stream.seek(0)


def _opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
    return lambda: archive.open(info)
