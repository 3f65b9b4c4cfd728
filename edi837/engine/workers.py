"""The `--jobs` workers on this machine: forked processes that can die, or be stopped, at any moment
without taking the run with them or holding it up.

Why not concurrent.futures.ProcessPoolExecutor, which this replaced: its workers share one queue of chunks
and one of answers, the answers read by a thread of the caller's. A worker killed halfway through writing
its answer left half a message in that queue; the thread waited for the rest for ever (the caller holds
the queue's other end too, so no end of file ever comes), never looked at the dead worker again, and the
caller waited on the thread: a run that hung, and that SIGTERM could not end either (an interrupted run
still waits for the pool's thread on its way out).

Here each worker has two pipes of its own, one for chunks and one for its answers, and only the worker
holds their far ends. Its death is an end of file on both, wherever it was: reading a chunk, running one,
halfway through an answer, idle. The caller waits for an answer on that pipe and on the worker's process
together, so a wait ends with the answer or with the worker; and the caller runs no thread, so a signal
interrupts any of its waits at once. The worker reads its chunks in a thread of its own, so the caller's
sends never wait on the rules (`AHEAD` per worker bounds what it holds), and the answers wait in the
worker's pipe until the caller takes them, in order. Closing ends every worker (killed if it still holds
chunks, or after `GRACE` seconds) and reaps it, whatever signal arrives meanwhile.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from queue import SimpleQueue

from edi837.engine.partners import Partners
from edi837.engine.runner import ClaimOutcome, RuleEngine
from edi837.forking import as_child, signals_held
from edi837.log import ROOT
from edi837.model.claim import Claim

GRACE = 1.0  # seconds a closed worker has to end by itself (an idle one ends at once) before it is killed
_PR_SET_PDEATHSIG = 1  # prctl(2) option: the signal a Linux process gets when its parent dies

Answer = tuple[str, list[ClaimOutcome]]  # who ran a chunk, and its claims' outcomes in order


class WorkerLost(Exception):
    """The worker a chunk went to died (or could not be started): the caller runs the chunk."""


class Unanswered(Exception):
    """The worker's rules raised on this chunk: the caller runs it too, and meets the same error in input
    order, raised by its own code (an error is never carried across the pipe)."""


# A worker's own exit status: nobody waits on it for a verdict (answers come back on the pipes, a worker that
# dies is seen as its pipe's end), so these are not exit codes of the command line (edi837/exits.py).
_ENDED, _ORPHANED = 0, 1

def here() -> str:
    """This process, as a chunk's answer names who ran it (`FixResult.jobs` counts them)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_claims(engine: RuleEngine, claims: list[Claim]) -> Answer:
    """A chunk's answer, wherever it runs: this process's name and each claim's outcome, in order."""
    run = engine.run
    return here(), [run(claim) for claim in claims]


class _Worker:
    """The caller's side of one worker: its process and the ends of its two pipes."""

    def __init__(self, process: BaseProcess, chunks: Connection, answers: Connection) -> None:
        self.process = process
        self.chunks = chunks
        self.answers = answers
        self.away = 0  # chunks sent and not answered
        self.gone = False

    def send(self, claims: list[Claim], partners: Partners) -> None:
        if not self.gone:
            try:
                self.chunks.send((claims, partners))
            except (OSError, ValueError):  # the worker is gone (a broken pipe)
                self.gone = True
            else:
                self.away += 1
                return
        raise WorkerLost("the worker is gone")

    def ready(self) -> bool:
        return self.gone or bool(wait([self.answers, self.process.sentinel], 0))

    def answer(self, timeout: float | None) -> Answer:
        """The answer to the oldest chunk this worker holds, once it is whole, or WorkerLost once the worker
        is gone; TimeoutError after `timeout` seconds of neither."""
        if not self.gone:
            ended = wait([self.answers, self.process.sentinel], timeout)
            if not ended:
                raise TimeoutError
            try:
                # Only a whole message is read: the worker's death ends a half-written one (end of file).
                reply = self.answers.recv() if self.answers in ended or self.answers.poll() else None
            except Exception:  # the worker died before or while answering
                reply = None
            if reply is not None:
                self.away -= 1
                kind, answer = reply
                if kind != "done":
                    raise Unanswered("the worker's rules raised on this chunk")
                return answer  # type: ignore[no-any-return]
            self.gone = True
        raise WorkerLost("the worker died")


class _Away:
    """A chunk sent to a worker (a Remote, engine/farm.py): answered in the order the worker got them."""

    def __init__(self, worker: _Worker) -> None:
        self._worker = worker

    def done(self) -> bool:
        return self._worker.ready()

    def result(self, timeout: float | None = None) -> Answer:
        return self._worker.answer(timeout)

    def cancel(self) -> bool:
        return False  # a worker runs what it got; closing ends it


class LocalWorkers:
    """`count` forked worker processes, started at the first chunk sent; `submit` sends a chunk to the one
    holding fewest. `inherited`: descriptors the workers must close (gate/ahead.py's pipe ends)."""

    def __init__(self, count: int, build: Callable[[], RuleEngine], inherited: tuple[int, ...] = ()) -> None:
        self._count = count
        self._build = build
        self._inherited = inherited
        self._workers: list[_Worker] = []
        self._started = False

    def submit(self, claims: list[Claim], partners: Partners) -> _Away:
        """Send a chunk with its claims' partner lines (engine/partners.py: lines of the file's other claims
        the rules pair them with)."""
        if not self._started:
            self._started = True
            for _ in range(self._count):
                self._start()
        live = [worker for worker in self._workers if not worker.gone]
        if not live:
            raise WorkerLost("no worker is left")
        worker = min(live, key=lambda w: w.away)
        worker.send(claims, partners)
        return _Away(worker)

    def _start(self) -> None:
        context = multiprocessing.get_context("fork")
        chunks_in, chunks_out = context.Pipe(duplex=False)
        answers_in, answers_out = context.Pipe(duplex=False)
        # The caller's ends of every pipe, this worker's own and its elders': a copy held by a worker would
        # keep a pipe open after the process it serves has died.
        theirs = [end for worker in self._workers for end in (worker.chunks, worker.answers)]
        process = context.Process(target=_serve, daemon=True, args=(
            self._build, os.getpid(), chunks_in, answers_out, self._inherited, (*theirs, chunks_out, answers_in)))
        try:
            with signals_held():  # a worker that exists is recorded, and closed with the rest
                process.start()
                self._workers.append(_Worker(process, chunks_out, answers_in))
        except BaseException:
            chunks_out.close()
            answers_in.close()
            raise
        finally:
            chunks_in.close()
            answers_out.close()

    def close(self) -> None:
        """End every worker and reap it; a signal that arrives meanwhile is taken once all are (none is left
        behind, stopped, for the interpreter to wait on at exit). Its pipes closed, an idle worker ends by
        itself (given GRACE seconds); one still holding chunks (a refused or interrupted run, whose answers
        nobody wants) is killed at once."""
        with signals_held():
            for worker in self._workers:
                worker.chunks.close()
                worker.answers.close()
            deadline = time.monotonic() + GRACE
            for worker in self._workers:
                if worker.away == 0:
                    worker.process.join(max(0.0, deadline - time.monotonic()))
            for worker in self._workers:
                if worker.process.exitcode is None:
                    worker.process.kill()
                    worker.process.join()
                worker.process.close()
            self._workers.clear()


def _serve(build: Callable[[], RuleEngine], parent: int, chunks: Connection, answers: Connection,
           inherited: tuple[int, ...], theirs: tuple[Connection, ...]) -> None:
    """A worker's whole life: runs each chunk it is sent and answers it, until its chunk pipe ends (the
    caller is done, or gone) or its answer pipe breaks. It leaves by os._exit, so nothing of the caller's
    (its exit hooks, its temporary files' clean-up) ever runs here, and no traceback is printed."""
    try:
        as_child()  # the caller forked with signals held: until here, one sent waited
        _die_with(parent)
        for fd in inherited:
            with suppress(OSError):
                os.close(fd)
        for end in theirs:
            end.close()
        # The run's information events (which NCCI database and version, say) are the caller's to tell,
        # once; a worker building the same engine would tell them again. Its warnings and errors still go out.
        edi837_logs = logging.getLogger(ROOT)
        edi837_logs.setLevel(max(edi837_logs.getEffectiveLevel(), logging.WARNING))
        inbox: SimpleQueue[tuple[list[Claim], Partners]] = SimpleQueue()
        threading.Thread(target=_receive, args=(chunks, inbox), daemon=True).start()
        engine = build()
        while True:
            claims, partners = inbox.get()
            engine.partners = partners  # the chunk's claims' partner lines, sent with them
            try:
                reply: tuple[str, Answer | None] = ("done", run_claims(engine, claims))
            except Exception:
                reply = ("failed", None)
            answers.send(reply)
    finally:
        os._exit(_ENDED)


def _receive(chunks: Connection, inbox: SimpleQueue[tuple[list[Claim], Partners]]) -> None:
    """The worker's reader: takes each chunk as it comes. The end of the pipe ends the worker at once."""
    try:
        while True:
            inbox.put(chunks.recv())
    finally:
        os._exit(_ENDED)


def _die_with(parent: int) -> None:
    """End this worker when the process that forked it ends, however it ends (SIGKILL included): an orphan
    would go on holding what it inherited, the watcher's lock on OUTBOUND among it. Linux says so at once
    (prctl PR_SET_PDEATHSIG); elsewhere a thread looks every half second."""
    if sys.platform.startswith("linux"):
        with suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(_ORPHANED)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(_ORPHANED)
