"""The meanings of CARC, RARC and 277CA category codes, from codes.toml (each with the page it was read on).

Why a table and not strings in code: the X12 code lists change several times a year and every meaning must
carry its source; a code missing from the table is shown as its code alone, never with a guessed meaning.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

KINDS = ("carc", "rarc", "category")


@dataclass(frozen=True)
class CodeMeaning:
    kind: str
    code: str
    meaning: str
    list: str
    seen: str
    denial: bool = True  # carc only: false for an adjustment that is no denial reason (CARC 45)


@cache
def meanings() -> dict[tuple[str, str], CodeMeaning]:
    data = tomllib.loads(files("edi837.remit").joinpath("codes.toml").read_text(encoding="utf-8"))
    return {(kind, code): CodeMeaning(kind, code, entry["meaning"], entry["list"], entry["seen"],
                                      entry.get("denial", True))
            for kind in KINDS for code, entry in data.get(kind, {}).items()}


def meaning(kind: str, code: str) -> str | None:
    found = meanings().get((kind, code))
    return found.meaning if found else None


def is_denial_reason(carc: str) -> bool:
    """Whether an adjustment with this CARC names why a line was not paid (CARC 45 does not)."""
    found = meanings().get(("carc", carc))
    return found.denial if found else True
