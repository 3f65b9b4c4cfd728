"""The one code path: bytes in, fixed bytes, change records and findings out.

The CLI, the folder watcher, the pre-submit hook and the Python API all call `run` (or `fix`,
its in-memory form), so the same input gives the same output and log everywhere.

Flow: (a pass that finds the lines of other claims NCCI may pair with each claim's: engine/partners.py)
-> tokenizer -> loop walker -> rule engine per claim -> output pieces (only edited claims are
rebuilt; SE01 is recounted when a transaction's segment count changed) -> validation gate. The
output is written to a sink the caller owns; nothing reaches its final place until the gate has
passed, which is the caller's commit step (atomic rename, stdout copy, or returned bytes).

With a hold policy (FixOptions.hold) the claims a person must see go, as they arrived, to a second sink
(Sinks.held) and the rest to the first, both valid 837P files (writer/split.py). A claim held for review
is known as the engine returns; one held as invalid only once pyx12 has read the output, so then the run
is made again with those claims held (rules are deterministic: the same claims get the same fixes), and
the gate judges the new pair.
"""

from __future__ import annotations

import io
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from edi837 import hold as holding
from edi837.engine import farm as farming
from edi837.engine.partners import Partners, index_partners
from edi837.engine.records import ChangeRecord
from edi837.engine.registry import RuleLike, build_rules, rule_schemas, selected
from edi837.engine.runner import ClaimOutcome, RuleEngine
from edi837.files.streams import borrow
from edi837.gate.pyx12_gate import Opener, ValidationIssue, validate
from edi837.icd10.source import attach as attach_icd10
from edi837.log import get_logger
from edi837.model.claim import Claim
from edi837.model.minutes import MinutesTable, load_minutes
from edi837.model.summary import ClaimSummary, amount, clm02, lines_of
from edi837.model.walker import Passthrough, TransactionEnd, Unit, Walker
from edi837.ncci.source import attach as attach_ncci
from edi837.packs import load_packs
from edi837.rules import all_factories
from edi837.writer.diff import SegmentDiff, claim_diff, segment_text
from edi837.writer.splice import Splicer
from edi837.writer.split import DELIVERED, SplitWriter
from edi837.x12.envelope import Delimiters, SegmentStream

if TYPE_CHECKING:
    from edi837.gate.ahead import ScanAhead
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
    hold: frozenset[str] = frozenset()  # "review", "invalid": claims that go to the held file (Sinks.held)
    # The CMS NCCI database (edi837.ncci): None finds it as every entry point does (EDI837_NCCI_DB, then
    # the per-user file); False runs on the shipped pairs alone. `ncci_version` pins versions ("v322r0",
    # "2025-q4") instead of the newest.
    ncci_db: Path | Literal[False] | None = None
    ncci_version: tuple[str, ...] | str = ()
    # The ICD-10-CM store (edi837.icd10): None finds it as for NCCI (EDI837_ICD10_DB, then the per-user
    # file); False reads the releases shipped with edi837 alone.
    icd10_db: Path | Literal[False] | None = None
    # Processes for the rules (engine/farm.py): 1, this one alone; None, as many as the cores (the
    # command line's default). Only used for a large file in a process that may fork; the output is the
    # same bytes either way. One by default here: a library's caller (a web server, a task queue) decides
    # whether its process forks.
    jobs: int | None = 1


FarmStarter = Callable[[RuleEngine, Delimiters, int | None], farming.ClaimFarm | None]


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
    held: IO[bytes] | None = None  # where held claims go with a hold policy (readable and seekable to be gated)
    held_name: str = ""  # the held file's path, for the hold records (EDI003) to name; "" when there is none
    restart: Callable[[], None] | None = None  # the record sink starts over (a run made again to hold invalid claims)
    # Where the claims' rule work goes (engine/farm.py): None, this machine's worker processes per
    # FixOptions.jobs; a batch on Dask gives the cluster's (batch/chunks.py). Told the run's engine, the
    # input's delimiters and its size; None back: the claims run in process.
    farm: FarmStarter | None = None


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
    notes: Counter[str] = field(default_factory=Counter)  # claims a rule noted something for, by note
    claims: int = 0
    lines: int = 0
    transactions: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    validated: bool = False
    seconds: float = 0.0
    jobs: int = 1  # processes that ran the rules' chunks (engine/farm.py); the output is the same bytes whatever it is
    output: bytes | None = None
    # The split (FixOptions.hold): claims held and why, claims delivered, dollars (CLM02) in and out.
    hold: frozenset[str] = frozenset()
    held: list[ClaimSummary] = field(default_factory=list)
    delivered_claims: int = 0
    amount_in: Decimal = Decimal(0)
    amount_delivered: Decimal = Decimal(0)  # CLM02 of the delivered claims, after their fixes
    amount_held: Decimal = Decimal(0)  # CLM02 of the held claims, as they arrived
    bytes_held: int = 0
    held_output: bytes | None = None
    claim_summaries: list[ClaimSummary] = field(default_factory=list)  # claims with records or held (keep_records)

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
    def held_claims(self) -> int:
        return len(self.held)

    @property
    def nothing_delivered(self) -> bool:
        """A split with no claim left to deliver: no output at all (a file without claims is not split)."""
        return bool(self.hold) and not self.delivered_claims

    @property
    def amount_out(self) -> Decimal:
        """CLM02 over both files: the delivered claims after their fixes plus the held ones as they arrived."""
        return self.amount_delivered + self.amount_held

    @property
    def exit_code(self) -> int:
        """0: nothing needs a person; 1: review items or validation warnings remain, or claims were held."""
        return 1 if self.review_count or self.warnings or self.held else 0


def build_engine(delimiters: Delimiters, options: FixOptions, minutes: MinutesTable | None = None) -> RuleEngine:
    """The rule engine for a run; packs are loaded, the NCCI database attached and rules selected once per run."""
    factories = all_factories()
    packs = load_packs(options.rules_dir, schemas=rule_schemas(factories))
    pins = (options.ncci_version,) if isinstance(options.ncci_version, str) else options.ncci_version
    attach_ncci(packs, options.ncci_db, pins)
    try:
        attach_icd10(packs, options.icd10_db)
        select = options.select or packs.select
        ignore = (*packs.ignore, *options.ignore)
        rules = [*build_rules(packs, select, ignore, factories), *options.extra_rules]
    except BaseException:
        packs.close()
        raise
    return RuleEngine(rules, delimiters, packs, apply_review=options.apply_review or packs.apply_review,
                      minutes=minutes)


def run(open_input: Opener, sink: IO[bytes] | None, options: FixOptions | None = None,
        sinks: Sinks | None = None) -> FixResult:
    """Fix the 837P that `open_input` yields, writing the output to `sink` (None: count only).

    `sink` (and `sinks.held` with a hold policy) must be readable and seekable when validation is on (the
    gate reads them back, and a run made again to hold invalid claims starts them over).
    Raises InputRefused (or GateFailed) when the input is refused; the caller then discards the sinks.
    """
    options = options or FixOptions()
    sinks = sinks or Sinks()
    started = time.perf_counter()
    forced: dict[int, list[str]] = {}  # claim index -> why it is held as invalid (known after the gate)
    input_issues: list[list[ValidationIssue]] = []  # the input's own errors, once read (at most one pyx12 pass)
    ahead: ScanAhead | None = None
    # Read before the rules, once for every pass: a claim's rules need its partners whatever their order.
    partners = index_partners(open_input) if _pairs_across_claims(options) else {}
    try:
        while True:
            if ahead is not None:
                ahead.close()
            result, writer, ahead = _pass(open_input, sink, options, sinks, forced, partners)
            if writer is not None and result.claims == 0:
                # Nothing to split (a file without claims): the split would write nothing at all, so the
                # file goes through as the run without a hold writes it, never as an empty output.
                options = replace(options, hold=frozenset())
                _start_over(sink, sinks)
                continue
            if sink is None or not options.validate:
                break
            scanned = ahead.result() if ahead is not None else None
            more = _gate(open_input, sink, sinks.held, options, result, writer, forced, input_issues, scanned)
            if not more:
                break
            forced.update(more)
            _start_over(sink, sinks)
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
        held=result.held_claims,
        warnings=len(result.warnings),
        validated=result.validated,
        jobs=result.jobs,
        seconds=round(result.seconds, 3),
    )
    return result


def _start_over(sink: IO[bytes] | None, sinks: Sinks) -> None:
    """Empty the outputs and the record sink for another pass over the input (an output that cannot seek,
    stdout, is only ever started over when nothing was written to it)."""
    for handle in (sink, sinks.held):
        if handle is not None and handle.seekable():
            handle.seek(0)
            handle.truncate()
    if sinks.restart is not None:
        sinks.restart()


def _pairs_across_claims(options: FixOptions) -> bool:
    """Whether a rule of the run pairs lines across claims (`Rule.unit_of_edit`), as far as the options tell
    (a pack's own select/ignore may still leave it out: the pass is then read for nothing, which is all)."""
    select = options.select or ("ALL",)
    return (any(getattr(f, "unit_of_edit", False) and selected(getattr(f, "code", ""), select, options.ignore)
                for f in all_factories())
            or any(getattr(r, "unit_of_edit", False) for r in options.extra_rules))


def _pass(open_input: Opener, sink: IO[bytes] | None, options: FixOptions, sinks: Sinks,
          forced: dict[int, list[str]], partners: Partners) -> tuple[FixResult, SplitWriter | None, ScanAhead | None]:
    """One pass over the input: rules, edits, the output (split when there is a hold policy).

    Without a hold, a large output is also fed to the fast scan as it is written (gate/ahead.py), so the
    gate's scan runs on the other core; the caller closes what is returned.
    """
    result = FixResult(hold=options.hold)
    minutes = load_minutes(options.minutes_file) if options.minutes_file else None
    ahead: ScanAhead | None = None
    farm: farming.ClaimFarm | None = None
    try:
        with open_input() as source:
            stream = SegmentStream(source, on_progress=sinks.on_progress)
            delims = stream.delimiters
            walker = Walker(stream)
            engine = build_engine(delims, options, minutes)
            engine.partners = partners
            locating = options.validate and holding.INVALID in options.hold  # --hold invalid traces errors to claims
            writer = SplitWriter(sink, sinks.held, delims, stream.bom, locating) if options.hold else None
            out: Any = sink
            size = _size(source)
            if writer is None and sink is not None and options.validate and options.validator == "fast":
                from edi837.gate.ahead import ScanAhead, Tee

                ahead = ScanAhead.start(size)
                out = sink if ahead is None else Tee(sink, ahead)
            try:
                # After the scan ahead is forked (a process with the pool's threads may not fork it), and with
                # that child's pipe closed in the workers, or the scan would never see the output end.
                if sinks.farm is not None:
                    farm = sinks.farm(engine, delims, size)
                else:
                    farm = farming.ClaimFarm.start(farming.jobs_for(options.jobs), size, engine,
                                                   lambda: build_engine(delims, options, minutes),
                                                   ahead.inherited if ahead is not None else ())
                units = farm.outcomes(walker) if farm is not None else farming.in_process(walker, engine)
                seen = _stream_output(stream, units, out, sinks, result, minutes, writer, options.hold, forced)
                result.jobs = max(1, farm.processes) if farm is not None else 1
            finally:
                if farm is not None:
                    farm.close()
                if engine.packs is not None:
                    engine.packs.close()
            result.bytes_in = stream.bytes_read
        if minutes is not None:
            minutes.check_lines_exist(seen)
    except BaseException:
        if ahead is not None:
            ahead.close()
        raise
    result.claims = walker.claims
    result.lines = walker.lines
    result.transactions = walker.transactions
    return result, writer, ahead


def _stream_output(stream: SegmentStream, units: Iterable[tuple[Unit, ClaimOutcome | None]], sink: IO[bytes] | None,
                   sinks: Sinks, result: FixResult, minutes: MinutesTable | None, writer: SplitWriter | None,
                   hold: frozenset[str], forced: dict[int, list[str]]) -> set[tuple[str, int]]:
    """Splice the output from the walker's units, each claim with its outcome from the rule engine (run
    here or in worker processes: engine/farm.py): raw bytes for everything unchanged, rebuilt claims
    otherwise; with a hold policy, held claims (as read) into the held output.

    Returns the (claim id, line) pairs of the claims the minutes file names, so that a row naming a line
    the 837 does not have can be refused.
    """
    seen: set[tuple[str, int]] = set()
    splicer = Splicer(sink, stream.delimiters, stream.bom) if writer is None else None
    element = stream.delimiters.element.decode("latin-1")
    ele = stream.delimiters.element
    index = -1
    for unit, outcome in units:
        if type(unit) is Claim:
            assert outcome is not None
            index += 1
            if minutes is not None and minutes.has_claim(unit.claim_id):
                seen.update((unit.claim_id, line.number) for line in unit.all_lines)
            if outcome.left_alone is not None:
                result.left_alone_counts[outcome.left_alone] += 1
                ids = result.left_alone.setdefault(outcome.left_alone, [])
                if len(ids) < LEFT_ALONE_SAMPLE:
                    ids.append(unit.claim_id)
            result.notes.update(outcome.notes)
            records = outcome.records
            reasons = list(forced.get(index, ()))
            if holding.INVALID in hold:
                why = holding.error_reason(records)
                if why is not None:
                    reasons.insert(0, why)
            if holding.REVIEW in hold:
                why = holding.review_reason(records)
                if why is not None:
                    reasons.insert(0, why)
            before = amount(unit.total_charge_text)
            result.amount_in += before or 0
            summary = None
            if sinks.keep_records and (records or reasons):
                summary = ClaimSummary(index, unit.claim_id, unit.transaction.control_number, unit.first_ordinal,
                                       before, None, lines_of(unit), tuple(reasons), len(result.records))
            if reasons:
                records = holding.held_records(unit, records, reasons, sinks.held_name)
                result.amount_held += before or 0
                result.held.append(summary or ClaimSummary(index, unit.claim_id, unit.transaction.control_number,
                                                           unit.first_ordinal, before, None,
                                                           hold_reasons=tuple(reasons)))
            else:
                result.delivered_claims += 1
                after = clm02(outcome.pieces[0], ele) if outcome.pieces is not None else before
                result.amount_delivered += after or 0
                if summary is not None:
                    summary.amount_after = after
            for record in records:
                result.add(record, sinks)
            if summary is not None:
                summary.end_record = len(result.records)
                result.claim_summaries.append(summary)
            if outcome.pieces is not None and not reasons:
                result.changed_claims += 1
                if sinks.collect_diff:
                    result.diff.extend(claim_diff(unit, outcome.pieces))
            if writer is not None:
                writer.claim(unit, outcome.pieces, bool(reasons))
            else:
                assert splicer is not None
                splicer.claim(unit, outcome.pieces)
        elif type(unit) is Passthrough:
            if writer is not None:
                writer.raw(unit.raw)
            else:
                assert splicer is not None
                splicer.raw(unit.raw)
        else:
            assert type(unit) is TransactionEnd
            if writer is not None:
                writer.transaction_end(unit)
                continue
            assert splicer is not None
            piece = splicer.transaction_end(unit)
            if piece is not unit.piece and sinks.collect_diff:
                result.diff.append(SegmentDiff(unit.ordinal, segment_text(unit.piece, element),
                                               segment_text(piece, element), None))
    if writer is not None:
        result.bytes_out, result.bytes_held = writer.finish(stream.tail)
    else:
        assert splicer is not None
        result.bytes_out = splicer.finish(stream.tail)
    return seen


def _size(source: IO[bytes]) -> int | None:
    """The input's size when it is a file or in memory (the scan runs ahead, and the rules run on several
    processes, only for large ones)."""
    if isinstance(source, io.BytesIO):
        return source.getbuffer().nbytes
    try:
        return os.fstat(source.fileno()).st_size
    except (OSError, AttributeError, io.UnsupportedOperation):
        return None


def _gate(open_input: Opener, sink: IO[bytes], held: IO[bytes] | None, options: FixOptions, result: FixResult,
          writer: SplitWriter | None, forced: dict[int, list[str]],
          input_issues: list[list[ValidationIssue]], scanned: ScanResult | None) -> dict[int, list[str]]:
    """Validate the output; refuse it when it carries an error the input did not (gate/decide.py).

    `scanned`: the fast scan of the output when it ran beside the fix (gate/ahead.py). With a hold policy
    both files are validated: by the fast scan first (both clean: done), else by pyx12. Under `--hold
    invalid`, the claims that carry an error in the delivered file are returned (with why) to be held in a
    new pass; otherwise the gate's verdict is final: a new error in either file refuses the run, errors the
    input had are warnings.
    """
    sink.flush()
    if writer is None:
        from edi837.gate.decide import check

        result.warnings = check(open_input, lambda: borrow(sink), result.changed, options.validator, scanned)
        result.validated = True
        return {}
    if held is not None:
        held.flush()
    from edi837.gate.decide import clean_alone, refuse_new

    outputs = [_borrowing(h) for h, size in ((sink, result.bytes_out), (held, result.bytes_held)) if h and size]
    if clean_alone(outputs, options.validator):
        result.validated = True
        return {}
    after = validate(lambda: borrow(sink)) if result.bytes_out else []
    held_after: list[ValidationIssue] = []
    if held is not None and result.bytes_held:
        held_after = validate(lambda: borrow(held))
    result.validated = True
    if not after and not held_after:
        return {}
    if not input_issues:
        input_issues.append(validate(open_input))
    before = input_issues[0]
    if holding.INVALID in options.hold and after:
        more = _invalid_claims(after, before, writer, result, forced)
        if more:
            return more
    refuse_new(before, after, "the fixed file")
    refuse_new(before, held_after, "the held file")
    result.warnings = after if result.held else before
    return {}


def _invalid_claims(after: list[ValidationIssue], before: list[ValidationIssue], writer: SplitWriter,
                    result: FixResult, forced: dict[int, list[str]]) -> dict[int, list[str]]:
    """The delivered claims that carry (or sit below a loop that carries) one of `after`'s errors, with why."""
    concerned: dict[int, list[ValidationIssue]] = defaultdict(list)
    where: dict[int, str] = {}
    for issue in after:
        claims, loop = writer.locate(DELIVERED, issue.segment, missing=issue.code == holding.MISSING_CODE)
        for index in claims:
            if index not in forced:
                concerned[index].append(issue)
                if loop:
                    where[index] = f" in the {loop} it belongs to"
    if not concerned:
        return {}
    spans = writer.input_spans
    more: dict[int, list[str]] = {}
    for index, issues in concerned.items():
        first, last, changed = spans[index]
        mine = [i for i in before if i.segment is not None and first <= i.segment <= last]
        new = changed and index not in where and holding.introduced(issues, mine)
        more[index] = [holding.invalid_reason(issues, new, where.get(index, ""))]
    return more


def _borrowing(handle: IO[bytes]) -> Opener:
    return lambda: borrow(handle)


def fix(data: bytes, options: FixOptions | None = None, sinks: Sinks | None = None, **settings: Any) -> FixResult:
    """Fix an 837P held in memory; the output bytes are in `result.output`.

    Settings are FixOptions' fields as keywords (`rules_dir=`, `select=`, `apply_review=`, `validate=`,
    `minutes_file=` ...). Raises InputRefused when the input is refused or the gate fails.
    """
    if settings:
        options = replace(options or FixOptions(), **settings)
    sink = io.BytesIO()
    sinks = sinks or Sinks()
    if options is not None and options.hold and sinks.held is None:
        sinks = replace(sinks, held=io.BytesIO())
    result = run(lambda: io.BytesIO(data), sink, options, sinks)
    result.output = sink.getvalue()
    if isinstance(sinks.held, io.BytesIO):
        result.held_output = sinks.held.getvalue()
    return result
