"""Input handles that can be read twice: stdin spooled to a temporary file, and borrowed handles.

The run reads its input more than once (the walk, then the gate), so standard input is copied to an
anonymous temporary file first, and a reader that closes what it reads gets a view whose close() leaves
the real handle open.
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from typing import IO, cast

from edi837.errors import InputRefused


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
    stdin = sys.stdin
    if stdin is None:
        raise InputRefused("stdin is closed: give IN as a file name, or pipe the 837 into edi-fix - OUT")
    if stdin.isatty():
        raise InputRefused("stdin is a terminal: give IN as a file name, or pipe the 837 into edi-fix - OUT")
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the caller owns and closes it
    try:
        shutil.copyfileobj(stdin.buffer, spool, 1 << 20)
    except OSError as error:
        spool.close()
        raise InputRefused(f"stdin cannot be read ({error.strerror or error})") from None
    spool.seek(0)
    return spool


__all__ = ["Borrowed", "borrow", "spool_stdin"]
