"""What edi837 reads and replaces: regular files only, never through a link, never a device.

An output path that holds a device, FIFO, socket, folder or link is refused, untouched (a rename would
replace the device node with a file of claims; opened, it would be written through). Inputs are opened
only when they are readable regular files; the watcher's and the hook's without following a link and
without blocking on a FIFO, so what is dropped into a folder cannot steer them.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import IO

from edi837.errors import InputRefused, TargetRefused


def refuse_special(path: Path, what: str) -> None:
    """Refuse (TargetRefused) to write `path` unless it is a regular file or nothing: a device, a FIFO, a
    socket, a folder or a symbolic link there would be replaced by the rename (a device node swapped for a
    file of claims), or, opened, written through. A link is refused rather than followed or replaced: the
    file it names is not the path given, and a link planted where root writes is an old attack."""
    try:
        info = os.lstat(path)
    except OSError:
        return  # nothing there (or a path the writer will fail on with its own reason)
    if not stat.S_ISREG(info.st_mode):
        raise TargetRefused(f"{path}: the {what} path is {kind_of(info.st_mode)}, not a regular file; give the "
                            "path of a file (nothing was written)")


def refuse_unsafe_target(path: Path, what: str, protected: list[Path]) -> None:
    """Refuse, before any work, a place to write that would clobber a file we must not touch (the input,
    the output), that is not a regular file (refuse_special), or whose folder is missing."""
    refuse_special(path, what)
    if not path.parent.exists() and str(path.parent):
        raise TargetRefused(f"{path.parent}: the folder for the {what} does not exist")
    for other in protected:
        same = path.resolve() == other.resolve() or (path.exists() and other.exists() and os.path.samefile(path, other))
        if same:
            raise TargetRefused(f"{path}: the {what} would overwrite {other}; give another path")


def open_input_path(path: Path) -> IO[bytes]:
    """Open an input file for reading, refusing what is not a readable regular file."""
    if not path.exists():
        raise InputRefused(f"{path}: no such file")
    if path.is_dir():
        raise InputRefused(f"{path}: is a directory, not an 837 file")
    try:
        return path.open("rb")
    except PermissionError:
        raise InputRefused(f"{path}: permission denied") from None
    except OSError as error:
        raise InputRefused(f"{path}: cannot be read ({error.strerror})") from None


def kind_of(mode: int) -> str:
    """A file type in words, for messages about what is not a regular file."""
    for test, words in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
                        (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device")):
        if test(mode):
            return words
    return "not a regular file"


def open_regular(path: Path) -> IO[bytes]:
    """Open `path` for reading only if it is a regular file, without following a symbolic link and without
    ever blocking (a FIFO opened for reading waits for a writer; O_NONBLOCK makes it return at once, and
    the fstat then refuses it). For the watcher and the hook, which must not be steered by what is
    dropped into a folder."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InputRefused(f"{path.name}: is a symbolic link; the file itself is needed") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise InputRefused(f"{path.name}: is {kind_of(info.st_mode)}, not an 837 file")
    return os.fdopen(fd, "rb")
