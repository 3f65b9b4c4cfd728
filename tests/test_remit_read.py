"""Reading 835 and 277CA files: values from the public samples and from generated files, and refusals."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from edi837.errors import InputRefused
from edi837.remit.match import UNREADABLE, match_claim
from edi837.remit.read import read_data, read_remit
from edi837.remit.records import Acknowledgement, Remittance
from edi837.testing.generator import build_837
from edi837.testing.remits import PAID, PATIENT, ClaimAnswer, LineAnswer, StatusAnswer, build_277ca, build_835, denied
from edi837.testing.remits import delivered as delivered_claims
from edi837.testing.specs import ClaimSpec, LineSpec
from tests.helpers import SAMPLES
from tests.remit_scenarios import DAY, chiro

REMITS = SAMPLES / "remits"


def _sample(name: str) -> Path:
    path = REMITS / name
    if not path.is_file():
        pytest.skip(f"public remittance sample {path} is absent (set EDI837_SAMPLES)")
    return path


def _data(data: bytes) -> list[Remittance | Acknowledgement]:
    return read_data(lambda: io.BytesIO(data))


def test_public_managed_care_835_values_as_the_file_says() -> None:
    # Checked by hand against the file: CLP*5554555444*1*800.00*450.00*300.00*12*94060555410000, CAS*CO*A2*50.00,
    # SVC*HC:99211*800.00*500.00, DTM*472*20020301, CAS*PR*1*300.00; no N104 nor REF*2U: the payer is TRN03.
    (remit,) = read_remit(_sample("lfh_managed-care.835"))
    assert isinstance(remit, Remittance)
    assert remit.payer_id == "1935665544"
    assert remit.paid_on is None  # BPR16 20002316 is no date; pyx12 lists it, the claims are still read
    assert any("BPR16" in issue for issue in remit.issues)
    first = remit.claims[0]
    assert (first.claim_id, first.status, first.charge, first.paid) == ("5554555444", "1", Decimal("800.00"),
                                                                        Decimal("450.00"))
    assert first.patient_responsibility == Decimal("300.00") and first.payer_control == "94060555410000"
    assert [a.label for a in first.adjustments] == ["CO-A2"]
    (line,) = first.lines
    assert (line.code, line.charge, line.paid, line.service_date) == ("99211", Decimal("800.00"), Decimal("500.00"),
                                                                      date(2002, 3, 1))
    assert [(a.label, a.amount) for a in line.adjustments] == [("PR-1", Decimal("300.00"))]


def test_public_277ca_accepted_and_rejected() -> None:
    # accepted: 2200D TRN*2*5781, STC*A2:20*20110311*WQ*125, REF*1K*1107000000014420; rejected: STC*A7|562|85
    (accepted,) = read_remit(_sample("ims_277CA_accepted.txt"))
    (rejected,) = read_remit(_sample("ims_277CA_rejected.txt"))
    assert isinstance(accepted, Acknowledgement) and isinstance(rejected, Acknowledgement)
    assert accepted.payer_id == "141797357"
    (claim,) = accepted.claims
    assert (claim.claim_id, claim.payer_control, claim.category, claim.status, claim.accepted) == (
        "5781", "1107000000014420", "A2", "20", True)
    (claim,) = rejected.claims
    assert (claim.claim_id, claim.reason, claim.accepted) == ("3920394930203", "A7:562:85", False)


@pytest.mark.parametrize(("name", "claim_id"), [("lfh_tertiary-payment.835", "0001000054"),
                                                ("lfh_cob-contractural-adjustment.835", "0001000055")])
def test_public_835_with_an_unreadable_svc01_is_read_and_that_line_left_unmatched(name: str, claim_id: str) -> None:
    """tertiary: SVC*HC*24599.00 (no code); cob: SVC*HC>55669 in a file whose ISA16 is ':' (no code either).
    The claim is read (its CLP01 as the file says); its one line has no code and matches no delivered line,
    even a delivered claim of that id whose line carries the code the sample's author meant."""
    (remit,) = read_remit(_sample(name))
    assert isinstance(remit, Remittance)
    (claim,) = remit.claims
    (line,) = claim.lines
    assert (claim.claim_id, line.code, line.modifiers) == (claim_id, "", ())
    meant = ClaimSpec(claim_id, ("M5412",), (LineSpec("55669" if "cob" in name else "24599", "541.00"),))
    found = match_claim(claim, delivered_claims([meant], controls=False))
    assert found.delivered is not None and [(m.delivered, m.how) for m in found.lines] == [(None, UNREADABLE)]


def test_public_demo_835_reads_institutional_claims_without_lines() -> None:
    (remit,) = read_remit(_sample("lfh_demo.835"))
    assert isinstance(remit, Remittance)
    assert [c.claim_id for c in remit.claims] == ["666123", "777777"]
    assert remit.claims[1].remarks == ("MA02",) and all(not c.lines for c in remit.claims)


def test_generated_835_reads_back_the_scenario() -> None:
    claim = chiro("C1")
    data = build_835([ClaimAnswer(claim, (PAID, denied("CO", "4", "N519")), "ICN1")], paid_on=date(2026, 4, 10))
    (remit,) = _data(data)
    assert isinstance(remit, Remittance) and remit.issues == ()  # pyx12 finds nothing wrong with it
    (paid,) = remit.claims
    assert (paid.status, paid.charge, paid.paid, paid.payer_id) == ("1", Decimal("95.00"), Decimal("55.00"), "SX123")
    cmt, mt = paid.lines
    assert (cmt.code, cmt.paid, cmt.control, cmt.service_date) == ("98941", Decimal("55.00"), "C1L1", DAY)
    assert (mt.code, mt.modifiers, mt.paid, mt.remarks) == ("97140", ("59",), Decimal(0), ("N519",))
    assert [(a.label, a.amount) for a in mt.adjustments] == [("CO-4", Decimal("40.00"))]


def test_svc06_gives_the_code_as_billed_when_the_payer_changed_it() -> None:
    claim = chiro("C2")
    data = build_835([ClaimAnswer(claim, (PAID, LineAnswer(code="97124", modifiers=())), "ICN2")])
    (remit,) = _data(data)
    assert isinstance(remit, Remittance)
    line = remit.claims[0].lines[1]
    assert (line.code, line.modifiers, line.billed_code, line.billed_modifiers) == ("97124", (), "97140", ("59",))


def test_no_name_or_member_id_reaches_a_record() -> None:
    claim = chiro("C3")
    answers = _data(build_835([ClaimAnswer(claim, (PAID, PAID), "ICN3")]))
    answers += _data(build_277ca([StatusAnswer(claim, "A7", "562", "85")]))
    text = repr(answers)
    assert all(part not in text for part in PATIENT)


def _refusal(data: bytes) -> str:
    with pytest.raises(InputRefused) as caught:
        _data(data)
    return str(caught.value)


def test_an_837_is_refused_as_not_an_835() -> None:
    message = _refusal(build_837([chiro("C4")]))
    assert message == ("transaction 1 (ST01 837, GS08 005010X222A1) is not an 835 of 005010X221A1 "
                       "or a 277CA of 005010X214")


def test_not_x12_is_refused() -> None:
    assert "not an X12 file" in _refusal(b"hello, this is not a remittance\n")


def test_wrong_se_count_is_refused_without_quoting_the_file() -> None:
    data = build_835([ClaimAnswer(chiro("C5"), (PAID, PAID), "ICN5")]).replace(b"SE*", b"SE*9", 1)
    message = _refusal(data)
    assert message.startswith("the envelope is not whole: ") and "SE01" in message
    assert all(part not in message for part in PATIENT)


def test_an_amount_that_is_not_a_number_is_refused() -> None:
    data = build_835([ClaimAnswer(chiro("C6"), (PAID, PAID), "ICN6")]).replace(b"*40.00*40.00*", b"*40.00*4O.00*")
    assert _refusal(data).endswith("SVC03: not an amount")


def test_a_name_in_an_element_edi837_reads_is_never_quoted() -> None:
    data = build_835([ClaimAnswer(chiro("C7"), (PAID, PAID), "ICN7")]).replace(b"*95.00*95.00*", b"*95.00*ROEMIT*")
    message = _refusal(data)
    assert "ROEMIT" not in message and message.endswith("CLP04: not an amount")
