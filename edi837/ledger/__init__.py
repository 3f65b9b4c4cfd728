"""The claims ledger: what happened to every claim edi837 saw, in an SQLite file beside the NCCI store.

Per run (entry point, edi837 version, input base name and sha256, outputs and their digests, control numbers,
options digest, times, outcome) and per claim (CLM01, payer, providers, dates, CLM02 before and after, each
line before and after, each finding and whether a person acknowledged it, where the claim went). No names,
addresses, member ids or birth dates: a patient is a keyed digest (patient.py, secret.py).

- `store`: where the ledger is, opening it (made on first use, patient-data modes, WAL, migrations);
- `schema`: the tables, why they are cut so, and the migrations;
- `rows`: the row values (picklable; what a Dask worker sends back);
- `build`: a claim's row from the claim and its records;
- `recorder`: one run's steps - prepare, rows, written before the outputs are placed, committed after;
- `patient`, `secret`: the keyed patient digest and its key file;
- `acks`: acknowledgements (ack, revoke, list) and the per-run book the rule engine asks;
- `queries`: where claims stand, filtered, with totals; the runs.
"""
