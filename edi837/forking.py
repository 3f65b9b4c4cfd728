"""When this process may fork helpers, and how a forked helper takes its signals: the one policy the scan
ahead (gate/ahead.py) and the claim workers (engine/workers.py) share.

Why fork at all: a forked child starts in microseconds with every module, table and expression already
loaded; spawning a fresh interpreter costs more than a small file's whole run. Why only sometimes:
forking a process that runs other threads (the watcher while it watches, a Dask worker) can deadlock the
child on a lock some thread held; a daemonic process (a Pool worker) may not have children; one core gains nothing.
Whoever gets False does the work in process, with the same result.

Why signals are held across a fork: a child starts as a copy of its caller, the caller's signal handlers
included, and the command line's turn SIGTERM into an interrupt of the run. A signal that reached a child
before it set its own (the interpreter's at-fork hooks run first: `random` reseeds there) ran the caller's
handler in the child, which printed "Exception ignored in: <bound method Random.seed ...>" and lived on.
So the caller forks with SIGINT/SIGTERM/SIGHUP held back (`signals_held`), and the child sets its own
handlers before it lets them in (`as_child`): a signal sent at any moment is taken by the right handler.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STOPPING = frozenset({signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])})


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


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP back while the block runs (POSIX, main thread): one that arrives meanwhile
    is delivered when the block ends. For a few instructions that must not be cut in two (a temporary file
    made and registered for removal; a child forked and recorded), or a bounded clean-up that must finish
    (children ended and reaped). A child forked inside the block starts with them held too."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def as_child() -> None:
    """First thing in a child forked inside `signals_held`: SIGTERM and SIGHUP end it (whoever forked it does
    its work instead), SIGINT is ignored (Ctrl-C reaches the whole process group, and ending the run is the
    caller's to do: it ends its children), then the signals held since the fork are let in."""
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)
