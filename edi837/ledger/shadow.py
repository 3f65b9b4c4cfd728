"""The ledger's rows made beside a large run, in a process of its own, so the run pays for almost none of it.

Why: a claim's row needs every line of the claim read (code, modifiers, units, pointers, the diagnoses they
name, dates), the patient's loops digested, and an insert; in Python that is about a quarter of what fixing
the claim costs (bench/ledger.py), more than the tenth the ledger may add to a run. The run already has
what only it knows - each claim's final change records, and whether it was held - and nothing else about a
claim that the file does not say. So a child forked when the run is prepared walks the same input itself
(the opener the run reads it with), and the run sends it, claim by claim in input order, only that: a tuple
of records and a flag, a microsecond of pickling. The child reads each claim, makes its row with the same
code an in-process recorder uses (ledger/build.py, patient.py) and writes the rows in short transactions.
When the run is about to place its outputs it asks the child to finish (`write`): the child writes the last
rows and marks the run written, and answers; only then does the run place anything.

The pipe bounds what waits between them (a child that falls behind slows the sender, memory stays flat).
Either side's death is seen: the child's as a broken pipe or an end of file where the run waits for its
answer (the run then fails before placing anything, or in best effort says so); the run's as an end of file
in the child, which then leaves at once, the run left `prepared` - not committed - in the ledger; and a
Linux child is killed with its parent (the --jobs workers' way: engine/workers.py). Forked only where
forking is safe (edi837/forking.py); elsewhere the recorder makes the rows in process, the same rows.

Only where a core would otherwise sit idle (`wanted`): the child buys wall time, not CPU - it reads the input
again and is sent every claim's records, so the rows made beside cost about a third more CPU than the same
rows made in process (bench/ledger.py). On a machine whose cores are all busy (a CI runner with two jobs on
two cores) that CPU is taken from someone else, and the run is no faster for it; the rows are made in process
there. `$EDI837_LEDGER_BESIDE` = `always` or `never` overrides the choice (the tests of the child use it).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from operator import attrgetter
from pathlib import Path
from typing import IO, Any, NamedTuple

from edi837.engine.workers import _die_with
from edi837.errors import InputRefused, one_line
from edi837.exits import ExitCode
from edi837.forking import as_child, cores, fork_is_safe, signals_held
from edi837.ledger.acks import AckBook
from edi837.ledger.build import Finding
from edi837.ledger.rows import FileRow
from edi837.ledger.store import Ledger, LedgerUnavailable
from edi837.log import ROOT
from edi837.model.claim import Claim
from edi837.model.walker import Passthrough, Walker
from edi837.x12.envelope import SegmentStream

SHADOW_BYTES = 1_000_000  # below this (about 2,500 claims) a fork costs more than making the rows here saves
BESIDE = "EDI837_LEDGER_BESIDE"  # always | never | unset: by the machine's load (`wanted`)
CHILD_CORES = 0.5  # what the child takes beside the run's own core, with room to spare (a third of a core, measured)
BATCH = 256  # claims per message: one pickle and one write of the pipe for that many claims
GRACE = 5.0  # seconds a child told to end may take before it is killed

Opener = Callable[[], IO[bytes]]
RecorderFactory = Callable[[Ledger, int, AckBook], Any]  # (ledger, run, acknowledgements) -> a recorder
# What of a change record a row is made of (ledger/build.py), taken at C speed: the rest (the segment before,
# the source, positions) is the change log's, and pickled it was more than half of what crossed the pipe.
_slim = attrgetter("rule", "line_number", "action", "applied", "applicability", "severity", "message",
                   "segment_after")
_Slim = tuple[str, int | None, str, bool, str | None, str, str, str | None]
_Claim = tuple[list[_Slim], bool, str | None]  # a claim's records, held, held file


class SlimRecord(NamedTuple):
    """A change record as the child gets it: what a row reads of one (ledger/build.py's Finding), in `_slim`'s
    order. Made into a ChangeRecord again (a frozen dataclass of fifteen fields, each set through
    object.__setattr__) it cost the child some 3 microseconds a record."""

    rule: str
    line_number: int | None
    action: str
    applied: bool
    applicability: str | None
    severity: str
    message: str
    segment_after: str | None


_make = SlimRecord._make


def wanted(size: int, *, forced: bool | None = None) -> bool:
    """Whether the rows of an input of `size` bytes are worth a child beside the run: a large input, and a
    core the run and the child would not take from anyone (the 1-minute load average, plus the run's own core
    and the child's share, within the cores this process may use). `forced` (else $EDI837_LEDGER_BESIDE): the
    load is not asked."""
    if size < SHADOW_BYTES:
        return False
    if forced is None:
        said = os.environ.get(BESIDE, "").strip().lower()
        forced = True if said == "always" else False if said == "never" else None
    if forced is not None:
        return forced
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average here (Windows has none): nothing says a core is free
        return False
    return load + 1 + CHILD_CORES <= cores()


class Shadow:
    """The run's side of the child (see the module docstring)."""

    def __init__(self, process: BaseProcess, claims: Connection, answers: Connection) -> None:
        self._process, self._claims, self._answers = process, claims, answers
        self._batch: list[_Claim] = []

    @classmethod
    def start(cls, path: Path, run: int, opener: Opener, acks: AckBook, *, group_readable: bool,
              new_recorder: RecorderFactory) -> Shadow | None:
        """A child making run `run`'s rows from the input `opener` reads, or None where it cannot be forked.
        `new_recorder`: how the child makes the in-process recorder it writes through (the recorder module's,
        handed down so that this module, which the recorder uses, does not import it back)."""
        if not fork_is_safe():
            return None
        context = multiprocessing.get_context("fork")
        claims_in, claims_out = context.Pipe(duplex=False)
        answers_in, answers_out = context.Pipe(duplex=False)
        process = context.Process(target=_serve, daemon=True, args=(
            path, run, opener, acks, group_readable, new_recorder, os.getpid(), claims_in, answers_out,
            (claims_out, answers_in)))
        try:
            with signals_held():
                process.start()
        except Exception:  # no fork here (out of processes): the rows are made in process
            claims_out.close()
            answers_in.close()
            return None
        finally:
            claims_in.close()
            answers_out.close()
        return cls(process, claims_out, answers_in)

    @property
    def inherited(self) -> tuple[int, ...]:
        """Descriptors a process forked after this one must close (a copy of the claims pipe's end would keep
        the child waiting for claims after the run has died)."""
        return tuple(end.fileno() for end in (self._claims, self._answers) if not end.closed)

    def claim(self, records: Sequence[Finding], held: bool, held_file: str | None) -> None:
        self._batch.append(([_slim(r) for r in records] if records else [], held, held_file))
        if len(self._batch) >= BATCH:
            self._send(("claims", self._batch))
            self._batch = []

    def restart(self) -> None:
        self._batch = []
        self._send(("restart",))

    def write(self, files: list[FileRow]) -> None:
        """The last claims, then the run's files, and the run marked written: LedgerUnavailable unless the
        child says it did."""
        self._finish(("write", files))

    def abort(self) -> None:
        """The run ends without outputs: the child writes the rows it has, then leaves."""
        self._finish(("abort",))

    def _finish(self, message: tuple[Any, ...]) -> None:
        if self._batch:
            self._send(("claims", self._batch))
            self._batch = []
        self._send(message)
        answer = self._answer()
        self.close()
        if answer[0] == "failed":
            raise LedgerUnavailable(answer[1])

    def _send(self, message: tuple[Any, ...]) -> None:
        try:
            self._claims.send(message)
        except (OSError, ValueError):
            raise LedgerUnavailable(self._lost()) from None

    def _answer(self) -> tuple[str, ...]:
        while True:
            ready = wait([self._answers, self._process.sentinel])
            if self._answers in ready:
                try:
                    answer: tuple[str, ...] = self._answers.recv()
                    return answer
                except (EOFError, OSError):
                    raise LedgerUnavailable(self._lost()) from None
            if self._process.sentinel in ready:
                raise LedgerUnavailable(self._lost())

    def _lost(self) -> str:
        self._process.join(GRACE)
        return f"the process writing the ledger's rows stopped (exit {self._process.exitcode}); nothing was marked"

    def close(self) -> None:
        """End the child (at the end of its pipe; killed if it does not go) and reap it."""
        with signals_held():
            for end in (self._claims, self._answers):
                end.close()
            self._process.join(GRACE)
            if self._process.exitcode is None:
                self._process.kill()
                self._process.join()


def _serve(path: Path, run: int, opener: Opener, acks: AckBook, group_readable: bool, new_recorder: RecorderFactory,
           parent: int, claims: Connection, answers: Connection, theirs: tuple[Connection, ...]) -> None:
    """The child's whole life: rows for each claim it is told of, until the run says write or abort, or its
    pipe ends (the run is gone: nothing more is written). Leaves by os._exit, like the --jobs workers."""
    try:
        as_child()
        _die_with(parent)
        for end in theirs:
            end.close()
        logging.getLogger(ROOT).setLevel(logging.WARNING)
        answer = _work(path, run, opener, acks, group_readable, new_recorder, claims)
        if answer is not None:
            with suppress(OSError):
                answers.send(answer)
    finally:
        os._exit(ExitCode.OK)  # the child says what it did through the pipe, never through its status


def _work(path: Path, run: int, opener: Opener, acks: AckBook, group_readable: bool, new_recorder: RecorderFactory,
          claims: Connection) -> tuple[str, ...] | None:
    failed = None
    recorder = None
    try:
        recorder = new_recorder(Ledger.open(path, group_readable=group_readable), run, acks)
    except LedgerUnavailable as error:
        failed = str(error)
    walk = _claims(opener, recorder)
    position = 0
    while True:
        try:
            message = claims.recv()
        except (EOFError, OSError):
            return None  # the run is gone
        kind = message[0]
        if failed is not None or recorder is None:
            if kind in ("write", "abort"):
                return ("failed", failed or "the ledger could not be opened")
            continue
        try:
            if kind == "claims":
                for records, held, held_file in message[1]:
                    recorder.claim(position, next(walk), [_make(r) for r in records], held=held,
                                   held_file=held_file)
                    position += 1
            elif kind == "restart":
                recorder.restart()
                walk, position = _claims(opener, recorder), 0
            elif kind == "write":
                recorder.write(message[1])
                return ("written",)
            else:
                recorder.flush()
                return ("aborted",)
        except (LedgerUnavailable, InputRefused, StopIteration) as error:
            failed = one_line(str(error) or f"{path}: the input ended before the run's claims did")


def _claims(opener: Opener, recorder: Any) -> Iterator[Claim]:
    """The input's claims in order, the bytes between them handed to the recorder (whom they are for)."""
    with opener() as source:
        stream = SegmentStream(source)
        delims = stream.delimiters
        for unit in Walker(stream):
            if type(unit) is Passthrough:
                recorder.passthrough(unit.raw, delims)
            elif type(unit) is Claim:
                yield unit
