"""The claim-level split: one pass that writes two valid 837P files, the delivered one and the held one.

Why: a clearinghouse rejects a whole transaction set for one bad claim, and a file is all or nothing
today. With a hold policy the claims a person must see go to a *held* file as they arrived (their
original bytes), every other claim to the *delivered* file (fixed), and each file is a valid 837P
on its own.

How, as the walker's units stream past (no second pass, memory bounded by one subscriber loop):

- The loops above a claim (interchange, group, transaction, billing provider 2000A, subscriber 2000B,
  patient 2000C) are *opened* in an output only when the first claim below them is routed there; a
  loop that ends without a claim in that output never appears in it. So a billing provider or
  subscriber loop is kept only where it still has claims, and an empty transaction or group is dropped.
- Every segment keeps its bytes (leading white space included), except the numbers the split changes:
  HL01 (lowered by the number of HL loops of the transaction that went to the other file before it),
  HL02 (the parent's new number), a subscriber's HL04 (only when its patient loops did not all follow
  it: 1 when one is still below it in that file, else 0), SE01, GE01 and IEA01 (counted in that file).
  Each is rewritten only when its value differs, so a split that holds nothing gives the bytes the
  plain splice gives (an input's own HL numbering, right or wrong, stays), and one that holds
  everything gives the input. Each rewritten number is at most the original one (a split only drops
  items), so it fits wherever the original fitted.
- Each file starts as the input starts: the first segment written to an output gets the input's own
  leading white space (none, in any file pyx12 accepts), not the line break that preceded it in the
  input (a second interchange's ISA).
- A loop that has no claim at all (a billing provider without subscribers: an invalid input) goes to the
  delivered file, where the plain run would have it: no segment of the input is lost.
- A subscriber loop is gathered per output until it ends, because its HL04 depends on whether a
  patient loop (2000C) below it stays in that file, which is known only at its end.

Each output records where its claims and loop headers landed (segment positions), so that a
validation error pyx12 reports at a position can be traced to the claims it concerns (`claims_at`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import IO

from edi837.model.claim import Claim, space_pattern
from edi837.model.fields import field as element_text
from edi837.model.walker import TransactionEnd
from edi837.x12.envelope import WHITESPACE, Delimiters, split_lead
from edi837.x12.untrusted import number

DELIVERED, HELD = 0, 1
_FLUSH_PIECES = 2048
_STRUCTURAL = (b"ISA", b"IEA", b"GS", b"GE", b"ST", b"HL")
# Loop levels, outermost first; a claim sits below the deepest open one.
_ISA, _GS, _ST, _PROVIDER, _SUBSCRIBER, _PATIENT = range(6)


@dataclass(eq=False)
class _Node:
    """An envelope or HL loop of the input: its opening segment, the segments up to the next structural
    one, and per output whether it was opened there and which claims sit below it."""

    level: int
    head: bytes  # the opening segment (ISA, GS, ST, HL), lead included, terminator included
    rest: list[bytes] = field(default_factory=list)  # the loop's other header segments, raw
    segments: int = 1
    hl_id: str = ""
    hl_parent: str = ""
    opened: list[bool] = field(default_factory=lambda: [False, False])
    ordinal: int = 0  # an HL loop's place among the transaction's HL loops, 1-based
    patients: bool = False  # a subscriber loop: a patient loop (2000C) follows it in the input
    claims: list[list[int]] = field(default_factory=lambda: [[], []])
    children: list[int] = field(default_factory=lambda: [0, 0])  # transactions (GS), groups (ISA) opened


@dataclass(frozen=True, slots=True)
class _Span:
    """Segments [start, end] (1-based positions in one output) and what they belong to."""

    start: int
    end: int
    claim: int | None  # the claim's index in the input (0-based), or None for a loop header
    node: _Node | None


class _Output:
    """One of the two files: its sink, its counters, and the subscriber loop it is gathering."""

    def __init__(self, sink: IO[bytes] | None, bom: bytes, locating: bool) -> None:
        self.sink = sink
        self.locating = locating
        self.bom = bom
        self.written = 0
        self.pieces: list[bytes] = []
        self.segments = 0  # segments emitted so far (positions of the next one: segments + 1)
        self.st_segments = 0  # segments of the open transaction, ST included
        self.hl_opened = 0  # HL loops of the open transaction written here
        self.hl_last = 0  # the last HL01 written in the open transaction
        self.hl_map: dict[str, str] = {}
        self.gathering: list[bytes] | None = None  # the open subscriber loop's pieces
        self.subscriber_hl: tuple[str, str] | None = None  # its new HL01 and HL02
        self.subscriber_children = False
        self.spans: list[_Span] = []
        self.claims = 0

    def emit(self, data: bytes, count: int, claim: int | None = None, node: _Node | None = None,
             first_lead: bytes = b"") -> None:
        if self.segments == 0:  # the file's first segment: it starts as the input started
            data = first_lead + data.lstrip(WHITESPACE)
        start = self.segments + 1
        self.segments += count
        self.st_segments += count
        if self.locating:
            self.spans.append(_Span(start, self.segments, claim, node))
        (self.gathering if self.gathering is not None else self.pieces).append(data)
        if self.gathering is None and len(self.pieces) >= _FLUSH_PIECES:
            self.flush()

    def flush(self) -> None:
        if not self.pieces:
            return
        data = b"".join(self.pieces)
        if self.written == 0 and data:
            data = self.bom + data
        if self.sink is not None:
            self.sink.write(data)
        self.written += len(data)
        self.pieces.clear()


class SplitWriter:
    """Writes the delivered and the held 837P as the walker's units come (see the module docstring).

    `claim(claim, pieces, held)`: a delivered claim is written as its new pieces (None: as read), a held
    one always as read. Either sink may be None (count only).
    """

    def __init__(self, delivered: IO[bytes] | None, held: IO[bytes] | None, delimiters: Delimiters,
                 bom: bytes, locating: bool = True) -> None:
        self.delimiters = delimiters
        # Where each claim and loop landed is kept only when a validation error must be traced to its claims
        # (--hold invalid): a span per emitted piece for the whole file is memory that grows with the file,
        # and the garbage collector's work over it slowed every rule of a large run.
        self.locating = locating
        self.outputs = (_Output(delivered, bom, locating), _Output(held, bom, locating))
        self._chain: list[_Node | None] = [None] * 6
        d = delimiters
        self._term, self._ele = d.segment, d.element
        ids = b"|".join(_STRUCTURAL)
        self._structural = re.compile(re.escape(d.segment) + space_pattern(d) + b"(" + ids + b")"
                                      + re.escape(d.element))
        self._claims = 0
        self._hl_ordinal = 0  # HL loops of the open transaction, in the input
        self._first_lead: bytes | None = None  # the input's first segment's leading white space
        # Per claim, in input order: its first and last segment positions in the input, and whether it
        # was delivered rebuilt (its fixes applied): what an error's cause is judged by.
        self.input_spans: list[tuple[int, int, bool]] = []
        self._starts: list[list[int]] | None = None

    # -- input -----------------------------------------------------------------------------------
    def raw(self, data: bytes) -> None:
        """Bytes outside any claim: envelope segments and loop headers, split at each structural segment."""
        view = self._term + data
        pos = 0
        for match in self._structural.finditer(view):
            start = match.start()  # in `data` coordinates: the terminator before it is view[start]
            if start > pos:
                self._header(data[pos:start])
            stop = data.find(self._term, match.start(1) - 1) + 1
            self._structural_segment(match.group(1), data[start:stop])
            pos = stop
        if pos < len(data):
            self._header(data[pos:])

    def claim(self, claim: Claim, pieces: list[bytes] | None, held: bool) -> int:
        """Route one claim; returns its index in the input (0-based)."""
        index = self._claims
        self._claims += 1
        which = HELD if held else DELIVERED
        out = self.outputs[which]
        self._open(which)
        count_in = claim.raw.count(self._term)
        if self.locating:
            self.input_spans.append((claim.first_ordinal, claim.first_ordinal + count_in - 1, pieces is not None))
        if held or pieces is None:
            data, count = claim.raw, count_in
        else:
            term = self._term
            data, count = term.join(pieces) + term, len(pieces)
        out.emit(data, count, claim=index)
        out.claims += 1
        for node in self._chain:
            if node is not None and node.level >= _ST and (self.locating or not node.claims[which]):
                node.claims[which].append(index)  # without locating, only whether it has any (a claimless loop)
        return index

    def transaction_end(self, unit: TransactionEnd) -> None:
        self._close(_PROVIDER)
        st = self._chain[_ST]
        term = self._term
        for which, out in enumerate(self.outputs):
            if st is None or not st.opened[which]:
                continue
            count = out.st_segments + 1
            lead, body = split_lead(unit.piece)
            elements = body.split(self._ele)
            if len(elements) > 1 and elements[1] != str(count).encode():
                elements[1] = str(count).encode()
            out.emit(lead + self._ele.join(elements) + term, 1, node=st)
        self._chain[_ST] = None

    def finish(self, tail: bytes) -> tuple[int, int]:
        """Write what follows the last segment into each non-empty output; returns the bytes written."""
        self._close(_ISA)
        for out in self.outputs:
            if out.segments:
                out.pieces.append(tail)
            out.flush()
        return self.outputs[0].written, self.outputs[1].written

    # -- structure -------------------------------------------------------------------------------
    def _header(self, data: bytes) -> None:
        """Non-structural segments: they belong to the deepest open loop."""
        node = next((n for n in reversed(self._chain) if n is not None), None)
        if node is None:  # nothing open (white space only reaches here as a lead, never alone)
            return
        node.rest.append(data)
        node.segments += data.count(self._term)

    def _structural_segment(self, sid: bytes, piece: bytes) -> None:
        if sid == b"HL":
            fields = split_lead(piece[:-1])[1].split(self._ele)
            level = fields[3] if len(fields) > 3 else b""
            depth = _PROVIDER if level == b"20" else _SUBSCRIBER if level == b"22" else _PATIENT
            self._close(depth)
            self._hl_ordinal += 1
            node = _Node(depth, piece, hl_id=element_text(fields, 1), hl_parent=element_text(fields, 2),
                         ordinal=self._hl_ordinal)
            subscriber = self._chain[_SUBSCRIBER]
            if depth == _PATIENT and subscriber is not None:
                subscriber.patients = True
            self._chain[depth] = node
        elif sid in (b"ISA", b"GS", b"ST"):
            depth = {b"ISA": _ISA, b"GS": _GS, b"ST": _ST}[sid]
            if self._first_lead is None:
                self._first_lead = split_lead(piece)[0]
            self._close(depth)
            if depth == _ST:
                self._hl_ordinal = 0
            self._chain[depth] = _Node(depth, piece)
        elif sid == b"GE":
            self._trailer(_GS, piece)
        else:  # IEA
            self._trailer(_ISA, piece)

    def _trailer(self, depth: int, piece: bytes) -> None:
        """GE or IEA: written, with GE01/IEA01 counted, in each output where its group/interchange opened."""
        self._close(depth + 1)
        node = self._chain[depth]
        for which, out in enumerate(self.outputs):
            if node is None or not node.opened[which]:
                continue
            lead, body = split_lead(piece[:-1])
            elements = body.split(self._ele)
            count = str(node.children[which]).encode()
            if len(elements) > 1 and elements[1] != count:
                elements[1] = count
            out.emit(lead + self._ele.join(elements) + self._term, 1, node=node)
        self._chain[depth] = None

    def _close(self, depth: int) -> None:
        """Close the loops at `depth` and below (a subscriber loop's gathered pieces are written out)."""
        for level in range(len(self._chain) - 1, depth - 1, -1):
            node = self._chain[level]
            if node is None:
                continue
            if level >= _PROVIDER and not any(node.opened):
                self._open(DELIVERED)  # a loop without claims stays where the plain run has it
            if level == _SUBSCRIBER:
                for out in self.outputs:
                    if out.gathering is not None:
                        self._release(out, node)
            node.head, node.rest = b"", []  # written wherever it goes; spans (--hold invalid) keep only its claims
            self._chain[level] = None

    def _release(self, out: _Output, node: _Node) -> None:
        """Write a gathered subscriber loop out, its HL04 now known (its first piece is the loop's header)."""
        assert out.gathering is not None and out.subscriber_hl is not None
        gathered, out.gathering = out.gathering, None
        new_id, parent = out.subscriber_hl
        child = None if out.subscriber_children == node.patients else b"1" if out.subscriber_children else b"0"
        gathered[0] = self._hl_piece(node.head, new_id, parent, child) + b"".join(node.rest)
        out.subscriber_hl = None
        out.pieces.extend(gathered)
        if len(out.pieces) >= _FLUSH_PIECES:
            out.flush()

    def _open(self, which: int) -> None:
        """Open, in one output, every loop above the claim about to be written there."""
        out = self.outputs[which]
        for node in self._chain:
            if node is None or node.opened[which]:
                continue
            node.opened[which] = True
            if node.level == _GS:
                isa = self._chain[_ISA]
                if isa is not None:
                    isa.children[which] += 1
            elif node.level == _ST:
                gs = self._chain[_GS]
                if gs is not None:
                    gs.children[which] += 1
                out.st_segments = 0
                out.hl_opened = out.hl_last = 0
                out.hl_map = {}
            if node.level >= _PROVIDER:
                new_id = self._hl_number(out, node)
                out.hl_map[node.hl_id] = new_id
                parent = out.hl_map.get(node.hl_parent, node.hl_parent)
                if node.level == _SUBSCRIBER:
                    out.gathering = []
                    out.subscriber_hl = (new_id, parent)
                    out.subscriber_children = False
                    head = node.head  # HL04 is settled when the loop ends (_release)
                else:
                    if node.level == _PATIENT and out.gathering is not None:
                        out.subscriber_children = True
                    head = self._hl_piece(node.head, new_id, parent, None)
            else:
                head = node.head
            out.emit(head + b"".join(node.rest), node.segments, node=node, first_lead=self._first_lead or b"")

    @staticmethod
    def _hl_number(out: _Output, node: _Node) -> str:
        """An HL loop's HL01 in one output: its own number, lowered by the loops before it that went to the
        other file (so an input numbered 1..n gives 1..m, and one that lost nothing keeps its numbers, gaps
        and all); counted from the last one when the input's numbers are not increasing integers."""
        skipped = node.ordinal - 1 - out.hl_opened
        out.hl_opened += 1
        own = number(node.hl_id, "HL01")  # None when not digits, or more than HL01's 12
        new = own - skipped if own is not None else 0
        if new <= out.hl_last:
            new = out.hl_last + 1
        out.hl_last = new
        return node.hl_id if new == own else str(new)

    def _hl_piece(self, piece: bytes, new_id: str, parent: str, child: bytes | None) -> bytes:
        """The HL segment with HL01, HL02 (and HL04 when given) set; its other bytes as they were."""
        lead, body = split_lead(piece[:-1])
        elements = body.split(self._ele)
        wanted = {1: new_id.encode(), 2: parent.encode()}
        if child is not None:
            wanted[4] = child
        changed = False
        for position, value in wanted.items():
            if position < len(elements) and elements[position] != value:
                elements[position] = value
                changed = True
        if not changed:
            return piece
        return lead + self._ele.join(elements) + self._term

    # -- where things landed -----------------------------------------------------------------------
    def locate(self, which: int, position: int | None, missing: bool = False) -> tuple[tuple[int, ...], str]:
        """The input indexes of the claims a validation error at `position` (1-based, in output `which`)
        concerns, and the loop it is in when that is not the claim itself: the claim whose segments hold
        it, or every claim below the loop whose header holds it (an envelope error, or one pyx12 gives no
        position, concerns the whole file).

        A `missing` segment or loop is reported where pyx12 noticed it, at the next HL or SE when a claim
        ended without it: an error at the segment that opens a loop (or the SE) then concerns the claim
        just before, not the loop that begins there (holding that loop's innocent claims would only move
        the error on to the next loop, one more pyx12 pass each time)."""
        assert self.locating, "a SplitWriter made with locating=False keeps no positions"
        out = self.outputs[which]
        everything = tuple(sorted({s.claim for s in out.spans if s.claim is not None}))
        if position is None:
            return everything, "interchange"
        if self._starts is None:
            self._starts = [[s.start for s in o.spans] for o in self.outputs]
        at = bisect_right(self._starts[which], position) - 1
        span = out.spans[at] if at >= 0 else None
        if span is None or not span.start <= position <= span.end:
            return everything, "interchange"
        if span.claim is not None:
            return (span.claim,), ""
        if missing and position == span.start and at > 0:
            before = out.spans[at - 1]
            if before.claim is not None:
                return (before.claim,), ""
            if before.node is not None and before.node.level >= _PROVIDER and not before.node.claims[which]:
                return (), _LOOP_NAMES[before.node.level]  # a loop without claims lacks it: no claim to hold
        node = span.node
        if node is None or node.level < _ST:
            return everything, "interchange"
        return tuple(node.claims[which]), _LOOP_NAMES[node.level]


_LOOP_NAMES = {_ST: "transaction set header", _PROVIDER: "billing provider loop (2000A)",
               _SUBSCRIBER: "subscriber loop (2000B)", _PATIENT: "patient loop (2000C)"}


__all__ = ["DELIVERED", "HELD", "SplitWriter"]
