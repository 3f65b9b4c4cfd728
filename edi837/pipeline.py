"""The one code path: bytes in, fixed bytes, change records and findings out.

The CLI, the folder watcher, the pre-submit hook and the Python API all call `run` (or `fix`,
its in-memory form), so the same input gives the same output and log everywhere.

Flow: tokenizer -> loop walker -> rule engine per claim -> output pieces (only edited claims are
rebuilt; SE01 is recounted when a transaction's segment count changed) -> validation gate. The
output is written to a sink the caller owns; nothing reaches its final place until the gate has
passed, which is the caller's commit step (atomic rename, stdout copy, or returned bytes).
"""

from __future__ import annotations

import io
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from edi837.delivery.fileio import borrow
from edi837.engine.registry import RuleLike, build_rules, rule_schemas
from edi837.engine.runner import RuleEngine
from edi837.gate.pyx12_gate import Opener, ValidationIssue
from edi837.log import get_logger
from edi837.model.claim import Claim
from edi837.model.minutes import MinutesTable, load_minutes
from edi837.model.walker import Passthrough, TransactionEnd, Walker
from edi837.packs import load_packs
from edi837.report.changelog import ChangeRecord
from edi837.rules import all_factories
from edi837.writer.diff import SegmentDiff, claim_diff, segment_text
from edi837.writer.splice import Splicer
from edi837.x12.envelope import Delimiters, SegmentStream

if TYPE_CHECKING:
    from edi837.gate.fast import ScanResult

log = get_logger("edi837")  # silent unless the application configures logging

@dataclass
class FixOptions:
    """What a run does (the run settings): the same for every entry point, the CLI flags map onto them."""

    validate: bool = True
    validator: str = "fast"  # "fast": compiled tables, pyx12 as referee; "pyx12": pyx12 over the whole file
    apply_review: bool = False
    rules_dir: Path | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    minutes_file: Path | None = None
    extra_rules: tuple[RuleLike, ...] = ()  # rules of the caller's own, run beside the selected ones


@dataclass
class Sinks:
    """Where a run's by-products go, which is the caller's business, not the run's.

    Change records stream to `record_sink` as they are made (the CLI, hook and watcher write them into the
    change log's temporary file) and the result keeps them all only with `keep_records` (the API and the
    HTML report need them): streaming keeps memory flat however many findings a file has. `collect_diff`
    keeps the segment diff for --diff; `on_progress` is told the bytes read so far.
    """

    record_sink: Callable[[ChangeRecord], None] | None = None
    keep_records: bool = True
    collect_diff: bool = False
    on_progress: Callable[[int], None] | None = None


REVIEW_SAMPLE = 200  # review items a result keeps for the summary when records are streamed
LEFT_ALONE_SAMPLE = 20  # claim ids a result keeps per reason a claim was left alone


@dataclass
class FixResult:
    records: list[ChangeRecord] = field(default_factory=list)  # all of them, when FixOptions.keep_records
    counts: Counter[tuple[str, bool]] = field(default_factory=Counter)  # (rule, applied) -> records
    review_sample: list[ChangeRecord] = field(default_factory=list)  # the first REVIEW_SAMPLE review items
    warnings: list[ValidationIssue] = field(default_factory=list)
    diff: list[SegmentDiff] = field(default_factory=list)
    changed_claims: int = 0
    # Claims no rule looked at, by reason ("void": CLM05-3 = 8, which must mirror the claim it cancels;
    # "frequency": a frequency code the 837P does not use), with the first LEFT_ALONE_SAMPLE claim ids.
    left_alone: dict[str, list[str]] = field(default_factory=dict)
    left_alone_counts: Counter[str] = field(default_factory=Counter)
    claims: int = 0
    lines: int = 0
    transactions: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    validated: bool = False
    seconds: float = 0.0
    output: bytes | None = None

    @property
    def changed(self) -> bool:
        return self.changed_claims > 0

    @property
    def applied(self) -> list[ChangeRecord]:
        return [r for r in self.records if r.applied]

    @property
    def review(self) -> list[ChangeRecord]:
        return [r for r in self.records if not r.applied]

    @property
    def applied_count(self) -> int:
        return sum(n for (_, applied), n in self.counts.items() if applied)

    @property
    def review_count(self) -> int:
        return sum(n for (_, applied), n in self.counts.items() if not applied)

    def add(self, record: ChangeRecord, sinks: Sinks) -> None:
        self.counts[record.rule, record.applied] += 1
        if not record.applied and len(self.review_sample) < REVIEW_SAMPLE:
            self.review_sample.append(record)
        if sinks.keep_records:
            self.records.append(record)
        if sinks.record_sink is not None:
            sinks.record_sink(record)

    @property
    def exit_code(self) -> int:
        """0: nothing needs a person; 1: review items or validation warnings remain."""
        return 1 if self.review_count or self.warnings else 0


def build_engine(delimiters: Delimiters, options: FixOptions, minutes: MinutesTable | None = None) -> RuleEngine:
    """The rule engine for a run; packs are loaded and rules selected once per run."""
    factories = all_factories()
    packs = load_packs(options.rules_dir, schemas=rule_schemas(factories))
    select = options.select or packs.select
    ignore = (*packs.ignore, *options.ignore)
    rules = [*build_rules(packs, select, ignore, factories), *options.extra_rules]
    return RuleEngine(rules, delimiters, packs, apply_review=options.apply_review or packs.apply_review,
                      minutes=minutes)


def run(open_input: Opener, sink: IO[bytes] | None, options: FixOptions | None = None,
        sinks: Sinks | None = None) -> FixResult:
    """Fix the 837P that `open_input` yields, writing the output to `sink` (None: count only).

    `sink` must be readable and seekable when validation is on (the gate reads it back).
    Raises InputRefused (or GateFailed) when the input is refused; the caller then discards the sink.
    """
    options = options or FixOptions()
    sinks = sinks or Sinks()
    started = time.perf_counter()
    result = FixResult()
    minutes = load_minutes(options.minutes_file) if options.minutes_file else None
    ahead = None
    try:
        with open_input() as source:
            stream = SegmentStream(source, on_progress=sinks.on_progress)
            delims = stream.delimiters
            walker = Walker(stream)
            engine = build_engine(delims, options, minutes)
            out: Any = sink
            if sink is not None and options.validate and options.validator == "fast":
                from edi837.gate.ahead import ScanAhead, Tee

                ahead = ScanAhead.start(_size(source))
                out = sink if ahead is None else Tee(sink, ahead)
            seen = _stream_output(stream, walker, engine, out, sinks, result, minutes)
            result.bytes_in = stream.bytes_read
        if minutes is not None:
            minutes.check_lines_exist(seen)
        result.claims = walker.claims
        result.lines = walker.lines
        result.transactions = walker.transactions
        if sink is not None and options.validate:
            scanned = ahead.result() if ahead is not None else None
            _gate(open_input, sink, result, options.validator, scanned)
    finally:
        if ahead is not None:
            ahead.close()
    result.seconds = time.perf_counter() - started
    log.info(
        "run.done",
        claims=result.claims,
        changed_claims=result.changed_claims,
        applied=result.applied_count,
        review=result.review_count,
        warnings=len(result.warnings),
        validated=result.validated,
        seconds=round(result.seconds, 3),
    )
    return result


def _stream_output(stream: SegmentStream, walker: Walker, engine: RuleEngine, sink: IO[bytes] | None,
                   sinks: Sinks, result: FixResult, minutes: MinutesTable | None) -> set[tuple[str, int]]:
    """Run the engine on each claim the walker yields and splice the output: raw bytes for everything
    unchanged, rebuilt claims otherwise.

    Returns the (claim id, line) pairs of the claims the minutes file names, so that a row naming a line
    the 837 does not have can be refused.
    """
    seen: set[tuple[str, int]] = set()
    splicer = Splicer(sink, stream.delimiters, stream.bom)
    element = stream.delimiters.element.decode("latin-1")
    for unit in walker:
        if type(unit) is Claim:
            if minutes is not None and minutes.has_claim(unit.claim_id):
                seen.update((unit.claim_id, line.number) for line in unit.lines)
            outcome = engine.run(unit)
            if outcome.left_alone is not None:
                result.left_alone_counts[outcome.left_alone] += 1
                ids = result.left_alone.setdefault(outcome.left_alone, [])
                if len(ids) < LEFT_ALONE_SAMPLE:
                    ids.append(unit.claim_id)
            for record in outcome.records:
                result.add(record, sinks)
            if outcome.pieces is not None:
                result.changed_claims += 1
                if sinks.collect_diff:
                    result.diff.extend(claim_diff(unit, outcome.pieces))
            splicer.claim(unit, outcome.pieces)
        elif type(unit) is Passthrough:
            splicer.raw(unit.raw)
        else:
            assert type(unit) is TransactionEnd
            piece = splicer.transaction_end(unit)
            if piece is not unit.piece and sinks.collect_diff:
                result.diff.append(SegmentDiff(unit.ordinal, segment_text(unit.piece, element),
                                               segment_text(piece, element), None))
    result.bytes_out = splicer.finish(stream.tail)
    return seen


def _size(source: IO[bytes]) -> int | None:
    """The input's size when it is a file (the scan runs ahead only for large ones)."""
    try:
        return os.fstat(source.fileno()).st_size
    except (OSError, AttributeError, io.UnsupportedOperation):
        return None


def _gate(open_input: Opener, sink: IO[bytes], result: FixResult, validator: str, scanned: ScanResult | None) -> None:
    """Validate the output; refuse it when it carries an error the input did not (gate/decide.py)."""
    from edi837.gate.decide import check

    sink.flush()
    result.warnings = check(open_input, lambda: borrow(sink), result.changed, validator, scanned)
    result.validated = True


def fix(data: bytes, options: FixOptions | None = None, sinks: Sinks | None = None, **settings: Any) -> FixResult:
    """Fix an 837P held in memory; the output bytes are in `result.output`.

    Settings are FixOptions' fields as keywords (`rules_dir=`, `select=`, `apply_review=`, `validate=`,
    `minutes_file=` ...). Raises InputRefused when the input is refused or the gate fails.
    """
    if settings:
        options = replace(options or FixOptions(), **settings)
    sink = io.BytesIO()
    result = run(lambda: io.BytesIO(data), sink, options, sinks)
    result.output = sink.getvalue()
    return result
