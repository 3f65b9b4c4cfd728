"""NCCI's unit of edit (patient, performing provider, date of service) across the claims of one file, through
every entry point: the pass that finds partner claims reads the input before the run (engine/partners.py),
so stdin must be spooled and a hook's file reopened; and what that pass keeps identifies no patient.

The rule answers themselves are rule cases (tests/fixtures/rules/NC001/cases.toml and others: "another claim",
"range"); the byte identity on several processes and on Dask is in tests/test_jobs.py and tests/test_batch.py.
"""

from __future__ import annotations

import io
import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

from edi837.engine.partners import index_partners, patient_of
from edi837.model.claim import Claim
from edi837.model.walker import Walker
from edi837.pipeline import FixOptions, fix
from edi837.x12.envelope import SegmentStream
from tests.helpers import FIXTURES

# 98940 on SPLIT-A, 97140 (shoulder) on SPLIT-B, one member
SPLIT = FIXTURES / "rules" / "NC001" / "nc001_other_claim.837"
NAMED = "98940 is billed on claim SPLIT-A line 1"
BEFORE, AFTER = b"SV1*HC:97140*40*UN*1***1~", b"SV1*HC:97140:59*40*UN*1***1~"


def edi_fix(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "edi837", *args], input=stdin, capture_output=True, cwd=cwd,
                          timeout=120, check=False)


def test_stdin_is_read_for_partners_and_then_fixed() -> None:
    """`edi-fix - -`: stdin is spooled, so the pass that pairs claims and the run read the same bytes; with
    --apply-review the modifier lands on 97140's own claim in what goes to stdout."""
    data = SPLIT.read_bytes()
    done = edi_fix("-", "-", "--no-validate", "--format", "json", stdin=data)
    assert done.returncode == 1, done.stderr
    assert done.stdout == data  # a review item: nothing changed
    assert NAMED in done.stderr.decode()
    applied = edi_fix("-", "-", "--no-validate", "--apply-review", stdin=data)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout == data.replace(BEFORE, AFTER)


def test_the_hook_pairs_claims_of_the_file_it_fixes(tmp_path: Path) -> None:
    target = tmp_path / "outbound.837"
    target.write_bytes(SPLIT.read_bytes())
    done = edi_fix("hook", str(target))
    assert done.returncode == 1, done.stderr
    assert target.read_bytes() == SPLIT.read_bytes()
    records = [json.loads(x) for x in Path(f"{target}.changes.jsonl").read_text().splitlines()]
    assert [(r["claim_id"], r["line_number"], r["rule"], r["applied"]) for r in records] == [("SPLIT-B", 1, "NC001",
                                                                                             False)]
    assert NAMED in records[0]["message"]


def _claims(data: bytes) -> list[Claim]:
    return [u for u in Walker(SegmentStream(io.BytesIO(data)), identify=True) if type(u) is Claim]


def test_what_the_pass_keeps_identifies_no_patient() -> None:
    """The partner map (what a chunk carries to another process) holds claim ids, codes and dates: no member
    id, no name, no birth date, and not the keyed digest the claims were matched by."""
    data = SPLIT.read_bytes()
    partners = index_partners(lambda: io.BytesIO(data))
    assert sorted(claim_id for claim_id, _ in partners.values()) == ["SPLIT-A", "SPLIT-B"]  # each the other's
    shipped = pickle.dumps(partners)
    members = set(re.findall(rb"NM1\*IL\*1\*([A-Z]+)\*([A-Z]+)\*\*\*\*MI\*(\w+)~", data))
    assert members
    for last, first, member in members:
        for secret in (last, first, member):
            assert secret not in shipped
    for birth in re.findall(rb"DMG\*D8\*(\d{8})", data):
        assert birth not in shipped
    digests = {patient_of(c) for c in _claims(data)}
    assert None not in digests
    assert not any(d in shipped for d in digests if d is not None)
    records = fix(data, FixOptions(validate=False, ncci_db=False)).records
    text = " ".join(r.message for r in records)
    assert all(m.decode() not in text for _, _, m in members)


def test_a_claim_that_names_no_member_is_not_paired() -> None:
    """Without a member id (2010BA NM109) nothing tells who the claim is for: no partner, no guess."""
    data = re.sub(rb"\*MI\*MBR\d+~", b"~", SPLIT.read_bytes())
    assert b"*MI*" not in data
    assert fix(data, FixOptions(validate=False, ncci_db=False)).records == []


def test_one_claim_alone_is_judged_as_before() -> None:
    """A claim whose partners are all in the claim itself gets no partner lines at all (the map is empty)."""
    data = (FIXTURES / "rules" / "NC001" / "nc001_distinct.837").read_bytes()
    assert index_partners(lambda: io.BytesIO(data)) == {}


def test_only_claims_of_one_patient_whose_dates_overlap_are_partners() -> None:
    """A patient seen every day for a month: thirty claims, none a partner of another, but the two claims of
    the one day billed twice, and a claim billed as a range over three of the days, which may share them."""
    from datetime import date, timedelta

    from edi837.testing.generator import ClaimSpec, LineSpec, build_837

    start = date(2026, 3, 1)
    claims = [ClaimSpec(f"DAY-{n}", ("M25511",), (LineSpec("97110", "38", service_date=start + timedelta(n)),),
                        person="DAILY") for n in range(30)]
    claims.append(ClaimSpec("DAY-9-AGAIN", ("M25511",), (LineSpec("97140", "40", service_date=start + timedelta(9)),),
                            person="DAILY"))
    claims.append(ClaimSpec("RANGE-20-22", ("M25511",), (LineSpec(
        "97012", "30", service_date=start + timedelta(20), service_date_end=start + timedelta(22)),), person="DAILY"))
    data = build_837(claims)
    partners = index_partners(lambda: io.BytesIO(data))
    found = {claim_id: sorted(line.partner.claim_id for line in lines if line.partner is not None)
             for claim_id, lines in partners.values()}
    assert found == {"DAY-9": ["DAY-9-AGAIN"], "DAY-9-AGAIN": ["DAY-9"],
                     "DAY-20": ["RANGE-20-22"], "DAY-21": ["RANGE-20-22"], "DAY-22": ["RANGE-20-22"],
                     "RANGE-20-22": ["DAY-20", "DAY-21", "DAY-22"]}
