"""How big a CMS NCCI practitioner file can be, and the caps every file handed to the importer is held to.

Why caps, and how they are applied (the same way for every store): edi837.datafiles.limits.

How the caps were set. No CMS page read for this gives the sizes of the files, so they were NOT read from
CMS: they come from row counts that public projects loading the real files have published, with a wide
margin (see docs/ncci.md):
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

from edi837.datafiles.limits import FileCaps, KiB, Limits, MiB

TEST_ENV = "EDI837_NCCI_TEST_LIMITS"
# "ptp" and "mue": the kinds of edi837.ncci.formats (not imported: formats reads these caps).
DEFAULT = Limits({"ptp": FileCaps(rows=4_000_000, bytes=400 * MiB), "mue": FileCaps(rows=200_000, bytes=32 * MiB)},
                 line=64 * KiB, entries=32, depth=2)


def current() -> Limits:
    """The caps in force: the defaults, lowered where EDI837_NCCI_TEST_LIMITS says so."""
    return DEFAULT.lowered(TEST_ENV)
