"""Run in a fresh interpreter by tests/test_jobs.py: fix one file with several `jobs` values, pickle what
each run gave. A fresh process because the claim workers fork only in a single-threaded process, and a
pytest-xdist worker runs threads of its own (edi837/forking.py).

    python tests/jobs_probe.py IN OUT.pickle JOBS,JOBS,... [hold] [minutes.csv] [--validate] [--kills K;K;...]
    python tests/jobs_probe.py --cli KILL EDI-FIX-ARGUMENTS...

With `--kills`, each run with more than one job is made once per kill point, the worker processes dying
there (one job is the reference, made once, with no kill). With `--cli`, the `edi-fix` command line runs
with its forked children dying or stopping at KILL (tests/test_jobs_kills.py sends the caller its signal).

A kill point is `WHERE:AT:PART:SIGNAL`, in each forked child separately (the signal is sent by the child to
itself, so the point is exact whatever the load):
  fork::: SIG       while the child runs its at-fork hooks, before any code of edi837's runs in it
  recv:N:PART:SIG   as a worker reads the Nth chunk sent to it, PART of that message read (0: while it waits)
  claim:N::SIG      as a worker starts the rules on the Nth claim it runs
  answer:N:PART:SIG as a worker sends its Nth answer, PART of that message written (all: the whole of it)
PART counts bytes of the message as it crosses the pipe (4 bytes of length, then the pickle): a number,
`half`, `last` (all but the last byte) or `all`. SIG is KILL, TERM, INT or STOP (the caller's to end).
The hooks sit where the interpreter itself reads and writes a pipe's messages and runs a claim's rules,
not in edi837's worker code, so the same points apply to any way of running the workers.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from edi837.engine import farm
from edi837.engine.runner import RuleEngine
from edi837.errors import InputRefused
from edi837.pipeline import FixOptions, fix

_kill = ""  # the kill point the next forked children take (read in the child, as it was at the fork)
_lost: list[str] = []  # each time the caller said a worker was lost (farm.lost), in this run


def _part(part: str, size: int) -> int:
    return {"half": size // 2, "last": size - 1, "all": size}.get(part) or int(part or 0)


def _in_child() -> None:
    """After a fork, in the child: arm the kill point (the caller's own methods are never touched)."""
    if not _kill:
        return
    where, at, part, name = _kill.split(":")
    sig = getattr(signal, f"SIG{name}")
    if where == "fork":
        os.kill(os.getpid(), sig)
        return
    counts = {"recv": 0, "claim": 0, "answer": 0}

    def hit(point: str) -> bool:
        counts[point] += 1
        return where == point and counts[point] == int(at)

    recv_bytes, send_bytes, run = Connection._recv_bytes, Connection._send_bytes, RuleEngine.run

    def recv_hooked(self: Any, maxsize: int | None = None) -> Any:
        if hit("recv"):
            take = _part(part, 4)
            if take:
                header = self._recv(min(take, 4)).getvalue()
                if take >= 4:
                    size = _part(part, 4 + struct.unpack("!i", header)[0]) - 4
                    if size:
                        self._recv(size)
            os.kill(os.getpid(), sig)
        return recv_bytes(self, maxsize)

    def send_hooked(self: Any, buf: Any) -> None:
        if counts["recv"] and hit("answer"):  # a claim worker's answer (the scan ahead's child reads no message)
            framed = struct.pack("!i", len(buf)) + bytes(buf)
            take = _part(part, len(framed))
            if take:
                self._send(framed[:take])
            os.kill(os.getpid(), sig)
        send_bytes(self, buf)

    def run_hooked(self: RuleEngine, claim: Any) -> Any:
        if hit("claim"):
            os.kill(os.getpid(), sig)
        return run(self, claim)

    Connection._recv_bytes = recv_hooked  # type: ignore[method-assign]
    Connection._send_bytes = send_hooked  # type: ignore[method-assign]
    RuleEngine.run = run_hooked  # type: ignore[method-assign]


def _noted_loss(original: Any) -> Any:
    def lose(self: Any, error: Exception) -> None:
        _lost.append(type(error).__name__)
        original(self, error)
    return lose


def _setup() -> None:
    farm.MIN_BYTES = 0  # every file is large enough here
    farm.CHUNK = 7  # many chunks: workers' and the caller's own, interleaved, with non-claim units between
    os.register_at_fork(after_in_child=_in_child)
    farm.ClaimFarm._lose = _noted_loss(farm.ClaimFarm._lose)  # type: ignore[method-assign]


def _one_run(data: bytes, options: FixOptions) -> tuple[str, Any]:
    try:
        result = fix(data, options)
    except InputRefused as refused:
        return ("refused", str(refused))
    return ("done", {
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


def main(argv: list[str]) -> None:
    global _kill
    source, target, jobs_list, *rest = argv
    _setup()
    kills = rest[rest.index("--kills") + 1].split(";") if "--kills" in rest else []
    if kills:
        rest = rest[:rest.index("--kills")] + rest[rest.index("--kills") + 2:]
    validate = "--validate" in rest
    rest = [x for x in rest if x != "--validate"]
    hold = frozenset(rest[0].split(",")) if rest and rest[0] else frozenset()
    minutes = Path(rest[1]) if len(rest) > 1 and rest[1] else None
    data = Path(source).read_bytes()
    runs: dict[Any, Any] = {}
    for jobs in (int(j) for j in jobs_list.split(",")):
        options = FixOptions(validate=validate, hold=hold, minutes_file=minutes, jobs=jobs, ncci_db=False)
        for kill in kills if kills and jobs > 1 else [""]:
            print(f"probe: jobs {jobs}, kill {kill or 'none'}", file=sys.stderr, flush=True)  # where a hang is
            _kill, _lost[:] = kill, []
            run = _one_run(data, options)
            runs[(jobs, kill) if kills else jobs] = (*run, list(_lost)) if kills else run
    Path(target).write_bytes(pickle.dumps(runs))


def cli(kill: str, args: list[str]) -> int:
    """`edi-fix ARGS` as the console script runs it, with every forked child armed with `kill`."""
    global _kill
    from edi837.cli.launch import main as edi_fix
    from edi837.gate import ahead

    _setup()
    ahead.MIN_BYTES = 0  # the scan ahead forks for any file
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as on a terminal, even if started in background
    _kill = kill
    return edi_fix(args)


if __name__ == "__main__":
    if sys.argv[1] == "--cli":
        sys.exit(cli(sys.argv[2], sys.argv[3:]))
    main(sys.argv[1:])
