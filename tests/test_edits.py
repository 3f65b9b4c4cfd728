"""Edit API and writer: each edit changes exactly its element; derived values (CLM02, LX01, SE01) follow.

Expected segments are written by hand from `fixtures/walker_loops.837`.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from edi837.errors import ValueRefused
from edi837.model.claim import Claim
from edi837.pipeline import FixOptions, Sinks, fix
from edi837.writer.edits import AppendModifier, ClaimEditor, Edit, EditRejected, RemoveLine, SetCharge, SetUnits
from tests.helpers import FIXTURES, pyx12_errors, segments_of
from tests.rules_for_tests import ScriptedRule

DATA = (FIXTURES / "walker_loops.837").read_bytes()


def run_edits(edits: dict[str, tuple[Edit, ...]], data: bytes = DATA) -> tuple[bytes, list[bytes], object]:
    options = FixOptions(ignore=("ALL",), extra_rules=(ScriptedRule(edits),), validate=False)
    result = fix(data, options, Sinks(collect_diff=True))
    assert result.output is not None
    return result.output, segments_of(result.output), result


def changed_segments(before: bytes, after: bytes) -> list[tuple[bytes, bytes]]:
    a, b = segments_of(before), segments_of(after)
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


def test_no_edit_is_byte_identical() -> None:
    out, _, result = run_edits({})
    assert out == DATA
    assert not result.changed  # type: ignore[attr-defined]


def test_append_modifier_keeps_description_and_line_breaks() -> None:
    out, _, _ = run_edits({"CLAIM-A1": (AppendModifier(2, "59"),)})
    assert changed_segments(DATA, out) == [
        (b"SV1*HC:97140:GP::::MANUAL THERAPY*90*UN*2***2", b"SV1*HC:97140:59:GP:::MANUAL THERAPY*90*UN*2***2")
    ]
    assert out.count(b"~\r\n") == DATA.count(b"~\r\n")


def test_set_units_changes_only_sv103_sv104() -> None:
    out, _, _ = run_edits({"CLAIM-B2": (SetUnits(1, Decimal(1), "UN"),)})
    assert changed_segments(DATA, out) == [(b"SV1*HC:97530*45.00*MJ*20***1", b"SV1*HC:97530*45.00*UN*1***1")]


def test_set_charge_rebalances_clm02_without_trailing_zeros() -> None:
    out, _, _ = run_edits({"CLAIM-A1": (SetCharge(1, Decimal("75")),), "CLAIM-B2": (SetCharge(1, Decimal("40")),)})
    assert changed_segments(DATA, out) == [
        (b"CLM*CLAIM-A1*150***11:B:1*Y*A*Y*Y", b"CLM*CLAIM-A1*165***11:B:1*Y*A*Y*Y"),
        (b"SV1*HC:98940:AT*60*UN*1***1:3", b"SV1*HC:98940:AT*75*UN*1***1:3"),
        (b"CLM*CLAIM-B2*45.00***11:B:1*Y*A*Y*Y", b"CLM*CLAIM-B2*40***11:B:1*Y*A*Y*Y"),
        (b"SV1*HC:97530*45.00*MJ*20***1", b"SV1*HC:97530*40*MJ*20***1"),
    ]


def test_remove_line_renumbers_lx_rebalances_and_recounts_se() -> None:
    out, segs, result = run_edits({"CLAIM-A1": (RemoveLine(1),)})
    before = segments_of(DATA)
    first_lx = before.index(b"LX*1")
    assert before[first_lx : first_lx + 3] == [b"LX*1", b"SV1*HC:98940:AT*60*UN*1***1:3", b"DTP*472*D8*20260302"]
    expected = before[:first_lx] + before[first_lx + 3 :]
    expected = [
        {b"LX*2": b"LX*1", b"CLM*CLAIM-A1*150***11:B:1*Y*A*Y*Y": b"CLM*CLAIM-A1*90***11:B:1*Y*A*Y*Y",
         b"SE*49*0001": b"SE*46*0001"}.get(s, s)
        for s in expected
    ]
    assert segs == expected
    assert pyx12_errors(out) == []
    actions = [r.action for r in result.records]  # type: ignore[attr-defined]
    assert actions == ["remove_line", "set_claim_total"]
    assert "renumbered" in result.records[0].message  # type: ignore[attr-defined]


def _claim() -> Claim:
    import io

    from edi837.model.walker import Walker
    from edi837.x12.envelope import SegmentStream

    return next(u for u in Walker(SegmentStream(io.BytesIO(DATA))) if isinstance(u, Claim))


def test_invariants_are_enforced_by_the_editor() -> None:
    claim = _claim()
    from edi837.x12.envelope import Delimiters

    delims = Delimiters(b"*", b":", b"^", b"~")
    editor = ClaimEditor(claim, delims)
    with pytest.raises(EditRejected, match="already"):
        editor.append_modifier(1, "AT")  # duplicate
    editor.append_modifier(1, "XS")
    with pytest.raises(EditRejected, match="59 and X"):
        editor.append_modifier(1, "59")
    editor.append_modifier(1, "GP")
    editor.append_modifier(1, "KX")
    with pytest.raises(EditRejected, match="4 modifiers"):
        editor.append_modifier(1, "25")
    with pytest.raises(ValueRefused):
        editor.append_modifier(2, "5:")  # the component separator inside a value
    with pytest.raises(ValueRefused):
        editor.append_modifier(2, "591")
    editor.remove_line(1)
    with pytest.raises(EditRejected, match="without lines"):
        editor.remove_line(2)


def test_modifier_order_follows_the_rank() -> None:
    from edi837.x12.envelope import Delimiters

    ranks = {"59": 1, "GP": 2, "AT": 2, "26": 0}
    editor = ClaimEditor(_claim(), Delimiters(b"*", b":", b"^", b"~"), lambda m: ranks.get(m, 3))
    change = editor.append_modifier(1, "59")  # payment before informational AT
    assert change.after == "SV1*HC:98940:59:AT*60*UN*1***1:3"
    change = editor.append_modifier(1, "26")  # pricing first
    assert change.after == "SV1*HC:98940:26:59:AT*60*UN*1***1:3"


def test_a_fix_applies_whole_or_not_at_all() -> None:
    out, _, result = run_edits({"CLAIM-A1": (AppendModifier(1, "59"), AppendModifier(1, "AT"))})
    assert out == DATA  # the second edit is a duplicate: the first is rolled back
    (record,) = result.records  # type: ignore[attr-defined]
    assert (record.applied, record.action) == (False, "review")
    assert "not applied" in record.message


def test_lines_sharing_an_lx_number_are_never_edited() -> None:
    """Found in review: with two lines numbered LX*1, an edit for the 97140 landed on the 98940."""
    from edi837.testing.generator import ClaimSpec, LineSpec, build_837

    data = build_837([ClaimSpec("DUP-LX", ("M9903", "M25511"), (LineSpec("98940", "45", pointers=(1,)),
                                                                LineSpec("97140", "40", pointers=(2,))))])
    data = data.replace(b"LX*2~", b"LX*1~")  # a practice system that numbers every line 1
    result = fix(data, FixOptions(validate=False))
    assert result.output == data
    (record,) = result.records
    assert (record.rule, record.applied) == ("NC001", False)
    assert "more than one line numbered 1" in record.message


def test_the_editor_copies_every_field_of_a_line() -> None:
    """The editor's own line copies (copy_line, a hand-written shallow copy for speed) carry every field of
    ServiceLine: one added to the dataclass and not to copy_line would silently reset to its default here."""
    import dataclasses
    from datetime import date

    from edi837.model.lines import LineAdjudication, PartnerClaim, Provider, ServiceLine, copy_line

    values: dict[str, object] = {
        "number": 3, "lx_index": 7, "end_index": 12, "sv1_index": 8, "qualifier": "HC", "procedure": "97140",
        "modifiers": ("GP", "59"), "charge": Decimal("40.5"), "unit_basis": "MJ", "units": Decimal(23),
        "pointers": (1, 2), "pointer_problem": "why", "place_of_service": "02", "service_date": date(2026, 3, 2),
        "service_date_end": date(2026, 3, 3), "providers": {"2420A": Provider("2420A", "rendering", "1")},
        "adjudications": [LineAdjudication("P1", Decimal(1), "97140", Decimal(1))],
        "partner": PartnerClaim("C2", "P1", "CI", (), None, Provider("2010AA", "billing", "1"), frozenset(),
                                "11"),
    }
    assert set(values) == {f.name for f in dataclasses.fields(ServiceLine)}, "a new ServiceLine field: add it here"
    line = ServiceLine(**values)  # type: ignore[arg-type]
    copy = copy_line(line)
    assert copy is not line
    for name in values:
        assert getattr(copy, name) is getattr(line, name), name  # shallow, as dataclasses.replace copies
