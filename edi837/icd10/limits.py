"""How big a CMS/CDC ICD-10-CM code file can be, and the caps every file handed to `edi-fix icd10 import` is
held to. Why caps, and how they are applied (the same way as for the NCCI files): edi837.datafiles.limits.

How the caps were set, from the real files, with a wide margin (see docs/icd10.md):
- The order file of a release lists every code, header or billable, one per line: about 100,000 lines
  (the CDC's FY2021 January order file, read for this, has 95,358; an import of a whole release loads
  98,186 codes), each under 400 bytes (77 bytes of fixed columns, then the long description). So a file
  is under 40 MB. The codes file lists the billable codes only (74,719 in April 2026), in shorter lines.
  Cap per file, either kind: 1,000,000 codes (ten times a release) and 256 MiB (over six times the most
  100,000 lines of 400 bytes can be).
- A line: under 400 bytes. Cap: 4 KiB, ten times that; the window in which a file's kind is told (64 KiB)
  holds many lines whatever their length.
- A ZIP: the CDC ships a release's code descriptions as one ZIP of a few files (the order and codes files,
  addenda, PDFs); a ZIP of those ZIPs is allowed. Cap: 32 entries per archive, ZIPs nested 2 deep, and a
  ZIP inside a ZIP no larger than a code file may be (it is read where it is, never copied to disk).

Tests lower the caps (never raise them) with EDI837_ICD10_TEST_LIMITS, e.g. "order_bytes=4096,line=256",
to build each bomb at a small scale; nothing else reads that variable.
"""

from __future__ import annotations

from edi837.datafiles.limits import FileCaps, KiB, Limits, MiB

TEST_ENV = "EDI837_ICD10_TEST_LIMITS"
_FILE = FileCaps(rows=1_000_000, bytes=256 * MiB)
# "order" and "codes": the kinds of edi837.icd10.formats (not imported: formats reads these caps).
DEFAULT = Limits({"order": _FILE, "codes": _FILE}, line=4 * KiB, entries=32, depth=2)


def current() -> Limits:
    """The caps in force: the defaults, lowered where EDI837_ICD10_TEST_LIMITS says so."""
    return DEFAULT.lowered(TEST_ENV)
