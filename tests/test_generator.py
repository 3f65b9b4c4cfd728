"""Tests for the synthetic 837P generator.

The generator is what every other test and the benchmark trust to be a clean, valid input, so these
tests check its output independently: pyx12 for validity, and a deliberately naive split of the bytes
(not edi837's own tokenizer) for the envelope counts, the ISA layout and the claim balance.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edi837.testing.generator import (
    DEFAULT_DELIMITERS,
    ClaimSpec,
    LineSpec,
    build_837,
    main,
    random_claims,
    write_837,
)
from edi837.x12.envelope import Delimiters

BOM = b"\xef\xbb\xbf"
BREAKS = ["", "\n", "\r\n", "\r", "mixed"]
PIPES = Delimiters(element=b"|", component=b">", repetition=b"!", segment=b"\x1e")
# A control character as element separator and a bare CR as terminator: legal X12, and a layout
# that real files use ("one segment per line" with CR as the terminator).
CONTROL = Delimiters(element=b"\x1d", component=b"\\", repetition=b"`", segment=b"\r")
TIMED = {"97140", "97530", "97110", "97112", "97116", "97035"}
CODES = TIMED | {"98940", "98941", "98942", "99213"}
DIAGNOSES = {"M9901", "M9902", "M9903", "M9904", "M9905", "M9906", "M9907", "M542", "M5450", "M25511",
             "M25561", "S134XXA", "G4452", "M6281"}


# --- independent helpers ---------------------------------------------------------------------------


def validate(data: bytes) -> tuple[bool, str]:
    """Run pyx12's full 005010X222A1 validation in-process, as the project's gate does."""
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    fd_json = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(data.decode("latin-1")),
                                           None, None, None, fd_json)
    return bool(ok), fd_json.getvalue()


def errors_of(report: str) -> list[object]:
    """Flatten pyx12's JSON report to the errors, for a readable assertion message."""
    found: list[object] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("errors"):
                found.append({k: v for k, v in node.items() if not isinstance(v, list | dict)}
                             | {"errors": node["errors"]})
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(report))
    return found


def split(data: bytes) -> list[list[str]]:
    """Segments as element lists, found with the delimiters at their fixed ISA offsets."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    text = data.decode("latin-1")
    element, term = text[3], text[105]
    pieces = text.split(term)
    assert not pieces.pop().strip("\r\n"), "only a line break may follow the last terminator"
    return [piece.lstrip("\r\n").split(element) for piece in pieces]


def claims_of(segments: list[list[str]]) -> list[tuple[list[str], list[list[str]]]]:
    """Each CLM with the SV1 segments that follow it up to the next claim or SE."""
    claims: list[tuple[list[str], list[list[str]]]] = []
    for seg in segments:
        if seg[0] == "CLM":
            claims.append((seg, []))
        elif seg[0] == "SV1":
            claims[-1][1].append(seg)
    return claims


def small_file(delimiters: Delimiters = DEFAULT_DELIMITERS, line_break: str = "\n") -> bytes:
    # 12 claims, 5 per transaction: three ST, the last one short; half the claims with a patient loop.
    claims = random_claims(12, seed=11, patient_loop_share=0.5, minutes_share=0.3)
    return build_837(claims, delimiters=delimiters, line_break=line_break, claims_per_transaction=5, seed=5)


def layouts() -> Iterator[tuple[Delimiters, str]]:
    # Every delimiter set with every break, except a break that contains the terminator itself (a CR
    # terminator followed by CRLF), which the generator refuses (tested below).
    for delimiters in (DEFAULT_DELIMITERS, PIPES, CONTROL):
        term = delimiters.segment.decode("latin-1")
        for line_break in BREAKS:
            breaks = ("", "\n", "\r\n", "\r") if line_break == "mixed" else (line_break,)
            if not any(term in b for b in breaks):
                yield delimiters, line_break


LAYOUTS = list(layouts())


def layout_id(layout: tuple[Delimiters, str]) -> str:
    return f"{layout[0].all()!r}-{layout[1]!r}"


# --- validity --------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("layout", LAYOUTS, ids=[layout_id(layout) for layout in LAYOUTS])
def test_pyx12_accepts_every_layout(layout: tuple[Delimiters, str]) -> None:
    delimiters, line_break = layout
    data = small_file(delimiters=delimiters, line_break=line_break)
    segments = split(data)
    hl_codes = Counter(seg[3] for seg in segments if seg[0] == "HL")
    assert hl_codes["23"] > 0 and hl_codes["22"] > hl_codes["23"], "want claims with and without 2000C"
    ok, report = validate(data)
    assert ok, errors_of(report)


@pytest.mark.slow
@pytest.mark.parametrize("share", [0.0, 1.0])
def test_pyx12_accepts_all_or_no_patient_loops(share: float) -> None:
    data = build_837(random_claims(12, seed=2, patient_loop_share=share, minutes_share=1.0),
                     claims_per_transaction=5)
    segments = split(data)
    patients = sum(seg[0] == "PAT" for seg in segments)
    assert patients == (12 if share else 0)
    ok, report = validate(data)
    assert ok, errors_of(report)


def every_option() -> list[ClaimSpec]:
    return [
        ClaimSpec(
            claim_id="OPT1", diagnoses=("M9901", "M25511"), patient_loop=True, rendering_npi="1234567893",
            lines=(
                LineSpec("98940", "45.00"),
                LineSpec("97140", "80", units="2", modifiers=("59", "GP"), pointers=(2,),
                         service_date=date(2026, 3, 2), service_date_end=date(2026, 3, 6),
                         rendering_npi="1000100005"),
                LineSpec("97530", "30", units="12", basis="MJ", pointers=(1, 2)),
            ),
        ),
        ClaimSpec(
            claim_id="OPT2", diagnoses=("M9901", "M9902", "M9903", "M9904", "M9905", "M9906", "M9907", "M542",
                                        "M5450", "M25511", "M25561", "M6281"),
            lines=tuple(LineSpec("97110", "38.5", pointers=(1, 5, 9, 12)) for _ in range(50)),
            payer_id="MCR01", payer_name="EXAMPLE MEDICARE", claim_filing="MB", place_of_service="02",
        ),
        ClaimSpec(claim_id="OPT3", diagnoses=("G4452",), lines=(LineSpec("99213", "95"),),
                  total_charge="100.00"),
    ]


@pytest.mark.slow
def test_pyx12_accepts_every_option() -> None:
    data = build_837(every_option(), line_break="\r\n")
    text = data.decode("latin-1")
    for expected in ("DTP*472*RD8*20260302-20260306~", "SV1*HC:97140:59:GP*80*UN*2***2~",
                     "SV1*HC:97530*30*MJ*12***1:2~", "NM1*82*1*", "PRV*PE*PXC*111N00000X~", "PAT*19~",
                     "SBR*P********CI~", "SBR*P*18*******MB~", "CLM*OPT3*100.00***11:B:1*Y*A*Y*Y~",
                     "CLM*OPT2*1925.00***02:B:1*Y*A*Y*Y~", "LX*50~", "SV1*HC:97110*38.5*UN*1***1:5:9:12~",
                     "HI*ABK:M9901*ABF:M9902*ABF:M9903*ABF:M9904*ABF:M9905*ABF:M9906*ABF:M9907*ABF:M542*"
                     "ABF:M5450*ABF:M25511*ABF:M25561*ABF:M6281~"):
        assert expected in text
    # The 2420A rendering provider follows the line's DTP; the 2310B one follows HI, before LX*1.
    assert "DTP*472*RD8*20260302-20260306~\r\nNM1*82*1*" in text
    assert text.index("NM1*82", text.index("CLM*OPT1")) < text.index("LX*1", text.index("CLM*OPT1"))
    ok, report = validate(data)
    assert ok, errors_of(report)


# --- envelope --------------------------------------------------------------------------------------


ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)


@pytest.mark.parametrize("delimiters", [DEFAULT_DELIMITERS, PIPES, CONTROL], ids=["star", "pipe", "control"])
@pytest.mark.parametrize("bom", [False, True])
def test_isa_is_fixed_width_with_separators_where_x12_puts_them(delimiters: Delimiters, bom: bool) -> None:
    data = build_837(random_claims(3, seed=1), delimiters=delimiters, line_break="", bom=bom,
                     interchange_control=4711)
    assert data.startswith(BOM) == bom
    isa = data[len(BOM):][:106] if bom else data[:106]
    assert isa.startswith(b"ISA")
    assert isa[105:106] == delimiters.segment
    assert data[len(BOM) * bom + 106:].startswith(b"GS")
    offset = 3
    fields = []
    for width in ISA_WIDTHS:
        assert isa[offset:offset + 1] == delimiters.element, f"element separator missing at byte {offset}"
        fields.append(isa[offset + 1:offset + 1 + width])
        offset += 1 + width
    assert offset == 105
    assert fields[10] == delimiters.repetition  # ISA11
    assert fields[11] == b"00501"  # ISA12
    assert fields[12] == b"000004711"  # ISA13
    assert fields[14] == b"T"  # ISA15
    assert fields[15] == delimiters.component  # ISA16
    assert len(fields[5].rstrip()) < 15 and len(fields[7].rstrip()) < 15  # ISA06/08 really are padded


@pytest.mark.parametrize("count,per_st", [(12, 5), (10, 5), (1, 5000), (7, 1)])
def test_trailer_counts_and_control_numbers(count: int, per_st: int) -> None:
    data = build_837(random_claims(count, seed=3), claims_per_transaction=per_st, interchange_control=42,
                     line_break="mixed")
    segments = split(data)
    ids = [seg[0] for seg in segments]
    assert ids[:2] == ["ISA", "GS"] and ids[-2:] == ["GE", "IEA"]
    assert ids.count("ISA") == ids.count("GS") == 1
    st_starts = [i for i, seg_id in enumerate(ids) if seg_id == "ST"]
    se_ends = [i for i, seg_id in enumerate(ids) if seg_id == "SE"]
    assert len(st_starts) == len(se_ends) == -(-count // per_st)
    for start, end in zip(st_starts, se_ends, strict=True):
        header, trailer = segments[start], segments[end]
        assert header[1:] == ["837", header[2], "005010X222A1"]
        assert int(trailer[1]) == end - start + 1, "SE01 counts ST..SE inclusive"
        assert trailer[2] == header[2]
        claims_here = ids[start:end].count("CLM")
        assert 1 <= claims_here <= per_st
        # HL01 restarts at 1 in every transaction and counts up; every parent is an earlier HL.
        hls = [segments[i] for i in range(start, end) if ids[i] == "HL"]
        assert [int(hl[1]) for hl in hls] == list(range(1, len(hls) + 1))
        assert hls[0][1:] == ["1", "", "20", "1"]
        levels = {hl[1]: hl[3] for hl in hls}
        for hl in hls[1:]:
            assert levels[hl[2]] == {"22": "20", "23": "22"}[hl[3]]
    assert len({segments[i][2] for i in st_starts}) == len(st_starts), "ST02 unique"
    gs, ge, isa, iea = segments[1], segments[-2], segments[0], segments[-1]
    assert gs[1] == "HC" and gs[8] == "005010X222A1"
    assert ge[1:] == [str(len(st_starts)), gs[6]]
    assert iea[1:] == ["1", isa[13]] and isa[13] == "000000042"
    assert ids.count("CLM") == count


def test_subscriber_relationship_depends_on_patient_loop() -> None:
    segments = split(build_837(random_claims(40, seed=8, patient_loop_share=0.5)))
    checked = 0
    for i, seg in enumerate(segments):
        if seg[0] == "HL" and seg[3] == "22":
            sbr = segments[i + 1]
            assert sbr[0] == "SBR" and sbr[1] == "P"
            assert sbr[2] == ("" if seg[4] == "1" else "18")
            assert (segments[i + 7][0:4] == ["HL", str(int(seg[1]) + 1), seg[1], "23"]) == (seg[4] == "1")
            checked += 1
    assert checked == 40


# --- layout ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("line_break", ["", "\n", "\r\n", "\r"])
def test_uniform_line_break_after_every_terminator(line_break: str) -> None:
    data = small_file(line_break=line_break)
    text = data.decode("latin-1")
    pieces = text.split("~")
    assert pieces[-1] == line_break, "the break also follows the IEA terminator"
    assert all(p.startswith(line_break) and not p[len(line_break):].startswith(("\r", "\n", " "))
               for p in pieces[1:])
    assert text.count("\n") + text.count("\r") == len(line_break) * (len(pieces) - 1)


def test_mixed_line_breaks_vary_and_never_indent() -> None:
    text = small_file(line_break="mixed").decode("latin-1")
    pieces = text.split("~")
    leads = [p[: len(p) - len(p.lstrip("\r\n"))] for p in pieces[1:]]
    assert set(leads) == {"", "\n", "\r\n", "\r"}
    assert leads[-1] == pieces[-1]
    assert not any(p.lstrip("\r\n").startswith((" ", "\t")) for p in pieces)


# --- balance and content ---------------------------------------------------------------------------


def test_every_claim_balances() -> None:
    segments = split(build_837(random_claims(300, seed=4, minutes_share=0.5)))
    claims = claims_of(segments)
    assert len(claims) == 300
    styles = set()
    for clm, lines in claims:
        charges = [sv1[2] for sv1 in lines]
        assert Decimal(clm[2]) == sum(Decimal(c) for c in charges), clm[1]
        decimal_style = any("." in c for c in charges)
        styles.add(decimal_style)
        if decimal_style:
            assert len(clm[2].split(".")[1]) == 2, clm
        else:
            assert "." not in clm[2], clm
    assert styles == {True, False}, "both total styles occur"


def test_explicit_total_is_written_verbatim() -> None:
    claim = ClaimSpec("T1", ("M542",), (LineSpec("97110", "40"), LineSpec("97112", "42")), total_charge="99")
    segments = split(build_837([claim]))
    assert claims_of(segments)[0][0][2] == "99"


charges = st.from_regex(r"[0-9]{1,5}(\.[0-9]{1,2})?", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(charges, min_size=1, max_size=50))
def test_default_total_is_the_sum_in_the_lines_style(amounts: list[str]) -> None:
    claim = ClaimSpec("H1", ("M542",), tuple(LineSpec("97110", a) for a in amounts))
    total = claim.default_total()
    assert Decimal(total) == sum(Decimal(a) for a in amounts)
    if any("." in a for a in amounts):
        assert len(total.split(".")[1]) == 2
    else:
        assert total.isdigit()


def test_random_claims_are_the_promised_mix() -> None:
    claims = list(random_claims(1000, seed=9, patient_loop_share=0.3, minutes_share=0.0))
    assert len({c.claim_id for c in claims}) == 1000
    assert all(c.claim_id.startswith("C") and c.claim_id[1:].isdigit() for c in claims)
    assert 250 <= sum(c.patient_loop for c in claims) <= 350
    procedures: Counter[str] = Counter()
    cmt_with_97140 = therapy_pair = 0
    for claim in claims:
        assert 1 <= len(claim.lines) <= 6
        assert set(claim.diagnoses) <= DIAGNOSES
        codes = {line.procedure for line in claim.lines}
        procedures.update(codes)
        for line in claim.lines:
            assert line.basis == "UN" and 1 <= int(line.units) <= 4
            assert 1 <= len(line.pointers) <= 4 and max(line.pointers) <= len(claim.diagnoses)
        if codes & {"98940", "98941", "98942"} and "97140" in codes:
            cmt_with_97140 += 1
        if {"97140", "97530"} <= codes:
            therapy_pair += 1
    assert set(procedures) == CODES
    assert cmt_with_97140 >= 50 and therapy_pair >= 50


def test_minutes_share_turns_timed_lines_into_minutes() -> None:
    lines = [line for c in random_claims(300, seed=9, minutes_share=1.0) for line in c.lines]
    for line in lines:
        if line.procedure in TIMED:
            assert line.basis == "MJ" and 5 <= int(line.units) <= 40
        else:
            assert line.basis == "UN" and line.units == "1"
    half = [line for c in random_claims(1000, seed=9, minutes_share=0.5) for line in c.lines
            if line.procedure in TIMED]
    assert 0.4 <= sum(line.basis == "MJ" for line in half) / len(half) <= 0.6


def test_data_is_synthetic() -> None:
    segments = split(build_837(random_claims(50, seed=6, patient_loop_share=0.5)))
    for seg in segments:
        if seg[0] == "NM1" and seg[1] in ("IL", "QC"):
            assert seg[3] in {"DOE", "ROE", "PUBLIC", "SAMPLE", "TESTER", "EXAMPLE", "PLACEHOLDER", "MOCK",
                              "DUMMY", "FAKE"}
        if seg[0] == "NM1" and seg[1] == "IL":
            assert seg[8:] == ["MI", seg[9]] and seg[9].startswith("MBR") and seg[9][3:].isdigit()


# --- determinism -----------------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    def make(seed: int) -> bytes:
        return build_837(random_claims(30, seed=seed, minutes_share=0.2), line_break="mixed", seed=seed)

    assert make(1) == make(1)
    assert make(1) != make(2)
    fixed = list(random_claims(5, seed=1))
    # The build seed alone changes the made-up people and the mixed breaks, not the claims.
    a, b = build_837(fixed, seed=1), build_837(fixed, seed=2)
    assert a != b and claims_of(split(a)) == claims_of(split(b))


# --- streaming -------------------------------------------------------------------------------------


class RecordingFile(io.RawIOBase):
    def __init__(self, progress: list[int]) -> None:
        self.sizes: list[int] = []
        self.claims_seen_at_write: list[int] = []
        self.progress = progress
        self.tail = b""

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.sizes.append(len(data))
        self.claims_seen_at_write.append(self.progress[0])
        self.tail = (self.tail + bytes(data))[-64:]
        return len(data)


def test_write_837_streams_in_bounded_batches() -> None:
    total = 20_000
    progress = [0]

    def counted() -> Iterator[ClaimSpec]:
        for claim in random_claims(total, seed=1):
            progress[0] += 1
            yield claim

    fp = RecordingFile(progress)
    write_837(fp, counted())  # type: ignore[arg-type]
    assert progress[0] == total
    assert len(fp.sizes) > 10
    assert max(fp.sizes) <= 1 << 20
    # Bytes leave before the claims run out: the file is never assembled in memory first.
    assert fp.claims_seen_at_write[0] < total // 10
    assert sum(fp.sizes) > 5 * (1 << 20)
    assert fp.tail.endswith(b"IEA*1*000000001~\n")


def test_build_837_equals_write_837() -> None:
    claims = list(random_claims(40, seed=12, patient_loop_share=0.5))
    out = io.BytesIO()
    write_837(out, claims, delimiters=PIPES, line_break="mixed", seed=3, bom=True)
    assert out.getvalue() == build_837(claims, delimiters=PIPES, line_break="mixed", seed=3, bom=True)


# --- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiters,line_break,reason", [
    (Delimiters(b"*", b"*", b"^", b"~"), "\n", "distinct"),
    (Delimiters(b"*", b"A", b"^", b"~"), "\n", "inside values"),
    (Delimiters(b"-", b":", b"^", b"~"), "\n", "inside values"),
    (Delimiters(b" ", b":", b"^", b"~"), "\n", "inside values"),
    (Delimiters(b"*", b":", b"^", b"~~"), "\n", "single bytes"),
    (Delimiters(b"*", b"\x1f", b"^", b"~"), "\n", "printable ASCII"),
    (Delimiters(b"*", b":", b"\x1c", b"~"), "\n", "printable ASCII"),
    (Delimiters(b"\n", b":", b"^", b"~"), "\n", "line break"),
    (Delimiters(b"*", b":", b"^", b"\r"), "\r\n", "itself a line break"),
    (Delimiters(b"*", b":", b"^", b"\n"), "mixed", "itself a line break"),
    (DEFAULT_DELIMITERS, "\n\n", "line_break"),
])
def test_layouts_that_would_not_read_back_are_refused_before_any_byte(
        delimiters: Delimiters, line_break: str, reason: str) -> None:
    out = io.BytesIO()
    with pytest.raises(ValueError, match=reason):
        write_837(out, random_claims(2), delimiters=delimiters, line_break=line_break)
    assert out.getvalue() == b""


def test_other_write_refusals() -> None:
    with pytest.raises(ValueError, match="at least one claim"):
        build_837([])
    with pytest.raises(ValueError, match="claims_per_transaction"):
        build_837(random_claims(1), claims_per_transaction=0)
    with pytest.raises(ValueError, match="interchange_control"):
        build_837(random_claims(1), interchange_control=10**9)
    with pytest.raises(ValueError, match="delimiter"):
        build_837([ClaimSpec("C*1", ("M542",), (LineSpec("97110", "40"),))])
    with pytest.raises(ValueError, match="delimiter"):
        build_837([ClaimSpec("C1", ("M542",), (LineSpec("97110", "40"),), payer_name="A|B")],
                  delimiters=PIPES)


@pytest.mark.parametrize("make", [
    lambda: LineSpec("97110", "40", modifiers=("59", "GP", "KX", "XS", "25")),
    lambda: LineSpec("97110", "40", modifiers=("591",)),
    lambda: LineSpec("97110", "40", pointers=(1, 2, 3, 4, 5)),
    lambda: LineSpec("97110", "40", pointers=()),
    lambda: LineSpec("97110", "40", basis="MN"),
    lambda: LineSpec("97110", "forty"),
    lambda: LineSpec("97110", "40.125"),
    lambda: LineSpec("97110", "40", units="-1"),
    lambda: LineSpec("97-110", "40"),
    lambda: LineSpec("97110", "40", service_date_end=date(2026, 3, 1)),
    lambda: LineSpec("97110", "40", rendering_npi="12345"),
    lambda: ClaimSpec("C1", (), (LineSpec("97110", "40"),)),
    lambda: ClaimSpec("C1", ("M542",) * 13, (LineSpec("97110", "40"),)),
    lambda: ClaimSpec("C1", ("M54.2",), (LineSpec("97110", "40"),)),
    lambda: ClaimSpec("C1", ("M542",), ()),
    lambda: ClaimSpec("C1", ("M542",), (LineSpec("97110", "40"),) * 51),
    lambda: ClaimSpec("C1", ("M542",), (LineSpec("97110", "40", pointers=(2,)),)),
    lambda: ClaimSpec(" C1", ("M542",), (LineSpec("97110", "40"),)),
    lambda: ClaimSpec("C1", ("M542",), (LineSpec("97110", "40"),), total_charge="1e3"),
    lambda: ClaimSpec("C1", ("M542",), (LineSpec("97110", "40"),), place_of_service="1"),
])
def test_specs_that_would_make_an_invalid_file_are_refused(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        make()


# --- command line ----------------------------------------------------------------------------------


def test_main_writes_the_same_file_as_the_api(tmp_path: Path) -> None:
    out = tmp_path / "gen.837"
    code = main(["--claims", "7", "--seed", "3", "--out", str(out), "--line-break", "crlf",
                 "--delimiters", "|>!\\x1e", "--patient-share", "0.5", "--minutes-share", "0.25"])
    assert code == 0
    expected = build_837(random_claims(7, seed=3, patient_loop_share=0.5, minutes_share=0.25),
                         delimiters=PIPES, line_break="\r\n", seed=3)
    assert out.read_bytes() == expected


def test_main_rejects_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--claims", "0"], ["--claims", "2", "--delimiters", "*:^"],
                 ["--claims", "2", "--patient-share", "1.5"], ["--claims", "2", "--delimiters", "**^~"]):
        with pytest.raises(SystemExit) as exc:
            main([*argv, "--out", str(tmp_path / "x.837")])
        assert exc.value.code == 2
    assert "distinct" in capsys.readouterr().err
    assert not (tmp_path / "x.837").exists(), "a refused run leaves no file behind"


@pytest.mark.slow
def test_module_runs_as_a_script(tmp_path: Path) -> None:
    out = tmp_path / "cli.837"
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-m", "edi837.testing.generator", "--claims", "3", "--seed", "1",
                             "--out", str(out), "--line-break", "none"],
                            cwd=root, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == build_837(random_claims(3, seed=1), line_break="", seed=1)
