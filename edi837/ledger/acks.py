"""Acknowledgements: a person's word that a review item is right as billed, kept until the line changes.

`ack` records it for a claim id, a rule and the content of the line the item is on (model/content.py: code,
modifiers, units, pointers, the diagnoses they name, dates), taken from the claim's latest committed run, with
who said it, when, and their note. A later run on the same claim whose line bills the same is not asked again;
a changed line does not match and the item is raised again. `revoke` ends one (it stays in the ledger, with who
revoked it and when); `list_acks` shows them.

The rule engine asks once per finding, so a run loads the live acknowledgements once (`load_book`) into an
`AckBook`: a dictionary by (claim id, rule), so the answer for the many claims nobody acknowledged anything on
costs one lookup and no line is read into text for them. A `--jobs` worker inherits the book with the run (it
is built before the workers fork); a Dask chunk is sent `book.subset(its claim ids)`, a few entries at most.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edi837.errors import InputRefused, one_line
from edi837.ledger import schema
from edi837.ledger.rows import findings_from, lines_from, row_content
from edi837.ledger.store import Ledger
from edi837.model.claim import Claim
from edi837.model.content import finding_content

NOTE_LIMIT = 500


@dataclass(frozen=True)
class Ack:
    id: int
    claim_id: str
    rule: str
    line: int | None  # LX01 of the line as it was acknowledged (None: a claim-level item)
    content: str
    note: str
    by: str
    at: str  # UTC, ISO
    revoked_at: str | None = None
    revoked_by: str | None = None

    @property
    def words(self) -> str:
        """How the change log and the report say it: `acknowledged by NAME on DATE: NOTE`."""
        return f"acknowledged by {self.record_text}"

    @property
    def record_text(self) -> str:
        """What the change record's `acknowledged` field holds: `NAME on DATE: NOTE`."""
        return f"{self.by} on {self.at[:10]}: {self.note}"


class AckRefused(InputRefused):
    """An acknowledgement or revocation that cannot be made as asked (exit 2); the message says why."""


class AckBook:
    """The live acknowledgements of a run, looked up per finding."""

    def __init__(self, acks: Iterable[Ack] = ()) -> None:
        self._by: dict[tuple[str, str], dict[str, Ack]] = {}
        for ack in acks:
            self._by.setdefault((ack.claim_id, ack.rule), {})[ack.content] = ack

    def __bool__(self) -> bool:
        return bool(self._by)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by.values())

    def __reduce__(self) -> tuple[Any, ...]:
        return (AckBook, (tuple(a for v in self._by.values() for a in v.values()),))

    def has(self, claim_id: str, rule: str) -> bool:
        """Whether anything of this rule on this claim is acknowledged (the cheap question, asked first)."""
        return (claim_id, rule) in self._by

    def find(self, claim_id: str, rule: str, content: str | None) -> Ack | None:
        """The acknowledgement of this rule's item on content `content` of the claim, if there is one."""
        if content is None:
            return None
        found = self._by.get((claim_id, rule))
        return found.get(content) if found else None

    def match(self, claim: Claim, rule: str, line_number: int | None) -> Ack | None:
        """For the rule engine: the acknowledgement of `rule`'s item on line `line_number` (None: the claim) of
        `claim` as it was read (not a rule's edited view: what was acknowledged is the line as billed)."""
        if not self.has(claim.claim_id, rule):
            return None
        return self.find(claim.claim_id, rule, finding_content(claim, line_number))

    def subset(self, claim_ids: Iterable[str]) -> AckBook:
        """The acknowledgements of these claims only (what a Dask chunk of them needs)."""
        wanted = set(claim_ids)
        return AckBook(a for (claim_id, _), v in self._by.items() if claim_id in wanted for a in v.values())


_COLUMNS = "id, claim_id, rule, line, content, note, by, at, revoked_at, revoked_by"


def load_book(ledger: Ledger) -> AckBook:
    """Every live acknowledgement, once per run."""
    return AckBook(Ack(*row) for row in ledger.connection.execute(
        f"SELECT {_COLUMNS} FROM acks WHERE revoked_at IS NULL"))


def book_at(path: Path | None) -> AckBook:
    """The live acknowledgements of the ledger at `path`, read without writing (none when there is no ledger
    yet): what a dry run (`edi-fix --check`) consults, so it decides what the run would. LedgerUnavailable when
    a file there cannot be read as a ledger."""
    if path is None or not path.exists():
        return AckBook()
    with Ledger.open(path, write=False) as ledger:
        return load_book(ledger)


def list_acks(ledger: Ledger, *, claim_id: str | None = None, revoked: bool = False) -> list[Ack]:
    """Acknowledgements, oldest first: the live ones (and the revoked ones too with `revoked`)."""
    where = ["1"] if revoked else ["revoked_at IS NULL"]
    params: list[object] = []
    if claim_id is not None:
        where.append("claim_id = ?")
        params.append(claim_id)
    return [Ack(*row) for row in ledger.connection.execute(
        f"SELECT {_COLUMNS} FROM acks WHERE {' AND '.join(where)} ORDER BY id", params)]


def ack(ledger: Ledger, claim_id: str, rule: str, *, note: str, by: str, line: int | None = None) -> Ack:
    """Acknowledge the open item of `rule` on claim `claim_id` (on line `line`, when the rule raised it on
    more than one) as its latest committed run saw it. AckRefused when there is no such item, or it is
    acknowledged already."""
    note, by = one_line(note, NOTE_LIMIT), one_line(by, 100)
    if not note:
        raise AckRefused("a note saying why the item is right as billed is needed (--note TEXT)")
    if not by:
        raise AckRefused("who acknowledges it is needed (--by NAME)")
    with ledger.writing() as db:
        found = db.execute("SELECT c.run, c.lines, c.findings FROM claims c JOIN runs r ON r.id = c.run "
                           "WHERE c.claim_id = ? AND r.state = 'committed' ORDER BY c.run DESC, c.position DESC "
                           "LIMIT 1", (claim_id,)).fetchone()
        if found is None:
            raise AckRefused(f"claim {claim_id} is in no committed run of the ledger {ledger.path}")
        run, lines, findings = found
        chosen = _choose([f.line for f in findings_from(findings) if f.is_item and f.rule == rule], claim_id, rule,
                         line, run)
        content = row_content(lines_from(lines), chosen)
        if content is None:
            raise AckRefused(f"claim {claim_id} has more than one line numbered {chosen}: fix the numbering first")
        if db.execute("SELECT 1 FROM acks WHERE claim_id = ? AND rule = ? AND content = ? AND revoked_at IS NULL",
                      (claim_id, rule, content)).fetchone():
            raise AckRefused(f"{rule} on claim {claim_id}{_on(chosen)} is acknowledged already")
        at = schema.now()
        cursor = db.execute("INSERT INTO acks (claim_id, rule, line, content, note, by, at, run) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (claim_id, rule, chosen, content, note, by, at, run))
        assert cursor.lastrowid is not None
        return Ack(cursor.lastrowid, claim_id, rule, chosen, content, note, by, at)


def _choose(items: list[int | None], claim_id: str, rule: str, line: int | None, run: int) -> int | None:
    """The line of the item to acknowledge (None: claim-level), from the lines of the rule's items."""
    lines = sorted(set(items), key=lambda n: -1 if n is None else n)
    if not lines:
        raise AckRefused(f"claim {claim_id} has no item of {rule} in its latest committed run (run {run})")
    if line is not None:
        if line not in lines:
            raise AckRefused(f"claim {claim_id} has no item of {rule} on line {line} in its latest committed run "
                             f"(run {run}); it has {_listed(lines)}")
        return line
    if len(lines) > 1:
        raise AckRefused(f"{rule} raised items on {_listed(lines)} of claim {claim_id}: say which with --line N")
    return lines[0]


def revoke(ledger: Ledger, claim_id: str, rule: str, *, by: str, line: int | None = None) -> list[Ack]:
    """End the live acknowledgements of `rule` on the claim (on line `line` only, when given); they stay in
    the ledger as revoked. AckRefused when there is none."""
    by = one_line(by, 100)
    if not by:
        raise AckRefused("who revokes it is needed (--by NAME)")
    query = f"SELECT {_COLUMNS} FROM acks WHERE claim_id = ? AND rule = ? AND revoked_at IS NULL"
    params: list[object] = [claim_id, rule]
    if line is not None:
        query += " AND line = ?"
        params.append(line)
    with ledger.writing() as db:
        live = [Ack(*row) for row in db.execute(query, params)]
        if not live:
            raise AckRefused(f"no live acknowledgement of {rule} on claim {claim_id}{_on(line)}")
        at = schema.now()
        db.executemany("UPDATE acks SET revoked_at = ?, revoked_by = ? WHERE id = ?", [(at, by, a.id) for a in live])
    return [Ack(*(a.id, a.claim_id, a.rule, a.line, a.content, a.note, a.by, a.at), at, by) for a in live]


def _on(line: int | None) -> str:
    return f" line {line}" if line is not None else ""


def _listed(lines: list[int | None]) -> str:
    return ", ".join("the claim" if n is None else f"line {n}" for n in lines)
