"""The example plugin (examples/plugin) is tested the way its README says: with edi837.testing."""

from __future__ import annotations

import sys

import pytest

from tests.helpers import REPO


def test_the_example_plugins_own_cases_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(REPO / "examples" / "plugin"))
    monkeypatch.delitem(sys.modules, "edi837_example_plugin", raising=False)
    from edi837_example_plugin import DuplicateLine  # type: ignore[import-not-found]

    from edi837.testing.cases import load_cases, run_case

    cases = load_cases(REPO / "examples" / "plugin" / "tests")
    assert [c.id for c in cases] == ["PX001-visit-entered-twice"]
    for case in cases:
        run_case(case, extra_rules=(DuplicateLine,))
