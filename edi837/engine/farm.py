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

Where the chunks go is the caller's choice (`ClaimFarm(engine, submit, ...)`): by default, `--jobs`
processes forked on this machine (`ClaimFarm.start`); in a batch on Dask, the cluster's workers
(edi837/batch/chunks.py), so one huge file does not hold a batch up.

Why fork, and only sometimes (edi837/forking.py): the workers start in milliseconds with the rules and
packs' modules loaded; each builds its own engine from the run's options (its own NCCI database
connection: SQLite connections must not cross a fork). Where forking is not safe (a threaded process
such as the watcher or a Dask worker), on one core, or for a small file (MIN_BYTES), the claims run in
process: same answer, one core.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from typing import Protocol

from edi837.engine.runner import ClaimOutcome, RuleEngine
from edi837.forking import cores, fork_is_safe
from edi837.model.claim import Claim
from edi837.model.walker import Unit

MIN_BYTES = 2_000_000  # below this, starting workers costs more than the second core saves (bench/bench.py --jobs)
CHUNK = 200  # claims per task: a few tens of milliseconds of rule work, against well under one of messaging
AHEAD = 3  # chunks away per worker: the next is already queued when one finishes, and memory stays flat

_engine: RuleEngine | None = None  # a worker's own engine, built once by _start_worker


def here() -> str:
    """This process, as a chunk's answer names who ran it (`FixResult.jobs` counts them)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _start_worker(build: Callable[[], RuleEngine], inherited: tuple[int, ...]) -> None:
    global _engine
    for fd in inherited:  # the caller's ends of its other children's pipes (gate/ahead.py)
        with suppress(OSError):
            os.close(fd)
    _engine = build()


def _run_chunk(claims: list[Claim]) -> Answer:
    assert _engine is not None, "the worker's initializer builds the engine"
    return here(), [_engine.run(claim) for claim in claims]


def jobs_for(requested: int | None) -> int:
    """Processes for `--jobs`, the caller included (None: as many as the cores this process may use; 1: the
    caller alone)."""
    return max(1, cores() if requested is None else requested)


Answer = tuple[str, list[ClaimOutcome]]  # who ran a chunk, and its claims' outcomes in order


class Remote(Protocol):
    """A chunk sent away: a concurrent.futures.Future here, a dask.distributed Future on a cluster."""

    def done(self) -> bool: ...

    def result(self) -> Answer: ...

    def cancel(self) -> bool: ...


class ClaimFarm:
    """Runs the rule engine on chunks of claims elsewhere (`submit`) and here, answered in input order.

    `capacity` chunks may be away at once; past that the calling process runs the next chunk itself
    rather than wait (it also walks and writes, so it takes chunks only when the others have enough).
    """

    def __init__(self, engine: RuleEngine, submit: Callable[[list[Claim]], Remote], capacity: int,
                 stop: Callable[[], None] = lambda: None) -> None:
        self._engine = engine
        self._submit = submit
        self._capacity = max(1, capacity)
        self._stop = stop
        self._away: deque[Remote] = deque()
        self.ran_by: set[str] = set()  # the processes that ran at least one chunk

    @classmethod
    def start(cls, jobs: int, input_bytes: int | None, engine: RuleEngine, build: Callable[[], RuleEngine],
              inherited: tuple[int, ...] = ()) -> ClaimFarm | None:
        """`jobs - 1` forked worker processes beside this one when they pay and are safe here, else None
        (the claims run in process)."""
        if jobs < 2 or input_bytes is None or input_bytes < MIN_BYTES or not fork_is_safe():
            return None
        try:
            pool = ProcessPoolExecutor(jobs - 1, mp_context=multiprocessing.get_context("fork"),
                                       initializer=_start_worker, initargs=(build, inherited))
        except Exception:  # no processes to be had here: the claims run in process, with the same answer
            return None
        return cls(engine, lambda claims: pool.submit(_run_chunk, claims), AHEAD * (jobs - 1),
                   lambda: pool.shutdown(wait=True, cancel_futures=True))

    @property
    def processes(self) -> int:
        return len(self.ran_by)

    def outcomes(self, units: Iterable[Unit]) -> Iterator[tuple[Unit, ClaimOutcome | None]]:
        """Each unit in input order, a claim with its outcome (None for the units that are not claims).

        A full chunk is sent away while fewer than `capacity` are, else it is run here; answers are
        consumed in input order, waiting only when the oldest is away and more than twice `capacity`
        chunks are pending. An exception raised where a chunk ran (a claim the rules refuse) is raised
        here, at that claim's chunk.
        """
        pending: deque[tuple[list[Unit], Remote | Answer | None]] = deque()
        units_seen: list[Unit] = []
        claims: list[Claim] = []
        for unit in units:
            units_seen.append(unit)
            if type(unit) is Claim:
                claims.append(unit)
                if len(claims) == CHUNK:
                    pending.append((units_seen, self._send(claims)))
                    units_seen, claims = [], []
                    while pending and (_ready(pending[0][1]) or len(pending) > 2 * self._capacity):
                        yield from self._answered(*pending.popleft())
        pending.append((units_seen, self._run_here(claims) if claims else None))
        while pending:
            yield from self._answered(*pending.popleft())

    def _send(self, claims: list[Claim]) -> Remote | Answer:
        if len(self._away) < self._capacity:
            remote = self._submit(claims)
            self._away.append(remote)
            return remote
        return self._run_here(claims)

    def _run_here(self, claims: list[Claim]) -> Answer:
        run = self._engine.run
        return here(), [run(claim) for claim in claims]

    def _answered(self, units: list[Unit], answer: Remote | Answer | None
                  ) -> Iterator[tuple[Unit, ClaimOutcome | None]]:
        if answer is None:
            yield from ((unit, None) for unit in units)
            return
        if not isinstance(answer, tuple):
            assert self._away[0] is answer  # chunks are answered in the order they were sent
            self._away.popleft()
            answer = answer.result()
        who, outcomes = answer
        self.ran_by.add(who)
        answers = iter(outcomes)
        for unit in units:
            yield unit, next(answers) if type(unit) is Claim else None

    def close(self) -> None:
        """Stop: chunks still away are cancelled (a refused run ends here too)."""
        for remote in self._away:
            remote.cancel()
        self._away.clear()
        self._stop()


def _ready(answer: Remote | Answer | None) -> bool:
    return answer is None or isinstance(answer, tuple) or answer.done()


def in_process(units: Iterable[Unit], engine: RuleEngine) -> Iterator[tuple[Unit, ClaimOutcome | None]]:
    """The same stream as ClaimFarm.outcomes, with the rules run here."""
    run = engine.run
    for unit in units:
        yield unit, run(unit) if type(unit) is Claim else None
