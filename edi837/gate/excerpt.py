"""Small interchanges cut from a file: some claims with their parent loops, for pyx12 to referee.

Why: pyx12 validates about 0.12 MB/s, so the fast gate asks it only about the claims the fast scan
flagged. pyx12 must see each claim in the context it has in the file, so an excerpt holds, in file
order: the claim's ISA and GS, its transaction's header (ST up to the first HL), every HL block on the
claim's HL chain (an HL up to the next HL or CLM), then the claim itself (CLM up to the next HL, CLM or
trailer). Blocks shared by several chosen claims appear once, as in the file.

What an excerpt changes, and why that is sound: HL01/HL02 are renumbered (an excerpt leaves HL ids out)
and SE01, GE01 and IEA01 are recounted. The fast scan sends the whole file to pyx12 whenever HL
numbers, segment counts or control numbers are wrong in the file, so the excerpt's renumbered segments
say nothing the file did not. Every other segment is copied byte for byte, and `origin` maps each of
the excerpt's segments back to its position in the file, so what pyx12 reports names file positions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from edi837.gate.fast import LEADING_SPACE
from edi837.gate.pyx12_gate import Opener
from edi837.x12.envelope import SegmentStream


@dataclass
class Excerpt:
    data: bytes
    origin: list[int]  # origin[i]: 1-based position in the file of the excerpt's segment i + 1
    claims: int  # claims the file holds (all of them, not only the chosen)
    chosen: int = 0  # claims copied into the excerpt

    def position(self, segment: int | None) -> int | None:
        """The file position of the excerpt's 1-based segment `segment`."""
        if segment is None or not 1 <= segment <= len(self.origin):
            return None
        return self.origin[segment - 1]


@dataclass
class _Block:
    hl_id: bytes
    pieces: list[tuple[int, bytes]] = field(default_factory=list)  # (file position, segment without terminator)
    new_id: int = 0  # its HL01 in the excerpt; 0 until written


def _segments(open_data: Opener) -> Iterator[tuple[int, bytes, bytes]]:
    """(position, segment id, segment text without leading line breaks) for every segment in the file."""
    with open_data() as raw:
        stream = SegmentStream(raw)
        d = stream.delimiters
        term, ele = d.segment, d.element
        ordinal = 0
        for block in stream.blocks():
            pieces = block.split(term)
            pieces.pop()
            for piece in pieces:
                ordinal += 1
                line = piece.lstrip(b"\r\n")
                yield ordinal, line.lstrip(LEADING_SPACE).partition(ele)[0], line  # the id as the scan reads it


def cut(open_data: Opener, wanted: set[int]) -> Excerpt:
    """The excerpt holding the claims whose 0-based file-order indexes are in `wanted`."""
    with open_data() as raw:
        d = SegmentStream(raw).delimiters
    term, ele = d.segment, d.element
    # one segment a line, unless the terminator is itself a line break (a second one would be read as
    # an empty segment, which ends pyx12's reading)
    end = term if term in (b"\n", b"\r") else term + b"\n"
    written = _Written(end)
    put = written.put
    isa: tuple[int, bytes] | None = None
    gs: tuple[int, bytes] | None = None
    header: list[tuple[int, bytes]] = []
    stack: list[_Block] = []
    isa_out = gs_out = st_out = False
    groups = transactions = st_segments = 0
    hl_next = 0
    claim_index = -1
    copying = False  # inside a chosen claim
    in_header = False  # between ST and the first HL
    in_block = False  # inside an HL block (an HL up to the next HL or CLM)
    chosen = 0
    for position, sid, line in _segments(open_data):
        if sid == b"ISA":
            isa, isa_out, groups, copying = (position, line), False, 0, False
            continue
        if sid == b"GS":
            gs, gs_out, transactions, copying = (position, line), False, 0, False
            continue
        if sid == b"ST":
            header, stack, st_out, in_header, copying, hl_next = [(position, line)], [], False, True, False, 0
            in_block = False
            continue
        if sid in (b"SE", b"GE", b"IEA"):
            copying = in_header = in_block = False
            parts = line.split(ele)
            if sid == b"SE" and st_out:
                put(position, ele.join([b"SE", str(st_segments + 1).encode(), *parts[2:]]))
                transactions += 1
            elif sid == b"GE" and gs_out:
                put(position, ele.join([b"GE", str(transactions).encode(), *parts[2:]]))
                groups += 1
            elif sid == b"IEA" and isa_out:
                put(position, ele.join([b"IEA", str(groups).encode(), *parts[2:]]))
            continue
        if sid == b"HL":
            in_header = copying = False
            parts = line.split(ele)
            parent = parts[2] if len(parts) > 2 else b""
            while stack and stack[-1].hl_id != parent:
                stack.pop()
            stack.append(_Block(parts[1] if len(parts) > 1 else b"", [(position, line)]))
            in_block = True
            continue
        if sid == b"CLM":
            in_header = False
            claim_index += 1
            copying = claim_index in wanted
            if copying:
                chosen += 1
                for done, opening in ((isa_out, isa), (gs_out, gs)):
                    if not done and opening is not None:
                        put(*opening)
                isa_out, gs_out = isa_out or isa is not None, gs_out or gs is not None
                if not st_out:
                    for piece in header:
                        put(*piece)
                    st_out, st_segments = True, len(header)
                hl_next, blocks_out = _put_blocks(stack, hl_next, ele, put)
                st_segments += blocks_out
            in_block = False
        if copying:
            put(position, line)
            st_segments += 1
        elif in_header:
            header.append((position, line))
        elif in_block:
            stack[-1].pieces.append((position, line))
    return Excerpt(b"".join(written.out), written.origin, claim_index + 1, chosen)


class _Written:
    """The excerpt as it is written: its segments (one a line) and, for each, its position in the file."""

    def __init__(self, end: bytes) -> None:
        self.end = end
        self.out: list[bytes] = []
        self.origin: list[int] = []

    def put(self, position: int, line: bytes) -> None:
        self.out.append(line + self.end)
        self.origin.append(position)


def _put_blocks(stack: list[_Block], hl_next: int, ele: bytes, put: Callable[[int, bytes], None]) -> tuple[int, int]:
    """Write the HL blocks of a chosen claim's chain not yet in the excerpt, renumbered: HL01 in excerpt order,
    HL02 its parent's new number. (The next HL number, the segments written.)"""
    parent_id = written = 0
    for block in stack:
        if not block.new_id:
            hl_next += 1
            block.new_id = hl_next
            first_position, hl_line = block.pieces[0]
            parts = hl_line.split(ele)
            parts[1] = str(hl_next).encode()
            parts[2] = str(parent_id).encode() if parent_id else b""
            put(first_position, ele.join(parts))
            for piece in block.pieces[1:]:
                put(*piece)
            written += len(block.pieces)
        parent_id = block.new_id
    return hl_next, written
