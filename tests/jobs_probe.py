"""Run in a fresh interpreter by tests/test_jobs.py: fix one file with several `jobs` values, pickle what
each run gave. A fresh process because the claim workers fork only in a single-threaded process, and a
pytest-xdist worker runs threads of its own (edi837/forking.py).

    python tests/jobs_probe.py IN OUT.pickle JOBS,JOBS,... [hold] [minutes.csv] [--validate]
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from edi837.engine import farm
from edi837.errors import InputRefused
from edi837.pipeline import FixOptions, fix


def main(argv: list[str]) -> None:
    source, target, jobs_list, *rest = argv
    farm.MIN_BYTES = 0  # every file is large enough here
    farm.CHUNK = 7  # many chunks: workers' and the caller's own, interleaved, with non-claim units between
    validate = "--validate" in rest
    rest = [x for x in rest if x != "--validate"]
    hold = frozenset(rest[0].split(",")) if rest and rest[0] else frozenset()
    minutes = Path(rest[1]) if len(rest) > 1 and rest[1] else None
    data = Path(source).read_bytes()
    runs = {}
    for jobs in (int(j) for j in jobs_list.split(",")):
        options = FixOptions(validate=validate, hold=hold, minutes_file=minutes, jobs=jobs, ncci_db=False)
        try:
            result = fix(data, options)
        except InputRefused as refused:
            runs[jobs] = ("refused", str(refused))
            continue
        runs[jobs] = ("done", {
            "jobs": result.jobs,
            "output": result.output,
            "held_output": result.held_output,
            "log": [record.to_json() for record in result.records],
            "counts": sorted(result.counts.items()),
            "left_alone": result.left_alone,
            "notes": sorted(result.notes.items()),
            "held": [(c.index, c.claim_id, c.hold_reasons, str(c.amount_before)) for c in result.held],
            "amounts": (str(result.amount_in), str(result.amount_delivered), str(result.amount_held)),
            "claims": (result.claims, result.lines, result.changed_claims, result.delivered_claims),
            "exit": result.exit_code,
        })
    Path(target).write_bytes(pickle.dumps(runs))


if __name__ == "__main__":
    main(sys.argv[1:])
