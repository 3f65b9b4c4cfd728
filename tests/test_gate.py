"""The validation gate and the CLI's write/refuse behaviour with real changes.

The gate must refuse an output that carries an error the input did not, and write nothing.
To produce such an output, a test switches off the writer's own value check (the first line of
defence) so that the gate (the second) is what catches the bad value.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from edi837.cli.common import SummaryFormat
from edi837.cli.fix import fix_files
from edi837.errors import GateFailed, OutputFailed
from edi837.pipeline import FixOptions, fix
from edi837.writer import edits
from edi837.writer.edits import AppendModifier, SetUnits
from tests.helpers import FIXTURES
from tests.rules_for_tests import ScriptedRule

DATA = (FIXTURES / "walker_loops.837").read_bytes()


def run_cli(tmp_path: Path, options: FixOptions, *, check: bool = False, diff: bool = False,
            fmt: SummaryFormat = SummaryFormat.text) -> int:
    src = tmp_path / "in.837"
    src.write_bytes(DATA)
    return fix_files(str(src), str(tmp_path / "out.837"), check=check, diff=diff, changelog=None,
                     summary_format=fmt, options=options)


def test_gate_refuses_a_new_error_and_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(edits, "check_value", lambda *args: None)  # let a 1-character modifier through
    rule = ScriptedRule({"CLAIM-A1": (AppendModifier(1, "5"),)})
    with pytest.raises(GateFailed) as refused:
        fix(DATA, FixOptions(ignore=("ALL",), extra_rules=(rule,)))
    # segment 30 is CLAIM-A1's 98940 line (counted by hand); it already has AT in SV101-3, so "5" is SV101-4
    assert "segment 30 SV1 SV101-4: value too short" in str(refused.value)
    assert "value too short" in str(refused.value)

    from edi837.cli.common import guarded

    code = guarded(lambda: run_cli(tmp_path, FixOptions(ignore=("ALL",), extra_rules=(rule,))))
    assert code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837"]
    assert "in.837: the fixed file would fail validation" in capsys.readouterr().err  # names the file


def test_gate_passes_a_good_change_to_a_file_that_already_had_errors() -> None:
    """The input's own error is not the fixer's: a change elsewhere is written, the old error is a warning."""
    data = DATA.replace(b"DMG*D8*19800101*F~", b"DMG*D8*19800101*Q~")
    rule = ScriptedRule({"CLAIM-A1": (AppendModifier(2, "59"),)})
    result = fix(data, FixOptions(ignore=("ALL",), extra_rules=(rule,)))
    assert result.changed
    assert [w.element for w in result.warnings] == ["DMG03"]


def test_check_exits_1_and_writes_nothing_when_a_fix_would_apply(tmp_path: Path) -> None:
    rule = ScriptedRule({"CLAIM-B2": (SetUnits(1, Decimal(1)),)})
    assert run_cli(tmp_path, FixOptions(ignore=("ALL",), extra_rules=(rule,)), check=True) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837"]


def test_diff_shows_the_changed_segments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rule = ScriptedRule({"CLAIM-A1": (AppendModifier(2, "59"),)})
    options = FixOptions(ignore=("ALL",), extra_rules=(rule,))
    assert run_cli(tmp_path, options, diff=True) == 0
    out = capsys.readouterr().out
    hunk = out[out.index("@@"):].splitlines()[:3]
    # segment 33 of the fixture (counted by hand, OI of the 2320 loop included) is the 97140 SV1
    assert hunk == [
        "@@ segment 33, claim CLAIM-A1 @@",
        "-SV1*HC:97140:GP::::MANUAL THERAPY*90*UN*2***2",
        "+SV1*HC:97140:59:GP:::MANUAL THERAPY*90*UN*2***2",
    ]
    log = (tmp_path / "out.837.changes.jsonl").read_text().splitlines()
    record = json.loads(log[0])
    assert (record["claim_id"], record["line_number"], record["procedure"], record["action"], record["applied"]) == (
        "CLAIM-A1", 2, "97140", "append_modifier", True)
    assert record["segment_before"] == "SV1*HC:97140:GP::::MANUAL THERAPY*90*UN*2***2"


def test_json_summary_counts_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rule = ScriptedRule({"CLAIM-A1": (AppendModifier(2, "59"),), "CLAIM-B2": (SetUnits(1, Decimal(1)),)})
    assert run_cli(tmp_path, FixOptions(ignore=("ALL",), extra_rules=(rule,)), fmt=SummaryFormat.json) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["changes"], summary["changed_claims"], summary["by_rule"]) == (
        2, 2, {"TST001": {"applied": 2, "review": 0}})


def test_output_is_replaced_atomically(tmp_path: Path) -> None:
    """An existing OUT is replaced whole; no temporary file is left beside it."""
    (tmp_path / "out.837").write_bytes(b"old contents")
    rule = ScriptedRule({"CLAIM-A1": (AppendModifier(2, "59"),)})
    assert run_cli(tmp_path, FixOptions(ignore=("ALL",), extra_rules=(rule,))) == 0
    assert b"HC:97140:59:GP" in (tmp_path / "out.837").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837", "out.837", "out.837.changes.jsonl"]


def test_a_crash_mid_write_leaves_the_old_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "out.837").write_bytes(b"old contents")

    def explode(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("edi837.files.atomic.os.replace", explode)
    with pytest.raises(OutputFailed, match=r"out\.837\.changes\.jsonl: cannot be written"):  # exit 2, not 3
        run_cli(tmp_path, FixOptions())
    assert (tmp_path / "out.837").read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837", "out.837"]

