"""The loop walker: the claim model it builds, checked against a hand-written 837P.

Expected values below are read off `fixtures/walker_loops.837` by eye, not from the code.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from edi837.model.claim import Claim
from edi837.model.walker import Passthrough, TransactionEnd, Walker
from edi837.x12.envelope import SegmentStream
from tests.helpers import FIXTURES


def walk(data: bytes, chunk_size: int = 1 << 20) -> tuple[Walker, list[object]]:
    walker = Walker(SegmentStream(io.BytesIO(data), chunk_size=chunk_size))
    return walker, list(walker)


@pytest.fixture(scope="module")
def claims() -> list[Claim]:
    _, units = walk((FIXTURES / "walker_loops.837").read_bytes())
    return [u for u in units if isinstance(u, Claim)]


def test_claims_and_context(claims: list[Claim]) -> None:
    assert [c.claim_id for c in claims] == ["CLAIM-A1", "CLAIM-B2"]
    first, second = claims
    assert first.total_charge == Decimal(150)
    assert second.total_charge_text == "45.00"
    assert first.billing_provider.npi == "1234567893"
    assert first.billing_provider.taxonomy == "111N00000X"
    # SBR09 and the 2010BB payer, not the 2320/2330B other payer that comes later in the claim
    assert (first.subscriber.claim_filing, first.subscriber.payer_id) == ("CI", "EXMPL")
    assert (second.subscriber.claim_filing, second.subscriber.payer_id) == ("MB", "MCARE")
    assert not first.has_patient_loop
    assert second.has_patient_loop
    assert first.transaction.control_number == "0001"


def test_diagnoses_in_pointer_order(claims: list[Claim]) -> None:
    first = claims[0]
    assert [(d.qualifier, d.code) for d in first.diagnoses] == [("ABK", "M9901"), ("ABF", "M25511"),
                                                                 ("ABF", "M5450")]
    assert first.diagnoses[0].dotted == "M99.01"
    cmt, manual = first.lines
    assert [d.code for d in first.diagnoses_for(cmt)] == ["M9901", "M5450"]
    assert [d.code for d in first.diagnoses_for(manual)] == ["M25511"]


def test_service_lines(claims: list[Claim]) -> None:
    cmt, manual = claims[0].lines
    assert (cmt.number, cmt.qualifier, cmt.procedure, cmt.modifiers) == (1, "HC", "98940", ("AT",))
    assert (cmt.charge, cmt.unit_basis, cmt.units, cmt.pointers) == (Decimal(60), "UN", Decimal(1), (1, 3))
    assert cmt.service_date == date(2026, 3, 2)
    assert (manual.procedure, manual.modifiers, manual.units) == ("97140", ("GP",), Decimal(2))
    assert (manual.service_date, manual.service_date_end) == (date(2026, 3, 2), date(2026, 3, 3))
    assert manual.rendering_npi == "1245319599"  # 2420A
    assert claims[0].rendering_npi == "1497758544"  # 2310B
    minutes = claims[1].lines[0]
    assert (minutes.procedure, minutes.unit_basis, minutes.units) == ("97530", "MJ", Decimal(20))


def test_line_segment_handles(claims: list[Claim]) -> None:
    first = claims[0]
    cmt, manual = first.lines
    text = [p.strip().split(b"*")[0] for p in first.pieces]
    assert text[cmt.lx_index] == b"LX" and text[cmt.sv1_index] == b"SV1"
    assert cmt.end_index == manual.lx_index
    assert manual.end_index == len(first.pieces)  # the 2420A NM1 belongs to the last line
    assert text[manual.end_index - 1] == b"NM1"


def test_units_reassemble_the_file_exactly() -> None:
    data = (FIXTURES / "walker_loops.837").read_bytes()
    stream = SegmentStream(io.BytesIO(data), chunk_size=64)  # tiny chunks: segments straddle reads
    parts: list[bytes] = []
    for unit in Walker(stream):
        if isinstance(unit, (Passthrough, Claim)):
            parts.append(unit.raw)
        else:
            assert isinstance(unit, TransactionEnd)
            parts.append(unit.piece + b"~")
    assert stream.bom + b"".join(parts) + stream.tail == data


def test_counts() -> None:
    walker, units = walk((FIXTURES / "walker_loops.837").read_bytes())
    assert (walker.claims, walker.lines, walker.transactions) == (2, 3, 1)
    end = [u for u in units if isinstance(u, TransactionEnd)]
    assert [e.segment_count for e in end] == [49]


def test_claims_stream_before_the_file_ends() -> None:
    """Memory is bounded by one claim: the first claim arrives before the walker reads the rest."""
    from edi837.testing.generator import ClaimSpec, LineSpec, build_837

    specs = [ClaimSpec(f"C{i}", ("M9901",), (LineSpec("98940", "50"),)) for i in range(3000)]
    data = build_837(specs)

    class Counting(io.BytesIO):
        def __init__(self, b: bytes) -> None:
            super().__init__(b)
            self.consumed = 0

        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            self.consumed += len(chunk)
            return chunk

    source = Counting(data)
    walker = Walker(SegmentStream(source, chunk_size=4096))
    for unit in walker:
        if isinstance(unit, Claim):
            assert source.consumed < 16384 < len(data)
            break


def test_a_repeated_sv1_is_read_alike_and_refused_at_its_own_segment() -> None:
    """SV1 text is read once and the reading reused (a cache): each line still gets its own fields, and a
    refusal names the segment where that copy of the text stands."""
    from edi837.errors import InputRefused
    from edi837.model.lines import ServiceLine, parse_sv1
    from edi837.x12.envelope import Delimiters

    delims = Delimiters(b"*", b":", b"^", b"~")
    body = b"SV1*HC:97140:GP*40.00*UN*1***1:2"
    first, second = ServiceLine(1, 0, 1), ServiceLine(2, 2, 3)
    parse_sv1(first, body, delims, 10)
    parse_sv1(second, body, delims, 20)
    for line in (first, second):
        assert (line.qualifier, line.procedure, line.modifiers, line.unit_basis, line.charge, line.units,
                line.pointers, line.pointer_problem) == ("HC", "97140", ("GP",), "UN", Decimal(40), Decimal(1),
                                                          (1, 2), "")
    first.modifiers = ("GP", "59")
    assert second.modifiers == ("GP",)
    for ordinal in (5, 9):
        with pytest.raises(InputRefused, match=rf"^segment {ordinal}: SV107 diagnosis pointer"):
            parse_sv1(ServiceLine(1, 0, 1), b"SV1*HC:97140*40*UN*1***100", delims, ordinal)
