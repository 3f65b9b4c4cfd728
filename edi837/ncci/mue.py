"""The CMS NCCI practitioner MUE table, read row by row from a stream.

Why a stream and not the whole file: a ZIP of 1.6 MB can hold 1.6 GB, and a table read whole ends in a
MemoryError; read by lines of bounded length, with a cap on the rows (edi837.ncci.limits), memory stays
that of one line and the importer stops at the cap.

Layout (as in edi837.ncci.formats): a quoted AMA notice, then `"HCPCS/\\nCPT Code","Practitioner
Services MUE Values","MUE Adjudication Indicator","MUE Rationale"`, then one row per code. A header with
another column, a row with a cell more or less than the header, or a row repeated refuses the table,
naming the line: an altered table must not load as if CMS had published it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from edi837.datafiles.lines import FormatRefused, Readable, bounded_lines, counted
from edi837.ncci import limits
from edi837.ncci.formats import CODE, NEVER, MueColumns, MueRow, mue_columns, plain_words

_HEADER_WITHIN = 31  # records: the notice comes first, then the header
_OTHER_PROVIDERS = ("hospital", "facility", "dme", "supplier")


def _decoded(lines: Iterable[bytes]) -> Iterator[str]:
    """Each line as text, its line break given back (a quoted cell spans lines): UTF-8 (a BOM dropped) where
    it is, else Windows-1252, line by line: only the notice's (c) or (R) is ever outside ASCII."""
    first = True
    for raw in lines:
        line = raw.removeprefix(b"\xef\xbb\xbf") if first else raw
        first = False
        try:
            yield line.decode("utf-8") + "\n"
        except UnicodeDecodeError:
            yield line.decode("cp1252", errors="replace") + "\n"


def read_mue(stream: Readable, name: str) -> Iterator[MueRow]:
    """Every row of a practitioner MUE table. Refuses another table (outpatient hospital, DME), another
    layout, a file whose rows are not code rows, a row repeated, and more rows than a CMS table holds; a
    blank or non-numeric value (CMS marks some confidential) is unknown."""
    caps = limits.current()
    most = caps.rows("mue")
    reader = csv.reader(_decoded(bounded_lines(stream, name, caps.line, NEVER)), strict=True)
    columns: MueColumns | None = None
    width = rows = 0
    seen: dict[str, tuple[int | None, int | None, int]] = {}
    try:
        for index, cells in enumerate(reader):
            if columns is None:
                columns = mue_columns(cells)
                if columns is not None:
                    width = _check_header(cells, columns, name, reader.line_num)
                elif index >= _HEADER_WITHIN:
                    break
                continue
            if not any(c.strip() for c in cells):
                continue
            row = _mue_row(cells, columns, width, name, reader.line_num)
            before = seen.setdefault(row[0], (row[1], row[2], reader.line_num))
            if before[2] != reader.line_num and before[:2] == row[1:3]:
                raise FormatRefused(f"{name}: line {reader.line_num} repeats code {row[0]} of line {before[2]}; a CMS "
                                    "table lists a code once; a damaged or altered file, nothing of it was loaded")
            rows = counted(rows, most, name, reader.line_num, "rows", "a CMS MUE table holds")
            yield row
    except csv.Error as error:
        raise FormatRefused(f"{name}: line {reader.line_num} cannot be read as CSV ({error}); the file looks "
                            "truncated or damaged; nothing of it was loaded") from None
    if columns is None:
        raise FormatRefused(f"{name}: no MUE header (HCPCS/CPT code, MUE values, MUE adjudication indicator)")


def _check_header(cells: list[str], columns: MueColumns, name: str, line: int) -> int:
    """Refuse another provider's table or another layout; the number of cells a row has."""
    value_header = plain_words(cells[columns.value])
    if any(w in value_header for w in _OTHER_PROVIDERS):
        raise FormatRefused(f"{name}: an MUE table for another kind of provider ({value_header}); professional "
                            "claims are checked against the practitioner table")
    known = {columns.code, columns.value, columns.indicator, columns.rationale}
    if any(cell.strip() and index not in known for index, cell in enumerate(cells)):
        expected = 4 if columns.rationale is not None else 3
        raise FormatRefused(f"{name}: line {line}: the MUE header has {len(cells)} columns where the CMS layout has "
                            f"{expected} (code, MUE values, adjudication indicator, rationale); another layout, "
                            "not read")
    return max(index for index in known if index is not None) + 1


def _mue_row(cells: list[str], columns: MueColumns, width: int, name: str, line: int) -> MueRow:
    if len(cells) != width and (len(cells) < width or any(c.strip() for c in cells[width:])):
        raise FormatRefused(f"{name}: line {line} has {len(cells)} cells where the MUE header has {width}; the file "
                            "looks truncated, damaged or of another layout; nothing of it was loaded")

    def cell(index: int | None) -> str:
        return cells[index].strip() if index is not None else ""

    code = cell(columns.code).upper()
    if not CODE.fullmatch(code.encode("ascii", "replace")):
        raise FormatRefused(f"{name}: line {line} is not an MUE row (its code is not a 5-character CPT/HCPCS code); "
                            "the file looks truncated or damaged; nothing of it was loaded")
    value_text = cell(columns.value)
    whole = value_text.isascii() and value_text.isdigit() and len(value_text) <= 9  # no MUE has ten digits
    value = int(value_text) if whole else None
    indicator_text = cell(columns.indicator)
    indicator = int(indicator_text[0]) if indicator_text[:1] in ("1", "2", "3") and (
        len(indicator_text) == 1 or not indicator_text[1].isdigit()) else None
    return code, value, indicator, cell(columns.rationale)
