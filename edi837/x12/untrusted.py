"""Values read from the input before anything has vouched for them: how a message may name them, and how
big a number may be before it is read.

Why one module: a message that quotes what the input says can quote a patient. A segment written with
the wrong element separator (`NM1*IL*1*DOE*JANE` in a `|`-delimited file) has its whole text where its
id should be; an envelope element (SE02, GS06, IEA02) can hold anything a practice system put there.
So a message names a segment by its position and its id, the id being the first characters only when
they are one to three letters or digits (what an X12 segment id is), and shows a control value only
when it is digits of the length its element allows; anything else is described, never quoted. Every
message that mentions a segment or a control value goes through here, so no message can forget.

Why bounded numbers: Python refuses to convert more than 4,300 digits (a ValueError), and a Decimal
with a huge exponent overflows when added. An element is read as a number only when it has at most the
digits its 005010 definition allows; anything longer is not a number of that element at all.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

UNREADABLE = "an unreadable segment"
# An X12 segment id: one to three letters or digits, then a separator (or nothing). pyx12's texts quote
# a segment id; the gate's templates take it with this same pattern.
SEGMENT_ID = r"[A-Za-z0-9]{1,3}(?![A-Za-z0-9])"
_SEGMENT_ID = re.compile(SEGMENT_ID)


def segment_id(raw: bytes | str) -> str | None:
    """The segment id at the start of `raw` (a segment, or what a reader took for its id), or None when
    its first characters are not one to three ASCII letters or digits followed by anything else."""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    found = _SEGMENT_ID.match(text)
    return found.group() if found is not None and found.group().isascii() else None


def name_segment(raw: bytes | str, position: int | None = None) -> str:
    """How a message names a segment: `segment 16 NM1`, `NM1` without a position, and `segment 16 (an
    unreadable segment)` or `an unreadable segment` when its id cannot be shown."""
    sid = segment_id(raw)
    if position is None:
        return sid or UNREADABLE
    return f"segment {position} {sid}" if sid else f"segment {position} ({UNREADABLE})"


# Envelope and numbering elements whose values a message may show, as 005010 defines them (the X12
# control segments ISA/IEA, GS/GE, ST/SE and the 837P's HL and LX; pyx12's map dataele.xml carries the
# same lengths). ST02/SE02 are AN 4-9 in X12, shown only as digits: a name fits in nine characters.
# HL01/HL02 are AN 1-12, numbers in every 837P seen.
DIGITS: dict[str, tuple[int, int, str]] = {  # fewest and most digits, what the value is
    "ISA12": (5, 5, "version number"),
    "ISA13": (9, 9, "control number"),
    "IEA01": (1, 5, "count"),
    "IEA02": (9, 9, "control number"),
    "GS06": (1, 9, "control number"),
    "GE01": (1, 6, "count"),
    "GE02": (1, 9, "control number"),
    "ST01": (3, 3, "transaction set code"),
    "ST02": (4, 9, "control number"),
    "SE01": (1, 10, "count"),
    "SE02": (4, 9, "control number"),
    "HL01": (1, 12, "number"),
    "HL02": (1, 12, "number"),
    "LX01": (1, 6, "number"),
    "SV107": (1, 2, "diagnosis pointer"),  # each component: a pointer to HI-01..HI-12
}
# Codes that are not digits: GS01 (ID 2), GS08 (AN 1-12, a version like 005010X222A1).
_CODES: dict[str, tuple[str, str]] = {
    "GS01": (r"[A-Z0-9]{2}", "a code of 2 letters or digits"),
    "GS08": (r"\d{6}(?:X\d{3}(?:A\d)?)?", "a version code like 005010X222A1"),
}
_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    **{ref: (re.compile(rf"[0-9]{{{low},{high}}}"), f"a {what} of " + (f"{low}" if low == high else f"{low} to {high}")
             + " digits") for ref, (low, high, what) in DIGITS.items()},
    **{ref: (re.compile(pattern, re.ASCII), what) for ref, (pattern, what) in _CODES.items()},
}


def control(ref: str, raw: bytes | str) -> str | None:
    """The value of element `ref` (ISA13, SE02, ...) when a message may show it, else None."""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    return text if _RULES[ref][0].fullmatch(text) else None


def shown(ref: str, raw: bytes | str) -> str:
    """The value of element `ref` as a message shows it: itself when it is what the element allows,
    else `(empty)` or `(not a control number of 4 to 9 digits)`."""
    value = control(ref, raw)
    if value is not None:
        return value
    return "(empty)" if not raw else f"(not {_RULES[ref][1]})"


def name_envelope(kind: str, ref: str, raw: bytes | str, position: int) -> str:
    """`transaction 0021` by its control number when it may be shown, else by the position of the segment
    that opens it: `the transaction at segment 3`."""
    value = control(ref, raw)
    return f"{kind} {value}" if value is not None else f"the {kind} at segment {position}"


def number(raw: bytes | str, ref: str) -> int | None:
    """`raw` as a whole number when it is ASCII digits, as many as element `ref` (LX01, HL02, ...) allows
    at most, else None: too long to be that element's value, or not digits."""
    if not 0 < len(raw) <= DIGITS[ref][1]:
        return None
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    return int(text) if text.isascii() and text.isdigit() else None


AMOUNT_DIGITS = 18  # an R element of the 837P holds at most 18 characters (CLM02, SV102: R 1/18)


def in_range(value: Decimal) -> bool:
    """Whether `value` is a finite decimal with at most AMOUNT_DIGITS digits before its point: what any
    amount or quantity of the 837P can be. Anything else (1E999999999) would overflow when summed."""
    return value.is_finite() and value.adjusted() < AMOUNT_DIGITS


def amount(raw: bytes | str) -> Decimal | None:
    """An X12 amount or quantity, or None when it is not a number or out of range (see in_range)."""
    try:
        value = Decimal(raw.decode("latin-1") if isinstance(raw, bytes) else raw)
    except InvalidOperation:
        return None
    return value if in_range(value) else None
