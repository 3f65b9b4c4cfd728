"""The claims ledger's tests: a small synthetic file whose rows were worked out by hand, and a run recorded
the way the pipeline will record it (the fix loop, the recorder called claim by claim)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from edi837.engine import farm
from edi837.ledger.recorder import Recorder, options_digest
from edi837.ledger.rows import FileRow, RunInfo
from edi837.model.claim import Claim
from edi837.model.walker import Passthrough, Walker
from edi837.pipeline import FixOptions, build_engine
from edi837.testing.generator import build_837
from edi837.testing.specs import ClaimSpec, LineSpec
from edi837.x12.envelope import SegmentStream

# SAFE1: 97140 points to M25511 (shoulder), the CMT line to M9903 (lumbar): another region, so NC001
#   appends the payer's distinct modifier (59 by default) to line 2 - a safe fix.
# SAME1: 97140 points to the lumbar diagnosis the manipulation treated: NC001 raises a review item on line 2.
#   Its patient is a dependant (2000C loop).
# PLAIN1: one office visit, nothing to do (M54.50: M54.5 is a header since FY2022, a DX001 error).
CLAIMS = (
    ClaimSpec("SAFE1", ("M9903", "M25511"), (LineSpec("98940", "45", pointers=(1,)),
                                             LineSpec("97140", "40", units="2", pointers=(2,)))),
    ClaimSpec("SAME1", ("M9903",), (LineSpec("98940", "45"), LineSpec("97140", "40", pointers=(1,))),
              patient_loop=True, payer_id="ACME1", person="DEPENDANT"),
    ClaimSpec("PLAIN1", ("M5450",), (LineSpec("99213", "85.00"),)),
)


def small_file(*, same_units: str = "1", control: str | None = "LN-0002") -> bytes:
    """The three claims above; SAME1's 97140 billed with `same_units`, and REF*6R `control` on its line 2."""
    claims = list(CLAIMS)
    if same_units != "1":
        same = claims[1]
        claims[1] = ClaimSpec(same.claim_id, same.diagnoses, (same.lines[0], LineSpec("97140", "40", units=same_units)),
                              patient_loop=True, payer_id="ACME1", person="DEPENDANT")
    data = build_837(claims, seed=5)
    if control is None:
        return data
    # REF*6R goes after the line's DTP*472 (2400 order: LX, SV1, DTP, ..., REF), before PLAIN1's HL; SE01
    # counts it.
    before = b"DTP*472*D8*20260302~\nHL*5*"
    assert data.count(before) == 1
    data = data.replace(before, b"DTP*472*D8*20260302~\nREF*6R*" + control.encode() + before[19:])
    count = int(re.search(rb"SE\*(\d+)\*", data).group(1))  # type: ignore[union-attr]
    return data.replace(b"SE*%d*" % count, b"SE*%d*" % (count + 1), 1)


def record(ledger: Path, data: bytes, *, beside: bool = False, hold: bool = False, entry: str = "cli",
           exit_code: int = 0) -> Recorder:
    """A run of `data` recorded into `ledger` (committed); `beside`: rows made by the child process
    (ledger/shadow.py); `hold`: claims with review items held."""
    options = FixOptions(validate=False)
    recorder = Recorder.prepare(ledger, RunInfo(entry, "in.837", options_digest(options)),
                                opener=lambda: io.BytesIO(data), size=10**9 if beside else 0, beside=beside)
    assert bool(recorder.inherited) == beside  # the child's pipes: the rows really are made beside
    stream = SegmentStream(io.BytesIO(data))
    engine = build_engine(stream.delimiters, options)
    position = -1
    for unit, outcome in farm.in_process(Walker(stream), engine):
        if type(unit) is Passthrough:
            recorder.passthrough(unit.raw, stream.delimiters)
        elif type(unit) is Claim:
            assert outcome is not None
            position += 1
            held = hold and any(r.action == "review" for r in outcome.records)
            recorder.claim(position, unit, outcome.records, held=held, held_file="in.held.837" if held else None)
    recorder.write([FileRow("output", "out.837", "0" * 64, len(data))])
    recorder.commit(exit_code)
    recorder.close()
    if engine.packs is not None:
        engine.packs.close()
    return recorder
