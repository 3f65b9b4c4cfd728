"""One file of a batch, run in a Dask worker: the same outputs, bytes and exit status as `edi-fix IN OUT`.

The task commits its own outputs (through `Outputs`, the helper the CLI uses: temporary files renamed into
place, change log and report before the 837), so a worker killed mid-task leaves no half-written file;
Dask runs the task again elsewhere, and since a run is a function of the input bytes and the options, the
retry writes the same bytes. Temporary files a killed worker left beside a target are removed by the
retry when that worker's process is known to be gone (`remove_stale_temps`, as the CLI does).

What travels back to the scheduler is a `FileOutcome`: counts, codes and one sanitised line, never claim
content, so the batch summary can be printed anywhere.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from edi837 import log as logconfig
from edi837.batch import again
from edi837.batch.chunks import cluster_farm
from edi837.batch.plan import FileTask
from edi837.delivery.outputs import Outputs
from edi837.errors import InputRefused, OutputFailed, TargetRefused, outcome_of, with_file
from edi837.files.atomic import AtomicWriter, reason_path, write_reason
from edi837.files.leftovers import remove_stale_temps
from edi837.files.modes import data_file_mode, make_data_dirs
from edi837.files.safety import open_input_path, open_regular, refuse_special
from edi837.ledger.recorder import Recorder
from edi837.ledger.rows import FileRow
from edi837.pipeline import FixResult

# What became of a file, for the summary: fixed or clean (0), written with items for a person (1), written
# with claims held in held/ (1), left alone because an earlier batch did it from the same bytes and settings
# (the exit code that batch gave it), refused (2, copied to rejected/), its output could not be written or
# is not a regular file (2), or an internal error (3, copied too).
KINDS = ("ok", "review", "held", "skipped", "refused", "failed", "error")


@dataclass(frozen=True)
class FileOutcome:
    relative: str
    kind: str
    exit_code: int
    message: str = ""  # one line: why a file was refused or failed (ids and positions only)
    claims: int = 0
    changed_claims: int = 0
    applied: dict[str, int] = field(default_factory=dict)  # rule -> changes applied
    review: dict[str, int] = field(default_factory=dict)  # rule -> items for a person
    seconds: float = 0.0
    held_claims: int = 0
    processes: int = 1  # that ran its claims' rule work: more than one when a big file was split (batch/chunks.py)
    was: str = ""  # a skipped file: the outcome of the batch that did it
    # For the claims ledger (FileTask.keep_rows): the claims' rows (ledger/rows.py ClaimRow: ids, codes,
    # amounts, no patient data) and the files written (FileRow), which the caller writes into the ledger.
    rows: tuple[Any, ...] = ()
    files: tuple[Any, ...] = ()


def fix_one(task: FileTask) -> FileOutcome:
    """Fix one file into its outputs under OUT_DIR; a refused or failing file is copied to rejected/."""
    logconfig.configure(level=logging.WARNING)  # a worker's terminal shows problems only
    started = time.monotonic()
    try:
        _refuse_targets(task)
        with open_input_path(task.source) as handle:  # refuses missing, folder, unreadable, as the CLI does
            source = again.file_digest(handle)
        earlier = None if task.force else again.done_before(task.output, task.changelog, task.settings,
                                                              *source[:2])
        if earlier is not None:
            return FileOutcome(task.relative, "skipped", earlier.exit_code, seconds=time.monotonic() - started,
                               was=earlier.kind)
        result, digest, recorder, held_row = _run(task)
    except (InputRefused, OutputFailed) as error:
        code, message = outcome_of(with_file(error, str(task.source)) if isinstance(error, InputRefused) else error)
        refused = isinstance(error, InputRefused) and not isinstance(error, TargetRefused)
        if refused:  # an output path that is not a file is OUT_DIR's problem: the input is not set aside
            reject(task, message)
        return FileOutcome(task.relative, "refused" if refused else "failed", code, message,
                           seconds=time.monotonic() - started)
    except Exception as error:  # one file's internal error must not end the batch: it is told and set aside
        code, message = outcome_of(error)
        reject(task, message)
        return FileOutcome(task.relative, "error", code, message, seconds=time.monotonic() - started)
    applied = {rule: n for (rule, was_applied), n in sorted(result.counts.items()) if was_applied}
    review = {rule: n for (rule, was_applied), n in sorted(result.counts.items()) if not was_applied}
    _forget_rejection(task)
    code = result.exit_code
    kind = "held" if result.held else "review" if code else "ok"
    if again.identity(task.source) == source[2]:  # the bytes that were read: the record may say so
        with suppress(OSError, OutputFailed):
            again.write_record(task.output, again.Record(
                task.settings, source[0], source[1], *(digest or ("", 0)), kind, code, result.claims,
                result.changed_claims, result.held_claims), group_readable=task.group_readable)
    return FileOutcome(task.relative, kind, code, "", result.claims, result.changed_claims, applied, review,
                       time.monotonic() - started, result.held_claims, result.jobs,
                       rows=tuple(recorder.rows or ()) if recorder is not None else (),
                       files=_files(task, digest, recorder, held_row))


def _targets(task: FileTask) -> list[Path]:
    return [t for t in (task.output, task.changelog, task.report, task.held, task.held_report) if t is not None]


def remove_dead_attempts(task: FileTask) -> None:
    """Remove the temporary files an attempt whose worker was killed left beside this task's outputs (those
    whose process is gone: a retry on this machine, or the client once Dask has given up on the file)."""
    for target in _targets(task):
        remove_stale_temps(target)


def _refuse_targets(task: FileTask) -> None:
    """Every output must be a regular file or nothing, and none the input (TargetRefused, nothing touched)."""
    for target, what in zip((task.output, task.changelog, task.report, task.held, task.held_report),
                            ("output", "change log", "report", "held file", "report"), strict=True):
        if target is None:
            continue
        refuse_special(target, what)
        if target.resolve() == task.source.resolve():
            raise TargetRefused(f"{target}: an output would replace the input file; choose another OUT_DIR")


def _files(task: FileTask, digest: tuple[str, int] | None, recorder: Recorder | None,
           held: FileRow | None) -> tuple[FileRow, ...]:
    """The files the ledger records for this task; the held file with its digest, so `release` accepts it."""
    if recorder is None:
        return ()
    return (((FileRow("output", task.output.name, *digest),) if digest else ()) + ((held,) if held else ())
            + (FileRow("changelog", task.changelog.name),))


def _run(task: FileTask) -> tuple[FixResult, tuple[str, int] | None, Recorder | None, FileRow | None]:
    """Fix the file into its outputs; returns the result, the committed output's (sha256, size), the
    recorder that kept the claims' ledger rows (with FileTask.keep_rows) and the held file's row."""
    again.forget(task.output)  # the outputs are about to change: no record may vouch for them meanwhile
    for target in _targets(task):
        make_data_dirs(target.parent, group_readable=task.group_readable)
    remove_dead_attempts(task)
    with open_input_path(task.source) as source:  # refuses missing, folder, unreadable right away, as the CLI does
        size = os.fstat(source.fileno()).st_size
    opener: Callable[[], IO[bytes]] = lambda: open_input_path(task.source)  # noqa: E731
    # The held file's report (the staff worklist) appears only when claims were held, beside the held file and
    # named after it, as the watcher's does. An earlier batch's held file and worklist are never replaced: this
    # run's take the next free number (`Outputs`); an earlier OUT this run does not write is removed.
    worklist = task.report is None and task.held_report is not None
    recorder = Recorder.collecting(task.acks) if task.keep_rows else None
    with cluster_farm(task.options, task.split_bytes, size, task.split_lease, task.split_leases) as farm, \
            Outputs(output=task.output, changelog=task.changelog, report=task.held_report if worklist else task.report,
                    held=task.held, report_only_if_held=worklist, report_beside_held=worklist,
                    held_label_root=task.out_dir if worklist else None, group_readable=task.group_readable,
                    input_mode=os.stat(task.source).st_mode, digest_output=True, recorder=recorder) as outputs:
        result = outputs.run(opener, task.options, input_name=str(task.source), output_name=str(task.output),
                             farm=farm)
    return result, outputs.output_digest, recorder, outputs.held_row


def reject(task: FileTask, message: str) -> None:
    """Copy the input to rejected/ with a reason file worded as the watcher's (`<time> <name>: <reason>`).
    Copied, not moved as the watcher does: IN_DIR is the caller's and a batch never changes it."""
    try:
        make_data_dirs(task.rejected.parent, group_readable=task.group_readable)
        for target in (task.rejected, reason_path(task.rejected)):
            remove_stale_temps(target)
        write_reason(task.rejected, task.relative, message)
        mode = data_file_mode(group_readable=task.group_readable, like=os.stat(task.source).st_mode)
        with open_regular(task.source) as source, AtomicWriter(task.rejected, mode=mode) as copy:
            shutil.copyfileobj(source, copy.handle, 1 << 20)
    except (OSError, InputRefused, OutputFailed):
        pass  # the outcome still says refused, with its reason: the copy is a convenience


def _forget_rejection(task: FileTask) -> None:
    """A file refused by an earlier batch and fixed by this one: its old copy in rejected/ would say it
    was not delivered, so it goes."""
    for stale in (task.rejected, reason_path(task.rejected)):
        with suppress(OSError):
            stale.unlink(missing_ok=True)
