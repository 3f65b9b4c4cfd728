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
from edi837.delivery.cli import SummaryFormat, fix_files
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


def test_the_diff_does_not_print_a_removed_lines_notes_or_names(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Found in review: --diff printed every segment of a removed line, free-text notes included."""
    from edi837.writer.edits import RemoveLine

    data = (FIXTURES / "walker_loops.837").read_bytes()  # line 2 of CLAIM-A1 has a 2420A NM1 (a name)
    data = data.replace(b"DTP*472*RD8*20260302-20260303~", b"DTP*472*RD8*20260302-20260303~\r\nNTE*ADD*ZZSECRETNOTE~")
    data = data.replace(b"SE*49*0001", b"SE*50*0001")
    src = tmp_path / "in.837"
    src.write_bytes(data)
    rule = ScriptedRule({"CLAIM-A1": (RemoveLine(2),)})
    fix_files(str(src), str(tmp_path / "out.837"), check=False, diff=True, changelog=None,
              summary_format=SummaryFormat.text,
              options=FixOptions(ignore=("ALL",), extra_rules=(rule,), validate=False))
    out = capsys.readouterr().out
    assert "-SV1*HC:97140" in out and "-NTE (content not shown)" in out and "-NM1 (content not shown)" in out
    assert "ZZSECRETNOTE" not in out and "THERAPIST" not in out
