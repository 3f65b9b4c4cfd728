"""One run's state from pass to pass, and the pass in hand: what the steps of `run` share.

A run is one pass over the input, or more: a file without claims is passed again without its split, and
`--hold invalid` passes again once the gate has traced errors to claims. What lasts across passes (the
input, the outputs, the options, the partner lines, the claims held as invalid so far, the input's own
validation errors) and what each pass makes (its FixResult, its split writer) travel together here, so the
steps take one argument instead of nine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from edi837.engine.partners import Partners
from edi837.gate.pyx12_gate import Opener, ValidationIssue, validate
from edi837.pipeline.options import FixOptions, Sinks
from edi837.pipeline.result import FixResult
from edi837.writer.split import SplitWriter


@dataclass
class PassState:
    open_input: Opener
    sink: IO[bytes] | None
    options: FixOptions
    sinks: Sinks
    partners: Partners  # the file's partner lines (engine/partners.py), read once before the first pass
    forced: dict[int, list[str]] = field(default_factory=dict)  # claim index -> why it is held as invalid
    result: FixResult = field(default_factory=FixResult)  # the pass in hand's
    writer: SplitWriter | None = None  # the pass in hand's split, with a hold policy
    region_of: Callable[[str], str | None] = lambda code: None  # the packs' anatomic region of a diagnosis
    _input_issues: list[ValidationIssue] | None = None

    def input_issues(self) -> list[ValidationIssue]:
        """The input's own validation errors, read once a run (at most one pyx12 pass over the input)."""
        if self._input_issues is None:
            self._input_issues = validate(self.open_input)
        return self._input_issues

    def start_over(self) -> None:
        """Empty the outputs and the record sink for another pass over the input (an output that cannot seek,
        stdout, is only ever started over when nothing was written to it)."""
        for handle in (self.sink, self.sinks.held):
            if handle is not None and handle.seekable():
                handle.seek(0)
                handle.truncate()
        if self.sinks.restart is not None:
            self.sinks.restart()
