"""Element definitions of the 837P segments edi837 touches, and the check every written value passes.

X12 has no escape character: a value that contains one of the interchange's delimiters silently
turns into extra elements, components or segments, and pyx12's writer does not stop it. So every
value edi837 writes is checked here first, against a definition of its element (data type,
min/max length, code list, usage), and refused rather than written.

The definitions are data, not code (`segments/*.xml`, read with lxml), so a reviewer can read
them next to the implementation guide; tests/test_segment_defs.py proves they agree with pyx12's
005010X222A1 map, so they cannot drift from what the output gate validates against. The few
entries that are not from the map (the modifiers edi837 writes, the HIPAA limit on amounts) are
marked as such in the files and carry their source.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from edi837.errors import ValueRefused
from edi837.resources import data_dir
from edi837.x12.envelope import Delimiters
from edi837.x12.segment_xml import (
    DATA_TYPES,
    USAGES,
    CompositeDef,
    ElementDef,
    SegmentDef,
    SegmentDefinitionError,
    load_folder,
)

__all__ = ["DATA_TYPES", "USAGES", "CompositeDef", "ElementDef", "SegmentDef", "SegmentDefinitionError",
           "check_value", "find_element", "load_definitions"]

_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)")
_NUMERIC = re.compile(r"-?[0-9]+")
_DIGITS = re.compile(r"[0-9]+")
_TIME = re.compile(r"(?:[01][0-9]|2[0-3])[0-5][0-9](?:[0-5][0-9](?:[0-9]{1,2})?)?")
_T = TypeVar("_T")


def load_definitions(folder: Path | None = None) -> dict[str, SegmentDef]:
    """All segment definitions in `folder` (default: the shipped segments/), keyed by segment id.

    The default folder is parsed once per process; each call still returns a new dict so that a
    caller adding to it cannot change what the next caller sees.
    """
    if folder is None:
        return dict(_default_definitions())
    return load_folder(folder)


def find_element(ref: str, definitions: Mapping[str, SegmentDef] | None = None) -> ElementDef | None:
    """The definition of element or component `ref` (`SV102`, `SV101-03`), or None if unknown."""
    if definitions is None:
        return _default_index().get(ref)
    return _index(definitions).get(ref)


def check_value(
    ref: str,
    value: str,
    delimiters: Delimiters,
    definitions: Mapping[str, SegmentDef] | None = None,
) -> None:
    """Refuse (ValueRefused) a value that may not be written into element `ref` of this interchange.

    An empty value means "omit the element": allowed unless the element is required. The
    message is one line naming the ref; it quotes the value only for codes and numbers, never free
    text that could be patient data.
    """
    if definitions is None:
        _check_default(ref, value, delimiters)
    else:
        composites = {c: s.composites[c] for s in definitions.values() for c in s.composites}
        _check(_index(definitions), composites, ref, value, delimiters)


@lru_cache(maxsize=4096)
def _check_default(ref: str, value: str, delimiters: Delimiters) -> None:
    """check_value against the shipped definitions; cached because edits write the same few values
    ("59", "1", "2", common amounts) over and over. A refusal raises, so nothing refused is cached."""
    _check(_default_index(), _default_composites(), ref, value, delimiters)


def _check(index: Mapping[str, ElementDef], composites: Mapping[str, CompositeDef], ref: str, value: str,
           delimiters: Delimiters) -> None:
    defn = index.get(ref)
    if defn is None:
        if ref in composites:
            raise ValueRefused(f"{ref} is a composite: edi837 writes and checks its components one by one")
        raise ValueRefused(f"unknown element reference {ref[:20]!r}: no definition in segments/")
    problem = _problem(defn, value, delimiters)
    if problem is not None:
        raise ValueRefused(f"{defn.ref} ({defn.name}): {problem}")


def _problem(defn: ElementDef, value: str, delimiters: Delimiters) -> str | None:
    """Why `value` may not go into `defn`, or None. Delimiters first: they corrupt the file."""
    shown = _shown(defn, value)
    named = (
        (delimiters.element, "element separator"),
        (delimiters.component, "component separator"),
        (delimiters.repetition, "repetition separator"),
        (delimiters.segment, "segment terminator"),
    )
    for byte, label in named:
        delim = byte.decode("latin-1")
        if delim and delim in value:
            return f"{shown} contains the {label} {delim!r} of this interchange"
    for ch in value:
        if not " " <= ch <= "~":
            kind = (
                "a control character or line break" if ch < " " or ch == "\x7f" else "a non-ASCII character"
            )
            return f"{shown} contains {kind} ({ch!r})"
    if defn.usage == "N":
        return f"{shown} given for an element the 837P marks not used" if value else None
    if not value:
        return "required, but the value is empty" if defn.usage == "R" else None
    problem = _type_problem(defn, value, shown)
    if problem is not None:
        return problem
    length = _length(defn.data_type, value)
    if not defn.min_len <= length <= defn.max_len:
        unit = "digits" if _counts_digits(defn.data_type) else "characters"
        bounds = f"{defn.min_len}" if defn.min_len == defn.max_len else f"{defn.min_len} to {defn.max_len}"
        return f"{shown} has {length} {unit}, the 837P allows {bounds}"
    if defn.codes is not None and value not in defn.codes | (defn.writes or frozenset()):
        return f"{shown} is not one of the codes the 837P allows ({' '.join(_sorted_codes(defn))})"
    if defn.money_max_digits is not None:
        integer, _, fraction = value.lstrip("-").partition(".")
        digits = len(integer) + max(2, len(fraction))
        if digits > defn.money_max_digits:
            return (
                f"{shown} has {digits} digits counting cents, HIPAA allows at most "
                f"{defn.money_max_digits} for this amount (99999999.99)"
            )
    return None


def _type_problem(defn: ElementDef, value: str, shown: str) -> str | None:
    data_type = defn.data_type
    if data_type == "R":
        if not _DECIMAL.fullmatch(value):
            return (
                f"{shown} is not a decimal number (digits, an optional leading minus and at most one "
                "decimal point inside the digits; no plus sign, exponent or separators)"
            )
    elif data_type.startswith("N"):
        if not _NUMERIC.fullmatch(value):
            return f"{shown} is not a whole number (digits and an optional leading minus)"
    elif data_type == "DT":
        if not _is_date(value):
            return f"{shown} is not a date (CCYYMMDD)"
    elif data_type == "TM":
        if not _TIME.fullmatch(value):
            return f"{shown} is not a time (HHMM, HHMMSS or HHMMSSD[D])"
    else:
        if not value.strip(" "):
            return f"{shown} is only spaces"
        if value.endswith(" ") and len(value.rstrip(" ")) >= defn.min_len:
            return f"{shown} ends with spaces, which X12 says to suppress"
    return None


def _counts_digits(data_type: str) -> bool:
    """X12 counts only digits for numbers: a leading minus and the decimal point are not length."""
    return data_type == "R" or (data_type.startswith("N") and len(data_type) == 2)


def _length(data_type: str, value: str) -> int:
    if _counts_digits(data_type):
        return sum(ch in "0123456789" for ch in value)
    return len(value)


def _is_date(value: str) -> bool:
    if len(value) != 8 or not _DIGITS.fullmatch(value):
        return False
    try:
        datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return False
    return True


def _shown(defn: ElementDef, value: str) -> str:
    """The value as a message may show it: codes and numbers quoted, free text only described."""
    if defn.data_type != "AN" or defn.codes is not None or defn.writes is not None:
        return f"value {value!r}"
    return f"the value ({len(value)} characters)"


def _sorted_codes(defn: ElementDef) -> list[str]:
    codes = (defn.codes or frozenset()) | (defn.writes or frozenset())
    return sorted(codes, key=lambda c: (len(c), c))


@cache
def _default_definitions() -> Mapping[str, SegmentDef]:
    return MappingProxyType(load_folder(data_dir("segments")))


@cache
def _default_index() -> Mapping[str, ElementDef]:
    return MappingProxyType(_index(_default_definitions()))


@cache
def _default_composites() -> Mapping[str, CompositeDef]:
    return MappingProxyType(
        {c: s.composites[c] for s in _default_definitions().values() for c in s.composites}
    )


def _index(definitions: Mapping[str, SegmentDef]) -> dict[str, ElementDef]:
    return {ref: e for seg in definitions.values() for ref, e in seg.elements.items()}
