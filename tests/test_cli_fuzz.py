"""Issue 9, "how it is checked": a hypothesis mutation test of the CLI, in-process (a process per example
would take minutes). A thousand broken inputs (tests/mutations.py) through `edi-fix IN OUT` with assorted
flags: never exit 3, never a traceback, a refusal is one line and writes nothing, no control character on
the terminal. bench/fuzz.py runs the same mutations 100,000 times and prints the counts: the depth is
there; here (derandomized, so the same thousand every run) they guard the contract on each change.

Most examples skip the pyx12 gate (--no-validate: pyx12 loads its map for every file, ~0.3 s); a smaller
run (15) goes through the gate, where a pyx12 crash must be a refusal too; bench/fuzz.py sends 500 there.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.mutations import mutate, run_cli, seeds, violations

SEEDS = seeds()
# Two of the seven keep the claims ledger (each run then opens and fsyncs it, the one cost that grows with the
# examples); the others fuzz the fix path alone: together they keep the suite within its five minutes.
OFF = ["--ledger", "off"]
FLAGS = [["--no-validate", *OFF], ["--no-validate", "--format", "json"], ["--no-validate", "--check", *OFF],
         ["--no-validate", "--diff", *OFF], ["--no-validate", "--apply-review", "REPORT"],
         ["--no-validate", "STDIN", *OFF], ["--no-validate", "--check", "--strict", "--diff", *OFF]]


@settings(max_examples=1000, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(seed=st.sampled_from(SEEDS), rng=st.randoms(use_true_random=False), flags=st.sampled_from(FLAGS))
def test_cli_never_crashes_on_mutated_input(seed: bytes, rng: random.Random, flags: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        outcome = run_cli(mutate(seed, rng), Path(folder), flags)
    assert violations(outcome, flags) == [], (outcome.code, outcome.stderr[-2000:])


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(seed=st.sampled_from(SEEDS), rng=st.randoms(use_true_random=False), flags=st.sampled_from([[], ["--diff"]]))
def test_cli_never_crashes_through_the_gate(seed: bytes, rng: random.Random, flags: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        outcome = run_cli(mutate(seed, rng), Path(folder), flags)
    assert violations(outcome, flags) == [], (outcome.code, outcome.stderr[-2000:])
