"""The claims ledger: what happened to every claim edi837 saw, in an SQLite file beside the NCCI store.

Per run (entry point, edi837 version, input base name and sha256, outputs and their digests, control numbers,
options digest, times, outcome) and per claim (CLM01, payer, providers, dates, CLM02 before and after, each
line before and after with its REF*6R, each finding and whether a person acknowledged it, where the claim
went). No names, addresses, member ids or birth dates: a patient is a keyed digest (patient.py, secret.py).

The contract an entry point keeps (the CLI, the watcher, the hook, a batch, the API when asked):

    from edi837.ledger.recorder import Recorder, options_digest
    from edi837.ledger.rows import FileRow, RunInfo
    from edi837.ledger.store import LedgerUnavailable, ledger_path

    path = ledger_path(option)                  # --ledger PATH, else $EDI837_LEDGER ("" = none), else per-user
    recorder = Recorder.prepare(path, RunInfo(entry, input_name, options_digest(options), sha256, size),
                                required=not best_effort, opener=open_input, size=input_size)
    # LedgerUnavailable here: say its one line on stderr, exit 2, nothing read or written.
    with recorder:                              # an exception out of the block marks the run failed
        ... for each unit the walker yields:
            recorder.passthrough(raw, delimiters)               # bytes between claims (whom claims are for)
            recorder.claim(position, claim, final_records, held=..., held_file=...)
        ... a run started over (the gate's hold of invalid claims): recorder.restart()
        ... refused (input, gate): recorder.refuse(message); failed: recorder.fail(message)
        recorder.write([FileRow("output", out, sha256, size), FileRow("held", ...), ...])
        # LedgerUnavailable here: place no output, exit 2 (nothing was delivered).
        ... place the outputs (atomic renames) ...
        recorder.commit(exit_code, held_name=final_held_name)   # never raises; recorder.problem says why
    if recorder.problem: warn with it (best effort: the ledger turned itself off, the run went on).

- A run that finished whole (the API, a hook): `build.rows_for(open_input, result, acks=..., keys=...)`
  gives every claim's `ClaimRow` from the input and its FixResult (made with keep_records), then
  `recorder.add(row)` for each (`add(row, claim.transaction)` also keeps the transaction's control numbers),
  then write/commit as above, or `recorder.finish(exit_code, files)` when nothing is placed.
- Dask: a file task records into `Recorder.collecting(book.subset(claim_ids))` (or calls `rows_for` without
  keys) and returns `recorder.rows` - plain picklable NamedTuples of strings and numbers; the caller, which
  holds the key, fills the patients in (`patient.keys_of_file`) and `add`s them to its own recorder.
- The rule engine asks `AckBook.match(claim, rule, line_number)` per review item (the run's book is
  `recorder.acks`, loaded once at `prepare`): the Ack that covers it, keyed to the claim id, the rule and
  the line's content as read (model/content.py), or None. `Ack.words` is what the change log and the report
  say: "acknowledged by NAME on DATE: NOTE".
- `edi-fix ack`: `acks.ack(ledger, claim_id, rule, note=, by=, line=)`, `acks.list_acks(ledger, claim_id=,
  revoked=)`, `acks.revoke(ledger, claim_id, rule, by=, line=)`; AckRefused (exit 2) says what is wrong.
- `edi-fix claims`: `queries.claims(ledger, status=, claim_id=, payer=, since=, history=)` and
  `queries.totals(listings)` (exact Decimal dollars); `queries.runs(ledger, since=, ident=)`.
- Remittances (835, 277CA): `queries.delivered_claims(ledger, claim_id=, payer=, since=)`: every delivery
  of a committed run with its lines as they went out (position, LX01, REF*6R, code, modifiers, units and
  charge after, dates) and each line's findings (rule, action, applied); edi837.remit.delivered turns them
  into what the matcher reads. Their tables are migration 2 (schema.py); `edi-fix remit` writes them.
Open a ledger to read with `store.Ledger.open(path, write=False)` (refused, never made, when absent).

The modules:
- `store`: where the ledger is, opening it (made on first use, patient-data modes, WAL, migrations);
- `schema`: the tables, why they are cut so, and the migrations;
- `rows`: the row values (picklable; what a Dask worker sends back);
- `build`: a claim's row from the claim and its records; `rows_for` a finished run's;
- `facts`: a claim's lines as read, from its segments (what a row needs of every claim, without parsing
  the claim's model where no rule did);
- `recorder`: one run's steps - prepare, rows, written before the outputs are placed, committed after;
- `shadow`: the rows of a large run made by a child process beside it, where a core would sit idle;
- `patient`, `secret`: the keyed patient digest and its key file;
- `acks`: acknowledgements (ack, revoke, list) and the per-run book the rule engine asks;
- `queries`: where claims stand, filtered, with totals; the runs; the deliveries a remittance is matched to.
"""
