"""The CMS/CDC ICD-10-CM code files, told apart by what they hold, and the release each one is.

Two files of the "ICD-10-CM Code Descriptions in Tabular Order" download list the codes (read from the
real FY2021 January order file shipped in simple-icd-10-cm 1.2.0, and from public parsers that agree):
- the order file (`icd10cm_order_2024.txt`, `icd10cm-order-2026.txt`, `icd10cm-order-April-1-2026.txt`):
  fixed width, one line per code: order number (5 digits, zero filled), blank, the code without its dot
  (7 characters, blank filled), blank, `1` when the code is valid for HIPAA-covered transactions (billable)
  and `0` for a header (a category or subcategory with codes below it), blank, a 60-character short
  description, blank, the long description;
- the codes file (`icd10cm_codes_2024.txt`, `icd10cm-codes-2026.txt`): the billable codes only, each
  followed by white space and its long description.
The ZIP also holds addenda files (the year's changes only) and PDFs: those are not code sets and are
skipped. The ICD-10-PCS order file has the same layout; its codes do not start with a letter, so it is
refused. A line that does not have the layout refuses the whole file: a half-read code set would make
valid codes look unknown.

Which release a file is, is told by its name (or the ZIP's): a year alone is that fiscal year's October
release (`2026` is FY2026, in force from 2025-10-01); a month with the year is an update within the fiscal
year (`April-1-2026` is FY2026's April update, from 2026-04-01; `Jan-2021` is FY2021's January update).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from edi837.datafiles.lines import SNIFF_BYTES, FormatRefused, Readable, bounded_lines, counted
from edi837.icd10 import limits

ORDER, CODES = "order", "codes"
KIND_NAMES = {ORDER: "ICD-10-CM order file", CODES: "ICD-10-CM codes file"}
WANTED = "ICD-10-CM order or codes file (icd10cm-order-YYYY.txt, icd10cm-codes-YYYY.txt)"
NEVER = "no line of an ICD-10-CM order or codes file is; not a CMS/CDC code file"  # a line past the cap is one
VERSION_FORMS = "FY2026 (the October release) or FY2026-04 (the April 1, 2026 update)"
CM_CODE = re.compile(r"[A-Z][0-9A-Z]{2,6}")
# ICD-10-CM became the HIPAA code set for diagnoses on October 1, 2015 (45 CFR 162.1002(c)(2)).
ICD10_START = date(2015, 10, 1)
_ORDER_LINE = re.compile(rb"(\d{5}) ([A-Z][0-9A-Z]{2}[0-9A-Z ]{4}) ([01])(?: |\r?$)")
_CODES_LINE = re.compile(rb"([A-Z][0-9A-Z]{2,6})[ \t]+\S")
_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
_MONTH_YEAR = re.compile(r"(?<![a-z])(" + "|".join(sorted(_MONTHS, key=len, reverse=True))
                         + r")[-_ ]*(?:1(?:st)?[-_ ,]+)?(20\d\d)(?!\d)", re.IGNORECASE)
_FISCAL = re.compile(r"fy[-_ ]?(20\d\d)(?![\d])(?:[-_ ](0[1-9]|1[0-2])(?!\d))?", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
_ISO = re.compile(r"(20\d\d)-(\d\d)-01")


@dataclass(frozen=True, order=True)
class Release:
    """One ICD-10-CM release: the date it takes effect and the fiscal year it belongs to."""

    effective: date
    fiscal_year: int

    @property
    def label(self) -> str:
        """FY2026 for the October release, FY2026-04 for an update of the fiscal year (April 1, 2026)."""
        if self.effective.month == 10:
            return f"FY{self.fiscal_year}"
        return f"FY{self.fiscal_year}-{self.effective.month:02d}"

    @property
    def fiscal_end(self) -> date:
        """The last day of its fiscal year (September 30): no release answers past it."""
        return date(self.fiscal_year, 9, 30)


def fiscal_year(day: date) -> int:
    """The federal fiscal year a date of service falls in: FY2026 runs from 2025-10-01 to 2026-09-30."""
    return day.year + 1 if day.month >= 10 else day.year


def release_of(month: int | None, year: int) -> Release:
    """The release of a calendar month and year (None: the October release of fiscal year `year`)."""
    if month is None or month == 10:
        fy = year if month is None else year + 1
        return Release(date(fy - 1, 10, 1), fy)
    effective = date(year, month, 1)
    return Release(effective, fiscal_year(effective))


def release_in(text: str) -> Release | None:
    """The release a file or ZIP name says: `icd10cm-order-2026.txt` -> FY2026, `icd10cm-codes-April-1-2026.txt`
    -> FY2026-04, `icd10cm-order-Jan-2021.txt` -> FY2021-01, `ICD10CM_FY2026_code_descriptions.zip` -> FY2026."""
    found = _MONTH_YEAR.search(text)
    if found:
        return release_of(_MONTHS[found.group(1).lower()], int(found.group(2)))
    fiscal = _FISCAL.search(text)
    if fiscal:
        year = int(fiscal.group(1))
        return release_of(None, year) if not fiscal.group(2) else _update(year, int(fiscal.group(2)))
    years = _YEAR.findall(text)
    return release_of(None, int(years[0])) if len(set(years)) == 1 else None


def _update(fy: int, month: int) -> Release:
    return release_of(None, fy) if month == 10 else release_of(month, fy - 1 if month > 10 else fy)


def parse_version(text: str) -> Release | None:
    """`--version`: FY2026, FY2026-04, or the date the release takes effect (2026-04-01)."""
    iso = _ISO.fullmatch(text.strip())
    if iso:
        month = int(iso.group(2))
        return release_of(month, int(iso.group(1))) if 1 <= month <= 12 else None
    fiscal = _FISCAL.fullmatch(text.strip())
    if fiscal:
        return release_in(text.strip())
    return None


def sniff(head: bytes, name: str) -> str:
    """The kind of a file from its first bytes: an order file or a codes file; anything else is refused."""
    lowered = name.lower()
    if "addenda" in lowered:
        raise FormatRefused(f"{name}: an addenda file (the year's changes only); import the order or codes file")
    if "pcs" in lowered.replace("icd10cm", ""):
        raise FormatRefused(f"{name}: an ICD-10-PCS file (inpatient procedures); diagnoses are ICD-10-CM")
    if not head.strip():
        raise FormatRefused(f"{name}: empty file")
    if b"\x00" in head:
        raise FormatRefused(f"{name}: not a text file (binary content); expected {WANTED}")
    lines = head.splitlines()
    if len(head) >= SNIFF_BYTES and not head.endswith((b"\n", b"\r")):
        lines = lines[:-1]  # cut by the sniff window
    lines = [line for line in lines if line.strip()][:50]
    if lines and all(_ORDER_LINE.match(line) for line in lines):
        return ORDER
    if lines and all(_CODES_LINE.match(line) for line in lines):
        return CODES
    raise FormatRefused(f"{name}: not an {WANTED}: its lines are neither order-file lines (order number, code, "
                        "0/1 flag, descriptions) nor codes-file lines (code, description)")


# A row as stored: the code (no dot) and 1 when billable, 0 for a header.
CodeRow = tuple[str, int]


def read_codes(stream: Readable, kind: str, name: str) -> Iterator[CodeRow]:
    """Every code of an order or codes file, in file order: (code, billable), streamed in lines of bounded
    length. Refuses the file at the first line that does not have its layout (a truncated last line, a
    damaged byte, another file glued on), and past the codes a release can hold (edi837.icd10.limits)."""
    caps = limits.current()
    most = caps.rows(kind)
    pattern = _ORDER_LINE if kind == ORDER else _CODES_LINE
    rows = 0
    for number, line in enumerate(bounded_lines(stream, name, caps.line, NEVER), start=1):
        if not line.strip():
            continue
        found = pattern.match(line)
        code = (found.group(2) if kind == ORDER else found.group(1)).strip() if found else b""
        if not found or not CM_CODE.fullmatch(code.decode("ascii")):
            raise FormatRefused(f"{name}: line {number} is not an {KIND_NAMES[kind]} line; the file looks "
                                "truncated or damaged; nothing of it was loaded")
        rows = counted(rows, most, name, number, "codes", "an ICD-10-CM release lists")
        yield code.decode("ascii"), 1 if kind == CODES or found.group(3) == b"1" else 0
