"""What `edi-fix claims` asks the ledger: where each claim stands, filtered, with totals in dollars.

A claim id seen by several runs is shown by its latest run (the highest run id: runs are numbered as they
start) unless `history` asks for every run; a run that was never committed still counts as the latest - it
may have delivered the claim - and says so (`committed` False, `run_condition` "running" or "not committed").

A status is where a claim stands now: the one its run recorded, except that a claim a release delivered
(`edi-fix release`, entry "release") is "released", with the file it went to and when, and that a delivered
claim whose review items have all been acknowledged since is no longer "review" (it is "delivered", or
"unchanged" when nothing of it was changed). A held claim stays held until a run or a release delivers it.
Totals are exact: amounts are summed as Decimal, billed (CLM02 as read) and delivered (CLM02 as delivered).
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from edi837.files.leftovers import pid_alive
from edi837.ledger.acks import AckBook, load_book
from edi837.ledger.rows import FileRow, LineRow, findings_from, lines_from, row_content
from edi837.ledger.schema import STATUSES
from edi837.ledger.store import Ledger
from edi837.model.content import split_items

RELEASED = "released"
# The statuses a listing shows: the ones a run records, and "released", which the ledger keeps as the release
# run's delivered (or unchanged) row; read as its own status so a person sees where a held claim went.
LISTED_STATUSES = (*STATUSES, RELEASED)
_DELIVERED = ("delivered", "review", "unchanged")


@dataclass(frozen=True)
class ClaimListing:
    row: int  # claims.id
    run: int
    run_state: str  # prepared | written | committed | refused | failed
    run_condition: str  # committed | refused | failed | running | not committed
    started: str
    entry: str
    input_name: str
    position: int
    claim_id: str
    payer_id: str
    claim_filing: str
    billing_npi: str
    rendering_npi: str
    first_date: str | None
    last_date: str | None
    frequency: str
    charge_before: Decimal | None
    charge_after: Decimal | None
    status: str
    held_file: str | None
    open_items: int
    applied: int
    released_to: str | None = None  # the release's OUT (a base name, as the ledger keeps every file's)
    released_at: str | None = None  # when the release was committed (UTC, ISO)

    @property
    def committed(self) -> bool:
        return self.run_state == "committed"


@dataclass(frozen=True)
class Totals:
    """Counts and dollars of a listing, overall and per status (billed: CLM02 as read; delivered: as sent)."""

    claims: int = 0
    billed: Decimal = Decimal(0)
    delivered: Decimal = Decimal(0)
    not_committed: int = 0  # claims whose latest run was never committed
    by_status: dict[str, tuple[int, Decimal, Decimal]] = field(default_factory=dict)


@dataclass(frozen=True)
class RunListing:
    id: int
    state: str
    entry: str
    edi837: str
    started: str
    written: str | None
    finished: str | None
    pid: int
    host: str
    input_name: str
    input_sha256: str | None
    input_size: int | None
    options_digest: str
    exit_code: int | None
    message: str | None
    claims: int
    files: tuple[FileRow, ...] = ()

    @property
    def condition(self) -> str:
        return _condition(self.state, self.pid, self.host)


def _condition(state: str, pid: int, host: str) -> str:
    """A run's state in words: one not committed is "running" while its process is alive on this machine (a
    hint: a process id can be reused), else "not committed"."""
    if state in ("committed", "refused", "failed"):
        return state
    return "running" if host == socket.gethostname() and pid_alive(pid) else "not committed"


def utc_text(since: datetime | date) -> str:
    """A moment as the ledger writes times (a date: its local midnight; a naive time: local)."""
    if not isinstance(since, datetime):
        since = datetime.combine(since, time())
    return since.astimezone(UTC).isoformat(timespec="microseconds")


_SELECT = """SELECT c.id, c.run, r.state, r.pid, r.host, r.started, r.entry, r.input_name, c.position, c.claim_id,
c.payer_id, c.claim_filing, c.billing_npi, c.rendering_npi, c.first_date, c.last_date, c.frequency,
c.charge_before, c.charge_after, c.status, c.held_file, c.open_items, c.applied, r.finished,
CASE WHEN r.entry = 'release' THEN (SELECT f.name FROM run_files f WHERE f.run = r.id AND f.role = 'output') END,
ROW_NUMBER() OVER (PARTITION BY c.claim_id ORDER BY c.run DESC, c.position DESC) AS latest
FROM claims c JOIN runs r ON r.id = c.run"""


def claims(ledger: Ledger, *, status: Iterable[str] | str | None = None, claim_id: str | None = None,
           payer: str | None = None, since: datetime | date | None = None,
           history: bool = False) -> list[ClaimListing]:
    """Claims by status (delivered, review, held, refused, unchanged, released), claim id, payer id (2010BB, any
    case) and runs started since a moment; each claim by its latest run, or every run with `history`. In run order."""
    wanted = {status} if isinstance(status, str) else set(status) if status is not None else None
    if wanted is not None and not wanted <= set(LISTED_STATUSES):
        raise ValueError(f"status: one of {', '.join(LISTED_STATUSES)}")
    where: list[str] = []
    params: dict[str, object] = {}
    if since is not None:
        where.append("r.started >= :since")
        params["since"] = utc_text(since)
    if claim_id is not None:
        where.append("c.claim_id = :claim_id")
        params["claim_id"] = claim_id
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
    outer = [] if history else ["latest = 1"]
    if payer is not None:
        outer.append("payer_id = :payer COLLATE NOCASE")
        params["payer"] = payer
    sql = f"SELECT * FROM ({sql})" + (" WHERE " + " AND ".join(outer) if outer else "") + " ORDER BY run, position"
    book = load_book(ledger)
    out = []
    for row in ledger.connection.execute(sql, params):
        listing = _listing(row)
        if listing.open_items and book:
            listing = _since_acknowledged(ledger, listing, book)
        if wanted is None or listing.status in wanted:
            out.append(listing)
    return out


def _listing(row: tuple[Any, ...]) -> ClaimListing:
    ident, run, state, pid, host, *middle, finished, output, _ = row  # the last column is the window's rank
    middle[12], middle[13] = _money(middle[12]), _money(middle[13])  # charge_before, charge_after
    listing = ClaimListing(ident, run, state, _condition(state, pid, host), *middle)
    if listing.entry == "release" and listing.status in _DELIVERED:  # the release's rows of the claims it sent
        return replace(listing, status=RELEASED, released_to=output, released_at=finished)
    return listing


def _money(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def _since_acknowledged(ledger: Ledger, listing: ClaimListing, book: AckBook) -> ClaimListing:
    """The listing with the items acknowledged after its run no longer open (and its status as it follows)."""
    lines, findings = ledger.connection.execute("SELECT lines, findings FROM claims WHERE id = ?",
                                                (listing.row,)).fetchone()
    items = [f for f in findings_from(findings) if f.is_item and f.ack is None]
    if not any(book.has(listing.claim_id, f.rule) for f in items):
        return listing
    rows = lines_from(lines)
    still = sum(1 for f in items if book.find(listing.claim_id, f.rule, row_content(rows, f.line)) is None)
    status = listing.status
    if status == "review" and not still:
        status = "delivered" if listing.applied else "unchanged"
    return replace(listing, open_items=still, status=status)


def totals(listings: Iterable[ClaimListing]) -> Totals:
    count, billed, delivered, pending = 0, Decimal(0), Decimal(0), 0
    by: dict[str, tuple[int, Decimal, Decimal]] = {}
    for x in listings:
        before, after = x.charge_before or Decimal(0), x.charge_after or Decimal(0)
        count, billed, delivered = count + 1, billed + before, delivered + after
        pending += not x.committed
        n, b, d = by.get(x.status, (0, Decimal(0), Decimal(0)))
        by[x.status] = (n + 1, b + before, d + after)
    return Totals(count, billed, delivered, pending, by)


def runs(ledger: Ledger, *, since: datetime | date | None = None, ident: int | None = None) -> list[RunListing]:
    """Runs in the order they started (with their claim counts and files)."""
    where: list[str] = []
    params: list[object] = []
    if since is not None:
        where.append("r.started >= ?")
        params.append(utc_text(since))
    if ident is not None:
        where.append("r.id = ?")
        params.append(ident)
    db = ledger.connection
    rows = db.execute("SELECT r.id, r.state, r.entry, r.edi837, r.started, r.written, r.finished, r.pid, r.host, "
                      "r.input_name, r.input_sha256, r.input_size, r.options_digest, r.exit_code, r.message, "
                      "(SELECT count(*) FROM claims c WHERE c.run = r.id) FROM runs r"
                      + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY r.id", params).fetchall()
    files: dict[int, list[FileRow]] = {}
    for run, role, name, sha256, size in db.execute("SELECT run, role, name, sha256, size FROM run_files"):
        files.setdefault(run, []).append(FileRow(role, name, sha256, size))
    names = [f.name for f in fields(RunListing)][:-1]
    return [RunListing(**dict(zip(names, row, strict=True)), files=tuple(files.get(row[0], ()))) for row in rows]


@dataclass(frozen=True)
class LineFinding:
    rule: str
    action: str  # the change log's action (append_modifier ... review)
    applied: bool


@dataclass(frozen=True)
class DeliveredLine:
    """A service line as it went to the payer (what an 835's SVC answers)."""

    position: int  # 0-based among the lines delivered (a removed line is not among them)
    number: int  # LX01 as delivered
    control: str | None  # REF*6R as billed
    procedure: str
    modifiers: tuple[str, ...]  # after the run
    units: Decimal  # after the run
    charge: Decimal  # after the run
    date_from: str | None
    date_to: str | None
    findings: tuple[LineFinding, ...]


@dataclass(frozen=True)
class DeliveredClaim:
    """A claim a committed run delivered (status delivered, review or unchanged), as it went out."""

    row: int  # claims.id
    run: int
    delivered: str  # when its run was committed (UTC, ISO)
    claim_id: str
    payer_id: str
    claim_filing: str
    charge: Decimal | None  # CLM02 as delivered
    patient: str | None  # the keyed digest (ledger/patient.py)
    lines: tuple[DeliveredLine, ...]
    findings: tuple[LineFinding, ...]  # the claim-level ones (no line)


def delivered_claims(ledger: Ledger, *, claim_id: str | None = None, payer: str | None = None,
                     since: datetime | date | None = None) -> Iterator[DeliveredClaim]:
    """Every delivery of a committed run, in run order (a claim sent twice is here twice, each with its run):
    what an 835 or a 277CA is matched against. Filtered by claim id, payer id (any case), runs started since."""
    where = ["r.state = 'committed'", "c.status IN ('delivered', 'review', 'unchanged')"]
    params: dict[str, object] = {}
    if claim_id is not None:
        where.append("c.claim_id = :claim_id")
        params["claim_id"] = claim_id
    if payer is not None:
        where.append("c.payer_id = :payer COLLATE NOCASE")
        params["payer"] = payer
    if since is not None:
        where.append("r.started >= :since")
        params["since"] = utc_text(since)
    sql = ("SELECT c.id, c.run, r.finished, c.claim_id, c.payer_id, c.claim_filing, c.charge_after, c.patient, "
           "c.lines, c.findings FROM claims c JOIN runs r ON r.id = c.run WHERE " + " AND ".join(where)
           + " ORDER BY c.run, c.position")
    for ident, run, finished, claim, payer_id, filing, charge, patient, lines, findings in ledger.connection.execute(
            sql, params):
        found = findings_from(findings)
        by_line: dict[int | None, list[LineFinding]] = {}
        for f in found:
            by_line.setdefault(f.line, []).append(LineFinding(f.rule, f.action, f.applied))
        kept = [line for line in lines_from(lines) if not line.removed]
        yield DeliveredClaim(ident, run, finished, claim, payer_id, filing, _money(charge), patient,
                             tuple(_delivered_line(n, line, by_line) for n, line in enumerate(kept)),
                             tuple(by_line.get(None, ())))


def _delivered_line(position: int, line: LineRow, by_line: dict[int | None, list[LineFinding]]) -> DeliveredLine:
    modifiers = line.modifiers_after if line.modifiers_after is not None else line.modifiers
    return DeliveredLine(position, line.number_after or line.number, line.control, line.procedure,
                         split_items(modifiers), Decimal(line.units_after or line.units),
                         Decimal(line.charge_after or line.charge), line.date_from, line.date_to,
                         tuple(by_line.get(line.number, ())))


def held_file_recorded(ledger: Ledger, sha256: str) -> bool:
    """Whether a run recorded a held file with these contents (what `release` accepts as a held file)."""
    return ledger.connection.execute("SELECT 1 FROM run_files WHERE role = 'held' AND sha256 = ? LIMIT 1",
                                     (sha256,)).fetchone() is not None


def held_items(ledger: Ledger, claim_id: str) -> list[tuple[str, int | None, str | None]]:
    """The review items (rule, line, acknowledgement key) a person must have acknowledged before the claim
    leaves a held file: every open item of its held rows in committed runs since a run last delivered it (a
    release's re-run does not raise an item that depended on a claim no longer beside it, so the row that
    held it first counts too)."""
    db = ledger.connection
    last = db.execute("SELECT COALESCE(MAX(c.run), 0) FROM claims c JOIN runs r ON r.id = c.run WHERE c.claim_id = ? "
                      "AND r.state = 'committed' AND c.status NOT IN ('held', 'refused')", (claim_id,)).fetchone()[0]
    items: dict[tuple[str, int | None, str | None], None] = {}
    for lines, findings in db.execute("SELECT c.lines, c.findings FROM claims c JOIN runs r ON r.id = c.run WHERE "
                                      "c.claim_id = ? AND c.run > ? AND c.status = 'held' AND r.state = 'committed' "
                                      "ORDER BY c.run", (claim_id, last)):
        rows = lines_from(lines)
        for finding in findings_from(findings):
            if finding.is_item and not finding.applied:
                items[(finding.rule, finding.line, row_content(rows, finding.line))] = None
    return list(items)
