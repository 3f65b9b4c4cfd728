"""Units arithmetic and the minutes side file.

The chart below is CMS's (Pub 100-04 ch. 5 §20.2, as quoted in research/billing-rules.md §3.1), typed in
by hand; "the pattern remains the same for treatment times in excess of 2 hours".
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edi837.errors import InputRefused
from edi837.model.lines import ServiceLine
from edi837.model.minutes import load_minutes
from edi837.rules._units import TimedCode, distribute_cms, units_for
from tests.helpers import FIXTURES

CMS_CHART = [  # (units, first minute, last minute)
    (1, 8, 22), (2, 23, 37), (3, 38, 52), (4, 53, 67), (5, 68, 82), (6, 83, 97), (7, 98, 112), (8, 113, 127),
]


@pytest.mark.parametrize("units, low, high", CMS_CHART)
def test_cms_chart_boundaries(units: int, low: int, high: int) -> None:
    assert units_for(Decimal(low)) == units
    assert units_for(Decimal(high)) == units
    assert units_for(Decimal(low - 1)) == units - 1


def test_under_eight_minutes_is_nothing_and_past_two_hours_the_pattern_holds() -> None:
    assert [units_for(Decimal(m)) for m in (0, 1, 7)] == [0, 0, 0]
    assert units_for(Decimal(128)) == 9 and units_for(Decimal(142)) == 9 and units_for(Decimal(143)) == 10


def _timed(*minutes: int) -> list[TimedCode]:
    codes = ["97110", "97112", "97116", "97140", "97530", "97035"]
    return [TimedCode([ServiceLine(i + 1, 0, 0, procedure=codes[i])], Decimal(m)) for i, m in enumerate(minutes)]


@given(st.lists(st.integers(0, 90), min_size=1, max_size=6))
def test_cms_distribution_properties(minutes: list[int]) -> None:
    timed = _timed(*minutes)
    day_units, units = distribute_cms(timed, ())
    assert day_units == units_for(Decimal(sum(minutes)))
    assert sum(units.values()) == day_units  # every unit of the day is given out, no more
    for t in timed:
        full = int(t.minutes) // 15
        # "each code gets its full 15-minute units", and at most one more
        assert full <= units[t.code] <= full + 1


def test_cms_distribution_tie_order_from_the_pack() -> None:
    day_units, units = distribute_cms(_timed(20, 20), ("97112",))
    assert (day_units, units) == (3, {"97110": 1, "97112": 2})  # the pack's tie order beats line order


def test_minutes_file_errors_name_the_csv_line(tmp_path: Path) -> None:
    bad = tmp_path / "minutes.csv"
    bad.write_text("claim_id,line_number,minutes\nC1,1,30\nC1,two,15\n")
    with pytest.raises(InputRefused, match=r"minutes.csv line 3: line number and minutes must be numbers"):
        load_minutes(bad)
    bad.write_text("C1,1,30\nC1,1,15\n")
    with pytest.raises(InputRefused, match=r"line 2: claim C1 line 1 is listed twice \(first on line 1\)"):
        load_minutes(bad)


def test_a_row_naming_a_missing_line_refuses_the_run(tmp_path: Path) -> None:
    minutes = tmp_path / "minutes.csv"
    minutes.write_text("claim_id,line_number,minutes\nSIDE-1,1,38\nSIDE-1,7,10\nNOPE,1,20\n")
    proc = subprocess.run([sys.executable, "-m", "edi837", str(FIXTURES / "rules" / "TU001" / "tu001_side_file.837"),
                           str(tmp_path / "out.837"), "--minutes", str(minutes)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "line 3: claim SIDE-1 line 7" in proc.stderr and "line 4: claim NOPE line 1" in proc.stderr
    assert not (tmp_path / "out.837").exists()


def test_negative_minutes_are_a_review_item_not_a_removed_line() -> None:
    """Found in review: -30 minutes used to remove the line as 'under 8 minutes' and lower CLM02."""
    from edi837.pipeline import FixOptions, fix
    from edi837.testing.generator import ClaimSpec, LineSpec, build_837

    data = build_837([ClaimSpec("NEG-1", ("M5450",), (LineSpec("97110", "76", units="30", basis="MJ"),
                                                      LineSpec("97140", "40", units="20", basis="MJ")))])
    data = data.replace(b"*MJ*30***", b"*MJ*-30***")
    result = fix(data, FixOptions(validate=False))
    assert result.output == data
    (record,) = result.records
    assert (record.rule, record.applied, "negative minutes" in record.message) == ("TU001", False, True)
