"""The ICD-10-CM releases edi837 ships, so a new user is covered before any import.

What is shipped (edi837/icd10/data/, written by `python -m edi837.icd10.build_shipped`): the codes and
billable flags, no descriptions, of the releases whose files come through PyPI in simple-icd-10-cm (MIT;
its data are the CDC's ICD-10-CM files): FY2021 as of its January 1, 2021 update (the CDC order file
itself), and the April 1 updates of FY2025 and FY2026. Each answers dates of service from the day it takes
effect to the end of its fiscal year (September 30); the releases between (FY2022 to FY2024, and the
October releases of FY2025 and FY2026) and the newer ones (FY2027 from 2026-10-01) are not shipped, so
those dates are checked only once their CMS files are imported (`edi-fix icd10 import`).

Why a table of status characters and not a database: one line per code ever listed with one character per
release (1 billable, 0 header, - not listed) is 240 kB compressed for three releases; it is read only when
a claim's date of service falls in a shipped release, once per process, and searched by bisection (the
lines are sorted), so a run costs one decompression of a few milliseconds and a dictionary-free lookup.
"""

from __future__ import annotations

import bisect
import gzip
import tomllib
from datetime import date
from functools import cached_property
from pathlib import Path

from edi837.icd10.formats import Release

DATA = Path(__file__).resolve().parent / "data"
TABLE, RELEASES = "icd10cm_shipped.txt.gz", "icd10cm_shipped.toml"


class ShippedTable:
    """The shipped releases (read at once: a small TOML) and their codes (read on the first lookup)."""

    def __init__(self, folder: Path = DATA) -> None:
        self.folder = folder
        entries = tomllib.loads((folder / RELEASES).read_text(encoding="utf-8")).get("release", [])
        self.releases = [Release(date.fromisoformat(e["effective"]), int(e["fiscal_year"])) for e in entries]
        self.files = [str(e["file"]) for e in entries]
        self.sources = [str(e["source"]) for e in entries]

    @cached_property
    def _lines(self) -> list[bytes]:
        with gzip.open(self.folder / TABLE, "rb") as table:
            return table.read().split(b"\n")[:-1]

    def _at(self, code: str) -> int:
        return bisect.bisect_left(self._lines, code.encode("ascii") + b"\t")

    def statuses(self, code: str) -> dict[int, int]:
        """The code in each shipped release that lists it: release index -> 1 billable, 0 header."""
        if not code.isascii():
            return {}
        lines, key = self._lines, code.encode("ascii") + b"\t"
        at = self._at(code)
        if at >= len(lines) or not lines[at].startswith(key):
            return {}
        flags = lines[at][len(key):]
        return {i: int(chr(flag)) for i, flag in enumerate(flags) if flag != ord("-")}

    def billable_below(self, code: str, index: int, limit: int) -> list[str]:
        """The billable codes under a header in one shipped release, in code order."""
        lines, prefix = self._lines, code.encode("ascii")
        found: list[str] = []
        at = self._at(code) + 1
        while at < len(lines) and lines[at].startswith(prefix) and len(found) < limit:
            name, flags = lines[at].split(b"\t")
            if flags[index:index + 1] == b"1":
                found.append(name.decode("ascii"))
            at += 1
        return found

    def close(self) -> None:
        pass
