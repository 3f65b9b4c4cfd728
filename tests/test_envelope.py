"""Envelope and tokenizer: delimiters from the fixed-width ISA, framing kept byte for byte."""

from __future__ import annotations

import io

import pytest

from edi837.errors import InputRefused
from edi837.x12.envelope import BOM, SegmentStream, parse_isa

ISA = (
    b"ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *260302*1200*^*00501*000000001*0*T*:~"
)


def test_isa_is_106_bytes_and_gives_the_delimiters() -> None:
    assert len(ISA) == 106
    d = parse_isa(ISA)
    assert (d.element, d.repetition, d.component, d.segment) == (b"*", b"^", b":", b"~")


def test_unusual_delimiters() -> None:
    isa = ISA.replace(b"*", b"|").replace(b":~", b">\x1e").replace(b"|^|", b"|!|")
    d = parse_isa(isa)
    assert (d.element, d.repetition, d.component, d.segment) == (b"|", b"!", b">", b"\x1e")


def test_short_isa_is_refused_not_misread() -> None:
    short = ISA.replace(b"SUBMITTER      ", b"SUBMITTER     ")  # 105 bytes: an unpadded ISA06
    with pytest.raises(InputRefused, match="fixed 106"):
        parse_isa(short + b"GS*")


def test_non_x12_is_refused() -> None:
    with pytest.raises(InputRefused, match="not an X12 file"):
        parse_isa(b"%PDF-1.7 " + b"x" * 200)


def _pieces(data: bytes, chunk: int) -> tuple[SegmentStream, list[bytes]]:
    stream = SegmentStream(io.BytesIO(data), chunk_size=chunk)
    blocks = list(stream.blocks())
    assert all(b.endswith(b"~") for b in blocks)  # blocks hold whole segments only
    pieces = b"".join(blocks).split(b"~")[:-1]
    return stream, pieces


@pytest.mark.parametrize("chunk", [1, 7, 106, 4096])
def test_pieces_keep_line_breaks_bom_and_tail(chunk: int) -> None:
    body = ISA + b"\r\nGS*HC~\n  ST*837~\rSE*2*1~IEA*1*1~\n\n"
    stream, pieces = _pieces(BOM + body, chunk)
    assert stream.bom == BOM
    assert pieces[1:4] == [b"\r\nGS*HC", b"\n  ST*837", b"\rSE*2*1"]
    assert stream.tail == b"\n\n"
    assert stream.bom + b"~".join(pieces) + b"~" + stream.tail == BOM + body


def test_text_after_the_last_terminator_is_truncation() -> None:
    stream = SegmentStream(io.BytesIO(ISA + b"GS*HC~IEA*1*0000"))
    with pytest.raises(InputRefused, match="truncated"):
        list(stream.blocks())


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (b"\n\n  \r\n", "empty file"),
    (ISA[:50] + b"\x00" + ISA[51:] + b"GS~", "NUL"),
    (ISA[:60], "truncated"),
])
def test_refusals(data: bytes, reason: str) -> None:
    with pytest.raises(InputRefused, match=reason):
        SegmentStream(io.BytesIO(data))
