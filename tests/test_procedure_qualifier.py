"""SV101-1 other than HC: a line of another code set is never read as a CPT/HCPCS code, by any rule.

005010X222A1's SV101-1 code list (pyx12's map 837.5010.X222.A1.xml): ER jurisdiction-specific procedure and
supply codes, HC HCPCS codes, IV home infusion EDI coalition codes, WK advanced billing concepts codes. The
audit's `ER:97140` got a 59 as if it were CPT 97140; the claim model now keeps such lines out of
`Claim.lines`, which every rule reads, so a plugin rule is covered as well as the built-in ones.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from edi837.engine import ClaimContext, Finding, Rule, Severity
from edi837.model.claim import Claim
from edi837.model.walker import Walker
from edi837.packs import load_packs
from edi837.pipeline import FixOptions, fix
from edi837.x12.envelope import SegmentStream
from tests.helpers import FIXTURES

ER_MANUAL = FIXTURES / "rules" / "NC001" / "nc001_er_manual_therapy.837"  # 98940 (HC) -> M99.03, ER:97140 -> M25.511


def the_claim() -> Claim:
    units = list(Walker(SegmentStream(io.BytesIO(ER_MANUAL.read_bytes()))))
    return next(u for u in units if isinstance(u, Claim))


def test_the_model_keeps_other_qualifiers_out_of_the_rules_lines() -> None:
    claim = the_claim()
    assert claim.procedures == frozenset({"98940", "ER:97140"})
    assert not claim.may_bill("97140")
    assert [(x.number, x.qualifier, x.procedure, x.code) for x in claim.all_lines] == [
        (1, "HC", "98940", "98940"), (2, "ER", "ER:97140", "97140")]
    assert [x.number for x in claim.lines] == [1]
    assert [x.number for x in claim.edited(list(claim.all_lines), []).lines] == [1]  # an editor's view too
    assert claim.units_by_code() == {"98940": 1.0, "ER:97140": 1.0}


class NotCoveredHere(Rule):
    """ZZ900 not-covered-here: a plugin-style rule whose logic is "every line but these codes".

    What it does: reports each line whose procedure is not 98940.

    Why: the kind of rule (like Medicare's "everything but spinal manipulation") that would reach a line
    of another code set if the model handed it over.

    Example: `SV1*HC:97140*...` -> review.

    Fix safety: none.

    Source: this test.
    """

    code = "ZZ900"
    name = "not-covered-here"

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        for line in claim.lines:
            if line.procedure != "98940":
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure, "not covered here",
                              Severity.WARNING)


def test_a_plugin_rule_never_sees_another_code_sets_line() -> None:
    result = fix(ER_MANUAL.read_bytes(), FixOptions(validate=False, ncci_db=False,
                                                    extra_rules=(NotCoveredHere(load_packs(None)),)))
    assert [r for r in result.records if r.rule == "ZZ900"] == []
    assert result.output == ER_MANUAL.read_bytes()
