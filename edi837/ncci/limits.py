"""How big a CMS NCCI practitioner file can be, and the caps every file handed to the importer is held to.

Why caps: a download is untrusted bytes. A 1.6 MB ZIP can hold 1.6 GB, a "line" can run to 300 MB, a ZIP
can nest ZIPs, and one valid row repeated millions of times is still valid rows. Without a cap each of
those ends in a MemoryError, a full disk or a database of gigabytes; with one, the importer stops at the
cap with one line saying so (exit 2), having read no more than the cap.

How the caps were set. No CMS page read for this gives the sizes of the files, so they were NOT read from
CMS: they come from row counts that public projects loading the real files have published, with a wide
margin (see the README, "CMS NCCI edits"):
- PTP practitioner: 675,037 rows were counted in ccipra-v322r0-f1 (2026 Q3), and 4.5 million PTP rows in
  the practitioner and outpatient hospital files of 2026 Q4 together: a part holds under a million rows
  and a whole practitioner version about three million. A row is 40-120 bytes (two codes, two dates, the
  indicator, a rationale of a few words). Cap per PTP file: 4,000,000 rows and 400 MiB, room for a whole
  version in one file, and about six times a part.
- MUE practitioner: the practitioner and outpatient hospital tables of 2026 Q4 held 30,374 rows together,
  so about 15,000 codes; a row is under 100 bytes (1.5 MB). Cap per MUE table: 200,000 rows and 32 MiB.
- A line: a PTP row is under 200 bytes, a heading or notice line a few hundred. Cap: 64 KiB, the window
  in which a file's kind is told (an MUE notice cell spanning lines is bounded by the same length).
- A ZIP: CMS ships one table per ZIP, at times with a PDF or a readme beside it, and a ZIP of those ZIPs
  is seen. Cap: 32 entries per archive, ZIPs nested 2 deep, and a ZIP inside a ZIP no larger than a
  PTP file may be (it is read where it is, never copied to disk).

Tests lower the caps (never raise them) with EDI837_NCCI_TEST_LIMITS, e.g. "ptp_bytes=4096,line=512",
to build each bomb at a small scale; nothing else reads that variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

TEST_ENV = "EDI837_NCCI_TEST_LIMITS"
MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """The caps (see the module docstring for where each number comes from)."""

    ptp_rows: int = 4_000_000
    ptp_bytes: int = 400 * MiB
    mue_rows: int = 200_000
    mue_bytes: int = 32 * MiB
    line: int = 64 * 1024
    entries: int = 32
    depth: int = 2

    def rows(self, kind: str) -> int:
        return self.ptp_rows if kind == "ptp" else self.mue_rows

    def bytes(self, kind: str) -> int:
        return self.ptp_bytes if kind == "ptp" else self.mue_bytes


DEFAULT = Limits()


def current() -> Limits:
    """The caps in force: the defaults, lowered where EDI837_NCCI_TEST_LIMITS says so (a value above the
    default, or one that is not a positive whole number, is ignored: the variable can only tighten)."""
    spec = os.environ.get(TEST_ENV, "")
    if not spec:
        return DEFAULT
    lowered: dict[str, int] = {}
    names = {f.name for f in fields(Limits)}
    for item in spec.split(","):
        name, _, value = item.partition("=")
        name = name.strip()
        if name in names and value.strip().isdigit() and 0 < int(value) < getattr(DEFAULT, name):
            lowered[name] = int(value)
    return replace(DEFAULT, **lowered)


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
