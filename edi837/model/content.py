"""What a service line bills, as text: the columns the claims ledger keeps and the key an acknowledgement is
kept under.

A person who looks at a review item and finds it right as billed (`edi-fix ack`) has looked at one line as it
arrived: its procedure code, modifiers, units and unit basis, diagnosis pointers and the diagnoses they name,
and its date or range of service. The acknowledgement holds for that content only: a later run on the same
claim whose line still bills exactly that is not raised again; a line that changed (another modifier, other
units, a pointer moved to another diagnosis) is a new question and is raised again. The charge is left out
on purpose: a fee schedule update changes no billing decision a rule reviews.

Why here, in the model: the rule engine asks the question per finding (is this acknowledged?) and the ledger
stores the answer; both must read a line into exactly the same text, so the text is made in one place, from
the claim as it was read (never from a rule's edited view, which may already carry a modifier an earlier
rule added).

The texts are made so that two different lines never give the same key: list items (modifiers, pointers,
diagnoses) are joined with ":" and an item that itself holds ":" or "\\" has them escaped; the key is the
JSON array of the column texts. Nothing here is patient data: codes, numbers and dates of service.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from edi837.errors import InputRefused
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine


class LineTexts(NamedTuple):
    """A line's billing content as the ledger stores it (the order of the acknowledgement key)."""

    procedure: str  # SV101-2, "qualifier:code" for a line that is not HC (model.lines.procedure_key)
    modifiers: str  # SV101-3..6 joined with ":" ("59:GP"), "" when none
    units: str  # SV104, shortest exact form ("2", "0.5")
    basis: str  # SV103: UN or MJ
    pointers: str  # SV107 joined with ":" ("1:2")
    diagnoses: str  # the codes the pointers name, in pointer order, as in the file ("M9901:M542")
    date_from: str | None  # DTP*472, ISO
    date_to: str | None  # the range's end (RD8), ISO; None for one date


def decimal_text(value: Decimal) -> str:
    """The shortest exact form of a decimal ("85.00" -> "85", "52.50" -> "52.5"), as edi837 writes amounts."""
    return f"{value.normalize():f}"


def join_items(items: Iterable[str]) -> str:
    """List items as one text that splits back unambiguously (":" between, ":" and "\\" inside escaped)."""
    return ":".join(item.replace("\\", "\\\\").replace(":", "\\:") if ":" in item or "\\" in item else item
                    for item in items)


def split_items(text: str) -> tuple[str, ...]:
    """The items `join_items` joined, unescaped ("" gives none)."""
    if not text:
        return ()
    if "\\" not in text:
        return tuple(text.split(":"))
    items, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return tuple(items)


def date_text(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def line_texts(line: ServiceLine, diagnoses: Sequence[str]) -> LineTexts:
    """The content of a line whose pointers name `diagnoses` (their codes, in pointer order)."""
    return LineTexts(line.procedure, join_items(line.modifiers), decimal_text(line.units), line.unit_basis,
                     ":".join(map(str, line.pointers)), join_items(diagnoses), date_text(line.service_date),
                     date_text(line.service_date_end))


def content_key(texts: Sequence[str | None]) -> str:
    """The acknowledgement key of one line's texts (a LineTexts, or the same columns read back from the
    ledger): their JSON array, which two different lines never share."""
    return json.dumps(list(texts), ensure_ascii=False, separators=(",", ":"))


def claim_content_key(line_keys: Iterable[str]) -> str:
    """The key of a claim-level finding (no line): every line's key in order, so any change to what the
    claim bills raises it again."""
    return "[" + ",".join(line_keys) + "]"


def claim_line_texts(claim: Claim) -> list[tuple[ServiceLine, LineTexts]]:
    """Every line of the claim as read, with its content; none when a line cannot be read (such a claim is
    refused by the run)."""
    try:
        lines = claim.all_lines
    except InputRefused:
        return []
    return [(line, line_texts(line, [d.code for d in claim.diagnoses_for(line)])) for line in lines]


def finding_content(claim: Claim, line_number: int | None) -> str | None:
    """The acknowledgement key of a finding on `claim` (as read): its line's, or the claim's for a
    claim-level finding; None when the claim has no single line of that number (LX01 repeated or absent)."""
    lines = claim_line_texts(claim)
    if line_number is None:
        return claim_content_key(content_key(texts) for _, texts in lines)
    found = [texts for line, texts in lines if line.number == line_number]
    return content_key(found[0]) if len(found) == 1 else None


__all__ = ["LineTexts", "claim_content_key", "claim_line_texts", "content_key", "date_text", "decimal_text",
           "finding_content", "join_items", "line_texts", "split_items"]
