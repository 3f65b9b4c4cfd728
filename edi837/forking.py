"""When this process may fork helpers: the one policy the scan ahead (gate/ahead.py) and the claim
workers (engine/farm.py) share.

Why fork at all: a forked child starts in microseconds with every module, table and expression already
loaded; spawning a fresh interpreter costs more than a small file's whole run. Why only sometimes:
forking a process that runs other threads (the watcher while it watches, a Dask worker) can deadlock the
child on a lock some thread held; a daemonic process (a Pool worker) may not have children; one core gains nothing.
Whoever gets False does the work in process, with the same result.
"""

from __future__ import annotations

import multiprocessing
import os
import threading


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def fork_is_safe() -> bool:
    """True when a forked helper process cannot deadlock or be refused here, and has a core to run on."""
    if cores() < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if threading.active_count() != 1:
        return False
    return not multiprocessing.current_process().daemon
