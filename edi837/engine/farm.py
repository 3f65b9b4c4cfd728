"""Claims fixed on every core (`--jobs N`), with the output byte-identical to one process.

Why this shape: claims are independent (a rule reads one claim, the loops above it, and the partner lines
of the file's other claims that a pass before the run collected: engine/partners.py), and the rules are
most of a run's time: reading, walking and splicing a file are a small part (bench/bench.py, `--ignore
ALL`). So the calling process still reads the file, walks it and writes the output exactly as a run
without workers does, and only `RuleEngine.run` moves: claims go to worker processes in chunks, in input
order, and their outcomes (new pieces, change records, notes) come back and are consumed in that same
order. A claim carries its own positions (its CLM's ordinal in the file, its transaction) and a chunk its
claims' partner lines, so no record needs re-basing, and every count, dollar total, hold decision and byte
of the output and the change log is made by the same code as in one process. There is nothing to splice
back but the order, which the caller never leaves.

Where the chunks go is the caller's choice (`ClaimFarm(engine, submit, ...)`): by default, `--jobs`
processes forked on this machine (`ClaimFarm.start`); in a batch on Dask, the cluster's workers
(edi837/batch/chunks.py), so one huge file does not hold a batch up.

Why fork, and only sometimes (edi837/forking.py): the workers start in milliseconds with the rules and
packs' modules loaded; each builds its own engine from the run's options (its own NCCI database
connection: SQLite connections must not cross a fork). Where forking is not safe (a process running
other threads, such as the long-running watcher or a Dask worker), on one core, or for a small file
(MIN_BYTES), the claims run in process: same answer, one core.

What can go wrong is told as one process would tell it. A claim the rules refuse, or the walker's refusal
of the file, is raised at its place in input order, never ahead of an earlier one (the walker reads
chunks ahead of the answers). A worker that dies (the out-of-memory killer, an operator's kill), at any
point of its work, or cannot be started costs speed, not the run: the chunks it held are run here, and
the log says `farm.lost`. No wait here outlasts the worker it waits on, and a signal ends any of them
(engine/workers.py). A worker dies with the process that forked it, so a killed caller leaves none behind
holding its files or locks.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, CancelledError
from dataclasses import dataclass
from typing import Protocol

from edi837.engine.partners import subset
from edi837.engine.runner import ClaimOutcome, RuleEngine
from edi837.engine.workers import Answer, LocalWorkers, Unanswered, WorkerLost, run_claims
from edi837.forking import cores, fork_is_safe
from edi837.log import get_logger
from edi837.model.claim import Claim
from edi837.model.walker import Unit

MIN_BYTES = 2_000_000  # below this, starting workers costs more than the second core saves (bench/bench.py --jobs)
CHUNK = 200  # claims per task: a few tens of milliseconds of rule work, against well under one of messaging
AHEAD = 3  # chunks away per worker: the next is already queued when one finishes, and memory stays flat
HEDGE_AFTER = 0.5  # seconds a hedging farm waits for a chunk that is away: ten times one chunk's rule work
HEDGE_AFTER_VARIABLE = "EDI837_HEDGE_AFTER"  # another wait, for a cluster whose workers answer slowly

log = get_logger("edi837.farm")

__all__ = ["AHEAD", "Answer", "ClaimFarm", "Remote", "in_process", "jobs_for", "lost", "run_claims"]


def jobs_for(requested: int | None) -> int:
    """Processes for `--jobs`, the caller included (None: as many as the cores this process may use; 1: the
    caller alone)."""
    return max(1, cores() if requested is None else requested)


@dataclass(frozen=True, slots=True)
class Failed:
    """A chunk run here whose rules raised: raised when its turn comes, in input order."""

    error: Exception


class Remote(Protocol):
    """A chunk sent away: to a worker forked here (engine/workers.py), or a dask.distributed Future."""

    def done(self) -> bool: ...

    def result(self, timeout: float | None = None) -> Answer: ...

    def cancel(self) -> bool: ...


Reply = Remote | Answer | Failed


def lost(error: BaseException) -> bool:
    """True when a chunk's error says where it ran is gone (a dead worker, a pool that could not start),
    not what its claims are: the chunk is then run here, with the same answer."""
    return isinstance(error, WorkerLost | BrokenExecutor | CancelledError) or type(error).__name__ == "KilledWorker"


def hedge_after() -> float:
    """Seconds a hedging farm waits for a chunk: HEDGE_AFTER, or $EDI837_HEDGE_AFTER where workers answer
    slowly (a loaded machine, a remote cluster: a longer wait keeps the split, a shorter one gives up on a
    busy cluster sooner). A value that is not a positive number of seconds is ignored."""
    try:
        seconds = float(os.environ.get(HEDGE_AFTER_VARIABLE, ""))
    except ValueError:
        return HEDGE_AFTER
    return seconds if 0 < seconds < 86_400 else HEDGE_AFTER


class ClaimFarm:
    """Runs the rule engine on chunks of claims elsewhere (`submit`) and here, answered in input order.

    `capacity` chunks may be away at once; past that the calling process runs the next chunk itself
    rather than wait (it also walks and writes, so it takes chunks only when the others have enough).
    """

    def __init__(self, engine: RuleEngine, submit: Callable[[list[Claim]], Remote], capacity: int,
                 stop: Callable[[], None] = lambda: None, *, hedge: bool = False) -> None:
        self._engine = engine
        # hedge: do not wait long for a chunk that is away; run it here instead (and cancel it there). For a
        # cluster, where a chunk may queue behind another file's whole task: the split then costs little more
        # than fixing the file alone, at the price of a chunk now and then run twice. A chunk is given
        # HEDGE_AFTER seconds (a worker's first chunk of a file builds its engine); once one was not back by
        # then, the others are busy elsewhere, and no chunk of this file is waited for again.
        self._hedge = hedge
        self._hedge_after = hedge_after()
        self._impatient = False
        self._submit = submit
        self._capacity = max(1, capacity)
        self._stop = stop
        self._away: deque[Remote] = deque()
        self._broken = False  # where chunks went is gone: the rest run here
        self.ran_by: set[str] = set()  # the processes that ran at least one chunk

    @classmethod
    def start(cls, jobs: int, input_bytes: int | None, engine: RuleEngine, build: Callable[[], RuleEngine],
              inherited: tuple[int, ...] = ()) -> ClaimFarm | None:
        """`jobs - 1` forked worker processes beside this one when they pay and are safe here, else None
        (the claims run in process). They are forked at the first chunk sent (engine/workers.py); a fork
        that fails then sends every chunk here."""
        if jobs < 2 or input_bytes is None or input_bytes < MIN_BYTES or not fork_is_safe():
            return None
        workers = LocalWorkers(jobs - 1, build, inherited)
        return cls(engine, lambda claims: workers.submit(claims, subset(engine.partners, claims)),
                   AHEAD * (jobs - 1), workers.close)

    @property
    def processes(self) -> int:
        return len(self.ran_by)

    def outcomes(self, units: Iterable[Unit]) -> Iterator[tuple[Unit, ClaimOutcome | None]]:
        """Each unit in input order, a claim with its outcome (None for the units that are not claims).

        A full chunk is sent away while fewer than `capacity` are, else it is run here; answers are
        consumed in input order, waiting only when the oldest is away and more than twice `capacity`
        chunks are pending. An error a chunk's rules raised is raised at that chunk; one the walker raised
        (a refused file) once every chunk read before it has been answered, as one process would meet them.
        """
        pending: deque[tuple[list[Unit], list[Claim], Reply | None]] = deque()
        units_seen: list[Unit] = []
        claims: list[Claim] = []
        walked = iter(units)
        refused: Exception | None = None
        while True:
            try:
                unit = next(walked)
            except StopIteration:
                break
            except Exception as error:  # the walker refuses the file here: what came before it goes first
                refused = error
                break
            units_seen.append(unit)
            if type(unit) is Claim:
                claims.append(unit)
                if len(claims) == CHUNK:
                    pending.append((units_seen, claims, self._send(claims)))
                    units_seen, claims = [], []
                    while pending and (_ready(pending[0][2]) or len(pending) > 2 * self._capacity):
                        yield from self._answered(*pending.popleft())
        pending.append((units_seen, claims, self._run_here(claims) if claims else None))
        while pending:
            yield from self._answered(*pending.popleft())
        if refused is not None:
            raise refused

    def _send(self, claims: list[Claim]) -> Reply:
        if len(self._away) < self._capacity and not self._broken:
            try:
                remote = self._submit(claims)
            except Exception as error:  # no worker could be started (out of processes or memory), or it is gone
                self._lose(error)
                return self._run_here(claims)
            self._away.append(remote)
            return remote
        return self._run_here(claims)

    def _run_here(self, claims: list[Claim]) -> Answer | Failed:
        try:
            return run_claims(self._engine, claims)
        except Exception as error:
            return Failed(error)

    def _answered(self, units: list[Unit], claims: list[Claim], reply: Reply | None
                  ) -> Iterator[tuple[Unit, ClaimOutcome | None]]:
        if reply is None:
            yield from ((unit, None) for unit in units)
            return
        if not isinstance(reply, tuple | Failed):
            assert self._away[0] is reply  # chunks are answered in the order they were sent
            self._away.popleft()
            remote = reply
            wait = None if not self._hedge or remote.done() else 0.0 if self._impatient else self._hedge_after
            try:
                reply = remote.result(timeout=wait)
            except TimeoutError:  # hedging: still away, most likely queued behind other work
                remote.cancel()
                self._impatient = True
                reply = self._run_here(claims)
            except Unanswered:  # its rules raised there: here they raise the same, in input order
                reply = self._run_here(claims)
            except Exception as error:
                if not lost(error):
                    raise
                self._lose(error)
                reply = self._run_here(claims)
        if isinstance(reply, Failed):
            raise reply.error
        who, outcomes = reply
        self.ran_by.add(who)
        answers = iter(outcomes)
        for unit in units:
            yield unit, next(answers) if type(unit) is Claim else None

    def _lose(self, error: Exception) -> None:
        if not self._broken:
            self._broken = True
            log.warning("farm.lost", reason_kind=type(error).__name__)

    def close(self) -> None:
        """Stop: chunks still away are cancelled (a refused run ends here too)."""
        for remote in self._away:
            remote.cancel()
        self._away.clear()
        self._stop()


def _ready(reply: Reply | None) -> bool:
    return reply is None or isinstance(reply, tuple | Failed) or reply.done()


def in_process(units: Iterable[Unit], engine: RuleEngine) -> Iterator[tuple[Unit, ClaimOutcome | None]]:
    """The same stream as ClaimFarm.outcomes, with the rules run here."""
    run = engine.run
    for unit in units:
        yield unit, run(unit) if type(unit) is Claim else None
