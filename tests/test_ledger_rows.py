"""The claims ledger's rows, read back from a real SQLite file: values worked out by hand from the synthetic
claims (tests/ledger_helpers.py), the same rows however they are made (in process, by the child beside the
run, from a finished result), no patient data in the file, and what the remittance matching reads."""

from __future__ import annotations

import io
import pickle
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import edi837
from edi837.ledger import queries
from edi837.ledger.build import rows_for
from edi837.ledger.patient import PatientKeys
from edi837.ledger.rows import ClaimRow, LineRow, lines_from, row_content
from edi837.ledger.store import Ledger
from edi837.model.claim import Claim
from edi837.model.content import finding_content, join_items, split_items
from edi837.model.walker import Walker
from edi837.x12.envelope import SegmentStream
from tests.ledger_helpers import record, small_file

DAY = "2026-03-02"


def stored_rows(path: Path) -> list[ClaimRow]:
    with Ledger.open(path, write=False) as ledger:
        return [ClaimRow(*row[2:]) for row in ledger.connection.execute("SELECT * FROM claims ORDER BY id")]


def test_rows_hold_what_the_claims_bill_and_what_was_delivered(tmp_path: Path) -> None:
    record(tmp_path / "ledger.sqlite3", small_file())
    safe, same, plain = stored_rows(tmp_path / "ledger.sqlite3")
    assert [r.claim_id for r in (safe, same, plain)] == ["SAFE1", "SAME1", "PLAIN1"]
    assert (safe.payer_id, safe.claim_filing, safe.billing_npi, safe.rendering_npi) == (
        "SX123", "CI", "1234567893", "1234567893")
    assert (safe.first_date, safe.last_date, safe.frequency) == (DAY, DAY, "1")
    # A modifier changes no amount: CLM02 85 before and after.
    assert (safe.charge_before, safe.charge_after, safe.status, safe.open_items, safe.applied) == (
        "85", "85", "delivered", 0, 1)
    assert safe.line_rows == (
        LineRow(0, 1, "98940", "", "1", "UN", "1", "M9903", DAY, None, "45"),
        LineRow(1, 2, "97140", "", "2", "UN", "2", "M25511", DAY, None, "40", None,
                None, "59", "2", "UN", "40", False))
    [finding] = safe.finding_rows
    assert (finding.rule, finding.line, finding.action, finding.applied, finding.applicability) == (
        "NC001", 2, "append_modifier", True, "safe")
    assert (same.payer_id, same.status, same.open_items, same.applied, same.charge_after) == (
        "ACME1", "review", 1, 0, "85")
    assert same.line_rows[1].control == "LN-0002"  # REF*6R as billed
    assert [(f.rule, f.line, f.action, f.applied, f.is_item) for f in same.finding_rows] == [
        ("NC001", 2, "review", False, True)]
    # CLM02 85.00 is kept in its shortest exact form.
    assert (plain.charge_before, plain.charge_after, plain.status, plain.findings) == ("85", "85", "unchanged", "[]")


def test_a_held_claim_has_no_after_values(tmp_path: Path) -> None:
    record(tmp_path / "ledger.sqlite3", small_file(), hold=True)
    same = stored_rows(tmp_path / "ledger.sqlite3")[1]
    assert (same.status, same.held_file, same.charge_after) == ("held", "in.held.837", None)
    assert all(line.modifiers_after is None for line in same.line_rows)


def test_rows_are_the_same_however_they_are_made(tmp_path: Path) -> None:
    """In process, by the child process beside the run, and from a finished result (rows_for)."""
    data = small_file()
    record(tmp_path / "here.sqlite3", data)
    record(tmp_path / "beside.sqlite3", data, beside=True)
    here, beside = stored_rows(tmp_path / "here.sqlite3"), stored_rows(tmp_path / "beside.sqlite3")
    # Two ledgers, two keys: the patient digests differ, everything else is the same.
    assert [r._replace(patient=None) for r in here] == [r._replace(patient=None) for r in beside]
    assert all(r.patient for r in here) and all(r.patient for r in beside)
    with Ledger.open(tmp_path / "here.sqlite3") as ledger:
        assert ledger.key is not None
        keys = PatientKeys(ledger.key)
    result = edi837.fix(data, validate=False)
    made = rows_for(lambda: io.BytesIO(data), result, keys=keys)
    assert made == here
    assert pickle.loads(pickle.dumps(made)) == made  # what a Dask worker sends back


def test_rows_made_beside_are_the_rows_made_in_process_on_claims_of_every_shape(tmp_path: Path) -> None:
    """The child (ledger/shadow.py) is sent each claim's records slimmed to what a row reads and makes its rows
    from them; in process the rows are made from the records themselves: the same rows, held or not, on
    generated claims of many shapes (minutes, voids and replacements, dependants, other payers, several
    transactions and people)."""
    from edi837.testing.generator import build_837
    from edi837.testing.random_claims import random_claims

    data = build_837(random_claims(300, seed=23, minutes_share=0.3, shapes=True), claims_per_transaction=70, seed=23)
    for hold in (False, True):
        here, beside = tmp_path / f"here{hold}.sqlite3", tmp_path / f"beside{hold}.sqlite3"
        record(here, data, hold=hold)
        record(beside, data, hold=hold, beside=True)
        made_here, made_beside = stored_rows(here), stored_rows(beside)
        assert [r._replace(patient=None) for r in made_here] == [r._replace(patient=None) for r in made_beside]
        assert len({r.patient for r in made_here}) == len({r.patient for r in made_beside}) > 100
        assert {r.transaction_ordinal for r in made_here} == {1, 2, 3, 4, 5}
        assert {r.frequency for r in made_here} == {"1", "7", "8"}
        statuses = {r.status for r in made_here}
        assert statuses == ({"held", "delivered", "unchanged"} if hold else {"review", "delivered", "unchanged"})
        assert any(line.charge_after is not None for r in made_here for line in r.line_rows)


def test_patients_are_digests_and_no_patient_data_is_stored(tmp_path: Path) -> None:
    data = small_file()
    ledger = tmp_path / "ledger.sqlite3"
    record(ledger, data)
    record(ledger, data)
    rows = stored_rows(ledger)
    first, second = rows[:3], rows[3:]
    assert [r.patient for r in first] == [r.patient for r in second]  # the same people, the same digests
    assert len({r.patient for r in first}) == 3
    text = data.decode("latin-1")
    secrets = set(re.findall(r"\*MI\*(\w+)~", text))  # member ids
    for segment in re.findall(r"^(?:NM1\*(?:IL|QC)|N3|N4|DMG)\*[^~]*", text, re.M):
        secrets.update(part for part in segment.split("*")[1:] if len(part) > 3 and part not in ("D8",))
    assert len(secrets) > 10
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("ledger.sqlite3"))
    assert not [s for s in secrets if s.encode() in stored]


def test_the_acknowledgement_key_read_back_is_the_engines(tmp_path: Path) -> None:
    """The rule engine keys a finding by the claim as read (model/content.py); the ledger's lines give the same."""
    data = small_file()
    record(tmp_path / "ledger.sqlite3", data)
    rows = stored_rows(tmp_path / "ledger.sqlite3")
    claims = [u for u in Walker(SegmentStream(io.BytesIO(data))) if type(u) is Claim]
    for claim, row in zip(claims, rows, strict=True):
        lines = lines_from(row.lines)
        for number in (None, *(line.number for line in lines)):
            assert finding_content(claim, number) == row_content(lines, number)
    assert lines_from(rows[1].lines)[1].content == '["97140","","1","UN","1","M9903","2026-03-02",null]'


def test_items_split_back_as_they_were_joined() -> None:
    for items in [(), ("59",), ("59", "GP"), ("A:B", "C\\D", ""), ("x", "")]:
        assert split_items(join_items(items)) == (items if items != ("x", "") else ("x", ""))


def test_delivered_claims_give_what_remittance_matching_needs(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite3"
    record(ledger, small_file())
    record(ledger, small_file(), hold=True)
    with Ledger.open(ledger, write=False) as opened:
        delivered = list(queries.delivered_claims(opened))
        acme = list(queries.delivered_claims(opened, payer="acme1"))
    # Run 1 delivered all three; run 2 held SAME1.
    assert [(d.run, d.claim_id) for d in delivered] == [(1, "SAFE1"), (1, "SAME1"), (1, "PLAIN1"), (2, "SAFE1"),
                                                         (2, "PLAIN1")]
    assert [(d.run, d.claim_id) for d in acme] == [(1, "SAME1")]
    safe = delivered[0]
    assert (safe.payer_id, safe.claim_filing, safe.charge, safe.findings) == ("SX123", "CI", Decimal(85), ())
    assert safe.patient and safe.delivered
    assert [(x.position, x.number, x.control, x.procedure, x.modifiers, x.units, x.charge, x.date_from, x.date_to,
             [(f.rule, f.action, f.applied) for f in x.findings]) for x in safe.lines] == [
        (0, 1, None, "98940", (), Decimal(1), Decimal(45), DAY, None, []),
        (1, 2, None, "97140", ("59",), Decimal(2), Decimal(40), DAY, None, [("NC001", "append_modifier", True)])]
    line = acme[0].lines[1]
    assert (line.control, line.modifiers, [(f.rule, f.action, f.applied) for f in line.findings]) == (
        "LN-0002", (), [("NC001", "review", False)])


def test_rows_written_in_chunks_are_the_rows_made_claim_by_claim(tmp_path: Path, monkeypatch: Any) -> None:
    """In process the rows go to the ledger CHUNK claims per transaction (here 7, so chunks end mid-transaction
    and mid-patient); whenever the recorder makes them, every stored row is the row build.claim_row makes for
    the claim as the run goes (the patient as the run knew it then), held or not, and a second run's ids follow
    the first's. A recorder that made its rows later, in batches, must keep this."""
    from edi837.engine import farm
    from edi837.ledger import recorder as recording
    from edi837.ledger.build import claim_row
    from edi837.ledger.patient import Tracker
    from edi837.ledger.recorder import Recorder, options_digest
    from edi837.ledger.rows import FileRow, RunInfo
    from edi837.model.walker import Passthrough
    from edi837.pipeline import FixOptions, build_engine
    from edi837.testing.generator import build_837
    from edi837.testing.random_claims import random_claims

    monkeypatch.setattr(recording, "CHUNK", 7)
    data = build_837(random_claims(120, seed=29, minutes_share=0.3, shapes=True), claims_per_transaction=50, seed=29)
    path = tmp_path / "ledger.sqlite3"
    one_by_one: list[ClaimRow] = []
    for hold in (False, True):
        options = FixOptions(validate=False)
        recorder = Recorder.prepare(path, RunInfo("cli", "in.837", options_digest(options)), beside=False)
        assert recorder.ledger is not None and recorder.ledger.key is not None
        stream = SegmentStream(io.BytesIO(data))
        tracker = Tracker(PatientKeys(recorder.ledger.key), stream.delimiters)
        engine = build_engine(stream.delimiters, options)
        position = -1
        for unit, outcome in farm.in_process(Walker(stream), engine):
            if type(unit) is Passthrough:
                recorder.passthrough(unit.raw, stream.delimiters)
                tracker.feed(unit.raw)
            elif type(unit) is Claim:
                assert outcome is not None
                position += 1
                held = hold and any(r.action == "review" for r in outcome.records)
                held_file = "in.held.837" if held else None
                recorder.claim(position, unit, outcome.records, held=held, held_file=held_file)
                one_by_one.append(claim_row(position, unit, outcome.records, held=held, held_file=held_file,
                                            acks=recorder.acks, patient=tracker.current))
        recorder.write([FileRow("output", "out.837", "0" * 64, len(data))])
        recorder.commit(0)
        recorder.close()
    assert len(one_by_one) == 240 and any(r.status == "held" for r in one_by_one)
    assert stored_rows(path) == one_by_one
    with Ledger.open(path, write=False) as ledger:
        ids = [row[0] for row in ledger.connection.execute("SELECT id FROM claims ORDER BY run, position")]
    assert ids == list(range(1, 241))
