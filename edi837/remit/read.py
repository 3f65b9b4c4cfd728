"""Read an 835 or 277CA file: refuse what is not one, validate it with pyx12's map, parse its transactions.

What is refused (one line, exit 2 at the command line, nothing recorded), and why:
- what the 837 tokenizer refuses (no ISA, a broken ISA, NUL bytes, truncation, an empty segment);
- a transaction set that is not an 835 under GS08 005010X221A1 or a 277 under GS08 005010X214: another
  guide's file read as a remittance would be matched to claims it does not speak of;
- an envelope that pyx12 finds broken (ISA/GS/ST/SE/GE/IEA control numbers or counts), or on which pyx12
  crashes: the file is not whole, so what it says about a claim cannot be trusted;
- an element edi837 reads that is unreadable (CLP01, an SVC01 without a code, an amount that is not a number,
  a date that is not a date).
Other pyx12 findings (a missing PER*BL, a TS3 element not used by the guide: the public samples, most of them
the guide's own examples, carry such findings) are kept on the record as printable issues and listed, not
refused: the payer's verdict on a claim is readable regardless, and refusing it would lose what was paid.

Validation uses the 837 gate's pyx12 runner (edi837.gate.pyx12_gate.validate), which silences pyx12's log
and rewrites its texts to ids and positions only: pyx12 quotes element values, and an 835's values include
names and member ids.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO

from edi837.errors import InputRefused
from edi837.gate.pyx12_gate import ValidationIssue, validate
from edi837.remit.parse277 import parse_277
from edi837.remit.parse835 import parse_835
from edi837.remit.records import Acknowledgement, Remittance
from edi837.remit.segments import Transaction, transactions
from edi837.x12.untrusted import shown

GUIDES = {"835": "005010X221A1", "277": "005010X214"}
_ENVELOPE = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})

Answer = Remittance | Acknowledgement


def read_remit(path: Path) -> list[Answer]:
    """Every transaction set of the 835 or 277CA file at `path`, parsed; InputRefused when it is not one."""
    return read_data(lambda: path.open("rb"))


def read_data(open_data: Callable[[], IO[bytes]]) -> list[Answer]:
    """As read_remit, from a function that opens the bytes (a file, a BytesIO in tests)."""
    try:
        with open_data() as source:
            found = list(transactions(source))
    except OSError as error:
        raise InputRefused(f"cannot read the file ({error.strerror or type(error).__name__})") from None
    if not found:
        raise InputRefused("no transaction set (ST..SE) in the file: not an 835 or a 277CA")
    for number, tx in enumerate(found, 1):
        _check_guide(tx, number)
    issues = validate(open_data)
    blocking = [i for i in issues if i.segment_id in _ENVELOPE]
    if blocking:
        raise InputRefused(f"the envelope is not whole: {blocking[0]}")
    printable = tuple(str(i) for i in issues)
    return [_parse(tx, _within(tx, issues, printable)) for tx in found]


def _check_guide(tx: Transaction, number: int) -> None:
    if GUIDES.get(tx.kind) != tx.version:
        raise InputRefused(
            f"transaction {number} (ST01 {shown('ST01', tx.kind)}, GS08 {shown('GS08', tx.version)}) is not an "
            f"835 of {GUIDES['835']} or a 277CA of {GUIDES['277']}")


def _within(tx: Transaction, issues: list[ValidationIssue], printable: tuple[str, ...]) -> tuple[str, ...]:
    first, last = tx.segments[0].position, tx.segments[-1].position
    return tuple(text for issue, text in zip(issues, printable, strict=True)
                 if issue.segment is not None and first <= issue.segment <= last)


def _parse(tx: Transaction, issues: tuple[str, ...]) -> Answer:
    return parse_835(tx, issues) if tx.kind == "835" else parse_277(tx, issues)
