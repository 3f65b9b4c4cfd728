"""What a killed run leaves behind, and how the next run clears it without touching a live run's files.

A temporary file is named `.<name>.<pid>-<random>.edi837.tmp` (atomic.AtomicWriter): the pid lets the next
run remove what a killed run (kill -9, power loss) left beside its target, and only that: a temp file of a
process that is still alive is another run's work in progress.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path

from edi837.files.names import short_name

TEMP_SUFFIX = ".edi837.tmp"
STALE_AFTER = 24 * 3600.0  # a temp file whose pid cannot be checked is stale after a day


def _temp_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(short_name(name))}\.(\d+)-[a-z0-9_]{{8}}{re.escape(TEMP_SUFFIX)}\Z")


def pid_alive(pid: int) -> bool:
    """Whether process `pid` may still write. A zombie (dead, not yet reaped by its parent) may not: a Dask
    worker killed mid-file is one for a moment, just when the batch comes to clean up after it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """True when Linux's /proc says `pid` has exited and waits to be reaped (elsewhere: False)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            line = stat_file.read()
    except OSError:
        return False
    # pid (command) state ...: the command may hold spaces and parentheses, the state follows the last ")".
    return line[line.rfind(b")") + 2:][:1] == b"Z"


def remove_stale_temps(path: Path, *, now: float | None = None) -> int:
    """Remove the temporary files a killed run left beside `path`: those whose process is gone, or that
    are older than a day. Returns how many were removed. Only temps of this exact target are touched."""
    directory = path.parent if str(path.parent) else Path(".")
    pattern = _temp_pattern(path.name)
    now = time.time() if now is None else now
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None:
            continue
        pid = int(match.group(1)) if len(match.group(1)) < 10 else 0
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
        except OSError:
            continue
        if pid != os.getpid() and (old or not pid_alive(pid)):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed += 1
    return removed


_ANY_TEMP = re.compile(rf"\..*\.(\d+)-[a-z0-9_]{{8}}{re.escape(TEMP_SUFFIX)}\Z")


def remove_dead_temps(directory: Path, *, now: float | None = None) -> int:
    """Like remove_stale_temps, for every target in `directory`: the temp files of dead processes (or older
    than a day). For folders several processes write into."""
    now = time.time() if now is None else now
    removed = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            match = _ANY_TEMP.match(entry.name)
            if match is None:
                continue
            pid = int(match.group(1)) if len(match.group(1)) < 10 else 0
            with contextlib.suppress(OSError):
                old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
                if pid != os.getpid() and (old or not pid_alive(pid)):
                    os.unlink(entry.path)
                    removed += 1
    return removed


__all__ = ["STALE_AFTER", "TEMP_SUFFIX", "pid_alive", "remove_dead_temps", "remove_stale_temps"]
