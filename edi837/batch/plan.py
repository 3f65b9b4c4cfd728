"""Which files a batch fixes and where each one's outputs go.

The outputs of IN_DIR/sub/NAME are OUT_DIR/sub/NAME, OUT_DIR/sub/NAME.changes.jsonl and (with --report)
OUT_DIR/sub/NAME.report.html: the names `edi-fix IN OUT` gives them. A refused file is copied (the input
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

from edi837.errors import InputRefused
from edi837.pipeline import FixOptions

REJECTED = "rejected"


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


def find_inputs(in_dir: Path, out_dir: Path, *, recursive: bool) -> list[str]:
    """The files to fix, as paths relative to `in_dir`, sorted so every run submits them in one order."""
    if not in_dir.is_dir():
        raise BatchRefused(f"{in_dir}: not a folder")
    skip = out_dir.resolve()
    found: list[str] = []
    for root, folders, files in os.walk(in_dir):
        here = Path(root)
        folders[:] = sorted(f for f in folders if recursive and not f.startswith(".")
                            and (here / f).resolve() != skip)
        for name in files:
            path = here / name
            if name.startswith(".") or not stat.S_ISREG(path.lstat().st_mode):
                continue
            found.append(path.relative_to(in_dir).as_posix())
        if not recursive:
            break
    return sorted(found)


def plan(in_dir: Path, out_dir: Path, options: FixOptions, *, recursive: bool, report: bool) -> list[FileTask]:
    """One task per input file, with the output names `edi-fix IN OUT` would use under OUT_DIR."""
    tasks = []
    for relative in find_inputs(in_dir, out_dir, recursive=recursive):
        output = out_dir / relative
        tasks.append(FileTask(
            source=in_dir / relative, relative=relative, output=output,
            changelog=output.with_name(output.name + ".changes.jsonl"),
            report=output.with_name(output.name + ".report.html") if report else None,
            rejected=out_dir / REJECTED / relative, options=options,
        ))
    return tasks
