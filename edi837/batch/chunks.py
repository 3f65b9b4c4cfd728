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

import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from edi837.engine.farm import AHEAD, Answer, ClaimFarm, Remote, here
from edi837.engine.runner import RuleEngine
from edi837.model.claim import Claim
from edi837.model.minutes import load_minutes
from edi837.pipeline import FarmStarter, FixOptions, build_engine
from edi837.x12.envelope import Delimiters

SPLIT_BYTES = 8_000_000  # a file this large is split (--split-above); below it, chunks cost more than they gain
_KEEP = 4  # engines a worker keeps, one per file whose chunks it runs

_engines: OrderedDict[str, RuleEngine] = OrderedDict()


def run_chunk(token: str, options: FixOptions, claims: list[Claim]) -> Answer:
    """A chunk of one file's claims (never empty), on whichever worker Dask chose."""
    engine = _engines.get(token)
    if engine is None:
        minutes = load_minutes(options.minutes_file) if options.minutes_file else None
        engine = _engines[token] = build_engine(claims[0].delimiters, options, minutes)
        while len(_engines) > _KEEP:
            _, old = _engines.popitem(last=False)
            if old.packs is not None:
                old.packs.close()
    _engines.move_to_end(token)
    return here(), [engine.run(claim) for claim in claims]


def in_a_worker() -> bool:
    """True inside a Dask worker's task (where chunks can be sent to the cluster)."""
    try:
        from distributed import get_worker
    except ImportError:
        return False
    try:
        get_worker()
    except ValueError:
        return False
    return True


@contextmanager
def cluster_farm(options: FixOptions, split_bytes: int, size: int) -> Iterator[FarmStarter | None]:
    """While the block runs, a farm starter that sends a file's claims to the cluster, for a file of `size`
    bytes that is at least `split_bytes` long; else (and outside a Dask worker) None: in process.

    Only then is the task's thread taken out of its worker's count: for a small file that would let the
    worker start a second file beside it, two CPU-bound tasks sharing one interpreter lock."""
    if not split_bytes or size < split_bytes or not in_a_worker():
        yield None
        return
    from distributed import worker_client

    with worker_client() as client:
        token = uuid.uuid4().hex
        capacity = AHEAD * max(1, sum(client.nthreads().values()))
        sent = 0

        def submit(claims: list[Claim]) -> Remote:
            nonlocal sent
            sent += 1
            # The key names the file's token and the chunk's number, never the file or a claim.
            future: Any = client.submit(run_chunk, token, options, claims, key=f"edi-fix-chunk-{token}-{sent}",
                                        pure=False)
            return future  # type: ignore[no-any-return]

        def start(engine: RuleEngine, delimiters: Delimiters, size: int | None) -> ClaimFarm | None:
            if size is None or size < split_bytes:
                return None
            return ClaimFarm(engine, submit, capacity)

        yield start

