"""A held file is never removed or overwritten by a later run (issue 20, item 1), in real processes.

The held file carries the only copy of claims a person has not seen yet: the hook has already rewritten
FILE without them, and the next week's file often comes under the same name. Each run that holds claims
places its own held file (the name asked for if free, else `-2`, `-3`, ... before the last extension), and
the summary and the hold records (EDI003) name the file it actually got. The hook's change log is kept the
same way: it is the only record of what an earlier run changed in FILE.

Claims are those of tests/test_split.py: `review` claims (98940 + 97140, all diagnoses M99.01, cervical) are
NC001 review items and held with `--hold review`; `clean` claims (99213) have no finding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from edi837.delivery.outputs import Outputs
from edi837.pipeline import FixOptions
from edi837.testing.generator import build_837
from tests.cli_helpers import edi_fix
from tests.test_split import REVIEW, claims_in_context, clean, mixed_file, review
from tests.watch_helpers import once, outcomes

HELD_IN_MIXED = {"A2", "A4", "B1", "C1", "C2"}  # the review claims of mixed_file(), worked out in test_split


def hold_records(changelog: Path) -> list[dict[str, object]]:
    return [r for r in map(json.loads, changelog.read_text().splitlines()) if r["rule"] == "EDI003"]


def test_a_hook_run_again_keeps_the_claims_and_the_log_of_the_first_run(tmp_path: Path) -> None:
    """The issue's scenario: `edi-fix hook b.837 --hold review`, then the same again (a retry after exit 1)."""
    target = tmp_path / "b.837"
    target.write_bytes(mixed_file())
    first = edi_fix("hook", str(target), "--hold", "review", "--format", "json")
    assert first.returncode == 1, first.stderr
    held = tmp_path / "b.837.held.837"
    held_bytes, log_bytes = held.read_bytes(), (tmp_path / "b.837.changes.jsonl").read_bytes()
    assert set(claims_in_context(held_bytes)) == HELD_IN_MIXED
    assert json.loads(first.stdout)["held"]["path"] == str(held)

    second = edi_fix("hook", str(target), "--hold", "review", "--format", "json")
    assert second.returncode == 0, second.stderr  # the held claims are no longer in FILE
    assert held.read_bytes() == held_bytes  # still the only copy of those claims, untouched
    assert (tmp_path / "b.837.changes.jsonl").read_bytes() == log_bytes  # the record of the first rewrite
    summary = json.loads(second.stdout)
    assert summary["changelog"] == str(tmp_path / "b.837.changes-2.jsonl") and summary["held"]["path"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.837", "b.837.changes-2.jsonl", "b.837.changes.jsonl",
                                                          "b.837.held.837"]

    # Next week's file under the same name holds claims too: they go beside the first ones, and say so.
    target.write_bytes(build_837([review("W1"), clean("W2")]))
    third = edi_fix("hook", str(target), "--hold", "review", "--format", "json")
    assert third.returncode == 1, third.stderr
    second_held = tmp_path / "b.837.held-2.837"
    assert held.read_bytes() == held_bytes and set(claims_in_context(second_held.read_bytes())) == {"W1"}
    summary = json.loads(third.stdout)
    third_log = tmp_path / "b.837.changes-3.jsonl"
    assert (summary["held"]["path"], summary["changelog"]) == (str(second_held), str(third_log))
    records = hold_records(third_log)
    assert [r["claim_id"] for r in records] == ["W1"]
    assert f"as it arrived, in {second_held}: review: NC001 line 2" in str(records[0]["message"])


def test_the_cli_run_again_holds_into_a_numbered_sibling_and_says_where(tmp_path: Path) -> None:
    src, out = tmp_path / "in.837", tmp_path / "out.837"
    src.write_bytes(mixed_file())
    assert edi_fix(str(src), str(out), "--hold", "review", "--no-validate").returncode == 1
    first_held = tmp_path / "out.837.held.837"
    held_bytes = first_held.read_bytes()
    again = edi_fix(str(src), str(out), "--hold", "review", "--no-validate")
    assert again.returncode == 1, again.stderr
    second_held = tmp_path / "out.837.held-2.837"
    assert first_held.read_bytes() == held_bytes == second_held.read_bytes()  # the same input holds the same
    text = again.stdout.decode()
    assert f"held 5 claims ($425.00) for a person in {second_held}; delivered 4 claims ($370.00) in {out}" in text
    records = hold_records(tmp_path / "out.837.changes.jsonl")  # the log describes the latest OUT
    assert sorted(str(r["claim_id"]) for r in records) == sorted(HELD_IN_MIXED)
    assert all(f" in {second_held}: " in str(r["message"]) for r in records)
    third = edi_fix(str(src), str(out), "--hold", "review", "--no-validate", "--format", "json")
    assert json.loads(third.stdout)["held"]["path"] == str(tmp_path / "out.837.held-3.837")
    assert first_held.read_bytes() == held_bytes


def test_two_runs_at_once_never_share_a_held_file(tmp_path: Path) -> None:
    """Two runs that hold into the same --held path at the same moment: each gets a name of its own (link(2)
    decides), and each one's change log and summary name the file it got, whichever won the race."""
    src = tmp_path / "in.837"
    src.write_bytes(mixed_file())
    wanted = tmp_path / "h.837"
    for round_, expected in enumerate((["h.837", "h-2.837"], ["h-3.837", "h-4.837"], ["h-5.837", "h-6.837"])):
        runs = [subprocess.Popen([sys.executable, "-m", "edi837", str(src), str(tmp_path / f"out{round_}{n}.837"),
                                  "--hold", "review", "--held", str(wanted), "--no-validate", "--format", "json"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for n in range(2)]
        named = []
        for n, run in enumerate(runs):
            stdout, stderr = run.communicate(timeout=120)
            assert run.returncode == 1, stderr
            path = json.loads(stdout)["held"]["path"]
            records = hold_records(tmp_path / f"out{round_}{n}.837.changes.jsonl")
            assert records and all(f" in {path}: " in str(r["message"]) for r in records)
            named.append(path)
        assert sorted(named) == sorted(str(tmp_path / name) for name in expected)
        for path in named:
            assert set(claims_in_context(Path(path).read_bytes())) == HELD_IN_MIXED


def test_a_held_name_taken_while_the_run_went_on_is_not_replaced_and_the_log_follows(tmp_path: Path) -> None:
    """Another run (or a person) puts a file at the expected held name after the records were written:
    it stays, this run's held file takes the next number, and the change log says that number."""
    src, out, log, held = tmp_path / "in.837", tmp_path / "out.837", tmp_path / "out.log", tmp_path / "h.837"
    src.write_bytes(mixed_file())
    with Outputs(output=out, changelog=log, held=held, report=tmp_path / "r.html") as outputs:
        outputs.run(lambda: src.open("rb"), FixOptions(hold=REVIEW, validate=False))
        held.write_bytes(b"a file that is not this run's")
    assert held.read_bytes() == b"a file that is not this run's"
    moved = tmp_path / "h-2.837"
    assert outputs.held_path == moved and set(claims_in_context(moved.read_bytes())) == HELD_IN_MIXED
    records = hold_records(log)
    assert len(records) == 5 and all(f" in {moved}: " in str(r["message"]) for r in records)
    assert str(moved).encode() in (tmp_path / "r.html").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp file left


def test_the_watcher_never_writes_over_a_worklist_of_an_earlier_held_file(folders: tuple[Path, Path]) -> None:
    """held/NAME is free but held/NAME.report.html is there (a person worked the held file and kept the
    report): the new held file and its report take the next number together."""
    outbound, ready = folders
    (outbound / "held").mkdir()
    earlier = outbound / "held" / "day.837.report.html"
    earlier.write_bytes(b"<html>an earlier worklist</html>")
    (outbound / "day.837").write_bytes(mixed_file())
    proc = once(outbound, ready)
    assert proc.returncode == 1 and outcomes(proc) == {"day.837": "held"}, proc.stderr
    assert earlier.read_bytes() == b"<html>an earlier worklist</html>"
    assert sorted(os.listdir(outbound / "held")) == ["day-2.837", "day-2.837.report.html", "day.837.report.html"]
    assert set(claims_in_context((outbound / "held" / "day-2.837").read_bytes())) == HELD_IN_MIXED
    records = hold_records(outbound / "logs" / "day.837.changes.jsonl")
    assert all(f" in {outbound / 'held' / 'day-2.837'}: " in str(r["message"]) for r in records)


KILLED_BEFORE_DELIVERY = """
import os, sys
from edi837.delivery import handoff
from edi837.cli.app import main
handoff.Handoff._deliver = lambda *args, **kwargs: os._exit(9)  # fixed and committed, not yet journaled
sys.argv = ["edi-fix", "watch", sys.argv[1], "--to", sys.argv[2], "--once", "--settle", "0", "--no-validate"]
main()
"""


def test_a_watcher_killed_before_the_journal_leaves_no_worklist_to_take_the_held_name(
        folders: tuple[Path, Path]) -> None:
    """Killed after the file was fixed (change log, worklist and ledger committed) and before its journal entry:
    nothing was delivered, so the next start fixes the file again. The held file must take held/NAME, not a
    numbered sibling beside an orphan worklist of the same claims (the kill -9 test met that one run in three)."""
    outbound, ready = folders
    (outbound / "day.837").write_bytes(mixed_file())
    killed = subprocess.run([sys.executable, "-c", KILLED_BEFORE_DELIVERY, str(outbound), str(ready)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert killed.returncode == 9, killed.stderr
    assert not (outbound / "held").exists() or os.listdir(outbound / "held") == []
    proc = once(outbound, ready)
    assert proc.returncode == 1 and outcomes(proc) == {"day.837": "held"}, proc.stderr
    assert sorted(os.listdir(outbound / "held")) == ["day.837", "day.837.report.html"]
    assert set(claims_in_context((outbound / "held" / "day.837").read_bytes())) == HELD_IN_MIXED
    assert os.listdir(outbound / ".edi837" / "held-tmp") == []
