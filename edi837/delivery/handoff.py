"""Handing one file over from OUTBOUND to READY: fix, journal, deliver, archive (or reject), exactly once.

The protocol and the meaning of each journal state are in delivery.py; the watcher (watcher.py) decides
*when* a file is taken, this module *how*. Everything that can run out (READY or OUTBOUND full or
read-only, a name too long for READY) either completes or leaves the file where it was with nothing
behind, raising Deferred so the watcher tries again later; nothing here is ever retried in a loop.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edi837.delivery.fileio import (
    AtomicWriter,
    current_umask,
    fsync_directory,
    open_regular,
    remove_dead_temps,
    short_name,
)
from edi837.delivery.journal import (
    STATE,
    TEMP,
    Entry,
    Journal,
    archive_original,
    free_name,
    move,
    name_key,
    problem_of,
    rename_noreplace,
    scope_of,
    sha256_of,
    sha256_path,
)
from edi837.delivery.outputs import Outputs
from edi837.delivery.wholeness import held_for_writing
from edi837.errors import InputRefused, OutputFailed, one_line, outcome_of
from edi837.log import get_logger
from edi837.pipeline import FixOptions

log = get_logger("edi837.watch")


class Deferred(Exception):
    """The file must wait (a resource ran out, READY has its name): it stays in OUTBOUND, nothing left behind."""

    def __init__(self, reason_kind: str) -> None:
        super().__init__(reason_kind)
        self.reason_kind = reason_kind


class Handoff:
    """The folders of one OUTBOUND/READY pair and the steps that move a file between them."""

    def __init__(self, outbound: Path, ready: Path, options: FixOptions) -> None:
        self.outbound = outbound
        self.ready = ready
        self.options = options
        self.archive = outbound / "archive"
        self.rejected = outbound / "rejected"
        self.logs = outbound / "logs"
        self.state = outbound / STATE
        self.journal = Journal(self.state / "journal")
        self.temp_root = ready / TEMP
        self.scope = scope_of(outbound)
        self.scope_dir = self.temp_root / self.scope
        self.reported: set[tuple[str, str]] = set()  # (name, what) already logged in this process

    def recover(self) -> list[str]:
        """Finish what a crashed run left: journal entries first (a staged file is delivered if its original
        is unchanged, a delivered one archived), then this watcher's stale temporary files: in its own scope
        of READY/.edi837-tmp and not named by its journal, and the `.<name>.*.edi837.tmp` leftovers of atomic
        writes in its own folders. Nothing of another watcher's scope is touched."""
        for folder in (self.journal.folder, self.logs, self.rejected):  # ours alone: the lock is held
            for leftover in folder.glob(".*.edi837.tmp"):
                leftover.unlink(missing_ok=True)
        remove_dead_temps(self.archive)  # archive/ may be a volume other watchers copy into too
        named = set()
        outcomes = []
        for entry_path, entry in self.journal.entries():
            if entry is None:
                log.warning("watch.recovered", file=entry_path.name, outcome="unreadable-journal-entry")
                self.journal.remove(entry_path)
                continue
            named.add(entry.temp)
            try:
                outcome = self._resume(entry_path, entry)
            except (Deferred, OSError, OutputFailed) as error:
                outcome = "deferred"
                log.warning("watch.recovered", file=entry.name, outcome=outcome, reason_kind=str(error))
            if outcome is not None:
                outcomes.append(outcome)
        with contextlib.suppress(OSError):
            for stale in self.scope_dir.iterdir():
                if f"{self.scope}/{stale.name}" not in named:
                    stale.unlink(missing_ok=True)
        return outcomes

    # -- journal states ----------------------------------------------------------------------------
    def _resume(self, entry_path: Path, entry: Entry) -> str | None:
        """Carry a journaled file on from its state; None when the journal has nothing to say about the file
        now in OUTBOUND under that name (it is then processed as a new file)."""
        source = self.outbound / entry.name
        temp = self.temp_root / entry.temp
        if entry.state == "staged" and os.path.lexists(temp):  # never reached READY
            if self._source_state(source, entry) != "same":
                temp.unlink(missing_ok=True)
                self.journal.remove(entry_path)
                return None
            if not rename_noreplace(temp, self.ready / entry.name):
                log.warning("watch.file", file=entry.name, outcome="deferred", reason_kind="ready-has-same-name")
                return "deferred"
            fsync_directory(self.ready)
            log.info("watch.recovered", file=entry.name, outcome="delivered")
        if entry.state == "staged":
            entry.state = "delivered"
            with contextlib.suppress(OSError, OutputFailed):
                self.journal.write(entry)
        return self._archive_delivered(entry_path, entry)

    def _source_state(self, source: Path, entry: Entry) -> str:
        """"same" (the bytes the entry names), "appended" (those bytes and more), "other", or "gone"."""
        try:
            info = os.lstat(source)
        except FileNotFoundError:
            return "gone"
        if not stat.S_ISREG(info.st_mode):
            return "other"
        if (info.st_size, info.st_mtime_ns) == (entry.input_size, entry.input_mtime_ns):
            return "same"
        if info.st_size == entry.input_size and sha256_path(source) == entry.input_sha256:
            return "same"
        if info.st_size > entry.input_size >= 0 and sha256_path(source, entry.input_size) == entry.input_sha256:
            return "appended"
        return "other"

    def _archive_delivered(self, entry_path: Path, entry: Entry) -> str | None:
        """The original of a delivered file: to archive/; if that fails, `stuck` and reported (never
        delivered again). One that grew after it was delivered goes to rejected/ for a person."""
        source = self.outbound / entry.name
        state = self._source_state(source, entry)
        if state in ("gone", "other"):
            self.journal.remove(entry_path)
            return None
        if state == "appended":
            self.journal.remove(entry_path)
            return self.reject(source, f"it changed after its first {entry.input_size} bytes were delivered to "
                                        f"READY ({entry.at}); those claims are delivered, the rest are not: "
                                        "send only the new claims in a new file")
        try:
            archive_original(source, self.archive, entry)
        except (OSError, OutputFailed) as error:
            entry.state, entry.problem = "stuck", problem_of(error)
            with contextlib.suppress(OSError, OutputFailed):
                self.journal.write(entry)
            if (entry.name, "stuck") not in self.reported:
                self.reported.add((entry.name, "stuck"))
                log.error("watch.file", file=entry.name, outcome="archive-failed", reason_kind=entry.problem)
            return "stuck"
        self.journal.remove(entry_path)
        return "archived"

    # -- one file ----------------------------------------------------------------------------------
    def change_log(self, archive_as: str) -> Path:
        """logs/<archived name>.changes.jsonl, the name shortened to fit the file system's limit."""
        return self.logs / f"{short_name(archive_as, 200)}.changes.jsonl"

    def process(self, path: Path) -> str:
        started = time.perf_counter()
        name = path.name
        found = self.journal.find(name)
        if found is not None:
            outcome = self._resume(*found)
            if outcome is not None:
                return outcome
        if os.path.lexists(self.ready / name):
            # The uploader has not taken the previous file of that name yet: never overwrite it.
            raise Deferred("ready-has-same-name")
        with open_regular(path) as handle:
            before = os.fstat(handle.fileno())
            input_sha = sha256_of(handle)
        archive_as = free_name(self.archive, name).name  # a reused name keeps both files and both logs
        # The change log streams into its own temporary file and is committed before the journal entry and
        # the rename, so a delivered file always has one.
        try:
            outputs = Outputs(changelog=self.change_log(archive_as)).__enter__()
        except (OSError, OutputFailed) as error:
            raise Deferred(problem_of(error)) from None
        temp: Path | None = None
        keep = False
        try:
            try:
                self.scope_dir.mkdir(parents=True, exist_ok=True)
                fd, temp_name = tempfile.mkstemp(prefix=f"{name_key(name)[:16]}.", suffix=".tmp", dir=self.scope_dir)
            except OSError as error:
                raise Deferred(problem_of(error)) from None
            temp = self.scope_dir / temp_name
            try:
                with os.fdopen(fd, "w+b") as sink:
                    result = outputs.run(lambda: open_regular(path), self.options, sink=sink)
                    sink.flush()
                    os.fsync(sink.fileno())
            except InputRefused as refused:
                return self.reject(path, f"refused: {refused}", started)
            except (OSError, OutputFailed) as error:
                raise Deferred(problem_of(error)) from None
            except Exception as error:  # a bug must not lose the file: it goes to rejected/
                return self.reject(path, outcome_of(error)[1], started)
            if self._changed_since_read(path, before, input_sha):  # still being written: take it again later
                raise Deferred("changed-while-read")
            keep = True
        finally:
            if not keep:
                outputs.discard()
                outputs.__exit__(None, None, None)  # discarding never raises
                if temp is not None:
                    temp.unlink(missing_ok=True)
        try:
            outputs.__exit__(None, None, None)  # commits the change log
        except (OSError, OutputFailed) as error:
            temp.unlink(missing_ok=True)
            raise Deferred(problem_of(error)) from None
        entry = Entry(name, input_sha, before.st_size, before.st_mtime_ns, "", f"{self.scope}/{temp.name}", archive_as)
        return self._deliver(path, temp, entry, result, started)

    def _deliver(self, path: Path, temp: Path, entry: Entry, result: Any, started: float) -> str:
        """Steps 3 to 5: journal, rename into READY, archive. Undelivered, nothing of it stays: the temp file,
        the journal entry and the change log (committed in step 2) go."""

        def undo(entry_path: Path | None) -> None:
            temp.unlink(missing_ok=True)
            if entry_path is not None:
                self.journal.remove(entry_path)
            with contextlib.suppress(OSError):
                self.change_log(entry.archive_as).unlink(missing_ok=True)

        try:
            os.chmod(temp, 0o666 & ~current_umask())
            entry.output_sha256 = sha256_path(temp)
            entry_path = self.journal.write(entry)
        except (OSError, OutputFailed) as error:
            undo(None)
            raise Deferred(problem_of(error)) from None
        try:
            delivered = rename_noreplace(temp, self.ready / entry.name)  # step 4: the moment of delivery
        except OSError as error:
            undo(entry_path)
            if error.errno == errno.ENAMETOOLONG:
                return self.reject(path, "its name is too long for the READY folder's file system; give it a "
                                          "shorter name", started)
            raise Deferred(problem_of(error)) from None
        if not delivered:
            undo(entry_path)
            raise Deferred("ready-has-same-name")
        fsync_directory(self.ready)
        entry.state = "delivered"
        with contextlib.suppress(OSError, OutputFailed):
            self.journal.write(entry)
        outcome = "review" if result.exit_code else "delivered"
        log.info("watch.file", file=entry.name, outcome=outcome, claims=result.claims,
                 changed_claims=result.changed_claims, applied=result.applied_count, review=result.review_count,
                 warnings=len(result.warnings), duration=round(time.perf_counter() - started, 3))
        after = self._archive_delivered(entry_path, entry)
        return after if after in ("stuck", "rejected") else outcome

    def _changed_since_read(self, path: Path, before: os.stat_result, input_sha: str) -> bool:
        try:
            now = os.lstat(path)
        except FileNotFoundError:
            return True
        if (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) != (before.st_dev, before.st_ino, before.st_size,
                                                                      before.st_mtime_ns):
            return True
        if held_for_writing({(now.st_dev, now.st_ino)}):
            return True
        return sha256_path(path) != input_sha

    def reject(self, path: Path, reason: str, started: float | None = None, *, shown_as: str | None = None) -> str:
        """Move `path` into rejected/ with a reason file; if rejected/ cannot take it, it stays and waits."""
        name = shown_as or path.name
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        target = free_name(self.rejected, name)
        reason_path = self.rejected / f"{short_name(target.name, 200)}.reason.txt"
        try:
            with AtomicWriter(reason_path) as writer:
                writer.handle.write(f"{stamp} {one_line(name)}: {one_line(reason)}\n".encode())
            move(path, target) if stat.S_ISREG(os.lstat(path).st_mode) else os.replace(path, target)
        except (OSError, OutputFailed) as error:
            reason_path.unlink(missing_ok=True)
            raise Deferred(problem_of(error)) from None
        fsync_directory(self.rejected)
        duration = round(time.perf_counter() - started, 3) if started else None
        log.warning("watch.file", file=name, outcome="rejected", reason_kind=_kind(reason), duration=duration)
        return "rejected"

    def reject_quietly(self, path: Path, reason: str, *, shown_as: str | None = None) -> str:
        """`reject`, but a rejected/ that cannot take it now is reported once, not raised."""
        try:
            return self.reject(path, reason, shown_as=shown_as)
        except (Deferred, OSError) as problem:
            if (path.name, "reject") not in self.reported:
                self.reported.add((path.name, "reject"))
                log.error("watch.file", file=path.name, outcome="deferred", reason_kind=str(problem))
            return "deferred"


def _kind(reason: str) -> str:
    """A short, data-free label of a rejection reason for the log line (the reason file has the words)."""
    if reason.startswith("refused:"):
        return "refused"
    if reason.startswith("internal error"):
        return "internal-error"
    return "not-a-claim-file"


__all__ = ["Deferred", "Handoff"]
