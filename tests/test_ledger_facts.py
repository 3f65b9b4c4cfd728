"""The ledger reads a claim's lines from its segments (ledger/facts.py) rather than parsing its model: the rows
must be the ones the model's parse gives, on claims of every shape (minutes, dependants, several transactions,
other delimiters, voids, other payers, line sub-loops, held claims) and on the odd ones it hands to the
parse (two DTP*472, a line without SV1, an SV1 or LX01 the model refuses, a 2320 paid amount)."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest

from edi837.engine import farm
from edi837.ledger.build import claim_row
from edi837.ledger.facts import _scan, facts, parsed_facts
from edi837.ledger.recorder import Recorder
from edi837.model.claim import Claim
from edi837.model.walker import Walker
from edi837.pipeline import FixOptions, build_engine
from edi837.testing.generator import build_837, main
from edi837.testing.specs import AdjudicationSpec, ClaimSpec, LineSpec, OtherPayerSpec, ProviderSpec
from edi837.x12.envelope import SegmentStream

NPI = "1000000008"  # not the billing provider's: a claim's rendering NPI must come from its 2310B


def as_read(claim: Claim) -> Claim:
    """The claim as the walker gave it, before any rule parsed it."""
    return Claim(*claim.__reduce__()[1])


def claims_of(data: bytes) -> list[Claim]:
    return [unit for unit in Walker(SegmentStream(io.BytesIO(data))) if type(unit) is Claim]


def generated(tmp_path: Path, *args: str) -> bytes:
    out = tmp_path / "generated.837"
    assert main(["--out", str(out), *args]) == 0
    return out.read_bytes()


SHAPES = (
    ClaimSpec("VOID1", ("M545",), (LineSpec("99213", "85"),), frequency="8", original_reference="PAYER123"),
    ClaimSpec("RENDER1", ("M9903", "M25511"), (
        LineSpec("98940", "45", service_date=date(2026, 3, 2), service_date_end=date(2026, 3, 6)),
        LineSpec("97140", "40", units="2.5", modifiers=("59", "GP"), pointers=(2, 1), rendering_npi=NPI,
                 providers=(ProviderSpec("supervising", NPI),))), rendering_npi=NPI,
              providers=(ProviderSpec("referring", NPI),)),
    ClaimSpec("COB1", ("M545",), (LineSpec("97110", "30", adjudications=(AdjudicationSpec("OTHER1", "20"),)),),
              responsibility="S", other_payers=(OtherPayerSpec("OTHER1", paid="20", adjudicated=date(2026, 3, 20)),)),
    ClaimSpec("COB2", ("M545",), (LineSpec("97110", "30"),), other_payers=(OtherPayerSpec("OTHER2"),)),
    ClaimSpec("NOXX1", ("M545", "M9903"), (LineSpec("97110", "30", pointers=(2, 1)),),
              providers=(ProviderSpec("rendering", ""),)),
    ClaimSpec("MANY1", tuple(f"M54{n}" for n in range(1, 10)),
              tuple(LineSpec("97110", f"{n}0", pointers=(n, 9)) for n in range(1, 9))),
)

# Segments edited into the claims above, each one a branch of the walk (model/loops.py) the scan must follow.
EDITS = (
    (b"SV1*HC:99213*85*UN*1***1~", b"SV1*HC:99213*85*UN*1***1~\nDTP*472*RD8*20260301-20260303~"),  # two DTP*472
    (b"SV1*HC:99213*85*UN*1***1~", b""),  # a line without SV1
    (b"SV1*HC:99213*85*UN*1***1~", b"SV1*HC:99213*8X5*UN*1***1~"),  # an SV1 the model refuses
    (b"LX*1~", b"LX*1234567~"),  # an LX01 the model refuses
    (b"LX*1~", b"LX*A~"),  # an LX01 that is not a number: line 0
    (b"*UN*1***1~", b"*UN*1***1:3~"),  # a pointer to no diagnosis
    (b"SV1*HC:99213*85*UN*1***1~", b"SV1*HC:99213*85*UN*1***1~\n  REF*6R*A-1~\nREF*6R*A-2~"),  # the first REF*6R
    (b"DTP*472*D8*20260302~", b"DTP*472*D8*20260302~\nNM1*DK*1*X~\nDTP*472*D8*20250101~"
                              b"\nREF*6R*SUB~"),  # a DTP of a sub-loop; its REF*6R is the line's
    (b"DTP*472*D8*20260302~", b"NM1*DK*1*X~\nDTP*472*D8*20250101~"),  # a line whose only DTP*472 is a sub-loop's
    (b"LX*1~", b"LX*1~\nSVD*X*1~\nSV1*HC:1*2*UN*3***1~"),  # its only SV1 in a sub-loop: a line without SV1
    (b"HI*ABK:M545~", b"HI*ABK:M545~\nNM1*82*1*X****XX*1000000008~\nNM1*82*1*Y****XX*1234567893~"
                      b"\nHI*ABF:M9903~"),  # the first 2310B; an HI after it
    (b"HI*ABK:M545~", b"NM1*82*1*X~\nHI*ABK:M545~"),  # a 2310B without an NPI
    (b"HI*ABK:M545~", b"HI*ABK:M545~\nSBR*S*18*******CI~\nHI*ABF:M9903~\nNM1*82*1*X****XX*1000000008~"),  # 2320
    (b"HI*ABK:M545~", b"HI*ABK:M545~\nSBR*S*18*******CI~\nAMT*D*1X~"),  # a paid amount the model refuses
    (b"DTP*472*D8*20260302~", b"DTP*472*D8*20261399~"),  # not a date
    (b"DTP*472*D8*20260302~", b"DTP*472*RD8*20260302~"),  # an RD8 of the wrong length
)


def shapes() -> list[bytes]:
    plain = build_837(SHAPES, seed=3)
    files = [plain, build_837(SHAPES, seed=4).replace(b"~\n", b"~")]
    single = build_837((ClaimSpec("EDIT1", ("M545",), (LineSpec("99213", "85"),)),), seed=5)
    for old, new in EDITS:
        assert old in single, old
        files.append(edited(single, old, new))
    return files


def edited(data: bytes, old: bytes, new: bytes) -> bytes:
    """`data` with `old` replaced by `new` once, SE01 counting the segments it now has."""
    count = int(re.search(rb"SE\*(\d+)\*", data).group(1))  # type: ignore[union-attr]
    data = data.replace(old, new, 1)
    return data.replace(b"SE*%d*" % count, b"SE*%d*" % (count + new.count(b"~") - old.count(b"~")), 1)


@pytest.mark.parametrize("args", [
    ("--claims", "400", "--seed", "11", "--minutes-share", "0.3", "--patient-share", "0.4",
     "--claims-per-transaction", "90"),
    ("--claims", "150", "--seed", "12", "--delimiters", "|>!\x1e", "--line-break", "mixed"),
])
def test_the_facts_read_from_segments_are_the_parsed_ones(tmp_path: Path, args: tuple[str, ...]) -> None:
    data = generated(tmp_path, *args)
    claims = claims_of(data)
    assert len(claims) > 100
    scanned = [_scan(claim) for claim in claims]
    assert all(found is not None for found in scanned)  # generated claims take the fast way
    assert scanned == [parsed_facts(claim) for claim in claims]
    assert len({found.lines for found in scanned if found is not None}) > 50


def test_odd_claims_give_the_parsed_facts() -> None:
    fell_back = 0
    for data in shapes():
        for claim in claims_of(data):
            fell_back += _scan(as_read(claim)) is None
            assert facts(as_read(claim)) == parsed_facts(claim), claim.claim_id
    # COB1's paid amount (twice), two DTP, no SV1 (twice), the refused SV1, LX01 and AMT: the model's parse
    assert fell_back == 8


def test_rows_are_the_ones_the_parse_gives(tmp_path: Path) -> None:
    """Every row of a run, held claims included, as the recorder makes it and as the parsed facts give it."""
    data = generated(tmp_path, "--claims", "300", "--seed", "13", "--minutes-share", "0.5",
                     "--claims-per-transaction", "70")
    for extra in shapes()[:2]:
        stream = SegmentStream(io.BytesIO(data + extra))  # two interchanges: more transactions, voids, COB
        engine = build_engine(stream.delimiters, FixOptions(validate=False))
        recorder = Recorder.collecting()
        expected = []
        position = -1
        for unit, outcome in farm.in_process(Walker(stream), engine):
            if type(unit) is Claim:
                assert outcome is not None
                position += 1
                held = position % 3 == 0 and any(r.action == "review" for r in outcome.records)
                recorder.claim(position, unit, outcome.records, held=held, held_file="in.held.837" if held else None)
                expected.append(claim_row(position, unit, outcome.records, held=held,
                                          held_file="in.held.837" if held else None,
                                          known=parsed_facts(as_read(unit))))
        if engine.packs is not None:
            engine.packs.close()
        assert recorder.rows == expected
        statuses = {row.status for row in expected}
        assert {"held", "delivered", "unchanged"} <= statuses, statuses
        assert any(row.frequency == "8" for row in expected)
