"""One way to run edi837 and commit what it writes: OUT, its change log and its report, together.

The CLI, the pre-submit hook and the folder watcher all need the same thing: the output (a file replaced
atomically, or a sink the caller owns), the change log streamed into its own temporary file, and the HTML
report when asked, each committed by an atomic rename only if the run succeeds, the change log and the
report before the output (so a committed output always has its log), and nothing at all if the input is
refused. Each entry point says where the three go; this module does the rest.

With a hold policy there is a fourth: the held file, committed after the change log and the report and
before the output. A split that delivers nothing writes no output, and one that holds nothing no held file;
a file left at either path by an earlier run is then removed, so that what is there always belongs to this
run (a stale OUT uploaded again would be a duplicate submission; a stale held file, work already done).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack, suppress
from pathlib import Path
from types import TracebackType
from typing import IO

from edi837.delivery.fileio import AtomicWriter, atomic_output, fsync_directory
from edi837.gate.pyx12_gate import Opener
from edi837.pipeline import FarmStarter, FixOptions, FixResult, Sinks, run
from edi837.report.changelog import ChangeLogWriter


class Outputs:
    """The outputs of one run, committed together when the block ends cleanly (see the module docstring).

    `output`: the file to replace atomically (its mode kept from `mode_like`; `before_replace` is a last
    check, such as "the file did not change while we ran"), or None when the caller passes its own `sink`
    (a staged file, a spool for stdout, or nothing: count only).
    """

    def __init__(self, *, output: Path | None = None, sink: IO[bytes] | None = None, changelog: Path | None = None,
                 report: Path | None = None, mode_like: Path | None = None,
                 before_replace: Callable[[], None] | None = None, held: Path | None = None,
                 held_sink: IO[bytes] | None = None, report_only_if_held: bool = False, held_label: str = "") -> None:
        self._output, self._sink = output, sink
        self.changelog, self.report = changelog, report
        self._mode_like, self._before_replace = mode_like, before_replace
        self.held, self._held_sink = held, held_sink
        self._report_only_if_held = report_only_if_held
        self._held_label = held_label or (str(held) if held is not None else "")
        self._stack = ExitStack()
        self._writer: AtomicWriter | None = None
        self._held_writer: AtomicWriter | None = None
        self._log: ChangeLogWriter | None = None
        self._remove: list[Path] = []  # stale files of an earlier run, removed once this run is committed

    def __enter__(self) -> Outputs:
        with ExitStack() as opening:
            opening.push(self._stack)  # anything opened below is closed (discarded) if a later open fails
            if self._output is not None:
                # Entered first, so it is committed last: after the change log and the report.
                self._writer = self._stack.enter_context(AtomicWriter(self._output, mode_like=self._mode_like,
                                                                      before_replace=self._before_replace))
            if self.held is not None:  # committed before the output, after the change log and the report
                self._held_writer = self._stack.enter_context(AtomicWriter(self.held))
            if self.changelog is not None:
                self._log = self._stack.enter_context(ChangeLogWriter(self.changelog))
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
        return Sinks(record_sink=self._log.write if self._log is not None else None,
                     keep_records=self.report is not None or self._report_only_if_held, collect_diff=collect_diff,
                     on_progress=on_progress,
                     held=self.held_sink, restart=self._log.restart if self._log is not None else None)

    def run(self, open_input: Opener, options: FixOptions, *, sink: IO[bytes] | None = None, input_name: str = "",
            output_name: str = "", collect_diff: bool = False, on_progress: Callable[[int], None] | None = None,
            held_sink: IO[bytes] | None = None, farm: FarmStarter | None = None) -> FixResult:
        """Run edi837 into these outputs (or into `sink` and `held_sink`, files the caller stages itself); the
        report is written to its temporary file when the run is done. `farm`: where the claims' rule work
        goes (Sinks.farm; a batch's big files go to the cluster)."""
        sinks = self.sinks(collect_diff=collect_diff, on_progress=on_progress)
        sinks.farm = farm
        if held_sink is not None:
            sinks.held = held_sink
        result = run(open_input, sink if sink is not None else self.sink, options, sinks)
        if options.hold:
            self._settle_split(result)
        if self.report is not None and (result.held or not self._report_only_if_held):
            from edi837.report.html import render_report

            if self._report_only_if_held:  # the watcher's held/ folder appears with the first held claim
                self.report.parent.mkdir(exist_ok=True)
            handle = self._stack.enter_context(atomic_output(self.report))
            handle.write(render_report(result, input_name=input_name, output_name=output_name,
                                       held_name=self._held_label))
        return result

    def _settle_split(self, result: FixResult) -> None:
        """No held file when nothing was held, no output when nothing was delivered (and no stale one left)."""
        if self._held_writer is not None and not result.held:
            self._held_writer.commit = False
            self._remove.append(self._held_writer.path)
        if self._writer is not None and result.nothing_delivered:
            self._writer.commit = False
            self._remove.append(self._writer.path)

    def keep_output(self, keep: bool) -> None:
        """Whether the output file is replaced at all (the hook leaves an unchanged file alone, mtime included)."""
        if self._writer is not None:
            self._writer.commit = keep

    def discard(self) -> None:
        """Commit nothing: the block will end cleanly, but no file may appear."""
        self.keep_output(False)
        if self._held_writer is not None:
            self._held_writer.commit = False
        if self._log is not None:
            self._log.discard()
        self._remove.clear()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stack.__exit__(kind, value, traceback)
        if kind is None:
            for stale in self._remove:
                if stale == self._output and self._before_replace is not None:
                    self._before_replace()  # removing the output replaces it too: the same last check
                with suppress(FileNotFoundError):
                    stale.unlink()
                fsync_directory(stale.parent if str(stale.parent) else Path("."))
