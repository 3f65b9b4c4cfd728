"""`edi-fix remit FILE...` and `edi-fix outcomes` as functions of already-parsed arguments.

The command line (a later floor) only parses flags and calls these; they return the exit code (0 done,
2 refused: one line on stderr, nothing recorded) and write their report to `out`.

Why every file is read before anything is recorded: a refusal must leave the tables as they were, so a
command given five files of which the fourth is not an 835 records none of them, and says which.
"""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from edi837.errors import InputRefused, one_line, outcome_of, with_file
from edi837.remit.match import DeliveredClaim, match_claim
from edi837.remit.outcomes import outcomes
from edi837.remit.propose import DEFAULTS, Thresholds, propose, weak
from edi837.remit.read import Answer, read_remit
from edi837.remit.records import Acknowledgement
from edi837.remit.render import RENDERERS
from edi837.remit.schema import create_remit_tables
from edi837.remit.store import Recorded, record_acknowledgement, record_remittance

Delivered = Callable[[Iterable[str]], Mapping[str, DeliveredClaim]]


def open_store(path: Path) -> sqlite3.Connection:
    """The SQLite file at `path` with the remittance tables; created owner-only (it holds claim ids)."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    db = sqlite3.connect(path)
    create_remit_tables(db)
    return db


def _read_all(files: Sequence[Path]) -> list[tuple[Path, list[Answer]]]:
    read = []
    for path in files:
        try:
            read.append((path, read_remit(path)))
        except InputRefused as error:
            raise with_file(error, path.name) from None
    return read


def _report(name: str, answer: Answer, done: Recorded) -> list[str]:
    kind = "277CA" if isinstance(answer, Acknowledgement) else "835"
    head = f"{name}: {kind} {answer.control or '(ST02 not shown)'} from payer {answer.payer_id}"
    if not done.new:
        return [one_line(f"{head}: recorded before; nothing changed")]
    lines = [f"{head}: {done.claims} claims recorded, {done.reversed} reversed, {done.replaced} replaced,"
             f" {len(answer.issues)} validation findings kept"]
    lines += [f"  unmatched claim {c}" for c in done.unmatched_claims]
    lines += [f"  unmatched line: claim {c} SVC {n} ({why})" for c, n, why in done.unmatched_lines]
    lines += [f"  pyx12: {issue}" for issue in answer.issues]
    return [one_line(line) if not line.startswith("  ") else "  " + one_line(line) for line in lines]


def remit(files: Sequence[Path], store: Path, delivered: Delivered, out: TextIO, err: TextIO) -> int:
    """Read, match and record each 835/277CA file; print what was recorded and what did not match."""
    try:
        read = _read_all(files)
    except InputRefused as error:
        code, message = outcome_of(error)
        print(message, file=err)
        return code
    db = open_store(store)
    try:
        for path, answers in read:
            for answer in answers:
                if isinstance(answer, Acknowledgement):
                    done = record_acknowledgement(db, answer, path.name)
                else:
                    known = delivered(c.claim_id for c in answer.claims)
                    matches = [match_claim(c, known) for c in answer.claims]
                    done = record_remittance(db, answer, matches, path.name)
                print("\n".join(_report(path.name, answer, done)), file=out)
    finally:
        db.close()
    return 0


_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")


def _write(folder: Path, name: str, text: str) -> None:
    """Write one proposal whole or not at all (temporary file, then rename)."""
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".proposal-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, folder / name)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def outcomes_command(store: Path, fmt: str, out: TextIO, propose_dir: Path | None = None,
                     thresholds: Thresholds = DEFAULTS) -> int:
    """Print the outcomes in `fmt` (text, json, csv); with `propose_dir`, write one payer-profile TOML per payer
    with strong evidence there (`<payer id>.toml`, or `payer-N.toml` when the id is not a plain name) and list
    the weak evidence."""
    db = open_store(store)
    try:
        found = outcomes(db)
    finally:
        db.close()
    out.write(RENDERERS[fmt](found))
    if propose_dir is None:
        return 0
    propose_dir.mkdir(parents=True, exist_ok=True)
    for n, (payer, text) in enumerate(sorted(propose(found, thresholds).items()), 1):
        name = f"{payer}.toml" if _SAFE_NAME.fullmatch(payer) else f"payer-{n}.toml"
        _write(propose_dir, name, text)
        print(one_line(f"proposal written: {name}"), file=out)
    for line in weak(found, thresholds):
        print(f"weak evidence, nothing proposed: {line}", file=out)
    return 0
