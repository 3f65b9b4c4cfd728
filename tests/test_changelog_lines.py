"""Change-log lines are written by template: they must be exactly what json.dumps wrote before."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from edi837.engine.findings import Severity
from edi837.engine.records import _FIELDS, ChangeRecord

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)  # quotes, backslashes, controls, non-ASCII
MAYBE_TEXT = st.none() | TEXT
MAYBE_INT = st.none() | st.integers(min_value=-(10**20), max_value=10**20)


@settings(max_examples=300, deadline=None)
@given(st.builds(ChangeRecord, claim_id=TEXT, line_number=MAYBE_INT, procedure=MAYBE_TEXT, rule=TEXT, action=TEXT,
                 segment_before=MAYBE_TEXT, segment_after=MAYBE_TEXT, applied=st.booleans(), message=TEXT,
                 severity=TEXT | st.sampled_from(list(Severity)), applicability=MAYBE_TEXT, source=MAYBE_TEXT,
                 transaction=MAYBE_TEXT, segment=MAYBE_INT, acknowledged=MAYBE_TEXT))
def test_a_record_line_is_what_json_dumps_gives(record: ChangeRecord) -> None:
    # Values of a str subclass (a Severity) take the generic path; json.dumps writes them as their text.
    # `acknowledged` (the last field) is written only when set: a log without one keeps its bytes.
    expected = json.dumps({name: getattr(record, name) for name in _FIELDS
                           if name != "acknowledged" or record.acknowledged is not None}, ensure_ascii=False)
    assert record.to_json() == expected
    assert json.loads(record.to_json())["claim_id"] == record.claim_id
