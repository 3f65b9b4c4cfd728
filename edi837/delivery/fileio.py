"""Files that never end up half written: atomic replace, stdin spooling, borrowed handles, safe opening.

A claim file is money. Every output (the fixed 837, the change log, the report, the hook's in-place
rewrite) is written to a temporary file in the destination's own directory, flushed and fsynced,
then renamed over the destination, and the directory is fsynced. A crash at any point leaves either
the old file or the new one, whole. On an error inside the block the temporary file is removed and
the destination is untouched, even when closing the temporary file itself fails (a full disk fails
the last flush).

A temporary file is named `.<name>.<pid>-<random>.edi837.tmp`: the pid lets the next run remove what
a killed run (kill -9, power loss) left behind without touching a live run's file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import re
import shutil
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

from edi837.errors import InputRefused, OutputFailed, one_line
from edi837.forking import signals_held

_umask_lock = threading.Lock()
TEMP_SUFFIX = ".edi837.tmp"
STALE_AFTER = 24 * 3600.0  # a temp file whose pid cannot be checked is stale after a day
_NAME_BUDGET = 120  # bytes of the target's name kept in a temp name (file systems allow 255)
# Temporary files this process created and has neither committed nor removed. An interrupt (SIGTERM,
# Ctrl-C) is raised as KeyboardInterrupt wherever the main thread is: between a temp file's creation and
# the moment its writer's cleanup is registered (`with` / ExitStack.enter_context), no __exit__ would run.
# The entry point removes what is left here when it unwinds (`remove_live_temps`).
_LIVE_TEMPS: set[Path] = set()


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


def short_name(name: str, budget: int = _NAME_BUDGET) -> str:
    """`name`, or when it is longer than `budget` bytes its start plus a hash of the whole: derived names
    (temp files, change logs, reason files) then stay within the file system's 255-byte limit."""
    raw = name.encode("utf-8", "surrogateescape")
    if len(raw) <= budget:
        return name
    digest = hashlib.sha256(raw).hexdigest()[:12]
    head = raw[: budget - 13].decode("utf-8", "ignore")
    return f"{head}~{digest}"


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
    """A read-write temporary file beside `path` that replaces it atomically when the block ends cleanly
    and `commit` is still true; otherwise the temporary file is removed and `path` is untouched.

    The new file gets the permissions, owner and group of `mode_like` when given (in-place rewrites keep
    the original's), else the usual 0666 minus umask. `before_replace` runs just before the rename and
    may raise to abort it (the hook checks there that FILE was not changed meanwhile).
    """

    def __init__(self, path: Path, *, mode_like: Path | None = None,
                 before_replace: Callable[[], None] | None = None) -> None:
        self.path = path
        self.mode_like = mode_like
        self.before_replace = before_replace
        self.directory = path.parent if str(path.parent) else Path(".")
        self.commit = True
        self.temp_path: Path | None = None
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

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        assert self.temp_path is not None
        committed = False
        try:
            if kind is None and self.commit:
                self.handle.flush()
                _fsync(self.handle.fileno(), self.path)
                self.handle.close()
                try:
                    if self.mode_like is not None:
                        _copy_owner_and_mode(self.mode_like, self.temp_path)
                    else:
                        os.chmod(self.temp_path, 0o666 & ~current_umask())
                    if self.before_replace is not None:
                        self.before_replace()
                    os.replace(self.temp_path, self.path)
                except OSError as error:
                    raise OutputFailed(f"{self.path}: cannot be written ({error.strerror or error}); "
                                       "nothing written") from None
                committed = True
                _LIVE_TEMPS.discard(self.temp_path)
                fsync_directory(self.directory)
        finally:
            if not committed:
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

