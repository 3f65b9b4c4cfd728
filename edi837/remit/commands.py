"""`edi-fix remit FILE...` and `edi-fix outcomes` as functions of already-parsed arguments.

The command line (edi837/cli/remit.py, cli/outcomes.py) only parses flags and calls these; they return the
exit code (0 done, 2 refused: one line on stderr, nothing recorded) and write their report to `out`. Both
work on the claims ledger (edi837.ledger): the remittance tables are its migration 2, and the claims an
835 is matched against are the deliveries it recorded (edi837.remit.delivered).

Why every file is read before anything is recorded: a refusal must leave the tables as they were, so a
command given five files of which the fourth is not an 835 records none of them, and says which.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

from edi837.errors import InputRefused, one_line, outcome_of, with_file
from edi837.ledger.store import Ledger, LedgerUnavailable
from edi837.remit.delivered import Delivered, ledger_deliveries
from edi837.remit.match import match_claim
from edi837.remit.outcomes import outcomes
from edi837.remit.propose import DEFAULTS, Thresholds, propose, weak
from edi837.remit.read import Answer, read_remit
from edi837.remit.records import Acknowledgement
from edi837.remit.render import RENDERERS
from edi837.remit.store import Recorded, record_acknowledgement, record_remittance
from edi837.words import plural


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
    if kind == "277CA":
        lines = [f"{head}: {plural(done.claims, 'claim status', 'claim statuses')} recorded, {done.rejected} rejected"]
    else:
        lines = [f"{head}: {plural(done.claims, 'claim')} ({done.claims - len(done.unmatched_claims)} matched, "
                 f"{len(done.unmatched_claims)} unmatched), {plural(done.lines, 'line')} ({done.matched_lines} "
                 f"matched, {done.lines - done.matched_lines} unmatched), {done.reversed} reversed, "
                 f"{done.replaced} replaced"]
    lines[0] += f", {plural(len(answer.issues), 'validation finding')} kept"
    lines += [f"  unmatched claim {c}" for c in done.unmatched_claims]
    lines += [f"  unmatched line: claim {c} SVC {n} ({why})" for c, n, why in done.unmatched_lines]
    lines += [f"  pyx12: {issue}" for issue in answer.issues]
    return [one_line(line) if not line.startswith("  ") else "  " + one_line(line) for line in lines]


def remit(files: Sequence[Path], ledger: Path, out: TextIO, err: TextIO, delivered: Delivered | None = None) -> int:
    """Read, match and record each 835/277CA file into the ledger at `ledger` (made when missing); print what
    was recorded and what did not match. `delivered`: the claims to match against (default: the ledger's)."""
    try:
        read = _read_all(files)
        with Ledger.open(ledger) as book:
            lookup = delivered or ledger_deliveries(book)
            for path, answers in read:
                for answer in answers:
                    print("\n".join(_report(path.name, answer, _record(book, answer, lookup, path.name))), file=out)
    except (InputRefused, LedgerUnavailable) as error:
        code, message = outcome_of(error)
        print(f"edi-fix: {message}", file=err)
        return code
    return 0


def _record(book: Ledger, answer: Answer, delivered: Delivered, name: str) -> Recorded:
    """One transaction set recorded in one transaction (a failure of the ledger: LedgerUnavailable)."""
    try:
        if isinstance(answer, Acknowledgement):
            return record_acknowledgement(book.connection, answer, name)
        known = delivered(c.claim_id for c in answer.claims)
        return record_remittance(book.connection, answer, [match_claim(c, known) for c in answer.claims], name)
    except sqlite3.Error as error:
        raise LedgerUnavailable(one_line(f"{book.path}: the claims ledger cannot be written ({error})")) from None


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


def proposal_folder(folder: Path) -> None:
    """Refuse (InputRefused, before anything is printed) a --propose DIR that is not a folder, or one to make
    whose parent folder does not exist: a typo must not make a tree of folders, nor fail after the report."""
    if folder.is_dir():
        return
    if folder.exists() or folder.is_symlink():
        raise InputRefused(f"--propose {folder}: not a folder")
    if not folder.absolute().parent.is_dir():
        raise InputRefused(f"--propose {folder}: no folder {folder.absolute().parent} to make it in")


def outcomes_command(ledger: Path, fmt: str, out: TextIO, propose_dir: Path | None = None,
                     thresholds: Thresholds = DEFAULTS, *, since: date | None = None, payer: str | None = None,
                     err: TextIO | None = None) -> int:
    """Print the outcomes recorded in the ledger at `ledger` in `fmt` (text, json, csv, html), of payments dated
    `since` or later and claims sent to `payer`; with `propose_dir`, write one payer-profile TOML per payer with
    strong evidence there (`<payer id>.toml`, or `payer-N.toml` when the id is not a plain name) and list the
    weak evidence; when nothing is proposed, say so on `err`. A ledger that is missing or unreadable is refused
    (LedgerUnavailable, exit 2); so is a `propose_dir` that cannot be made (proposal_folder), before anything."""
    if propose_dir is not None:
        proposal_folder(propose_dir)
    with Ledger.open(ledger, write=False) as book:
        found = outcomes(book.connection, since=since, payer=payer)
    out.write(RENDERERS[fmt](found))
    if propose_dir is None:
        return 0
    propose_dir.mkdir(mode=0o700, exist_ok=True)  # never its parents; the proposals are 0600 (mkstemp)
    proposals = sorted(propose(found, thresholds).items())
    for n, (payer, text) in enumerate(proposals, 1):
        name = f"{payer}.toml" if _SAFE_NAME.fullmatch(payer) else f"payer-{n}.toml"
        _write(propose_dir, name, text)
        print(one_line(f"proposal written: {name}"), file=out)
    weak_lines = weak(found, thresholds)
    for line in weak_lines:
        print(f"weak evidence, nothing proposed: {line}", file=out)
    if not proposals:
        n = len(weak_lines)
        why = f"the evidence is weak for {n} setting{'s' if n != 1 else ''}, listed above" if n else "no evidence"
        print(f"edi-fix: nothing proposed: {why}", file=err or sys.stderr)
    return 0
