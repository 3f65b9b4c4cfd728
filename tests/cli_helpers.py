"""Helpers of the CLI and hook reliability tests: the fixtures' bytes, a real `edi-fix` process, and the
one line a refusal must be."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edi837.testing.generator import ClaimSpec, LineSpec, build_837
from tests.helpers import FIXTURES

# 97140 gets 59; 97140 -> M25511 (shoulder)
FIXABLE = (FIXTURES / "rules" / "NC001" / "nc001_distinct.837").read_bytes()
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


def rewritten_on_second_open(opened: Callable[[Path], Any], target: Path, new_content: bytes) -> Callable[[Path], Any]:
    """An `open_regular` stand-in for a writer that rewrites `target` while edi837 reads it.

    The first open is the caller's look at the file (the hook's readability check, the watcher's hash);
    on the second, the run's own read, the first read rewrites `target` with `new_content` and returns NUL
    bytes: the mix a reader gets from a file rewritten under it, which fails to parse.
    """
    opens = {"count": 0}

    class Rewritten:
        def __init__(self, path: Path) -> None:
            self.handle = opened(path)
            self.reads = 0

        def read(self, size: int = -1) -> bytes:
            self.reads += 1
            if self.reads == 1:
                target.write_bytes(new_content)  # the writer, meanwhile
                return b"\0" * 64
            return b""

        def __getattr__(self, name: str) -> object:
            return getattr(self.handle, name)

        def __enter__(self) -> Rewritten:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

    def open_regular(path: Path) -> Any:
        opens["count"] += 1
        return Rewritten(path) if opens["count"] == 2 else opened(path)

    return open_regular
