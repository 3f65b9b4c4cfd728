"""No patient data in logs, summaries or the change log: claim ids, line numbers, codes and rule codes only.

The fixture's patients carry distinctive made-up values; none of them may appear in anything edi837 prints
or logs, even when the patient's own segment has a validation error.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import structlog

from edi837 import log as logconfig
from edi837.cli.common import SummaryFormat
from edi837.cli.fix import fix_files
from edi837.pipeline import FixOptions
from edi837.writer.edits import AppendModifier, RemoveLine
from tests.helpers import FIXTURES
from tests.rules_for_tests import ScriptedRule

PHI = ["ZZTESTPATIENT", "ALPHA", "ZZMEMBER0001", "ZZMEMBER0003", "19800101", "FICTIONAL", "ZZTESTDEPENDENT",
       "GAMMA", "20100101", "ZZTESTSUBSCRIBER", "BETA", "627010000", "SPRINGFIELD"]


@pytest.mark.parametrize("fmt", [SummaryFormat.text, SummaryFormat.json])
def test_nothing_printed_or_logged_names_a_patient(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   fmt: SummaryFormat) -> None:
    data = (FIXTURES / "walker_loops.837").read_bytes().replace(b"DMG*D8*19800101*F~", b"DMG*D8*19800101*Q~")
    src = tmp_path / "in.837"
    src.write_bytes(data)
    rule = ScriptedRule({"CLAIM-A1": (AppendModifier(2, "59"), RemoveLine(1))})
    code = fix_files(str(src), str(tmp_path / "out.837"), check=False, diff=True, changelog=None,
                     summary_format=fmt,
                     options=FixOptions(ignore=("ALL",), extra_rules=(rule,)))
    assert code == 1  # the DMG03 warning
    captured = capsys.readouterr()
    changelog = (tmp_path / "out.837.changes.jsonl").read_text()
    assert '"event": "run.done"' in captured.err  # logs were really written (JSON: stderr is not a terminal)
    assert "CLAIM-A1" in changelog and "DMG03" in captured.out
    for text in (captured.out, captured.err, changelog):
        for value in PHI:
            assert value not in text


def test_the_log_allowlist_drops_unknown_keys() -> None:
    stream = io.StringIO()
    logconfig.configure(stream, json=True)
    structlog.get_logger("edi837").info("probe", claim_id="C1", patient_name="DOE JANE", dob="19800101")
    event = json.loads(stream.getvalue())
    assert event["claim_id"] == "C1"
    assert "patient_name" not in event and "dob" not in event
    assert event["redacted"] == "dob,patient_name"
    assert "DOE" not in stream.getvalue() and "19800101" not in stream.getvalue()


def _diff_removing_line_2(tmp_path: Path, data: bytes, capsys: pytest.CaptureFixture[str]) -> str:
    """What `--diff` prints when line 2 of CLAIM-A1 (LX*2 in walker_loops.837) is removed, without pyx12."""
    src = tmp_path / "in.837"
    src.write_bytes(data)
    rule = ScriptedRule({"CLAIM-A1": (RemoveLine(2),)})
    fix_files(str(src), str(tmp_path / "out.837"), check=False, diff=True, changelog=None,
              summary_format=SummaryFormat.text,
              options=FixOptions(ignore=("ALL",), extra_rules=(rule,), validate=False))
    return capsys.readouterr().out


def test_the_diff_does_not_print_a_removed_lines_notes_or_names(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Found in review: --diff printed every segment of a removed line, free-text notes included."""
    data = (FIXTURES / "walker_loops.837").read_bytes()  # line 2 of CLAIM-A1 has a 2420A NM1 (a name)
    data = data.replace(b"DTP*472*RD8*20260302-20260303~", b"DTP*472*RD8*20260302-20260303~\r\nNTE*ADD*ZZSECRETNOTE~")
    data = data.replace(b"SE*49*0001", b"SE*50*0001")
    out = _diff_removing_line_2(tmp_path, data, capsys)
    assert "-SV1*HC:97140" in out and "-NTE (content not shown)" in out and "-NM1 (content not shown)" in out
    assert "ZZSECRETNOTE" not in out and "THERAPIST" not in out


def test_the_diff_names_what_it_may_not_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 20, item 3: a removed line holding a segment with the wrong element separator (its whole text
    reads as its id), and an SE whose SE02 (matching ST02) is patient text, recounted when the line goes."""
    data = (FIXTURES / "walker_loops.837").read_bytes()
    for old, new in ((b"NM1*82*1*THERAPIST*TINA****XX*1245319599", b"NM1|82|1|ZZTESTPATIENT|ALPHA||||XX|1245319599"),
                     (b"ST*837*0001*", b"ST*837*ZZSMITHJO*"), (b"SE*49*0001~", b"SE*49*ZZSMITHJO~")):
        assert data.count(old) == 1
        data = data.replace(old, new)
    out = _diff_removing_line_2(tmp_path, data, capsys)
    assert "-SV1*HC:97140" in out and "-NM1 (content not shown)" in out  # the line went, its NM1 named
    assert "-SE (content not shown)" in out and "+SE (content not shown)" in out  # SE01 recounted, SE02 not shown
    changelog = (tmp_path / "out.837.changes.jsonl").read_text()
    assert '"transaction": null' in changelog  # ST02 is not a control number a record may carry
    for value in [*PHI, "ZZSMITHJO"]:
        assert value not in out and value not in changelog
