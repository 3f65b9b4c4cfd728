"""The claim shapes practice systems export (../shared/CLAIM-SHAPES.md), beyond the per-rule fixture cases.

- a property over generated claims with random provider-loop layouts, frequency codes and secondary-claim
  loops: no adjudicated line is ever edited, no void ever changes, no modifier is added to a line whose
  regions are unknown;
- pointers and line numbers that cannot be read never crash a run;
- the summary says which claims were left alone, and why.
The checks read the files independently of edi837's walker (split on the delimiters).
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi837.packs import load_packs
from edi837.pipeline import FixOptions, fix
from edi837.report.summary import summary_json, summary_text
from edi837.testing.generator import ClaimSpec, LineSpec, build_837, random_claims
from tests.helpers import FIXTURES

PACKS = load_packs()


def claims_of(data: bytes) -> dict[str, list[list[str]]]:
    """Each claim's segments (element lists), by CLM01: from CLM up to the next HL, CLM or SE."""
    claims: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for text in data.decode("latin-1").split("~"):
        elements = text.strip("\r\n").split("*")
        if elements[0] == "CLM":
            current = claims.setdefault(elements[1], [])
        elif elements[0] in ("HL", "SE", "GE", "IEA"):
            current = None
        if current is not None:
            current.append(elements)
    return claims


def service_lines(segments: list[list[str]]) -> list[list[list[str]]]:
    """A claim's 2400 loops: from each LX up to the next LX."""
    lines: list[list[list[str]]] = []
    for elements in segments:
        if elements[0] == "LX":
            lines.append([])
        if lines:
            lines[-1].append(elements)
    return lines


def sv1(line: list[list[str]]) -> list[str]:
    return next(e for e in line if e[0] == "SV1")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), minutes=st.sampled_from([0.0, 0.5, 1.0]))
def test_history_and_unknown_regions_are_never_edited(seed: int, minutes: float) -> None:
    specs = list(random_claims(12, seed=seed, minutes_share=minutes, shapes=True))
    data = build_837(specs, seed=seed)
    result = fix(data, FixOptions(validate=False))
    assert result.output is not None
    before, after = claims_of(data), claims_of(result.output)
    for spec in specs:
        old, new = before[spec.claim_id], after[spec.claim_id]
        if spec.frequency == "8":
            assert new == old, f"void {spec.claim_id} changed"
            continue
        old_lines, new_lines = service_lines(old), service_lines(new)
        claim_level_paid = any(o.paid is not None for o in spec.other_payers) and not any(
            line.adjudications for line in spec.lines)
        for line_spec, old_line in zip(spec.lines, old_lines, strict=True):
            if line_spec.adjudications or claim_level_paid:
                # the adjudicated 2400 loop is still there, byte for byte (it may only move up an LX number)
                assert any(old_line[1:] == new_line[1:] for new_line in new_lines), \
                    f"{spec.claim_id}: adjudicated line {old_line[0]} changed"
        if spec.other_payers and any(o.paid is not None for o in spec.other_payers):
            assert new[0][2] == old[0][2], f"{spec.claim_id}: CLM02 moved on a claim a prior payer paid"
    for record in result.records:
        if record.rule == "NC001" and record.applied:
            spec = next(s for s in specs if s.claim_id == record.claim_id)
            line = spec.lines[record.line_number - 1] if record.line_number else None
            assert line is not None
            regions = [PACKS.region_of(spec.diagnoses[p - 1]) for p in line.pointers]
            assert any(known and region not in (None, "no_site") for region, known in regions), \
                f"{record.claim_id}: modifier on a line of unknown region"


def test_the_generated_shapes_cover_what_the_property_is_about() -> None:
    """The property above is only worth something if the generator makes the shapes it guards."""
    specs = list(random_claims(400, seed=11, minutes_share=0.5, shapes=True))
    assert {s.frequency for s in specs} == {"1", "7", "8"}
    assert any(line.adjudications for s in specs for line in s.lines)
    assert any(s.other_payers and not any(x.adjudications for x in s.lines) for s in specs)
    assert any([p.role for p in s.providers][:2] == ["referring", "rendering"] for s in specs)
    assert any(line.providers for s in specs for line in s.lines)
    # NC002's 59 applies only for a practice that attests separate time blocks (the fixture pack does)
    attest = FIXTURES / "rules" / "NC002" / "packs" / "nc002_attest"
    result = fix(build_837(specs, seed=11), FixOptions(validate=False, rules_dir=attest))
    rules = {r.rule for r in result.records if r.applied}
    assert {"NC001", "NC002", "TU001"} <= rules


def _one_claim(pointers: bytes) -> bytes:
    data = build_837([ClaimSpec("PTR-X", ("M9903", "M25511"), (
        LineSpec("98940", "45", pointers=(1,)),
        LineSpec("97140", "40", pointers=(2,)),
    ))])
    return data.replace(b"SV1*HC:97140*40*UN*1***2~", b"SV1*HC:97140*40*UN*1***" + pointers + b"~")


def test_pointers_that_are_not_small_numbers_make_the_line_unknown_never_a_crash() -> None:
    for pointers in (b"1:2:3:4:2", b"A", b"0", b"13", b"2:", b"\xb2", b""):
        data = _one_claim(pointers)
        result = fix(data, FixOptions(validate=False))
        assert result.output == data, pointers[:20]
        (record,) = [r for r in result.records if r.rule == "NC001"]
        assert not record.applied and record.action == "review", pointers[:20]


def test_numbers_longer_than_their_elements_allow_are_refused_not_a_crash() -> None:
    """LX01 is N0 of at most 6 digits and an SV107 pointer of at most 2 (5010): past that the file is broken,
    however many digits (even past Python's integer-conversion limit)."""
    import pytest

    from edi837.errors import InputRefused

    data = build_837([ClaimSpec("LX-BIG", ("M5450",), (LineSpec("97110", "76", units="30", basis="MJ"),))])
    for old, new, words in ((b"LX*1~", b"LX*" + b"7" * 5000 + b"~", "LX01 is not a usable line number"),
                            (b"***1~", b"***1:" + b"9" * 5000 + b"~", "SV107 diagnosis pointer is not a usable")):
        with pytest.raises(InputRefused, match=words):
            fix(data.replace(old, new), FixOptions(validate=False))


def test_the_summary_names_void_and_unknown_frequency_claims() -> None:
    claims = [
        ClaimSpec("VOID-A", ("M5450",), (LineSpec("97110", "76", units="30", basis="MJ"),), frequency="8",
                  original_reference="PAYER1"),
        ClaimSpec("VOID-B", ("M5450",), (LineSpec("97110", "76"),), frequency="8", original_reference="PAYER2"),
        ClaimSpec("ODD-6", ("M5450",), (LineSpec("97110", "76"),), frequency="6"),
        ClaimSpec("PLAIN", ("M5450",), (LineSpec("97110", "76"),)),
    ]
    result = fix(build_837(claims), FixOptions(validate=False))
    text = summary_text(result, output="out.837", changelog=None)
    assert "2 void claims (CLM05-3 = 8) left as sent" in text and "VOID-A, VOID-B" in text
    assert "1 claim with a frequency code the 837P does not use" in text and "ODD-6" in text
    data = json.loads(summary_json(result, output="out.837", changelog=None))
    assert data["left_alone"]["void"] == {"claims": 2, "claim_ids": ["VOID-A", "VOID-B"]}
    assert result.exit_code == 1  # the unknown code is a review item; the voids alone are not


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), taxonomy=st.sampled_from(["111N00000X", "225100000X", None]))
def test_no_line_ever_carries_gy_beside_59_or_an_x_modifier(seed: int, taxonomy: str | None) -> None:
    """GY says not covered; 59/X says payable beside another service: never both on one line after a run
    (the generated mix has Medicare claims, chiropractic and therapy visits, and 59/X already on 97140)."""
    specs = list(random_claims(15, seed=seed, minutes_share=0.3, shapes=True))
    result = fix(build_837(specs, seed=seed, billing_taxonomy=taxonomy), FixOptions(validate=False))
    assert result.output is not None
    for claim_id, segments in claims_of(result.output).items():
        for line in service_lines(segments):
            modifiers = set(sv1(line)[1].split(":")[2:6])
            assert not ("GY" in modifiers and modifiers & {"59", "XE", "XP", "XS", "XU"}), (claim_id, sv1(line))


def test_the_summary_counts_medicare_claims_without_a_taxonomy() -> None:
    medicare = {"payer_id": "MCR01", "payer_name": "MEDICARE", "claim_filing": "MB"}
    claims = [ClaimSpec("NOTAX-1", ("M25511",), (LineSpec("97140", "40"),), **medicare),
              ClaimSpec("NOTAX-2", ("M25511",), (LineSpec("97110", "38"),), **medicare),
              ClaimSpec("COMM-1", ("M25511",), (LineSpec("97110", "38"),))]
    result = fix(build_837(claims, billing_taxonomy=None), FixOptions(validate=False))
    text = summary_text(result, output="out.837", changelog=None)
    assert "2 Medicare claims without a taxonomy (PRV) for the performing provider" in text
    notes = json.loads(summary_json(result, output="out.837", changelog=None))["notes"]
    assert notes["medicare-claim-without-taxonomy"] == 2
