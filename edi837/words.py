"""Counts and articles in English, so a summary never says "1 claims" or "a upper extremity"; and CSV cells a
spreadsheet reads as text."""

from __future__ import annotations

import re
from decimal import Decimal


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 claim`, `2 claims`; `many` for irregular plurals."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def article(phrase: str) -> str:
    """`a` or `an` before `phrase`, by its first letter (good enough for the words edi837 prints)."""
    return f"{'an' if phrase[:1].lower() in 'aeiou' and phrase else 'a'} {phrase}"


def dollars(amount: Decimal) -> str:
    """`$1,234.50`: how a billing clerk reads an amount (two decimals, thousands separated)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def amount_text(value: Decimal) -> str:
    """An amount for a machine (JSON, CSV): exact, in cents at least (85 -> "85.00", 379.8 -> "379.80"; 0.125
    stays "0.125"): as an 837 or an 835 writes it, a program reading it must not meet 76 beside 76.00."""
    cents = value.quantize(Decimal("0.01"))
    return str(cents) if cents == value else str(value)


def thousands(count: int) -> str:
    """`12,345`: a count of rows or codes as a person reads it."""
    return f"{count:,}"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula: text from a claim file (a claim id, a payer id) that
    starts with = + - @ or a tab or carriage return gets a leading apostrophe (OWASP, "CSV Injection"); a plain
    number (a negative amount of a reversal) stays as it is."""
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell
