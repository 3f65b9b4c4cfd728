"""The caps every file handed to a store's import is held to, and the one way tests lower them.

Why caps: a download is untrusted bytes. A 1.6 MB ZIP can hold 1.6 GB, a "line" can run to 300 MB, a ZIP
can nest ZIPs, and one valid row repeated millions of times is still valid rows. Without a cap each of
those ends in a MemoryError, a full disk or a store of gigabytes; with one, the importer stops at the cap
with one line saying so (exit 2), having read no more than the cap.

What is shared and what is not: every store holds a file to caps on its bytes and rows per kind of file, on
the length of a line, on the entries of a ZIP and on how deep ZIPs nest (edi837.datafiles.members and the
readers apply them). The numbers are each store's own, set from the sizes of its real files, with where
they come from beside them: edi837.ncci.limits (the CMS NCCI files), edi837.icd10.limits (the CMS/CDC
ICD-10-CM files).

Tests lower a store's caps (never raise them) with its own variable, e.g. EDI837_NCCI_TEST_LIMITS=
"ptp_bytes=4096,line=512" (a kind's caps are KIND_rows and KIND_bytes), to build each bomb at a small
scale; nothing else reads those variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

KiB = 1 << 10
MiB = 1 << 20
_COMMON = ("line", "entries", "depth")  # the caps every store has, beside its kinds' rows and bytes


@dataclass(frozen=True)
class FileCaps:
    """The most rows and bytes one file of a kind may hold."""

    rows: int
    bytes: int


@dataclass(frozen=True)
class Limits:
    """One store's caps: per kind of file (`files`), one line, the entries of a ZIP (a CMS download is a ZIP
    of a few files) and how deep ZIPs may nest."""

    files: Mapping[str, FileCaps]
    line: int
    entries: int = 32
    depth: int = 2

    def rows(self, kind: str) -> int:
        return self.files[kind].rows

    def bytes(self, kind: str) -> int:
        return self.files[kind].bytes

    @property
    def largest(self) -> int:
        """The most bytes any file may hold: also the most a ZIP inside a ZIP may be."""
        return max(caps.bytes for caps in self.files.values())

    def lowered(self, variable: str) -> Limits:
        """These caps, lowered where the test variable `variable` says so ("line=512,ptp_bytes=4096"; a value
        above the cap, or one that is not a positive whole number, is ignored: the variable can only tighten)."""
        wanted: dict[str, int] = {}
        for item in os.environ.get(variable, "").split(","):
            name, _, value = item.partition("=")
            if value.strip().isdigit() and int(value) > 0:
                wanted[name.strip()] = int(value)
        if not wanted:
            return self
        common = {n: min(getattr(self, n), wanted[n]) for n in _COMMON if n in wanted}
        files = {kind: FileCaps(min(caps.rows, wanted.get(f"{kind}_rows", caps.rows)),
                                min(caps.bytes, wanted.get(f"{kind}_bytes", caps.bytes)))
                 for kind, caps in self.files.items()}
        return replace(self, files=files, **common)


def size(n: int) -> str:
    """A byte count for a message: 1.6 GB, 400 MiB, 64 KiB, 12.3 KB, 900 bytes (a cap set in binary units is
    said in them)."""
    if n % MiB == 0 and n >= MiB:
        return f"{n // MiB} MiB"
    if n % 1024 == 0 and 1024 <= n < MiB:
        return f"{n // 1024} KiB"
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"
