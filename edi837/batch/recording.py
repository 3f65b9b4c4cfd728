"""A batch's claims ledger: only the caller writes it; each file's worker sends its rows back.

Dask workers may run on other machines, where the ledger (a file on this one) is not, and they do not hold the
ledger's key, so no patient digest can be made there. So the caller checks the ledger can be written before
it submits a file (exit 2 otherwise, unless best effort), loads the acknowledgements once and sends them with
each file, and records each file as its outcome comes back: a run of entry "batch" with the worker's rows,
the patients' digests made here from the input (ledger/patient.py), the files, then committed.

What this cannot give that the other entry points do: the worker places its outputs before the caller hears
of them, so a batch killed between a worker's commit and the caller's record leaves outputs the ledger does
not list; `edi-fix batch` run again finds them done (batch/again.py) and records nothing new for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edi837.batch.plan import FileTask
from edi837.batch.task import FileOutcome
from edi837.delivery.ledgering import LedgerChoice
from edi837.files.safety import open_input_path
from edi837.ledger.acks import AckBook, book_at
from edi837.ledger.patient import PatientKeys, keys_of_file
from edi837.pipeline import FixOptions


def acks_for(ledger: LedgerChoice, *, group_readable: bool = False) -> AckBook | None:
    """The live acknowledgements a batch sends its workers; None without a ledger. The ledger is made (or
    found unwritable: LedgerUnavailable, exit 2) here, before any file is submitted."""
    ledger.check(group_readable=group_readable)
    if ledger.path is None or not ledger.path.exists():
        return None
    try:
        return book_at(ledger.path)
    except OSError:
        return AckBook()


def record(ledger: LedgerChoice, task: FileTask, outcome: FileOutcome, options: FixOptions) -> str | None:
    """Write one file's run into the ledger; the problem in words when best effort turned the ledger off."""
    if ledger.path is None or outcome.kind == "skipped":
        return None
    recorder = ledger.for_file("batch", task.source, options, group_readable=task.group_readable)
    with recorder:
        if not recorder.on:
            return recorder.problem
        if outcome.kind in ("refused", "failed", "error"):
            (recorder.refuse if outcome.kind == "refused" else recorder.fail)(outcome.message, outcome.exit_code)
            return recorder.problem
        patients = _patients(task.source, recorder.ledger.key if recorder.ledger is not None else None)
        for n, row in enumerate(outcome.rows):
            recorder.add(row._replace(patient=patients[n]) if n < len(patients) else row)
        recorder.write(outcome.files)
        recorder.commit(outcome.exit_code)
    return recorder.problem


def _patients(source: Path, key: bytes | None) -> list[Any]:
    if key is None:
        return []
    return keys_of_file(lambda: open_input_path(source), PatientKeys(key))
