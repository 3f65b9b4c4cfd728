"""Matching paid claims and lines to delivered ones: by REF*6R, else by unique code+date+charge, never guessed."""

from __future__ import annotations

import io
from decimal import Decimal

from edi837.remit.match import ClaimMatch, match_claim
from edi837.remit.read import read_data
from edi837.remit.records import Remittance
from edi837.testing.remits import PAID, ClaimAnswer, LineAnswer, build_835, delivered
from edi837.testing.specs import ClaimSpec, LineSpec
from tests.remit_scenarios import DAY, chiro


def _matches(answers: list[ClaimAnswer], sent: list[ClaimSpec], controls: bool = True) -> list[ClaimMatch]:
    (remit,) = read_data(lambda: io.BytesIO(build_835(answers)))
    assert isinstance(remit, Remittance)
    known = delivered(sent, controls=controls)
    return [match_claim(c, known) for c in remit.claims]


def test_lines_match_by_ref_6r() -> None:
    claim = chiro("M1")
    (found,) = _matches([ClaimAnswer(claim, (PAID, PAID), "I1")], [claim])
    assert [(m.how, m.delivered.position if m.delivered else None) for m in found.lines] == [("control", 0),
                                                                                              ("control", 1)]


def test_lines_match_by_content_when_the_payer_does_not_echo_ref_6r() -> None:
    claim = chiro("M2")
    no_echo = LineAnswer(echo=False)
    (found,) = _matches([ClaimAnswer(claim, (no_echo, no_echo), "I2")], [claim])
    assert [(m.how, m.delivered.code if m.delivered else None) for m in found.lines] == [("content", "98941"),
                                                                                          ("content", "97140")]


def test_a_reversal_matches_by_content_with_its_negated_charges() -> None:
    """A CLP02 22 repeats the payment it takes back with every amount negated (SVC02 -40.00)."""
    claim = chiro("M9")
    no_echo = LineAnswer(echo=False)
    (found,) = _matches([ClaimAnswer(claim, (no_echo, no_echo), "I9", reversal=True)], [claim])
    assert found.lines[1].paid.charge == Decimal("-40.00")
    assert [(m.how, m.delivered.code if m.delivered else None) for m in found.lines] == [("content", "98941"),
                                                                                          ("content", "97140")]


def test_two_lines_of_the_same_code_date_and_charge_are_ambiguous_never_guessed() -> None:
    claim = ClaimSpec("M3", ("M9901",), (LineSpec("97110", "30.00", service_date=DAY),
                                         LineSpec("97110", "30.00", service_date=DAY),
                                         LineSpec("98940", "45.00", service_date=DAY)))
    no_echo = LineAnswer(echo=False)
    (found,) = _matches([ClaimAnswer(claim, (no_echo, no_echo, no_echo), "I3")], [claim], controls=False)
    assert [m.how for m in found.lines] == ["ambiguous", "ambiguous", "content"]
    assert len(found.unmatched_lines) == 2


def test_a_ref_6r_edi837_never_sent_is_unmatched() -> None:
    claim = chiro("M4")
    (found,) = _matches([ClaimAnswer(claim, (PAID, PAID), "I4")], [claim], controls=False)
    assert [m.how for m in found.lines] == ["unknown control", "unknown control"]


def test_a_claim_not_delivered_is_unmatched() -> None:
    claim = chiro("M5")
    (found,) = _matches([ClaimAnswer(claim, (PAID, PAID), "I5")], [chiro("OTHER")])
    assert found.delivered is None and len(found.unmatched_lines) == 2


def test_content_match_uses_the_code_as_billed_when_the_payer_recoded() -> None:
    claim = chiro("M6")
    recoded = LineAnswer(code="97124", modifiers=(), echo=False)
    (found,) = _matches([ClaimAnswer(claim, (LineAnswer(echo=False), recoded), "I6")], [claim])
    line = found.lines[1]
    assert line.how == "content" and line.delivered is not None and line.delivered.charge == Decimal("40.00")
