"""What only the claim's own lines tell the ledger: its rendering NPI, its dates, each line as read.

A claim's row (ledger/build.py) needs every line of every claim: code, modifiers, units, basis, pointers, the
diagnoses they name, dates, charge and REF*6R. The rule engine parses a claim only when a rule asks, and the
ledger may add at most a tenth to a run (bench/ledger.py), so parsing every claim into its model
(model/loops.py: a ServiceLine, a Provider, a Diagnosis per loop) just to read those texts back cost most of
that tenth. `facts` reads them from the claim's segments instead, with the model's own readers for each
value (`_read_sv1`, `read_diagnoses`, `date8`, `number`), so every text is the one the model gives.

It follows model/loops.py's walk for the few segments it reads: LX opens a line; an SV1 or a DTP*472
counts only in the 2400 loop itself (an NM1, SVD, LIN or LQ opens a sub-loop of the line); HI and the 2310B
NM1*82 count only before the first 2320 (SBR) and the first line. Anything the walk would read differently or
refuse - a line without its one SV1, two DTP*472, an SV1 or LX01 the model refuses, a 2320 AMT whose amount
may refuse the claim - is handed to `parsed_facts`, the model's own parse, so the rows are the same either
way (tests/test_ledger_facts.py compares both on generated claims of every shape).

Most lines are LX, SV1, DTP*472 and nothing else: one regular expression reads such a line whole (C speed);
any other line is read segment by segment. The claim is cut into its lines by another (an LX segment
starts one). The JSON is written by hand from cached pieces: a file repeats the same few SV1 segments, HI
segments and dates thousands of times.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from json.encoder import encode_basestring as quoted
from typing import NamedTuple

from edi837.errors import InputRefused, one_line
from edi837.model.claim import Claim, space_pattern
from edi837.model.content import date_text, decimal_text, join_items
from edi837.model.fields import date8
from edi837.model.lines import Diagnosis, ServiceLine, _read_sv1, npi_of
from edi837.model.loops import line_control, read_diagnoses
from edi837.x12.envelope import WHITESPACE, Delimiters
from edi837.x12.untrusted import number

_CACHE_LIMIT = 8192
_dates: dict[date | None, str] = {None: "null"}  # a date -> its JSON
_isos: dict[date | None, str | None] = {}  # a date -> its ISO text
_SUB_LOOPS = frozenset((b"NM1", b"SVD", b"LIN", b"LQ"))  # they open a loop inside the line (2420x, 2430, ...)


class Facts(NamedTuple):
    """What only a parsed claim tells: its rendering NPI, its dates, its lines as read (each line's JSON
    array, without its closing bracket, so that its after-values can follow) and their LX01."""

    rendering_npi: str
    first_date: str | None
    last_date: str | None
    numbers: tuple[int, ...]
    lines: tuple[str, ...]


class _Reader:
    """The scan's tools for one set of delimiters: where each line starts, and what was read of each SV1,
    DTP*472, LX01 and HI already (a file repeats the same few thousands of times)."""

    def __init__(self, delims: Delimiters) -> None:
        self.delims = delims
        self.term, self.ele, self.comp = delims.segment, delims.element, delims.component
        self.wanted = b"REF" + self.ele + b"6R" + self.ele
        # An LX segment (model/loops.py: its id is the text before the first element separator).
        self.lines = re.compile(re.escape(self.term) + space_pattern(delims) + b"LX(?=" + re.escape(self.ele) + b"|"
                                + re.escape(self.term) + b")")
        # The usual line, LX SV1 DTP*472 and nothing else, read at C speed (`_line` reads any other).
        term, ele, space = re.escape(self.term), re.escape(self.ele), space_pattern(delims)
        value = b"[^" + term + b"]*"
        self.plain = re.compile(ele + b"([^" + ele + term + b"]*)" + term + space + b"(SV1" + ele + value + b")" + term
                                + space + b"(DTP" + ele + b"472" + ele + value + b")(?:" + term + b")?")
        self.codes: dict[tuple[bytes, bool], tuple[str, ...]] = {}  # (HI, after another HI) -> its codes, escaped
        # SV1 -> (JSON of code..pointers, JSON of the charge, the pointers), None when the model refuses it
        self.sv1s: dict[bytes, tuple[str, str, tuple[int, ...]] | None] = {}
        self.dtps: dict[bytes, tuple[date | None, date | None, str]] = {}  # DTP*472 -> its dates and their JSON
        self.numbers: dict[bytes, int | None] = {}  # LX01 -> the line's number, None when the model refuses it

    def clear(self) -> None:
        for cache in (self.codes, self.sv1s, self.dtps, self.numbers):
            cache.clear()


_Read = tuple[int, str, tuple[int, ...], str, date | None, date | None]  # LX01, JSON to the diagnoses, pointers,
# JSON after them, dates
_reader: _Reader | None = None


def _reader_of(delims: Delimiters) -> _Reader:
    global _reader  # one file's delimiters at a time: a module-wide memo
    if _reader is None or (_reader.delims is not delims and _reader.delims != delims):
        _reader = _Reader(delims)
    if len(_reader.sv1s) >= _CACHE_LIMIT or len(_reader.dtps) >= _CACHE_LIMIT or len(_reader.codes) >= _CACHE_LIMIT:
        _reader.clear()
    return _reader


def facts(claim: Claim) -> Facts:
    """The claim's lines as read and who rendered it (2310B, else the billing provider)."""
    scanned = _scan(claim)
    return scanned if scanned is not None else parsed_facts(claim)


def _scan(claim: Claim) -> Facts | None:
    """The facts from the claim's segments, or None where the model's parse is needed (see the docstring)."""
    reader = _reader_of(claim.delimiters)
    head, *texts = reader.lines.split(claim.raw)
    found = _head(reader, head)
    if found is None:
        return None
    codes, rendering = found
    pointed: dict[tuple[int, ...], str] = {}
    out = []
    first: date | None = None
    last: date | None = None
    numbers = []
    for text in texts:
        plain = reader.plain.fullmatch(text)
        read = _read(reader, plain[1], plain[2], plain[3]) if plain is not None else _line(reader, text)
        if read is None:
            return None
        number, before, pointers, after, start, stop = read
        dx = pointed.get(pointers)
        if dx is None:  # Claim.diagnoses_for: the codes of the pointers that name a diagnosis, in pointer order
            dx = pointed[pointers] = quoted(":".join([codes[p - 1] for p in pointers if 1 <= p <= len(codes)]))
        out.append(before + dx + after)
        numbers.append(number)
        if start is not None:
            first = start if first is None or start < first else first
            stop = stop or start
            last = stop if last is None or stop > last else last
    return Facts(rendering or claim.billing_provider.npi, _iso(first), _iso(last), tuple(numbers), tuple(out))


def _head(reader: _Reader, head: bytes) -> tuple[tuple[str, ...], str | None] | None:
    """The diagnoses (each as `join_items` writes it in a list) and the 2310B NPI of the claim's segments before
    its first line (CLM itself tells none)."""
    ele = reader.ele
    codes: tuple[str, ...] = ()
    rendering: str | None = None
    payer = False  # in a 2320 or its 2330 loops
    for piece in head.split(reader.term)[1:]:
        body = piece.lstrip(WHITESPACE)
        end = body.find(ele)
        sid = body if end < 0 else body[:end]
        if payer:
            if sid == b"AMT":
                return None
        elif sid == b"SBR":
            payer = True
        elif sid == b"HI":
            key = (body, bool(codes))
            found = reader.codes.get(key)
            if found is None:
                diagnoses: list[Diagnosis] = [Diagnosis("", "")] if codes else []
                read_diagnoses(diagnoses, body, ele, reader.comp)
                found = reader.codes[key] = tuple(join_items((d.code,)) for d in diagnoses[1 if codes else 0:])
            codes += found
        elif sid == b"NM1" and rendering is None:
            fields = body.split(ele)
            if len(fields) > 1 and fields[1] == b"82":
                rendering = npi_of(fields)
    return codes, rendering


def _line(reader: _Reader, text: bytes) -> _Read | None:
    """A line's text after its "LX" (to the next LX or the claim's end) read as model/loops.py reads it."""
    ele = reader.ele
    pieces = text.split(reader.term)
    given = pieces[0][1:].split(ele, 1)[0] if pieces[0][:1] == ele else b""
    sv1 = dtp = None
    control = "null"
    top = True  # in the 2400 loop itself, not a sub-loop of it
    for piece in pieces[1:]:
        body = piece.lstrip(WHITESPACE)
        end = body.find(ele)
        sid = body if end < 0 else body[:end]
        if sid == b"SV1":
            if top:
                if sv1 is not None:
                    return None
                sv1 = body
        elif sid == b"DTP":
            if top and body[end + 1:end + 4] == b"472":
                if dtp is not None:
                    return None
                dtp = body
        elif sid == b"REF":
            if control == "null" and body.startswith(reader.wanted):  # as model.loops.line_control reads it
                value = body.split(ele)[2]
                control = quoted(one_line(value.decode("latin-1"), 50)) if value else "null"
        elif sid in _SUB_LOOPS:
            top = False
    return _read(reader, given, sv1, dtp, control)


def _read(reader: _Reader, given: bytes, sv1: bytes | None, dtp: bytes | None,
          control: str = "null") -> _Read | None:
    """A line from its LX01, SV1, DTP*472 and REF*6R (JSON), as model/loops.py reads them."""
    value = reader.numbers.get(given, -1)
    if value == -1:
        value = number(given, "LX01")
        value = reader.numbers[given] = None if value is None and given.isdigit() else value or 0
    texts = reader.sv1s.get(sv1) if sv1 is not None else None
    if texts is None and sv1 is not None and sv1 not in reader.sv1s:
        texts = reader.sv1s[sv1] = _sv1_of(reader, sv1)
    if value is None or texts is None:
        return None
    head, charge, pointers = texts
    found = reader.dtps.get(dtp) if dtp is not None else (None, None, "null,null")
    if found is None:
        assert dtp is not None
        found = reader.dtps[dtp] = _dtp_of(dtp, reader.ele)
    start, stop, dates = found
    return value, f"[{value},{head},", pointers, f",{dates},{charge},{control}", start, stop


def _sv1_of(reader: _Reader, sv1: bytes) -> tuple[str, str, tuple[int, ...]] | None:
    """An SV1's texts as model.lines reads it (None: the model refuses it)."""
    read = _read_sv1(sv1, reader.ele, reader.comp)
    found = None
    if not isinstance(read, str):
        _, procedure, modifiers, basis, charge, units, pointers, _, _ = read
        texts = (procedure, join_items(modifiers), decimal_text(units), basis, ":".join(map(str, pointers)))
        found = (",".join(map(quoted, texts)), quoted(decimal_text(charge)), pointers)
    return found


def _dtp_of(dtp: bytes, ele: bytes) -> tuple[date | None, date | None, str]:
    """A line's DTP*472 as model.lines.set_line_dates reads it: (first, last or None, their JSON)."""
    fields = dtp.split(ele)
    start = stop = None
    if len(fields) >= 4 and fields[2] == b"D8":
        start = date8(fields[3])
    elif len(fields) >= 4 and fields[2] == b"RD8" and len(fields[3]) == 17:
        start, stop = date8(fields[3][:8]), date8(fields[3][9:])
    return start, stop, f"{_date_json(start)},{_date_json(stop)}"


def parsed_facts(claim: Claim) -> Facts:
    """The facts from the claim's model (model/loops.py parses it, when no rule did yet)."""
    try:
        lines = claim.all_lines
    except InputRefused:  # such a claim refuses its run; its row says what could be read
        return Facts(claim.billing_provider.npi, None, None, (), ())
    codes = [d.code for d in claim.diagnoses]
    pieces = claim.pieces
    element = claim.delimiters.element
    pointed: dict[tuple[int, ...], str] = {}
    out = []
    first: date | None = None
    last: date | None = None
    for line in lines:
        head, charge = _parsed_sv1_json(line)
        dx = pointed.get(line.pointers)
        if dx is None:
            dx = pointed[line.pointers] = quoted(join_items([codes[p - 1] for p in line.pointers
                                                             if 1 <= p <= len(codes)]))
        start, end = line.service_date, line.service_date_end
        control = _control_json(pieces, line, element)
        out.append(f"[{line.number},{head},{dx},{_date_json(start)},{_date_json(end)},{charge},{control}")
        if start is not None:
            first = start if first is None or start < first else first
            stop = end or start
            last = stop if last is None or stop > last else last
    return Facts(claim.rendering_npi or claim.billing_provider.npi, date_text(first), date_text(last),
                 tuple(line.number for line in lines), tuple(out))


def _parsed_sv1_json(line: ServiceLine) -> tuple[str, str]:
    texts = (line.procedure, join_items(line.modifiers), decimal_text(line.units), line.unit_basis,
             ":".join(map(str, line.pointers)))
    return ",".join(map(quoted, texts)), quoted(decimal_text(line.charge))


def _control_json(pieces: Sequence[bytes], line: ServiceLine, element: bytes) -> str:
    """The line's REF*6R (line item control number: what an 835's REF*6R names the line by), as JSON: the
    model's reader, which LC001 shares (an empty REF02 is none)."""
    found = line_control(pieces, line, element)
    return "null" if found is None else quoted(one_line(found.decode("latin-1"), 50))


def _iso(value: date | None) -> str | None:
    found = _isos.get(value, "")
    if found == "":
        if len(_isos) >= _CACHE_LIMIT:
            _isos.clear()
        found = _isos[value] = date_text(value)
    return found


def _date_json(value: date | None) -> str:
    found = _dates.get(value)
    if found is None:
        if len(_dates) >= _CACHE_LIMIT:
            _dates.clear()
            _dates[None] = "null"
        found = _dates[value] = quoted(value.isoformat())  # type: ignore[union-attr]
    return found
