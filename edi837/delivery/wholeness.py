"""Whether a file dropped into OUTBOUND is whole: its writer is done, and its structure is complete.

A size that has not changed for a few seconds is not enough: a practice system may write one
interchange, pause, and append the next. Taking the file at the pause delivers half the claims, and
moving it to archive/ takes the rest along (the writer's open handle follows the file there). So on
Linux a file is taken only when no process holds it open for writing: /proc/<pid>/fd lists every
open file, /proc/<pid>/fdinfo/<fd> its open flags. Elsewhere (or for processes of other users, whose
/proc entries the watcher may not read) the settle window and the structure check remain, and the
integrator's convention is the safe path: write `NAME.part`, then rename it to `NAME`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from edi837.errors import InputRefused
from edi837.files.safety import open_regular
from edi837.x12.envelope import BOM, ISA_LENGTH, WHITESPACE

_PROC = Path("/proc")


def proc_available() -> bool:
    return (_PROC / "self" / "fdinfo").is_dir()


def held_for_writing(wanted: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Of the files `wanted` (device, inode), those some process holds open for writing, with one pid each.

    Reads only what the watcher may read: processes of other users are skipped unless it runs as root.
    """
    held: dict[tuple[int, int], int] = {}
    if not wanted or not proc_available():
        return held
    me = os.getpid()
    try:
        pids = [p for p in os.listdir(_PROC) if p.isdigit()]
    except OSError:
        return held
    for pid in pids:
        if int(pid) == me:
            continue
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if not os.readlink(f"{fd_dir}/{fd}").startswith("/"):
                    continue  # a pipe, socket or anonymous inode
                info = os.stat(f"{fd_dir}/{fd}")
            except OSError:
                continue
            key = (info.st_dev, info.st_ino)
            if key not in wanted or not stat.S_ISREG(info.st_mode):
                continue
            if _writable(pid, fd):
                held.setdefault(key, int(pid))
    return held


def _writable(pid: str, fd: str) -> bool:
    try:
        with open(f"/proc/{pid}/fdinfo/{fd}") as info:
            for line in info:
                if line.startswith("flags:"):
                    return bool(int(line.split()[1], 8) & (os.O_WRONLY | os.O_RDWR))
    except (OSError, ValueError, IndexError):
        pass
    return False


def looks_complete(path: Path) -> bool:
    """True when the file ends with an IEA segment, or is not an X12 file at all (then it is whole as
    far as anyone can tell, and will be refused). Never blocks: what is no longer a regular file counts
    as whole, so that processing refuses it."""
    try:
        with open_regular(path) as handle:
            head = handle.read(ISA_LENGTH + len(BOM))
            if head.startswith(BOM):
                head = head[len(BOM):]
            if not head.startswith(b"ISA") or len(head) < ISA_LENGTH:
                return len(head) > 0
            term, ele = head[105:106], head[3:4]
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 4096))
            tail = handle.read().rstrip(WHITESPACE)
    except InputRefused:
        return True
    except OSError:
        return False
    if not tail.endswith(term):
        return False
    last = tail[:-1].rsplit(term, 1)[-1].lstrip(WHITESPACE)
    return last.startswith(b"IEA" + ele)


__all__ = ["held_for_writing", "looks_complete", "proc_available"]
