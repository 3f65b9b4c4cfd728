"""Issue 20, items 3 and 6: the one place that says how a message names a segment and a control value,
and how many digits a number may have before it is read (edi837/x12/untrusted.py).

The element lengths are checked against pyx12's own map files (dataele.xml, the 5010 control map and the
837P map): an independent copy of the 005010 definitions, not edi837's table read back.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from edi837.x12.untrusted import DIGITS, amount, control, name_envelope, name_segment, number, shown
from tests.cli_helpers import BIG


def _pyx12_lengths() -> dict[str, tuple[str, int, int]]:
    """Data type, min and max length of each element of DIGITS, from pyx12's maps."""
    import pyx12

    maps = Path(pyx12.__file__).parent / "map"
    types = {e.get("ele_num"): (e.get("data_type"), int(e.get("min_len")), int(e.get("max_len")))
             for e in etree.parse(str(maps / "dataele.xml")).getroot().iter("data_ele")}
    found: dict[str, tuple[str, int, int]] = {}
    for name in ("x12.control.00501.xml", "837.5010.X222.A1.xml"):
        for element in etree.parse(str(maps / name)).getroot().iter("element"):
            ref = element.get("xid", "").replace("-01", "")  # SV107-01: each pointer of SV107
            if ref in DIGITS and ref not in found:
                found[ref] = types[element.findtext("data_ele")]
    return found


def test_the_digits_each_element_allows_are_005010s() -> None:
    lengths = _pyx12_lengths()
    assert sorted(lengths) == sorted(DIGITS)
    for ref, (low, high, _) in DIGITS.items():
        data_type, least, most = lengths[ref]
        assert high == most, ref
        # numeric elements (N0) and the ISA12/ST01 codes keep X12's minimum; AN control numbers too
        assert low == least or (data_type == "AN" and low == 1 and least == 1), ref


@pytest.mark.parametrize(("raw", "position", "named"), [
    (b"NM1", 16, "segment 16 NM1"),
    (b"NM1*IL*1*ZZTESTPATIENT*ALPHA****MI*ZZMEMBER0001", 16, "segment 16 NM1"),  # the wrong element separator
    ("N3*2 FICTIONAL LANE", None, "N3"),
    (b"ZZTESTPATIENT*ALPHA", 20, "segment 20 (an unreadable segment)"),  # a name where the id goes
    (b"", 3, "segment 3 (an unreadable segment)"),
    (b" NM1", None, "an unreadable segment"),
    ("\xe9AB*1", 2, "segment 2 (an unreadable segment)"),
    (b"X*1", None, "X"),
])
def test_a_segment_is_named_by_its_position_and_an_id_of_one_to_three_letters_or_digits(
        raw: bytes | str, position: int | None, named: str) -> None:
    assert name_segment(raw, position) == named


@pytest.mark.parametrize(("ref", "raw", "said"), [
    ("SE02", "0021", "0021"),
    ("SE02", "1 FICTIONAL LANE", "(not a control number of 4 to 9 digits)"),
    ("SE02", "021", "(not a control number of 4 to 9 digits)"),
    ("ST02", "ZZSMITHJO", "(not a control number of 4 to 9 digits)"),  # AN in X12: a name fits in nine
    ("ISA13", "000000042", "000000042"),
    ("ISA13", "42", "(not a control number of 9 digits)"),
    ("GE01", b"", "(empty)"),
    ("GE01", BIG, "(not a count of 1 to 6 digits)"),
    ("IEA01", "1", "1"),
    ("GS06", "\uff11\uff12", "(not a control number of 1 to 9 digits)"),  # fullwidth digits are not X12 digits
    ("GS08", "005010X222A2", "005010X222A2"),
    ("GS08", "ZZMEMBER0001", "(not a version code like 005010X222A1)"),
    ("GS01", "HC", "HC"),
    ("ST01", "835", "835"),
])
def test_a_control_value_is_shown_only_as_the_digits_its_element_allows(ref: str, raw: bytes | str,
                                                                        said: str) -> None:
    assert shown(ref, raw) == said
    assert (control(ref, raw) is not None) == (said == raw)


def test_an_envelope_is_named_by_its_control_number_or_where_it_starts() -> None:
    assert name_envelope("transaction", "ST02", "0021", 3) == "transaction 0021"
    assert name_envelope("group", "GS06", "ZZMEMBER0001", 2) == "the group at segment 2"


def test_numbers_are_read_only_within_their_elements_digits() -> None:
    assert number(b"3", "HL02") == 3 and number("000123", "LX01") == 123
    assert number(BIG, "HL02") is None  # no ValueError: never given to int()
    assert number(b"1234567", "LX01") is None and number(b"123", "SV107") is None
    assert number(b"", "HL01") is None and number("\u0661\u0662", "SV107") is None and number(b"-1", "LX01") is None
    assert amount(b"45.00") == Decimal("45.00") and amount(b"-5") == Decimal(-5)
    assert amount(b"1E999999999") is None and amount(BIG) is None and amount(b"NaN") is None
    assert amount(b"9" * 18) is not None and amount(b"9" * 19) is None  # R 1/18
