"""Claims fixed on every core (`--jobs N`), with the output byte-identical to one process.

Why this shape: claims are independent (a rule reads one claim and the loops above it, never another
claim), and the rules are most of a run's time: reading, walking and splicing a file are a small part
(bench/bench.py, `--ignore ALL`). So the calling process still reads the file, walks it and writes the
output exactly as a run without workers does, and only `RuleEngine.run` moves: claims go to worker
processes in chunks, in input order, and their outcomes (new pieces, change records, notes) come back
and are consumed in that same order. A claim carries its own positions (its CLM's ordinal in the file,
its transaction), so no record needs re-basing, and every count, dollar total, hold decision and byte
of the output and the change log is made by the same code as in one process. There is nothing to splice
back but the order, which the caller never leaves.

Why fork, and only sometimes (edi837/forking.py): the workers start in milliseconds with the rules and
packs' modules loaded; each builds its own engine from the run's options (its own NCCI database
connection: SQLite connections must not cross a fork). Where forking is not safe (a threaded process
such as the watcher or a Dask worker), on one core, or for a small file (MIN_BYTES), the claims run in
process: same answer, one core.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import suppress

from edi837.engine.runner import ClaimOutcome, RuleEngine
from edi837.forking import cores, fork_is_safe
from edi837.model.claim import Claim
from edi837.model.walker import Unit

MIN_BYTES = 2_000_000  # below this, starting workers costs more than the second core saves (bench/bench.py --jobs)
CHUNK = 200  # claims per task: a few tens of milliseconds of rule work, against well under one of messaging
AHEAD = 3  # chunks in flight per worker: the next is already queued when one finishes, and memory stays flat

_engine: RuleEngine | None = None  # a worker's own engine, built once by _start_worker


def _start_worker(build: Callable[[], RuleEngine], inherited: tuple[int, ...]) -> None:
    global _engine
    for fd in inherited:  # the caller's ends of its other children's pipes (gate/ahead.py)
        with suppress(OSError):
            os.close(fd)
    _engine = build()


def _run_chunk(claims: list[Claim]) -> list[ClaimOutcome]:
    assert _engine is not None, "the worker's initializer builds the engine"
    return [_engine.run(claim) for claim in claims]


def jobs_for(requested: int | None) -> int:
    """Processes for `--jobs`, the caller included (None: as many as the cores this process may use; 1: the
    caller alone)."""
    return max(1, cores() if requested is None else requested)


class ClaimFarm:
    """Worker processes that run the rule engine on chunks of claims beside the calling process, which
    runs a chunk itself whenever the workers have enough queued: `jobs` processes in all are busy (the
    caller also walks and writes, so it takes chunks only when it would otherwise wait)."""

    def __init__(self, jobs: int, engine: RuleEngine, build: Callable[[], RuleEngine],
                 inherited: tuple[int, ...] = ()) -> None:
        self.workers = jobs - 1
        self._engine = engine
        self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                         initializer=_start_worker, initargs=(build, inherited))

    @classmethod
    def start(cls, jobs: int, input_bytes: int | None, engine: RuleEngine, build: Callable[[], RuleEngine],
              inherited: tuple[int, ...] = ()) -> ClaimFarm | None:
        """Workers when they pay and are safe here, else None (the claims run in process)."""
        if jobs < 2 or input_bytes is None or input_bytes < MIN_BYTES or not fork_is_safe():
            return None
        try:
            return cls(jobs, engine, build, inherited)
        except Exception:  # no processes to be had here: the claims run in process, with the same answer
            return None

    def outcomes(self, units: Iterable[Unit]) -> Iterator[tuple[Unit, ClaimOutcome | None]]:
        """Each unit in input order, a claim with its outcome (None for the units that are not claims).

        A full chunk goes to the workers while fewer than AHEAD per worker are queued, else it is run here;
        answers are consumed in input order, waiting only when the oldest is a worker's and more than
        twice that many chunks are pending. An exception a worker raised (a claim the rules refuse) is
        raised here, at that claim's chunk.
        """
        pending: deque[tuple[list[Unit], Future[list[ClaimOutcome]] | list[ClaimOutcome] | None]] = deque()
        queued = 0  # chunks sent to workers whose answers are pending
        limit = AHEAD * self.workers
        units_seen: list[Unit] = []
        claims: list[Claim] = []
        for unit in units:
            units_seen.append(unit)
            if type(unit) is Claim:
                claims.append(unit)
                if len(claims) == CHUNK:
                    if queued < limit:
                        pending.append((units_seen, self._pool.submit(_run_chunk, claims)))
                        queued += 1
                    else:
                        pending.append((units_seen, [self._engine.run(claim) for claim in claims]))
                    units_seen, claims = [], []
                    while pending and (_ready(pending[0][1]) or len(pending) > 2 * limit):
                        head, answer = pending.popleft()
                        queued -= isinstance(answer, Future)
                        yield from _answered(head, answer)
        pending.append((units_seen, [self._engine.run(claim) for claim in claims] if claims else None))
        while pending:
            yield from _answered(*pending.popleft())

    def close(self) -> None:
        """Stop the workers; what is still queued is dropped (a refused run ends here too)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _ready(answer: Future[list[ClaimOutcome]] | list[ClaimOutcome] | None) -> bool:
    return not isinstance(answer, Future) or answer.done()


def _answered(units: list[Unit], answer: Future[list[ClaimOutcome]] | list[ClaimOutcome] | None
              ) -> Iterator[tuple[Unit, ClaimOutcome | None]]:
    answers = iter(answer.result() if isinstance(answer, Future) else answer or ())
    for unit in units:
        yield unit, next(answers) if type(unit) is Claim else None


def in_process(units: Iterable[Unit], engine: RuleEngine) -> Iterator[tuple[Unit, ClaimOutcome | None]]:
    """The same stream as ClaimFarm.outcomes, with the rules run here."""
    run = engine.run
    for unit in units:
        yield unit, run(unit) if type(unit) is Claim else None
