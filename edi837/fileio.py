"""Files that never end up half written: atomic replace, stdin spooling, borrowed handles.

A claim file is money. Every output (the fixed 837, the change log, the report, the hook's in-place
rewrite) is written to a temporary file in the destination's own directory, flushed and fsynced,
then renamed over the destination, and the directory is fsynced. A crash at any point leaves either
the old file or the new one, whole. On an error inside the block the temporary file is removed and
the destination is untouched.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from edi837.errors import InputRefused

_umask_lock = threading.Lock()


def current_umask() -> int:
    with _umask_lock:
        mask = os.umask(0)
        os.umask(mask)
    return mask


def fsync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class AtomicWriter:
    """A read-write temporary file beside `path` that replaces it atomically when the block ends cleanly
    and `commit` is still true; otherwise the temporary file is removed and `path` is untouched.

    The new file gets the permissions of `mode_like` when given (in-place
    rewrites keep the original's mode), else the usual 0666 minus umask.
    """

    def __init__(self, path: Path, *, mode_like: Path | None = None) -> None:
        self.path = path
        self.mode_like = mode_like
        self.directory = path.parent if str(path.parent) else Path(".")
        self.commit = True
        self.temp_path: Path | None = None
        self.handle: IO[bytes]

    def __enter__(self) -> AtomicWriter:
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".edi837.tmp", dir=self.directory)
        self.temp_path = Path(name)
        self.handle = os.fdopen(fd, "w+b")
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        assert self.temp_path is not None
        committed = False
        try:
            if kind is None and self.commit:
                self.handle.flush()
                os.fsync(self.handle.fileno())
                self.handle.close()
                if self.mode_like is not None:
                    shutil.copymode(self.mode_like, self.temp_path)
                else:
                    os.chmod(self.temp_path, 0o666 & ~current_umask())
                os.replace(self.temp_path, self.path)
                committed = True
                fsync_directory(self.directory)
        finally:
            self.handle.close()
            if not committed:
                with contextlib.suppress(FileNotFoundError):
                    self.temp_path.unlink()


@contextlib.contextmanager
def atomic_output(path: Path, *, mode_like: Path | None = None) -> Iterator[IO[bytes]]:
    """Yield a temporary file that replaces `path` atomically on a clean exit (see AtomicWriter)."""
    with AtomicWriter(path, mode_like=mode_like) as writer:
        yield writer.handle


class Borrowed(io.BufferedIOBase):
    """A read view of a handle that the reader may 'close' without closing the handle."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw
        raw.seek(0)

    def read(self, size: int | None = -1) -> bytes:
        return self._raw.read(-1 if size is None else size)

    def read1(self, size: int = -1) -> bytes:
        return self._raw.read(size)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        pass


def borrow(handle: IO[bytes]) -> IO[bytes]:
    """`handle` rewound, as a file object whose close() leaves it open (for readers that close)."""
    return cast(IO[bytes], Borrowed(handle))


def spool_stdin() -> IO[bytes]:
    """Copy standard input to an anonymous temporary file so it can be read twice (walk, then gate)."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the caller owns and closes it
    shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
    spool.seek(0)
    return spool


def refuse_unsafe_target(path: Path, what: str, protected: list[Path]) -> None:
    """Refuse, before any work, a place to write that would clobber a file we must not touch (the input,
    the output) or that cannot be written (missing folder, a directory)."""
    if path.is_dir():
        raise InputRefused(f"{path}: the {what} path is a directory; give a file name")
    if not path.parent.exists() and str(path.parent):
        raise InputRefused(f"{path.parent}: the folder for the {what} does not exist")
    for other in protected:
        same = path.resolve() == other.resolve() or (path.exists() and other.exists() and os.path.samefile(path, other))
        if same:
            raise InputRefused(f"{path}: the {what} would overwrite {other}; give another path")


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
