"""Helpers of the CLI and hook reliability tests: the fixtures' bytes, a real `edi-fix` process, and the
one line a refusal must be."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from edi837.testing.generator import ClaimSpec, LineSpec, build_837
from tests.helpers import FIXTURES

FIXABLE = (FIXTURES / "rules" / "nc001_distinct.837").read_bytes()  # 97140 gets 59; 97140 -> M25511 (shoulder)
CLEAN = build_837([ClaimSpec("CLEAN-1", ("M542",), (LineSpec("99213", "95"),))])
BIG = 5000 * b"9"  # past Python's 4300-digit limit for int()


def edi_fix(*args: str, stdin: bytes | None = None, cwd: Path | None = None,
            env: dict[str, str] | None = None, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "edi837", *args], input=stdin, capture_output=True, cwd=cwd,
                          env=env, timeout=120, check=False, **kwargs)  # type: ignore[call-overload]


def one_refusal(err: str) -> str:
    """The one line a person reads. When stderr is not a terminal, logs there are JSON lines for machines
    (`run.done` of a run refused at the last step); everything else must be that one line."""
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("{")]
    assert len(lines) == 1, err  # one line, no run.ended line after it, no traceback
    return lines[0]
