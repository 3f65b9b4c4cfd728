"""The payer loop end to end, through the real command line: a week of claims fixed with the ledger recording,
the 835 and 277CA answering it, `edi-fix remit` (twice), `edi-fix outcomes` and its proposals.

The week (every expected count below is worked out from it by hand, not read from the code):
- A0..A11, payer PAYR9: CMT on the lumbar spine (M99.03) and 97140 on the shoulder (M25.511), every line with
  REF*6R. NC001 appends 59 to 97140 (a distinct region, the payer has no profile: 59 by default). The payer
  pays the CMT ($45) and denies 97140-59 with CO-4 and N519.
- B0..B11, PAYR9: the same shape billed with 97140-XS, no REF*6R (matched by code, date and charge). NC001 has
  nothing to do. The payer pays both lines ($45 + $40); a second 835 reverses B11.
- P0..P2, PAYR9: one office visit (99213, $85), paid.
- R1, PAYR9: one office visit the payer's 277CA rejects (A7:562:85); no payment.
- ZZ1: a claim in the 835 that edi837 never delivered: unmatched, counted nowhere.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from edi837.ledger import queries
from edi837.ledger.store import Ledger
from edi837.packs.files import PackFile
from edi837.packs.profiles import load_profile
from edi837.remit.delivered import from_ledger
from edi837.testing.generator import build_837
from edi837.testing.remits import PAID, ClaimAnswer, LineAnswer, StatusAnswer, build_277ca, build_835, denied
from edi837.testing.specs import ClaimSpec, LineSpec
from tests.helpers import REPO, SAMPLES
from tests.ledger_helpers import record

DAY = date(2026, 3, 2)
PAYER = {"payer_id": "PAYR9", "payer_name": "EXAMPLE PAYER NINE"}


def _chiro(claim_id: str, modifiers: tuple[str, ...], controls: bool) -> ClaimSpec:
    return ClaimSpec(claim_id, ("M9903", "M25511"), (
        LineSpec("98940", "45", pointers=(1,), service_date=DAY, control=f"{claim_id}L1" if controls else None),
        LineSpec("97140", "40", modifiers=modifiers, pointers=(2,), service_date=DAY,
                 control=f"{claim_id}L2" if controls else None),
    ), **PAYER)


def _visit(claim_id: str) -> ClaimSpec:
    return ClaimSpec(claim_id, ("M5450",), (LineSpec("99213", "85.00", service_date=DAY),), **PAYER)


A = [_chiro(f"A{n}", (), controls=True) for n in range(12)]
B = [_chiro(f"B{n}", ("XS",), controls=False) for n in range(12)]
P = [_visit(f"P{n}") for n in range(3)]
R1 = _visit("R1")
ZZ1 = _visit("ZZ1")


def _as_sent(claim: ClaimSpec) -> ClaimSpec:
    """The claim as the payer received it: A's 97140 with the 59 edi837 appended."""
    if not claim.claim_id.startswith("A"):
        return claim
    cmt, mt = claim.lines
    return replace(claim, lines=(cmt, replace(mt, modifiers=("59",))))


def _edi_fix(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EDI837_LEDGER": ""}  # the ledger is always named with --ledger here
    return subprocess.run([sys.executable, "-m", "edi837", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600, env=env, check=False)


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder with the fixed week recorded in ledger.sqlite3 and the payer's three answers."""
    folder = tmp_path_factory.mktemp("week")
    record(folder / "ledger.sqlite3", build_837([*A, *B, *P, R1], seed=24))
    no_59 = denied("CO", "4", "N519")
    unechoed = LineAnswer(echo=False)
    answers = ([ClaimAnswer(_as_sent(c), (PAID, no_59), f"I{c.claim_id}") for c in A]
               + [ClaimAnswer(c, (unechoed, unechoed), f"I{c.claim_id}") for c in B]
               + [ClaimAnswer(c, (unechoed,), f"I{c.claim_id}") for c in P]
               + [ClaimAnswer(ZZ1, (unechoed,), "IZZ1")])
    (folder / "week.835").write_bytes(build_835(answers, payer_id="PAYR9"))
    (folder / "reversal.835").write_bytes(build_835([ClaimAnswer(B[-1], (unechoed, unechoed), "IB11", reversal=True)],
                                                    payer_id="PAYR9", trace="T2", control=2))
    (folder / "week.277").write_bytes(build_277ca([StatusAnswer(P[0]), StatusAnswer(R1, "A7", "562", "85")],
                                                  payer_id="PAYR9"))
    return folder


def _remit(folder: Path) -> subprocess.CompletedProcess[str]:
    return _edi_fix("remit", *(str(folder / n) for n in ("week.835", "reversal.835", "week.277")),
                    "--ledger", str(folder / "ledger.sqlite3"))


def _counts(folder: Path) -> tuple[int, ...]:
    with Ledger.open(folder / "ledger.sqlite3", write=False) as ledger:
        return tuple(ledger.connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("remittances", "remit_claims", "remit_lines", "status_reports", "claim_statuses"))


def test_the_ledger_gives_the_matcher_what_went_out(week: Path) -> None:
    """The adapter: A0 as delivered, 97140 with the 59 NC001 appended, the finding on its position."""
    with Ledger.open(week / "ledger.sqlite3", write=False) as ledger:
        (a0,) = [from_ledger(c) for c in queries.delivered_claims(ledger, claim_id="A0")]
    cmt, mt = a0.lines
    assert (a0.payer_id, cmt.code, cmt.control, mt.code, mt.modifiers, mt.control, mt.charge, mt.service_date) == (
        "PAYR9", "98940", "A0L1", "97140", ("59",), "A0L2", Decimal("40"), DAY)
    assert [(f.rule, f.action, f.applied, f.line) for f in a0.findings] == [("NC001", "append_modifier", True, 1)]


def test_remit_records_once_and_says_what_matched(week: Path) -> None:
    first = _remit(week)
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    lines = first.stdout.splitlines()
    # 28 claims: 27 delivered (A, B, P) and ZZ1; 12x2 + 12x2 + 3 + 1 = 52 lines, ZZ1's one unmatched
    assert "week.835: 835 0001 from payer PAYR9: 28 claims (27 matched, 1 unmatched), 52 lines (51 matched, " \
           "1 unmatched), 0 reversed, 0 replaced, 0 validation findings kept" in lines
    assert "  unmatched claim ZZ1" in lines
    assert any(line.startswith("reversal.835: 835 0001 from payer PAYR9: 1 claim (1 matched, 0 unmatched), 2 lines "
                               "(2 matched, 0 unmatched), 1 reversed") for line in lines)
    assert any(line.startswith("week.277: 277CA") and "2 claim statuses recorded, 1 rejected" in line
               for line in lines)
    recorded = _counts(week)
    assert recorded == (2, 29, 54, 1, 2)
    again = _remit(week)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("recorded before; nothing changed") == 3
    assert _counts(week) == recorded


def test_outcomes_count_the_scenario(week: Path) -> None:
    if _counts(week)[0] == 0:
        assert _remit(week).returncode == 0
    shown = _edi_fix("outcomes", "--format", "json", "--ledger", str(week / "ledger.sqlite3"))
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    nc001 = doc["by_action"]["97140 +59 by NC001 (append_modifier)"]
    assert (nc001["lines"], nc001["paid"], nc001["denied"], nc001["denial_reasons"], nc001["remarks"]) == (
        12, 0, 12, {"CO-4": 12}, {"N519": 12})
    assert list(doc["by_action"]) == ["97140 +59 by NC001 (append_modifier)"]  # B and P: nothing changed
    # Standing: 12 A + 11 B (B11 reversed) + 3 P = 26 claims, 24 + 22 + 3 = 49 lines; paid: 12 CMT, 22 B
    # lines, 3 visits = 37; $45x12 + $85x11 + $85x3 = $1,730.00 paid of $1,020 + $935 + $255 = $2,210.00.
    payr9 = doc["by_payer"]["PAYR9"]
    assert (payr9["claims"], payr9["lines"], payr9["paid"], payr9["denied"], payr9["paid_amount"], payr9["charge"]) \
        == (26, 49, 37, 12, "1730.00", "2210.00")
    assert (doc["changed"]["changed"]["lines"], doc["changed"]["untouched"]["lines"]) == (12, 37)
    assert doc["by_procedure"]["97140 +XS"]["paid"] == 11
    assert doc["rejections"] == {"A7:562:85": 1}


def test_propose_writes_the_payer_profile_the_week_implies(week: Path, tmp_path: Path) -> None:
    """PAYR9 denies 97140-59 with CO-4 (12 of 12) and pays 97140-XS (11 of 11): distinct_modifier = "XS"."""
    if _counts(week)[0] == 0:
        assert _remit(week).returncode == 0
    shown = _edi_fix("outcomes", "--propose", str(tmp_path), "--ledger", str(week / "ledger.sqlite3"))
    assert shown.returncode == 0, shown.stderr
    assert "proposal written: PAYR9.toml" in shown.stdout
    text = (tmp_path / "PAYR9.toml").read_text()
    assert (tmp_path / "PAYR9.toml").stat().st_mode & 0o077 == 0  # a proposal names no patient, still 0600
    assert 'distinct_modifier = "XS"' in text and "CO-4 x12" in text and "[rules." not in text
    profile = load_profile("PAYR9", PackFile(tmp_path / "PAYR9.toml", tmp_path).data,
                           PackFile(tmp_path / "PAYR9.toml", tmp_path), user=True, schemas=None)
    assert profile.payer_ids == frozenset({"PAYR9"})
    stricter = _edi_fix("outcomes", "--propose", str(tmp_path / "none"), "--min-lines", "13",
                        "--ledger", str(week / "ledger.sqlite3"))
    assert stricter.returncode == 0 and not list((tmp_path / "none").iterdir())
    assert "weak evidence, nothing proposed: PAYR9: distinct_modifier = XS" in stricter.stdout
    assert stricter.stderr.startswith("edi-fix: nothing proposed: the evidence is weak for ")
    assert stricter.stderr.rstrip("\n").endswith(", listed above") and stricter.stderr.count("\n") == 1


def test_outcomes_filters_and_html(week: Path) -> None:
    if _counts(week)[0] == 0:
        assert _remit(week).returncode == 0
    ledger = str(week / "ledger.sqlite3")
    other = json.loads(_edi_fix("outcomes", "--format", "json", "--payer", "OTHER", "--ledger", ledger).stdout)
    assert other["by_payer"] == {} and other["rejections"] == {}
    later = json.loads(_edi_fix("outcomes", "--format", "json", "--since", "2026-04-11", "--ledger", ledger).stdout)
    assert later["by_payer"] == {}  # the generator's payments are dated 2026-04-10
    page = _edi_fix("outcomes", "--format", "html", "--ledger", ledger)
    assert page.returncode == 0 and page.stdout.startswith("<!DOCTYPE html>")
    assert "97140 +59 by NC001 (append_modifier)" in page.stdout and "A7:562:85" in page.stdout


def test_refusals_are_one_line_and_record_nothing(week: Path, tmp_path: Path) -> None:
    (tmp_path / "not.835").write_bytes(build_837([P[0]]))  # an 837 given by mistake
    before = _counts(week)
    refused = _edi_fix("remit", str(week / "week.835"), str(tmp_path / "not.835"), "--ledger",
                       str(week / "ledger.sqlite3"))
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("edi-fix: refused: not.835: ") and refused.stderr.count("\n") == 1
    assert _counts(week) == before
    missing = _edi_fix("outcomes", "--ledger", str(tmp_path / "none.sqlite3"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "no claims ledger there yet" in missing.stderr
    nowhere = _edi_fix("remit", str(week / "week.835"))  # EDI837_LEDGER="" and no --ledger
    assert nowhere.returncode == 2 and "give --ledger PATH" in nowhere.stderr


def test_public_remittance_samples_are_recorded_as_unmatched(tmp_path: Path) -> None:
    folder = SAMPLES / "remits"
    if not folder.is_dir():
        pytest.skip(f"public remittance samples absent: {folder} (set EDI837_SAMPLES)")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".835", ".txt"))
    Ledger.open(tmp_path / "ledger.sqlite3").close()  # a ledger with nothing delivered (remit makes none)
    done = _edi_fix("remit", *map(str, files), "--ledger", str(tmp_path / "ledger.sqlite3"))
    assert done.returncode == 0, done.stderr
    # Nothing was delivered into this ledger: every claim of every 835 is unmatched, none is guessed.
    # (lfh_medicare-part-a.835 is lfh_demo.835 byte for byte: recorded once.)
    said = [line for line in done.stdout.splitlines() if re.match(r"\S+\.835: 835 ", line)]
    assert len(said) == sum(1 for p in files if p.suffix == ".835")
    assert all(re.search(r": (\d+) claims? \(0 matched, \1 unmatched\)", line) or
               line.endswith("recorded before; nothing changed") for line in said), said
