"""The outbound-folder watcher: `edi-fix watch OUTBOUND --to READY [--once] [--settle SECONDS]`.

A practice-management system drops 837 files into OUTBOUND; the clearinghouse uploader takes them from
READY. The watcher moves each file across, fixed, and must never lose one, never hand READY half a
file, and never deliver one file twice (a duplicate claim file is a duplicate submission).

How each file is delivered, so that a crash (even `kill -9`) at any instant is recoverable:
  1. the file is taken only when whole: its size has not changed for `--settle` seconds and it ends
     with an IEA segment (a file that never gets one is taken once it has sat unchanged for a long
     while, and is then refused as truncated);
  2. it is fixed into a temporary file under READY/.edi837-tmp/ (same file system as READY, not a file
     an uploader looks at), fsynced;
  3. a journal entry (input hash, output hash, temporary name) is written to OUTBOUND/.edi837/journal/;
  4. the temporary file is renamed into READY (atomic), READY is fsynced;
  5. the original moves to OUTBOUND/archive/ and the journal entry is removed.
The change log (OUTBOUND/logs/<name>.changes.jsonl) is written between steps 2 and 3, so a delivered
file always has one.
On restart a journal entry whose temporary file still exists means step 4 never happened: it is done
now. An entry whose temporary file is gone means the file was delivered: only step 5 remains. A rename
is atomic, so exactly one of the two holds, and a delivered file is never delivered again, even if
the uploader has already taken it out of READY. Temporary files without a journal entry are stale
work and are removed.

Refused inputs move to OUTBOUND/rejected/ with a `<name>.reason.txt` beside them. A second watcher on
the same OUTBOUND refuses to start (an flock on OUTBOUND/.edi837/watch.lock). SIGTERM or SIGINT lets
the file in hand finish, then the watcher exits 0.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import structlog

from edi837.changelog import ChangeLogWriter
from edi837.errors import InputRefused
from edi837.fileio import AtomicWriter, current_umask, fsync_directory, open_input_path
from edi837.pipeline import FixOptions, run
from edi837.x12.envelope import BOM, ISA_LENGTH, WHITESPACE

log = structlog.get_logger("edi837.watch")

STATE = ".edi837"
TEMP = ".edi837-tmp"
IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp")
OWN_FOLDERS = ("archive", "rejected", "logs", STATE)


class WatchRefused(InputRefused):
    """The watcher cannot start (folders missing, another watcher running)."""


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)

    def exit_code(self) -> int:
        """0 all done; 1 some need review or wait; 2 some were rejected."""
        if self.outcomes["rejected"]:
            return 2
        if self.outcomes["review"] or self.outcomes["deferred"]:
            return 1
        return 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def looks_complete(path: Path) -> bool:
    """True when the file ends with an IEA segment, or is not an X12 file at all (then it is whole as
    far as anyone can tell, and will be refused)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(ISA_LENGTH + len(BOM))
            if head.startswith(BOM):
                head = head[len(BOM):]
            if not head.startswith(b"ISA") or len(head) < ISA_LENGTH:
                return len(head) > 0
            term, ele = head[105:106], head[3:4]
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 4096))
            tail = handle.read().rstrip(WHITESPACE)
    except OSError:
        return False
    if not tail.endswith(term):
        return False
    last = tail[:-1].rsplit(term, 1)[-1].lstrip(WHITESPACE)
    return last.startswith(b"IEA" + ele)


class FolderWatcher:
    def __init__(self, outbound: Path, ready: Path, options: FixOptions, *, settle: float = 2.0,
                 rescan: float = 5.0, stale_after: float | None = None) -> None:
        self.outbound = outbound
        self.ready = ready
        self.options = options
        self.settle = settle
        self.rescan = rescan
        self.stale_after = stale_after if stale_after is not None else max(60.0, 10 * settle)
        self.archive = outbound / "archive"
        self.rejected = outbound / "rejected"
        self.logs = outbound / "logs"
        self.state = outbound / STATE
        self.journal = self.state / "journal"
        self.temp = ready / TEMP
        self.tally = Tally()
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self._seen: dict[str, tuple[int, int, float]] = {}  # name -> (size, mtime_ns, since)
        self._lock_fd: int | None = None

    # -- start-up ----------------------------------------------------------------------------------
    def prepare(self) -> None:
        if not self.outbound.is_dir():
            raise WatchRefused(f"{self.outbound}: the outbound folder does not exist")
        if not self.ready.is_dir():
            raise WatchRefused(f"{self.ready}: the ready folder (--to) does not exist")
        if self.ready.resolve() == self.outbound.resolve():
            raise WatchRefused("--to must be another folder than OUTBOUND, or fixed files would be taken again")
        for folder in (self.archive, self.rejected, self.logs, self.journal, self.temp):
            folder.mkdir(parents=True, exist_ok=True)
        self._lock()
        self.recover()

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

    def recover(self) -> None:
        """Finish what a crashed run left: journal entries first, then stale temporary files (work in
        READY/.edi837-tmp that never got a journal entry, and half-written journal entries, change logs and
        reason files, which an atomic write leaves as `.<name>.*.edi837.tmp` when killed)."""
        for folder in (self.journal, self.logs, self.rejected):
            for leftover in folder.glob(".*.edi837.tmp"):
                leftover.unlink(missing_ok=True)
        pending = {}
        for entry_path in sorted(self.journal.glob("*.json")):
            try:
                entry = json.loads(entry_path.read_text())
                if not {"name", "temp", "input_sha256"} <= entry.keys():
                    raise KeyError("journal entry without name, temp or input hash")
            except (OSError, ValueError, KeyError, TypeError):
                log.warning("watch.recovered", file=entry_path.name, outcome="unreadable-journal-entry")
                entry_path.unlink(missing_ok=True)
                continue
            pending[entry["temp"]] = entry
            self._finish(entry, entry_path)
        for stale in self.temp.iterdir():
            if stale.name not in pending:
                stale.unlink(missing_ok=True)

    def _finish(self, entry: dict[str, Any], entry_path: Path) -> None:
        """Complete a delivery the journal says was under way (steps 4 and 5)."""
        name = entry["name"]
        temp = self.temp / entry["temp"]
        if temp.exists():
            os.replace(temp, self.ready / name)
            fsync_directory(self.ready)
            log.info("watch.recovered", file=name, outcome="delivered")
        source = self.outbound / name
        if source.exists() and _sha256(source) == entry["input_sha256"]:
            self._move(source, self.archive)
        entry_path.unlink(missing_ok=True)

    # -- which files are whole ---------------------------------------------------------------------
    def candidates(self) -> list[Path]:
        out = []
        for path in sorted(self.outbound.iterdir()):
            name = path.name
            if name.startswith(".") or name.endswith(IGNORED_SUFFIXES) or name in OWN_FOLDERS:
                continue
            if path.is_file():
                out.append(path)
        return out

    def whole(self, path: Path, now: float) -> bool:
        """Seen with the same size and mtime for `settle` seconds, and complete (or stale)."""
        try:
            info = path.stat()
        except FileNotFoundError:
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

    # -- one file ----------------------------------------------------------------------------------
    def process(self, path: Path) -> str:
        started = time.perf_counter()
        name = path.name
        self._seen.pop(name, None)
        if (self.ready / name).exists():
            # The uploader has not taken the previous file of that name yet: never overwrite it.
            log.warning("watch.file", file=name, outcome="deferred", reason_kind="ready-has-same-name")
            return "deferred"
        input_sha = _sha256(path)
        fd, temp_name = _mkstemp(self.temp, name)
        temp = self.temp / temp_name
        # The change log streams into its own temporary file and is committed before the journal entry
        # and the rename, so a delivered file always has one.
        archived = self._free_name(self.archive, name)  # a reused name keeps both files and both logs
        with ChangeLogWriter(self.logs / f"{archived.name}.changes.jsonl") as changes:
            options = replace(self.options, record_sink=changes.write, keep_records=False)
            try:
                with os.fdopen(fd, "w+b") as sink:
                    result = run(lambda: open_input_path(path), sink, options)
                    sink.flush()
                    os.fsync(sink.fileno())
            except InputRefused as refused:
                temp.unlink(missing_ok=True)
                changes.discard()
                return self._reject(path, f"refused: {refused}", started)
            except Exception as error:  # a bug must not lose the file: it goes to rejected/
                temp.unlink(missing_ok=True)
                changes.discard()
                return self._reject(path, f"internal error: {type(error).__name__}: {error}", started)
            if _sha256(path) != input_sha:  # it changed while we read it: still being written
                temp.unlink(missing_ok=True)
                changes.discard()
                log.warning("watch.file", file=name, outcome="deferred", reason_kind="changed-while-read")
                return "deferred"
        os.chmod(temp, 0o666 & ~current_umask())
        entry = {"name": name, "input_sha256": input_sha, "output_sha256": _sha256(temp), "temp": temp_name,
                 "at": datetime.now(UTC).isoformat()}
        entry_path = self.journal / f"{name}.json"
        with AtomicWriter(entry_path) as journal:
            journal.handle.write(json.dumps(entry).encode())
        os.replace(temp, self.ready / name)  # step 4: the moment of delivery
        fsync_directory(self.ready)
        self._move(path, self.archive, archived)
        entry_path.unlink(missing_ok=True)
        outcome = "review" if result.exit_code else "delivered"
        log.info("watch.file", file=name, outcome=outcome, claims=result.claims, changed_claims=result.changed_claims,
                 applied=result.applied_count, review=result.review_count, warnings=len(result.warnings),
                 duration=round(time.perf_counter() - started, 3))
        return outcome

    def _reject(self, path: Path, reason: str, started: float) -> str:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        target = self._free_name(self.rejected, path.name)
        with AtomicWriter(self.rejected / f"{target.name}.reason.txt") as writer:
            writer.handle.write(f"{stamp} {path.name}: {reason}\n".encode())
        self._move(path, self.rejected, target)
        log.warning("watch.file", file=path.name, outcome="rejected", duration=round(time.perf_counter() - started, 3))
        return "rejected"

    def _free_name(self, folder: Path, name: str) -> Path:
        target = folder / name
        if not target.exists():
            return target
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        return folder / f"{stamp}-{name}"

    def _move(self, path: Path, folder: Path, target: Path | None = None) -> None:
        os.replace(path, target or self._free_name(folder, path.name))
        fsync_directory(folder)
        fsync_directory(self.outbound)

    # -- loops -------------------------------------------------------------------------------------
    def sweep(self, *, report_waiting: bool = False) -> None:
        """Take every file that is whole now; stop early on SIGTERM."""
        now = time.monotonic()
        for path in self.candidates():
            if self.stopping.is_set():
                break
            if self.whole(path, now):
                self.tally.outcomes[self._process_safely(path)] += 1
            elif report_waiting:
                log.info("watch.file", file=path.name, outcome="waiting")

    def _process_safely(self, path: Path) -> str:
        """One file must never stop the others: a file that vanished is skipped; one that cannot be read
        or moved stays where it is, is reported, and the next file is taken."""
        try:
            return self.process(path)
        except FileNotFoundError:
            log.warning("watch.file", file=path.name, outcome="gone")
            return "gone"
        except OSError as error:
            log.error("watch.file", file=path.name, outcome="unreadable", code=type(error).__name__)
            return "deferred"

    def run_once(self) -> int:
        """Process what is there now (waiting `settle` seconds to see which files are whole), then exit."""
        now = time.monotonic()
        for path in self.candidates():
            self.whole(path, now)
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
                self.wake.wait(min(self.rescan, max(self.settle / 2, 0.05)) if self._seen else self.rescan)
                self.wake.clear()
        finally:
            observer.stop()
            observer.join(timeout=5)
        log.info("watch.stopped", folder=str(self.outbound), outcome="stopped")
        return 0

    def stop(self, signum: int = 0, frame: FrameType | None = None) -> None:
        self.stopping.set()
        self.wake.set()

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _mkstemp(folder: Path, name: str) -> tuple[int, str]:
    import tempfile

    fd, path = tempfile.mkstemp(prefix=f"{name}.", suffix=".tmp", dir=folder)
    return fd, Path(path).name


def watch(outbound: Path, ready: Path, options: FixOptions, *, once: bool, settle: float) -> int:
    """The `edi-fix watch` entry point: returns the exit code."""
    watcher = FolderWatcher(outbound, ready, options, settle=settle)
    previous = {sig: signal.signal(sig, watcher.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        watcher.prepare()
        return watcher.run_once() if once else watcher.run_forever()
    finally:
        watcher.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


__all__ = ["FolderWatcher", "WatchRefused", "looks_complete", "watch"]

