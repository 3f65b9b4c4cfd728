"""X12 envelope and tokenizer: bytes in, raw segments out, nothing lost.

Why raw bytes and not pyx12's reader: pyx12 strips line breaks and leading blanks, drops trailing
empty elements and stops silently at an empty segment, so what it reads cannot be written back
byte for byte (pyx12 4.0.0 rawx12file.py and x12file.py). This tokenizer keeps every segment as a *piece*:
the white space that precedes it (after the previous terminator) plus its text, without the
terminator. Joining the pieces with the terminator, after the BOM and followed by the tail, gives
the input back exactly; that is what makes byte fidelity cheap to guarantee.

It streams: the input is read in chunks and handed on in blocks of whole segments, so memory is
bounded by the chunk size, not by the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from edi837.errors import InputRefused

BOM = b"\xef\xbb\xbf"
ISA_LENGTH = 106
# Widths of ISA01..ISA16: the ISA is fixed width, so every separator sits at a known offset.
_ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)


def _separator_offsets() -> tuple[int, ...]:
    offsets = []
    pos = 3
    for width in _ISA_WIDTHS:
        offsets.append(pos)
        pos += 1 + width
    return tuple(offsets)


ISA_SEPARATOR_OFFSETS = _separator_offsets()
WHITESPACE = b" \t\r\n"
CHUNK_SIZE = 1 << 20


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four delimiters of an interchange, each one byte, as the ISA declares them."""

    element: bytes
    component: bytes
    repetition: bytes
    segment: bytes

    def all(self) -> bytes:
        return self.element + self.component + self.repetition + self.segment

    def describe(self) -> str:
        return " ".join(repr(d.decode("latin-1")) for d in (self.element, self.component, self.repetition,
                                                             self.segment))


def parse_isa(isa: bytes) -> Delimiters:
    """Read the delimiters from a fixed-width ISA (106 bytes, terminator included).

    The element separator is byte 4, the repetition separator is ISA11, the component separator is
    ISA16 and the segment terminator is the byte right after it. A 105- or 107-byte ISA (an
    unpadded sender id, say) puts separators at the wrong offsets; it is refused here rather than
    read with wrong delimiters.
    """
    if not isa.startswith(b"ISA"):
        raise InputRefused("not an X12 file: it does not start with an ISA segment")
    if len(isa) < ISA_LENGTH:
        raise InputRefused(f"truncated file: the ISA segment needs {ISA_LENGTH} bytes, the file has {len(isa)}")
    element = isa[3:4]
    misplaced = [i for i in ISA_SEPARATOR_OFFSETS if isa[i : i + 1] != element]
    if misplaced or element.isalnum() or element in WHITESPACE:
        raise InputRefused(
            f"ISA is not the fixed {ISA_LENGTH} characters: element separator {element!r} "
            f"expected at every fixed offset (first mismatch at byte {misplaced[0] + 1 if misplaced else 4})"
        )
    repetition = isa[82:83]
    if repetition.isalnum():
        # A letter here ('U') is the 4010 standards id left in a 5010 header, not a separator; treating
        # it as one would make every 'U' in the data (SV103 'UN') look like a delimiter.
        repetition = b""
    delims = Delimiters(
        element=element,
        component=isa[104:105],
        repetition=repetition,
        segment=isa[105:106],
    )
    if len({delims.element, delims.component, delims.segment}) != 3:
        raise InputRefused(f"ISA declares delimiters that are not distinct: {delims.describe()}")
    if delims.component.isalnum() or delims.segment.isalnum():
        raise InputRefused(f"ISA declares a letter or digit as a delimiter: {delims.describe()}")
    return delims


class SegmentStream:
    """Streams an interchange file in blocks of whole segments, with its framing remembered.

    `bom` is the UTF-8 byte-order mark if the file starts with one; `tail` (known once the blocks
    are exhausted) is what follows the last terminator, which may only be white space.
    """

    def __init__(self, source: IO[bytes], chunk_size: int = CHUNK_SIZE,
                 on_progress: Callable[[int], None] | None = None) -> None:
        self._source = source
        self._on_progress = on_progress
        self._chunk_size = chunk_size
        head = source.read(max(chunk_size, ISA_LENGTH + len(BOM)))
        while len(head) < ISA_LENGTH + len(BOM):
            more = source.read(chunk_size)
            if not more:
                break
            head += more
        if not head:
            raise InputRefused("empty file: no bytes to read")
        self.bom = BOM if head.startswith(BOM) else b""
        head = head[len(self.bom) :]
        if not head.lstrip(WHITESPACE):
            raise InputRefused("empty file: only white space")
        if b"\x00" in head:
            raise InputRefused("the file contains NUL bytes: it is binary, not an X12 text file")
        self.delimiters = parse_isa(head[:ISA_LENGTH])
        self._head = head
        self.tail = b""
        self.bytes_read = len(head) + len(self.bom)

    def blocks(self) -> Iterator[bytes]:
        """Yield the file in blocks of whole segments: each starts at a segment start and ends with a
        terminator. Sets `tail` (what follows the last terminator) at the end."""
        term = self.delimiters.segment
        pending = self._head
        self._head = b""
        read = self._source.read
        size = self._chunk_size
        while True:
            chunk = read(size)
            if not chunk:
                break
            if b"\x00" in chunk:
                raise InputRefused("the file contains NUL bytes: it is binary, not an X12 text file")
            self.bytes_read += len(chunk)
            if self._on_progress is not None:
                self._on_progress(self.bytes_read)
            pending += chunk
            cut = pending.rfind(term)
            if cut >= 0:
                yield pending[: cut + 1]
                pending = pending[cut + 1 :]
        cut = pending.rfind(term)
        if cut >= 0:
            yield pending[: cut + 1]
            pending = pending[cut + 1 :]
        if pending.strip(WHITESPACE):
            raise InputRefused(
                "truncated file: text after the last segment terminator "
                f"({len(pending)} bytes without a closing {term.decode('latin-1')!r})"
            )
        self.tail = pending


def split_lead(piece: bytes) -> tuple[bytes, bytes]:
    """Split a piece into its leading white space and its segment text."""
    body = piece.lstrip(WHITESPACE)
    return piece[: len(piece) - len(body)], body


def renumber_interchanges(data: bytes, first: int) -> bytes:
    """`data` with its interchanges numbered `first`, `first + 1`, ...: each ISA13 and the IEA02 that closes it
    (9 digits, zero-padded). Why: a file sent again (held claims released after a person saw them) carries the
    control number of the file it was split from, which was delivered already; a clearinghouse rejects a
    repeated interchange control number, so the sender gives a fresh one from its own counter. Everything
    else stays byte for byte. Raises ValueError when a number would not fit 9 digits or no ISA is found."""
    start = data.find(b"ISA")
    if start < 0 or len(data) < start + ISA_LENGTH:
        raise ValueError("no ISA segment")
    delims = parse_isa(data[start:start + ISA_LENGTH])
    ele, term = delims.element, delims.segment
    pieces = data.split(term)
    number = first
    for index, piece in enumerate(pieces):
        lead, body = split_lead(piece)
        if body.startswith(b"ISA" + ele) or body.startswith(b"IEA" + ele):
            if not 0 < number <= 999_999_999:
                raise ValueError(f"interchange control number {number} does not fit 9 digits")
            fields = body.split(ele)
            where = 13 if body.startswith(b"ISA") else 2
            if len(fields) > where:
                fields[where] = b"%09d" % number
                pieces[index] = lead + ele.join(fields)
            if body.startswith(b"IEA"):
                number += 1
    return term.join(pieces)
