"""Reading a store's files as lines: the refusal every reader raises, and lines of bounded length.

Why shared: the NCCI tables and the ICD-10-CM code files are both text read from a file or a ZIP entry
that may be hostile. Each reader refuses a file with FormatRefused (one line, exit 2, nothing of the file
loaded), and reads it through `bounded_lines`, so memory stays that of one line whatever the file holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from edi837.datafiles.limits import size
from edi837.errors import InputRefused

SNIFF_BYTES = 1 << 16  # the first bytes of a file, read to tell its kind
_CHUNK = 1 << 20


class Readable(Protocol):
    """What the readers need of a file or a ZIP entry (a capped stream, edi837.datafiles.members.Capped)."""

    def read(self, size: int = -1, /) -> bytes: ...


class FormatRefused(InputRefused):
    """A file a store's import does not read (not of a kind it knows, another layout) or a damaged one
    (exit 2)."""


def bounded_lines(stream: Readable, name: str, longest: int, never: str) -> Iterator[bytes]:
    """The lines of a file (split on LF, a CR before it kept), read in large chunks, which reads a ZIP
    entry several times faster than line by line. A line longer than `longest` refuses the file, saying it
    is one `never` is ("no CMS row or heading is; not a CMS file"): without a bound one 300 MB "line" is
    joined up chunk by chunk."""
    carry = b""
    done = 0
    while True:
        chunk = stream.read(_CHUNK)
        lines = (carry + chunk).split(b"\n")
        carry = lines.pop() if chunk else b""
        if len(carry) > longest or (lines and max(map(len, lines)) > longest):
            number = done + 1 + next((i for i, line in enumerate(lines) if len(line) > longest), len(lines))
            raise FormatRefused(f"{name}: line {number} is longer than {size(longest)}, which {never}, or a damaged "
                                "one; nothing of it was loaded")
        done += len(lines)
        yield from lines
        if not chunk:
            return


def counted(rows: int, most: int, name: str, line: int, unit: str, beyond: str) -> int:
    """`rows` + 1: one more row read, at `line`; refuses the file past `most` (`unit`: "rows", `beyond`: what
    no real file exceeds, "a CMS MUE table holds"), since one valid row repeated millions of times is still
    valid rows."""
    rows += 1
    if rows > most:
        raise FormatRefused(f"{name}: more than {most:,} {unit} (line {line}), more than {beyond}; not loaded")
    return rows
