"""Recording parsed and matched remittances and 277CA reports, each in one transaction, exactly once.

Why by digest: a practice downloads the same ERA twice, or a clearinghouse resends it; counting its payments
twice would double what a rule earned. The digest of the transaction's content (edi837.remit.segments) is
UNIQUE, so a second reading finds it and records nothing.

Reversals and corrections: a CLP02 22 takes back the latest payment still standing for the same claim id and
payer (the one with the same CLP07 when there is one); a later payment for a claim that still has one
standing replaces it (a re-adjudication, or the corrected payment after a reversal). Outcomes count only the
payments standing: not a reversal, not reversed, not replaced. Nothing is deleted: the history stays.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from edi837.remit.match import ClaimMatch, Finding, LineMatch
from edi837.remit.records import REVERSAL, Acknowledgement, Adjustment, Remittance


@dataclass(frozen=True)
class Recorded:
    """What recording one transaction did; `new` False: it was recorded before, nothing changed."""

    new: bool
    claims: int = 0
    reversed: int = 0
    replaced: int = 0
    unmatched_claims: tuple[str, ...] = ()
    unmatched_lines: tuple[tuple[str, int, str], ...] = ()  # of matched claims: claim id, SVC (1-based), why
    lines: int = 0  # SVCs recorded, those of unmatched claims included
    matched_lines: int = 0
    rejected: int = 0  # 277CA: claims not accepted (category other than A1, A2)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _adjustments(items: Sequence[Adjustment]) -> str:
    return json.dumps([[a.group, a.reason, str(a.amount), None if a.units is None else str(a.units)] for a in items])


def _findings(items: Sequence[Finding]) -> str:
    return json.dumps([[f.rule, f.action, f.applied] for f in items])


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def record_remittance(db: sqlite3.Connection, remit: Remittance, matches: Sequence[ClaimMatch],
                      file_name: str) -> Recorded:
    """Record `remit` and its matches (one ClaimMatch per claim, in order) in one transaction."""
    with db:
        db.execute("BEGIN IMMEDIATE")
        if db.execute("SELECT 1 FROM remittances WHERE digest = ?", (remit.digest,)).fetchone():
            return Recorded(new=False)
        cur = db.execute("INSERT INTO remittances (digest, st02, payer_id, paid_on, trace, file_name, read_at, issues) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (remit.digest, remit.control, remit.payer_id,
                                                            _text(remit.paid_on), remit.trace, file_name, _now(),
                                                            json.dumps(list(remit.issues))))
        counts = [0, 0]
        for ordinal, found in enumerate(matches):
            row = _insert_claim(db, int(cur.lastrowid or 0), ordinal, found)
            done = _supersede(db, row, found)
            counts[0 if found.payment.reversal else 1] += done
        return Recorded(True, len(matches), counts[0], counts[1],
                        tuple(m.payment.claim_id for m in matches if m.delivered is None),
                        tuple((m.payment.claim_id, n + 1, line.how) for m in matches if m.delivered is not None
                              for n, line in enumerate(m.lines) if line.delivered is None),
                        sum(len(m.lines) for m in matches),
                        sum(1 for m in matches for line in m.lines if line.delivered is not None))


def _insert_claim(db: sqlite3.Connection, remittance: int, ordinal: int, found: ClaimMatch) -> int:
    p = found.payment
    ledger_id = found.delivered.ledger_id if found.delivered else None
    cur = db.execute(
        "INSERT INTO remit_claims (remittance, ordinal, claim_id, payer_id, status, charge, paid,"
        " patient_responsibility, payer_control, period_from, period_to, adjustments, remarks, claim, sent_payer_id,"
        " matched) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (remittance, ordinal, p.claim_id, p.payer_id, p.status, str(p.charge), str(p.paid),
         _text(p.patient_responsibility), p.payer_control, _text(p.period_from), _text(p.period_to),
         _adjustments(p.adjustments), json.dumps(list(p.remarks)), ledger_id,
         found.delivered.payer_id if found.delivered else None, int(found.delivered is not None)))
    row = int(cur.lastrowid or 0)
    db.executemany(
        "INSERT INTO remit_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_line_row(row, n, line, found) for n, line in enumerate(found.lines)])
    return row


def _line_row(row: int, ordinal: int, m: LineMatch, found: ClaimMatch) -> tuple[object, ...]:
    s, d, claim = m.paid, m.delivered, found.delivered
    findings = claim.findings_for(d.position) if claim and d else ()
    changed = bool(claim and d and claim.changed(d.position))
    return (row, ordinal, s.code, json.dumps(list(s.modifiers)), s.submitted_code,
            json.dumps(list(s.submitted_modifiers)),
            str(s.charge), str(s.paid), _text(s.units), _text(s.service_date), s.control, _adjustments(s.adjustments),
            json.dumps(list(s.remarks)), m.how, d.position if d else None, d.number if d else None,
            d.code if d else None, json.dumps(list(d.modifiers)) if d else None, _findings(findings), int(changed))


_STANDING = ("SELECT id FROM remit_claims WHERE claim_id = ? AND payer_id = ? AND id != ? AND status != ?"
             " AND reversed_by IS NULL AND replaced_by IS NULL ORDER BY (payer_control IS ?) DESC, id DESC")


def _supersede(db: sqlite3.Connection, row: int, found: ClaimMatch) -> int:
    """Mark what the payment in `row` reverses or replaces; how many it did (0 or 1 for a reversal)."""
    p = found.payment
    standing = [r[0] for r in db.execute(_STANDING, (p.claim_id, p.payer_id, row, REVERSAL, p.payer_control))]
    if p.reversal:
        if standing:
            db.execute("UPDATE remit_claims SET reversed_by = ? WHERE id = ?", (row, standing[0]))
        return min(len(standing), 1)
    db.executemany("UPDATE remit_claims SET replaced_by = ? WHERE id = ?", [(row, r) for r in standing])
    return len(standing)


def record_acknowledgement(db: sqlite3.Connection, ack: Acknowledgement, file_name: str) -> Recorded:
    """Record one 277CA transaction in one transaction, exactly once (by digest)."""
    with db:
        db.execute("BEGIN IMMEDIATE")
        if db.execute("SELECT 1 FROM status_reports WHERE digest = ?", (ack.digest,)).fetchone():
            return Recorded(new=False)
        cur = db.execute("INSERT INTO status_reports (digest, st02, payer_id, file_name, read_at, issues)"
                         " VALUES (?, ?, ?, ?, ?, ?)", (ack.digest, ack.control, ack.payer_id, file_name, _now(),
                                                        json.dumps(list(ack.issues))))
        report = int(cur.lastrowid or 0)
        db.executemany("INSERT INTO claim_statuses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [(report, n, s.claim_id, s.payer_control, s.category, s.status, s.entity,
                         json.dumps(list(s.more)), _text(s.charge), _text(s.on), int(s.accepted))
                        for n, s in enumerate(ack.claims)])
        return Recorded(True, len(ack.claims), rejected=sum(1 for s in ack.claims if not s.accepted))
