"""The minutes side file (`--minutes FILE`): treatment minutes for practice systems that export them
apart from the 837.

CSV with three columns: claim id (CLM01), line number (LX01 as in the 837) and minutes; a header row
`claim_id,line_number,minutes` is allowed. Every row must name a line that exists in the 837: a row that
names nothing is an error with the CSV's line number, because silently ignoring it would bill a
session with the wrong units.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from edi837.errors import InputRefused


@dataclass
class MinutesTable:
    path: Path
    rows: dict[tuple[str, int], tuple[Decimal, int]]  # (claim id, line) -> (minutes, CSV line number)
    claim_ids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.claim_ids = frozenset(key[0] for key in self.rows)

    def minutes(self, claim_id: str, line: int) -> Decimal | None:
        row = self.rows.get((claim_id, line))
        return None if row is None else row[0]

    def has_claim(self, claim_id: str) -> bool:
        return claim_id in self.claim_ids

    def check_lines_exist(self, seen_lines: set[tuple[str, int]]) -> None:
        """Refuse the run if a row named a claim line the 837 does not have."""
        missing = sorted((row[1], key) for key, row in self.rows.items() if key not in seen_lines)
        if missing:
            where = "; ".join(f"line {n}: claim {key[0]} line {key[1]}" for n, key in missing[:10])
            raise InputRefused(f"{self.path}: rows name service lines that are not in the 837 ({where})")


def load_minutes(path: Path) -> MinutesTable:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InputRefused(f"{path}: the minutes file cannot be read ({error})") from None
    rows: dict[tuple[str, int], tuple[Decimal, int]] = {}
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if number == 1 and row[0].strip().lower() in ("claim_id", "claim id", "clm01"):
            continue
        if len(row) != 3:
            raise InputRefused(f"{path} line {number}: expected claim id, line number, minutes")
        claim_id, line_text, minutes_text = (cell.strip() for cell in row)
        try:
            line = int(line_text)
            minutes = Decimal(minutes_text)
        except (ValueError, InvalidOperation):
            raise InputRefused(f"{path} line {number}: line number and minutes must be numbers") from None
        if line < 1 or minutes < 0 or not minutes.is_finite():
            raise InputRefused(f"{path} line {number}: line number must be 1 or more and minutes 0 or more")
        if (claim_id, line) in rows:
            raise InputRefused(f"{path} line {number}: claim {claim_id} line {line} is listed twice "
                               f"(first on line {rows[(claim_id, line)][1]})")
        rows[(claim_id, line)] = (minutes, number)
    return MinutesTable(path, rows)
