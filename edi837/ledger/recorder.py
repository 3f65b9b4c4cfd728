"""One run's way into the ledger: prepare, rows as the run makes them, written before the outputs, committed.

    recorder = Recorder.prepare(path, RunInfo(...), opener=open_input, size=n)   # LedgerUnavailable: exit 2
    ... recorder.passthrough(raw, delimiters); recorder.claim(position, claim, records, held=...) ...
    recorder.write([FileRow("output", ...), ...])     # before any output is placed; LedgerUnavailable: place none
    ... the outputs are placed ...
    recorder.commit(exit_code, held_name=...)        # never raises: `problem` says what could not be marked

The steps, and what a crash between two of them leaves:
1. `prepare` opens (makes, migrates) the ledger, inserts the run as `prepared` and loads the live
   acknowledgements. A ledger that cannot be written is found here, before the run reads a byte.
2. Rows are written as the run makes them, CHUNK claims per short transaction, so memory stays flat and
   other writers wait milliseconds, not a whole run; for a large input, where a core is free, by a child
   process beside the run (ledger/shadow.py), which the run only tells each claim's records. A run made
   again (a hold of invalid claims found by the gate) starts its rows over (`restart`). Killed here: a
   `prepared` run, not committed, no output placed.
3. `write` puts the last rows, the files and the transactions' control numbers in and marks the run
   `written`, fsynced, before a single output is placed: an outcome the ledger cannot record is never
   delivered. Killed after it: a `written` run, not committed; its outputs may or may not be in place, and
   the queries say so.
4. `commit` marks it `committed` with the exit code and the held file's final name. The outputs are out by
   then, so a failure here is told (`problem`), never raised: the rows are in, marked not committed.
A run refused (the input, the gate) or failed (an output that could not be written, an internal error) is
marked so by `refuse` / `fail` with its one-line reason; claims it had rows for are `refused` (nothing was
delivered), unless it failed after `write`, when some outputs may be in place and the rows say what was meant.

With `required=False` (best effort) a ledger problem never stops the run: the recorder turns itself off,
keeps the first problem in `problem` for the run to print as a warning, and the run goes on.

`Recorder.collecting(acks)` records into `rows` instead of a ledger: a Dask batch's file task, whose caller
writes the rows (with the patients' digests, which the worker cannot make: patient.keys_of_file).
"""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import fields, is_dataclass
from pathlib import Path
from types import TracebackType

from edi837.errors import one_line, outcome_of
from edi837.ledger import schema
from edi837.ledger.acks import AckBook, load_book
from edi837.ledger.build import Facts, Finding, claim_row
from edi837.ledger.patient import PatientKeys, Tracker
from edi837.ledger.rows import ClaimRow, FileRow, RunInfo
from edi837.ledger.shadow import Opener, Shadow, wanted
from edi837.ledger.store import Ledger, LedgerUnavailable
from edi837.model.claim import Claim
from edi837.model.header import Transaction
from edi837.x12.envelope import Delimiters

CHUNK = 2000  # claims per write transaction: about a megabyte, a few tens of milliseconds of the write lock
_CLAIMS = "INSERT INTO claims VALUES (" + ", ".join("?" * 21) + ")"


def options_digest(options: object) -> str:
    """A digest of a run's options (a dataclass such as FixOptions): two runs with the same digest were asked
    the same. Sets count by their sorted members (their own order differs from process to process); rules of
    the caller's own by their code."""
    names = [f.name for f in fields(options)] if is_dataclass(options) else []
    pairs = [(name, _canonical(getattr(options, name))) for name in sorted(names) if name != "extra_rules"]
    extra = [getattr(rule, "code", type(rule).__name__) for rule in getattr(options, "extra_rules", ())]
    text = repr((pairs, extra) if names else repr(options))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _canonical(value: object) -> str:
    if isinstance(value, (set, frozenset)):
        return repr(sorted(map(repr, value)))
    return repr(value)


def mark_committed(path: Path, run: int, exit_code: int) -> None:
    """Mark a run `written` earlier committed, by its id (a release finished by a later process: its journal
    kept the run's id). A run in any other state is left as it is."""
    with Ledger.open(path) as ledger, ledger.writing(durable=True) as db:
        db.execute("UPDATE runs SET state = 'committed', finished = ?, exit_code = ? "
                   "WHERE id = ? AND state = 'written'", (schema.now(), exit_code, run))


class Recorder:
    """One run's rows on their way into the ledger (see the module docstring). `on` is False when there is
    no ledger or, in best effort, once it failed."""

    def __init__(self, ledger: Ledger | None = None, run: int | None = None, *, required: bool = True,
                 acks: AckBook | None = None, problem: str | None = None, path: Path | None = None,
                 group_readable: bool = False) -> None:
        self.ledger, self.run, self.required = ledger, run, required
        self.path = path if path is not None else ledger.path if ledger is not None else None
        self.group_readable = group_readable
        self.acks = acks or AckBook()
        self.problem = problem
        self.state = "prepared" if ledger is not None else "off"
        self.rows: list[ClaimRow] | None = None  # collecting (a Dask file task): the rows, for the caller
        self._shadow: Shadow | None = None
        self._keys = PatientKeys(ledger.key) if ledger is not None and ledger.key is not None else None
        self._tracker: Tracker | None = None
        self._pending: list[ClaimRow] = []
        self._transactions: dict[int, tuple[int, int, str | None, str | None, str | None]] = {}
        self.claims = 0  # claims handed over this pass

    @classmethod
    def prepare(cls, path: Path | None, info: RunInfo, *, required: bool = True, group_readable: bool = False,
                opener: Opener | None = None, size: int | None = None, beside: bool | None = None) -> Recorder:
        """Open the ledger and insert the run; LedgerUnavailable when it cannot be (unless not `required`).
        `path` None: no ledger (a recorder that records nothing). `opener`, `size`: the run's input, which a
        child reads to make the rows beside the run when it is large and a core is free (ledger/shadow.py);
        `beside` True or False: large is enough, or never (None: the machine's load decides)."""
        if path is None:
            return cls(required=required)
        try:
            ledger = Ledger.open(path, group_readable=group_readable)
        except LedgerUnavailable as error:
            if required:
                raise
            return cls(required=False, problem=str(error))
        try:
            with ledger.writing() as db:
                cursor = db.execute(
                    "INSERT INTO runs (state, entry, edi837, started, pid, host, input_name, input_sha256, "
                    "input_size, options_digest) VALUES ('prepared', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (info.entry, info.edi837, schema.now(), os.getpid(), one_line(socket.gethostname(), 255),
                     info.input_name, info.input_sha256, info.input_size, info.options_digest))
            assert cursor.lastrowid is not None
            recorder = cls(ledger, cursor.lastrowid, required=required, acks=load_book(ledger),
                           group_readable=group_readable)
        except LedgerUnavailable as error:
            ledger.close()
            if required:
                raise
            return cls(required=False, problem=str(error))
        if opener is not None and size is not None and wanted(size, forced=beside):
            recorder._fork(opener)
        return recorder

    @classmethod
    def collecting(cls, acks: AckBook | None = None) -> Recorder:
        """A recorder that keeps its rows in `rows` (a Dask batch's file task; the caller writes them)."""
        recorder = cls(acks=acks)
        recorder.rows = []
        return recorder

    def _fork(self, opener: Opener) -> None:
        """Hand the rows to a child (no SQLite connection may cross a fork: this one is closed meanwhile)."""
        assert self.ledger is not None and self.path is not None and self.run is not None
        self.ledger.close()
        self._shadow = Shadow.start(self.path, self.run, opener, self.acks, group_readable=self.group_readable,
                                    new_recorder=lambda ledger, run, acks: Recorder(ledger, run, acks=acks))
        if self._shadow is None:
            self.ledger = Ledger.open(self.path, group_readable=self.group_readable)
        else:
            self.ledger = None

    @property
    def on(self) -> bool:
        return self.state in ("prepared", "written")

    @property
    def inherited(self) -> tuple[int, ...]:
        """Descriptors a process the run forks later (the scan ahead, --jobs workers) must close."""
        return self._shadow.inherited if self._shadow is not None else ()

    # -- during the run ----------------------------------------------------------------------------------
    def passthrough(self, raw: bytes, delimiters: Delimiters) -> None:
        """Bytes the run passed through between claims: the loops that say whom the next claims are for."""
        if self._keys is None or self._shadow is not None:  # a child reads them itself
            return
        if self._tracker is None:
            self._tracker = Tracker(self._keys, delimiters)
        self._tracker.feed(raw)

    def claim(self, position: int, claim: Claim, records: Sequence[Finding], *, held: bool = False,
              held_file: str | None = None, known: Facts | None = None) -> None:
        """A claim of the run with its final records (`known`: its facts, when a worker made them)."""
        shadow = self._shadow
        if shadow is not None:
            self.claims += 1
            self._guard(lambda: shadow.claim(records, held, held_file))
        elif self.rows is not None:
            self.rows.append(claim_row(position, claim, records, held=held, held_file=held_file, acks=self.acks,
                                       known=known))
        elif self.ledger is not None:
            tracker = self._tracker
            self._keep(claim_row(position, claim, records, held=held, held_file=held_file, acks=self.acks,
                                 known=known, patient=tracker.current if tracker is not None else None),
                       claim.transaction)

    def add(self, row: ClaimRow, transaction: Transaction | None = None) -> None:
        """A row made elsewhere (a Dask worker's); its patient digest is this run's current one if it has none."""
        if self.rows is not None:
            self.rows.append(row)
            return
        if self.ledger is None:
            return
        if row.patient is None and self._tracker is not None:
            row = row._replace(patient=self._tracker.current)
        self._keep(row, transaction)

    def _keep(self, row: ClaimRow, transaction: Transaction | None) -> None:
        """A row with its patient, pending until the next chunk is written (NamedTuple._replace, which `add`
        needs for a row made elsewhere, cost a tenth of a row: a row made here has its patient from the start)."""
        if transaction is not None and transaction.ordinal not in self._transactions:
            self._transactions[transaction.ordinal] = (self.run or 0, transaction.ordinal,
                                                       transaction.interchange_control, transaction.group_control,
                                                       transaction.control_number)
        self._pending.append(row)
        self.claims += 1
        if len(self._pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        """Write the rows made so far (one short transaction)."""
        if self.ledger is not None and self._pending:
            self._guard(self._flush)

    def restart(self) -> None:
        """The run starts its pass over (a hold of invalid claims): the rows so far go."""
        self._pending.clear()
        self.claims = 0
        if self.rows is not None:
            self.rows.clear()
        elif self._shadow is not None:
            self._guard(self._shadow.restart)
        elif self.ledger is not None:
            self._guard(self._clear)

    # -- the end -----------------------------------------------------------------------------------------
    def write(self, files: Iterable[FileRow] = ()) -> None:
        """The last rows and the files, and the run marked `written`, fsynced: call before placing any output.
        LedgerUnavailable (required) means: place none."""
        if self.state != "prepared":
            return
        listed = list(files)
        if self._shadow is not None:
            shadow, self._shadow = self._shadow, None
            self._guard(lambda: shadow.write(listed))
            if self.state == "prepared":
                self.state = "written"
            return
        self._guard(lambda: self._finish_rows(listed))

    def commit(self, exit_code: int, *, held_name: str | None = None, files: Iterable[FileRow] = ()) -> None:
        """Mark the run committed, after its outputs are placed; `held_name`: where the held file went when
        another name than its rows say. Never raises: a problem is kept in `problem`."""
        if self.state == "off":
            return
        if self.state != "written":
            self._off(f"run {self.run} was never written to the ledger: it shows as not committed")
            return
        try:
            self._end("committed", exit_code, None, list(files), held_name)
        except LedgerUnavailable as error:
            self._off(f"{error} (the run's outputs are in place; the ledger shows run {self.run} not committed)")

    def finish(self, exit_code: int, files: Iterable[FileRow] = ()) -> None:
        """`write` and `commit` at once, for a run with nothing to place (the API returns bytes)."""
        self.write(files)
        self.commit(exit_code)

    def refuse(self, message: str, exit_code: int = 2) -> None:
        """The run was refused (the input, the gate): nothing delivered."""
        self._stop("refused", exit_code, message)

    def fail(self, message: str, exit_code: int = 3) -> None:
        """The run failed (an output, an internal error)."""
        self._stop("failed", exit_code, message)

    def close(self) -> None:
        if self._shadow is not None:
            self._shadow.close()
            self._shadow = None
        if self.ledger is not None:
            self.ledger.close()
            self.ledger = None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _: TracebackType | None) -> None:
        """A run that ends by an exception its entry point did not report here is marked failed, then closed."""
        if error is not None and self.on:
            code, message = outcome_of(error)
            self.fail(message, code)
        self.close()

    # -- the writing ---------------------------------------------------------------------------------------
    def _guard(self, step: Callable[[], None]) -> None:
        try:
            step()
        except LedgerUnavailable as error:
            if self.required:
                raise
            self._off(str(error))

    def _off(self, problem: str) -> None:
        self.problem = self.problem or problem
        self.state = "off"
        self.close()

    def _flush(self) -> None:
        assert self.ledger is not None
        rows, self._pending = self._pending, []
        with self.ledger.writing() as db:
            self._insert(db, rows)

    def _insert(self, db: sqlite3.Connection, rows: list[ClaimRow]) -> None:
        base = db.execute("SELECT COALESCE(MAX(id), 0) FROM claims").fetchone()[0]
        run = self.run
        db.executemany(_CLAIMS, [(ident, run, *row) for ident, row in enumerate(rows, base + 1)])
        if self._transactions:
            db.executemany("INSERT OR IGNORE INTO transactions VALUES (?, ?, ?, ?, ?)", self._transactions.values())

    def _clear(self) -> None:
        assert self.ledger is not None
        with self.ledger.writing() as db:
            db.execute("DELETE FROM claims WHERE run = ?", (self.run,))
            db.execute("DELETE FROM transactions WHERE run = ?", (self.run,))

    def _finish_rows(self, files: list[FileRow]) -> None:
        assert self.ledger is not None
        rows, self._pending = self._pending, []
        with self.ledger.writing(durable=True) as db:
            self._insert(db, rows)
            self._files(db, files)
            db.execute("UPDATE runs SET state = 'written', written = ? WHERE id = ?", (schema.now(), self.run))
        self.state = "written"

    def _files(self, db: sqlite3.Connection, files: list[FileRow]) -> None:
        db.executemany("INSERT OR REPLACE INTO run_files VALUES (?, ?, ?, ?, ?)",
                       [(self.run, f.role, f.name, f.sha256, f.size) for f in files])

    def _end(self, state: str, exit_code: int, message: str | None, files: list[FileRow],
             held_name: str | None) -> None:
        if self.ledger is None:  # a child made the rows: this process's connection was closed for the fork
            assert self.path is not None
            self.ledger = Ledger.open(self.path, group_readable=self.group_readable)
        with self.ledger.writing(durable=True) as db:
            if state != "committed" and self._pending:
                self._insert(db, self._pending)
            self._pending = []
            self._files(db, files)
            if held_name is not None:
                db.execute("UPDATE claims SET held_file = ? WHERE run = ? AND status = 'held'",
                           (FileRow("held", held_name).name, self.run))
            if state != "committed" and self.state == "prepared":
                db.execute("UPDATE claims SET status = 'refused' WHERE run = ?", (self.run,))
            db.execute("UPDATE runs SET state = ?, finished = ?, exit_code = ?, message = ? WHERE id = ?",
                       (state, schema.now(), exit_code, message, self.run))
        self.state = state

    def _stop(self, state: str, exit_code: int, message: str) -> None:
        if not self.on or self.run is None:
            return
        try:
            if self._shadow is not None:
                shadow, self._shadow = self._shadow, None
                with suppress(LedgerUnavailable):  # a child that is gone wrote what it wrote
                    shadow.abort()  # the rows it made stay, as the refused run's
            self._end(state, exit_code, one_line(message), [], None)
        except LedgerUnavailable as error:
            self._off(str(error))
