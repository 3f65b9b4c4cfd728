"""The CMS NCCI practitioner files, told apart by what they hold and read row by row.

Why by content: a downloaded file is renamed, re-zipped, or saved by a browser under another name, and
the outpatient-hospital PTP file has the practitioner file's layout exactly. A file is a PTP table when
tab-separated column headings (Column 1, Column 2, ..., Effective, Deletion, Modifier) stand above rows
of that shape; it is an MUE table when a CSV header names the code, the MUE values and the adjudication
indicator (matched by substring: the header's first cell holds a line break, and its wording varies).
Anything else is refused with one line saying why. A row that does not have the layout (a field more or
less, a line longer than any CMS line, a row repeated) refuses the whole file, naming the line: a
truncated, damaged or altered file must not load half its edits, nor edits CMS did not publish.

Layouts (no CMS file was read; from public parsers and fixtures that agree with each other):
- PTP text: latin-1, CRLF, an AMA notice and a title, then the column headings wrapped over several
  lines, then rows `column1<TAB>column2<TAB>*|blank<TAB>YYYYMMDD<TAB>YYYYMMDD|*<TAB>0|1|9<TAB>rationale`.
  A deletion date of "*" (one parser saw blanks too) means the edit is not deleted.
- MUE CSV: a quoted AMA notice, then `"HCPCS/\\nCPT Code","Practitioner Services MUE Values","MUE
  Adjudication Indicator","MUE Rationale"`, then rows; the indicator cell reads like "3 Date of Service
  Edit: Clinical"; some values are blank or confidential: those stay unknown, never 0.
"""

from __future__ import annotations

import csv
import io
import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from edi837.datafiles.lines import SNIFF_BYTES, FormatRefused, Readable, bounded_lines
from edi837.ncci import limits

PTP, MUE = "ptp", "mue"
KIND_NAMES = {PTP: "PTP practitioner", MUE: "MUE practitioner"}
PTP_PARTS = 4  # ccipra-vNNNrN-f1 ... f4: a PTP version answers only once all its parts are loaded
MAX_PREAMBLE_LINES = 200  # notice, title and headings: a "PTP file" with more before its rows is not one
CODE = re.compile(rb"[A-Z0-9]{5}")
PTP_FIELDS = 7  # column 1, column 2, before 1996, effective, deletion, modifier indicator, rationale
NEVER = "no CMS row or heading is; not a CMS file"  # a line past the cap is one that
# The first bytes of every file edi837.testing.ncci_files writes (after the opening quote of the MUE CSV's
# notice cell). A CMS file begins with the AMA's CPT notice, so no CMS download begins with these bytes,
# and a file that carries them anywhere else (a rationale, a later line) is not called synthetic.
SYNTHETIC_MARK = b"EDI837-SYNTHETIC-NCCI-TEST-FILE"


def is_synthetic(head: bytes) -> bool:
    """Whether a table was written by edi837's generator: its very first bytes are the mark."""
    text = head.removeprefix(b"\xef\xbb\xbf")
    return text.startswith(SYNTHETIC_MARK) or text.startswith(b'"' + SYNTHETIC_MARK)


# A PTP row as stored: column1, column2, effective (YYYYMMDD), deletion (YYYYMMDD or None), modifier
# indicator, in existence before 1996, rationale, the caller's tag. Tuples, not objects: millions stream through.
PtpRow = tuple[str, str, int, int | None, int, int, object, object]
# An MUE row: code, value (None: blank or confidential), adjudication indicator (None: unreadable), rationale.
MueRow = tuple[str, int | None, int | None, str]


# --- versions and parts, from a name or from the text --------------------------------------------------------
_PTP_VERSION = re.compile(r"v(\d{3})r(\d{1,2})(?!\d)", re.IGNORECASE)
_QUARTER = re.compile(r"(?<!\d)(20\d\d)[-_ ]?q([1-4])(?!\d)", re.IGNORECASE)
_EFFECTIVE_NUMERIC = re.compile(r"eff(?:ective)?[-_ ]*(\d{1,2})[-_/](\d{1,2})[-_/](20\d\d)", re.IGNORECASE)
_EFFECTIVE_WORDS = re.compile(r"effective\s+(january|april|july|october)\s+1,?\s+(20\d\d)", re.IGNORECASE)
_PART = re.compile(r"-f(\d{1,2})(?=[._-]|$)", re.IGNORECASE)
_QUARTER_OF_MONTH = {"january": 1, "april": 2, "july": 3, "october": 4}
VERSION_FORMS = {PTP: "vNNNrN (like v322r0)", MUE: "YYYY-qN (like 2025-q4)"}


def ptp_version(text: str) -> str | None:
    """A PTP version as CMS names its files: `ccipra-v322r0-f1` is version 32.2 revision 0 -> "v322r0"."""
    found = _PTP_VERSION.search(text)
    return f"v{found.group(1)}r{int(found.group(2))}" if found else None


def mue_version(text: str) -> str | None:
    """An MUE table's quarter, "YYYY-qN": from `2025-q4` / `2025q4` in a ZIP name, `Eff_10-01-2025` in a
    CSV name, or "effective October 1, 2025" in its text."""
    found = _QUARTER.search(text)
    if found:
        return f"{found.group(1)}-q{found.group(2)}"
    numeric = _EFFECTIVE_NUMERIC.search(text)
    if numeric and 1 <= int(numeric.group(1)) <= 12:
        return f"{numeric.group(3)}-q{(int(numeric.group(1)) - 1) // 3 + 1}"
    words = _EFFECTIVE_WORDS.search(text)
    if words:
        return f"{words.group(2)}-q{_QUARTER_OF_MONTH[words.group(1).lower()]}"
    return None


def version_in(kind: str, text: str) -> str | None:
    return ptp_version(text) if kind == PTP else mue_version(text)


def valid_version(kind: str, version: str) -> bool:
    return version_in(kind, version) == version


def version_key(version: str) -> tuple[int, int]:
    """Sort key of a version of either kind: v322r0 -> (322, 0); 2025-q4 -> (2025, 4)."""
    ptp = _PTP_VERSION.fullmatch(version)
    if ptp:
        return int(ptp.group(1)), int(ptp.group(2))
    quarter = _QUARTER.fullmatch(version)
    if quarter:
        return int(quarter.group(1)), int(quarter.group(2))
    raise ValueError(f"not an NCCI version: {version!r}")


def quarter_start(version: str) -> date:
    """The first day of an MUE table's quarter (2025-q4 -> 2025-10-01): the first date of service it answers."""
    year, quarter = version_key(version)
    return date(year, 3 * quarter - 2, 1)


def iso_day(day: int) -> str:
    """YYYYMMDD as stored -> YYYY-MM-DD."""
    return f"{day // 10000:04d}-{day // 100 % 100:02d}-{day % 100:02d}"


def part_of(name: str) -> int | None:
    """Which of a PTP version's files this is (`ccipra-v322r0-f3.txt` -> 3), when the name says so."""
    found = _PART.search(name)
    return int(found.group(1)) if found else None


# --- telling the kind ------------------------------------------------------------------------------------------
def plain_words(text: str) -> str:
    """Lower case, runs of white space (line breaks included) made one space."""
    return " ".join(text.lower().split())


def sniff(head: bytes, name: str) -> str:
    """The kind of a file from its first bytes: PTP or MUE; anything else is refused, saying why."""
    if not head.strip():
        raise FormatRefused(f"{name}: empty file")
    if b"\x00" in head:
        raise FormatRefused(f"{name}: not a text file (binary content); expected a CMS NCCI PTP .txt or MUE .csv")
    text = head.decode("latin-1")
    lines = text.splitlines()
    if len(head) >= SNIFF_BYTES and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # cut by the sniff window
    for number, line in enumerate(lines[:MAX_PREAMBLE_LINES]):
        if _ptp_fields(line.encode("latin-1").split(b"\t")) is not None:
            _check_ptp_headings(lines[:number], name)
            if "ccioph" in name.lower() or "outpatient hospital" in plain_words(text[:4096]):
                raise FormatRefused(f"{name}: an outpatient hospital PTP file (ccioph); professional claims are "
                                    "checked against the practitioner file (ccipra)")
            return PTP
    if mue_header(text) is not None:
        return MUE
    raise FormatRefused(f"{name}: not a CMS NCCI practitioner PTP or MUE file (no PTP column headings and rows, "
                        "no MUE header with the code, MUE values and adjudication indicator)")


def _check_ptp_headings(preamble: list[str], name: str) -> None:
    """The wrapped headings, merged column by column, must name the PTP columns in the PTP order, and no
    column more (`preamble`: the lines above the first row, line 1 first)."""
    merged: dict[int, str] = {}
    for number, line in enumerate(preamble, start=1):
        if "\t" in line:
            cells = line.split("\t")
            if any(cell.strip() for cell in cells[PTP_FIELDS:]):
                raise FormatRefused(f"{name}: line {number}: the column headings have {len(cells)} columns where the "
                                    f"CMS layout has {PTP_FIELDS}; another layout, not read")
            for index, cell in enumerate(cells):
                merged[index] = f"{merged.get(index, '')} {cell}"
    columns = {i: plain_words(t).replace("column1", "column 1").replace("column2", "column 2")
               for i, t in merged.items()}
    wanted = {0: "column 1", 1: "column 2", 3: "effective", 4: "deletion", 5: "modifier"}
    missing = [word for index, word in wanted.items() if word not in columns.get(index, "")]
    if missing:
        raise FormatRefused(f"{name}: rows shaped like PTP edits, but the column headings above them do not name "
                            f"{', '.join(missing)} where the CMS layout has them; not read")


# --- PTP rows --------------------------------------------------------------------------------------------------
class _PtpReader:
    """Rows from tab-split lines, with memos: a quarter has millions of rows but only thousands of distinct
    codes, dates and rationales, so each distinct raw value is checked (and turned into what is stored)
    once, and a row of known values costs six dict lookups. `rationale` turns a rationale's text into
    what the caller stores (an id of its own table); `tag` ends every row (the caller's import id)."""

    def __init__(self, rationale: Callable[[str], object] = str, tag: object = None) -> None:
        self.codes: dict[bytes, str] = {}
        self.priors: dict[bytes, int] = {b"": 0, b"*": 1}
        self.effective: dict[bytes, int] = {}
        self.deletion: dict[bytes, int | None] = {b"*": None, b"": None}
        self.indicators: dict[bytes, int] = {b"0": 0, b"1": 1, b"9": 9}
        self.rationales: dict[bytes, object] = {}
        self.rationale = rationale
        self.tag = tag

    def row(self, fields: list[bytes]) -> PtpRow | str:
        """The row, or what is wrong with it (never quoting it). Seven fields, or more when the ones after
        the seventh are blank (a trailing tab)."""
        if len(fields) != 7 and (len(fields) < PTP_FIELDS or any(f.strip() for f in fields[PTP_FIELDS:])):
            return f"{len(fields)} tab-separated fields where a PTP row has {PTP_FIELDS}"  # 7: PTP_FIELDS, inlined
        try:
            row = (self.codes[fields[0]], self.codes[fields[1]], self.effective[fields[3]], self.deletion[fields[4]],
                   self.indicators[fields[5]], self.priors[fields[2]])
        except (KeyError, IndexError):
            problem = self._learn(fields)
            if problem:
                return problem
            return self.row(fields)
        raw = fields[6]
        rationale = self.rationales.get(raw)
        if rationale is None:
            rationale = self.rationales[raw] = self.rationale(raw.decode("latin-1").strip())
        return (*row, rationale, self.tag)

    def _learn(self, fields: list[bytes]) -> str:
        """Check the raw values a row holds that no earlier row had, remembering the good ones; or say what
        is wrong."""
        for raw in fields[:2]:
            if raw not in self.codes:
                if not CODE.fullmatch(raw.strip()):
                    return "column 1 or column 2 is not a 5-character CPT/HCPCS code"
                self.codes[raw] = raw.strip().decode("ascii")
        if fields[2] not in self.priors:
            if fields[2].strip() not in (b"", b"*"):
                return "the in-existence-before-1996 column is neither * nor blank"
            self.priors[fields[2]] = 1 if fields[2].strip() else 0
        if fields[3] not in self.effective:
            day = _yyyymmdd(fields[3])
            if day is None:
                return "the effective date is not a date written YYYYMMDD"
            self.effective[fields[3]] = day
        if fields[4] not in self.deletion:
            day = None if fields[4].strip() in (b"*", b"") else _yyyymmdd(fields[4])
            if day is None and fields[4].strip() not in (b"*", b""):
                return "the deletion date is neither a date written YYYYMMDD nor *"
            self.deletion[fields[4]] = day
        if fields[5] not in self.indicators:
            indicator = fields[5].strip()
            if indicator not in (b"0", b"1", b"9"):
                return "the modifier indicator is not 0, 1 or 9"
            self.indicators[fields[5]] = int(indicator)
        return ""


def _yyyymmdd(raw: bytes) -> int | None:
    text = raw.strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    return int(text)


def _ptp_fields(fields: list[bytes]) -> PtpRow | None:
    row = _PtpReader().row(fields)
    return row if isinstance(row, tuple) else None


@dataclass
class PtpSeen:
    """What reading a PTP file saw besides its rows: each row's line number, and whether the rows came ordered by
    column 1 and column 2 (then every repeated window was already caught while reading)."""

    lines: array[int] = field(default_factory=lambda: array("I"))  # 4 bytes a row
    ordered: bool = True


def repeated_window(name: str, first: int, second: int, key: tuple[str, str], window: tuple[int, int | None]) -> str:
    until = f"deletion date {iso_day(window[1])}" if window[1] is not None else "no deletion date"
    return (f"{name}: lines {first} and {second} both give {key[0]}/{key[1]} the window from {iso_day(window[0])} "
            f"({until}); a CMS file lists an edit's window once; a damaged or altered file, nothing of it was loaded")


def read_ptp(stream: Readable, name: str, *, rationale: Callable[[str], object] = str, tag: object = None,
             seen: PtpSeen | None = None) -> Iterator[PtpRow]:
    """Every edit row of a PTP file, in file order, after its notice and headings: (column1, column2,
    effective, deletion, indicator, before-1996, rationale(text), tag). `seen` gets the line of each row and
    whether the rows were ordered by key.

    Refuses the file at the first line after the headings that is not a PTP row (a truncated last line,
    a damaged byte, another table glued on, a column more), at a key repeated with a window it had among
    the rows of that key just before (in a file ordered by key, as CMS writes them, that is every repeat;
    the caller checks an unordered file once its rows are in), and past the rows a CMS file can hold
    (edi837.ncci.limits): a half-read quarter would make missing edits look absent, and one row repeated
    millions of times is not a CMS file.
    """
    caps = limits.current()
    seen = seen if seen is not None else PtpSeen()
    row_of, line_of, most = _PtpReader(rationale, tag).row, seen.lines.append, caps.rows(PTP)
    preamble: list[str] = []
    started = False
    rows = 0
    column1 = column2 = ""
    windows: dict[tuple[int, int | None], int] = {}
    for number, line in enumerate(bounded_lines(stream, name, caps.line, NEVER), start=1):
        row = row_of(line.split(b"\t"))
        if type(row) is tuple:
            if not started:
                _check_ptp_headings(preamble, name)
                started = True
            window = (row[2], row[3])
            if row[1] == column2 and row[0] == column1:
                if window in windows:
                    raise FormatRefused(repeated_window(name, windows[window], number, (column1, column2), window))
                windows[window] = number
            else:
                seen.ordered = seen.ordered and (row[0], row[1]) > (column1, column2)
                column1, column2, windows = row[0], row[1], {window: number}
            rows += 1
            if rows > most:
                raise FormatRefused(f"{name}: more than {most:,} rows (line {number}), more than a CMS PTP file "
                                    "holds; not loaded")
            line_of(number)
            yield row
        elif not started:
            preamble.append(line.decode("latin-1"))
            if number > MAX_PREAMBLE_LINES:
                raise FormatRefused(f"{name}: no PTP rows in its first {MAX_PREAMBLE_LINES} lines")
        elif line.strip():
            raise FormatRefused(f"{name}: line {number} is not a PTP row ({row}); the file looks truncated, damaged "
                                "or of another layout; nothing of it was loaded")
    if not started:
        raise FormatRefused(f"{name}: PTP headings but no PTP rows; the file looks truncated")


# --- MUE rows --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MueColumns:
    code: int
    value: int
    indicator: int
    rationale: int | None


def mue_columns(cells: list[str]) -> MueColumns | None:
    """Which cell is which, by substring of the header's words (its wording and first cell vary)."""
    words = [plain_words(c) for c in cells]

    def find(*needles: str) -> int | None:
        return next((i for i, w in enumerate(words) if any(n in w for n in needles)), None)

    code, value = find("hcpcs", "cpt code"), find("mue value")
    indicator, rationale = find("adjudication indicator"), find("rationale")
    if code is None or value is None or indicator is None or len({code, value, indicator}) < 3:
        return None
    return MueColumns(code, value, indicator, rationale)


def mue_header(text: str) -> tuple[MueColumns, int] | None:
    """The MUE header among the first records: its columns and how many records come before the data."""
    reader = csv.reader(io.StringIO(text))
    try:
        for index, cells in enumerate(reader):
            columns = mue_columns(cells)
            if columns is not None:
                return columns, index + 1
            if index > 30:
                return None
    except csv.Error:
        return None
    return None
