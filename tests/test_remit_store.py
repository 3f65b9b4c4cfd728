"""Recording remittances in a real SQLite file: exactly once, reversals and corrections, no patient data."""

from __future__ import annotations

import sqlite3
import stat
from io import StringIO
from pathlib import Path

from edi837.remit.commands import remit
from edi837.remit.match import DeliveredClaim
from edi837.testing.remits import PAID, PATIENT, ClaimAnswer, StatusAnswer, build_277ca, build_835, delivered, denied
from tests.remit_scenarios import chiro

CLAIMS = [chiro("S1"), chiro("S2"), chiro("S3")]
KNOWN = delivered(CLAIMS)


def _known(ids: object) -> dict[str, DeliveredClaim]:
    return KNOWN


def _run(tmp_path: Path, *files: Path) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = remit(list(files), tmp_path / "remits.sqlite", out, err, _known)
    return code, out.getvalue(), err.getvalue()


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _standing(tmp_path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(tmp_path / "remits.sqlite") as db:
        return list(db.execute("SELECT claim_id, status, paid FROM remit_claims WHERE status != '22'"
                               " AND reversed_by IS NULL AND replaced_by IS NULL ORDER BY claim_id"))


def _count(tmp_path: Path, table: str) -> int:
    with sqlite3.connect(tmp_path / "remits.sqlite") as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_the_same_835_read_twice_changes_nothing(tmp_path: Path) -> None:
    era = _file(tmp_path, "a.835", build_835([ClaimAnswer(c, (PAID, PAID), f"I{c.claim_id}") for c in CLAIMS]))
    assert _run(tmp_path, era)[0] == 0
    before = (_count(tmp_path, "remit_claims"), _count(tmp_path, "remit_lines"))
    copy = _file(tmp_path, "copy.835", build_835([ClaimAnswer(c, (PAID, PAID), f"I{c.claim_id}") for c in CLAIMS],
                                                 control=77))  # another ISA13/GS06: the same transaction
    code, out, _ = _run(tmp_path, copy)
    assert code == 0 and "recorded before; nothing changed" in out
    assert before == (3, 6) == (_count(tmp_path, "remit_claims"), _count(tmp_path, "remit_lines"))


def test_a_reversal_takes_back_the_payment_and_a_correction_replaces_it(tmp_path: Path) -> None:
    s1 = CLAIMS[0]
    first = _file(tmp_path, "1.835", build_835([ClaimAnswer(s1, (PAID, PAID), "ICN-A")]))
    again = _file(tmp_path, "2.835", build_835([ClaimAnswer(s1, (PAID, PAID), "ICN-A", reversal=True),
                                                ClaimAnswer(s1, (PAID, denied("CO", "4")), "ICN-B")], trace="T2"))
    assert _run(tmp_path, first)[0] == 0
    assert _standing(tmp_path) == [("S1", "1", "95.00")]
    code, out, _ = _run(tmp_path, again)
    assert code == 0
    assert "2 claims (2 matched, 0 unmatched), 4 lines (4 matched, 0 unmatched), 1 reversed, 0 replaced" in out
    assert _standing(tmp_path) == [("S1", "1", "55.00")]  # the corrected payment: 97140 now denied


def test_a_later_payment_replaces_the_one_standing(tmp_path: Path) -> None:
    s2 = CLAIMS[1]
    _run(tmp_path, _file(tmp_path, "1.835", build_835([ClaimAnswer(s2, (PAID, denied("CO", "4")), "ICN-C")])))
    code, out, _ = _run(tmp_path, _file(tmp_path, "2.835", build_835([ClaimAnswer(s2, (PAID, PAID), "ICN-D")],
                                                                     trace="T3")))
    assert code == 0
    assert "1 claim (1 matched, 0 unmatched), 2 lines (2 matched, 0 unmatched), 0 reversed, 1 replaced" in out
    assert _standing(tmp_path) == [("S2", "1", "95.00")]


def test_an_svc01_without_a_code_is_one_unmatched_line_and_the_rest_of_the_835_is_recorded(tmp_path: Path) -> None:
    """One payer's 835 answers many claims: a line whose code cannot be read costs that line, not the file."""
    data = build_835([ClaimAnswer(c, (PAID, PAID), f"I{c.claim_id}") for c in CLAIMS])
    at = data.index(b"SVC*HC:97140:59", data.index(b"CLP*S2*"))
    era = _file(tmp_path, "a.835", data[:at] + b"SVC*HC" + data[at + len(b"SVC*HC:97140:59"):])
    code, out, err = _run(tmp_path, era)
    assert (code, err) == (0, "")
    assert "3 claims (3 matched, 0 unmatched), 6 lines (5 matched, 1 unmatched)" in out
    assert "  unmatched line: claim S2 SVC 2 (no procedure code)" in out.splitlines()
    assert _standing(tmp_path) == [("S1", "1", "95.00"), ("S2", "1", "95.00"), ("S3", "1", "95.00")]
    with sqlite3.connect(tmp_path / "remits.sqlite") as db:
        assert db.execute("SELECT count(*) FROM remit_lines WHERE position IS NULL").fetchone()[0] == 1


def test_a_refused_file_among_good_ones_records_nothing(tmp_path: Path) -> None:
    good = _file(tmp_path, "good.835", build_835([ClaimAnswer(CLAIMS[0], (PAID, PAID), "I1")]))
    bad = _file(tmp_path, "bad.835", b"ISA*not really")
    code, out, err = _run(tmp_path, good, bad)
    assert code == 2 and out == ""
    assert err.startswith("edi-fix: refused: bad.835: ") and err.count("\n") == 1
    assert not (tmp_path / "remits.sqlite").exists()


def test_unmatched_claims_and_lines_are_listed(tmp_path: Path) -> None:
    stranger = chiro("NOT-OURS")
    code, out, _ = _run(tmp_path, _file(tmp_path, "u.835", build_835([ClaimAnswer(stranger, (PAID, PAID), "I9")])))
    assert code == 0 and "unmatched claim NOT-OURS" in out


def test_no_name_or_member_id_in_the_database_and_it_is_owner_only(tmp_path: Path) -> None:
    era = _file(tmp_path, "a.835", build_835([ClaimAnswer(c, (PAID, denied("CO", "4", "N519")), f"I{c.claim_id}")
                                              for c in CLAIMS]))
    ack = _file(tmp_path, "a.277", build_277ca([StatusAnswer(CLAIMS[0], "A7", "562", "85")]))
    code, out, _ = _run(tmp_path, era, ack)
    assert code == 0
    store = tmp_path / "remits.sqlite"
    data = store.read_bytes()
    assert all(part.encode() not in data for part in PATIENT)
    assert all(part not in out for part in PATIENT)
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert _count(tmp_path, "claim_statuses") == 1
