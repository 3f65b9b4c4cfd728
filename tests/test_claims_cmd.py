"""`edi-fix claims`: the ledger's claims, filtered, in text, JSON and CSV, with exact totals in dollars.

Two real runs into one real ledger: the hand-worked file of tests/ledger_helpers.py (SAFE1 delivered, SAME1
held, PLAIN1 unchanged; $85.00 each, SAME1's payer ACME1, the others SX123), then a second file whose only
claim bills $0.10 three times over ($0.30): totals must add to the cent, as Decimal, never as floats.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from edi837.exits import ExitCode
from edi837.testing.generator import ClaimSpec, LineSpec, build_837
from tests.cli_helpers import edi_fix, one_refusal
from tests.ledger_helpers import small_file

DIMES = build_837([ClaimSpec("DIMES1", ("M5450",), (LineSpec("99211", "0.10"), LineSpec("99211", "0.10"),
                                                   LineSpec("99211", "0.10")))], seed=3)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("claims")
    (folder / "in.837").write_bytes(small_file())
    (folder / "dimes.837").write_bytes(DIMES)
    path = folder / "ledger.sqlite3"
    assert edi_fix("in.837", "out.837", "--hold", "review", "--ledger", str(path), cwd=folder).returncode == 1
    assert edi_fix("dimes.837", "d.837", "--no-validate", "--ledger", str(path), cwd=folder).returncode in (0, 1)
    return path


def claims(ledger: Path, *args: str) -> dict[str, object]:
    proc = edi_fix("claims", "--ledger", str(ledger), "--format", "json", *args)
    assert proc.returncode == ExitCode.OK, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def ids(found: dict[str, object]) -> list[str]:
    return [c["claim_id"] for c in found["claims"]]  # type: ignore[attr-defined,index]


def test_everything_with_exact_totals(ledger: Path) -> None:
    found = claims(ledger)
    assert ids(found) == ["SAFE1", "SAME1", "PLAIN1", "DIMES1"]
    totals = found["totals"]
    assert totals["claims"] == 4  # type: ignore[index]
    assert totals["billed"] == "255.30"  # type: ignore[index]  # 3 x 85.00 + 0.30
    [dimes] = [c for c in found["claims"] if c["claim_id"] == "DIMES1"]  # type: ignore[attr-defined]
    assert dimes["billed"] == "0.30"
    assert totals["by_status"]["held"] == {"claims": 1, "billed": "85.00", "delivered": "0.00"}  # type: ignore[index]


@pytest.mark.parametrize(("args", "expected"), [
    (("--status", "held"), ["SAME1"]),
    (("--status", "delivered", "--status", "held"), ["SAFE1", "SAME1"]),
    (("--claim", "PLAIN1"), ["PLAIN1"]),
    (("--payer", "acme1"), ["SAME1"]),  # payer ids match in any case
    (("--since", "2000-01-01"), ["SAFE1", "SAME1", "PLAIN1", "DIMES1"]),
    (("--since", "2999-01-01"), []),
])
def test_filters(ledger: Path, args: tuple[str, ...], expected: list[str]) -> None:
    assert ids(claims(ledger, *args)) == expected


def test_text_says_dollars_and_the_held_file(ledger: Path) -> None:
    proc = edi_fix("claims", "--ledger", str(ledger))
    text = proc.stdout.decode()
    assert "4 claims: billed $255.30" in text
    [same] = [line for line in text.splitlines() if line.startswith("SAME1")]
    assert "held" in same and "$85.00" in same and "out.837.held.837" in same


def test_text_names_every_column(ledger: Path) -> None:
    """Each text column has a header, the open items and the file a claim sits in too, lined up under it."""
    header, *rows = edi_fix("claims", "--ledger", str(ledger)).stdout.decode().splitlines()
    assert header.split() == ["claim", "status", "payer", "billed", "delivered", "run", "started", "open", "file"]
    [same] = [line for line in rows if line.startswith("SAME1")]
    assert same[header.index("file"):].startswith("out.837.held.837")
    assert same[header.index("open"):header.index("file")].strip() == "1"
    [safe] = [line for line in rows if line.startswith("SAFE1")]
    assert safe[header.index("open"):].strip() == "0"


def test_csv_has_a_header_and_a_row_per_claim(ledger: Path) -> None:
    proc = edi_fix("claims", "--ledger", str(ledger), "--format", "csv", "--status", "unchanged")
    found = list(csv.DictReader(io.StringIO(proc.stdout.decode())))
    assert [(r["claim_id"], r["status"], r["payer_id"]) for r in found] == [("PLAIN1", "unchanged", "SX123"),
                                                                       ("DIMES1", "unchanged", "SX123")]


@pytest.mark.parametrize(("args", "words"), [
    (("--status", "lost"), "--status lost: one of"),
    (("--since", "yesterday"), "--since 'yesterday'"),
])
def test_bad_filters_are_one_line(ledger: Path, args: tuple[str, ...], words: str) -> None:
    proc = edi_fix("claims", "--ledger", str(ledger), *args)
    assert proc.returncode == ExitCode.REFUSED
    assert words in one_refusal(proc.stderr.decode())


def test_no_ledger_is_refused_and_none_made(tmp_path: Path) -> None:
    proc = edi_fix("claims", "--ledger", str(tmp_path / "none.sqlite3"))
    assert proc.returncode == ExitCode.REFUSED
    assert not (tmp_path / "none.sqlite3").exists()


def test_csv_cells_a_spreadsheet_would_run_are_written_as_text(tmp_path: Path) -> None:
    """A claim id is text from the practice's file; one that starts with '=' (or + - @) would run as a formula
    when the CSV is opened in a spreadsheet (OWASP "CSV Injection"): it gets a leading apostrophe. A plain
    number, such as a reversal's negative amount, stays a number."""
    from edi837.words import spreadsheet_safe

    data = build_837([ClaimSpec("=SUM(A1)", ("M5450",), (LineSpec("99213", "85.00"),))], seed=3)
    (tmp_path / "in.837").write_bytes(data)
    ledger = tmp_path / "ledger.sqlite3"
    assert edi_fix("in.837", "out.837", "--no-validate", "--ledger", str(ledger), cwd=tmp_path).returncode == 0
    proc = edi_fix("claims", "--ledger", str(ledger), "--format", "csv")
    [row] = list(csv.DictReader(io.StringIO(proc.stdout.decode())))
    assert row["claim_id"] == "'=SUM(A1)"
    assert [spreadsheet_safe(c) for c in ("-12.00", "+3", "@cmd", "-x", "\tA", "ok")] == [
        "-12.00", "+3", "'@cmd", "'-x", "'\tA", "ok"]


def test_history_lists_every_run_but_totals_count_each_claim_once(tmp_path: Path) -> None:
    """The same file fixed twice: --history lists each claim's two runs, and the totals are still the three
    claims of tests/ledger_helpers.py at $85.00 each (98940 $45 + 97140 $40; 97140 x1 $40 + 98940 $45; 99213
    $85): 3 claims, $255.00 billed."""
    (tmp_path / "in.837").write_bytes(small_file())
    ledger = tmp_path / "ledger.sqlite3"
    for out in ("a.837", "b.837"):
        edi_fix("in.837", out, "--no-validate", "--ledger", str(ledger), cwd=tmp_path)
    found = json.loads(edi_fix("claims", "--ledger", str(ledger), "--format", "json", "--history").stdout)
    assert len(found["claims"]) == 6
    assert (found["totals"]["claims"], found["totals"]["billed"]) == (3, "255.00")
