"""The hold split: two valid 837P files, every claim in exactly one of them, each with all its segments.

The expected claim ids and amounts are worked out by hand from the claims below: a 98940 + 97140 claim
whose diagnoses are all M99.01 (cervical) is an NC001 review item (97140 on the manipulated region), so
`--hold review` holds it; a 99213 claim has no finding; a 98940 + 97140 claim with M99.03 (lumbar) and
M25.511 (shoulder) gets a safe 59 (NC001), so it is delivered fixed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from edi837.pipeline import FixOptions, fix
from edi837.testing.generator import ClaimSpec, LineSpec, build_837
from edi837.writer import edits
from edi837.writer.edits import AppendModifier
from tests.helpers import pyx12_errors
from tests.rules_for_tests import ScriptedRule

REVIEW = frozenset({"review"})
OTHER_PROVIDER = "1000000004"


def review(cid: str, **kw: object) -> ClaimSpec:  # 85.00, held for review
    return ClaimSpec(cid, ("M9901",), (LineSpec("98940", "45"), LineSpec("97140", "40")), **kw)  # type: ignore[arg-type]


def clean(cid: str, **kw: object) -> ClaimSpec:  # 95.00, no finding
    # A visit the day after the CMT claims: on their date, the same subscriber's visit would be billed beside
    # CMT across claims (NCCI's unit of edit is the patient, provider and date), EM001's review item.
    return ClaimSpec(cid, ("M542",), (LineSpec("99213", "95", service_date=date(2026, 3, 3)),),  # type: ignore[arg-type]
                     **kw)


def fixable(cid: str, **kw: object) -> ClaimSpec:  # 85.00, 59 appended to 97140
    return ClaimSpec(cid, ("M9903", "M25511"), (LineSpec("98940", "45", pointers=(1,)),  # type: ignore[arg-type]
                                                LineSpec("97140", "40", pointers=(2,))), **kw)


def mixed_file(**layout: object) -> bytes:
    """Two transactions; the first has two billing providers, shared subscribers with and without patient loops."""
    claims = [
        clean("A1", subscriber="S1"), review("A2", subscriber="S1"),
        fixable("A3", subscriber="S2", patient_loop=True), review("A4", subscriber="S2", patient_loop=True),
        review("B1", billing_provider=OTHER_PROVIDER), clean("B2", billing_provider=OTHER_PROVIDER),
        review("C1", subscriber="S3"), review("C2", subscriber="S3"), clean("C3"),
    ]
    return build_837(claims, claims_per_transaction=6, **layout)  # type: ignore[arg-type]


# -- an independent reader: segments, HL tree and counts, and each claim with the loops above it -----------

def segments(data: bytes) -> list[list[str]]:
    text = data.decode("latin-1").lstrip("\ufeff").removeprefix("\xef\xbb\xbf")
    term = text[105]
    return [s.strip().split("*") for s in text.split(term) if s.strip()]


def check_envelope(data: bytes) -> None:
    """HL01 1..n per transaction, HL02 an earlier HL of the level above, HL04 1 exactly when a child follows,
    SE01/GE01/IEA01 counted."""
    segs = segments(data)
    st_start = groups = transactions = 0
    hl: dict[str, str] = {}
    children: dict[str, int] = {}
    declared: dict[str, str] = {}
    for i, seg in enumerate(segs):
        sid = seg[0]
        if sid == "ISA":
            groups = 0
        elif sid == "GS":
            transactions, groups = 0, groups + 1
        elif sid == "ST":
            st_start, hl, children, declared = i, {}, {}, {}
            transactions += 1
        elif sid == "HL":
            assert seg[1] == str(len(hl) + 1), seg
            parent_level = {"20": None, "22": "20", "23": "22"}[seg[3]]
            assert (hl.get(seg[2]) if seg[2] else None) == parent_level, seg
            hl[seg[1]] = seg[3]
            declared[seg[1]] = seg[4]
            if seg[2]:
                children[seg[2]] = children.get(seg[2], 0) + 1
        elif sid == "SE":
            assert seg[1] == str(i - st_start + 1)
            assert {k: v for k, v in declared.items()} == {k: "1" if children.get(k) else "0" for k in declared}
        elif sid == "GE":
            assert seg[1] == str(transactions)
        elif sid == "IEA":
            assert seg[1] == str(groups)


def claims_in_context(data: bytes) -> dict[str, tuple[str, ...]]:
    """Each claim id -> its transaction header, billing provider, subscriber and patient segments (HL
    numbers left out: the split renumbers them) and its own segments, all as text."""
    result: dict[str, tuple[str, ...]] = {}
    loops: dict[str, list[str]] = {"ST": [], "20": [], "22": [], "23": []}
    current: str | None = None
    for seg in segments(data):
        sid = seg[0]
        text = "*".join(seg)
        if sid in ("ST", "HL", "SE", "GE", "IEA", "GS", "ISA"):
            current = None
        if sid == "ST":
            loops = {"ST": [text], "20": [], "22": [], "23": []}
        elif sid == "HL":
            level = seg[3]
            loops[level] = [f"HL level {level}"]
            for deeper in {"20": ("22", "23"), "22": ("23",), "23": ()}[level]:
                loops[deeper] = []
        elif sid == "CLM":
            current = seg[1]
            result[current] = (*loops["ST"], *loops["20"], *loops["22"], *loops["23"], text)
        elif current is not None:
            result[current] = (*result[current], text)
        elif sid not in ("SE", "GE", "IEA", "GS", "ISA"):
            deepest = next(k for k in ("23", "22", "20", "ST") if loops[k])
            loops[deepest].append(text)
    return result


def assert_remerges(data: bytes, delivered: bytes, held: bytes, plain: bytes, held_ids: list[str]) -> None:
    """Every claim is in exactly one file: a held one with the loops and bytes it arrived with, a delivered
    one exactly as the run without a hold writes it."""
    original, fixed = claims_in_context(data), claims_in_context(plain)
    got_delivered, got_held = claims_in_context(delivered), claims_in_context(held)
    assert sorted(got_held) == sorted(held_ids)
    assert sorted(got_delivered) == sorted(set(original) - set(held_ids))
    for cid in held_ids:
        assert got_held[cid] == original[cid], cid
    for cid in got_delivered:
        assert got_delivered[cid] == fixed[cid], cid


def test_some_claims_held_across_providers_subscribers_and_transactions() -> None:
    data = mixed_file()
    result = fix(data, FixOptions(hold=REVIEW, validate=False))
    plain = fix(data, FixOptions(validate=False)).output
    assert result.output is not None and result.held_output is not None and plain is not None
    held_ids = ["A2", "A4", "B1", "C1", "C2"]
    assert [h.claim_id for h in result.held] == held_ids
    assert_remerges(data, result.output, result.held_output, plain, held_ids)
    check_envelope(result.output)
    check_envelope(result.held_output)
    # 5 held x 85.00; delivered A1 95 + A3 85 + B2 95 + C3 95; nothing changes a charge
    assert (result.amount_held, result.amount_delivered, result.amount_in) == (Decimal(425), Decimal(370),
                                                                             Decimal(795))
    assert (result.delivered_claims, result.changed_claims, result.exit_code) == (4, 1, 1)
    # The first transaction's HL tree, counted by hand: delivered keeps A1 (S1), A3 (S2's patient), B2
    # (second provider); the held file A2 (S1), A4 (S2's patient), B1 (second provider).
    hls = [s for s in segments(result.output) if s[0] == "HL"][:6]
    assert ["*".join(s) for s in hls] == ["HL*1**20*1", "HL*2*1*22*0", "HL*3*1*22*1", "HL*4*3*23*0",
                                         "HL*5**20*1", "HL*6*5*22*0"]
    # The second transaction keeps only C3 in delivered and C1, C2 (one subscriber) in held.
    second = result.held_output.split(b"ST*837*0002")[1]
    assert re.findall(rb"HL\*[^~]*", second) == [b"HL*1**20*1", b"HL*2*1*22*0"]


@pytest.mark.slow
def test_both_files_pass_pyx12() -> None:
    data = mixed_file(line_break="\r\n")
    result = fix(data, FixOptions(hold=REVIEW))  # the gate validates both files
    assert result.validated and not result.warnings
    assert result.output is not None and result.held_output is not None
    assert pyx12_errors(result.output) == [] and pyx12_errors(result.held_output) == []


def test_nothing_held_gives_the_plain_output_and_no_held_bytes() -> None:
    data = build_837([clean("N1", subscriber="S1"), fixable("N2", subscriber="S1"), clean("N3")], bom=True,
                     line_break="\r\n")
    result = fix(data, FixOptions(hold=REVIEW, validate=False))
    assert result.output == fix(data, FixOptions(validate=False)).output
    assert result.held_output == b"" and result.held == [] and result.exit_code == 0


def test_everything_held_gives_the_input_itself_as_the_held_file() -> None:
    data = build_837([review("H1", subscriber="S1"), review("H2", subscriber="S1", ),
                      review("H3", billing_provider=OTHER_PROVIDER)], claims_per_transaction=2, bom=True,
                     line_break="mixed", seed=3) + b"\r\n"
    result = fix(data, FixOptions(hold=REVIEW, validate=False))
    assert result.held_output == data  # BOM, line breaks and the text after IEA included
    assert result.output == b"" and result.delivered_claims == 0 and result.bytes_out == 0
    assert result.amount_held == Decimal(255) and result.amount_delivered == 0


def test_one_claim_held_of_many() -> None:
    claims = [clean(f"K{i}", subscriber=f"S{i // 2}") for i in range(7)]
    claims[3] = review("K3", subscriber="S1")  # shares S1 with K2
    data = build_837(claims, claims_per_transaction=3)
    result = fix(data, FixOptions(hold=REVIEW, validate=False))
    assert result.output is not None and result.held_output is not None
    assert_remerges(data, result.output, result.held_output, data, ["K3"])
    check_envelope(result.output)
    check_envelope(result.held_output)
    held = segments(result.held_output)
    assert [s[0] for s in held if s[0] in ("ST", "HL", "CLM", "SE", "GE", "IEA")] == [
        "ST", "HL", "HL", "CLM", "SE", "GE", "IEA"]  # the transaction of K3 only, its provider and subscriber
    assert ["*".join(s) for s in held if s[0] == "GE"] == ["GE*1*1"]
    assert ["*".join(s) for s in held if s[0] == "ST"] == ["ST*837*0002*005010X222A1"]


def test_held_claims_records_say_not_applied_and_give_reasons() -> None:
    """A held claim's fixes are not in either file: its records say so, and EDI003 says why it was held."""
    data = build_837([ClaimSpec("R1", ("M9901", "M25511"), (LineSpec("98940", "45", pointers=(1,)),
                                                           LineSpec("97140", "40", pointers=(1,)),
                                                           LineSpec("97140", "40", pointers=(2,))))])
    result = fix(data, FixOptions(hold=REVIEW, validate=False))
    rules = [(r.rule, r.line_number, r.action, r.applied) for r in result.records]
    # line 2: 97140 on the manipulated region (review); line 3: shoulder, 59 appended, but the claim is held
    assert rules == [("NC001", 2, "review", False), ("NC001", 3, "append_modifier", False),
                     ("EDI003", None, "review", False)]
    assert result.records[1].message.endswith("(not applied: the claim is held for a person)")
    assert result.records[2].message == ("claim held for a person, as it arrived, in the held file: "
                                         "review: NC001 line 2")
    assert result.held_output == data and result.changed_claims == 0 and result.applied_count == 0


@pytest.mark.slow
def test_invalid_hold_holds_a_claim_with_an_error_already_in_the_input() -> None:
    data = build_837([clean("V1"), clean("V2"), fixable("V3")], line_break="")
    data = data.replace(b"CLM*V2*95***11:B:1*Y*A*Y*Y~HI*ABK:M542~LX*1~SV1*HC:99213*95*UN",
                        b"CLM*V2*95***11:B:1*Y*A*Y*Y~HI*ABK:M542~LX*1~SV1*HC:99213*95*ZZ")
    assert b"95*ZZ" in data
    result = fix(data, FixOptions(hold=frozenset({"invalid"})))
    assert [h.claim_id for h in result.held] == ["V2"]
    assert result.held[0].hold_reasons == (
        "invalid: validation error already in the input (SV1 SV103: invalid code value (Unit or Basis for "
        "Measurement Code) [7])",)
    assert result.output is not None and b"V2" not in result.output and b"HC:97140:59" in result.output
    assert result.warnings == [] and result.exit_code == 1
    assert pyx12_errors(result.output) == []


@pytest.mark.slow
def test_invalid_hold_holds_a_claim_whose_fix_would_make_it_invalid(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate's second line of defence: a value the writer's check let through (switched off here) makes
    pyx12 reject one claim; without a hold the whole file is refused, with `--hold invalid` that claim is
    held as it arrived and the others are delivered."""
    monkeypatch.setattr(edits, "check_value", lambda *args: None)
    rule = ScriptedRule({"W2": (AppendModifier(1, "5"),), "W3": (AppendModifier(1, "GP"),)})
    data = build_837([clean("W1"), clean("W2"), clean("W3")])
    result = fix(data, FixOptions(ignore=("ALL",), extra_rules=(rule,), hold=frozenset({"invalid"})))
    assert [h.claim_id for h in result.held] == ["W2"]
    assert result.held[0].hold_reasons[0].startswith("invalid: its fixes would introduce a validation error "
                                                     "(SV1 SV101-3: value too short")
    assert result.output is not None and b"HC:99213:GP*95" in result.output and b"W2" not in result.output
    assert result.held_output is not None and b"CLM*W2" in result.held_output and b":5*" not in result.held_output
    records = [(r.claim_id, r.rule, r.applied) for r in result.records]
    assert records == [("W2", "TST001", False), ("W2", "EDI003", False), ("W3", "TST001", True)]


# -- shapes from the split's audit ------------------------------------------------------------------------

def recount(data: bytes) -> bytes:
    """SE01 set to the segments of the (one, '~'-terminated, no line breaks) transaction after a hand edit."""
    st, se = data.index(b"~ST*") + 1, data.index(b"~SE*") + 1
    return data[:se] + re.sub(rb"^SE\*\d+", b"SE*%d" % (data[st:se].count(b"~") + 1), data[se:])


def interchange(claim: ClaimSpec, control: int) -> bytes:
    """One interchange with a line break after every segment."""
    return build_837([claim], line_break="\r\n", interchange_control=control, seed=control)


@pytest.mark.slow
@pytest.mark.parametrize("held_first", [True, False])
def test_each_file_starts_with_its_isa_when_a_whole_interchange_is_held(held_first: bool) -> None:
    """An ISA is fixed-width from byte 0: the line break that preceded the second ISA in the input must not
    become the first bytes of a file (pyx12 rejects that, and the gate refused the whole run)."""
    first, second = (review("I1"), clean("I2")) if held_first else (clean("I1"), review("I2"))
    one, two = interchange(first, 1), interchange(second, 2)
    data = one + two  # the line break after the first IEA is the lead of the second ISA
    result = fix(data, FixOptions(hold=REVIEW))  # the gate validates both files
    assert result.output is not None and result.held_output is not None
    assert result.output.startswith(b"ISA*") and result.held_output.startswith(b"ISA*")
    assert [h.claim_id for h in result.held] == ["I1" if held_first else "I2"]
    assert pyx12_errors(result.output) == [] and pyx12_errors(result.held_output) == []
    # otherwise each file is its interchange as it came (the clean claim has nothing to fix)
    held_one, kept_one = (one, two) if held_first else (two, one)
    assert result.held_output.rstrip() == held_one.rstrip() and result.output.rstrip() == kept_one.rstrip()


@pytest.mark.slow
def test_a_segment_missing_at_a_claims_end_holds_that_claim_only() -> None:
    """pyx12 reports a mandatory DTP missing from a claim's last line at the next HL: the claim before it is
    held, not the subscriber loop that begins there (which would move the error on, loop after loop)."""
    claims = [clean(f"M{i}") for i in range(4)]
    data = build_837(claims, line_break="")
    start = data.index(b"CLM*M1*")
    dtp = data.index(b"DTP*472*", start)
    data = recount(data[:dtp] + data[data.index(b"~", dtp) + 1:])  # M1's only line loses its service date
    result = fix(data, FixOptions(hold=frozenset({"invalid"})))
    assert [h.claim_id for h in result.held] == ["M1"]
    assert result.held[0].hold_reasons == (
        'invalid: validation error already in the input (DTP: mandatory segment DTP ("Date - Service Date") '
        "missing [3])",)
    assert result.delivered_claims == 3 and result.output is not None and pyx12_errors(result.output) == []


def test_a_file_without_claims_goes_through_as_without_a_hold() -> None:
    data = build_837([clean("Z1")], line_break="")
    start, end = data.index(b"HL*1*"), data.index(b"~SE*") + 1
    data = recount(data[:start] + data[end:])  # the transaction's header only: no billing provider, no claim
    plain = fix(data, FixOptions(validate=False))
    held = fix(data, FixOptions(hold=REVIEW | {"invalid"}, validate=False))
    assert plain.output == data  # nothing to fix: the input itself
    assert held.output == data and held.held_output == b"" and not held.nothing_delivered


def test_hl_numbers_with_gaps_stay_when_nothing_moves_and_close_up_when_claims_do() -> None:
    data = build_837([clean("G1", subscriber="S1"), review("G2", subscriber="S1"), clean("G3")], line_break="")
    # HL 1, 2, 3 -> 1, 5, 9: a gap the input already has (pyx12 reports it either way)
    data = data.replace(b"HL*2*1*22", b"HL*5*1*22").replace(b"HL*3*1*22", b"HL*9*1*22")
    quiet = FixOptions(validate=False, ignore=("NC001",))  # G2's review item off: nothing to hold
    plain = fix(data, quiet).output
    nothing = fix(data, FixOptions(hold=REVIEW, validate=False, ignore=("NC001",)))
    assert nothing.output == plain == data and nothing.held == []
    every = build_837([review("G1", subscriber="S1"), review("G2", subscriber="S1"), review("G3")], line_break="")
    every = every.replace(b"HL*2*1*22", b"HL*5*1*22").replace(b"HL*3*1*22", b"HL*9*1*22")
    assert fix(every, FixOptions(hold=REVIEW, validate=False)).held_output == every
    split = fix(data, FixOptions(hold=REVIEW, validate=False))  # G2 held: S1 stays with G1 in both files
    assert split.output is not None and split.held_output is not None
    assert re.findall(rb"HL\*[^~]*", split.output) == [b"HL*1**20*1", b"HL*5*1*22*0", b"HL*9*1*22*0"]
    assert re.findall(rb"HL\*[^~]*", split.held_output) == [b"HL*1**20*1", b"HL*5*1*22*0"]


def test_a_billing_provider_without_claims_stays_in_the_delivered_file() -> None:
    data = build_837([clean("P1"), review("P2", billing_provider=OTHER_PROVIDER)], line_break="")
    loop = b"HL*3**20*1~PRV*BI*PXC*111N00000X~NM1*85*2*EMPTY PROVIDER*****XX*1000000012~"
    data = recount(data.replace(b"HL*4*3*22", b"HL*5*4*22").replace(b"HL*3**20*1~", loop + b"HL*4**20*1~"))
    result = fix(data, FixOptions(hold=REVIEW, validate=False))
    assert [h.claim_id for h in result.held] == ["P2"]
    assert result.output is not None and b"EMPTY PROVIDER" in result.output
    assert result.held_output is not None and b"EMPTY PROVIDER" not in result.held_output


# -- the CLI and the hook --------------------------------------------------------------------------------

def test_cli_hold_writes_both_files_exits_1_and_says_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from edi837.cli.app import main

    src, out = tmp_path / "in.837", tmp_path / "out.837"
    src.write_bytes(mixed_file())
    assert main([str(src), str(out), "--hold", "review", "--no-validate"]) == 1
    printed = capsys.readouterr().out
    assert f"held 5 claims ($425.00) for a person in {out}.held.837; delivered 4 claims ($370.00) in {out}" in printed
    assert claims_in_context(Path(f"{out}.held.837").read_bytes()).keys() == {"A2", "A4", "B1", "C1", "C2"}
    log = [json.loads(line) for line in Path(f"{out}.changes.jsonl").read_text().splitlines()]
    assert [r["claim_id"] for r in log if r["rule"] == "EDI003"] == ["A2", "A4", "B1", "C1", "C2"]
    # Everything held next time: nothing is delivered, and the OUT of the earlier run does not stay behind.
    src.write_bytes(build_837([review("Z1"), review("Z2")]))
    assert main([str(src), str(out), "--hold", "review", "--held", str(tmp_path / "h.837"), "--no-validate"]) == 1
    assert "held all 2 claims ($170.00) for a person in" in capsys.readouterr().out
    assert not out.exists() and (tmp_path / "h.837").read_bytes() == src.read_bytes()
    # Nothing held: no held file, and the one an earlier run left at that path stays as it was (issue 20).
    held_before = (tmp_path / "h.837").read_bytes()
    src.write_bytes(build_837([clean("Y1")]))
    assert main([str(src), str(out), "--hold", "review", "--held", str(tmp_path / "h.837"), "--no-validate"]) == 0
    assert out.read_bytes() == src.read_bytes() and (tmp_path / "h.837").read_bytes() == held_before
    assert not (tmp_path / "h-2.837").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--hold", "revew"], "--hold revew: one of review, invalid (repeatable), or none"),
    (["--hold", "invalid", "--no-validate"], "--hold invalid needs the validation gate; drop --no-validate"),
    (["--held", "h.837"], "--held PATH goes with --hold review|invalid"),
])
def test_cli_hold_usage_is_one_line_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       args: list[str], message: str) -> None:
    from edi837.cli.app import main

    src = tmp_path / "in.837"
    src.write_bytes(build_837([review("U1")]))
    assert main([str(src), str(tmp_path / "out.837"), *args]) == 2
    assert capsys.readouterr().err.strip().endswith(message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837"]


def test_hook_hold_keeps_the_rest_in_place_and_writes_a_report(tmp_path: Path) -> None:
    from edi837.delivery.hook import fix_in_place

    target = tmp_path / "batch.837"
    target.write_bytes(mixed_file())
    code = fix_in_place(target, changelog=None, as_json=False, options=FixOptions(hold=REVIEW, validate=False),
                        report=tmp_path / "batch.html")
    assert code == 1
    assert sorted(claims_in_context(target.read_bytes())) == ["A1", "A3", "B2", "C3"]
    assert sorted(claims_in_context(Path(f"{target}.held.837").read_bytes())) == ["A2", "A4", "B1", "C1", "C2"]
    assert b"held" in (tmp_path / "batch.html").read_bytes()


@pytest.mark.slow
def test_watcher_holds_review_and_invalid_claims_by_default(folders: tuple[Path, Path]) -> None:
    """A batch of a clean, a fixed, a review and an invalid claim, through a real watcher process with the
    gate on: READY gets the clean and the fixed one, held/ the other two as they arrived, with a report."""
    from tests.watch_helpers import outcomes

    outbound, ready = folders
    data = build_837([clean("E1"), fixable("E2"), review("E3"), clean("E4")], line_break="")
    data = data.replace(b"CLM*E4*95***11:B:1*Y*A*Y*Y~HI*ABK:M542~LX*1~SV1*HC:99213*95*UN",
                        b"CLM*E4*95***11:B:1*Y*A*Y*Y~HI*ABK:M542~LX*1~SV1*HC:99213*95*ZZ")
    (outbound / "day.837").write_bytes(data)
    proc = subprocess.run([sys.executable, "-m", "edi837", "watch", str(outbound), "--to", str(ready), "--once",
                           "--settle", "0"], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    assert outcomes(proc) == {"day.837": "held"}
    delivered, held = (ready / "day.837").read_bytes(), (outbound / "held" / "day.837").read_bytes()
    assert sorted(claims_in_context(delivered)) == ["E1", "E2"] and b"HC:97140:59" in delivered
    original = claims_in_context(data)
    assert {cid: original[cid] for cid in ("E3", "E4")} == claims_in_context(held)
    assert pyx12_errors(delivered) == []
    log = [json.loads(line) for line in (outbound / "logs" / "day.837.changes.jsonl").read_text().splitlines()]
    reasons = {r["claim_id"]: r["message"] for r in log if r["rule"] == "EDI003"}
    assert reasons["E3"].endswith("review: NC001 line 2")
    assert "invalid: validation error already in the input (SV1 SV103: invalid code value" in reasons["E4"]
    report = (outbound / "held" / "day.837.report.html").read_text()
    assert "E3" in report and "E4" in report
    assert sorted(p.name for p in outbound.iterdir() if not p.name.startswith(".")) == [
        "archive", "held", "logs", "rejected"]


def test_hook_everything_held_never_removes_a_file_rewritten_meanwhile(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything held: the hook removes FILE once the held file is committed. A FILE the client wrote again
    in the moment between (while the held file and change log were fsynced) must not be removed."""
    from edi837.delivery.hook import fix_in_place
    from edi837.files import atomic

    target = tmp_path / "batch.837"
    data = build_837([review("E1"), review("E2")])
    target.write_bytes(data)
    real = atomic.fsync_directory
    rewritten = build_837([clean("N1")])

    def rewrite_once(folder: Path) -> None:
        if target.read_bytes() == data:
            target.write_bytes(rewritten)  # the client, meanwhile
        real(folder)

    monkeypatch.setattr(atomic, "fsync_directory", rewrite_once)
    code = fix_in_place(target, changelog=None, as_json=False, options=FixOptions(hold=REVIEW, validate=False))
    assert code == 2
    assert target.read_bytes() == rewritten
