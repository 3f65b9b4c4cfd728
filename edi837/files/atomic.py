"""Files that never end up half written: the atomic replace every output goes through.

A claim file is money. Every output (the fixed 837, the change log, the report, the hook's in-place
rewrite) is written to a temporary file in the destination's own directory, flushed and fsynced,
then renamed over the destination, and the directory is fsynced. A crash at any point leaves either
the old file or the new one, whole. On an error inside the block the temporary file is removed and
the destination is untouched, even when closing the temporary file itself fails (a full disk fails
the last flush).

A temporary file is named `.<name>.<pid>-<random>.edi837.tmp`: the pid lets the next run remove what
a killed run (kill -9, power loss) left behind without touching a live run's file (leftovers.py).

Only a regular file is ever replaced (safety.refuse_special): a device, FIFO, socket, folder or link at an
output path is refused, untouched. Files with patient data are written for their owner (modes.data_file_mode).
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

from edi837.errors import OutputFailed, one_line
from edi837.files.leftovers import TEMP_SUFFIX
from edi837.files.modes import data_file_mode
from edi837.files.names import Companion, place_new, short_name
from edi837.files.safety import refuse_special
from edi837.forking import signals_held

# Temporary files this process created and has neither committed nor removed. An interrupt (SIGTERM,
# Ctrl-C) is raised as KeyboardInterrupt wherever the main thread is: between a temp file's creation and
# the moment its writer's cleanup is registered (`with` / ExitStack.enter_context), no __exit__ would run.
# The entry point removes what is left here when it unwinds (`remove_live_temps`).
_LIVE_TEMPS: set[Path] = set()


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


class _OutputFile(io.BufferedRandom):
    """A temporary output file whose write and flush failures say which output failed (OutputFailed),
    so a full disk is reported as "cannot write OUT", not as an internal error."""

    label = ""

    def write(self, data: Any) -> int:
        try:
            return super().write(data)
        except OSError as error:
            raise OutputFailed(f"{self.label}: cannot be written ({error.strerror or error}); nothing written") \
                from None

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as error:
            raise OutputFailed(f"{self.label}: cannot be written ({error.strerror or error}); nothing written") \
                from None


class AtomicWriter:
    """A read-write temporary file beside `path` that takes its place when the block ends cleanly and
    `commit` is still true; otherwise the temporary file is removed and `path` is untouched.

    The new file gets the permissions, owner and group of `mode_like` when given (in-place rewrites keep
    the original's), else `mode`, else 0600 minus umask (`data_file_mode`). `before_replace` runs just
    before the rename and may raise to abort it (the hook checks there that FILE was not changed meanwhile).
    Only a regular file (or nothing) at `path` is ever replaced: a device, FIFO, socket, folder or link
    there is refused at that last moment too (TargetRefused), untouched.

    With `replace=False` nothing is ever replaced: the file is placed under `path` if free, else the first
    free numbered sibling (names.place_new, with `companion`), and `final` says which. `place()` commits
    before the block ends (after `finish()`, which does everything that can fail but the rename), so a
    caller can commit several files in an order of its own.
    """

    def __init__(self, path: Path, *, mode_like: Path | None = None,
                 before_replace: Callable[[], None] | None = None, mode: int | None = None,
                 replace: bool = True, companion: Companion | None = None, what: str = "output") -> None:
        self.path = path
        self.mode_like = mode_like
        self.before_replace = before_replace
        self.mode = mode
        self.replace = replace
        self.companion = companion
        self.what = what
        self.directory = path.parent if str(path.parent) else Path(".")
        self.commit = True
        self.temp_path: Path | None = None
        self.final: Path | None = None  # where the file went, once placed
        self._finished = False
        self.handle: IO[bytes]

    def __enter__(self) -> AtomicWriter:
        try:
            with signals_held():  # the file exists only once it is known to _LIVE_TEMPS
                fd, name = tempfile.mkstemp(prefix=f".{short_name(self.path.name)}.{os.getpid()}-",
                                            suffix=TEMP_SUFFIX, dir=self.directory)
                self.temp_path = Path(name)
                _LIVE_TEMPS.add(self.temp_path)
        except OSError as error:
            raise OutputFailed(f"{self.path}: cannot be written ({error.strerror or error}); nothing written") \
                from None
        handle = _OutputFile(io.FileIO(fd, "r+"))
        handle.label = str(self.path)
        self.handle = cast(IO[bytes], handle)
        return self

    def finish(self) -> None:
        """Flush, fsync and close the temporary file and give it its mode: all of the commit but the rename."""
        assert self.temp_path is not None
        if self._finished:
            return
        self.handle.flush()
        _fsync(self.handle.fileno(), self.path)
        self.handle.close()
        try:
            if self.mode_like is not None:
                _copy_owner_and_mode(self.mode_like, self.temp_path)
            else:
                os.chmod(self.temp_path, data_file_mode() if self.mode is None else self.mode)
        except OSError as error:
            raise OutputFailed(f"{self.path}: cannot be written ({error.strerror or error}); nothing written") \
                from None
        self._finished = True

    def place(self) -> Path:
        """Commit now: rename over `path` (or, with replace=False, place under a free name); returns where.
        If it fails, the block's end removes the temporary file instead of trying again."""
        assert self.temp_path is not None
        self.commit = False
        self.finish()
        try:
            if self.replace:
                refuse_special(self.path, self.what)
                if self.before_replace is not None:
                    self.before_replace()
                os.replace(self.temp_path, self.path)
                final = self.path
            else:
                final = place_new(self.temp_path, self.path, self.companion)
        except OSError as error:
            raise OutputFailed(f"{self.path}: cannot be written ({error.strerror or error}); nothing written") \
                from None
        self.final = final
        _LIVE_TEMPS.discard(self.temp_path)
        fsync_directory(self.directory)
        return final

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        assert self.temp_path is not None
        try:
            if kind is None and self.commit and self.final is None:
                self.place()
        finally:
            if self.final is None:
                # A close that fails (the last flush on a full disk) must not keep the temp file alive.
                with contextlib.suppress(Exception):
                    self.handle.close()
                with contextlib.suppress(OSError):
                    self.temp_path.unlink()
                _LIVE_TEMPS.discard(self.temp_path)


def remove_live_temps() -> int:
    """Remove this process's temporary files that no writer committed or removed (an interrupt that landed
    before a writer's cleanup was registered); returns how many. Called by the entry point as it unwinds
    from a failure, when nothing of the run may be left behind."""
    removed = 0
    for path in list(_LIVE_TEMPS):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
        _LIVE_TEMPS.discard(path)
    return removed


def _copy_owner_and_mode(original: Path, temp: Path) -> None:
    info = os.stat(original)
    mine = os.stat(temp)
    if (mine.st_uid, mine.st_gid) != (info.st_uid, info.st_gid):
        os.chown(temp, info.st_uid, info.st_gid)
    os.chmod(temp, stat.S_IMODE(info.st_mode))


def _fsync(fd: int, path: Path) -> None:
    try:
        os.fsync(fd)
    except OSError as error:
        raise OutputFailed(f"{path}: cannot be written ({error.strerror or error}); nothing written") from None


@contextlib.contextmanager
def atomic_output(path: Path, *, mode_like: Path | None = None) -> Iterator[IO[bytes]]:
    """Yield a temporary file that replaces `path` atomically on a clean exit (see AtomicWriter)."""
    with AtomicWriter(path, mode_like=mode_like) as writer:
        yield writer.handle


def reason_path(rejected: Path) -> Path:
    """The reason file beside a file set aside in a rejected/ folder (the watcher's and the batch's)."""
    return rejected.with_name(f"{short_name(rejected.name, 200)}.reason.txt")


def write_reason(rejected: Path, name: str, reason: str) -> Path:
    """Write, atomically, the one line that says why `rejected` was set aside: `<UTC time> <name>: <reason>`,
    both made safe for one line. The watcher and the batch word it alike, so one tool reads both."""
    path = reason_path(rejected)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with AtomicWriter(path) as writer:
        writer.handle.write(f"{stamp} {one_line(name)}: {one_line(reason)}\n".encode())
    return path

