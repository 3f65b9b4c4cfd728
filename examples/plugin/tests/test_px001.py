"""The example plugin's rule cases, run with edi837's own harness (as a plugin author would)."""

from __future__ import annotations

from pathlib import Path

import pytest
from edi837_example_plugin import DuplicateLine

from edi837.testing.cases import RuleCase, case_params, run_case


@pytest.mark.parametrize("case", case_params(Path(__file__).parent))
def test_px001(case: RuleCase) -> None:
    run_case(case, extra_rules=(DuplicateLine,))
