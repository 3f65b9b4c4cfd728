"""Placing the watcher's held file and its worklist into OUTBOUND/held/, held file first.

Both are staged in OUTBOUND/.edi837/held-tmp while the file is fixed: the held file under a temporary
name (the journal's `held_temp`), its worklist under the worklist name of the held name it expects
(`held_as`). They are placed only once the fixed file is delivered (or, nothing delivered, as the delivery
itself), the held file first: a watcher killed between the two leaves a held file whose worklist the next
start places, never a worklist without its held file. (A worklist placed first and left alone by a kill
would take the held name, and the claims, held again, would go to a numbered sibling.)
"""

from __future__ import annotations

import os
from pathlib import Path

from edi837.delivery.journal import Entry, rename_noreplace
from edi837.delivery.outputs import worklist_of
from edi837.files.atomic import fsync_directory
from edi837.files.modes import make_data_dirs
from edi837.files.names import numbered


def staged_worklist(staging: Path, held_as: str) -> Path:
    """Where a held file's worklist waits (in `staging`, the held-tmp folder) until its held file is placed."""
    return worklist_of(staging / held_as)


def place_held(entry: Entry, staging: Path, held: Path, *, group_readable: bool) -> None:
    """Rename a staged held file into `held`, never over anything there: if its name was taken meanwhile (by a
    person: one watcher runs per OUTBOUND), the next free number; then its staged worklist beside it, never
    over a worklist already there (the earlier one is kept, this one dropped). Each step is skipped when done
    already: a start after a crash finishes what the crash left."""
    if not entry.held_temp:
        return
    temp, report = staging / entry.held_temp, staged_worklist(staging, entry.held_as)
    placed = held / entry.held_as
    if not (os.path.lexists(temp) or os.path.lexists(report)):
        return  # placed already
    make_data_dirs(held, group_readable=group_readable)
    if os.path.lexists(temp):
        number = 1
        while not rename_noreplace(temp, numbered(held / entry.held_as, number)):
            number += 1
        placed = numbered(held / entry.held_as, number)
    if os.path.lexists(report) and not rename_noreplace(report, worklist_of(placed)):
        report.unlink(missing_ok=True)
    fsync_directory(held)


def staged_names(entry: Entry) -> tuple[str, ...]:
    """The names in the held-tmp folder a journal entry still needs (a start keeps them, removes the rest)."""
    return (entry.held_temp, worklist_of(Path(entry.held_as)).name) if entry.held_temp else ()
