"""The claims ledger as every entry point keeps it: which ledger, and one recorder per run, opened one way.

The command line, the hook, the watcher and a batch all go through here and then through `Outputs(recorder=)`
(delivery/outputs.py), which hands the recorder each claim as the run decides where it goes, writes the rows
before the first output is placed and marks the run committed after the last: one code path for all of them.

Which ledger: `--ledger PATH`; `--ledger off` keeps none; else `$EDI837_LEDGER` (set empty: none); else
`ledger.sqlite3` in the per-user data folder, beside the NCCI store. A configuration file's `ledger` key
reaches here as the same flag (cli/flags.py `RunFlags.under`). A ledger that cannot be written stops the run
with one line and exit 2 before anything is read or committed, unless `--ledger-best-effort`: then the run
goes on without it and says so once.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from edi837.files.safety import open_regular
from edi837.gate.pyx12_gate import Opener
from edi837.ledger.recorder import Recorder, options_digest
from edi837.ledger.rows import RunInfo
from edi837.ledger.store import Ledger, ledger_path
from edi837.pipeline import FixOptions, FixResult, Sinks, fix

OFF = ("off", "none", "no")  # `--ledger off`: no ledger for this run


@dataclass(frozen=True)
class LedgerChoice:
    """The ledger a run keeps (`path` None: none) and whether it may go on without it (`best_effort`)."""

    path: Path | None
    best_effort: bool = False

    @classmethod
    def of(cls, option: str | Path | None, *, best_effort: bool = False) -> LedgerChoice:
        """From `--ledger` (a path, `off`, or None for $EDI837_LEDGER and then the per-user ledger)."""
        if option is not None and str(option).strip().lower() in OFF:
            return cls(None, best_effort)
        return cls(ledger_path(Path(option) if option is not None else None), best_effort)

    def recorder(self, entry: str, input_name: str, options: object, *, opener: Opener | None = None,
                 size: int | None = None, group_readable: bool = False,
                 input_sha256: str | None = None) -> Recorder:
        """A prepared recorder for one run (LedgerUnavailable when the ledger must be kept and cannot be).
        `opener`: the input, read once for its digest (and by the rows' child process on a large input)."""
        if self.path is None:
            return Recorder(required=False)
        digest = input_sha256 or (input_digest(opener) if opener is not None else None)
        info = RunInfo(entry, input_name or "stdin", options_digest(options), digest, size)
        return Recorder.prepare(self.path, info, required=not self.best_effort, group_readable=group_readable,
                                opener=opener, size=size)

    def for_file(self, entry: str, path: Path, options: object, input_sha256: str | None = None,
                 group_readable: bool = False) -> Recorder:
        """`recorder` for a run of the regular file at `path` (opened as every entry point opens one)."""
        return self.recorder(entry, path.name, options, opener=lambda: open_regular(path),
                             size=os.stat(path).st_size, group_readable=group_readable, input_sha256=input_sha256)

    def check(self, *, group_readable: bool = False) -> None:
        """Open (make) the ledger once to prove it can be written: for a long-running entry point (the
        watcher, a batch) before it takes any file. LedgerUnavailable unless best effort."""
        if self.path is None or self.best_effort:
            return
        Ledger.open(self.path, group_readable=group_readable).close()


NO_LEDGER = LedgerChoice(None)


def wire(sinks: Sinks, recorder: Recorder | None, held: Path | None = None) -> Sinks:
    """`sinks` with the recorder told what the run decides (each claim, the bytes between claims, a pass
    started over) and its acknowledgements consulted: the one place a run meets its ledger. `held`: the held
    file the held claims go to."""
    if recorder is None or not (recorder.on or recorder.rows is not None):  # a ledger's, or a Dask task's
        return sinks
    held_file = held.name if held else None  # a base name, as the ledger keeps every file's
    log_restart = sinks.restart

    def restart() -> None:
        if log_restart is not None:
            log_restart()
        recorder.restart()

    sinks.acks = recorder.acks if recorder.acks else None
    sinks.on_claim = lambda index, claim, records, is_held: recorder.claim(
        index, claim, records, held=is_held, held_file=held_file if is_held else None)
    sinks.on_passthrough = recorder.passthrough
    sinks.restart, sinks.inherited = restart, recorder.inherited
    return sinks


def fix_recorded(data: bytes, options: FixOptions | None = None, *, ledger: Path | str | None = None,
                 best_effort: bool = False, input_name: str = "api", **settings: Any) -> FixResult:
    """`edi837.fix` with the run recorded in the claims ledger (entry "api"): `ledger` a path, None for
    $EDI837_LEDGER then the per-user one. The caller keeps the bytes, so the run is committed when it returns.
    LedgerUnavailable (exit-2 kind: an OutputFailed) when the ledger cannot be written, unless `best_effort`;
    acknowledged review items are honoured as on the command line."""
    if settings:
        options = replace(options or FixOptions(), **settings)
    options = options or FixOptions()
    recorder = LedgerChoice.of(ledger, best_effort=best_effort).recorder(
        "api", input_name, options, opener=lambda: io.BytesIO(data), size=len(data))
    with recorder:
        sinks = wire(Sinks(held=io.BytesIO() if options.hold else None), recorder, Path("held.837"))
        result = fix(data, options, sinks)
        recorder.finish(result.exit_code)
    return result


def input_digest(opener: Opener) -> str:
    """The input's sha256 (what the ledger matches a file sent again by)."""
    digest = hashlib.sha256()
    with opener() as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()

