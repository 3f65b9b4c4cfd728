"""Helpers of the watcher reliability tests: run `edi-fix watch --once` as a real process, read its log
lines, and look for anything it must not leave behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from edi837.pipeline import FixOptions, fix
from tests.helpers import FIXTURES

FIXABLE = (FIXTURES / "rules" / "NC001" / "nc001_distinct.837").read_bytes()
FIXED = fix(FIXABLE, FixOptions(validate=False)).output
# What `edi-fix watch --no-validate` runs: the watcher holds claims with review items by default.
WATCHED = FixOptions(validate=False, hold=frozenset({"review"}))
GARBAGE = b"this is not an 837 file\n" * 10


def once(outbound: Path, ready: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edi837", "watch", str(outbound), "--to", str(ready), "--once",
                           "--settle", "0", "--no-validate", *extra], capture_output=True, text=True, timeout=120,
                          check=False)


def events(proc: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]


def outcomes(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {str(e["file"]): str(e["outcome"]) for e in events(proc) if e.get("event") == "watch.file"}


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def leftovers(outbound: Path, ready: Path) -> list[str]:
    """Temporary files anywhere the watcher writes: there must be none once it has exited."""
    found = [p for p in (ready / ".edi837-tmp").rglob("*") if p.is_file()] if (ready / ".edi837-tmp").exists() else []
    for folder in ("logs", "rejected", "archive", ".edi837/journal"):
        if (outbound / folder).is_dir():
            found += [p for p in (outbound / folder).iterdir() if p.name.endswith(".tmp")]
    return [str(p) for p in found]


def journal(outbound: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted((outbound / ".edi837" / "journal").glob("*.json"))]
