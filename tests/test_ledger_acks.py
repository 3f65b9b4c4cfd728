"""Acknowledgements and the claims listing, on a real ledger: a person's word that an item is right as
billed holds while the line bills the same, is raised again when it changes or is revoked; `claims` filters
and totals in exact dollars."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from edi837.ledger import acks, queries
from edi837.ledger.acks import AckRefused
from edi837.ledger.store import Ledger
from edi837.model.claim import Claim
from edi837.model.walker import Walker
from edi837.x12.envelope import SegmentStream
from tests.ledger_helpers import record, small_file


def latest(path: Path, claim_id: str) -> queries.ClaimListing:
    with Ledger.open(path, write=False) as ledger:
        [found] = queries.claims(ledger, claim_id=claim_id)
    return found


def test_an_acknowledged_item_is_not_raised_again_until_its_line_changes(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    record(path, small_file())
    assert (latest(path, "SAME1").status, latest(path, "SAME1").open_items) == ("review", 1)
    with Ledger.open(path) as ledger:
        ack = acks.ack(ledger, "SAME1", "NC001", note="separate region documented", by="Pat")
        assert (ack.line, ack.by) == (2, "Pat")
        assert ack.words.startswith(f"acknowledged by Pat on {date.today().isoformat()[:4]}")
        assert ack.words.endswith(": separate region documented")
        with pytest.raises(AckRefused, match="acknowledged already"):
            acks.ack(ledger, "SAME1", "NC001", note="again", by="Pat")
    # The run it was given on now lists the claim as no longer open (nothing of it was changed: unchanged).
    assert (latest(path, "SAME1").status, latest(path, "SAME1").open_items) == ("unchanged", 0)

    # A later run on the same content: the rule engine's question is answered, the row carries the ack.
    with Ledger.open(path) as ledger:
        book = acks.load_book(ledger)
    data = small_file()
    same = [u for u in Walker(SegmentStream(io.BytesIO(data))) if type(u) is Claim][1]
    assert book.match(same, "NC001", 2) == ack
    assert book.match(same, "NC001", 1) is None and book.match(same, "NC002", 2) is None
    record(path, data)
    listed = latest(path, "SAME1")
    assert (listed.run, listed.status, listed.open_items) == (2, "unchanged", 0)

    # The line changed (2 units): a new question, raised again.
    changed = small_file(same_units="2")
    same2 = [u for u in Walker(SegmentStream(io.BytesIO(changed))) if type(u) is Claim][1]
    assert book.match(same2, "NC001", 2) is None
    record(path, changed)
    assert (latest(path, "SAME1").status, latest(path, "SAME1").open_items) == ("review", 1)

    # Back to the content acknowledged, then revoked: raised again, the revoked one kept in the trail.
    record(path, data)
    assert latest(path, "SAME1").status == "unchanged"
    with Ledger.open(path) as ledger:
        [revoked] = acks.revoke(ledger, "SAME1", "NC001", by="Lee")
        assert (revoked.id, revoked.revoked_by) == (ack.id, "Lee")
        assert acks.list_acks(ledger) == []
        assert [a.revoked_by for a in acks.list_acks(ledger, revoked=True)] == ["Lee"]
        with pytest.raises(AckRefused, match="no live acknowledgement"):
            acks.revoke(ledger, "SAME1", "NC001", by="Lee")
    record(path, data)
    assert latest(path, "SAME1").status == "review"


def test_acknowledging_what_is_not_there_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    record(path, small_file())
    with Ledger.open(path) as ledger:
        for claim, rule, line, words in [("NOPE", "NC001", None, "in no committed run"),
                                         ("SAFE1", "NC001", None, "has no item of NC001"),  # a fix, not an item
                                         ("SAME1", "NC001", 1, "no item of NC001 on line 1"),
                                         ("SAME1", "TU001", None, "has no item of TU001")]:
            with pytest.raises(AckRefused, match=words):
                acks.ack(ledger, claim, rule, line=line, note="n", by="b")
        with pytest.raises(AckRefused, match="note"):
            acks.ack(ledger, "SAME1", "NC001", note=" ", by="b")
        assert acks.list_acks(ledger, revoked=True) == []


def test_claims_are_listed_by_their_latest_run_filtered_with_exact_totals(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    record(path, small_file())
    record(path, small_file(), hold=True)
    with Ledger.open(path, write=False) as ledger:
        now = queries.claims(ledger)
        assert [(c.run, c.claim_id, c.status) for c in now] == [
            (2, "SAFE1", "delivered"), (2, "SAME1", "held"), (2, "PLAIN1", "unchanged")]
        assert len(queries.claims(ledger, history=True)) == 6
        assert [c.claim_id for c in queries.claims(ledger, status="held")] == ["SAME1"]
        assert [c.claim_id for c in queries.claims(ledger, status=["delivered", "unchanged"])] == ["SAFE1", "PLAIN1"]
        assert [c.claim_id for c in queries.claims(ledger, payer="acme1")] == ["SAME1"]
        assert queries.claims(ledger, since=date.today() + timedelta(days=2)) == []
        with pytest.raises(ValueError, match="status"):
            queries.claims(ledger, status="lost")
        total = queries.totals(now)
        # CLM02 85 each; the held one is delivered nowhere.
        assert (total.claims, total.billed, total.delivered, total.not_committed) == (
            3, Decimal(255), Decimal(170), 0)
        assert total.by_status["held"] == (1, Decimal(85), Decimal(0))
