"""Segments of an 835 or a 277CA as lists of element texts, with the transaction sets they belong to.

Why not pyx12's reader for the values: pyx12 validates (edi837.remit.read runs it over the whole file
first); to copy out a dozen elements a split on the file's own delimiters is enough, and it keeps the
position of every segment for messages. The envelope (ISA fixed width, delimiters, NUL bytes, truncation)
is checked by the same tokenizer the 837 path uses, so a broken file is refused with the same words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO

from edi837.errors import InputRefused
from edi837.x12.envelope import SegmentStream, split_lead
from edi837.x12.untrusted import amount, control, name_segment


@dataclass(frozen=True)
class Segment:
    """One segment: its 1-based position in the file and its elements (element 0 is the id); each
    element a tuple of its components."""

    position: int
    elements: tuple[tuple[str, ...], ...]

    @property
    def id(self) -> str:
        return self.elements[0][0]

    def get(self, number: int, component: int = 1) -> str:
        """Element `number` (1-based, as X12 counts: CLP01 is get(1)), component `component`; '' if absent."""
        if number >= len(self.elements) or component > len(self.elements[number]):
            return ""
        return self.elements[number][component - 1]

    def composite(self, number: int) -> tuple[str, ...]:
        return self.elements[number] if number < len(self.elements) else ()

    def amount(self, number: int) -> Decimal | None:
        """Element `number` as an amount; None when empty; a refusal when it is not a number."""
        raw = self.get(number)
        if raw == "":
            return None
        value = amount(raw)
        if value is None:
            raise InputRefused(f"{self.where()}{number:02d}: not an amount")
        return value

    def money(self, number: int) -> Decimal:
        return self.amount(number) or Decimal(0)

    def day(self, number: int) -> date | None:
        """Element `number` as a CCYYMMDD date; None when empty; a refusal when it is not a date."""
        raw = self.get(number)
        if raw == "":
            return None
        try:
            if len(raw) != 8 or not raw.isdigit():
                raise ValueError
            return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        except ValueError:
            raise InputRefused(f"{self.where()}{number:02d}: not a date of the form CCYYMMDD") from None

    def day_or_none(self, number: int) -> date | None:
        """As day(), but None for a value that is not a date: for dates no claim's verdict depends on."""
        try:
            return self.day(number)
        except InputRefused:
            return None

    def where(self) -> str:
        return name_segment(self.id, self.position)


@dataclass(frozen=True)
class Transaction:
    """The segments of one ST..SE, the GS08 of its group, and a digest of its content."""

    kind: str  # ST01
    version: str  # GS08
    control: str  # ST02, when it may be shown; else ''
    segments: tuple[Segment, ...]
    digest: str


def read_segments(source: IO[bytes]) -> Iterator[Segment]:
    """Every segment of the interchange in `source`, split on its declared delimiters."""
    stream = SegmentStream(source)
    d = stream.delimiters
    element, component, terminator = (x.decode("latin-1") for x in (d.element, d.component, d.segment))
    position = 0
    for block in stream.blocks():
        for piece in block.split(d.segment)[:-1]:
            _, body = split_lead(piece)
            position += 1
            text = body.decode("latin-1")
            if not text:
                raise InputRefused(f"segment {position}: an empty segment (two {terminator!r} in a row)")
            parts = text.split(element)
            # The ISA's own ISA16 is the component separator itself: it is not split.
            first = parts[0]
            yield Segment(position, tuple((p,) if first == "ISA" else tuple(p.split(component)) for p in parts))


def transactions(source: IO[bytes]) -> Iterator[Transaction]:
    """The transaction sets of the interchange, each with the GS08 of its functional group."""
    version = ""
    current: list[Segment] = []
    for seg in read_segments(source):
        if seg.id == "GS":
            version = seg.get(8)
        elif seg.id == "ST":
            current = [seg]
        elif current:
            current.append(seg)
            if seg.id == "SE":
                yield _transaction(current, version)
                current = []


def _transaction(segments: list[Segment], version: str) -> Transaction:
    """The digest covers ST..SE with ST02/SE02 left out and the delimiters normalised, so a payer's resent
    copy of the same transaction (new control numbers, other delimiters) has the same digest."""
    digest = hashlib.sha256()
    for seg in segments:
        kept = seg.elements[:2] if seg.id in ("ST", "SE") else seg.elements
        digest.update("*".join(":".join(e) for e in kept).encode("latin-1"))
        digest.update(b"~")
    st = segments[0]
    return Transaction(st.get(1), version, control("ST02", st.get(2)) or "", tuple(segments), digest.hexdigest())
