"""segments/*.xml agree with pyx12's 005010X222A1 map, and check_value refuses what may not be written.

The agreement tests read pyx12's own map files with lxml (not through edi837's loader), so a
definition that drifts from the map that the output gate validates against fails here.
"""

from __future__ import annotations

import importlib.resources
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree

from edi837.errors import InputRefused, ValueRefused
from edi837.resources import data_dir
from edi837.x12 import segment_xml
from edi837.x12.envelope import Delimiters
from edi837.x12.segment_defs import (
    SegmentDef,
    SegmentDefinitionError,
    check_value,
    find_element,
    load_definitions,
)

MAP_FILE = "837.5010.X222.A1.xml"
STD = Delimiters(element=b"*", component=b":", repetition=b"^", segment=b"~")
DEFS = load_definitions()
ALL_REFS = sorted(ref for seg in DEFS.values() for ref in seg.elements)

# What edi837 needs, and from which loop: if a file goes missing or moves loop, say so here.
EXPECTED = {
    "SV1": "2400",
    "CLM": "2300",
    "HI": "2300",
    "LX": "2400",
    "DTP": "2400",
    "SBR": "2000B",
    "NM1": "2010BB",
    "SE": "ST_LOOP",
}


def _pyx12_xml(name: str) -> etree._Element:
    data = (importlib.resources.files("pyx12") / "map" / name).read_bytes()
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


MAP = _pyx12_xml(MAP_FILE)
DATAELE = {e.get("ele_num"): e for e in _pyx12_xml("dataele.xml").iter("data_ele")}


def map_segments(seg: SegmentDef) -> list[etree._Element]:
    """Every copy of the segment in the map, one per occurrence of its loop (2300: under 2000B, 2000C)."""
    found = []
    loops = [loop for loop in MAP.iter("loop") if loop.get("xid") == seg.loop]
    assert loops, f"the map has no loop {seg.loop}"
    for loop in loops:
        hits = [
            s for s in loop.findall("segment") if s.get("xid") == seg.id and s.findtext("name") == seg.name
        ]
        assert len(hits) == 1, (
            f"loop {seg.loop} (line {loop.sourceline}) has {len(hits)} {seg.id} named {seg.name!r}"
        )
        found.append(hits[0])
    return found


def _codes(node: etree._Element) -> tuple[frozenset[str] | None, str | None]:
    valid = node.find("valid_codes")
    if valid is None:
        return None, None
    codes = [c.text or "" for c in valid.findall("code")]
    return (frozenset(codes) if codes else None), valid.get("external")


def differences(seg: SegmentDef, map_seg: etree._Element) -> list[str]:
    """Every way `seg` disagrees with the map's segment `map_seg`; empty when they agree."""
    out: list[str] = []
    if seg.map_file != MAP_FILE:
        out.append(f"{seg.id}: map file {seg.map_file}, expected {MAP_FILE}")
    seen: set[str] = set()
    for node in map_seg:
        if node.tag not in ("element", "composite"):
            continue
        ref = node.get("xid") or "?"
        seen.add(ref)
        if node.tag == "composite":
            comp = seg.composites.get(ref)
            if comp is None:
                out.append(f"{ref}: composite in the map, missing from {seg.path.name}")
                continue
            theirs = (int(node.findtext("seq") or 0), node.findtext("data_ele"), node.findtext("usage"))
            ours = (comp.seq, comp.data_ele, comp.usage)
            if ours != theirs:
                out.append(f"{ref}: (seq, data_ele, usage) ours {ours}, map {theirs}")
            if comp.name != node.findtext("name"):
                out.append(f"{ref}: name ours {comp.name!r}, map {node.findtext('name')!r}")
            components = [c.get("xid") or "?" for c in node.findall("element")]
            if list(comp.components) != components:
                out.append(f"{ref}: components ours {list(comp.components)}, map {components}")
            parent_seq = int(node.findtext("seq") or 0)
            for child in node.findall("element"):
                seen.add(child.get("xid") or "?")
                out += _element_differences(seg, child, parent_seq)
        else:
            out += _element_differences(seg, node, None)
    for ref in [*seg.elements, *seg.composites]:
        if ref not in seen:
            out.append(f"{ref}: in {seg.path.name}, not in the map's {seg.id} of loop {seg.loop}")
    return out


def _element_differences(seg: SegmentDef, node: etree._Element, parent_seq: int | None) -> list[str]:
    ref = node.get("xid") or "?"
    ours = seg.elements.get(ref)
    if ours is None:
        return [f"{ref}: in the map, missing from {seg.path.name}"]
    num = node.findtext("data_ele") or ""
    ele = DATAELE.get(num)
    if ele is None:
        return [f"{ref}: data element {num} is not in dataele.xml"]
    own_seq = int(node.findtext("seq") or 0)
    seq, component = (own_seq, None) if parent_seq is None else (parent_seq, own_seq)
    codes, external = _codes(node)
    expected = {
        "seq": seq,
        "component": component,
        "data_ele": num,
        "name": node.findtext("name"),
        "usage": node.findtext("usage"),
        "data_type": ele.get("data_type"),
        "min_len": int(ele.get("min_len") or -1),
        "max_len": int(ele.get("max_len") or -1),
        "codes": codes,
        "external_codes": external,
    }
    out = [
        f"{ref}: {field} ours {getattr(ours, field)!r}, map {want!r}"
        for field, want in expected.items()
        if getattr(ours, field) != want
    ]
    if node.find("regex") is not None:
        out.append(f"{ref}: the map has a regex, which segments/ cannot express")
    return out


def _map_copies() -> Iterator[tuple[str, int]]:
    for seg_id in sorted(DEFS):
        for i in range(len(map_segments(DEFS[seg_id]))):
            yield seg_id, i


# --- agreement with pyx12 -------------------------------------------------------------------------


def test_the_segments_edi837_needs_are_defined_from_the_right_loops() -> None:
    assert {s.id: s.loop for s in DEFS.values()} == EXPECTED
    assert {p.stem for p in data_dir("segments").glob("*.xml")} == set(EXPECTED)


@pytest.mark.parametrize(("seg_id", "copy"), list(_map_copies()))
def test_definitions_agree_with_the_pyx12_map(seg_id: str, copy: int) -> None:
    seg = DEFS[seg_id]
    assert differences(seg, map_segments(seg)[copy]) == []


def test_the_agreement_check_catches_drift(tmp_path: Path) -> None:
    """Without this, a broken `differences` would pass every definition."""
    folder = tmp_path / "segments"
    shutil.copytree(data_dir("segments"), folder)
    sv1 = folder / "SV1.xml"
    text = sv1.read_text(encoding="utf-8")
    text = text.replace(
        'ref="SV101-03" seq="03" data_ele="1339" usage="S" type="AN" min="2" max="2"',
        'ref="SV101-03" seq="03" data_ele="1339" usage="S" type="AN" min="2" max="3"',
    )
    text = text.replace("<codes>MJ UN</codes>", "<codes>MJ UN F2</codes>")
    text = re.sub(r'\s*<element ref="SV121"[^>]*/>', "", text)
    sv1.write_text(text, encoding="utf-8")
    problems = differences(load_definitions(folder)["SV1"], map_segments(DEFS["SV1"])[0])
    assert any(p.startswith("SV101-03: max_len ours 3, map 2") for p in problems), problems
    assert any(p.startswith("SV103: codes") for p in problems), problems
    assert any(p.startswith("SV121: in the map, missing") for p in problems), problems


def test_hi_qualifiers_are_the_maps_abk_bk_then_abf_bf() -> None:
    hi = DEFS["HI"]
    assert hi.name == "Health Care Diagnosis Code"
    assert hi.elements["HI01-01"].codes == frozenset({"ABK", "BK"})
    for n in range(2, 13):
        assert hi.elements[f"HI{n:02d}-01"].codes == frozenset({"ABF", "BF"})
        assert hi.elements[f"HI{n:02d}-02"].data_type == "AN"


def test_modifier_list_is_edi837s_own_and_names_its_source() -> None:
    for n in range(3, 7):
        mod = DEFS["SV1"].elements[f"SV101-{n:02d}"]
        assert (mod.data_type, mod.min_len, mod.max_len, mod.codes) == ("AN", 2, 2, None)
        assert mod.writes == frozenset({"59", "XE", "XP", "XS", "XU"})
        assert mod.writes_source is not None
        for needle in ("NOT from the map", "MLN1783722", "CR8863"):
            assert needle in mod.writes_source
    written_elsewhere = [e.ref for s in DEFS.values() for e in s.elements.values() if e.writes is not None]
    assert sorted(written_elsewhere) == ["SV101-03", "SV101-04", "SV101-05", "SV101-06"]


def test_every_amount_carries_the_hipaa_limit_with_its_source() -> None:
    amounts = [e for s in DEFS.values() for e in s.elements.values() if e.data_ele == "782"]
    assert {"SV102", "CLM02"} <= {e.ref for e in amounts}
    for e in amounts:
        assert e.money_max_digits == 10, e.ref
        assert e.money_source is not None and "NOT from the map" in e.money_source
    others = [
        e.ref
        for s in DEFS.values()
        for e in s.elements.values()
        if e.data_ele != "782" and e.money_max_digits
    ]
    assert others == []


# --- loading -------------------------------------------------------------------------------------


def test_default_definitions_are_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    check_value("SV104", "1", STD)

    def refuse(path: Path) -> SegmentDef:
        raise AssertionError(f"reparsed {path}")

    monkeypatch.setattr(segment_xml, "_load_file", refuse)
    check_value("SV104", "2", STD)
    first, second = load_definitions(), load_definitions()
    assert first == second and first is not second
    with pytest.raises(TypeError):
        first["SV1"].elements["SV102"] = first["SV1"].elements["SV104"]  # type: ignore[index]


def test_find_element() -> None:
    sv101_03 = find_element("SV101-03")
    assert sv101_03 is not None and (sv101_03.seq, sv101_03.component, sv101_03.data_ele) == (1, 3, "1339")
    sv102 = find_element("SV102")
    assert sv102 is not None and (sv102.seq, sv102.component, sv102.data_type) == (2, None, "R")
    assert find_element("SV101") is None
    assert find_element("SV199") is None


GOOD = """<segment id="ZZ1" name="Test" loop="9999" map="x.xml">
  <element ref="ZZ101" seq="01" data_ele="373" usage="R" type="DT" min="8" max="8" name="Date"/>
  <element ref="ZZ102" seq="02" data_ele="337" usage="S" type="TM" min="4" max="8" name="Time"/>
  <element ref="ZZ103" seq="03" data_ele="1" usage="S" type="N2" min="1" max="4" name="Amount"/>
  <source id="own">NOT from the map: test codes.</source>
  <element ref="ZZ104" seq="04" data_ele="2" usage="S" type="ID" min="1" max="2" name="Code">
    <codes>A B</codes>
    <writes source="own">C</writes>
  </element>
</segment>
"""


def _folder(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "ZZ1.xml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('ref="ZZ102"', 'ref="ZZ103"', "must be ZZ102"),
        ('type="TM"', 'type="B"', "data type 'B'"),
        ('usage="S" type="TM"', 'usage="X" type="TM"', "usage 'X'"),
        ('min="4" max="8"', 'min="9" max="8"', "lengths 9 to 8"),
        ('min="4" max="8"', 'min="0" max="8"', "lengths 0 to 8"),
        ('name="Time"/>', 'name="Time"><writes>59</writes></element>', "must name a <source>"),
        ('name="Time"/>', 'name="Time"><codes/></element>', "empty <codes>"),
        ('name="Time"/>', 'name="Time"><ig_limit money_max_digits="10" source="s"/></element>', "<source>"),
        ('seq="03"', 'seq="02"', "must be ZZ102"),
        ('<segment id="ZZ1"', '<segment id="zz1"', "not a segment id"),
        ('loop="9999" ', "", "needs a loop= attribute"),
        ("</segment>", "<bogus/></segment>", "unexpected <bogus>"),
        ("</segment>", "", "not well-formed"),
    ],
)
def test_malformed_definitions_fail_to_load(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    folder = _folder(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(SegmentDefinitionError, match=re.escape(message)):
        load_definitions(folder)


def test_a_segment_defined_twice_fails_to_load(tmp_path: Path) -> None:
    folder = _folder(tmp_path, GOOD)
    (folder / "ZZ1-copy.xml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(SegmentDefinitionError, match="already defined"):
        load_definitions(folder)


def test_an_empty_folder_fails_to_load(tmp_path: Path) -> None:
    with pytest.raises(SegmentDefinitionError, match="no segment definitions"):
        load_definitions(tmp_path)


@pytest.mark.parametrize(
    ("ref", "value", "ok"),
    [
        ("ZZ101", "20240229", True),
        ("ZZ101", "20230229", False),
        ("ZZ101", "240229", False),
        ("ZZ102", "2359", True),
        ("ZZ102", "235959", True),
        ("ZZ102", "23595999", True),
        ("ZZ102", "2400", False),
        ("ZZ102", "2360", False),
        ("ZZ103", "-1234", True),
        ("ZZ103", "12345", False),
        ("ZZ103", "12.5", False),
        ("ZZ104", "A", True),
        ("ZZ104", "C", True),  # an ID accepts the map's codes and edi837's own
        ("ZZ104", "D", False),
    ],
)
def test_date_time_implied_decimal_and_own_codes(tmp_path: Path, ref: str, value: str, ok: bool) -> None:
    defs = load_definitions(_folder(tmp_path, GOOD))
    if ok:
        check_value(ref, value, STD, defs)
    else:
        with pytest.raises(ValueRefused, match=f"^{ref} "):
            check_value(ref, value, STD, defs)


# --- check_value ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "value"),
    [
        ("SV104", "2"),
        ("SV104", "1.5"),
        ("SV104", ".5"),
        ("SV104", "-1.5"),
        ("SV104", "-12345678901234.5"),  # 15 digits in 17 characters: sign and point are not length
        ("SV102", "145.50"),
        ("SV102", "99999999.99"),
        ("SV102", "99999999"),
        ("CLM02", "1234.5"),
        ("SV101-01", "HC"),
        ("SV101-02", "97140"),
        ("SV101-03", "59"),
        ("SV101-04", "XU"),
        ("SV101-05", "25"),  # an existing modifier moved along: AN 2, not limited to edi837's list
        ("SV101-06", ""),  # situational: empty means omitted
        ("SV103", "UN"),
        ("SV103", "MJ"),
        ("SV107-01", "12"),
        ("LX01", "1"),
        ("LX01", "999999"),
        ("SE01", "1234567890"),
        ("SE02", "0001"),
        ("HI01-01", "ABK"),
        ("HI01-01", "BK"),
        ("HI02-01", "ABF"),
        ("DTP01", "472"),
        ("DTP02", "RD8"),
        ("DTP03", "20240101-20240105"),
        ("NM101", "PR"),
        ("NM103", "ACME HEALTH PLAN"),
        ("SBR09", "MB"),
    ],
)
def test_accepts(ref: str, value: str) -> None:
    check_value(ref, value, STD)


@pytest.mark.parametrize(
    ("ref", "value", "reason"),
    [
        ("SV101-03", "5:", "component separator ':'"),
        ("SV101-03", "5*", "element separator '*'"),
        ("SV101-03", "5^", "repetition separator '^'"),
        ("SV101-03", "5~", "segment terminator '~'"),
        ("SV101-03", "59X", "has 3 characters, the 837P allows 2"),
        ("SV101-03", "5", "has 1 characters"),
        ("SV102", "", "required, but the value is empty"),
        ("SV104", "", "required"),
        ("SV103", "MX", "'MX' is not one of the codes the 837P allows (MJ UN)"),
        ("SV103", "un", "not one of the codes"),
        ("SV104", "1e3", "not a decimal number"),
        ("SV104", "1E3", "not a decimal number"),
        ("SV104", "+1", "not a decimal number"),
        ("SV104", "1.", "not a decimal number"),
        ("SV104", "1.2.3", "not a decimal number"),
        ("SV104", "-", "not a decimal number"),
        ("SV104", "1,000", "not a decimal number"),
        ("SV104", " 1", "not a decimal number"),
        ("SV104", "\u0661", "non-ASCII"),  # an Arabic-Indic digit: Python's isdigit() says yes
        ("SV104", "1234567890123456", "has 16 digits, the 837P allows 1 to 15"),
        ("SV104", "-123456789012345.6", "has 16 digits"),
        ("SV102", "123456789", "11 digits counting cents, HIPAA allows at most 10"),
        ("SV102", "99999999.999", "11 digits counting cents"),
        ("CLM02", "100000000.00", "11 digits counting cents"),
        ("NM103", "ACME\nPLAN", "control character or line break ('\\n')"),
        ("NM103", "ACME\rPLAN", "control character"),
        ("NM103", "ACME\tPLAN", "control character"),
        ("NM103", "ACME\x7f", "control character"),
        ("NM103", "ACMÉ", "non-ASCII"),
        ("NM103", "   ", "only spaces"),
        ("NM103", "ACME ", "ends with spaces"),
        ("SE01", "12.0", "not a whole number"),
        ("SE01", "12345678901", "has 11 digits, the 837P allows 1 to 10"),
        ("SE02", "123", "has 3 characters, the 837P allows 4 to 9"),
        ("LX01", "1234567", "has 7 digits"),
        ("SV107-01", "13", "not one of the codes"),
        ("HI02-01", "ABK", "not one of the codes"),
        ("SV108", "10", "not used"),
        ("NM104", "JOHN", "not used"),
        ("DTP01", "471", "not one of the codes"),
        ("SBR02", "01", "not one of the codes"),
    ],
)
def test_refuses(ref: str, value: str, reason: str) -> None:
    with pytest.raises(ValueRefused) as refused:
        check_value(ref, value, STD)
    message = str(refused.value)
    assert message.startswith(f"{ref} ("), message
    assert reason in message, message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("SV199", "unknown element reference 'SV199'"),
        ("XX01", "unknown"),
        ("", "unknown"),
        ("SV101", "composite"),
    ],
)
def test_refuses_refs_it_cannot_check(ref: str, reason: str) -> None:
    with pytest.raises(ValueRefused, match=re.escape(reason)):
        check_value(ref, "1", STD)


def test_refusal_is_an_input_refusal() -> None:
    with pytest.raises(InputRefused) as refused:
        check_value("SV103", "MX", STD)
    assert refused.value.exit_code == 2


def test_free_text_is_described_not_quoted() -> None:
    with pytest.raises(ValueRefused) as refused:
        check_value("NM103", "DOE*JOHN", STD)
    assert "DOE" not in str(refused.value)
    assert "element separator '*'" in str(refused.value)


def test_delimiters_come_from_the_interchange_not_a_fixed_set() -> None:
    odd = Delimiters(element=b"|", component=b">", repetition=b"!", segment=b"\n")
    with pytest.raises(ValueRefused, match="component separator '>'"):
        check_value("NM103", "A>B", odd)
    with pytest.raises(ValueRefused, match=re.escape("segment terminator '\\n'")):
        check_value("NM103", "A\nB", odd)
    check_value("NM103", "A:B*C~D", odd)
    check_value("SV101-03", "5:", odd)


_delimiter = st.binary(min_size=1, max_size=1)


@given(
    ref=st.sampled_from(ALL_REFS),
    delimiters=st.builds(Delimiters, _delimiter, _delimiter, _delimiter, _delimiter),
    which=st.sampled_from(["element", "component", "repetition", "segment"]),
    before=st.text(max_size=12),
    after=st.text(max_size=12),
)
@example(ref="SV101-03", delimiters=STD, which="component", before="5", after="")
@example(ref="SV104", delimiters=Delimiters(b"*", b":", b"^", b"1"), which="segment", before="", after="")
def test_any_value_with_a_delimiter_is_refused(
    ref: str, delimiters: Delimiters, which: str, before: str, after: str
) -> None:
    delim = getattr(delimiters, which).decode("latin-1")
    with pytest.raises(ValueRefused) as refused:
        check_value(ref, before + delim + after, delimiters)
    message = str(refused.value)
    assert message.startswith(f"{ref} (")
    assert "separator" in message or "terminator" in message


@given(
    integer=st.integers(min_value=0, max_value=10**9),
    fraction=st.sampled_from(["", ".5", ".25", ".125"]),
    negative=st.booleans(),
)
def test_plain_unit_counts_are_accepted(integer: int, fraction: str, negative: bool) -> None:
    value = ("-" if negative else "") + str(integer) + fraction
    check_value("SV104", value, STD)
