"""A claim's ledger row, from the claim as read and the change records its run made.

Two steps, because they may run in two places:
- `facts(claim)` (ledger/facts.py): the claim's lines as read (code, modifiers, units, basis, pointers, the
  diagnoses pointed to, dates, charge) and its rendering provider, read from its segments; it may run where
  the rules ran: in this process, or in the `--jobs` worker or Dask chunk that ran the claim's rules (the
  facts travel back beside its outcome: a few short strings);
- `claim_row(...)`: the rest, from the claim's envelope and its final records, in the process that decides
  where the claim went (delivered or held) and knows the patient (ledger/patient.py).

What a line became is read from the records, not from the output bytes: an applied record carries the line's
SV1 as it stood after that edit, so the last one of each line is what was delivered, and `remove_line` says a
line went. A held claim is delivered nowhere (the held file has it as it arrived): its records say its fixes
were not applied, so its lines have no after-values and its CLM02 after is None.

Speed: this runs for every claim of every run, and the ledger may add at most a tenth to a run
(bench/ledger.py), so the JSON is written by hand from cached pieces - a file repeats the same few SV1
segments and dates thousands of times (a delivered SV1's texts too) - with the texts made by
model/content.py's own functions, so that
the acknowledgement key read back from the ledger is the one the rule engine computes (tests check both).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from json.encoder import encode_basestring as quoted
from typing import IO, TYPE_CHECKING, Protocol

from edi837.engine.engine_rules import HOLD_RULE
from edi837.engine.records import ChangeRecord
from edi837.ledger.facts import Facts as Facts  # the recorder imports it from here
from edi837.ledger.facts import facts
from edi837.ledger.patient import PatientKeys, Tracker
from edi837.ledger.rows import ClaimRow, status_of
from edi837.model.claim import Claim
from edi837.model.content import claim_content_key, content_key, decimal_text, join_items
from edi837.model.lines import ServiceLine, parse_sv1
from edi837.model.summary import ClaimSummary
from edi837.model.walker import Passthrough, Walker
from edi837.x12.envelope import SegmentStream
from edi837.x12.untrusted import amount

if TYPE_CHECKING:
    from edi837.ledger.acks import AckBook

_CACHE_LIMIT = 8192


class Finding(Protocol):
    """What a row reads of a change record: an engine/records.py ChangeRecord, or the slim copy of one that the
    rows' child process is sent (ledger/shadow.py), which need not be made into a ChangeRecord again."""

    @property
    def rule(self) -> str: ...
    @property
    def line_number(self) -> int | None: ...
    @property
    def action(self) -> str: ...
    @property
    def applied(self) -> bool: ...
    @property
    def applicability(self) -> str | None: ...
    @property
    def severity(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def segment_after(self) -> str | None: ...


_after_texts: dict[tuple[str, bytes, bytes], str] = {}  # (SV1 as delivered, element, component) -> JSON
_amounts: dict[str, str | None] = {}  # an amount as written -> its shortest exact form

def claim_row(position: int, claim: Claim, records: Sequence[Finding], *, held: bool = False,
              held_file: str | None = None, acks: AckBook | None = None, known: Facts | None = None,
              patient: str | None = None) -> ClaimRow:
    """The ledger row of the claim at `position` (0-based in the input) with its final `records` (those the
    change log gets, hold records included). `known`: its facts when they were made elsewhere."""
    found = known if known is not None else facts(claim)
    claim_id = claim.claim_id
    before = _amount_text(claim.total_charge_text)
    applied = open_items = 0
    parts = []
    for record in records:
        ack = None
        if record.applied:
            applied += 1
        elif record.action == "review" and record.rule != HOLD_RULE:
            if acks and acks.has(claim_id, record.rule):
                ack = acks.find(claim_id, record.rule, content_of(found, record.line_number))
            open_items += ack is None
        parts.append(_finding_json(record, ack.id if ack is not None else None))
    after: str | None = None
    lines = found.lines
    if not held:
        lines, total = _delivered(found, records, claim) if applied else (lines, None)
        after = total if total is not None else before
    subscriber = claim.subscriber
    return ClaimRow(position, claim_id, claim.transaction.ordinal, subscriber.payer_id, subscriber.claim_filing,
                    claim.billing_provider.npi, found.rendering_npi, found.first_date, found.last_date,
                    claim.frequency, before, after, status_of(held, open_items, applied), held_file if held else None,
                    patient, open_items, applied, "[" + "],".join(lines) + "]]" if lines else "[]",
                    "[" + ",".join(parts) + "]")


def _finding_json(record: Finding, ack: int | None) -> str:
    line = record.line_number
    applicability = record.applicability
    return (f"[{quoted(record.rule)},{'null' if line is None else line},{quoted(record.action)},"
            f"{1 if record.applied else 0},{'null' if applicability is None else quoted(applicability)},"
            f"{quoted(record.severity)},{quoted(record.message)},{'null' if ack is None else ack}]")


def _amount_text(text: str) -> str | None:
    """CLM02 in its shortest exact form (None: unreadable); a file bills the same few totals again and again."""
    found = _amounts.get(text, "")
    if found == "":
        value = amount(text) if text else None
        if len(_amounts) >= _CACHE_LIMIT:
            _amounts.clear()
        found = _amounts[text] = decimal_text(value) if value is not None else None
    return found


def _delivered(found: Facts, records: Sequence[Finding], claim: Claim) -> tuple[tuple[str, ...], str | None]:
    """The lines with their after-values (each line's last applied SV1, removals, the LX01 a removal gave) and
    CLM02 as delivered when a record changed it."""
    last: dict[int, str] = {}
    removed: set[int] = set()
    total: str | None = None
    for record in records:
        if not record.applied:
            continue
        if record.action == "set_claim_total" and record.segment_after:
            fields = record.segment_after.split(claim.delimiters.element.decode("latin-1"))
            total = _amount_text(fields[2]) if len(fields) > 2 else None
        elif record.action == "remove_line" and record.line_number is not None:
            removed.add(record.line_number)
        elif record.line_number is not None and record.segment_after:
            last[record.line_number] = record.segment_after
    if not last and not removed:
        return found.lines, total
    out = []
    kept = 0
    for number, line in zip(found.numbers, found.lines, strict=True):
        if number in removed:
            out.append(line + ",null,null,null,null,null,1")
            continue
        kept += 1
        # A removal renumbers the lines after it 1..n (the editor removes lines only from a claim numbered so).
        renumbered = str(kept) if removed and kept != number else "null"
        sv1 = last.get(number)
        if sv1 is not None:
            out.append(f"{line},{renumbered},{_after_json(sv1, claim)},0")
        elif renumbered != "null":
            out.append(f"{line},{renumbered},null,null,null,null,0")
        else:
            out.append(line)
    return tuple(out), total


def _after_json(sv1: str, claim: Claim) -> str:
    """Modifiers, units, basis and charge of the SV1 a line was delivered with, as JSON."""
    delims = claim.delimiters
    key = (sv1, delims.element, delims.component)
    found = _after_texts.get(key)
    if found is None:
        now = ServiceLine(0, 0, 0)
        parse_sv1(now, sv1.encode("latin-1"), delims, claim.first_ordinal)
        if len(_after_texts) >= _CACHE_LIMIT:
            _after_texts.clear()
        found = _after_texts[key] = ",".join(map(quoted, (join_items(now.modifiers), decimal_text(now.units),
                                                          now.unit_basis, decimal_text(now.charge))))
    return found


def content_of(found: Facts, line_number: int | None) -> str | None:
    """The acknowledgement key of a finding on these lines (model/content.py): its line's, the claim's for a
    claim-level finding, None when no single line has that number."""
    if line_number is None:
        return claim_content_key(_content(line) for line in found.lines)
    matching = [line for number, line in zip(found.numbers, found.lines, strict=True) if number == line_number]
    return _content(matching[0]) if len(matching) == 1 else None


def _content(line: str) -> str:
    return content_key(json.loads(line + "]")[1:9])


class FixOutcome(Protocol):
    """What `rows_for` reads of a run's result (pipeline.FixResult made with `keep_records`)."""

    records: list[ChangeRecord]
    claim_summaries: list[ClaimSummary]
    counts: Counter[tuple[str, bool]]


def rows_for(open_input: Callable[[], IO[bytes]], result: FixOutcome, *, held_file: str | None = None,
             acks: AckBook | None = None, keys: PatientKeys | None = None) -> list[ClaimRow]:
    """Every claim's row of a finished run, from its input (read again) and its result: for an entry point
    that runs the pipeline whole and records afterwards, and for a Dask file task (no `keys` there: the caller,
    who holds the key, fills the patients in with patient.keys_of_file). The same rows `Recorder.claim` makes
    claim by claim. ValueError when the result was made without `keep_records` (its records are not there)."""
    if not result.records and any(result.counts.values()):
        raise ValueError("rows_for needs the run's records: run it with FixOptions(keep_records=True)")
    summaries = {summary.index: summary for summary in result.claim_summaries}
    rows: list[ClaimRow] = []
    with open_input() as source:
        stream = SegmentStream(source)
        tracker = Tracker(keys, stream.delimiters) if keys is not None else None
        for unit in Walker(stream):
            if type(unit) is Passthrough:
                if tracker is not None:
                    tracker.feed(unit.raw)
            elif type(unit) is Claim:
                summary = summaries.get(len(rows))
                records = result.records[summary.first_record:summary.end_record] if summary is not None else []
                rows.append(claim_row(len(rows), unit, records, held=summary is not None and summary.held,
                                      held_file=held_file, acks=acks,
                                      patient=tracker.current if tracker is not None else None))
    return rows
