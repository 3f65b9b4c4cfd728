"""`edi-fix release HELD --claim ID... --to OUT`: named held claims, acknowledged, go to OUT; the held file keeps the
rest (or goes); the ledger records it; refusals write nothing; a process killed between placing OUT and
rewriting HELD never leaves a claim deliverable twice.

Real `edi-fix` processes, real folders, a real ledger. The file: tests/ledger_helpers.py's three claims plus
SAME2, a copy of SAME1 (one NC001 review item on line 2), so that `--hold review` holds SAME1 and SAME2.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from edi837.exits import ExitCode
from edi837.gate.pyx12_gate import validate
from edi837.testing.generator import build_837
from edi837.testing.specs import ClaimSpec
from tests.cli_helpers import edi_fix, one_refusal
from tests.ledger_helpers import CLAIMS

SAME2 = ClaimSpec("SAME2", CLAIMS[1].diagnoses, CLAIMS[1].lines, payer_id="ACME1")
DATA = build_837([*CLAIMS, SAME2], seed=5)
HELD = "out.837.held.837"


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return edi_fix(*args, "--ledger", str(folder / "ledger.sqlite3"), cwd=folder)


@pytest.fixture
def held(tmp_path: Path) -> Path:
    (tmp_path / "in.837").write_bytes(DATA)
    assert run(tmp_path, "in.837", "out.837", "--hold", "review").returncode == ExitCode.NEEDS_PERSON
    assert b"CLM*SAME1*" in (tmp_path / HELD).read_bytes() and b"CLM*SAME2*" in (tmp_path / HELD).read_bytes()
    return tmp_path


def ack(folder: Path, claim: str) -> None:
    proc = run(folder, "ack", claim, "--rule", "NC001", "--note", "separate region documented", "--by", "Pat")
    assert proc.returncode == ExitCode.OK, proc.stderr


def valid(path: Path) -> bool:
    return validate(lambda: path.open("rb")) == []


def history(folder: Path, claim: str) -> list[tuple[str, str]]:
    with sqlite3.connect(folder / "ledger.sqlite3") as db:
        return db.execute("SELECT r.entry, c.status FROM claims c JOIN runs r ON r.id = c.run WHERE c.claim_id = ? "
                          "AND r.state = 'committed' ORDER BY c.run", (claim,)).fetchall()


def test_an_unacknowledged_claim_is_refused_and_nothing_is_written(held: Path) -> None:
    before = (held / HELD).read_bytes()
    proc = run(held, "release", HELD, "--claim", "SAME1", "--to", "sent.837")
    assert proc.returncode == ExitCode.REFUSED
    line = one_refusal(proc.stderr.decode())
    assert "claim SAME1: NC001 line 2 is not acknowledged" in line
    assert "edi-fix ack SAME1 --rule NC001 --line 2 --note TEXT" in line
    assert (held / HELD).read_bytes() == before
    assert not (held / "sent.837").exists() and not (held / "sent.837.changes.jsonl").exists()
    assert sorted(p.name for p in held.iterdir() if p.name.startswith(".")) == []  # no temporary file left


def test_walk_through_held_acknowledged_released(held: Path) -> None:
    ack(held, "SAME1")
    proc = run(held, "release", HELD, "--claim", "SAME1", "--to", "sent.837")
    assert proc.returncode == ExitCode.OK, proc.stderr
    sent, kept = (held / "sent.837").read_bytes(), (held / HELD).read_bytes()
    assert b"CLM*SAME1*" in sent and b"CLM*SAME2*" not in sent
    assert b"CLM*SAME2*" in kept and b"CLM*SAME1*" not in kept
    assert valid(held / "sent.837") and valid(held / HELD)
    [item] = [json.loads(line) for line in (held / "sent.837.changes.jsonl").read_text().splitlines()
              if json.loads(line)["claim_id"] == "SAME1"]
    assert item["acknowledged"].startswith("Pat on ") and item["acknowledged"].endswith(": separate region documented")
    assert history(held, "SAME1") == [("cli", "held"), ("release", "unchanged")]
    assert history(held, "SAME2") == [("cli", "held"), ("release", "held")]
    # the last claim out: the held file goes
    ack(held, "SAME2")
    assert run(held, "release", HELD, "--claim", "SAME2", "--to", "sent2.837").returncode == ExitCode.OK
    assert not (held / HELD).exists()
    assert valid(held / "sent2.837")


@pytest.mark.parametrize(("claim", "words"), [("NOPE9", "claim NOPE9 is not in the held file"),
                                              ("SAFE1", "claim SAFE1 is not in the held file")])
def test_a_claim_not_in_the_held_file_is_refused(held: Path, claim: str, words: str) -> None:
    proc = run(held, "release", HELD, "--claim", claim, "--to", "sent.837")
    assert proc.returncode == ExitCode.REFUSED
    assert words in one_refusal(proc.stderr.decode())
    assert not (held / "sent.837").exists()


def test_out_must_be_a_regular_file_or_absent(held: Path) -> None:
    ack(held, "SAME1")
    (held / "folder").mkdir()
    (held / "link.837").symlink_to(held / "in.837")
    for target in ("folder", "link.837", HELD):
        proc = run(held, "release", HELD, "--claim", "SAME1", "--to", target)
        assert proc.returncode == ExitCode.REFUSED, target
    assert b"CLM*SAME1*" in (held / HELD).read_bytes()


KILLED_BETWEEN = """
import os, sys
import edi837.delivery.release as release
release.fsync_directory = lambda folder: os._exit(9)  # the first step after OUT is renamed into place
from edi837.cli.app import main
sys.exit(main(sys.argv[1:]))
"""


def test_killed_between_out_and_the_held_file_never_delivers_a_claim_twice(held: Path) -> None:
    killed_between(held)
    assert b"CLM*SAME1*" in (held / "sent.837").read_bytes()  # OUT is in place ...
    assert b"CLM*SAME1*" in (held / HELD).read_bytes()  # ... and HELD not yet rewritten: the window
    assert (held / (HELD + ".release.json")).exists()
    # The next release of that held file finishes the first before it reads: SAME1 is no longer there.
    proc = run(held, "release", HELD, "--claim", "SAME1", "--to", "again.837")
    assert proc.returncode == ExitCode.REFUSED
    assert "claim SAME1 is not in the held file" in one_refusal(proc.stderr.decode())
    assert b"CLM*SAME1*" not in (held / HELD).read_bytes() and b"CLM*SAME2*" in (held / HELD).read_bytes()
    assert not (held / "again.837").exists() and not (held / (HELD + ".release.json")).exists()
    assert valid(held / HELD) and valid(held / "sent.837")
    assert history(held, "SAME1") == [("cli", "held"), ("release", "unchanged")]  # marked committed by the finisher


def test_a_fresh_interchange_control_number_goes_on_the_released_file(held: Path) -> None:
    """The held file carries the interchange control number of the file already delivered (out.837): sent again,
    a clearinghouse rejects it as a duplicate interchange (X12 TA1 note 025, 'duplicate interchange control
    number'). --interchange N puts N in ISA13 and IEA02 (9 digits, ISA13 fixed width) and changes nothing else."""
    delivered = (held / "out.837").read_bytes()
    original = delivered[delivered.index(b"ISA"):][90:99]
    assert original == (held / HELD).read_bytes()[90:99]  # the same number: what would be rejected
    ack(held, "SAME1")
    proc = run(held, "release", HELD, "--claim", "SAME1", "--to", "sent.837", "--interchange", "4711")
    assert proc.returncode == ExitCode.OK, proc.stderr
    sent = (held / "sent.837").read_bytes()
    assert sent[90:99] == b"000004711" and b"IEA*1*000004711~" in sent
    assert valid(held / "sent.837")
    plain = run(held, "release", HELD, "--claim", "SAME2", "--to", "other.837")  # not acknowledged: refused
    assert plain.returncode == ExitCode.REFUSED
    too_big = run(held, "release", HELD, "--claim", "SAME2", "--to", "x.837", "--interchange", "1000000000")
    assert too_big.returncode == ExitCode.REFUSED and not (held / "x.837").exists()


@pytest.mark.parametrize("existing", ["sent.837", "sent.837.changes.jsonl"])
def test_an_existing_out_or_change_log_is_refused_not_overwritten(held: Path, existing: str) -> None:
    """OUT (or its change log) already there may hold claims delivered before: replacing it would lose them."""
    ack(held, "SAME1")
    (held / existing).write_bytes(b"delivered before")
    before = (held / HELD).read_bytes()
    proc = run(held, "release", HELD, "--claim", "SAME1", "--to", "sent.837")
    assert proc.returncode == ExitCode.REFUSED
    assert f"{existing} exists: release to a new file" in one_refusal(proc.stderr.decode())
    assert (held / existing).read_bytes() == b"delivered before"
    assert (held / HELD).read_bytes() == before
    other = "sent.837.changes.jsonl" if existing == "sent.837" else "sent.837"
    assert not (held / other).exists()


def killed_between(held: Path) -> None:
    """A release of SAME1 killed after OUT (sent.837) is in place, before HELD is rewritten."""
    ack(held, "SAME1")
    killed = subprocess.run([sys.executable, "-c", KILLED_BETWEEN, "release", HELD, "--claim", "SAME1", "--to",
                             "sent.837", "--ledger", str(held / "ledger.sqlite3")], cwd=held, capture_output=True,
                            timeout=300, check=False)
    assert killed.returncode == 9, killed.stderr.decode()[-2000:]
    assert (held / (HELD + ".release.json")).exists()


def test_a_release_killed_in_one_folder_is_finished_from_another(held: Path) -> None:
    """The journal names its files by absolute path: finished from the parent folder, SAME1 is not sent twice."""
    killed_between(held)
    proc = edi_fix("release", f"{held.name}/{HELD}", "--claim", "SAME1", "--to", f"{held.name}/again.837",
                   "--ledger", str(held / "ledger.sqlite3"), cwd=held.parent)
    assert proc.returncode == ExitCode.REFUSED
    assert "claim SAME1 is not in the held file" in one_refusal(proc.stderr.decode())
    assert b"CLM*SAME1*" not in (held / HELD).read_bytes() and b"CLM*SAME2*" in (held / HELD).read_bytes()
    assert not (held / "again.837").exists() and not (held / (HELD + ".release.json")).exists()
    assert history(held, "SAME1") == [("cli", "held"), ("release", "unchanged")]


def test_a_journal_whose_temporary_file_is_gone_is_kept_and_refused(held: Path) -> None:
    """HELD's temporary file gone and HELD not holding it: finishing is impossible, forgetting could send SAME1
    twice; the release refuses and keeps the journal for a person."""
    killed_between(held)
    (held / f".{HELD}.release.tmp").unlink()
    before = (held / HELD).read_bytes()
    proc = run(held, "release", HELD, "--claim", "SAME1", "--to", "again.837")
    assert proc.returncode == ExitCode.REFUSED
    assert "a release that cannot be finished" in one_refusal(proc.stderr.decode())
    assert (held / (HELD + ".release.json")).exists() and (held / HELD).read_bytes() == before
    assert not (held / "again.837").exists()
    assert history(held, "SAME1") == [("cli", "held")]  # the killed release is not marked committed


@pytest.mark.parametrize("source", ["in.837", "out.837"])
def test_only_a_held_file_the_ledger_recorded_is_released(held: Path, source: str) -> None:
    """The original input and a delivered output hold SAME1 too: released from them, it would go out twice."""
    ack(held, "SAME1")
    before = (held / source).read_bytes()
    proc = run(held, "release", source, "--claim", "SAME1", "--to", "sent.837")
    assert proc.returncode == ExitCode.REFUSED
    assert "not a held file the claims ledger recorded" in one_refusal(proc.stderr.decode())
    assert (held / source).read_bytes() == before and not (held / "sent.837").exists()


def test_release_without_the_ledger_is_refused(held: Path) -> None:
    ack(held, "SAME1")
    proc = edi_fix("release", HELD, "--claim", "SAME1", "--to", "sent.837", "--ledger", "off", cwd=held)
    assert proc.returncode == ExitCode.REFUSED
    assert "release needs the claims ledger that held the claims" in one_refusal(proc.stderr.decode())
    assert not (held / "sent.837").exists()


# PLAIN1's office visit (99213) falls on the day of SAFE1's manipulation (98940), same patient, payer and provider:
# EM001 holds PLAIN1 for a person (CPT: a visit beside CMT needs 25, which only its note proves). SAFE1 is delivered;
# a re-run of the held file alone no longer sees the 98940, so only the ledger knows why PLAIN1 was held.
CROSS = build_837([replace(CLAIMS[0], person="ALEX"), replace(CLAIMS[2], person="ALEX")], seed=5)


def test_an_item_the_re_run_cannot_raise_still_needs_its_acknowledgement(tmp_path: Path) -> None:
    (tmp_path / "in.837").write_bytes(CROSS)
    assert run(tmp_path, "in.837", "out.837", "--hold", "review").returncode == ExitCode.NEEDS_PERSON
    assert b"CLM*PLAIN1*" in (tmp_path / HELD).read_bytes() and b"CLM*SAFE1*" not in (tmp_path / HELD).read_bytes()
    proc = run(tmp_path, "release", HELD, "--claim", "PLAIN1", "--to", "sent.837")
    assert proc.returncode == ExitCode.REFUSED
    line = one_refusal(proc.stderr.decode())
    assert "claim PLAIN1: EM001 line 1 is not acknowledged" in line
    assert "edi-fix ack PLAIN1 --rule EM001 --line 1 --note TEXT" in line
    assert not (tmp_path / "sent.837").exists()
    acked = run(tmp_path, "ack", "PLAIN1", "--rule", "EM001", "--note", "visit note documents it", "--by", "Pat")
    assert acked.returncode == ExitCode.OK, acked.stderr
    done = run(tmp_path, "release", HELD, "--claim", "PLAIN1", "--to", "sent.837")
    assert done.returncode == ExitCode.OK, done.stderr
    assert b"CLM*PLAIN1*" in (tmp_path / "sent.837").read_bytes() and not (tmp_path / HELD).exists()


@pytest.mark.parametrize(("name", "words"), [("nofile.837", "nofile.837: no such file"),
                                             ("-", "not standard input")])
def test_a_missing_held_file_or_standard_input_is_one_line_exit_2(held: Path, name: str, words: str) -> None:
    proc = run(held, "release", name, "--claim", "SAME1", "--to", "sent.837")
    assert proc.returncode == ExitCode.REFUSED, proc.stderr
    assert words in one_refusal(proc.stderr.decode())
    assert not (held / "sent.837").exists()


def test_without_interchange_a_note_says_the_number_is_the_delivered_one(held: Path) -> None:
    """The released file keeps the interchange control number of out.837, already delivered (TA1 note 025)."""
    delivered = (held / "out.837").read_bytes()
    number = delivered[delivered.index(b"ISA"):][90:99].decode()
    ack(held, "SAME1")
    proc = run(held, "release", HELD, "--claim", "SAME1", "--to", "sent.837")
    assert proc.returncode == ExitCode.OK, proc.stderr
    notes = [line for line in proc.stderr.decode().splitlines() if line.startswith("edi-fix: note:")]
    assert notes == [f"edi-fix: note: sent.837 carries interchange control number {number}, that of the file "
                     "already delivered; a clearinghouse rejects a repeated one (TA1 025): give --interchange with a "
                     "fresh number"]
    ack(held, "SAME2")
    fresh = run(held, "release", HELD, "--claim", "SAME2", "--to", "sent2.837", "--interchange", "4712")
    assert fresh.returncode == ExitCode.OK and "note:" not in fresh.stderr.decode()


def test_a_released_claim_stands_as_released_with_its_file_in_every_format(held: Path) -> None:
    """After a release, `edi-fix claims` says where the claim went: status released, OUT's name and when the
    release was committed, in text, JSON and CSV; `--status released` finds it; the totals count each claim once
    (SAFE1, PLAIN1 delivered by the first run; SAME1 released; SAME2 still held: four claims of $85.00)."""
    ack(held, "SAME1")
    assert run(held, "release", HELD, "--claim", "SAME1", "--to", "sent.837").returncode == ExitCode.OK
    found = json.loads(run(held, "claims", "--format", "json").stdout)
    by_id = {c["claim_id"]: c for c in found["claims"]}
    same1 = by_id["SAME1"]
    assert (same1["status"], same1["released_to"], same1["delivered"]) == ("released", "sent.837", "85.00")
    assert same1["released_at"] and same1["released_at"] >= same1["started"]
    assert (by_id["SAME2"]["status"], by_id["SAME2"]["released_to"]) == ("held", None)
    assert found["totals"]["claims"] == 4 and found["totals"]["billed"] == "340.00"
    assert found["totals"]["by_status"]["released"] == {"claims": 1, "billed": "85.00", "delivered": "85.00"}
    only = json.loads(run(held, "claims", "--format", "json", "--status", "released").stdout)
    assert [c["claim_id"] for c in only["claims"]] == ["SAME1"]
    listed = run(held, "claims", "--format", "csv").stdout.decode()
    rows = {r["claim_id"]: r for r in csv.DictReader(io.StringIO(listed))}
    assert (rows["SAME1"]["status"], rows["SAME1"]["released_to"]) == ("released", "sent.837")
    assert rows["SAME1"]["released_at"] == same1["released_at"]
    [line] = [x for x in run(held, "claims").stdout.decode().splitlines() if x.startswith("SAME1 ")]
    assert " released " in line and "sent.837 (" + same1["released_at"][:16] + ")" in line


def test_the_worklist_beside_the_held_file_follows_the_release(tmp_path: Path) -> None:
    """A held file with its staff worklist beside it (HELD.report.html, as the watcher and the batch name it;
    here the CLI's report written there): after a release the worklist lists what is still held - SAME2 with
    its release command, not SAME1 - and goes with the held file when the last claim is released."""
    (tmp_path / "in.837").write_bytes(DATA)
    (tmp_path / "held").mkdir()
    worklist = tmp_path / "held" / "day.837.report.html"
    first = run(tmp_path, "in.837", "out.837", "--hold", "review", "--held", "held/day.837", "--report", str(worklist))
    assert first.returncode == ExitCode.NEEDS_PERSON, first.stderr
    before = worklist.read_text()
    assert "--claim SAME1 --to OUT" in before and "--claim SAME2 --to OUT" in before
    ack(tmp_path, "SAME1")
    assert run(tmp_path, "release", "held/day.837", "--claim", "SAME1", "--to", "sent.837").returncode == ExitCode.OK
    after = worklist.read_text()
    assert "edi-fix release held/day.837 --claim SAME2 --to OUT" in after
    assert "--claim SAME1 --to OUT" not in after and "SAME1" in after  # shown delivered, no longer held
    assert sorted(p.name for p in (tmp_path / "held").iterdir()) == ["day.837", "day.837.report.html"]
    ack(tmp_path, "SAME2")
    assert run(tmp_path, "release", "held/day.837", "--claim", "SAME2", "--to", "sent2.837").returncode == ExitCode.OK
    assert sorted((tmp_path / "held").iterdir()) == []  # no held file, no worklist, no temporary file


def test_a_release_killed_before_its_renames_finishes_the_worklist_too(tmp_path: Path) -> None:
    """The journal names the re-rendered worklist: the next release of the held file renames it with the rest."""
    (tmp_path / "in.837").write_bytes(DATA)
    worklist = tmp_path / f"{HELD}.report.html"
    assert run(tmp_path, "in.837", "out.837", "--hold", "review", "--report", str(worklist)).returncode == 1
    killed_between(tmp_path)
    assert "--claim SAME1 --to OUT" in worklist.read_text()  # not renamed yet: the release is not finished
    ack(tmp_path, "SAME2")
    assert run(tmp_path, "release", HELD, "--claim", "SAME2", "--to", "sent2.837").returncode == ExitCode.OK
    assert not (tmp_path / HELD).exists() and not worklist.exists()
    assert b"CLM*SAME1*" in (tmp_path / "sent.837").read_bytes()
