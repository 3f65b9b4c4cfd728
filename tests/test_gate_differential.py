"""Differential test: whenever the fast gate accepts, pyx12 accepts.

The fast gate's promise is one-sided: it may send a good claim to pyx12 (costing time), it may never
accept what pyx12 would reject. Checked two ways on mutated small files (tests/gate_mutations.py):

- file level: when the scan finds nothing, pyx12 reports nothing (and does not crash);
- gate level: with a valid input and the mutated file as its output, when the fast gate passes the
  full pyx12 gate passes too; with the mutated file as an unchanged output, the fast gate warns exactly
  when the full gate warns (exit 1 either way) and refuses whenever pyx12 crashes.

bench/gate_agreement.py runs 100,000 of the same mutations and prints the counts. The oracle is
`validate`, i.e. pyx12 4.0.0 with its map parsed once per process; the last test checks that this
gives the same verdicts as pyx12 loading its map on every call.
"""

from __future__ import annotations

import io
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi837.errors import GateFailed, InputRefused
from edi837.gate import decide
from edi837.gate.fast import scan
from edi837.gate.pyx12_gate import validate
from tests.gate_mutations import bases, huge_numbers, mutate
from tests.helpers import pyx12_errors

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def _opener(data: bytes) -> Any:
    return lambda: io.BytesIO(data)


def _verdict(check: Any, *args: Any) -> tuple[str, int]:
    try:
        return "pass", len(check(*args))
    except GateFailed:
        return "refused", 0
    except InputRefused:
        return "crash", 0


@SETTINGS
@given(base=st.sampled_from(range(len(bases()))), rng=st.randoms(use_true_random=False))
def test_whenever_the_fast_gate_accepts_pyx12_accepts(base: int, rng: random.Random) -> None:
    good = bases()[base]
    _agree(good, mutate(good, rng))


@pytest.mark.slow
@pytest.mark.parametrize("base", [0, 2, 5])  # plain; with 2000C, provider loops and COB; the fixture
def test_a_huge_number_anywhere_is_judged_as_pyx12_judges_it(base: int) -> None:
    """Issue 20, item 6: HL01/HL02/HL04, SE01/SE02, GE01/GE02, IEA01/IEA02, GS06, ST02, LX01, SV102/SV104/
    SV107 and CLM02 with 5,000 digits or a huge exponent: the scan never crashes (it did on HL02: Python's
    int() digit limit) and never calls clean what pyx12 reports on."""
    good = bases()[base]
    for data in huge_numbers(good):
        _agree(good, data)


def _agree(good: bytes, data: bytes) -> None:
    """The differential checks on `data`, a mutation of the valid file `good`."""
    try:
        found = scan(_opener(data))
    except InputRefused:
        return  # not X12 at all: refused before any gate (the CLI's contract, tested elsewhere)
    try:
        oracle = validate(_opener(data))
    except InputRefused:
        oracle = None  # pyx12 crashed: a rejection
    if found.clean:
        assert oracle == [], "the scan found nothing, pyx12 did"
    fast = _verdict(decide.check, _opener(good), _opener(data), True)
    full = _verdict(decide.full, _opener(good), _opener(data), True)
    if fast[0] == "pass":
        assert full[0] == "pass", (fast, full)
    fast = _verdict(decide.check, _opener(data), _opener(data), False)
    full = _verdict(decide.full, _opener(data), _opener(data), False)
    assert (fast[0], fast[1] > 0) == (full[0], full[1] > 0)


def test_a_map_loaded_once_gives_the_verdicts_of_a_map_loaded_each_time() -> None:
    rng = random.Random(3)
    for good in bases():
        for _ in range(4):
            data = mutate(good, rng)
            try:
                cached = validate(_opener(data))
            except InputRefused:
                continue
            assert bool(cached) == bool(pyx12_errors(data, fresh_map=True))
