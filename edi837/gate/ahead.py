"""The fast scan run beside the fix path, in a forked process fed the output as it is written.

Why: the scan costs about as much as the fix itself (both are one Python pass over every segment), and
the machines this runs on have two cores. The output is written in order, so a second process can scan
each block the moment the splicer writes it; when the fix ends, the scan ends a moment later, and the
gated run costs little more than the fix alone.

Why fork, and only sometimes (edi837/forking.py): a forked child starts in microseconds with the tables
and expressions already loaded, but forking is safe only in a single-threaded process on a multi-core
machine; there, for files large enough to gain, the scan runs ahead; otherwise it runs after the fix, in
process, exactly as before. The child only reads
the pipe and answers; it never touches a file. If it fails for any reason, the gate scans in process:
the verdict never depends on whether the scan ran ahead. It takes signals as a child (forking.as_child):
SIGTERM ends it (the gate then scans in process), SIGINT is the caller's to handle; the caller's own
handler, which turns SIGTERM into an interrupt of the run, never runs in it.
"""

from __future__ import annotations

import multiprocessing
import os
from contextlib import suppress
from multiprocessing.connection import Connection
from typing import Any

from edi837.forking import as_child, fork_is_safe, signals_held
from edi837.gate.cache import load_tables
from edi837.gate.fast import ScanResult, scan

MIN_BYTES = 256_000  # below this the scan takes a few tens of milliseconds: not worth even a fork
_CHUNK = 1 << 16


def _child(read_fd: int, write_fd: int, answer: Connection, parents_answer: Connection) -> None:
    as_child()  # forked with signals held: one sent until here waited for the child's own handlers
    os.close(write_fd)  # the parent's end, inherited by the fork: kept open, the pipe would never end
    # The parent's end of the answer pipe, inherited too: kept open, an answer larger than the pipe's buffer
    # would block here for ever once the parent stops listening (a refused run), instead of failing at once.
    parents_answer.close()
    try:
        with os.fdopen(read_fd, "rb", buffering=_CHUNK) as pipe:
            result: Any = scan(lambda: pipe)
    except BaseException as error:  # anything at all: the parent scans in process instead
        result = type(error).__name__
    with suppress(OSError):  # a refused run: the parent stopped listening, and nobody needs the answer
        answer.send(result)
    with suppress(OSError):
        answer.close()


class ScanAhead:
    """A scan fed by `write`, answered by `result`; `close` ends it early (a refused run)."""

    def __init__(self) -> None:
        load_tables()  # before the fork: a cold cache is compiled and stored by this process, not the child
        context = multiprocessing.get_context("fork")
        read_fd, self._write_fd = os.pipe()
        try:
            self._answer, child_end = context.Pipe(duplex=False)
        except BaseException:
            os.close(read_fd)
            os.close(self._write_fd)
            raise
        try:
            self._process = context.Process(target=_child, args=(read_fd, self._write_fd, child_end, self._answer),
                                            daemon=True)
            with signals_held():
                self._process.start()
        except BaseException:  # no child: every end is ours to close, or each failed start leaks four fds
            for fd in (read_fd, self._write_fd):
                os.close(fd)
            self._answer.close()
            child_end.close()
            raise
        os.close(read_fd)
        child_end.close()
        self._broken = False

    @classmethod
    def start(cls, input_bytes: int | None) -> ScanAhead | None:
        """A scan ahead when it pays and is safe here, else None."""
        if input_bytes is None or input_bytes < MIN_BYTES or not fork_is_safe():
            return None
        try:
            return cls()
        except Exception:  # no fork here (out of processes, a platform that refuses): scan in process
            return None

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._broken:
            try:
                view = view[os.write(self._write_fd, view):]
            except OSError:  # the child is gone: the gate will scan in process
                self._broken = True

    def result(self) -> ScanResult | None:
        """The scan of everything written, or None when the child could not give one."""
        self._close_pipe()
        try:
            answer = self._answer.recv() if not self._broken else None
        except (EOFError, OSError):
            answer = None
        self.close()
        return answer if isinstance(answer, ScanResult) else None

    @property
    def inherited(self) -> tuple[int, ...]:
        """The descriptors a process forked after this one must close (engine/farm.py's workers do): its
        copy of the data pipe's write end would keep the scan waiting for more, and of the answer pipe's
        read end, the scan's answer waiting for a reader."""
        ends = [self._write_fd] if self._write_fd >= 0 else []
        if not self._answer.closed:
            ends.append(self._answer.fileno())
        return tuple(ends)

    def _close_pipe(self) -> None:
        if self._write_fd >= 0:
            os.close(self._write_fd)
            self._write_fd = -1

    def close(self) -> None:
        """End the child (it ends at the end of its pipe; killed after a few seconds if not) and reap it, a
        signal that arrives meanwhile taken after: none is left behind for the interpreter to wait on."""
        with signals_held():
            self._close_pipe()
            self._answer.close()
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()


class Tee:
    """A sink that also feeds the scan ahead: what the splicer writes goes to both."""

    def __init__(self, sink: Any, ahead: ScanAhead) -> None:
        self._sink = sink
        self._ahead = ahead

    def write(self, data: bytes) -> int:
        written = self._sink.write(data)
        self._ahead.write(data)
        return int(written) if written is not None else len(data)
