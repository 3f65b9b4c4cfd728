"""Outcomes and proposals from a generated week of remittances: every expected count comes from the scenario."""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest

from edi837.packs.files import PackFile
from edi837.packs.profiles import load_profile
from edi837.remit.commands import outcomes_command, remit
from edi837.remit.match import DeliveredClaim, Finding
from edi837.remit.propose import Thresholds
from edi837.testing.remits import PAID, ClaimAnswer, StatusAnswer, build_277ca, build_835, delivered, denied
from edi837.testing.specs import ClaimSpec, LineSpec
from tests.remit_scenarios import DAY, chiro

NC001 = Finding("NC001", "append_modifier", True, line=1)
NC002 = Finding("NC002", "append_modifier", True, line=1)


def pair(claim_id: str, payer: str) -> ClaimSpec:
    """97140 and 97530 on one day: NC002's shape; edi837 put 59 on 97530."""
    return ClaimSpec(claim_id, ("M5412",), (LineSpec("97140", "40.00", service_date=DAY),
                                            LineSpec("97530", "45.00", modifiers=("59",), service_date=DAY)),
                     payer_id=payer)


X59 = [chiro(f"A{n}", "59", "XSP") for n in range(12)]  # denied CO-4 N519 on 97140-59
XS = [chiro(f"B{n}", "XS", "XSP") for n in range(12)]  # paid; B11 is later reversed
W59 = [chiro(f"W{n}", "59", "WEAK") for n in range(3)]  # too few to propose
WXS = [chiro(f"V{n}", "XS", "WEAK") for n in range(3)]
NCP = [pair(f"N{n}", "NCP") for n in range(10)]  # 97530-59 denied CO-97 M15 every time
ALL = X59 + XS + W59 + WXS + NCP
FINDINGS = {c.claim_id: [NC002 if c in NCP else NC001] for c in ALL}
KNOWN = delivered(ALL, FINDINGS)


def _known(ids: Iterable[str]) -> dict[str, DeliveredClaim]:
    return KNOWN


def _week(tmp_path: Path) -> Path:
    """The week's files recorded in a fresh store; returns the store."""
    no_59 = denied("CO", "4", "N519")
    files = {
        "xsp.835": build_835([ClaimAnswer(c, (PAID, no_59), f"I{c.claim_id}") for c in X59]
                             + [ClaimAnswer(c, (PAID, PAID), f"I{c.claim_id}") for c in XS], payer_id="XSP"),
        "xsp-reversal.835": build_835([ClaimAnswer(XS[-1], (PAID, PAID), "IB11", reversal=True)], payer_id="XSP",
                                      trace="T2"),
        "weak.835": build_835([ClaimAnswer(c, (PAID, no_59), f"I{c.claim_id}") for c in W59]
                              + [ClaimAnswer(c, (PAID, PAID), f"I{c.claim_id}") for c in WXS], payer_id="WEAK"),
        "ncp.835": build_835([ClaimAnswer(c, (PAID, denied("CO", "97", "M15")), f"I{c.claim_id}") for c in NCP],
                             payer_id="NCP"),
        "ncp.277": build_277ca([StatusAnswer(NCP[0]), StatusAnswer(pair("R1", "NCP"), "A7", "562", "85")],
                               payer_id="NCP"),
    }
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    store = tmp_path / "week.sqlite"
    assert remit(paths, store, StringIO(), StringIO(), _known) == 0
    return store


def _json(store: Path) -> dict[str, dict[str, dict[str, object]]]:
    out = StringIO()
    assert outcomes_command(store, "json", out) == 0
    doc: dict[str, dict[str, dict[str, object]]] = json.loads(out.getvalue())
    return doc


def test_outcomes_by_rule_action(tmp_path: Path) -> None:
    by_action = _json(_week(tmp_path))["by_action"]
    denied_59 = by_action["97140 +59 by NC001 (append_modifier)"]
    assert (denied_59["lines"], denied_59["paid"], denied_59["denied"]) == (15, 0, 15)  # 12 XSP + 3 WEAK
    assert denied_59["denial_reasons"] == {"CO-4": 15} and denied_59["remarks"] == {"N519": 15}
    paid_xs = by_action["97140 +XS by NC001 (append_modifier)"]
    # 11 XSP (the 12th was reversed) + 3 WEAK, $40.00 each
    assert (paid_xs["lines"], paid_xs["paid"], paid_xs["denied"], paid_xs["paid_amount"]) == (14, 14, 0, "560.00")
    nc002 = by_action["97530 +59 by NC002 (append_modifier)"]
    assert (nc002["lines"], nc002["denied"], nc002["denial_reasons"]) == (10, 10, {"CO-97": 10})


def test_outcomes_by_payer_changed_and_rejections(tmp_path: Path) -> None:
    doc = _json(_week(tmp_path))
    xsp = doc["by_payer"]["XSP"]
    # 23 standing claims x 2 lines; CMT 23 x $55.00 + 11 XS x $40.00 = $1,705.00
    assert (xsp["lines"], xsp["paid"], xsp["denied"], xsp["paid_amount"], xsp["claims"]) == (
        46, 34, 12, "1705.00", 23)
    # standing claims: 23 XSP + 6 WEAK + 10 NCP = 39, each one line changed by a finding and one left alone
    assert (doc["changed"]["changed"]["lines"], doc["changed"]["untouched"]["lines"]) == (39, 39)
    assert doc["by_reason"]["CO-4"]["lines"] == 15
    assert doc["rejections"] == {"A7:562:85": 1}


def test_text_says_it_the_way_billing_staff_read_it(tmp_path: Path) -> None:
    out = StringIO()
    assert outcomes_command(_week(tmp_path), "text", out) == 0
    text = out.getvalue()
    assert "  97140 +59 by NC001 (append_modifier): 0 paid, 15 denied (15 CO-4), $0.00 paid of $600.00\n" in text
    assert "  97140 +XS by NC001 (append_modifier): 14 paid, 0 denied, $560.00 paid of $560.00\n" in text


def test_csv_has_a_row_per_key(tmp_path: Path) -> None:
    out = StringIO()
    assert outcomes_command(_week(tmp_path), "csv", out) == 0
    rows = out.getvalue().splitlines()
    assert rows[0] == "section,key,lines,paid,denied,paid_amount,charge,denial_reasons,claims"
    assert "by_payer,NCP,20,10,10,400.00,850.00,CO-97=10,10" in rows


def test_strong_evidence_gives_a_loadable_proposal_weak_evidence_only_a_line(tmp_path: Path) -> None:
    out, proposals = StringIO(), tmp_path / "proposals"
    assert outcomes_command(_week(tmp_path), "text", out, proposals) == 0
    assert sorted(p.name for p in proposals.iterdir()) == ["NCP.toml", "XSP.toml"]
    xsp = (proposals / "XSP.toml").read_text()
    assert 'distinct_modifier = "XS"' in xsp and "CO-4 x12" in xsp and "N519 x12" in xsp and "A0" in xsp
    assert '[rules.NC002]\naction = "review"' in (proposals / "NCP.toml").read_text()
    for path in proposals.iterdir():  # what edi837's pack loader accepts as a payer profile
        profile = load_profile(path.stem, PackFile(path, proposals).data, PackFile(path, proposals), user=True,
                               schemas=None)
        assert profile.payer_ids == frozenset({path.stem})
    assert "weak evidence, nothing proposed: WEAK: distinct_modifier = XS not proposed" in out.getvalue()


@pytest.mark.parametrize("share", ["0.9", "1"])
def test_one_paid_59_line_in_twelve_is_still_consistent_at_90_percent_not_at_100(tmp_path: Path, share: str) -> None:
    store = _week(tmp_path)
    extra = chiro("A12", "59", "XSP")
    KNOWN[extra.claim_id] = delivered([extra], {extra.claim_id: [NC001]})[extra.claim_id]
    try:
        (tmp_path / "late.835").write_bytes(build_835([ClaimAnswer(extra, (PAID, PAID), "IA12")], payer_id="XSP",
                                                      trace="T9"))
        assert remit([tmp_path / "late.835"], store, StringIO(), StringIO(), _known) == 0
    finally:
        del KNOWN[extra.claim_id]
    proposals = tmp_path / f"p{share}"
    outcomes_command(store, "text", StringIO(), proposals, Thresholds(min_share=Decimal(share)))
    # 12 of 13 59-lines denied = 92%: enough at 0.9, not at 1
    assert (proposals / "XSP.toml").exists() == (share == "0.9")


def test_outcomes_name_the_payer_as_the_delivered_claim_did(tmp_path: Path) -> None:
    # A payer profile matches the 837's payer id (2010BB NM109); the 835 may name the payer otherwise (REF*2U).
    claim = chiro("P1", "59", "P837")
    (tmp_path / "p.835").write_bytes(build_835([ClaimAnswer(claim, (PAID, PAID), "IP1")], payer_id="P835"))
    store = tmp_path / "p.sqlite"
    known = delivered([claim])
    assert remit([tmp_path / "p.835"], store, StringIO(), StringIO(), lambda ids: known) == 0
    assert list(_json(store)["by_payer"]) == ["P837"]


def test_a_line_two_changes_of_one_rule_touched_counts_once_for_that_action(tmp_path: Path) -> None:
    """MC002 appends GP and then GY to one 97140: two change records, one line, one denial."""
    claim = chiro("G1", "59", "GPY")
    twice = [Finding("MC002", "append_modifier", True, line=1), Finding("MC002", "append_modifier", True, line=1)]
    (tmp_path / "g.835").write_bytes(build_835([ClaimAnswer(claim, (PAID, denied("CO", "50", "N20")), "IG1")],
                                               payer_id="GPY"))
    store = tmp_path / "g.sqlite"
    known = delivered([claim], {"G1": twice})
    assert remit([tmp_path / "g.835"], store, StringIO(), StringIO(), lambda ids: known) == 0
    action = _json(store)["by_action"]["97140 +59 by MC002 (append_modifier)"]
    assert (action["lines"], action["denied"], action["charge"]) == (1, 1, "40.00")


def test_every_amount_is_written_in_cents_whatever_the_835_wrote(tmp_path: Path) -> None:
    """An 835 may write `76` or `379.8` (X12 type R drops trailing zeros): outcomes write every amount to the
    cent, in text ($), JSON (strings, as `edi-fix claims` writes dollars) and CSV. One claim of payer CNT: 97140
    billed $76 and paid in full, 97530 billed $400 and paid $379.80 (CO-45 $20.20): $455.80 paid of $476.00."""
    from edi837.testing.remits import LineAnswer

    claim = ClaimSpec("C1", ("M5412",), (LineSpec("97140", "76", service_date=DAY),
                                         LineSpec("97530", "400", service_date=DAY)), payer_id="CNT")
    known = delivered([claim])
    (tmp_path / "cnt.835").write_bytes(build_835([ClaimAnswer(claim, (PAID, LineAnswer(paid=Decimal("379.8"))),
                                                              "IC1")], payer_id="CNT"))
    assert b"*76*76*" in (tmp_path / "cnt.835").read_bytes() and b"*400*379.8*" in (tmp_path / "cnt.835").read_bytes()
    store = tmp_path / "cnt.sqlite"
    assert remit([tmp_path / "cnt.835"], store, StringIO(), StringIO(), lambda ids: known) == 0
    doc = _json(store)
    assert {k: (v["paid_amount"], v["charge"]) for k, v in doc["by_procedure"].items()} == {
        "97140": ("76.00", "76.00"), "97530": ("379.80", "400.00")}
    assert (doc["by_payer"]["CNT"]["paid_amount"], doc["by_payer"]["CNT"]["charge"]) == ("455.80", "476.00")
    out = StringIO()
    assert outcomes_command(store, "csv", out) == 0
    assert "by_payer,CNT,2,2,0,455.80,476.00,,1" in out.getvalue().splitlines()
    assert "by_procedure,97530,1,1,0,379.80,400.00,,1" in out.getvalue().splitlines()
    out = StringIO()
    assert outcomes_command(store, "text", out) == 0
    assert "  CNT: 2 paid, 0 denied, $455.80 paid of $476.00\n" in out.getvalue()
