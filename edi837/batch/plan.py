"""Which files a batch fixes and where each one's outputs go.

The outputs of IN_DIR/sub/NAME are OUT_DIR/sub/NAME, OUT_DIR/sub/NAME.changes.jsonl and (with --report)
OUT_DIR/sub/NAME.report.html: the names `edi-fix IN OUT` gives them, and the record of what decided them,
OUT_DIR/sub/.NAME.edi837.json (batch/again.py). With --hold, held claims go to OUT_DIR/held/sub/NAME (what
`edi-fix IN OUT --hold ... --held` that path writes; a numbered sibling when an earlier batch's held file is
there), as the watcher's go to OUTBOUND/held/. A refused file is copied (the input
folder is the caller's, never changed) to OUT_DIR/rejected/sub/NAME with NAME.reason.txt beside it, as
the watcher does with OUTBOUND/rejected/.

Skipped: hidden files (editors' and edi837's own temporary files start with a dot), anything that is not
a regular file (a symbolic link is never followed: it could point anywhere), and OUT_DIR itself when it
lies inside IN_DIR, so a second run does not fix its own outputs.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edi837.batch.again import record_path
from edi837.errors import InputRefused
from edi837.files.names import short_name
from edi837.packs.config import CONFIG_NAMES
from edi837.pipeline import FixOptions

REJECTED = "rejected"
HELD = "held"


class BatchRefused(InputRefused):
    """The batch as a whole cannot run (a folder that is not one, Dask missing, no scheduler): exit 2."""


@dataclass(frozen=True)
class FileTask:
    """One file of a batch: what a worker needs, and nothing that cannot travel to another machine."""

    source: Path
    relative: str  # the path below IN_DIR, which names the outputs below OUT_DIR
    output: Path
    changelog: Path
    report: Path | None
    rejected: Path  # where a refused file's copy goes; its reason file is `<rejected>.reason.txt`
    options: FixOptions
    held: Path | None = None  # with a hold policy: OUT_DIR/held/NAME, the claims a person must see
    held_report: Path | None = None  # OUT_DIR/held/NAME.report.html beside it (without --report), as the watcher
    split_bytes: int = 0  # a file at least this long is fixed in claim chunks across the cluster (0: never)
    split_lease: str = ""  # the batch's Dask semaphore that bounds how many files are split at once
    split_leases: int = 1  # how many
    out_dir: Path | None = None  # OUT_DIR itself: the report names the held file relative to it
    settings: str = ""  # the digest of what besides the input decides the outputs (batch/again.py)
    force: bool = False  # fix it even if an earlier batch did it from the same bytes and settings
    group_readable: bool = False  # files with patient data 0640 and folders 0750 instead of 0600 and 0700
    # The claims ledger: the worker makes the rows (keep_rows) and sends them back; only the caller writes the
    # ledger. `acks`: the ledger's acknowledgements (an AckBook), loaded once by the caller.
    keep_rows: bool = False
    acks: Any = None


def find_inputs(in_dir: Path, out_dir: Path, *, recursive: bool) -> list[str]:
    """The files to fix, as paths relative to `in_dir`, sorted so every run submits them in one order."""
    if not in_dir.is_dir():
        raise BatchRefused(f"{in_dir}: not a folder")
    skip = out_dir.resolve()
    found: list[str] = []
    for root, folders, files in os.walk(in_dir):
        here = Path(root)
        folders[:] = sorted(f for f in folders if recursive and not f.startswith(".")
                            and (here / f).resolve() != skip
                            and not (here == in_dir and f in (REJECTED, HELD)))  # the batch's own, as the watcher's
        for name in files:
            path = here / name
            if name.startswith(".") or name in CONFIG_NAMES or not stat.S_ISREG(path.lstat().st_mode):
                continue  # hidden, configuration (edi837.toml, pyproject.toml), or not a regular file
            found.append(path.relative_to(in_dir).as_posix())
        if not recursive:
            break
    return sorted(found)


def plan(in_dir: Path, out_dir: Path, options: FixOptions, *, recursive: bool, report: bool,
         split_bytes: int = 0) -> list[FileTask]:
    """One task per input file, with the output names `edi-fix IN OUT` would use under OUT_DIR; with a hold
    policy, held claims go to OUT_DIR/held/NAME with the staff report beside them, as the watcher puts them
    in OUTBOUND/held/ (with --report, the report is OUT_DIR/NAME.report.html for every file instead)."""
    tasks = []
    for relative in find_inputs(in_dir, out_dir, recursive=recursive):
        output = out_dir / relative
        held = out_dir / HELD / relative if options.hold else None
        tasks.append(FileTask(
            source=in_dir / relative, relative=relative, output=output,
            changelog=output.with_name(output.name + ".changes.jsonl"),
            report=output.with_name(output.name + ".report.html") if report else None,
            rejected=out_dir / REJECTED / relative, options=options, held=held,
            held_report=held.with_name(f"{short_name(held.name, 200)}.report.html") if held and not report else None,
            split_bytes=split_bytes, out_dir=out_dir,
        ))
    _refuse_shared_targets(tasks)
    return tasks


def _refuse_shared_targets(tasks: list[FileTask]) -> None:
    """Two inputs whose outputs would land on one path (`x.837` and `x.837.changes.jsonl` in IN_DIR: the
    second's output is the first's change log) would overwrite or delete each other's results: the batch
    is refused before anything runs, naming both."""
    owner: dict[Path, str] = {}
    for task in tasks:
        targets = [task.output, task.changelog, task.report, task.rejected,
                   task.rejected.with_name(task.rejected.name + ".reason.txt"), task.held, task.held_report,
                   record_path(task.output)]
        for target in targets:
            if target is None:
                continue
            other = owner.setdefault(target, task.relative)
            if other != task.relative:
                raise BatchRefused(f"{other} and {task.relative} would both write {target.name} in OUT_DIR: "
                                   "rename one of them")
