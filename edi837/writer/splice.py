"""The splice: the output file as the input's bytes, with only the edited claims rebuilt.

Everything the walker passes through (envelope, header loops, untouched claims) is copied as it was
read; an edited claim is its new pieces joined with the file's own terminator; an SE whose transaction
gained or lost segments gets SE01 recounted (checked against the 837P definition before it is written).
Output is written to the sink in batches, so memory stays flat whatever the file's size.
"""

from __future__ import annotations

from typing import IO

from edi837.model.claim import Claim
from edi837.model.walker import TransactionEnd
from edi837.x12.envelope import Delimiters, split_lead
from edi837.x12.segment_defs import check_value

_FLUSH_UNITS = 2048  # walker units gathered before a write


class Splicer:
    """Writes the output to `sink` (None: count bytes only) unit by unit, in input order."""

    def __init__(self, sink: IO[bytes] | None, delimiters: Delimiters, bom: bytes) -> None:
        self.sink = sink
        self.delimiters = delimiters
        self.written = 0
        self._out: list[bytes] = [bom]
        self._delta = 0  # segments added (+) or removed (-) in the current transaction

    def raw(self, data: bytes) -> None:
        """Bytes that pass through unchanged."""
        self._add(data)

    def claim(self, claim: Claim, pieces: list[bytes] | None) -> None:
        """A claim: as read (None), or rebuilt from its new pieces."""
        if pieces is None:
            self._add(claim.raw)
            return
        self._delta += len(pieces) - len(claim.pieces)
        term = self.delimiters.segment
        self._add(term.join(pieces) + term)

    def transaction_end(self, unit: TransactionEnd) -> bytes:
        """The SE, with SE01 recounted when the transaction's segment count changed; returns the SE piece."""
        piece = unit.piece
        if self._delta:
            piece = recount_se(unit, self._delta, self.delimiters)
            self._delta = 0
        self._add(piece + self.delimiters.segment)
        return piece

    def finish(self, tail: bytes) -> int:
        """Write what follows the last segment, flush, and return the bytes written."""
        self._out.append(tail)
        self._flush()
        return self.written

    def _add(self, data: bytes) -> None:
        self._out.append(data)
        if len(self._out) >= _FLUSH_UNITS:
            self._flush()

    def _flush(self) -> None:
        data = b"".join(self._out)
        if self.sink is not None:
            self.sink.write(data)
        self.written += len(data)
        self._out.clear()


def recount_se(unit: TransactionEnd, delta: int, delims: Delimiters) -> bytes:
    """The SE piece with SE01 = the segments read + delta."""
    lead, body = split_lead(unit.piece)
    elements = body.split(delims.element)
    count = str(unit.segment_count + delta)
    check_value("SE01", count, delims)
    elements[1] = count.encode("ascii")
    return lead + delims.element.join(elements)
