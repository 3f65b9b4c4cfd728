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
import warnings
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any

from edi837.engine import farm as farming
from edi837.engine.engine_rules import HOLD_RULE
from edi837.engine.partners import index_partners
from edi837.engine.records import ChangeRecord
from edi837.engine.registry import build_rules, rule_schemas, selected
from edi837.engine.runner import ClaimOutcome, RuleEngine
from edi837.gate.pyx12_gate import Opener
from edi837.icd10.source import attach as attach_icd10
from edi837.log import get_logger
from edi837.model.claim import Claim
from edi837.model.minutes import MinutesTable, load_minutes
from edi837.model.summary import ClaimSummary, amount, clm02, described, lines_after, lines_of
from edi837.model.walker import Passthrough, TransactionEnd, Unit, Walker
from edi837.ncci.source import attach as attach_ncci
from edi837.packs import load_packs
from edi837.pipeline import hold as holding
from edi837.pipeline.gating import gate
from edi837.pipeline.options import Acknowledgements, FixOptions, Sinks
from edi837.pipeline.result import LEFT_ALONE_SAMPLE, FixResult
from edi837.pipeline.state import PassState
from edi837.rules import all_factories
from edi837.writer.diff import SegmentDiff, claim_diff, segment_text
from edi837.writer.splice import Splicer
from edi837.writer.split import SplitWriter
from edi837.x12.envelope import Delimiters, SegmentStream

if TYPE_CHECKING:
    from edi837.gate.ahead import ScanAhead

log = get_logger("edi837")  # silent unless the application configures logging


def build_engine(delimiters: Delimiters, options: FixOptions, minutes: MinutesTable | None = None) -> RuleEngine:
    """The rule engine for a run; packs are loaded, the NCCI database attached and rules selected once per run."""
    factories = all_factories()
    packs = load_packs(options.packs_dir, schemas=rule_schemas(factories))
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
    started = time.perf_counter()
    # Read before the rules, once for every pass: a claim's rules need its partners whatever their order.
    partners = index_partners(open_input) if _pairs_across_claims(options) else {}
    state = PassState(open_input, sink, options, sinks or Sinks(), partners)
    ahead: ScanAhead | None = None
    try:
        while True:
            if ahead is not None:
                ahead.close()
            ahead = _pass(state)
            if state.writer is not None and state.result.claims == 0:
                # Nothing to split (a file without claims): the split would write nothing at all, so the
                # file goes through as the run without a hold writes it, never as an empty output.
                state.options = replace(state.options, hold=frozenset())
                state.start_over()
                continue
            if sink is None or not state.options.validate:
                break
            more = gate(state, ahead.result() if ahead is not None else None)
            if not more:
                break
            state.forced.update(more)
            state.start_over()
    finally:
        if ahead is not None:
            ahead.close()
    result = state.result
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


def _pairs_across_claims(options: FixOptions) -> bool:
    """Whether a rule of the run pairs lines across claims (`Rule.unit_of_edit`), as far as the options tell
    (a pack's own select/ignore may still leave it out: the pass is then read for nothing, which is all)."""
    select = options.select or ("ALL",)
    return (any(getattr(f, "unit_of_edit", False) and selected(getattr(f, "code", ""), select, options.ignore)
                for f in all_factories())
            or any(getattr(r, "unit_of_edit", False) for r in options.extra_rules))


def _pass(state: PassState) -> ScanAhead | None:
    """One pass over the input: rules, edits, the output (split when there is a hold policy); its result and
    split writer go to `state`.

    Without a hold, a large output is also fed to the fast scan as it is written (gate/ahead.py), so the
    gate's scan runs on the other core; the caller closes what is returned.
    """
    options, sinks, sink = state.options, state.sinks, state.sink
    result = state.result = FixResult(hold=options.hold)
    minutes = load_minutes(options.minutes_file) if options.minutes_file else None
    ahead: ScanAhead | None = None
    farm: farming.ClaimFarm | None = None
    try:
        with state.open_input() as source:
            stream = SegmentStream(source, on_progress=sinks.on_progress)
            delims = stream.delimiters
            walker = Walker(stream)
            engine = build_engine(delims, options, minutes)
            engine.partners = state.partners
            state.region_of = _regions(engine)
            locating = options.validate and holding.INVALID in options.hold  # --hold invalid traces errors to claims
            state.writer = SplitWriter(sink, sinks.held, delims, stream.bom, locating) if options.hold else None
            out: Any = sink
            size = _size(source)
            if state.writer is None and sink is not None and options.validate and options.validator == "fast":
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
                                                   (*(ahead.inherited if ahead is not None else ()),
                                                    *sinks.inherited))
                units = farm.outcomes(walker) if farm is not None else farming.in_process(walker, engine)
                seen = _stream_output(state, stream, units, out, minutes)
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
    return ahead


def _regions(engine: RuleEngine) -> Callable[[str], str | None]:
    """The packs' anatomic region of a diagnosis code, remembered per code (a file repeats a few codes)."""
    packs, known = engine.packs, dict[str, str | None]()

    def region(code: str) -> str | None:
        if code not in known:
            known[code] = packs.region_of(code)[0] if packs is not None else None
        return known[code]
    return region


def _stream_output(state: PassState, stream: SegmentStream, units: Iterable[tuple[Unit, ClaimOutcome | None]],
                   sink: IO[bytes] | None, minutes: MinutesTable | None) -> set[tuple[str, int]]:
    """Splice the output from the walker's units, each claim with its outcome from the rule engine (run
    here or in worker processes: engine/farm.py): raw bytes for everything unchanged, rebuilt claims
    otherwise; with a hold policy, held claims (as read) into the held output.

    Returns the (claim id, line) pairs of the claims the minutes file names, so that a row naming a line
    the 837 does not have can be refused.
    """
    result, writer = state.result, state.writer
    seen: set[tuple[str, int]] = set()
    splicer = Splicer(sink, stream.delimiters, stream.bom) if writer is None else None
    element = stream.delimiters.element.decode("latin-1")
    index = -1
    for unit, outcome in units:
        if type(unit) is Claim:
            assert outcome is not None
            index += 1
            if minutes is not None and minutes.has_claim(unit.claim_id):
                seen.update((unit.claim_id, line.number) for line in unit.all_lines)
            held = _account(state, unit, outcome, index, stream.delimiters.element)
            if writer is not None:
                writer.claim(unit, outcome.pieces, held)
            else:
                assert splicer is not None
                splicer.claim(unit, outcome.pieces)
        elif type(unit) is Passthrough:
            if state.sinks.on_passthrough is not None:
                state.sinks.on_passthrough(unit.raw, stream.delimiters)
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
            if piece is not unit.piece and state.sinks.collect_diff:
                result.diff.append(SegmentDiff(unit.ordinal, segment_text(unit.piece, element),
                                               segment_text(piece, element), None))
    if writer is not None:
        result.bytes_out, result.bytes_held = writer.finish(stream.tail)
    else:
        assert splicer is not None
        result.bytes_out = splicer.finish(stream.tail)
    return seen


def _account(state: PassState, unit: Claim, outcome: ClaimOutcome, index: int, ele: bytes) -> bool:
    """Count one claim into the pass's result: why it was left alone, its notes, its records, its amounts, its
    summary for the report, its diff; returns whether it is held (with a hold policy)."""
    result, sinks, hold = state.result, state.sinks, state.options.hold
    if outcome.left_alone is not None:
        result.left_alone_counts[outcome.left_alone] += 1
        ids = result.left_alone.setdefault(outcome.left_alone, [])
        if len(ids) < LEFT_ALONE_SAMPLE:
            ids.append(unit.claim_id)
    result.notes.update(outcome.notes)
    records = outcome.records if sinks.acks is None else _acknowledge(unit, outcome.records, sinks.acks)
    reasons = list(state.forced.get(index, ()))
    if sinks.keep_back is not None and (kept := sinks.keep_back(unit)) is not None:
        reasons.append(kept)
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
    if sinks.keep_records:  # every claim, for the report's worklist and its table of unchanged claims
        summary = described(ClaimSummary(index, unit.claim_id, unit.transaction.control_number, unit.first_ordinal,
                                         before, None, lines_of(unit), tuple(reasons), len(result.records)),
                            unit, state.region_of)
    if reasons:
        records = holding.held_records(unit, records, reasons, sinks.held_name)
        result.amount_held += before or 0
        result.held.append(summary or ClaimSummary(index, unit.claim_id, unit.transaction.control_number,
                                                   unit.first_ordinal, before, None, hold_reasons=tuple(reasons)))
    else:
        result.delivered_claims += 1
        after = clm02(outcome.pieces[0], ele) if outcome.pieces is not None else before
        result.amount_delivered += after or 0
        if summary is not None:
            summary.amount_after = after
    for record in records:
        result.add(record, sinks)
    if summary is not None and outcome.pieces is not None:  # a held claim's too: what its release delivers
        delims = unit.delimiters
        summary.lines_after = lines_after(summary.lines, ((r.line_number, r.action, r.segment_after)
                                                          for r in outcome.records if r.applied),
                                          delims.element.decode("latin-1"), delims.component.decode("latin-1"))
    if summary is not None:
        summary.end_record = len(result.records)
        result.claim_summaries.append(summary)
    if outcome.pieces is not None and not reasons:
        result.changed_claims += 1
        if sinks.collect_diff:
            result.diff.extend(claim_diff(unit, outcome.pieces))
    if sinks.on_claim is not None:
        sinks.on_claim(index, unit, records, bool(reasons))
    return bool(reasons)


def _acknowledge(claim: Claim, records: list[ChangeRecord], acks: Acknowledgements) -> list[ChangeRecord]:
    """The records with each review item a person acknowledged (for this claim, rule and line as billed)
    saying so: such an item is neither held nor counted as needing a person. A line billed differently since
    matches no acknowledgement, so its item is raised again."""
    if not records:
        return records
    out = records
    for n, record in enumerate(records):
        if record.action != "review" or record.applied or record.rule == HOLD_RULE:
            continue
        ack = acks.match(claim, record.rule, record.line_number)
        if ack is not None:
            if out is records:
                out = list(records)
            out[n] = replace(record, acknowledged=ack.record_text)
    return out


def _size(source: IO[bytes]) -> int | None:
    """The input's size when it is a file or in memory (the scan runs ahead, and the rules run on several
    processes, only for large ones)."""
    if isinstance(source, io.BytesIO):
        return source.getbuffer().nbytes
    try:
        return os.fstat(source.fileno()).st_size
    except (OSError, AttributeError, io.UnsupportedOperation):
        return None


def fix(data: bytes, options: FixOptions | None = None, sinks: Sinks | None = None, **settings: Any) -> FixResult:
    """Fix an 837P held in memory; the output bytes are in `result.output`.

    Settings are FixOptions' fields as keywords (`packs_dir=`, `select=`, `apply_review=`, `validate=`,
    `minutes_file=` ...); `rules_dir=`, the older name of `packs_dir=`, is still accepted (with a
    DeprecationWarning). Raises InputRefused when the input is refused or the gate fails.
    """
    if "rules_dir" in settings:
        warnings.warn("edi837.fix(rules_dir=...) is now packs_dir=...", DeprecationWarning, stacklevel=2)
        settings["packs_dir"] = settings.pop("rules_dir")
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
