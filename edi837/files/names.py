"""Names for files that must never replace another: numbered siblings, and placing a file without replacing.

A held file, the hook's change log and report are the only copy of something (claims a person must see,
the record of an in-place rewrite): a later run must never remove or overwrite them. Such a file is
placed under the name asked for when it is free, else under the first free numbered sibling
(`b.837.held.837`, then `b.837.held-2.837`, `b.837.held-3.837`, ...: the number goes before the last
extension, so the file still opens with what opens the first). "Free" is decided by the placing itself:
link(2) of the finished temporary file to the candidate name fails with EEXIST when anything is there,
so two runs placing at the same moment can never both take one name, and nothing is ever replaced.

Everything here works on names only; the caller fsyncs the folder.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

NAME_BUDGET = 120  # bytes of a name kept in a derived name (file systems allow 255)
_NAME_MAX = 255
MAX_NUMBER = 100_000  # a folder with this many siblings of one name is a fault, not a place to keep looking
# link(2) is not offered by every file system (some FUSE, SMB and FAT mounts): then a rename that
# refuses to replace does the same job.
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK}


def short_name(name: str, budget: int = NAME_BUDGET) -> str:
    """`name`, or when it is longer than `budget` bytes its start plus a hash of the whole: derived names
    (temp files, change logs, reason files) then stay within the file system's 255-byte limit."""
    raw = name.encode("utf-8", "surrogateescape")
    if len(raw) <= budget:
        return name
    digest = hashlib.sha256(raw).hexdigest()[:12]
    head = raw[: budget - 13].decode("utf-8", "ignore")
    return f"{head}~{digest}"


def numbered(path: Path, number: int) -> Path:
    """`path` itself for 1, else its sibling with `-<number>` before the last extension (`a.held.837` ->
    `a.held-2.837`, `report` -> `report-2`), shortened when the name would pass the 255-byte limit."""
    if number <= 1:
        return path
    name = path.name
    dot = name.rfind(".")
    stem, suffix = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    tail = f"-{number}{suffix}"
    if len((stem + tail).encode("utf-8", "surrogateescape")) > _NAME_MAX:
        stem = short_name(stem, _NAME_MAX - len(tail.encode("utf-8", "surrogateescape")))
    return path.with_name(stem + tail)


Companion = Callable[[Path], Path]  # a file that goes with a candidate name (a held file's report)


def _taken(candidate: Path, companion: Companion | None) -> bool:
    return os.path.lexists(candidate) or (companion is not None and os.path.lexists(companion(candidate)))


def first_free(wanted: Path, companion: Companion | None = None) -> Path:
    """The first of `wanted`, `wanted-2`, ... with nothing at its name (nor at its companion's): the name a
    run expects to take, to be confirmed by `place_new` when it places the file."""
    for number in range(1, MAX_NUMBER):
        candidate = numbered(wanted, number)
        if not _taken(candidate, companion):
            return candidate
    raise FileExistsError(errno.EEXIST, "no free name", str(wanted))


def place_new(temp: Path, wanted: Path, companion: Companion | None = None) -> Path:
    """Give the finished file `temp` the first free name of `wanted`, `wanted-2`, ... (skipping a name whose
    companion exists), never replacing anything, and return that name. `temp` is gone afterwards."""
    for number in range(1, MAX_NUMBER):
        candidate = numbered(wanted, number)
        if companion is not None and os.path.lexists(companion(candidate)):
            continue
        if _link_noreplace(temp, candidate):
            return candidate
    raise FileExistsError(errno.EEXIST, "no free name", str(wanted))


def _link_noreplace(temp: Path, candidate: Path) -> bool:
    try:
        os.link(temp, candidate, follow_symlinks=False)
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in _NO_LINKS:
            raise
        return rename_noreplace(temp, candidate)
    os.unlink(temp)
    return True


# --- rename without replacing ---------------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1


def _renameat2() -> Any:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_renameat2_fn = _renameat2()


def rename_noreplace(source: Path, target: Path) -> bool:
    """Rename `source` to `target` atomically unless `target` exists; False if it does.

    Linux's renameat2(RENAME_NOREPLACE) makes the check and the rename one step. Where it is missing (or
    the file system does not support it) the check is made just before a plain rename: a race remains
    only between two writers placing one name in one folder at the same instant.
    """
    if _renameat2_fn is not None:
        if _renameat2_fn(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE) == 0:
            return True
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            return False
        if code not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), str(target))
    if os.path.lexists(target):
        return False
    os.replace(source, target)
    return True


__all__ = ["MAX_NUMBER", "first_free", "numbered", "place_new", "rename_noreplace", "short_name"]
