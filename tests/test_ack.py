"""`edi-fix ack`: a review item a person acknowledged is neither held nor counted again while its line is billed
the same; a changed line raises it again; `--list`, `--revoke`; refusals are one line, exit 2.

Real `edi-fix` processes and a real ledger. The file (tests/ledger_helpers.py) holds SAME1 for one NC001 review
item on line 2 (97140 pointing only to the lumbar region its 98940 manipulated).
"""

from __future__ import annotations

import getpass
import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from edi837.exits import ExitCode
from tests.cli_helpers import edi_fix, one_refusal
from tests.ledger_helpers import small_file


@pytest.fixture
def held_once(tmp_path: Path) -> Path:
    """A first run that held SAME1 for review, recorded in tmp_path/ledger.sqlite3."""
    (tmp_path / "in.837").write_bytes(small_file())
    proc = run(tmp_path, "in.837", "out1.837", "--hold", "review")
    assert proc.returncode == ExitCode.NEEDS_PERSON, proc.stderr
    return tmp_path


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return edi_fix(*args, "--ledger", str(folder / "ledger.sqlite3"), cwd=folder)


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_walk_through_held_then_acknowledged_then_delivered(held_once: Path) -> None:
    folder = held_once
    assert (folder / "out1.837.held.837").exists()
    proc = run(folder, "ack", "SAME1", "--rule", "nc001", "--note", "separate region documented", "--by", "Pat")
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert b"acknowledged NC001 on claim SAME1 line 2" in proc.stdout
    proc = run(folder, "in.837", "out2.837", "--hold", "review")
    assert proc.returncode == ExitCode.OK, proc.stderr  # nothing else needs a person
    assert not (folder / "out2.837.held.837").exists()
    assert b"SAME1" in (folder / "out2.837").read_bytes()
    [item] = [r for r in records(folder / "out2.837.changes.jsonl") if r["claim_id"] == "SAME1"]
    today = sqlite3.connect(folder / "ledger.sqlite3").execute("SELECT at FROM acks").fetchone()[0][:10]
    assert item["rule"] == "NC001" and item["action"] == "review" and item["applied"] is False
    assert item["acknowledged"] == f"Pat on {today}: separate region documented"
    listing = run(folder, "claims", "--claim", "SAME1", "--history", "--format", "json")
    assert [c["status"] for c in json.loads(listing.stdout)["claims"]] == ["held", "unchanged"]


def test_a_line_billed_differently_is_raised_again(held_once: Path) -> None:
    folder = held_once
    assert run(folder, "ack", "SAME1", "--rule", "NC001", "--note", "ok").returncode == ExitCode.OK
    (folder / "in2.837").write_bytes(small_file(same_units="2"))  # the acknowledged line now bills 2 units
    proc = run(folder, "in2.837", "out2.837", "--hold", "review")
    assert proc.returncode == ExitCode.NEEDS_PERSON
    assert (folder / "out2.837.held.837").exists()
    assert all("acknowledged" not in r for r in records(folder / "out2.837.changes.jsonl"))


def test_without_hold_an_acknowledged_item_is_not_counted(held_once: Path) -> None:
    folder = held_once
    assert run(folder, "ack", "SAME1", "--rule", "NC001", "--note", "ok").returncode == ExitCode.OK
    proc = run(folder, "in.837", "out2.837", "--format", "json")
    assert proc.returncode == ExitCode.OK, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["review_items"] == 0 and summary["review"] == []
    assert summary["acknowledged_items"] == 1


def test_list_and_revoke(held_once: Path) -> None:
    folder = held_once
    assert run(folder, "ack", "SAME1", "--rule", "NC001", "--note", "ok").returncode == ExitCode.OK
    listed = run(folder, "ack", "--list")
    assert listed.returncode == 0
    assert b"SAME1" in listed.stdout and f"acknowledged by {getpass.getuser()}".encode() in listed.stdout
    proc = run(folder, "ack", "--revoke", "SAME1", "--rule", "NC001", "--by", "Sam")
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert run(folder, "ack", "--list").stdout.strip() == b"no acknowledgements"
    assert b"revoked by Sam" in run(folder, "ack", "--list", "--all").stdout
    assert run(folder, "in.837", "out2.837", "--hold", "review").returncode == ExitCode.NEEDS_PERSON  # held again


def test_ack_list_has_a_header_row(held_once: Path) -> None:
    folder = held_once
    assert run(folder, "ack", "SAME1", "--rule", "NC001", "--note", "ok", "--by", "Pat").returncode == ExitCode.OK
    header, row = run(folder, "ack", "--list").stdout.decode().splitlines()
    assert header.split() == ["ack", "claim", "rule", "on", "acknowledged"]
    assert row.split()[:4] == ["1", "SAME1", "NC001", "line"]
    # the columns line up under their names
    assert row.index("SAME1") == header.index("claim") and row.index("NC001") == header.index("rule")


def test_check_decides_what_the_run_would_with_acknowledgements(held_once: Path) -> None:
    """SAME1's only review item acknowledged: the dry run neither holds nor counts it, exactly as the run that
    follows; and --check writes nothing, the ledger neither (its runs are the same before and after)."""
    folder = held_once
    assert run(folder, "ack", "SAME1", "--rule", "NC001", "--note", "ok").returncode == ExitCode.OK
    runs_before = sqlite3.connect(folder / "ledger.sqlite3").execute("SELECT count(*) FROM runs").fetchone()
    check = run(folder, "in.837", "dry.837", "--check", "--hold", "review", "--format", "json")
    assert sqlite3.connect(folder / "ledger.sqlite3").execute("SELECT count(*) FROM runs").fetchone() == runs_before
    assert not (folder / "dry.837").exists() and not (folder / "dry.837.held.837").exists()
    real = run(folder, "in.837", "out2.837", "--hold", "review", "--format", "json")
    assert real.returncode == ExitCode.OK, real.stderr
    dry, done = json.loads(check.stdout), json.loads(real.stdout)
    assert dry["held"]["claims"] == done["held"]["claims"] == 0
    assert dry["review_items"] == done["review_items"] == 0
    assert dry["acknowledged_items"] == done["acknowledged_items"] == 1
    # --check exits 1 for SAFE1's safe fix alone (something would change), not for a held claim
    assert check.returncode == ExitCode.NEEDS_PERSON and dry["changed_claims"] == done["changed_claims"] == 1
    # in words: a dry run writes no change log, so it points at the acknowledgements themselves
    said = run(folder, "in.837", "dry.837", "--check", "--hold", "review").stdout.decode()
    assert "1 review item acknowledged as right as billed (see `edi-fix ack --list`)" in said, said


def test_the_note_is_one_bounded_line(held_once: Path) -> None:
    folder = held_once
    note = "line one\nline two\x1b[31m" + "x" * 900
    assert run(folder, "ack", "SAME1", "--rule", "NC001", "--note", note).returncode == ExitCode.OK
    [(kept,)] = sqlite3.connect(folder / "ledger.sqlite3").execute("SELECT note FROM acks").fetchall()
    assert "\n" not in kept and "\x1b" not in kept
    assert len(kept) <= 500


@pytest.mark.parametrize(("args", "words"), [
    (("ack", "NOPE1", "--rule", "NC001", "--note", "x"), "claim NOPE1 is in no committed run"),
    (("ack", "SAME1", "--rule", "NC001", "--line", "1", "--note", "x"), "no item of NC001 on line 1"),
    (("ack", "SAME1", "--rule", "NC001"), "--note TEXT is needed"),
    (("ack", "--revoke", "SAME1", "--rule", "NC001"), "no live acknowledgement"),
])
def test_refusals_are_one_line_exit_2(held_once: Path, args: tuple[str, ...], words: str) -> None:
    proc = run(held_once, *args)
    assert proc.returncode == ExitCode.REFUSED
    assert words in one_refusal(proc.stderr.decode())


def test_no_ledger_yet_is_refused_and_none_is_made(tmp_path: Path) -> None:
    proc = run(tmp_path, "ack", "SAME1", "--rule", "NC001", "--note", "x")
    assert proc.returncode == ExitCode.REFUSED
    assert "no claims ledger there yet" in one_refusal(proc.stderr.decode())
    assert not (tmp_path / "ledger.sqlite3").exists()
