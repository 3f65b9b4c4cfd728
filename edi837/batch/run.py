"""Submit a batch's tasks, follow them, and sum up what became of every file.

Each file is one task (`task.fix_one`). Results come back as they finish; a terminal shows a progress bar
(files and claims done). At the end: one line per outcome class, or the same as JSON (`--format json`).
Exit code: 3 if any file met an internal error, else 2 if any was refused or its outputs could not be
written (the others are still done), else 1 if any has items for a person or held claims, else 0.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from edi837.batch.again import settings_digest
from edi837.batch.chunks import SPLIT_BYTES, close_semaphore
from edi837.batch.cluster import connect, require_dask, worker_count
from edi837.batch.plan import HELD, REJECTED, BatchRefused, FileTask, plan
from edi837.batch.recording import acks_for, record
from edi837.batch.task import KINDS, FileOutcome, fix_one, reject, remove_dead_attempts
from edi837.delivery.ledgering import NO_LEDGER, LedgerChoice
from edi837.errors import one_line, outcome_of
from edi837.exits import ExitCode
from edi837.files.modes import make_data_dirs
from edi837.icd10.store import LOCATION as ICD10_LOCATION
from edi837.ncci import paths as ncci_paths
from edi837.pipeline import FixOptions
from edi837.words import plural

# The words of the text summary for each outcome class; files of the last three are not in OUT_DIR.
LABELS = {"ok": "fixed or clean", "review": "written, with items for a person",
          "held": "written, with claims held for a person",
          "skipped": "left alone (done by an earlier batch from the same bytes and settings)", "refused": "refused",
          "failed": "not written (an output could not be written)", "error": "internal error"}
NOT_DONE = ("refused", "failed", "error")


@dataclass
class BatchSummary:
    """What became of every file of a batch; the exit code and both summaries are computed from it."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the whole batch, starting (or reaching) the cluster included
    startup: float = 0.0  # of which: until the cluster was there to take the tasks
    workers: int = 0
    ledger_problem: str | None = None  # best effort: why the claims ledger was not kept (said once)

    @property
    def kinds(self) -> Counter[str]:
        return Counter(o.kind for o in self.outcomes)

    @property
    def claims(self) -> int:
        return sum(o.claims for o in self.outcomes)

    @property
    def held_claims(self) -> int:
        return sum(o.held_claims for o in self.outcomes)

    @property
    def exit_code(self) -> ExitCode:
        kinds = self.kinds
        if kinds["error"]:
            return ExitCode.INTERNAL
        if kinds["refused"] or kinds["failed"]:
            return ExitCode.REFUSED
        skipped = any(o.exit_code for o in self.outcomes if o.kind == "skipped")  # as it was then
        return ExitCode.NEEDS_PERSON if kinds["review"] or kinds["held"] or skipped else ExitCode.OK

    def by_rule(self, which: str) -> dict[str, int]:
        total: Counter[str] = Counter()
        for outcome in self.outcomes:
            total.update(getattr(outcome, which))
        return dict(sorted(total.items()))

    def as_dict(self) -> dict[str, Any]:
        kinds = self.kinds
        return {
            "exit_code": self.exit_code,
            "files": {"total": len(self.outcomes), **{k: kinds[k] for k in KINDS}},
            "claims": self.claims,
            "changed_claims": sum(o.changed_claims for o in self.outcomes),
            "held_claims": self.held_claims,
            "changes_by_rule": self.by_rule("applied"),
            "review_by_rule": self.by_rule("review"),
            # Each file's outcome and exit code (the one `edi-fix IN OUT` gives it); why, for one not done.
            "by_file": [{"file": o.relative, "outcome": o.kind, "exit_code": o.exit_code, "claims": o.claims,
                         "changed_claims": o.changed_claims, "held_claims": o.held_claims,
                         **({"processes": o.processes} if o.processes > 1 else {}),
                         **({"was": o.was} if o.kind == "skipped" else {}),
                         **({"reason": o.message} if o.kind in NOT_DONE else {})}
                        for o in sorted(self.outcomes, key=lambda o: o.relative)],
            "workers": self.workers,
            "seconds": round(self.seconds, 3),
            "startup_seconds": round(self.startup, 3),
            "claims_per_second": round(self.claims / self.seconds, 1) if self.seconds else None,
        }

    def text(self, out_dir: Path) -> str:
        """A heading, then one line per outcome class that occurred, then the files not done and why."""
        kinds = self.kinds
        rate = f" ({self.claims / self.seconds:,.0f} claims/s)" if self.seconds else ""
        lines = [f"edi-fix batch: {plural(len(self.outcomes), 'file')}, {plural(self.claims, 'claim')} in "
                 f"{self.seconds:.1f} s{rate} on {plural(self.workers, 'worker')} (started in "
                 f"{self.startup:.1f} s)"]
        for kind in KINDS:
            if kinds[kind]:
                where = (f" (copied to {out_dir / REJECTED}/ with a .reason.txt each)" if kind in ("refused", "error")
                         else f" ({plural(self.held_claims, 'claim')} in {out_dir / HELD}/)" if kind == "held" else "")
                lines.append(f"  {LABELS[kind]}: {plural(kinds[kind], 'file')}{where}")
        for label, counts in (("changes", self.by_rule("applied")), ("review items", self.by_rule("review"))):
            if counts:
                lines.append(f"  {label}: " + ", ".join(f"{rule} {n:,}" for rule, n in counts.items()))
        lines.extend(f"  {o.message}" for o in sorted(self.outcomes, key=lambda o: o.relative)
                     if o.kind in NOT_DONE)
        return "\n".join(lines)


Follow = Callable[[int], AbstractContextManager[Callable[[FileOutcome], None]]]


def batch(in_dir: Path, out_dir: Path, options: FixOptions, *, recursive: bool = False, report: bool = False,
          workers: int | None = None, scheduler: str | None = None, follow: Follow | None = None,
          split_bytes: int = SPLIT_BYTES, force: bool = False, group_readable: bool = False,
          ledger: LedgerChoice = NO_LEDGER) -> BatchSummary:
    """Fix every file of `in_dir` into `out_dir` on Dask; returns the summary (nothing is printed here).

    A file of at least `split_bytes` (0: none) has its claims' rule work spread over the cluster in chunks
    (batch/chunks.py), with the same outputs. A file an earlier batch did from the same bytes and settings
    is left alone unless `force` (batch/again.py)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise BatchRefused(f"{out_dir}: not a folder")
    if out_dir.resolve() == in_dir.resolve():
        raise BatchRefused(f"{out_dir}: OUT_DIR is IN_DIR; the outputs would replace the inputs")
    require_dask()
    if scheduler and workers is not None:
        raise BatchRefused("--workers sizes a local cluster; an existing one (--scheduler) has its own workers")
    in_dir, out_dir = Path(os.path.abspath(in_dir)), Path(os.path.abspath(out_dir))  # workers have other cwds
    options = for_workers(options)
    tasks = plan(in_dir, out_dir, options, recursive=recursive, report=report, split_bytes=split_bytes)
    settings = settings_digest(options, report=report, group_readable=group_readable)
    acks = acks_for(ledger, group_readable=group_readable)  # the ledger checked before any file is submitted
    tasks = [replace(t, settings=settings, force=force, group_readable=group_readable, acks=acks,
                     keep_rows=ledger.path is not None) for t in tasks]
    by_name = {t.relative: t for t in tasks}
    make_data_dirs(out_dir, group_readable=group_readable)
    summary = BatchSummary()
    started = time.monotonic()
    following = follow(len(tasks)) if follow is not None else nullcontext(_ignore)
    # Keys name the batch and a number, never a file's name (names can say whose claims they are), and are
    # unique per batch: two batches on one shared scheduler must not be handed each other's results.
    batch_id = uuid.uuid4().hex[:12]
    with connect(scheduler, workers) as client, following as on_done:
        summary.workers = worker_count(client)
        summary.startup = time.monotonic() - started
        # Half the workers at most split a big file at a time (batch/chunks.py): the others keep taking files.
        leases = max(1, summary.workers // 2)
        tasks = [replace(t, split_lease=f"edi-fix-split-{batch_id}", split_leases=leases) for t in tasks]
        for outcome in _results(client, tasks, batch_id):
            summary.ledger_problem = summary.ledger_problem or record(ledger, by_name[outcome.relative], outcome,
                                                                      options)
            summary.outcomes.append(replace(outcome, rows=(), files=()))
            on_done(outcome)
        if any(t.split_bytes for t in tasks):
            close_semaphore(f"edi-fix-split-{batch_id}", leases)
    summary.seconds = time.monotonic() - started
    return summary


def for_workers(options: FixOptions) -> FixOptions:
    """The options with every path settled here, where the command was typed: a worker has another working
    folder (and, on another machine, another environment and home), so a relative `--packs` or an NCCI
    database (or ICD-10-CM store) found through EDI837_NCCI_DB (EDI837_ICD10_DB) or the per-user folder
    would otherwise mean something else there. A database named but missing refuses the whole batch now, not
    each file on a worker."""
    database = ncci_paths.for_run(options.ncci_db)
    icd10 = ICD10_LOCATION.for_run(options.icd10_db)
    return replace(options, packs_dir=options.packs_dir.absolute() if options.packs_dir else None,
                   minutes_file=options.minutes_file.absolute() if options.minutes_file else None,
                   ncci_db=database.absolute() if database is not None else False,
                   icd10_db=icd10.absolute() if icd10 is not None else False)


def _ignore(outcome: FileOutcome) -> None:
    pass


def _results(client: Any, tasks: list[FileTask], batch_id: str) -> Iterator[FileOutcome]:
    """Each task's outcome as it finishes. A task Dask itself gives up on (a worker killed again and again)
    is an internal error of that file; the batch goes on."""
    if not tasks:
        return
    from dask.distributed import as_completed

    futures = client.map(fix_one, tasks, key=[f"edi-fix-{batch_id}-{n}" for n in range(len(tasks))], pure=False)
    task_of = {future.key: task for future, task in zip(futures, tasks, strict=True)}
    for future in as_completed(futures):
        try:
            yield future.result()
        except Exception as error:
            task = task_of[future.key]
            if type(error).__name__ == "KilledWorker":  # a file that kills its worker each time it is tried
                code, message = 3, ("internal error: the worker fixing it died each time it was tried (Dask gave "
                                    "up: KilledWorker); nothing written (please report it)")
            else:
                code, message = outcome_of(error)
            remove_dead_attempts(task)  # no retry will: what the dead attempts left goes now
            reject(task, message)  # as fix_one does for its own internal errors: the file is set aside, told
            yield FileOutcome(task.relative, "error", code, one_line(message))


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[FileOutcome], None]]:
    """A rich progress bar on stderr (files, and claims so far) when stderr is a terminal; else nothing."""
    if total == 0 or sys.stderr is None or not sys.stderr.isatty():
        yield _ignore
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    claims = 0
    columns = (TextColumn("files"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as bar:
        job = bar.add_task("0 claims", total=total)

        def done(outcome: FileOutcome) -> None:
            nonlocal claims
            claims += outcome.claims
            bar.update(job, advance=1, description=f"{claims:,} claims")

        yield done
