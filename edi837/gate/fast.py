"""The fast validator: one pass over a file, telling which claims pyx12 might report anything on.

It replays what pyx12 4.0.0's x12n_document does per segment: the reader's checks (x12file.py: leading
space, trailing separator, control numbers, HL numbering, LX numbering, SE/GE/IEA counts), the map walk
(`walk.py`) and the element rules (`elements.py`). It never says what pyx12 would report, only where
pyx12 might report something; each doubt flags a unit:

- a claim (CLM up to the next HL, CLM or trailer): the claim is flagged;
- a header block (ST up to the first HL, or an HL up to the next HL or CLM): the first claim under it
  is flagged, since pyx12 sees the block again in front of that claim;
- anything that a small interchange of flagged claims could not reproduce (the envelope, HL numbers,
  control numbers, segment counts, loop repeats above the claim, a header block with no claim): the
  whole file needs pyx12 (`global_reason`).

A flag from the map walk at a segment that opens a unit (an HL, a CLM) also flags the unit it closes:
pyx12 reports a mandatory segment or loop missing when the next loop begins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from edi837.gate.cache import load_tables
from edi837.gate.elements import SegmentRules
from edi837.gate.pyx12_gate import Opener
from edi837.gate.walk import Counters, MapWalk
from edi837.model.header import SUPPORTED_VERSION
from edi837.x12.envelope import Delimiters, SegmentStream
from edi837.x12.untrusted import name_segment, number

ENVELOPE, HEADER, CLAIM = 0, 1, 2
_TRAILERS = frozenset((b"SE", b"GE", b"IEA"))
_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0"  # what str.lstrip() removes from a latin-1 line
LEADING_SPACE = _SPACE.encode("latin-1")  # the same, for bytes: the excerpt must find the claims the scan found


@dataclass
class ScanResult:
    segments: int = 0
    claims: int = 0
    flagged: set[int] = field(default_factory=set)  # claim indexes, 0-based in file order
    global_reason: str | None = None  # why pyx12 must see the whole file, when it must

    @property
    def clean(self) -> bool:
        return not self.flagged and self.global_reason is None


@cache
def _machine() -> MapWalk:
    return MapWalk(load_tables())


@cache
def _rules(delims: Delimiters) -> SegmentRules:
    return SegmentRules(load_tables().nodes, delims)


def scan(open_data: Opener) -> ScanResult:
    """Scan the file `open_data` yields."""
    with open_data() as raw:
        stream = SegmentStream(raw)
        return _Scanner(stream.delimiters).run(stream)


class _Scanner:
    def __init__(self, delims: Delimiters) -> None:
        self.delims = delims
        self.walk = _machine()
        self.rules = _rules(delims)
        self.counters = Counters(self.walk.below)
        self.result = ScanResult()
        # pyx12's X12Reader state
        self.loops: list[tuple[bytes, bytes]] = []
        self.isa_ids: set[bytes] = set()
        self.gs_ids: set[bytes] = set()
        self.st_ids: set[bytes] = set()
        self.gs_count = self.st_count = self.seg_count = self.hl_count = self.lx_count = 0
        self.hl_stack: list[int] = []
        self.chain: list[int] = []  # header block ids beside hl_stack
        self.check_lx = False
        # units
        self.unit_kind, self.unit_id = ENVELOPE, 0
        self.st_block = 0
        self.pending: set[int] = set()  # flagged header blocks waiting for a claim

    def stop(self, reason: str) -> None:
        if self.result.global_reason is None:
            self.result.global_reason = reason

    def flag(self, kind: int, unit: int, reason: str) -> None:
        if kind == CLAIM:
            self.result.flagged.add(unit)
        elif kind == HEADER:
            self.pending.add(unit)
        else:
            self.stop(reason)

    def run(self, stream: SegmentStream) -> ScanResult:
        d = self.delims
        term, ele, comp = d.segment, d.element, d.component
        walk, rules, counters = self.walk, self.rules, self.counters
        plans, fields = walk.plans, walk.fields
        node = walk.isa
        ordinal = 0
        for block in stream.blocks():
            pieces = block.split(term)
            pieces.pop()  # the block ends with a terminator
            for piece in pieces:
                ordinal += 1
                line = piece.lstrip(b"\r\n")
                if not line:
                    self.stop(f"segment {ordinal} is empty")
                    continue
                lead_bad = False
                if line[:1] == b" ":  # pyx12: "Segment contains a leading space", then strips it
                    lead_bad = True
                    line = line.decode("latin-1").lstrip(_SPACE).encode("latin-1")
                sid = line.partition(ele)[0]
                if sid not in _ENVELOPE:
                    self.seg_count += 1  # pyx12 counts every segment but the envelope's for SE01
                opens = sid == b"HL" or sid == b"CLM"
                if opens or sid in _STRUCTURE:
                    self._structure(sid, line, ordinal)
                    if sid == b"ISA" or sid == b"GS":
                        counters.run(walk.force_isa if sid == b"ISA" else walk.force_gs)
                        node = walk.isa if sid == b"ISA" else walk.gs
                        if lead_bad or not rules.check(node, line):
                            self.stop(name_segment(sid, ordinal))
                        continue
                kind, unit = self.unit_kind, self.unit_id
                spots = fields.get(sid)
                values = _values(line, ele, comp, spots) if spots else ()
                plan = plans.get((node, sid, values))
                if plan is None:
                    plan = walk.plan(node, sid, values)
                target, ops = plan
                if not counters.run(ops) or target < 0:
                    if counters.over and opens:
                        # a 2300 (or HL) loop past its repeat count: counted across claims, which a small
                        # interchange of some claims cannot reproduce
                        self.stop(f"segment {ordinal}: loop repeat count")
                    if kind == ENVELOPE:
                        self.stop(f"segment {ordinal}: the map walk")
                    else:
                        self.flag(kind, unit, "")
                        if opens and self.previous is not None:
                            self.flag(*self.previous, f"segment {ordinal}: the map walk")
                if target < 0:
                    continue
                node = target
                if lead_bad or not rules.check(node, line):
                    if sid == b"HL":
                        self.stop(f"segment {ordinal} (HL)")
                    else:
                        self.flag(kind, unit, f"segment {ordinal}")
        self.result.segments = ordinal
        if self.loops:
            self.stop("an interchange, group or transaction is not closed")
        if self.pending:
            self.stop("a header loop with no claim after it")
        return self.result

    previous: tuple[int, int] | None = None

    def _structure(self, sid: bytes, line: bytes, ordinal: int) -> None:
        """pyx12's X12Reader checks for envelope, HL and claim segments, and the unit bookkeeping."""
        parts = line.split(self.delims.element)
        comp = self.delims.component
        if sid == b"LX":
            # pyx12 counts LX from the last CLM and reports an LX01 that is not the count
            if self.check_lx:
                self.lx_count += 1
                if len(parts) != 2 or parts[1] != str(self.lx_count).encode():
                    if self.unit_kind == CLAIM:
                        self.flag(CLAIM, self.unit_id, "")
                    else:
                        self.stop(f"segment {ordinal}: LX outside a claim")
            return
        self.previous = (self.unit_kind, self.unit_id)
        if sid == b"CLM":
            if self.check_lx:
                self.lx_count = 0
            index = self.result.claims
            self.result.claims += 1
            self.unit_kind, self.unit_id = CLAIM, index
            if self.pending:
                for block in (self.st_block, *self.chain):
                    if block in self.pending:
                        self.pending.discard(block)
                        self.result.flagged.add(index)
            return
        if sid == b"HL":
            self._hl(parts, ordinal)
            return
        self.unit_kind, self.unit_id = ENVELOPE, ordinal
        if sid == b"ISA":
            control = parts[13] if len(parts) > 13 else b""
            if len(parts) != 17 or control in self.isa_ids:
                self.stop(f"segment {ordinal}: ISA")
            version = parts[12] if len(parts) > 12 else b""
            if version != b"00501" or line[82:84] != parts[10][:0] + line[82:84]:
                self.stop(f"segment {ordinal}: ISA12")
            self.isa_ids.add(control)
            self.loops.append((b"ISA", control))
            self.gs_count = 0
            self.gs_ids = set()
        elif sid == b"GS":
            control = parts[6].rstrip(comp) if len(parts) > 6 else b""
            if control in self.gs_ids:
                self.stop(f"segment {ordinal}: GS06")
            if (parts[1] if len(parts) > 1 else b"") != b"HC" or (
                    parts[8] if len(parts) > 8 else b"") != SUPPORTED_VERSION.encode():
                self.stop(f"segment {ordinal}: GS01 or GS08")
            self.gs_count += 1
            self.gs_ids.add(control)
            self.loops.append((b"GS", control))
            self.st_count = 0
            self.st_ids = set()
            self.check_lx = True
        elif sid == b"ST":
            self.hl_stack, self.chain, self.hl_count = [], [], 0
            control = parts[2].rstrip(comp) if len(parts) > 2 else b""
            if control in self.st_ids:
                self.stop(f"segment {ordinal}: ST02")
            self.st_count += 1
            self.st_ids.add(control)
            self.loops.append((b"ST", control))
            self.seg_count = 1
            self.unit_kind, self.unit_id = HEADER, ordinal
            self.st_block = ordinal
        elif sid in _TRAILERS:
            self._trailer(sid, parts, ordinal)
        else:
            self.stop(f"segment {ordinal}")

    def _hl(self, parts: list[bytes], ordinal: int) -> None:
        """An HL: HL01 must count them, HL02 name an HL above it; the chain of HL blocks the claims below sit in."""
        comp = self.delims.component
        self.hl_count += 1
        own = parts[1].rstrip(comp) if len(parts) > 1 else b""
        parent = parts[2].rstrip(comp) if len(parts) > 2 else None
        if own != str(self.hl_count).encode():
            self.stop(f"segment {ordinal}: HL01")
        # pyx12 reads HL02 with int(); an HL02 that is not the digits of a number HL01 can be (at most 12,
        # no leading zero) is left to pyx12 itself, which is never wrong about its own verdict
        value = number(parent, "HL02") if parent else None
        numeric = value is not None and str(value).encode() == parent
        if parent is None or (parent and (not numeric or value not in self.hl_stack)):
            self.stop(f"segment {ordinal}: HL02")
        if parent and numeric:
            while self.hl_stack and self.hl_stack[-1] != value:
                self.hl_stack.pop()
                self.chain.pop()
        self.hl_stack.append(self.hl_count)
        self.chain.append(ordinal)
        self.unit_kind, self.unit_id = HEADER, ordinal

    def _trailer(self, sid: bytes, parts: list[bytes], ordinal: int) -> None:
        comp = self.delims.component
        count = parts[1].rstrip(comp) if len(parts) > 1 else None
        control = parts[2].rstrip(comp) if len(parts) > 2 else None
        opening = {b"SE": b"ST", b"GE": b"GS", b"IEA": b"ISA"}[sid]
        expected = {b"SE": self.seg_count + 1, b"GE": self.st_count, b"IEA": self.gs_count}[sid]
        if not self.loops or self.loops[-1] != (opening, control) or count != str(expected).encode():
            self.stop(f"segment {ordinal}: {sid.decode()}")
        if self.loops:
            self.loops.pop()
        if sid == b"SE" and self.pending:
            self.stop("a header loop with no claim after it")


_STRUCTURE = frozenset((b"ISA", b"GS", b"ST", b"SE", b"GE", b"IEA", b"LX"))
_ENVELOPE = frozenset((b"ISA", b"GS", b"ST", b"SE", b"GE", b"IEA"))


def _values(line: bytes, ele: bytes, comp: bytes, spots: tuple[tuple[int, int], ...]) -> tuple[bytes | None, ...]:
    """The qualifier values pyx12's is_match reads (Segment.get_value: a whole element has its trailing
    empty components dropped; a component is taken as it is)."""
    parts = line.split(ele)
    out: list[bytes | None] = []
    for element, component in spots:
        if element >= len(parts):
            out.append(None)
        elif component == 0:
            out.append(parts[element].rstrip(comp))
        else:
            pieces = parts[element].split(comp)
            out.append(pieces[component - 1] if component <= len(pieces) else None)
    return tuple(out)
