"""Element rules of one map segment compiled into one regular expression over the segment's bytes.

Why one expression per segment: checking a segment element by element in Python costs more than the rest
of a run; a compiled expression checks usage, length, character set, code list, data type and date
validity of every element at C speed. The expression accepts only what pyx12 accepts (pyx12 4.0.0
map_if/_segment.py, _composite.py, _element.py, validation.py): where it is unsure it rejects, which
costs a pyx12 look at that claim, never a wrong answer. What cannot be said in the expression (P, R, C, L
and E syntax rules between elements, an empty segment, a trailing element separator) is checked in
Python after it matches.

Code lists are filtered at build time through pyx12's own validation functions, so a code the map lists
but pyx12 would still reject (too long, a trailing space) is not accepted here either.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from edi837.gate.tables import ElementRule, Node
from edi837.x12.envelope import Delimiters

# pyx12's 5010 extended character set for AN and ID values (validation.rec_ID_E5, charset "E").
E5 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!\"&'()*+,-./:;?= abcdefghijklmnopqrstuvwxyz%~@[]_{}\\|<>^`#$")
DATE_TYPES = ("RD8", "DT", "D8", "D6")
_DTP_TYPES = ("RD8", "D8", "D6", "DT", "TM")  # the DTP02 values that give DTP03 a type (segment_if.is_valid_errors)

# Dates as pyx12's is_valid_date accepts them: year 1800 or later, real days, leap years by the Gregorian rule.
_MONTH_DAY = (rb"(?:(?:0[13578]|1[02])(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)(?:0[1-9]|[12][0-9]|30)"
              rb"|02(?:0[1-9]|1[0-9]|2[0-8]))")
_YEAR = rb"(?:1[89][0-9]{2}|[2-9][0-9]{3})"
_LEAP = rb"(?:(?:1[89]|[2-9][0-9])(?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[3579][26])00)"
DATE8 = rb"(?:" + _YEAR + _MONTH_DAY + rb"|" + _LEAP + rb"0229)"
# Six digits: pyx12 reads YY < 50 as 20YY, else 19YY; all those years are leap years when YY % 4 == 0.
DATE6 = rb"(?:[0-9]{2}" + _MONTH_DAY + rb"|(?:[02468][048]|[13579][26])0229)"
_HHMM = rb"(?:[01][0-9]|2[0-3])[0-5][0-9]"
DATE12 = DATE8 + _HHMM
TIME = {4: _HHMM, 6: _HHMM + rb"[0-5][0-9]", 7: _HHMM + rb"[0-5][0-9][0-9]", 8: _HHMM + rb"[0-5][0-9][0-9]{2}"}
_REGEX_9 = re.compile(r"\[0-9\]\{(\d+)\}")


def _esc(byte: int) -> bytes:
    return re.escape(bytes([byte]))


def _class(allowed: frozenset[int]) -> bytes:
    return b"[" + b"".join(_esc(b) for b in sorted(allowed)) + b"]"


class _Builder:
    """Builds the expression of one segment node for one set of delimiters."""

    def __init__(self, delims: Delimiters, is_isa: bool, value_ok: Callable[..., bool]) -> None:
        self.ele = delims.element
        self.comp = b"" if is_isa else delims.component  # ISA elements are never split into components
        self.seps = {delims.element[0], delims.segment[0], *self.comp}
        self.allowed = E5 - self.seps
        self.chars = _class(self.allowed)
        self.value_ok = value_ok

    def end(self) -> bytes:
        """Lookahead: the value ends here (a separator or the end of the segment)."""
        seps = re.escape(self.ele) + (re.escape(self.comp) if self.comp else b"")
        return rb"(?=[" + seps + rb"]|\Z)"

    def value(self, rule: ElementRule, types: tuple[str, ...] = ()) -> bytes | None:
        """An expression for the non-empty values pyx12 accepts in this element, or None if there are none."""
        _, _, usage, dtype, low, high, codes, regex, _, _ = rule
        if usage == "N" or dtype is None or dtype == "?":
            return None
        if codes is not None:
            good = sorted({c.encode("latin-1") for c in codes if c and self._code_ok(rule, c, types)},
                          key=lambda c: (-len(c), c))
            body = b"(?:" + b"|".join(re.escape(c) for c in good) + b")" if good else None
        else:
            body = self._typed(dtype, low, high)
        if body is None:
            return None
        if regex is not None:
            found = _REGEX_9.fullmatch(regex)
            if found is None:
                return None  # an element regex this compiler does not translate: never accepted here
            body = rb"(?=" + self.chars + rb"*?[0-9]{" + found.group(1).encode() + rb"})" + body
        if types and any(t in DATE_TYPES or t == "TM" for t in types):
            alternatives = [p for p in (self._type_only(t) for t in types) if p is not None]
            if not alternatives:
                return None
            body = rb"(?=(?:" + b"|".join(alternatives) + rb")" + self.end() + rb")" + body
        return rb"(?=[^" + b"".join(_esc(s) for s in sorted(self.seps)) + rb"])" + body

    def _code_ok(self, rule: ElementRule, code: str, types: tuple[str, ...]) -> bool:
        raw = code.encode("latin-1")
        if any(b in self.seps for b in raw):
            return False
        return self.value_ok(rule, code, types)

    def _typed(self, dtype: str, low: int, high: int) -> bytes | None:
        if dtype in ("AN", "ID"):
            return self._text(low, high)
        if dtype.startswith("N"):
            return rb"-?[0-9]{" + str(max(low, 1)).encode() + b"," + str(high).encode() + rb"}" + self.end()
        if dtype == "R":
            lo, hi = str(low).encode(), str(high).encode()
            return (rb"-?(?:[0-9]{" + lo + b"," + hi + rb"}(?![0-9.])|(?=[0-9.]{" + str(low + 1).encode() + b","
                    + str(high + 1).encode() + rb"}(?![0-9.]))[0-9]*\.[0-9]+)")
        if dtype == "DT":
            options = [p for n, p in ((6, DATE6), (8, DATE8), (12, DATE12)) if low <= n <= high]
            return rb"(?:" + b"|".join(options) + rb")" if options else None
        if dtype == "TM":
            options = [p for n, p in TIME.items() if low <= n <= high]
            return rb"(?:" + b"|".join(options) + rb")" if options else None
        return None  # B or an unknown type: pyx12 says invalid, or this compiler cannot say

    def _text(self, low: int, high: int) -> bytes:
        """AN/ID: the character set, the length, and pyx12's trailing-space rule (an error unless the value
        without its trailing spaces is shorter than the minimum length)."""
        chars = self.chars
        solid = _class(self.allowed - {0x20})
        bounds = str(max(low, 1)).encode() + b"," + str(high).encode()
        length = rb"(?=" + chars + rb"{" + bounds + rb"}(?!" + chars + rb"))"
        options = [chars + b"*" + solid]
        if 0x20 in self.allowed and low >= 1:
            prefix = rb"(?:" + chars + rb"{0," + str(low - 2).encode() + rb"}" + solid + rb")?" if low >= 2 else b""
            options.append(prefix + rb"\x20+")
        return length + rb"(?:" + b"|".join(options) + rb")"

    def _type_only(self, dtype: str) -> bytes | None:
        """What pyx12's IsValidDataType(value, dtype) accepts, for a type taken from a type list."""
        if dtype == "D8":
            return DATE8
        if dtype == "D6":
            return DATE6
        if dtype == "DT":
            return rb"(?:" + DATE6 + b"|" + DATE8 + b"|" + DATE12 + rb")"
        if dtype == "RD8":
            return DATE8 + b"-" + DATE8
        if dtype == "TM":
            return rb"(?:" + b"|".join(TIME.values()) + rb")"
        return None

    # -- slots ------------------------------------------------------------------------------------
    def element_slot(self, rule: ElementRule, empty_ok: bool, types: tuple[str, ...] = ()) -> tuple[bytes | None, bool]:
        return self.value(rule, types), empty_ok

    def composite_slot(self, rule: ElementRule) -> tuple[bytes | None, bool]:
        _, _, usage, parts = rule
        comp = re.escape(self.comp)
        count = len(parts)
        empty = comp + b"{0," + str(count - 1).encode() + b"}"
        if usage == "N":
            return empty, True  # an empty composite only (pyx12 allows more parts, this does not)
        subs = []
        for sub in parts:
            required = sub[2] == "R" and (sub[1] != 1 or usage == "R")
            subs.append((self.value(sub), not required))
        nested = _nest(subs, comp)
        if nested is None:
            return (empty, True) if usage == "S" else (None, False)
        seps = re.escape(self.ele) + comp
        filled = rb"(?=" + comp + rb"*[^" + seps + rb"])" + nested
        if usage == "S":
            return rb"(?:" + filled + b"|" + empty + rb")", True
        return filled, False


def _nest(slots: list[tuple[bytes | None, bool]], sep: bytes) -> bytes | None:
    """slot1(?:SEP slot2(?:SEP slot3 ...)?)? where a trailing group may be left out only when every slot in
    it may be empty; None when some required slot has no valid value."""
    tail = b""
    tail_optional = True
    for index in range(len(slots) - 1, -1, -1):
        pattern, empty_ok = slots[index]
        if pattern is None:
            if not empty_ok:
                return None
            slot = b""
        else:
            slot = (rb"(?:" + pattern + rb")?") if empty_ok else pattern
        if index == 0:
            return slot + tail
        group = sep + slot + tail
        optional = empty_ok and tail_optional
        tail = (rb"(?:" + group + rb")?") if optional else group
        tail_optional = optional
    return b""


def segment_pattern(node: Node, delims: Delimiters, value_ok: Callable[..., bool]) -> re.Pattern[bytes] | None:
    """The expression for `node`'s segment text (id included, no terminator), or None if none is valid."""
    is_isa = node.xid == "ISA"
    builder = _Builder(delims, is_isa, value_ok)
    ele = re.escape(delims.element)
    types: list[str] = []
    slots: list[tuple[bytes | None, bool]] = []
    dtp: tuple[int, ElementRule, ElementRule] | None = None
    for index, rule in enumerate(node.elements):
        if rule[0] == "C":
            slots.append(builder.composite_slot(rule))
            continue
        if rule[8] == "1250":
            types.extend(c for c in rule[9] if c is not None)
        if index == 2 and node.xid == "DTP":
            dtp = (index, node.elements[1], rule)
            slots.append((None, True))  # replaced below by one alternative per DTP02 value
        elif rule[8] == "1251" and types:
            slots.append(builder.element_slot(rule, rule[2] != "R", tuple(types)))
        else:
            slots.append(builder.element_slot(rule, rule[2] != "R"))
    head = re.escape(node.xid.encode("latin-1"))
    if dtp is None:
        nested = _nest([(None, True), *slots], ele)
        return None if nested is None else re.compile(head + nested, re.DOTALL)
    variants = []
    _, rule02, rule03 = dtp
    for dtype in _DTP_TYPES:
        literal = dtype.encode()
        if builder.value_ok(rule02, dtype, ()) and not any(b in builder.seps for b in literal):
            changed = list(slots)
            changed[1] = (re.escape(literal), False)
            changed[2] = builder.element_slot(rule03, rule03[2] != "R", (dtype,))
            variants.append(_nest([(None, True), *changed], ele))
    other = builder.value(rule02)
    changed = list(slots)
    blocked = b"|".join(re.escape(t.encode()) for t in _DTP_TYPES)
    changed[1] = (None if other is None else rb"(?!(?:" + blocked + rb")" + builder.end() + rb")" + other,
                  rule02[2] != "R")
    changed[2] = builder.element_slot(rule03, rule03[2] != "R")
    variants.append(_nest([(None, True), *changed], ele))
    kept = [v for v in variants if v is not None]
    if not kept:
        return None
    return re.compile(head + rb"(?:" + b"|".join(kept) + rb")", re.DOTALL)


def value_ok(rule: ElementRule, value: str, types: tuple[str, ...] = ()) -> bool:
    """pyx12's verdict on one non-empty simple element value (element_if.is_valid_errors), through pyx12's
    own validation functions: used at build time to keep only the codes pyx12 accepts."""
    from pyx12 import validation

    _, _, usage, dtype, low, high, codes, regex, _, _ = rule
    if usage == "N" or dtype is None or dtype == "?":
        return False
    measured = value.replace("-", "").replace(".", "") if dtype == "R" or dtype[0] == "N" else value
    if not low <= len(measured) <= high or validation.contains_control_character(value)[0]:
        return False
    if dtype in ("AN", "ID") and value[-1] == " " and len(value.rstrip()) >= low:
        return False
    if codes is not None and value not in codes:
        return False
    if not validation.IsValidDataType(value, dtype, "E", "00501"):
        return False
    if types:
        try:
            verdicts = [validation.IsValidDataType(value, t, "E") for t in types]
        except ValueError:  # pyx12 crashes on an RD8 value with two dashes
            return False
        if not any(verdicts) and ("TM" in types or any(t in DATE_TYPES for t in types)):
            return False
    return regex is None or re.search(regex, value, re.S) is not None


class SegmentRules:
    """Every segment node's expression for one set of delimiters, built on first use, with a memo of
    verdicts by segment bytes (the same DTP, REF or PRV segment recurs thousands of times in a file)."""

    MEMO_LIMIT = 200_000

    def __init__(self, nodes: tuple[Node, ...], delims: Delimiters) -> None:
        self.nodes = nodes
        self.delims = delims
        self.element = delims.element
        self.component = delims.component
        self.separators = delims.element + delims.component
        self.patterns: dict[int, re.Pattern[bytes] | None] = {}
        self.memo: dict[tuple[int, bytes], bool] = {}

    def check(self, node: int, line: bytes) -> bool:
        """True when pyx12 reports nothing on this segment's elements (`line`: id to last byte, no terminator)."""
        key = (node, line)
        verdict = self.memo.get(key)
        if verdict is None:
            verdict = self._check(node, line)
            if len(self.memo) >= self.MEMO_LIMIT:
                self.memo.clear()
            self.memo[key] = verdict
        return verdict

    def _check(self, node: int, line: bytes) -> bool:
        if node not in self.patterns:
            self.patterns[node] = segment_pattern(self.nodes[node], self.delims, value_ok)
        pattern = self.patterns[node]
        if pattern is None or pattern.fullmatch(line) is None:
            return False
        spec = self.nodes[node]
        if line.endswith(self.element):
            return False  # pyx12: "Segment contains trailing element terminators"
        head = len(spec.xid)
        if not line[head:].translate(None, self.separators if spec.xid != "ISA" else self.element):
            return False  # every element empty: "Segment ... is empty"
        return not spec.syntax or _syntax_ok(spec, line, self.element, b"" if spec.xid == "ISA" else self.component)


def _syntax_ok(node: Node, line: bytes, element: bytes, component: bytes) -> bool:
    """pyx12's syntax.is_syntax_valid for each of the segment's rules; presence as pyx12 sees it (an element
    of empty components is absent)."""
    parts = line.split(element)
    last = len(parts) - 1

    def present(position: int) -> bool:
        return position <= last and parts[position].rstrip(component) != b""

    for code, positions in node.syntax:
        if len(positions) < 2:
            return False
        count = sum(1 for p in positions if present(p))
        if code == "P":
            if 0 < count < len(positions):
                return False
        elif code == "R":
            if count == 0:
                return False
        elif code == "E":
            if count > 1:
                return False
        elif code == "C":
            if present(positions[0]) and sum(1 for p in positions[1:] if present(p)) != len(positions) - 1:
                return False
        elif code == "L":
            if present(positions[0]) and not any(present(p) for p in positions[1:]):
                return False
        else:
            return False
    return True
