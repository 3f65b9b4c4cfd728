"""MC004's review item holds the claim: a Medicare CMT line without a subluxation as its primary diagnosis is
denied, so with `--hold review` the claim goes to the held file as it arrived and nothing of it is delivered."""

from __future__ import annotations

from edi837.pipeline import FixOptions, fix
from tests.helpers import FIXTURES

RULES = FIXTURES / "rules"


def test_no_subluxation_is_held_for_review() -> None:
    data = (RULES / "MC004" / "mc004_no_subluxation.837").read_bytes()
    result = fix(data, FixOptions(validate=False, ncci_db=False, hold=frozenset({"review"})))
    assert [s.claim_id for s in result.held] == ["MC4-A"]
    assert result.held_output is not None and b"SV1*HC:98940:AT*45*UN*1***1:2~" in result.held_output
    assert [r.rule for r in result.records if not r.applied] == ["MC004", "EDI003"]


def test_subluxation_primary_is_delivered() -> None:
    data = (RULES / "MC004" / "mc004_subluxation_primary.837").read_bytes()
    result = fix(data, FixOptions(validate=False, ncci_db=False, hold=frozenset({"review"})))
    assert result.held == [] and result.output == data
