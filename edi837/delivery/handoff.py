"""Handing one file over from OUTBOUND to READY: fix, journal, deliver, archive (or reject), exactly once.

The protocol and the meaning of each journal state are in journal.py; the watcher (watch.py) decides
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
from pathlib import Path
from typing import Any

from edi837.delivery.held_place import place_held, staged_names, staged_worklist
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
    reason_kind,
    rename_noreplace,
    scope_of,
    sha256_of,
    sha256_path,
)
from edi837.delivery.ledgering import NO_LEDGER, LedgerChoice
from edi837.delivery.outputs import Outputs, worklist_of
from edi837.delivery.wholeness import held_for_writing
from edi837.errors import InputRefused, OutputFailed, outcome_of
from edi837.files.atomic import fsync_directory, reason_path, write_reason
from edi837.files.leftovers import remove_dead_temps
from edi837.files.modes import data_file_mode, make_data_dirs
from edi837.files.names import first_free, short_name
from edi837.files.safety import open_regular
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

    ledger: LedgerChoice = NO_LEDGER  # the claims ledger each file's run is recorded in (the watcher sets it)
    def __init__(self, outbound: Path, ready: Path, options: FixOptions, *, group_readable: bool = False) -> None:
        self.outbound = outbound
        self.group_readable = group_readable  # files with patient data 0640 and their folders 0750, not 0600/0700
        self.ready = ready
        self.options = options
        self.archive = outbound / "archive"
        self.rejected = outbound / "rejected"
        self.logs = outbound / "logs"
        self.state = outbound / STATE
        self.journal = Journal(self.state / "journal")
        self.temp_root = ready / TEMP
        self.held = outbound / "held"
        self.held_temp = self.state / "held-tmp"
        self.scope = scope_of(outbound)
        self.scope_dir = self.temp_root / self.scope
        self.reported: set[tuple[str, str]] = set()  # (name, what) already logged in this process

    def recover(self) -> list[str]:
        """Finish what a crashed run left: journal entries first (a staged file is delivered if its original
        is unchanged, a delivered one archived), then this watcher's stale temporary files: in its own scope
        of READY/.edi837-tmp and not named by its journal, and the `.<name>.*.edi837.tmp` leftovers of atomic
        writes in its own folders. Nothing of another watcher's scope is touched."""
        for folder in (self.journal.folder, self.logs, self.rejected, self.held):  # ours alone: the lock is held
            for leftover in folder.glob(".*.edi837.tmp"):
                leftover.unlink(missing_ok=True)
        remove_dead_temps(self.archive)  # archive/ may be a volume other watchers copy into too
        named: set[str] = set()
        outcomes = []
        for entry_path, entry in self.journal.entries():
            if entry is None:
                log.warning("watch.recovered", file=entry_path.name, outcome="unreadable-journal-entry")
                self.journal.remove(entry_path)
                continue
            named.update((entry.temp, *staged_names(entry)))
            try:
                outcome = self._resume(entry_path, entry)
            except (Deferred, OSError, OutputFailed) as error:
                outcome = "deferred"
                log.warning("watch.recovered", file=entry.name, outcome=outcome, reason_kind=str(error))
            if outcome is not None:
                outcomes.append(outcome)
        for folder, prefix in ((self.scope_dir, f"{self.scope}/"), (self.held_temp, "")):
            with contextlib.suppress(OSError):
                for stale in folder.iterdir():
                    if prefix + stale.name not in named:
                        stale.unlink(missing_ok=True)
        return outcomes

    # -- journal states ----------------------------------------------------------------------------
    def _resume(self, entry_path: Path, entry: Entry) -> str | None:
        """Carry a journaled file on from its state; None when the journal has nothing to say about the file
        now in OUTBOUND under that name (it is then processed as a new file)."""
        source = self.outbound / entry.name
        first = self._first_rename(entry)
        if entry.state == "staged" and first is not None and os.path.lexists(first[0]):  # never delivered
            if self._source_state(source, entry) != "same":
                self._drop_temps(entry)
                self.journal.remove(entry_path)
                return None
            if not rename_noreplace(*first):
                log.warning("watch.file", file=entry.name, outcome="deferred", reason_kind="ready-has-same-name")
                return "deferred"
            fsync_directory(first[1].parent)
            log.info("watch.recovered", file=entry.name, outcome="delivered")
        self._place_held(entry)  # after the delivery, whatever else happened
        if entry.state == "staged":
            entry.state = "delivered"
            with contextlib.suppress(OSError, OutputFailed):
                self.journal.write(entry)
        return self._archive_delivered(entry_path, entry)

    def _first_rename(self, entry: Entry) -> tuple[Path, Path] | None:
        """The rename that delivers: the fixed file into READY, or (nothing delivered) the held file into held/."""
        if entry.temp:
            return self.temp_root / entry.temp, self.ready / entry.name
        if entry.held_temp:
            make_data_dirs(self.held, group_readable=self.group_readable)
            return self.held_temp / entry.held_temp, self.held / entry.held_as
        return None

    def _place_held(self, entry: Entry) -> None:
        """The staged held file into held/, then its worklist beside it (delivery/held_place.py)."""
        place_held(entry, self.held_temp, self.held, group_readable=self.group_readable)

    def _drop_temps(self, entry: Entry) -> None:
        for temp in ((self.temp_root / entry.temp) if entry.temp else None,
                     *(self.held_temp / name for name in staged_names(entry))):
            if temp is not None:
                temp.unlink(missing_ok=True)

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
        # A reused name keeps both files and both logs; a held file never replaces one a person has not
        # worked yet: held/NAME, else held/NAME-2, ..., with its report beside it under the same name.
        archive_as = free_name(self.archive, name).name
        held_as = first_free(self.held / name, worklist_of).name if self.options.hold else ""
        # The change log (and a held file's report) streams into a temporary file committed before the rename.
        try:  # a ledger that cannot be written now: the file waits for it (never delivered unrecorded)
            recorder = self.ledger.for_file("watch", path, self.options, input_sha, self.group_readable)
            outputs = Outputs(changelog=self.change_log(archive_as), report=self.report(held_as) if held_as else None,
                              report_only_if_held=True, held_label=f"held/{held_as}", recorder=recorder,
                              held_where=self.held / held_as if held_as else None,
                              group_readable=self.group_readable, input_mode=before.st_mode).__enter__()
        except (OSError, OutputFailed) as error:
            raise Deferred(problem_of(error)) from None
        temps: list[Path] = []
        keep = False
        try:
            try:
                temp = self._stage(self.scope_dir, name, temps)
                held_temp = self._stage(self.held_temp, name, temps) if held_as else None
            except OSError as error:
                raise Deferred(problem_of(error)) from None
            try:
                with contextlib.ExitStack() as handles:
                    sink = handles.enter_context(os.fdopen(os.open(temp, os.O_RDWR), "w+b"))
                    held = (handles.enter_context(os.fdopen(os.open(held_temp, os.O_RDWR), "w+b"))
                            if held_temp is not None else None)
                    result = outputs.run(lambda: open_regular(path), self.options, sink=sink, held_sink=held,
                                         input_name=name, output_name=name, held_staged=held_temp)
                    for staged_handle in (sink, held):
                        if staged_handle is not None:
                            staged_handle.flush()
                            os.fsync(staged_handle.fileno())
            except InputRefused as refused:
                if self._changed_since_read(path, before, input_sha):  # it read a file being written: not broken
                    raise Deferred("changed-while-read") from None
                return self.reject(path, f"refused: {refused}", started)
            except (OSError, OutputFailed) as error:
                raise Deferred(problem_of(error)) from None
            except Exception as error:  # a bug must not lose the file: it goes to rejected/
                if self._changed_since_read(path, before, input_sha):
                    raise Deferred("changed-while-read") from None
                return self.reject(path, outcome_of(error)[1], started)
            if self._changed_since_read(path, before, input_sha):  # still being written: take it again later
                raise Deferred("changed-while-read")
            keep = True
        finally:
            if not keep:
                outputs.discard()
                outputs.__exit__(None, None, None)  # discarding never raises
                for staged in temps:
                    staged.unlink(missing_ok=True)
        if held_temp is not None and not result.held:
            held_temp.unlink(missing_ok=True)
            held_temp, held_as = None, ""
        if held_temp is not None and result.nothing_delivered:
            temp.unlink(missing_ok=True)  # every claim held: nothing for READY
        try:
            outputs.__exit__(None, None, None)  # commits the change log (and the report), and the ledger's run
        except (OSError, OutputFailed) as error:
            for staged in temps:
                staged.unlink(missing_ok=True)
            raise Deferred(problem_of(error)) from None
        entry = Entry(name, input_sha, before.st_size, before.st_mtime_ns, "",
                      f"{self.scope}/{temp.name}" if os.path.lexists(temp) else "", archive_as,
                      held_temp=held_temp.name if held_temp is not None else "", held_as=held_as)
        return self._deliver(path, entry, result, started, before.st_mode)

    def report(self, held_as: str) -> Path:
        """The staff worklist of held/<held name>, staged until the held file is placed (held_place.py)."""
        return staged_worklist(self.held_temp, held_as)

    def _stage(self, folder: Path, name: str, temps: list[Path]) -> Path:
        make_data_dirs(folder, group_readable=self.group_readable)
        fd, temp_name = tempfile.mkstemp(prefix=f"{name_key(name)[:16]}.", suffix=".tmp", dir=folder)
        os.close(fd)
        temps.append(folder / temp_name)
        return folder / temp_name

    def _deliver(self, path: Path, entry: Entry, result: Any, started: float, input_mode: int) -> str:
        """Steps 3 to 5: journal, rename into READY (then the held file into held/), archive. Undelivered,
        nothing of it stays: the temp files, the journal entry, the change log and the report go."""
        first = self._first_rename(entry)
        assert first is not None
        staged = [p for p in ((self.temp_root / entry.temp) if entry.temp else None,
                              (self.held_temp / entry.held_temp) if entry.held_temp else None) if p is not None]

        def undo(entry_path: Path | None) -> None:
            for temp in staged:
                temp.unlink(missing_ok=True)
            if entry_path is not None:
                self.journal.remove(entry_path)
            with contextlib.suppress(OSError):
                self.change_log(entry.archive_as).unlink(missing_ok=True)
                if entry.held_as:
                    self.report(entry.held_as).unlink(missing_ok=True)

        try:
            for temp in staged:
                os.chmod(temp, data_file_mode(group_readable=self.group_readable, like=input_mode))
            entry.output_sha256 = sha256_path(first[0])
            entry_path = self.journal.write(entry)
        except (OSError, OutputFailed) as error:
            undo(None)
            raise Deferred(problem_of(error)) from None
        try:
            delivered = rename_noreplace(*first)  # step 4: the moment of delivery
        except OSError as error:
            undo(entry_path)
            if error.errno == errno.ENAMETOOLONG:
                return self.reject(path, "its name is too long for the READY folder's file system; give it a "
                                          "shorter name", started)
            raise Deferred(problem_of(error)) from None
        if not delivered:
            undo(entry_path)
            raise Deferred("ready-has-same-name")
        fsync_directory(first[1].parent)
        try:
            self._place_held(entry)
        except OSError as error:  # delivered: the held file waits in .edi837/held-tmp, placed on the next try
            entry.state, entry.problem = "stuck", problem_of(error)
            with contextlib.suppress(OSError, OutputFailed):
                self.journal.write(entry)
            log.error("watch.file", file=entry.name, outcome="held-failed", reason_kind=entry.problem)
            return "stuck"
        entry.state = "delivered"
        with contextlib.suppress(OSError, OutputFailed):
            self.journal.write(entry)
        outcome = "held" if result.held else "review" if result.exit_code else "delivered"
        log.info("watch.file", file=entry.name, outcome=outcome, claims=result.claims,
                 changed_claims=result.changed_claims, applied=result.applied_count, review=result.review_count,
                 held=result.held_claims, delivered=result.delivered_claims, warnings=len(result.warnings),
                 duration=round(time.perf_counter() - started, 3))
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
        target = free_name(self.rejected, name)
        try:
            write_reason(target, name, reason)
            move(path, target) if stat.S_ISREG(os.lstat(path).st_mode) else os.replace(path, target)
        except (OSError, OutputFailed) as error:
            reason_path(target).unlink(missing_ok=True)
            raise Deferred(problem_of(error)) from None
        fsync_directory(self.rejected)
        duration = round(time.perf_counter() - started, 3) if started else None
        log.warning("watch.file", file=name, outcome="rejected", reason_kind=reason_kind(reason), duration=duration)
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


__all__ = ["Deferred", "Handoff"]
