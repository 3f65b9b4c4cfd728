"""`edi-fix release HELD --claim ID... --to OUT`: named held claims out of a held file, into an 837P to send.

A held file (the CLI's OUT.held.837, the watcher's OUTBOUND/held/NAME) keeps claims as they arrived until a
person has seen them. Once every review item of a claim is acknowledged (`edi-fix ack`), `release` runs the
claims of the held file through the same pipeline as any run, through `Outputs` like every entry point (so
the ledger records it, entry "release"): the named claims go to OUT with their safe fixes applied and their
acknowledged items recorded ("acknowledged by NAME on DATE: NOTE" in OUT's change log); every other claim is
kept back, as it was read, in a new held file that replaces HELD (or HELD is removed when none is left). A
named claim with an item nobody acknowledged, or a claim id the file does not have, refuses the release:
one line naming the claim, the rule, the line and the `ack` command; exit 2; nothing written. HELD must be
a held file the ledger recorded (a run_files 'held' row with its sha256: the input or a delivered output holds
the same claims, which would go out twice), OUT and its change log new files (an existing one may hold claims
delivered before), and each named claim's open items in the ledger's held rows acknowledged (the re-run alone
cannot raise an item that depended on a claim delivered meanwhile).

Exactly once. Two files change: OUT gains the claims, HELD loses them. A crash must never leave a claim in
both (deliverable twice) nor in neither (lost). The order, and why it is safe:
1. OUT's and HELD's new contents are written to temporary files beside them and fsynced; the gate judges
   both. A crash here leaves temporary files nobody reads; HELD is untouched; nothing was released.
2. The ledger's rows are written (the run `written`, fsynced) and OUT's change log placed (`Outputs`); a
   ledger that cannot be written stops the release here, nothing placed. A crash here: the ledger shows
   the release not committed, and nothing was released.
3. A journal beside HELD (HELD.release.json, written atomically: temp, fsync, rename, fsync of the folder)
   names both temporary files and their targets by absolute path (finished from any folder), their sha256
   and the ledger's run. A temporary file gone whose target does not hold its sha256 cannot be finished:
   refused, the journal kept for a person (forgetting it could send its claims twice). From here on the
   release is decided and only ever rolled FORWARD: both temporary files are complete, so finishing is two
   renames, repeatable.
4. OUT's temporary file is renamed onto OUT, then HELD's onto HELD (or HELD is removed), each rename
   fsynced; the ledger's run is marked committed; the journal is removed.
A crash inside 4 leaves the journal: the next `release` of HELD finishes the renames (and marks the run
committed) under HELD's lock before it reads HELD. Until then a claim is in HELD and in OUT's temporary
file - a dot file no uploader takes - never in two files an uploader or a release would send; it is never
in neither, since HELD is replaced only after OUT is in place. Two releases of one held file at once are
serialised by a lock on HELD.

The staff worklist beside a held file (HELD.report.html, the watcher's and the batch's) would go on listing
the released claims as held. When there is one, the release renders its own report in its place, through the
same Outputs path every run's report takes: the released claims delivered to OUT, the rest still held in
HELD, each with its items. It is a third temporary file of the journal, renamed after HELD (removed with
HELD when no claim is left), so the worklist never says a claim went out before it did.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from edi837.delivery.ledgering import LedgerChoice, input_digest
from edi837.delivery.outputs import Outputs, worklist_of
from edi837.engine.engine_rules import HOLD_RULE
from edi837.errors import InputRefused, OutputFailed, TargetRefused, with_file
from edi837.exits import ExitCode
from edi837.files.atomic import AtomicWriter, fsync_directory
from edi837.files.leftovers import remove_stale_temps
from edi837.files.modes import data_file_mode
from edi837.files.safety import open_regular, refuse_special, refuse_unsafe_target
from edi837.ledger import queries
from edi837.ledger.acks import load_book
from edi837.ledger.recorder import mark_committed
from edi837.ledger.rows import FileRow
from edi837.ledger.store import Ledger
from edi837.model.claim import Claim
from edi837.pipeline import FixOptions, FixResult
from edi837.pipeline import hold as holding
from edi837.x12.envelope import ISA_LENGTH, ISA_SEPARATOR_OFFSETS, parse_isa, renumber_interchanges

KEPT_BACK = "not released"
JOURNAL_SUFFIX = ".release.json"
TEMP_TAG = ".release.tmp"


@dataclass
class Released:
    """What a release did: the claims sent, the claims left held, where."""

    claims: list[str]
    left: int
    output: Path
    held_removed: bool
    result: FixResult

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.NEEDS_PERSON if self.result.warnings else ExitCode.OK


def journal_of(held: Path) -> Path:
    return held.with_name(held.name + JOURNAL_SUFFIX)


def _temp_of(target: Path) -> Path:
    return target.with_name(f".{target.name}{TEMP_TAG}")


def release(held: Path, claim_ids: list[str], out: Path, options: FixOptions, *, ledger: LedgerChoice,
            group_readable: bool = False, interchange: int | None = None) -> Released:
    """Release `claim_ids` of the held file `held` into `out` (see the module docstring). `interchange`: a
    fresh interchange control number for OUT (ISA13/IEA02), from the sender's own counter: the held file
    carries the number of the file already delivered, which a clearinghouse rejects when it comes again. The
    claims kept back carry it too (give a fresh one at each release)."""
    if str(held) == "-":
        raise InputRefused("release reads a held file by its name, not standard input: give HELD_FILE")
    label = str(held)  # as the person named it: the worklist's release commands say it so
    held, out = Path(os.path.abspath(held)), Path(os.path.abspath(out))  # the journal must work from any folder
    wanted = list(dict.fromkeys(claim_ids))
    if not wanted:
        raise InputRefused("name the claims to release: --claim ID (repeatable)")
    changelog = out.with_name(out.name + ".changes.jsonl")
    refuse_unsafe_target(out, "output", [held])
    refuse_unsafe_target(changelog, "change log", [held, out])
    if not held.exists() and journal_of(held).exists():  # every claim released, HELD removed, then a crash
        recover(held)
    with _locked(held) as info:
        recover(held)
        _refuse_existing(out, changelog)
        _refuse_unheld(held, wanted, ledger)
        for target in (out, changelog):
            remove_stale_temps(target)
        return _release(held, info.st_mode, wanted, out, changelog, options, ledger, group_readable,
                        _opener(held, interchange), label)


def interchange_of(path: Path) -> str | None:
    """ISA13 of the file's first interchange (what a clearinghouse checks for a repeat), None if unreadable."""
    with contextlib.suppress(OSError, InputRefused), open_regular(path) as handle:
        head = handle.read(ISA_LENGTH + 4096)
        start = head.find(b"ISA")
        if start >= 0:
            parse_isa(head[start:start + ISA_LENGTH])  # fixed width: ISA13 sits at a known offset
            offset = start + ISA_SEPARATOR_OFFSETS[12] + 1
            return head[offset:offset + 9].decode("ascii", "replace")
    return None


def _refuse_existing(out: Path, changelog: Path) -> None:
    """OUT must be new: a file already there may hold claims delivered before (or on their way), and its change
    log their record; replacing either would lose them."""
    for path in (out, changelog):
        if os.path.lexists(path):
            raise TargetRefused(f"{path} exists: release to a new file")


def _refuse_unheld(held: Path, wanted: list[str], ledger: LedgerChoice) -> None:
    """Only a file the ledger recorded as a held file (its contents as a run or release left them) is released,
    never the original input or a delivered output; and each named claim only once every review item the ledger
    held it for is acknowledged now, including one the re-run cannot raise (it depended on a claim delivered)."""
    if ledger.path is None or not ledger.path.exists():
        raise InputRefused("release needs the claims ledger that held the claims (--ledger PATH)")
    with Ledger.open(ledger.path) as book:
        if not queries.held_file_recorded(book, _sha256(held)):
            raise InputRefused(f"{held}: not a held file the claims ledger recorded (or changed since); "
                               "release only from the held file a run left")
        acks = load_book(book)
        for claim in wanted:
            for rule, line, content in queries.held_items(book, claim):
                if acks.find(claim, rule, content) is None:
                    raise InputRefused(_unacknowledged(claim, rule, line))


def _unacknowledged(claim: str, rule: str, line: int | None) -> str:
    where, flag = (f" line {line}", f" --line {line}") if line is not None else ("", "")
    return (f"claim {claim}: {rule}{where} is not acknowledged; release it after "
            f"`edi-fix ack {claim} --rule {rule}{flag} --note TEXT`")


def _opener(held: Path, interchange: int | None) -> Callable[[], IO[bytes]]:
    """How the release reads HELD: the file itself, or its bytes under a fresh interchange control number."""
    if interchange is None:
        return lambda: open_regular(held)
    with open_regular(held) as handle:
        data = handle.read()
    try:
        data = renumber_interchanges(data, interchange)
    except ValueError as why:
        raise InputRefused(f"--interchange {interchange}: {why}") from None
    return lambda: io.BytesIO(data)


def _release(held: Path, held_mode: int, wanted: list[str], out: Path, changelog: Path, options: FixOptions,
             ledger: LedgerChoice, group_readable: bool, opener: Callable[[], IO[bytes]], label: str) -> Released:
    seen: set[str] = set()

    def keep_back(claim: Claim) -> str | None:
        seen.add(claim.claim_id)
        return None if claim.claim_id in wanted else KEPT_BACK

    options = replace(options, hold=options.hold | {holding.REVIEW})
    mode = data_file_mode(group_readable=group_readable, like=held_mode)
    out_temp, held_temp = _temp_of(out), _temp_of(held)
    worklist = worklist_of(held)
    report_temp = _temp_of(worklist) if worklist.is_file() else None  # the worklist, re-rendered
    recorder = ledger.for_file("release", held, options, group_readable=group_readable)
    outputs = Outputs(changelog=changelog, held_where=held, held_label=label, report=report_temp, recorder=recorder,
                      group_readable=group_readable, input_mode=held_mode, commit_ledger=False).__enter__()
    try:
        with _fresh(out_temp, mode) as sink, _fresh(held_temp, mode) as kept:
            try:
                result = outputs.run(opener, options, sink=sink, held_sink=kept,
                                     input_name=str(held), output_name=str(out), keep_back=keep_back)
            except InputRefused as refused:
                raise with_file(refused, str(held)) from None
            _refuse_unreleasable(result, wanted, seen)
            for handle in (sink, kept):
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException as error:
        if isinstance(error, InputRefused):
            recorder.restart()  # a refused release changed no claim: the ledger keeps the run, not its rows
        outputs.__exit__(type(error), error, error.__traceback__)
        _drop(out_temp, held_temp, report_temp)
        raise
    try:
        outputs.__exit__(None, None, None)  # the ledger's rows (written, not committed), OUT's change log, report
    except BaseException:
        _drop(out_temp, held_temp, report_temp)
        raise
    left = sum(1 for h in result.held if h.claim_id not in wanted)
    run = recorder.run if recorder.state == "written" else None
    out_sha, held_sha = _sha256(out_temp), _sha256(held_temp) if left else None
    if run is not None:
        _record_files(recorder.path, run, [FileRow("output", out.name, out_sha, out_temp.stat().st_size)] + (
            [FileRow("held", held.name, held_sha, held_temp.stat().st_size)] if held_sha else []) + (
            [FileRow("report", worklist.name)] if report_temp is not None else []))
    _write_journal(held, {"out_temp": str(out_temp), "out": str(out), "out_sha256": out_sha,
                          "held_temp": str(held_temp) if left else None, "held_sha256": held_sha,
                          "report_temp": str(report_temp) if report_temp is not None else None,
                          "report": str(worklist), "ledger": str(recorder.path) if run is not None else None,
                          "run": run})
    recover(held)
    return Released(wanted, left, out, not left, result)


def _drop(*temps: Path | None) -> None:
    for temp in temps:
        if temp is not None:
            temp.unlink(missing_ok=True)


def _refuse_unreleasable(result: FixResult, wanted: list[str], seen: set[str]) -> None:
    """A named claim that is not in the file, or that still has an item nobody acknowledged: refused."""
    missing = [c for c in wanted if c not in seen]
    if missing:
        raise InputRefused(f"claim {missing[0]} is not in the held file" + (
            f" (nor {len(missing) - 1} more named)" if len(missing) > 1 else ""))
    still = {h.claim_id for h in result.held if h.claim_id in wanted}
    for record in result.review_sample:
        if record.claim_id in still and record.rule != HOLD_RULE:
            raise InputRefused(_unacknowledged(record.claim_id, record.rule, record.line_number))
    if still:  # held for another reason (an error-severity finding, the gate): say which claim
        raise InputRefused(f"claim {sorted(still)[0]} would still be held (see its change log); not released")


@contextlib.contextmanager
def _fresh(path: Path, mode: int) -> Iterator[IO[bytes]]:
    """A new temporary file (an older one of a release that never reached its journal is replaced)."""
    path.unlink(missing_ok=True)
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    with os.fdopen(os.open(path, flags, mode), "w+b") as handle:
        yield handle


def _write_journal(held: Path, steps: dict[str, object]) -> None:
    with AtomicWriter(journal_of(held), mode=0o600, what="release journal") as writer:
        writer.handle.write(json.dumps(steps).encode())


def recover(held: Path) -> bool:
    """Finish a release decided but not done (its journal is there): OUT's rename, then HELD's; idempotent.
    Returns whether there was one."""
    journal = journal_of(held)
    try:
        data = json.loads(journal.read_bytes())
    except FileNotFoundError:
        return False
    except (OSError, ValueError) as error:
        raise TargetRefused(f"{journal}: a release journal that cannot be read ({type(error).__name__}); "
                            "look at it before releasing from this held file") from None
    out_temp, out = Path(data["out_temp"]), Path(data["out"])
    if out_temp.exists():
        refuse_special(out, "output")
        os.replace(out_temp, out)
        fsync_directory(out.parent)
    else:
        _refuse_unfinishable(journal, out_temp, out, data.get("out_sha256"))
    if data["held_temp"] is not None:
        held_temp = Path(data["held_temp"])
        if held_temp.exists():
            os.replace(held_temp, held)
        else:
            _refuse_unfinishable(journal, held_temp, held, data.get("held_sha256"))
    else:
        held.unlink(missing_ok=True)
        _temp_of(held).unlink(missing_ok=True)
    _finish_worklist(data)
    fsync_directory(held.parent)
    if data.get("run") is not None:
        with contextlib.suppress(OutputFailed):  # the files are right; the ledger then shows it not committed
            mark_committed(Path(data["ledger"]), int(data["run"]), ExitCode.OK)
    journal.unlink()
    fsync_directory(held.parent)
    return True


def _finish_worklist(data: dict[str, object]) -> None:
    """The re-rendered worklist onto the old one once HELD is in place (both gone with HELD when no claim is
    left). It carries no claim to deliver: one already renamed, or never rendered, is simply not there."""
    if not isinstance(data.get("report_temp"), str):
        return
    temp, target = Path(str(data["report_temp"])), Path(str(data["report"]))
    if data["held_temp"] is None:
        temp.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
    elif temp.exists():
        os.replace(temp, target)  # a rename replaces whatever is at target, never writes through it


def _record_files(path: Path | None, run: int, files: list[FileRow]) -> None:
    """The release's OUT and new HELD in the ledger's run (before the journal: a later release of HELD is
    accepted by this row)."""
    assert path is not None
    with Ledger.open(path) as ledger, ledger.writing(durable=True) as db:
        db.executemany("INSERT OR REPLACE INTO run_files VALUES (?, ?, ?, ?, ?)",
                       [(run, f.role, f.name, f.sha256, f.size) for f in files])


def _sha256(path: Path) -> str:
    return input_digest(lambda: open_regular(path))


def _refuse_unfinishable(journal: Path, temp: Path, target: Path, sha256: object) -> None:
    """A temporary file the journal names is gone: fine when its target already holds it (renamed before a
    crash); otherwise the release cannot be finished, and forgetting it (removing the journal, marking the run
    committed) could send its claims twice. The journal stays for a person to look at."""
    if isinstance(sha256, str) and target.is_file() and not target.is_symlink() and _sha256(target) == sha256:
        return
    raise TargetRefused(f"{journal}: a release that cannot be finished ({temp.name} is gone and {target.name} "
                        "does not hold it); look at both before releasing from this held file")


def _open_held(held: Path) -> IO[bytes]:
    try:
        return open_regular(held)
    except FileNotFoundError:
        raise InputRefused(f"{held}: no such file") from None
    except OSError as error:
        raise InputRefused(f"{held}: cannot be read ({error.strerror})") from None


@contextlib.contextmanager
def _locked(held: Path) -> Iterator[os.stat_result]:
    """HELD opened and locked (flock) for the release; a held file replaced while we waited is opened again."""
    while True:
        with _open_held(held) as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            info = os.fstat(handle.fileno())
            try:
                now = os.stat(held)
            except FileNotFoundError:
                raise InputRefused(f"{held}: released meanwhile by another release (no claim was left)") from None
            if (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino):
                yield info
                return
