"""The ledger's rows as values: what a run hands the ledger, what a Dask worker sends back, what queries return.

A `ClaimRow` is the claims table's row (schema.py) as a NamedTuple of plain values: its lines and findings
are the JSON texts the table stores, so a row pickles as one small tuple of strings (a Dask worker returns
20,000 of them for a large file; rows of nested tuples pickled three times slower) and is bound to the INSERT
as it is. `LineRow` and `FindingRow` are those JSON arrays read back, for whoever looks at them. Values are
text as the ledger stores them: amounts and units in their shortest exact decimal form, dates ISO, lists
joined as model/content.py joins them. No names, addresses, member ids or birth dates: the patient is a keyed
digest (ledger/patient.py) or None.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from edi837 import __version__
from edi837.engine.engine_rules import HOLD_RULE  # the hold's own record: why a claim was held, not an item
from edi837.errors import one_line
from edi837.model.content import claim_content_key, content_key


class LineRow(NamedTuple):
    """One service line as read, and what the run delivered where it changed its SV1 (None: not touched)."""

    position: int  # 0-based among the claim's 2400 loops
    number: int  # LX01 as read
    procedure: str
    modifiers: str
    units: str
    basis: str
    pointers: str
    diagnoses: str
    date_from: str | None
    date_to: str | None
    charge: str
    control: str | None = None  # REF*6R, the line item control number (what an 835 names the line by)
    number_after: int | None = None  # LX01 as delivered, when a removal renumbered it
    modifiers_after: str | None = None
    units_after: str | None = None
    basis_after: str | None = None
    charge_after: str | None = None
    removed: bool = False

    @property
    def content(self) -> str:
        """The acknowledgement key of the line as read (model/content.py): procedure through date_to."""
        return content_key(self[2:10])


class FindingRow(NamedTuple):
    """One change record of the claim: a fix applied or withheld, or an item for a person."""

    seq: int
    rule: str
    line: int | None  # LX01 as read; None for a claim-level finding
    action: str  # the change log's action (append_modifier ... review)
    applied: bool
    applicability: str | None  # safe | review | None
    severity: str
    message: str
    ack: int | None = None  # the acknowledgement that covers it (acks.id)

    @property
    def is_item(self) -> bool:
        """An item a person must look at (not a fix, not the hold's own record), acknowledged or not."""
        return self.action == "review" and self.rule != HOLD_RULE


class ClaimRow(NamedTuple):
    """One claim in one run, as the claims table holds it (schema.py). `status`: delivered (changed),
    unchanged (delivered as read), review (delivered with items left open), held, refused (the run was
    refused: nothing delivered)."""

    position: int  # 0-based among the input's claims
    claim_id: str
    transaction_ordinal: int  # 1-based ST of the file it sits in (transactions table)
    payer_id: str
    claim_filing: str
    billing_npi: str
    rendering_npi: str  # 2310B, else the billing provider's (who renders when 2310B is absent)
    first_date: str | None
    last_date: str | None
    frequency: str
    charge_before: str | None  # CLM02 as read (None: unreadable)
    charge_after: str | None  # CLM02 as delivered (None: not delivered)
    status: str
    held_file: str | None
    patient: str | None
    open_items: int
    applied: int
    lines: str  # JSON (schema.py)
    findings: str  # JSON (schema.py)

    @property
    def line_rows(self) -> tuple[LineRow, ...]:
        return lines_from(self.lines)

    @property
    def finding_rows(self) -> tuple[FindingRow, ...]:
        return findings_from(self.findings)


def lines_from(text: str) -> tuple[LineRow, ...]:
    """The lines of a claims row's `lines` JSON."""
    out = []
    for position, values in enumerate(json.loads(text)):
        if len(values) > 11:
            values[16] = bool(values[16])
        out.append(LineRow(position, *values))
    return tuple(out)


def findings_from(text: str) -> tuple[FindingRow, ...]:
    """The findings of a claims row's `findings` JSON."""
    return tuple(FindingRow(seq, rule, line, action, bool(applied), *rest)
                 for seq, (rule, line, action, applied, *rest) in enumerate(json.loads(text)))


def row_content(lines: Sequence[LineRow], line_number: int | None) -> str | None:
    """The acknowledgement key of a finding on these lines: its line's, the claim's for a claim-level finding
    (model/content.py), None when no single line has that number."""
    if line_number is None:
        return claim_content_key(line.content for line in lines)
    matching = [line for line in lines if line.number == line_number]
    return matching[0].content if len(matching) == 1 else None


def status_of(held: bool, open_items: int, applied: int) -> str:
    """A claim's status from where it went and its findings (acknowledged items are not open)."""
    if held:
        return "held"
    if open_items:
        return "review"
    return "delivered" if applied else "unchanged"


@dataclass(frozen=True)
class RunInfo:
    """What a run says about itself when it is prepared. `input_name` is kept as a base name only."""

    entry: str  # cli | hook | watch | batch | api | release
    input_name: str
    options_digest: str
    input_sha256: str | None = None
    input_size: int | None = None
    edi837: str = __version__

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_name", base_name(self.input_name))


@dataclass(frozen=True)
class FileRow:
    """A file a run wrote: its role (output, held, changelog, report), base name, sha256 and size."""

    role: str
    name: str
    sha256: str | None = None
    size: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", base_name(self.name))


def base_name(name: str | Path) -> str:
    """A file's base name, safe for one line ("-" for stdin and stdout stays "-")."""
    text = str(name)
    return one_line(text if text == "-" else Path(text).name, 255)
