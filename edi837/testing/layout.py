"""The layout of a synthetic 837P: its delimiters and line breaks, and how values are joined with them.

Part of the generator (edi837/testing/generator.py): which delimiter and line-break combinations read back
as the segments written (pyx12 included), refused here before a file is written.
"""

from __future__ import annotations

from edi837.testing.specs import ClaimSpec
from edi837.x12.envelope import Delimiters

DEFAULT_DELIMITERS = Delimiters(element=b"*", component=b":", repetition=b"^", segment=b"~")

# The layouts seen in real files: none, LF, CRLF, CR, and files whose
# breaks differ from segment to segment.
LINE_BREAKS = ("", "\n", "\r\n", "\r")
MIXED = "mixed"
# Characters the generator's own filler uses (names, addresses, RD8 date ranges): a delimiter among
# them would split a value.
_FILLER_CHARS = frozenset(" -.")


class Format:
    """Joins elements and components with the interchange's delimiters; guards values against them."""

    def __init__(self, delimiters: Delimiters) -> None:
        self.element = delimiters.element.decode("latin-1")
        self.component = delimiters.component.decode("latin-1")
        self._all = delimiters.all().decode("latin-1")

    def seg(self, *elements: str) -> str:
        return self.element.join(elements)

    def comp(self, *components: str) -> str:
        return self.component.join(components)

    def check(self, spec: ClaimSpec) -> None:
        # A delimiter inside a value would silently add an element or a segment. Only these three spec
        # fields are free text: the others are held to letters, digits and "." by the specs themselves,
        # and the filler uses letters, digits and " -." (which check_layout refuses as delimiters).
        text = "".join((spec.claim_id, spec.payer_id, spec.payer_name))
        bad = [d for d in self._all if d in text]
        if bad:
            raise ValueError(f"claim {spec.claim_id!r}: a value contains the delimiter {bad[0]!r}")


def check_layout(delimiters: Delimiters, line_break: str) -> None:
    """Refuse delimiter/break combinations that would not read back as the segments written."""
    if line_break != MIXED and line_break not in LINE_BREAKS:
        raise ValueError(f"line_break {line_break!r}: one of '', '\\n', '\\r\\n', '\\r' or 'mixed'")
    ds = (delimiters.element, delimiters.component, delimiters.repetition, delimiters.segment)
    if any(len(d) != 1 for d in ds):
        raise ValueError(f"delimiters must be single bytes: {delimiters.describe()}")
    if len(set(ds)) != 4:
        raise ValueError(f"delimiters must be distinct: {delimiters.describe()}")
    for d in ds:
        ch = d.decode("latin-1")
        if ch.isalnum() or ch in _FILLER_CHARS:
            raise ValueError(f"delimiter {ch!r} would occur inside values: {delimiters.describe()}")
        if ch == "\t":
            raise ValueError(f"a tab delimiter is read as white space: {delimiters.describe()}")
    for d in ds[:3]:
        if d in b"\r\n":
            raise ValueError(f"only the segment terminator may be a line break: {delimiters.describe()}")
    isa_data = (("repetition (ISA11)", delimiters.repetition), ("component (ISA16)", delimiters.component))
    for name, d in isa_data:
        if not 0x21 <= d[0] <= 0x7E:
            # These two are also ISA data elements, and pyx12 rejects a control or non-ASCII character
            # there ("contains an invalid control character(<US>)"); element and segment may be any byte.
            raise ValueError(f"the {name} separator must be printable ASCII: {delimiters.describe()}")
    term = delimiters.segment.decode("latin-1")
    breaks = LINE_BREAKS if line_break == MIXED else (line_break,)
    if any(term in b for b in breaks):
        # A CR terminator followed by a CRLF break reads as an empty segment, which ends pyx12's reading.
        raise ValueError(f"segment terminator {term!r} is itself a line break; line_break {line_break!r} "
                         "would put a second one after it")
