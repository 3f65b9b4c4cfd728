"""A batch's big files, fixed in claim chunks across the cluster, so one huge file does not hold a batch up.

A file is one task; a file of tens of thousands of claims would keep one worker busy for a minute while
the others, their small files done, wait. So a file task whose input is at least SPLIT_BYTES hands its
claims to the cluster in chunks, through the same farm `--jobs` uses on one machine (engine/farm.py): the
task still reads, walks and writes its file exactly as alone, in order, and only the rule work of each
chunk runs elsewhere, so its outputs are the bytes `edi-fix IN OUT` writes.

The task asks Dask for a client from inside its worker (`worker_client`, which also takes the task's
thread out of the worker's count while it waits, so the worker can run chunks meanwhile). Chunk tasks
carry the claims' bytes, the run's options and the delimiters; each worker builds the rule engine once per
file (keyed by the file's token) and keeps the last few. A chunk whose worker dies is run again by Dask
like any task, with the same answer.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from edi837.engine.farm import AHEAD, Answer, ClaimFarm, Remote, run_claims
from edi837.engine.partners import Partners, subset
from edi837.engine.runner import RuleEngine
from edi837.model.claim import Claim
from edi837.model.minutes import load_minutes
from edi837.pipeline import FarmStarter, FixOptions, build_engine
from edi837.x12.envelope import Delimiters

SPLIT_BYTES = 8_000_000  # a file this large is split (--split-above); below it, chunks cost more than they gain
_KEEP = 4  # engines a worker thread keeps, one per file whose chunks it runs

# Engines per thread, not per process: an engine holds an SQLite connection (the NCCI database), which only
# the thread that opened it may use, and Dask runs a file's chunks on whichever of its threads is free (a
# seceded task adds threads even to a one-thread worker). So a thread only ever uses, and closes, its own.
_local = threading.local()


def _engines() -> OrderedDict[str, RuleEngine]:
    engines: OrderedDict[str, RuleEngine] | None = getattr(_local, "engines", None)
    if engines is None:
        engines = _local.engines = OrderedDict()
    return engines


def run_chunk(token: str, options: FixOptions, claims: list[Claim], partners: Partners) -> Answer:
    """A chunk of one file's claims (never empty), with their partner lines (engine/partners.py: found by
    the file's task before any chunk was sent), on whichever worker and thread Dask chose."""
    engines = _engines()
    engine = engines.get(token)
    if engine is None:
        minutes = load_minutes(options.minutes_file) if options.minutes_file else None
        engine = engines[token] = build_engine(claims[0].delimiters, options, minutes)
        while len(engines) > _KEEP:
            _, old = engines.popitem(last=False)
            if old.packs is not None:
                old.packs.close()
    engines.move_to_end(token)
    engine.partners = partners  # this thread's engine: no other chunk runs on it meanwhile
    return run_claims(engine, claims)


def _worker_address() -> str | None:
    """The address of the Dask worker running this task (where chunks can be sent to the cluster), else None."""
    try:
        from distributed import get_worker
    except ImportError:
        return None
    try:
        return str(get_worker().address)
    except ValueError:
        return None


@contextmanager
def cluster_farm(options: FixOptions, split_bytes: int, size: int, lease: str = "",
                 leases: int = 1) -> Iterator[FarmStarter | None]:
    """While the block runs, a farm starter that sends a file's claims to the other workers, for a file of
    `size` bytes that is at least `split_bytes` long; else (outside a Dask worker, on a cluster of one
    worker) None: in process.

    Only then is the task's thread taken out of its worker's count (`worker_client`): for a small file that
    would let the worker start a second file beside it, two CPU-bound tasks sharing one interpreter lock.
    And only for `leases` files of the batch at a time (a Dask semaphore named `lease`): each split file
    frees its worker to start another file, so without a bound every big file of a batch would be open at
    once, with its memory. A big file that finds no lease free is fixed whole, in its own task."""
    me = _worker_address() if split_bytes and size >= split_bytes else None
    if me is None:
        yield None
        return
    from distributed import get_client

    others = {address: threads for address, threads in get_client().nthreads().items() if address != me}
    if not others:
        yield None
        return
    semaphore = _semaphore(lease or f"edi-fix-split-{uuid.uuid4().hex}", max(1, leases))
    if not semaphore.acquire(timeout=0):
        yield None
        return
    try:
        with _on_cluster(options, others) as start:
            yield start
    finally:
        semaphore.release()


_semaphores: dict[str, Any] = {}  # this worker's handle on the current batch's semaphore


def _semaphore(name: str, leases: int) -> Any:
    """One handle per batch and worker process (each handle refreshes its leases on a timer); a new batch's
    closes the old batch's handles."""
    from distributed import Semaphore

    handle = _semaphores.get(name)
    if handle is None:
        for old in _semaphores.values():
            with suppress(Exception):
                old.close()
        _semaphores.clear()
        handle = _semaphores[name] = Semaphore(max_leases=leases, name=name)
    return handle


def close_semaphore(name: str, leases: int) -> None:
    """At the end of a batch, from its client: the scheduler forgets the batch's semaphore."""
    from distributed import Semaphore

    with suppress(Exception):
        Semaphore(max_leases=leases, name=name).close()


@contextmanager
def _on_cluster(options: FixOptions, others: dict[str, int]) -> Iterator[FarmStarter]:
    """Chunks go to the other workers (this one's interpreter lock is the file task's own, which runs chunks
    itself when the others have enough, and rather than wait for one: `hedge`)."""
    from distributed import worker_client

    with worker_client() as client:
        token = uuid.uuid4().hex
        capacity = AHEAD * sum(others.values())
        sent = 0

        def start(engine: RuleEngine, delimiters: Delimiters, size: int | None) -> ClaimFarm:
            def submit(claims: list[Claim]) -> Remote:
                nonlocal sent
                sent += 1
                # The key names the file's token and the chunk's number, never the file or a claim. Other
                # workers by preference: should they go, any worker may take the chunk.
                future: Any = client.submit(run_chunk, token, options, claims, subset(engine.partners, claims),
                                            key=f"edi-fix-chunk-{token}-{sent}", pure=False, workers=list(others),
                                            allow_other_workers=True)
                return future  # type: ignore[no-any-return]

            return ClaimFarm(engine, submit, capacity, hedge=True)

        yield start
