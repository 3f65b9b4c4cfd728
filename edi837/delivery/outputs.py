"""One way to run edi837 and commit what it writes: OUT, its change log, the held file and the report, together.

The CLI, the pre-submit hook, the folder watcher and the batch all need the same thing: the output (a file
replaced atomically, or a sink the caller owns), the change log streamed into its own temporary file, the
held file with a hold policy, and the HTML report when asked, each committed only if the run succeeds, and
nothing at all if the input is refused. Each entry point says where they go; this module does the rest.

What a later run may replace, and what never:
- OUT, and the CLI's and batch's change log and report, describe the OUT of the latest run: replaced by it.
  A split that delivers nothing writes no OUT, and an OUT left by an earlier run is removed (uploaded again,
  it would be a duplicate submission).
- A held file is never replaced or removed: it is the only copy of claims a person has not seen yet. Each
  run that holds claims places its own, under the name asked for if free, else the first free numbered
  sibling (names.place_new: link(2), so two runs at once never take one name). The hold records (EDI003)
  name the file the run expects to take; if another run takes that name first, they are rewritten to the
  one it got before the change log is committed. A run that holds nothing writes no held file and leaves
  earlier ones alone. With `report_beside_held`, the report is the held file's worklist, named after it.
- With `keep_earlier` (the hook, whose FILE is rewritten in place) the change log and the report are never
  replaced either: they are the only record of what an earlier run changed in FILE.

Every path is a regular file or nothing: checked by the caller before the run (refuse_unsafe_target) and
here again just before anything is committed, so a device, FIFO, socket, folder or link that appeared
meanwhile stops the commit with nothing touched. Files are written 0600, or 0640 with `group_readable`,
never wider than the input's mode (files.modes.data_file_mode), except an output that keeps `mode_like`'s.

Commit order: the held file first (its name goes into the change log and the report), then the change
log and the report, then OUT, so a committed OUT always has its log. Everything that can fail but a rename
(flush, fsync, mode) is done for the big files before the first rename.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import IO

from edi837.delivery import terminal
from edi837.delivery.ledgering import wire
from edi837.engine.engine_rules import HOLD_RULE
from edi837.errors import InputRefused, outcome_of
from edi837.exits import ExitCode
from edi837.files.atomic import AtomicWriter, fsync_directory
from edi837.files.modes import data_file_mode, make_data_dirs
from edi837.files.names import first_free, short_name
from edi837.files.safety import refuse_special
from edi837.gate.pyx12_gate import Opener
from edi837.ledger.recorder import Recorder
from edi837.ledger.rows import FileRow
from edi837.model.claim import Claim
from edi837.pipeline import FarmStarter, FixOptions, FixResult, Sinks, run
from edi837.report.changelog import ChangeLogWriter, held_message_moved


def worklist_of(held: Path) -> Path:
    """The staff report beside a held file: `<held name>.report.html`."""
    return held.with_name(f"{short_name(held.name, 200)}.report.html")


class Outputs:
    """The outputs of one run, committed together when the block ends cleanly (see the module docstring).

    `output`: the file to replace atomically (its mode kept from `mode_like`; `before_replace` is a last
    check, such as "the file did not change while we ran"), or None when the caller passes its own `sink`.
    `held`: where this run's held file goes (a free numbered sibling if taken), or `held_sink` with
    `held_where`, a held file the caller places itself. `held_label`: how the report names the held file
    (default its path; `held_label_root`: relative to that folder). After the block, `held_path`,
    `changelog_path` and `report_path` say where each went, `output_digest` the output's (sha256, size).
    """

    def __init__(self, *, output: Path | None = None, sink: IO[bytes] | None = None, changelog: Path | None = None,
                 report: Path | None = None, mode_like: Path | None = None,
                 before_replace: Callable[[], None] | None = None, held: Path | None = None,
                 held_sink: IO[bytes] | None = None, held_where: Path | None = None, held_label: str = "",
                 held_label_root: Path | None = None, report_only_if_held: bool = False,
                 report_beside_held: bool = False, keep_earlier: bool = False, group_readable: bool = False,
                 input_mode: int | None = None, digest_output: bool = False, recorder: Recorder | None = None,
                 commit_ledger: bool = True) -> None:
        self._output, self._sink = output, sink
        self.changelog, self.report = changelog, report
        self._mode_like, self._before_replace = mode_like, before_replace
        self.held, self._held_sink, self._held_where = held, held_sink, held_where
        self._held_label, self._held_label_root = held_label, held_label_root
        self._report_only_if_held, self._beside = report_only_if_held, report_beside_held
        self._keep_earlier, self._digest = keep_earlier, digest_output
        self._mode = data_file_mode(group_readable=group_readable, like=input_mode)
        self._group_readable = group_readable
        self._stack = ExitStack()
        self._writer: AtomicWriter | None = None
        self._held_writer: AtomicWriter | None = None
        self._log: ChangeLogWriter | None = None
        self._expected: Path | None = None  # the held file's name the records give, until it is placed
        self._result: FixResult | None = None
        self._names = ("", "")
        self._remove_output = False
        self._discarded = False
        self.held_path: Path | None = None
        self.changelog_path: Path | None = None
        self.report_path: Path | None = None
        self.output_digest: tuple[str, int] | None = None
        self.recorder = recorder  # the claims ledger's (delivery/ledgering.py); closed when the block ends
        self._held_row: FileRow | None = None
        self._staged_held: Path | None = None  # a held file the caller staged itself (the watcher), once written
        self._commit_ledger = commit_ledger  # False: the caller marks the run committed once its files are placed

    def __enter__(self) -> Outputs:
        with ExitStack() as opening:
            opening.push(self._stack)  # anything opened below is closed (discarded) if a later open fails
            if self.recorder is not None:
                opening.push(self._ledger_unopened)
            if self._output is not None:
                self._writer = self._stack.enter_context(AtomicWriter(
                    self._output, mode_like=self._mode_like, before_replace=self._before_replace, mode=self._mode))
            if self.held is not None:
                companion = worklist_of if self._beside else None
                self._held_writer = self._stack.enter_context(AtomicWriter(
                    self.held, mode=self._mode, replace=False, companion=companion, what="held file"))
                self._expected = first_free(self.held, companion)
            if self.changelog is not None:
                self._log = self._stack.enter_context(ChangeLogWriter(self.changelog, mode=self._mode,
                                                                      replace=not self._keep_earlier))
            opening.pop_all()
        return self

    @property
    def sink(self) -> IO[bytes] | None:
        return self._writer.handle if self._writer is not None else self._sink

    @property
    def held_sink(self) -> IO[bytes] | None:
        return self._held_writer.handle if self._held_writer is not None else self._held_sink

    def sinks(self, *, collect_diff: bool = False, on_progress: Callable[[int], None] | None = None) -> Sinks:
        """Where the run's records go: into the change log as they are made; kept whole only for a report."""
        where = self._expected or self._held_where
        sinks = Sinks(record_sink=self._log.write if self._log is not None else None,
                      keep_records=self.report is not None or self._beside, collect_diff=collect_diff,
                      on_progress=on_progress, held=self.held_sink, held_name=str(where) if where else "",
                      restart=self._log.restart if self._log is not None else None)
        return wire(sinks, self.recorder, where)

    def run(self, open_input: Opener, options: FixOptions, *, sink: IO[bytes] | None = None, input_name: str = "",
            output_name: str = "", collect_diff: bool = False, on_progress: Callable[[int], None] | None = None,
            held_sink: IO[bytes] | None = None, farm: FarmStarter | None = None,
            keep_back: Callable[[Claim], str | None] | None = None, held_staged: Path | None = None) -> FixResult:
        """Run edi837 into these outputs (or into `sink` and `held_sink`, files the caller stages itself); the
        report is rendered when the outputs are committed, once the held file's name is settled. `farm`:
        where the claims' rule work goes (Sinks.farm; a batch's big files go to the cluster). `held_staged`:
        the file behind `held_sink` (the watcher's), whose digest the ledger records as a held file's, so
        `release` accepts it as it does a held file written here."""
        sinks = self.sinks(collect_diff=collect_diff, on_progress=on_progress)
        sinks.farm, sinks.keep_back = farm, keep_back
        if held_sink is not None:
            sinks.held, self._staged_held = held_sink, held_staged
        result = run(open_input, sink if sink is not None else self.sink, options, sinks)
        if options.hold:
            self._settle_split(result)
        self._result, self._names = result, (input_name, output_name)
        return result

    def _settle_split(self, result: FixResult) -> None:
        """No held file when nothing was held (earlier ones stay), no output when nothing was delivered (and
        no stale one left)."""
        if self._held_writer is not None and not result.held:
            self._held_writer.commit = False
        if self._writer is not None and result.nothing_delivered:
            self._writer.commit = False
            self._remove_output = True

    @property
    def held_row(self) -> FileRow | None:
        """The held file as the ledger records it (its placed name, sha256 and size), once committed."""
        row, placed = self._held_row, self.held_path
        return FileRow("held", placed.name, row.sha256, row.size) if row is not None and placed is not None else None

    def keep_output(self, keep: bool) -> None:
        """Whether the output file is replaced at all (the hook leaves an unchanged file alone, mtime included)."""
        if self._writer is not None:
            self._writer.commit = keep

    def discard(self) -> None:
        """Commit nothing: the block will end cleanly, but no file may appear or go."""
        self._discarded = True
        self.keep_output(False)
        for writer in (self._held_writer, self._log.writer if self._log else None):
            if writer is not None:
                writer.commit = False
        self._remove_output = False

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            if kind is not None or self._discarded:
                self._ledger_stop(value)
                self._stack.__exit__(kind, value, traceback)
                return
            try:
                self._commit()
            except BaseException as error:
                self._ledger_stop(error)
                if not self._stack.__exit__(type(error), error, error.__traceback__):
                    raise
            else:
                self._stack.__exit__(None, None, None)
        finally:
            if self.recorder is not None:
                self.recorder.close()
                if self.recorder.problem:  # best effort: the run went on without the ledger; say so once
                    terminal.say(f"edi-fix: warning: the claims ledger was not kept ({self.recorder.problem})")

    # -- the ledger ----------------------------------------------------------------------------------
    def _ledger_unopened(self, kind: type[BaseException] | None, error: BaseException | None, _: object) -> None:
        """An output that could not be opened: the prepared run is marked so and closed."""
        if error is not None and self.recorder is not None:
            self._ledger_stop(error)
            self.recorder.close()

    def _ledger_stop(self, error: BaseException | None) -> None:
        """The run ends without committing: the ledger says refused (the input) or failed (anything else)."""
        if self.recorder is None:
            return
        if error is None:  # discarded: nothing was placed
            self.recorder.refuse("nothing committed", ExitCode.REFUSED)
            return
        code, message = outcome_of(error)
        if isinstance(error, InputRefused):
            self.recorder.refuse(message, code)
        else:
            self.recorder.fail(message, code)

    def _ledger_write(self, output: AtomicWriter | None, held: AtomicWriter | None) -> None:
        """The run's rows and files into the ledger, fsynced, before the first output is placed
        (LedgerUnavailable, when the ledger must be kept: place nothing)."""
        recorder = self.recorder
        if recorder is None or not (recorder.on or recorder.rows is not None):  # rows: a batch task's, sent back
            return
        files = []
        for role, writer in (("output", output), ("held", held)):
            if writer is not None and writer.commit:
                sha, size = self.output_digest if writer is output and self.output_digest else _digest(writer)
                files.append(FileRow(role, writer.path.name, sha, size))
                if writer is held:
                    self._held_row = files[-1]
        if held is None and self._staged_held and self._held_where and self._result and self._result.held:
            files.append(FileRow("held", self._held_where.name, *_file_digest(self._staged_held)))
            self._held_row = files[-1]
        if self.changelog is not None and self._log is not None and self._log.writer.commit:
            files.append(FileRow("changelog", self.changelog.name))
        if self.report is not None:
            files.append(FileRow("report", self.report.name))
        if recorder.on:
            recorder.write(files)

    # -- the commit ----------------------------------------------------------------------------------
    def _commit(self) -> None:
        output, held, log = self._writer, self._held_writer, self._log.writer if self._log else None
        for writer in (output, log, held):  # the last look at every path: what appeared there meanwhile
            if writer is not None and (writer.commit or (writer is output and self._remove_output)):
                refuse_special(writer.path, writer.what)
        if self.report is not None and not self._beside:
            refuse_special(self.report, "report")
        for writer in (output, held):
            if writer is not None and writer.commit:
                writer.finish()
        if output is not None and output.commit and self._digest:
            self.output_digest = _digest(output)
        self._ledger_write(output, held)
        if held is not None and held.commit:
            self.held_path = held.place()
            if self._expected is not None and self.held_path != self._expected:
                self._held_moved(str(self._expected), str(self.held_path))
        report = self._render_report()
        if log is not None and log.commit:
            self.changelog_path = log.place()
        if report is not None:
            self.report_path = report.place()
        if output is not None and output.commit:
            output.place()
        elif output is not None and self._remove_output:
            self._remove_stale(output.path)
        if self._held_where is not None and self._result is not None and self._result.held:
            self.held_path = self._held_where
        if self.recorder is not None and self._result is not None and self._commit_ledger:
            placed = self.held_path.name if self.held_path is not None else None
            row = self.held_row
            self.recorder.commit(self._result.exit_code, held_name=placed, files=[row] if row else [])

    def _held_moved(self, old: str, new: str) -> None:
        """Another run placed a held file under the expected name first: the records say where this one is."""
        if self._log is not None:
            self._log.rename_held(old, new)
        if self._result is not None:
            self._result.records = [replace(r, message=held_message_moved(r.message, old, new))
                                    if r.rule == HOLD_RULE else r for r in self._result.records]

    def _render_report(self) -> AtomicWriter | None:
        """The report, rendered now that the held file's name is settled, in its finished temporary file."""
        result = self._result
        if self.report is None or result is None or (self._report_only_if_held and not result.held):
            return None
        from edi837.report.html import render_report

        held = self.held_path or self._held_where
        label = self._held_label or (held.relative_to(self._held_label_root).as_posix()
                                     if held is not None and self._held_label_root is not None else
                                     str(held) if held is not None else "")
        if self._beside and self.held_path is not None:
            path, keep = worklist_of(self.held_path), True
        else:
            path, keep = self.report, self._keep_earlier
        if self._report_only_if_held:  # the held/ folder may appear with the first held claim
            make_data_dirs(path.parent, group_readable=self._group_readable)
        writer = self._stack.enter_context(AtomicWriter(path, mode=self._mode, replace=not keep, what="report"))
        writer.handle.write(render_report(result, input_name=self._names[0], output_name=self._names[1],
                                          held_name=label))
        writer.finish()
        return writer

    def _remove_stale(self, stale: Path) -> None:
        if self._before_replace is not None:
            self._before_replace()  # removing the output replaces it too: the same last check
        with suppress(FileNotFoundError):
            stale.unlink()
        fsync_directory(stale.parent if str(stale.parent) else Path("."))


def _digest(writer: AtomicWriter) -> tuple[str, int]:
    """sha256 and size of a finished writer's temporary file (what its rename will put in place)."""
    assert writer.temp_path is not None
    return _file_digest(writer.temp_path)


def _file_digest(path: Path) -> tuple[str, int]:
    """sha256 and size of a finished file."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
