"""The segment-level diff `--diff` prints: which segments of the input changed, and to what.

Only segments that say nothing about a patient are shown in full (lines, charges, dates, counts); a
removed 2400 loop can also hold free-text notes (NTE) and 2420 loops with names and addresses, which are
named, not shown.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from edi837.model.claim import Claim
from edi837.x12.envelope import split_lead
from edi837.x12.untrusted import control, name_segment

_SHOWN = frozenset({"LX", "SV1", "DTP", "CLM", "SE"})
# Segments shown only when these elements hold what they allow (a count, a control number): SE02 and LX01
# can hold any text a practice system put there.
_CONTROLS = {"SE": ("SE01", "SE02"), "LX": ("LX01",)}


@dataclass(frozen=True)
class SegmentDiff:
    """A segment that differs between input and output, for `--diff`."""

    segment: int  # position in the input (for an inserted segment: the one it follows)
    before: str | None
    after: str | None
    claim_id: str | None


def segment_text(piece: bytes, element: str) -> str:
    """A segment as the diff may show it: whole when it carries no patient data, else its id only."""
    text = split_lead(piece)[1].decode("latin-1")
    parts = text.split(element)
    if parts[0] in _SHOWN and all(control(ref, parts[i + 1] if i + 1 < len(parts) else "") is not None
                                  for i, ref in enumerate(_CONTROLS.get(parts[0], ()))):
        return text
    return f"{name_segment(parts[0])} (content not shown)"


def claim_diff(claim: Claim, new_pieces: list[bytes]) -> Iterator[SegmentDiff]:
    """The segments of one claim that differ between its input pieces and its new ones."""
    element = claim.delimiters.element.decode("latin-1")
    old = [segment_text(p, element) for p in claim.pieces]
    new = [segment_text(p, element) for p in new_pieces]
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        olds, news = old[i1:i2], new[j1:j2]
        for k in range(max(len(olds), len(news))):
            before = olds[k] if k < len(olds) else None
            after = news[k] if k < len(news) else None
            position = claim.first_ordinal + (i1 + k if k < len(olds) else max(i2 - 1, i1))
            yield SegmentDiff(position, before, after, claim.claim_id)
