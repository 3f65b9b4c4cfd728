"""The outbound-folder watcher: `edi-fix watch OUTBOUND --to READY [--once] [--settle SECONDS]`.

A practice-management system drops 837 files into OUTBOUND; the clearinghouse uploader takes them from
READY. The watcher moves each file across, fixed, and must never lose one, never hand READY half a
file, and never deliver one file twice (a duplicate claim file is a duplicate submission).

How each file is delivered, so that a crash (even `kill -9`) at any instant is recoverable:
  1. the file is taken only when whole (wholeness.py): no process holds it open for writing, its size
     has not changed for `--settle` seconds, and it ends with an IEA segment (a file that never gets one
     is taken once it has sat unchanged for a long while, and is then refused as truncated);
  2. it is fixed into a temporary file under READY/.edi837-tmp/<scope>/, fsynced; its change log is
     committed to OUTBOUND/logs/; if the file changed while it was read, all of that is dropped and the
     file is taken again later;
  3. a journal entry `staged` is written (journal.py says what each state means);
  4. the temporary file is renamed into READY (atomic, never over an existing file): the delivery;
  5. the entry becomes `delivered`, the original moves to OUTBOUND/archive/ (copied then removed across
     file systems), and the entry goes. If the move fails, the entry stays (`stuck`), the file is
     reported and never delivered again.
Anything that runs out (READY or OUTBOUND full or read-only) leaves the file where it is, with no
temporary file behind, and it is tried again later. Refused inputs move to OUTBOUND/rejected/ with a
`<name>.reason.txt` beside them; so does anything that is not a regular file (a symbolic link is never
followed, a FIFO never opened); a folder is reported and left alone.

A second watcher on the same OUTBOUND refuses to start (an flock on OUTBOUND/.edi837/watch.lock).
SIGTERM or SIGINT lets the file in hand finish, then the watcher exits 0.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import stat
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from edi837.delivery.handoff import Deferred, Handoff
from edi837.delivery.journal import problem_of
from edi837.delivery.ledgering import NO_LEDGER, LedgerChoice
from edi837.delivery.wholeness import held_for_writing, looks_complete
from edi837.errors import InputRefused, OutputFailed
from edi837.exits import ExitCode
from edi837.files.modes import make_data_dirs
from edi837.files.safety import kind_of
from edi837.log import get_logger
from edi837.packs.config import CONFIG_NAMES
from edi837.pipeline import FixOptions

log = get_logger("edi837.watch")

IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp")
OWN_FOLDERS = ("archive", "rejected", "logs", "held")
MAX_BACKOFF = 60.0


class WatchRefused(InputRefused):
    """The watcher cannot start (folders missing, another watcher running)."""


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)

    def exit_code(self) -> ExitCode:
        """OK all done; NEEDS_PERSON some need review, wait, or could not be archived; REFUSED some were
        rejected."""
        if self.outcomes["rejected"]:
            return ExitCode.REFUSED
        if self.outcomes["review"] or self.outcomes["held"] or self.outcomes["deferred"] or self.outcomes["stuck"]:
            return ExitCode.NEEDS_PERSON
        return ExitCode.OK


class FolderWatcher:
    def __init__(self, outbound: Path, ready: Path, options: FixOptions, *, settle: float = 2.0,
                 rescan: float = 5.0, stale_after: float | None = None, group_readable: bool = False,
                 ledger: LedgerChoice = NO_LEDGER) -> None:
        self.outbound = outbound
        self.ready = ready
        self.options = options
        self.settle = settle
        self.rescan = rescan
        self.stale_after = stale_after if stale_after is not None else max(60.0, 10 * settle)
        self.handoff = Handoff(outbound, ready, options, group_readable=group_readable)
        self.handoff.ledger = ledger
        self.group_readable = group_readable
        self.archive, self.rejected, self.logs = self.handoff.archive, self.handoff.rejected, self.handoff.logs
        self.state, self.temp_root = self.handoff.state, self.handoff.temp_root
        self.scope_dir = self.handoff.scope_dir
        self.tally = Tally()
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self._seen: dict[str, tuple[int, int, float]] = {}  # name -> (size, mtime_ns, since)
        self._retry: dict[str, tuple[float, float]] = {}  # name -> (not before, current delay)
        self._lock_fd: int | None = None

    # -- start-up ----------------------------------------------------------------------------------
    def prepare(self) -> None:
        if not self.outbound.is_dir():
            raise WatchRefused(f"{self.outbound}: the outbound folder does not exist")
        if not self.ready.is_dir():
            raise WatchRefused(f"{self.ready}: the ready folder (--to) does not exist")
        if self.ready.resolve() == self.outbound.resolve():
            raise WatchRefused("--to must be another folder than OUTBOUND, or fixed files would be taken again")
        for own in (self.state, self.temp_root):
            if os.path.lexists(own) and not own.is_dir():
                raise WatchRefused(f"{own}: is a file, but the watcher keeps its own folder under this name")
        try:
            make_data_dirs(self.handoff.journal.folder, group_readable=self.group_readable)
        except OSError as error:
            raise WatchRefused(f"{self.outbound}: cannot keep the watcher's journal here ({problem_of(error)})") \
                from None
        self._lock()
        try:
            self._make_own_folders()
        except OSError as error:
            raise WatchRefused(f"{self.outbound}: cannot create archive/, rejected/ and logs/ "
                               f"({problem_of(error)})") from None
        with contextlib.suppress(OSError):  # READY may be read-only for now: then files wait
            make_data_dirs(self.scope_dir, group_readable=self.group_readable)
        for outcome in self.handoff.recover():
            self._count(outcome)

    def _lock(self) -> None:
        fd = os.open(self.state / "watch.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise WatchRefused(f"another edi-fix watch is already running on {self.outbound} (pid {other})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def _make_own_folders(self) -> None:
        """Create archive/, rejected/ and logs/. A file (or dangling link) under one of these names would
        stop the watcher, so it is moved aside into rejected/ with a reason, untouched."""
        for name in OWN_FOLDERS:
            path = self.outbound / name
            if os.path.lexists(path) and not path.is_dir():
                os.replace(path, self.state / f"blocked-{name}")
        for folder in (self.archive, self.rejected, self.logs):  # held/ appears with the first held claim
            make_data_dirs(folder, group_readable=self.group_readable)
        for aside in sorted(self.state.glob("blocked-*")):
            name = aside.name.removeprefix("blocked-")
            why = (f"a file named {name!r} was in the way of the watcher's {name}/ folder: moved here untouched; "
                   "give it another name and put it back to have it delivered")
            self._count(self.handoff.reject_quietly(aside, why, shown_as=name))

    # -- which files are whole ---------------------------------------------------------------------
    def scan(self) -> list[tuple[Path, os.stat_result]]:
        """The regular files of OUTBOUND that are candidates. Anything else is dealt with here: a symbolic
        link or a FIFO/socket/device goes to rejected/ (never followed, never opened), a folder is reported."""
        found = []
        try:
            entries = sorted(os.scandir(self.outbound), key=lambda e: e.name)
        except OSError as error:
            log.error("watch.scan", folder=str(self.outbound), reason_kind=problem_of(error))
            return []
        for entry in entries:
            name = entry.name
            if name.startswith(".") or name.endswith(IGNORED_SUFFIXES) or name in OWN_FOLDERS or name in CONFIG_NAMES:
                continue  # ours (archive/ may be a link to another volume), being written (.part), configuration
            path = Path(entry.path)
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                found.append((path, info))
            elif stat.S_ISDIR(info.st_mode):
                if (name, "folder") not in self.handoff.reported:
                    self.handoff.reported.add((name, "folder"))
                    log.warning("watch.file", file=name, outcome="ignored", reason_kind="folder")
            elif stat.S_ISLNK(info.st_mode):
                where = "inside" if _inside(path, self.outbound) else "outside"
                why = (f"it is a symbolic link (to a file {where} OUTBOUND); the watcher does not follow links: "
                       "put the file itself here")
                self._count(self.handoff.reject_quietly(path, why))
            else:
                why = f"it is {kind_of(info.st_mode)}, not a file; the watcher never opens it"
                self._count(self.handoff.reject_quietly(path, why))
        return found

    def whole(self, path: Path, now: float, held: dict[tuple[int, int], int] | None = None,
              info: os.stat_result | None = None) -> bool:
        """No process writing it, seen with the same size and mtime for `settle` seconds, and complete
        (or stale: unchanged for `stale_after` and still incomplete, then refused as truncated)."""
        try:
            info = info or os.lstat(path)
        except FileNotFoundError:
            self._seen.pop(path.name, None)
            return False
        if held and (info.st_dev, info.st_ino) in held:
            self._seen.pop(path.name, None)
            return False
        key = (info.st_size, info.st_mtime_ns)
        seen = self._seen.get(path.name)
        if seen is None or seen[:2] != key:
            self._seen[path.name] = (*key, now)
            return False
        if now - seen[2] < self.settle:
            return False
        if looks_complete(path):
            return True
        return time.time() - info.st_mtime >= self.stale_after

    # -- loops -------------------------------------------------------------------------------------
    def sweep(self, *, report_waiting: bool = False) -> None:
        """Take every file that is whole now; stop early on SIGTERM."""
        now = time.monotonic()
        found = self.scan()
        held = held_for_writing({(info.st_dev, info.st_ino) for _, info in found})
        for path, info in found:
            if self.stopping.is_set():
                break
            if self._retry.get(path.name, (0.0, 0.0))[0] > now:
                continue
            if self.whole(path, now, held, info):
                self._count(self._process_safely(path))
            elif report_waiting:
                writer = held.get((info.st_dev, info.st_ino))
                log.info("watch.file", file=path.name, outcome="waiting",
                         reason_kind="open-for-writing" if writer else "settling", pid=writer)

    def process(self, path: Path) -> str:
        """Hand one file over now (no wholeness check): see Handoff.process."""
        return self.handoff.process(path)

    def _count(self, outcome: str) -> None:
        if outcome != "archived":
            self.tally.outcomes[outcome] += 1

    def _process_safely(self, path: Path) -> str:
        """One file must never stop the others: a file that vanished is skipped; one that must wait stays
        where it is (tried again later, less and less often), is reported, and the next file is taken."""
        self._seen.pop(path.name, None)
        try:
            outcome = self.handoff.process(path)
            if outcome == "stuck":  # delivered, archive/ still failing (reported once): retry less and less
                self._back_off(path.name)
            else:
                self._retry.pop(path.name, None)
            return outcome
        except Deferred as deferred:
            return self._defer(path.name, deferred.reason_kind)
        except FileNotFoundError:
            log.warning("watch.file", file=path.name, outcome="gone")
            return "gone"
        except InputRefused as refused:  # what it is now cannot be opened as a file (a link swapped in)
            return self.handoff.reject_quietly(path, f"refused: {refused}")
        except (OSError, OutputFailed) as error:
            return self._defer(path.name, problem_of(error))

    def _back_off(self, name: str) -> None:
        _, delay = self._retry.get(name, (0.0, 0.0))
        delay = min(MAX_BACKOFF, max(self.settle, 1.0, delay * 2))
        self._retry[name] = (time.monotonic() + delay, delay)

    def _defer(self, name: str, reason_kind: str) -> str:
        self._back_off(name)
        log.warning("watch.file", file=name, outcome="deferred", reason_kind=reason_kind)
        return "deferred"

    def run_once(self) -> int:
        """Process what is there now (waiting `settle` seconds to see which files are whole), then exit."""
        now = time.monotonic()
        for path, info in self.scan():
            self.whole(path, now, None, info)
        if self.settle > 0:
            self.stopping.wait(self.settle)
        self.sweep(report_waiting=True)
        return self.tally.exit_code()

    def run_forever(self) -> int:
        """Watch with file-system events and a periodic rescan until SIGTERM or SIGINT."""
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        wake = self.wake

        class Nudge(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                wake.set()

        observer = Observer()
        observer.schedule(Nudge(), str(self.outbound), recursive=False)
        observer.start()
        log.info("watch.started", folder=str(self.outbound), pid=os.getpid())
        try:
            while not self.stopping.is_set():
                self.sweep()
                busy = self._seen or any(when > time.monotonic() for when, _ in self._retry.values())
                self.wake.wait(min(self.rescan, max(self.settle / 2, 0.05)) if busy else self.rescan)
                self.wake.clear()
        finally:
            observer.stop()
            observer.join(timeout=5)
        log.info("watch.stopped", folder=str(self.outbound), outcome="stopped")
        return ExitCode.OK

    def stop(self, signum: int = 0, frame: FrameType | None = None) -> None:
        self.stopping.set()
        self.wake.set()

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _inside(link: Path, folder: Path) -> bool:
    try:
        return Path(os.path.realpath(link)).is_relative_to(folder.resolve())
    except OSError:
        return False


def watch(outbound: Path, ready: Path, options: FixOptions, *, once: bool, settle: float,
          group_readable: bool = False, ledger: LedgerChoice = NO_LEDGER) -> int:
    """The `edi-fix watch` entry point: returns the exit code. A ledger that cannot be written is found here,
    before any file is taken (exit 2), unless it is best effort."""
    ledger.check(group_readable=group_readable)
    watcher = FolderWatcher(outbound, ready, options, settle=settle, group_readable=group_readable, ledger=ledger)
    previous = {sig: signal.signal(sig, watcher.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        watcher.prepare()
        return watcher.run_once() if once else watcher.run_forever()
    finally:
        watcher.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


__all__ = ["FolderWatcher", "WatchRefused", "looks_complete", "watch"]
