"""Segment- and element-level mutations for the fast gate's differential check against pyx12.

Shared by tests/test_gate_differential.py (hypothesis drives the random stream) and
bench/gate_agreement.py (100,000 of them). Unlike tests/mutations.py, which breaks bytes anywhere to
test the CLI's refusals, these keep the file readable as X12 (the ISA stays fixed-width) so that pyx12
gets to judge the elements and the loop structure: values of the wrong type, length, code or
character set, elements and components added or removed (composites with too many parts, which crash
pyx12 4.0.0), segments dropped, doubled, moved or renamed, values borrowed from other segments.
"""

from __future__ import annotations

import random
from functools import cache

from edi837.testing.generator import build_837
from edi837.testing.random_claims import random_claims
from tests.helpers import FIXTURES

TERM, ELE, COMP, REP = b"~", b"*", b":", b"^"
VALUES = [
    b"", b" ", b"X", b"Y", b"N", b"1", b"0", b"00", b"-1", b"1.5", b"-.5", b"1.", b"12.345", b"0.0000001",
    b"99999999999999999999", b"1E5", b"20250101", b"20251301", b"20250230", b"20240229", b"20230229",
    b"20250101-20250102", b"20250101-2025010", b"250101", b"1230", b"2460", b"123", b"AB", b"ZZ", b"HC",
    b"A" * 80, b"a b", b" X", b"X ", b"!!", b"\x01", b"\xe9", b"#", b"HC:99213", b"HC:97140:59:XS:GP:KX",
    b"HC:98940:A1:A2:A3:A4:A5:A6:A7", b"1:2:3:4:5:6:7:8:9:10", b"ABK:M542", b"D8", b"RD8", b"DT", b"MJ", b"UN",
    b"11:B:1", b"11::1", b"1^2", b"31", b"472", b"MI", b"XX", b"PR", b"85", b"IL", b"QC", b"22", b"23", b"20",
    b"9" * 5000, b"1E999999999",  # past Python's int() digit limit; a Decimal that overflows when summed
]
IDS = [b"NM1", b"REF", b"DTP", b"SV1", b"LX", b"CLM", b"HI", b"N3", b"N4", b"PER", b"HL", b"SBR", b"PAT", b"ZZZ",
       b"X", b"nm1", b"AMT", b"NTE", b"PRV", b"K3", b"CAS", b"SVD"]


@cache
def bases() -> tuple[bytes, ...]:
    """Small valid files: claims in 2000B and 2000C, provider loops, COB, several ST, LF and CRLF line
    breaks; and the fixture."""
    files = [build_837(random_claims(n, seed=seed, shapes=shapes), claims_per_transaction=2, seed=seed,
                       line_break=line_break)
             for n, seed, shapes, line_break in ((1, 1, False, "\n"), (2, 2, True, "\n"), (3, 3, True, "\n"),
                                                 (4, 4, False, "\n"), (3, 6, True, "\r\n"))]
    return (*files, (FIXTURES / "walker_loops.837").read_bytes())


def _split(data: bytes) -> list[bytes]:
    return [s for s in data.split(TERM)]


def _join(segments: list[bytes]) -> bytes:
    return TERM.join(segments)


def _body(segments: list[bytes]) -> range:
    """Indexes of the segments after ISA (index 0) and before the trailing piece."""
    return range(1, max(1, len(segments) - 1))


def _value(rng: random.Random, segments: list[bytes]) -> bytes:
    pick = rng.random()
    if pick < 0.55:
        return rng.choice(VALUES)
    if pick < 0.8:  # a value from elsewhere in the file: realistic codes in the wrong place
        seg = rng.choice(segments).strip()
        parts = seg.split(ELE)
        return rng.choice(parts[1:]) if len(parts) > 1 else b""
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-:"
    return bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))


def _element_op(seg: bytes, rng: random.Random, segments: list[bytes]) -> bytes:
    lead = seg[: len(seg) - len(seg.lstrip(b"\r\n"))]
    parts = seg[len(lead):].split(ELE)
    if not parts or parts[0] == b"ISA":
        return seg
    op = rng.randrange(7)
    index = rng.randint(1, max(1, len(parts) - 1)) if len(parts) > 1 else 1
    if op <= 2 and index < len(parts):
        parts[index] = _value(rng, segments)
    elif op == 3 and index < len(parts):
        del parts[index]
    elif op == 4:
        parts.insert(min(index, len(parts)), _value(rng, segments))
    elif op == 5:
        parts.append(_value(rng, segments))
    elif index < len(parts):  # a composite with parts added or taken away
        pieces = parts[index].split(COMP)
        if rng.random() < 0.6:
            pieces.extend(rng.choice(VALUES[:12]) for _ in range(rng.randint(1, 8)))
        elif len(pieces) > 1:
            del pieces[rng.randrange(len(pieces))]
        parts[index] = COMP.join(pieces)
    return lead + ELE.join(parts)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """`data` with one to three segment or element mutations."""
    segments = _split(data)
    for _ in range(rng.randint(1, 3)):
        body = _body(segments)
        if len(body) < 2:
            break
        at = rng.choice(body)
        op = rng.random()
        if op < 0.7:
            segments[at] = _element_op(segments[at], rng, segments)
        elif op < 0.78:
            del segments[at]
        elif op < 0.86:
            segments.insert(at, segments[at])
        elif op < 0.93:
            moved = segments.pop(at)
            segments.insert(rng.choice(_body(segments)), moved)
        else:
            seg = segments[at]
            lead = seg[: len(seg) - len(seg.lstrip(b"\r\n"))]
            rest = seg[len(lead):].partition(ELE)
            segments[at] = lead + rng.choice(IDS) + rest[1] + rest[2]
    return _join(segments)


# Every element the fast gate, the walker or the writer reads as a number (issue 20, item 6), by segment id:
# element index, and whether the value goes in every component.
NUMBERS: dict[bytes, tuple[int, ...]] = {
    b"HL": (1, 2, 4), b"SE": (1, 2), b"GE": (1, 2), b"IEA": (1, 2), b"GS": (6,), b"ST": (2,), b"LX": (1,),
    b"SV1": (2, 4, 7), b"CLM": (2,),
}
HUGE = (b"9" * 5000, b"1E999999999")


def _with(segments: list[bytes], at: int, index: int, value: bytes) -> list[bytes]:
    """`segments` with element `index` of segment `at` set to `value`."""
    seg = segments[at]
    lead = seg[: len(seg) - len(seg.lstrip(b"\r\n"))]
    parts = seg[len(lead):].split(ELE)
    changed = list(segments)
    changed[at] = lead + ELE.join([*parts[:index], value, *parts[index + 1:]])
    return changed


def huge_numbers(data: bytes) -> list[bytes]:
    """`data` with one huge number (HUGE) in each element of NUMBERS, at the first segment that has it (an
    HL02 at the first HL with a parent), then the first ST02 and SE02, and the first GS06 and GE02, both huge
    (a pair that still matches: pyx12, not the control-number check, must judge them)."""
    segments = _split(data)
    ids = [s.lstrip(b"\r\n").split(ELE, 1)[0] for s in segments]
    out: list[bytes] = []
    seen: set[tuple[bytes, int]] = set()
    for at, sid in enumerate(ids):
        fields = segments[at].lstrip(b"\r\n").split(ELE)
        for index in NUMBERS.get(sid, ()):
            if index < len(fields) and fields[index] and (sid, index) not in seen:
                seen.add((sid, index))
                out += [_join(_with(segments, at, index, value)) for value in HUGE]
    for opening, closing, index in ((b"ST", b"SE", 2), (b"GS", b"GE", 6)):
        paired = _with(segments, ids.index(opening), index, HUGE[0])
        out.append(_join(_with(paired, ids.index(closing), 2, HUGE[0])))
    return out
