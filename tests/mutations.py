"""Input mutations for the CLI's robustness tests (tests/test_cli_fuzz.py) and bench/fuzz.py.

Each mutation is what a broken practice system, a bad transfer or an attacker could hand edi-fix: bytes
flipped, cut or repeated; segments dropped, doubled or moved; elements replaced by values that broke
parsers before (integers past Python's 4300-digit limit, NaN, exponents, nine components in SV101,
delimiters inside values, control characters); patient segments where they do not belong; separators of
the ISA changed. The contract under test: exit 0, 1 or 2, never 3; a refusal is one line; a refusal
writes nothing; no traceback; no control character on the terminal.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = [FIXTURES / "walker_loops.837", *sorted((FIXTURES / "rules").rglob("*.837"))]
NASTY = [
    b"9" * 5000, b"-1", b"0", b"NaN", b"Infinity", b"1E+999999", b"1E-999999", b"", b" ", b"*", b":", b"~", b"^",
    b"\x1b[2J", b"\r\n", b"\x00", b"\xff\xfe", b"A" * 300, b"HC:98940:1:2:3:4:5:6:7:8:9", b"1:2:3:4:5:6:7:8:9:10",
    b"20260230", b"99999999", b"ZZTESTPATIENT", b"N3*1 FICTIONAL LANE", b"\xe9\xe8", b"0.0000001", b"12.345",
]
PATIENT = [b"NM1*QC*1*ZZTESTDEPENDENT*GAMMA", b"N3*1 FICTIONAL LANE", b"N4*SPRINGFIELD*IL*627010000",
           b"DMG*D8*19800101*F", b"NM1*IL*1*ZZTESTPATIENT*ALPHA****MI*ZZMEMBER0001"]


def seeds() -> list[bytes]:
    return [p.read_bytes() for p in SEEDS]


def _split(data: bytes) -> tuple[bytes, list[bytes]]:
    term = data[105:106] if len(data) > 106 and data.startswith(b"ISA") else b"~"
    return term, data.split(term)


def mutate(data: bytes, rng: random.Random, steps: int | None = None) -> bytes:
    """`data` with 1-4 random mutations (or `steps`)."""
    for _ in range(steps if steps is not None else rng.randint(1, 4)):
        data = rng.choice(_MUTATIONS)(data, rng)
    return data


def _flip(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    at = rng.randrange(len(data))
    return data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]


def _cut(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _delete_range(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    at = rng.randrange(len(data))
    return data[:at] + data[at + rng.randint(1, 40):]


def _segments(data: bytes, rng: random.Random) -> bytes:
    term, parts = _split(data)
    if len(parts) < 2:
        return data
    i, j = rng.randrange(len(parts)), rng.randrange(len(parts))
    action = rng.randrange(3)
    if action == 0:
        del parts[i]
    elif action == 1:
        parts.insert(j, parts[i])
    else:
        parts[i], parts[j] = parts[j], parts[i]
    return term.join(parts)


def _element(data: bytes, rng: random.Random) -> bytes:
    term, parts = _split(data)
    i = rng.randrange(len(parts))
    ele = data[3:4] if data.startswith(b"ISA") and data[3:4] else b"*"
    fields = parts[i].split(ele)
    k = rng.randrange(len(fields) + 1)
    value = rng.choice(NASTY)
    if 0 < k < len(fields):
        fields[k] = value
    else:
        fields.append(value)
    parts[i] = ele.join(fields)
    return term.join(parts)


def _sv1(data: bytes, rng: random.Random) -> bytes:
    """An SV1 element of one line replaced: the elements rules and the gate parse."""
    term, parts = _split(data)
    lines = [i for i, p in enumerate(parts) if p.lstrip().startswith(b"SV1")]
    if not lines:
        return data
    i = rng.choice(lines)
    fields = parts[i].split(b"*")
    if len(fields) < 2:
        return data
    k = rng.choice([1, 2, 4, 7]) if len(fields) > 7 else rng.randrange(1, len(fields))
    fields[k] = rng.choice(NASTY)
    parts[i] = b"*".join(fields)
    return term.join(parts)


def _patient(data: bytes, rng: random.Random) -> bytes:
    term, parts = _split(data)
    parts.insert(rng.randrange(len(parts) + 1), rng.choice(PATIENT))
    return term.join(parts)


def _isa(data: bytes, rng: random.Random) -> bytes:
    if len(data) < 106:
        return data
    at = rng.choice([3, 82, 104, 105, rng.randrange(106)])
    return data[:at] + bytes([rng.choice(b"*:^~|!\n\r\x00A ")]) + data[at + 1:]


def _bom_and_breaks(data: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(3)
    if choice == 0:
        return b"\xef\xbb\xbf" + data
    if choice == 1:
        return data.replace(b"~", b"~\r\n")
    return data + rng.choice([b"\n", b"  \n", b"garbage", b"\x1a"])


_MUTATIONS = [_flip, _cut, _delete_range, _segments, _segments, _element, _element, _sv1, _sv1, _patient, _isa,
              _bom_and_breaks]


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    written: list[str]


@contextlib.contextmanager
def _captured() -> Iterator[tuple[io.TextIOWrapper, io.TextIOWrapper]]:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="replace")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="replace")
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err
    finally:
        sys.stdout, sys.stderr = saved


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    raw = stream.buffer
    assert isinstance(raw, io.BytesIO)
    return raw.getvalue().decode("utf-8", "replace")


class _Stdin(io.TextIOWrapper):
    def isatty(self) -> bool:
        return False


def run_cli(data: bytes, folder: Path, flags: list[str]) -> Outcome:
    """`edi-fix IN OUT [flags]` in this process on `data`, with stdout and stderr captured. The flag STDIN
    means `edi-fix - -` with `data` on stdin; REPORT means `--report <folder>/report.html`."""
    from edi837.cli.app import main

    for old in folder.iterdir():
        old.unlink()
    src = folder / "in.837"
    src.write_bytes(data)
    args = ["-", "-"] if "STDIN" in flags else [str(src), str(folder / "out.837")]
    for flag in flags:
        if flag == "REPORT":
            args += ["--report", str(folder / "report.html")]
        elif flag != "STDIN":
            args.append(flag)
    saved_stdin = sys.stdin
    sys.stdin = _Stdin(io.BytesIO(data))
    try:
        with _captured() as (out, err):
            code = main(args)
    finally:
        sys.stdin = saved_stdin
    written = sorted(name for name in os.listdir(folder) if name != "in.837")
    return Outcome(code, _text(out), _text(err), written)


def violations(outcome: Outcome, flags: list[str]) -> list[str]:
    """What the contract forbids in one run (empty: all good)."""
    problems = []
    piped = "STDIN" in flags
    human = [line for line in outcome.stderr.splitlines() if line.strip() and not line.startswith("{")]
    if outcome.code not in (0, 1, 2):
        problems.append(f"exit {outcome.code}: {human}")
    if "Traceback" in outcome.stderr or "Exception ignored" in outcome.stderr:
        problems.append("traceback")
    for text in ([outcome.stderr] if piped else [outcome.stdout, outcome.stderr]):
        if "\x1b" in text or "\r" in text:
            problems.append("control character on the terminal")
    if outcome.code == 2:
        if len(human) != 1 or not human[0].startswith(("edi-fix: refused: ", "edi-fix: failed: ")):
            problems.append(f"refusal is not one line: {human}")
        if outcome.written or (piped and outcome.stdout):
            problems.append(f"refused but wrote {outcome.written or 'to stdout'}")
    elif outcome.code in (0, 1) and not piped and "--check" not in flags and "out.837" not in outcome.written:
        problems.append("exit 0/1 without OUT")
    elif outcome.code in (0, 1) and piped and not outcome.stdout:
        problems.append("exit 0/1 with nothing on stdout")
    if any(name.endswith(".tmp") for name in outcome.written):
        problems.append(f"temp file left: {outcome.written}")
    return problems


__all__ = ["Outcome", "mutate", "run_cli", "seeds", "violations"]
