"""The remittance tables: 835 payments and 277CA statuses, in a given SQLite connection.

Meant to become migration 2 of the claims ledger (whose migration 1 holds runs, claims with their lines and
findings as JSON, and the review-item `acks`; the names here avoid `acks` for that reason: a 277CA is a
"claim status"). Conventions kept from the ledger: amounts are exact decimal TEXT (summed with Decimal),
dates ISO TEXT, JSON arrays for small lists read only with their row. `remit_claims.claim` is the ledger's
`claims.id` of the matched delivered claim when the ledger gave it (NULL otherwise); `remit_lines.position`
is the delivered line's position in that claim (`claim_lines.position`), so both join to the ledger.

`remit_claims.sent_payer_id` is the payer id the delivered claim carried (2010BB NM109): the one a payer
profile's `payer_ids` matches, which the 835's own payer id (N1*PR N104, REF*2U, TRN03) need not equal.

Why the delivered line's code, modifiers and findings are copied into `remit_lines`: outcomes must say what
edi837 sent for the line the payer judged, and a remittance can arrive for a claim whose run the ledger
has pruned; the copy is ids and codes only.

Nothing here holds a name or a member id: the 835's NM1 loops are never read (edi837.remit.records).
"""

from __future__ import annotations

import sqlite3

TABLES = ("remittances", "remit_claims", "remit_lines", "status_reports", "claim_statuses")

DDL = """
CREATE TABLE IF NOT EXISTS remittances (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    st02 TEXT NOT NULL,
    payer_id TEXT NOT NULL,
    paid_on TEXT,
    trace TEXT,
    file_name TEXT NOT NULL,
    read_at TEXT NOT NULL,
    issues TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS remit_claims (
    id INTEGER PRIMARY KEY,
    remittance INTEGER NOT NULL REFERENCES remittances (id),
    ordinal INTEGER NOT NULL,
    claim_id TEXT NOT NULL,
    payer_id TEXT NOT NULL,
    status TEXT NOT NULL,
    charge TEXT NOT NULL,
    paid TEXT NOT NULL,
    patient_responsibility TEXT,
    payer_control TEXT,
    period_from TEXT,
    period_to TEXT,
    adjustments TEXT NOT NULL,
    remarks TEXT NOT NULL,
    claim INTEGER,
    sent_payer_id TEXT,
    matched INTEGER NOT NULL,
    reversed_by INTEGER REFERENCES remit_claims (id),
    replaced_by INTEGER REFERENCES remit_claims (id),
    UNIQUE (remittance, ordinal)
);
CREATE INDEX IF NOT EXISTS remit_claims_claim_id ON remit_claims (claim_id, payer_id);
CREATE TABLE IF NOT EXISTS remit_lines (
    remit_claim INTEGER NOT NULL REFERENCES remit_claims (id),
    ordinal INTEGER NOT NULL,
    code TEXT NOT NULL,
    modifiers TEXT NOT NULL,
    submitted_code TEXT,
    submitted_modifiers TEXT NOT NULL,
    charge TEXT NOT NULL,
    paid TEXT NOT NULL,
    units TEXT,
    service_date TEXT,
    control TEXT,
    adjustments TEXT NOT NULL,
    remarks TEXT NOT NULL,
    matched_by TEXT NOT NULL,
    position INTEGER,
    number TEXT,
    sent_code TEXT,
    sent_modifiers TEXT,
    findings TEXT NOT NULL,
    changed INTEGER NOT NULL,
    PRIMARY KEY (remit_claim, ordinal)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS status_reports (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    st02 TEXT NOT NULL,
    payer_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    read_at TEXT NOT NULL,
    issues TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS claim_statuses (
    report INTEGER NOT NULL REFERENCES status_reports (id),
    ordinal INTEGER NOT NULL,
    claim_id TEXT,
    payer_control TEXT,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    entity TEXT,
    more TEXT NOT NULL,
    charge TEXT,
    status_date TEXT,
    accepted INTEGER NOT NULL,
    PRIMARY KEY (report, ordinal)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS claim_statuses_claim_id ON claim_statuses (claim_id);
"""


def create_remit_tables(connection: sqlite3.Connection) -> None:
    """Create the remittance tables (and indexes) in `connection` if they are not there; no commit of its own
    beyond what executescript does (it commits a pending transaction first, as sqlite3 documents)."""
    connection.executescript(DDL)
