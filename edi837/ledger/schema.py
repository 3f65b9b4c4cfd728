"""The ledger's tables, and the migrations that bring an older ledger to this edi837's schema.

A ledger lives for years and is written by every edi837 on the machine (the watcher of one version, a batch of
the next), so its schema is versioned (`PRAGMA user_version`) and only ever moved forward by the numbered
steps in MIGRATIONS, each in the transaction that checks the version (two processes opening an old ledger at
once: one migrates, the other finds it done). A ledger of a later schema than this edi837 knows is refused,
never written: its meaning is not ours to guess. `PRAGMA application_id` marks the file as a ledger, so that
`--ledger` pointed at the NCCI store or any other SQLite file is refused instead of filled.

The tables, and why they are cut this way:

- `runs`: one row per run (entry point, edi837 version, input base name and sha256, options digest, times,
  pid and host) with its `state`: prepared -> written -> committed, or refused / failed. A run is prepared
  before it does anything (proving the ledger can be written), its rows are written before its outputs
  are placed, and it is marked committed after: a run that never reached `committed` is shown as not
  committed, never silently taken for done.
- `run_files` (the output, held file, change log, report: base name, sha256, size) and `transactions`
  (ISA13, GS06, ST02 per transaction set): the control numbers an acknowledgement (999, 277CA) refers to.
- `claims`: one row per claim per run (CLM01, payer id, SBR09, billing and rendering NPI, first and last date
  of service, frequency, CLM02 before and after, status, held file, the patient's keyed digest, how many
  items are open and fixes applied), with its lines and findings in two JSON columns:
  - `lines`: an array of lines in claim order (position = index), each `[LX01, code, modifiers, units, basis,
    pointers, diagnoses pointed to, date from, date to, charge, REF*6R]` as read, followed, for a line the run
    changed, by `[LX01 after, modifiers after, units after, basis after, charge after, removed]` (NULL where
    the run did not touch it). Code, pointers, diagnoses and dates have no edit that changes them, so they
    are stored once;
  - `findings`: an array of `[rule, line, action, applied, applicability, severity, message, ack]`, one per
    change record, `ack` the acknowledgement that covered an item.
  Why JSON in the claim's row and not a table each: a run of 20,000 claims has some 47,000 lines and 30,000
  findings, and inserting them as rows (binding each, one B-tree entry each) cost more than the whole 10%
  the ledger may add to a run (bench/ledger.py); one row per claim costs a fifth of that. Lines and findings
  are only ever read with their claim. The views `claim_lines` and `claim_findings` (SQLite's json_each)
  give them as tables to anyone querying the ledger with SQL.
  Amounts are exact decimal text, summed with Python's Decimal: a ledger of dollars must not round.
- `acks`: acknowledgements, kept under claim id, rule and the line's content (model/content.py); a revoked
  one stays, with who revoked it and when (the audit trail), and only live ones are unique.

- Migration 2, what the payers answered (edi837/remit/): `remittances` (one 835 transaction set, kept under a
  digest of its content so that the same one read twice is recorded once), `remit_claims` (one CLP; `claim`
  is the `claims.id` of the delivery it was matched to, NULL when none; `sent_payer_id` the payer id that
  delivery carried, the one a payer profile matches; `reversed_by`/`replaced_by` the later payment that took
  it back or replaced it: nothing is deleted), `remit_lines` (one SVC; `position` is the delivered line's
  position in that claim, as in `claim_lines`, NULL when unmatched), `status_reports` and `claim_statuses`
  (277CA, one STC per claim; called statuses because `acks` are the review-item acknowledgements).
  The delivered line's code, modifiers and findings are copied into `remit_lines` (ids and codes only):
  outcomes must say what edi837 sent for the line the payer judged even when the claim's run is pruned.
  No table holds a name or a member id: the 835's NM1 loops are never read (edi837.remit.records).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from edi837 import __version__

APPLICATION_ID = 0x4544_4C47  # "EDLG": marks an SQLite file as an edi837 claims ledger
STATUSES = ("delivered", "review", "held", "refused", "unchanged")
RUN_STATES = ("prepared", "written", "committed", "refused", "failed")
ENTRIES = ("cli", "hook", "watch", "batch", "api", "release")
FILE_ROLES = ("output", "held", "changelog", "report")

_V1 = f"""
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE migrations (
    version INTEGER PRIMARY KEY,
    applied TEXT NOT NULL,
    edi837 TEXT NOT NULL
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN {RUN_STATES!r}),
    entry TEXT NOT NULL CHECK (entry IN {ENTRIES!r}),
    edi837 TEXT NOT NULL,
    started TEXT NOT NULL,
    written TEXT,
    finished TEXT,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    input_name TEXT NOT NULL,
    input_sha256 TEXT,
    input_size INTEGER,
    options_digest TEXT NOT NULL,
    exit_code INTEGER,
    message TEXT
);
CREATE INDEX runs_started ON runs (started);
CREATE TABLE run_files (
    run INTEGER NOT NULL REFERENCES runs (id),
    role TEXT NOT NULL CHECK (role IN {FILE_ROLES!r}),
    name TEXT NOT NULL,
    sha256 TEXT,
    size INTEGER,
    PRIMARY KEY (run, role)
) WITHOUT ROWID;
CREATE TABLE transactions (
    run INTEGER NOT NULL REFERENCES runs (id),
    ordinal INTEGER NOT NULL,
    isa13 TEXT,
    gs06 TEXT,
    st02 TEXT,
    PRIMARY KEY (run, ordinal)
) WITHOUT ROWID;
CREATE TABLE claims (
    id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL REFERENCES runs (id),
    position INTEGER NOT NULL,
    claim_id TEXT NOT NULL,
    transaction_ordinal INTEGER NOT NULL,
    payer_id TEXT NOT NULL,
    claim_filing TEXT NOT NULL,
    billing_npi TEXT NOT NULL,
    rendering_npi TEXT NOT NULL,
    first_date TEXT,
    last_date TEXT,
    frequency TEXT NOT NULL,
    charge_before TEXT,
    charge_after TEXT,
    status TEXT NOT NULL CHECK (status IN {STATUSES!r}),
    held_file TEXT,
    patient TEXT,
    open_items INTEGER NOT NULL,
    applied INTEGER NOT NULL,
    lines TEXT NOT NULL,
    findings TEXT NOT NULL
);
CREATE UNIQUE INDEX claims_run ON claims (run, position);
CREATE INDEX claims_claim_id ON claims (claim_id, run);
CREATE VIEW claim_lines AS
SELECT c.id AS claim, c.run AS run, c.claim_id AS claim_id, CAST(l.key AS INTEGER) AS position,
    json_extract(l.value, '$[0]') AS number, json_extract(l.value, '$[1]') AS procedure,
    json_extract(l.value, '$[2]') AS modifiers, json_extract(l.value, '$[3]') AS units,
    json_extract(l.value, '$[4]') AS basis, json_extract(l.value, '$[5]') AS pointers,
    json_extract(l.value, '$[6]') AS diagnoses, json_extract(l.value, '$[7]') AS date_from,
    json_extract(l.value, '$[8]') AS date_to, json_extract(l.value, '$[9]') AS charge,
    json_extract(l.value, '$[10]') AS control, json_extract(l.value, '$[11]') AS number_after,
    json_extract(l.value, '$[12]') AS modifiers_after, json_extract(l.value, '$[13]') AS units_after,
    json_extract(l.value, '$[14]') AS basis_after, json_extract(l.value, '$[15]') AS charge_after,
    coalesce(json_extract(l.value, '$[16]'), 0) AS removed
FROM claims c, json_each(c.lines) l;
CREATE VIEW claim_findings AS
SELECT c.id AS claim, c.run AS run, c.claim_id AS claim_id, CAST(f.key AS INTEGER) AS seq,
    json_extract(f.value, '$[0]') AS rule, json_extract(f.value, '$[1]') AS line,
    json_extract(f.value, '$[2]') AS action, json_extract(f.value, '$[3]') AS applied,
    json_extract(f.value, '$[4]') AS applicability, json_extract(f.value, '$[5]') AS severity,
    json_extract(f.value, '$[6]') AS message, json_extract(f.value, '$[7]') AS ack
FROM claims c, json_each(c.findings) f;
CREATE TABLE acks (
    id INTEGER PRIMARY KEY,
    claim_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    line INTEGER,
    content TEXT NOT NULL,
    note TEXT NOT NULL,
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    run INTEGER REFERENCES runs (id),
    revoked_at TEXT,
    revoked_by TEXT
);
CREATE UNIQUE INDEX acks_live ON acks (claim_id, rule, content) WHERE revoked_at IS NULL;
PRAGMA application_id = {APPLICATION_ID};
"""

_V2 = """
CREATE TABLE remittances (
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
CREATE TABLE remit_claims (
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
    claim INTEGER REFERENCES claims (id),
    sent_payer_id TEXT,
    matched INTEGER NOT NULL,
    reversed_by INTEGER REFERENCES remit_claims (id),
    replaced_by INTEGER REFERENCES remit_claims (id),
    UNIQUE (remittance, ordinal)
);
CREATE INDEX remit_claims_claim_id ON remit_claims (claim_id, payer_id);
CREATE TABLE remit_lines (
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
CREATE TABLE status_reports (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    st02 TEXT NOT NULL,
    payer_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    read_at TEXT NOT NULL,
    issues TEXT NOT NULL
);
CREATE TABLE claim_statuses (
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
CREATE INDEX claim_statuses_claim_id ON claim_statuses (claim_id);
"""

# (version, what it does, its SQL). Append only: a released step is never edited, a change is a new step.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "runs, their files and transactions, claims, lines, findings, acknowledgements", _V1),
    (2, "835 remittances and 277CA claim statuses, matched to the claims delivered", _V2),
)
VERSION = MIGRATIONS[-1][0]


def now() -> str:
    """A UTC time stamp of fixed width, so that text order is time order (`since` compares them)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def migrate(connection: sqlite3.Connection, from_version: int) -> None:
    """Apply every step after `from_version`, inside the caller's write transaction."""
    for version, _what, sql in MIGRATIONS:
        if version <= from_version:
            continue
        for statement in (s.strip() for s in sql.split(";")):
            if statement:
                connection.execute(statement)
        connection.execute("INSERT INTO migrations VALUES (?, ?, ?)", (version, now(), __version__))
        connection.execute(f"PRAGMA user_version = {version:d}")
