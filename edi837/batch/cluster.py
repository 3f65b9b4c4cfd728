"""Where a batch runs: a Dask LocalCluster of worker processes, or an existing cluster.

A LocalCluster is processes, one thread each: fixing a file is CPU-bound Python, so threads would share
one interpreter lock. An existing cluster is named by `--scheduler tcp://HOST:PORT` or, as Dask's own
tools read it, `DASK_SCHEDULER_ADDRESS`; its workers must have edi837 installed and see IN_DIR and OUT_DIR
at the same paths (a shared file system), because tasks carry paths, not bytes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from edi837.batch.plan import BatchRefused

INSTALL_HINT = "edi-fix batch needs Dask: pip install 'edi837[dask]'"
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"


class DaskMissing(BatchRefused):
    """dask.distributed is not installed: the CLI says how to install it, in one line, and exits 2."""


def require_dask() -> None:
    """Refuse before anything is planned or created when Dask is not installed (an optional extra)."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise DaskMissing(INSTALL_HINT) from None


def scheduler_address(given: str | None) -> str | None:
    """`--scheduler`, else DASK_SCHEDULER_ADDRESS (the variable Dask's own tools read), else None: local."""
    return given or os.environ.get(SCHEDULER_ENV) or None


@contextmanager
def connect(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A dask.distributed Client: to `scheduler` when one is named, else to a LocalCluster of `workers`
    processes (default: the cores this process may use), closed with the block."""
    require_dask()
    from dask.distributed import Client, LocalCluster

    address = scheduler_address(scheduler)
    if address:
        try:
            client = Client(address)  # waits distributed.comm.timeouts.connect (Dask's setting; 30 s)
        except (OSError, TimeoutError, ValueError) as error:
            raise BatchRefused(f"cannot reach the Dask scheduler at {address} ({type(error).__name__})") from None
        with client:
            yield client
        return
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    import dask

    # No dashboard, so nobody reads the workers' statistical profiler; it samples every task's stack and
    # cost 10-15% of a 2-worker batch here (bench/batch.py: 1.49x with it, 1.64x without). The workers
    # take the setting from this process when the cluster starts them.
    with dask.config.set({"distributed.worker.profile.enabled": False}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                         silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


def worker_count(client: Any) -> int:
    """How many workers the client's cluster has right now."""
    return len(client.scheduler_info().get("workers", {}))
