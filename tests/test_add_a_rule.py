"""docs/architecture.md's "How to add a rule", done for real: a throwaway rule added through the public
plugin path.

The five steps of that page, in order, with nothing but public names: a Rule subclass in a module of its
own, an entry point in the `edi837.rules` group, its setting in a pack, a fixture file of its cases,
and the case runner of `edi837.testing`. If any step stops working the way the page says, this fails.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from edi837.cli.rule_docs import listing, rule_page
from edi837.testing.cases import load_cases, run_case
from edi837.testing.generator import ClaimSpec, LineSpec, build_837

RULE_MODULE = '''
"""ZZ001: a throwaway rule for the add-a-rule test."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.engine import ClaimContext, Finding, Rule, Setting, Severity
from edi837.model.claim import Claim


class OfficeVisitUnits(Rule):
    """ZZ001 office-visit-units: an office visit billed with more than one unit.

    What it does: reports a review item for each line of the listed codes with more than one unit.

    Why: an office visit is billed once per encounter.

    Example: `SV1*HC:99213*190*UN*2***1` -> review.

    Fix safety: none; the person decides.

    Source: this test.
    """

    code = "ZZ001"
    name = "office-visit-units"
    settings = (Setting("codes", "codes", ["99213"], "the office-visit codes to check"),)

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return any(claim.may_bill(code) for code in self.setting(context, "codes"))

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        codes = self.setting(context, "codes")
        for line in claim.lines:
            if line.procedure in codes and line.units > 1:
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                              f"{line.procedure} billed with {line.units} units", Severity.WARNING)
'''


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    # Step 1: the rule, a module of its own with a Rule subclass.
    (site / "edi837_zz").mkdir(parents=True)
    (site / "edi837_zz" / "__init__.py").write_text(textwrap.dedent(RULE_MODULE))
    # Step 2: its entry point in the edi837.rules group (what `pip install` of a plugin writes).
    dist = site / "edi837_zz-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: edi837-zz\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[edi837.rules]\noffice-visit-units = edi837_zz:OfficeVisitUnits\n")
    monkeypatch.syspath_prepend(str(site))
    return site


def test_a_rule_added_in_five_steps(site: Path, tmp_path: Path) -> None:
    # Step 3: its data or settings in a pack folder (here: the codes it checks).
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "config.toml").write_text('[rules.ZZ001]\ncodes = ["99213", "99214"]\n')
    # Step 4: its cases, one TOML file named by its code.
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "zz.837").write_bytes(build_837([ClaimSpec("ZZ-1", ("M5450",), (
        LineSpec("99214", "190", units="2"),))]))
    (cases / "ZZ001.toml").write_text(textwrap.dedent('''
        [[case]]
        name = "two-units-of-99214"
        input = "zz.837"
        rules = "../pack"
        why = "99214 is listed in the pack's ZZ001 codes; two units is one too many"
        changes = []
        exit_code = 1

        [[case.records]]
        claim_id = "ZZ-1"
        line_number = 1
        rule = "ZZ001"
        action = "review"
        applied = false
        words = ["2 units"]
    '''))
    # Step 5: run its cases with the harness; the rule is listed and documented like a built-in one.
    (case,) = load_cases(cases / "ZZ001.toml")
    run_case(case)
    assert "ZZ001  office-visit-units" in listing()
    page = rule_page("ZZ001")
    assert page is not None and "codes (codes; default 99213): the office-visit codes to check" in page
