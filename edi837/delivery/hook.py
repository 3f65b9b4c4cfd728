"""The clearinghouse pre-submit hook: `edi-fix hook FILE` fixes FILE in place, atomically.

A clearinghouse upload client runs it before each upload and gates on the exit code: 0 upload;
1 written but findings need a person; 2 refused, FILE is byte-for-byte untouched; 3 internal error, FILE
untouched. The fixed file replaces FILE by an atomic rename, and only when something changed. The
change log goes beside FILE (FILE.changes.jsonl) unless `--changelog` or `--no-changelog` says otherwise.

What an in-place rewrite must not do, and so is refused with a reason instead:
- overwrite a file that changed while edi-fix ran (the client, or a person, wrote it again): identity
  (device, inode), size and mtime are compared just before the rename;
- split a hard-linked file (the other names would keep the old claims and be uploaded as such);
- rewrite a read-only file, or one whose owner or group the rename could not keep.
A symbolic link is followed: its target is fixed and the link stays a link. Owner, group and mode are kept.

With `--hold review|invalid`, the claims a person must see go to FILE.held.837 (or `--held PATH`) as they
arrived and FILE keeps the rest, fixed (exit 1). When every claim is held, nothing is left to upload: the
held file is FILE as it was, and FILE itself is removed once the held file is committed.

FILE is rewritten, so what the hook writes beside it is the only record of what a run did: the held file,
the change log (FILE.changes.jsonl) and the report are never replaced by a later run. A run whose name is
taken writes the first free numbered sibling (FILE.held-2.837, FILE.changes-2.jsonl), and the summary says
which. They are 0600 (0640 with --group-readable), never wider than FILE's mode; FILE keeps its own.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from contextlib import suppress
from pathlib import Path

from edi837 import log as logconfig
from edi837.delivery import terminal
from edi837.delivery.ledgering import NO_LEDGER, LedgerChoice
from edi837.delivery.outputs import Outputs
from edi837.errors import InputRefused, OutputFailed, outcome_of, with_file
from edi837.files.leftovers import remove_stale_temps
from edi837.files.safety import open_regular, refuse_unsafe_target
from edi837.pipeline import FixOptions, FixResult
from edi837.report.summary import summary_dict, summary_text


def fix_in_place(path: Path, *, changelog: Path | None, as_json: bool, options: FixOptions,
                 held: Path | None = None, report: Path | None = None, group_readable: bool = False,
                 ledger: LedgerChoice = NO_LEDGER) -> int:
    """Fix `path` in place; print the summary (JSON on stdout with `as_json`); return the exit code."""
    logconfig.configure(quiet_on_terminal=True)
    held_path = (held or Path(f"{path}.held.837")) if options.hold else None
    try:
        if held is not None and not options.hold:
            raise InputRefused("--held PATH goes with --hold review|invalid")
        result, outputs = _fix(path, changelog, options, held_path, report, group_readable, ledger)
    except (Exception, KeyboardInterrupt) as error:  # one line, exit 2 or 3, no traceback; FILE untouched
        return _fail(*outcome_of(error), as_json)
    delivered = not result.nothing_delivered
    written = str(path) if (result.changed or result.held) and delivered else None
    logged, shown_held, report = _name(outputs.changelog_path), _name(outputs.held_path), outputs.report_path
    try:
        if as_json:
            data = summary_dict(result, output=written, changelog=logged, report=str(report) if report else None,
                                held_path=shown_held)
            data["errors"] = []
            terminal.emit(json.dumps(data, indent=2), sys.stdout, "stdout")
        else:
            terminal.emit(summary_text(result, output=written, changelog=logged,
                                       report=str(report) if report else None, held_path=shown_held),
                          sys.stderr, "stderr")
    except OutputFailed as failed:  # FILE is committed: a reader that went away costs the summary only
        terminal.say(f"edi-fix hook: {path}: done; the summary was not printed ({failed})")
    return result.exit_code


def _identity(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _check_rewritable(path: Path, target: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise InputRefused(f"{path}: is not a regular file")
    if info.st_nlink > 1:
        raise InputRefused(f"{path}: has {info.st_nlink} hard links; rewriting it would leave the other names with "
                           "the old claims. Refused: give it a single name first")
    if not info.st_mode & 0o222 or (os.geteuid() != 0 and not os.access(target, os.W_OK)):
        raise InputRefused(f"{path}: is read-only; refused rather than rewritten (make it writable to fix it)")
    if os.geteuid() != 0:
        groups = {os.getegid(), *os.getgroups()}
        if info.st_uid != os.geteuid() or info.st_gid not in groups:
            raise InputRefused(f"{path}: belongs to another user or group, which an in-place rewrite could not "
                               "keep; run the hook as its owner")


def _name(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def _fix(path: Path, changelog: Path | None, options: FixOptions, held: Path | None,
         report: Path | None, group_readable: bool, ledger: LedgerChoice) -> tuple[FixResult, Outputs]:
    if not os.path.lexists(path):
        raise InputRefused(f"{path}: no such file")
    target = Path(os.path.realpath(path))  # a symbolic link: fix what it points to, keep the link
    try:
        before = os.stat(target)
    except FileNotFoundError:
        raise InputRefused(f"{path}: is a symbolic link to a file that does not exist") from None
    if stat.S_ISDIR(before.st_mode):
        raise InputRefused(f"{path}: is a directory, not an 837 file")
    _check_rewritable(path, target, before)
    with open_regular(target):  # refuses what cannot be read, never blocks on a FIFO
        pass
    if changelog is not None:
        refuse_unsafe_target(changelog, "change log", [path, target])
        remove_stale_temps(changelog)
    for side, what in ((held, "held file"), (report, "report")):
        if side is not None:
            refuse_unsafe_target(side, what, [path, target, *([changelog] if changelog else [])])
            remove_stale_temps(side)
    remove_stale_temps(target)
    recorder = ledger.recorder("hook", str(path), options, opener=lambda: open_regular(target), size=before.st_size,
                               group_readable=group_readable)

    def unchanged() -> None:
        """FILE must still be the file that was read: same inode, size and mtime."""
        try:
            now = os.stat(target)
        except FileNotFoundError:
            now = None
        if now is None or _identity(now) != _identity(before):
            raise InputRefused(f"{path}: changed while edi-fix ran; left as it is (run the hook again)")

    # The held file, change log and report are committed just before FILE is replaced; none of them ever
    # replaces an earlier run's (keep_earlier): they are the only record of what that run did to FILE.
    with Outputs(output=target, mode_like=target, before_replace=unchanged, changelog=changelog, held=held,
                 report=report, keep_earlier=True, group_readable=group_readable,
                 input_mode=before.st_mode, recorder=recorder) as outputs:
        try:
            result = outputs.run(lambda: open_regular(target), options, input_name=str(path), output_name=str(path))
        except InputRefused as refused:
            unchanged()  # a file rewritten while it was read fails to parse: the rewrite is the cause to name
            raise with_file(refused, str(path)) from None
        unchanged()  # before anything is committed, change log included
        if not result.nothing_delivered:  # everything held: FILE goes (Outputs removes it)
            outputs.keep_output(result.changed or bool(result.held))  # an unchanged file is left alone, mtime too
    return result, outputs


def _fail(code: int, message: str, as_json: bool) -> int:
    terminal.say(f"edi-fix hook: {message}")
    if as_json:
        with suppress(OutputFailed):
            terminal.emit(json.dumps({"exit_code": code, "changed": False, "errors": [message]}, indent=2),
                          sys.stdout, "stdout")
    return code
