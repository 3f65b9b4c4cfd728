"""Issue 20, item 6: a number with thousands of digits anywhere edi837 reads one, through the real CLI.

Python refuses to convert more than 4,300 digits to an int (a ValueError), and a Decimal with a huge
exponent overflows when summed: both used to end in exit 3. Every such number is now read only when it
has at most the digits its 005010 element allows. The expected exit codes come from the contract and
from pyx12's verdict, checked by hand: an element whose value pyx12 reports (too long for HL01, HL02,
HL04, ST02, GS06, CLM02) while the walker can still read the file is an error already in the input, so the
file is written with warnings (exit 1); a count or control number that does not match its opening
segment, or a line number edi837 cannot use, is refused (exit 2). Never exit 3, never a traceback, and no
line that echoes the digits.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import BIG, edi_fix, one_refusal
from tests.helpers import FIXTURES, pyx12_errors, segments_of

BASE = (FIXTURES / "walker_loops.837").read_bytes()
HL4, SE, GE, IEA = b"HL*4*3*23*0~", b"SE*49*0001~", b"GE*1*42~", b"IEA*1*000000042~"
GS06 = b"*1200*42*X*"

# (name, replacements, extra arguments, exit code, what the refusal says)
CASES: list[tuple[str, tuple[tuple[bytes, bytes], ...], tuple[str, ...], int, str]] = [
    ("HL01", ((HL4, b"HL*" + BIG + b"*3*23*0~"),), (), 1, ""),
    ("HL02", ((HL4, b"HL*4*" + BIG + b"*23*0~"),), (), 1, ""),
    ("HL02-pyx12-alone", ((HL4, b"HL*4*" + BIG + b"*23*0~"),), ("--validator", "pyx12"), 1, ""),
    ("HL04", ((HL4, b"HL*4*3*23*" + BIG + b"~"),), (), 1, ""),
    ("ST02-and-SE02", ((b"ST*837*0001*", b"ST*837*" + BIG + b"*"), (SE, b"SE*49*" + BIG + b"~")), (), 1, ""),
    ("GS06-and-GE02", ((GS06, b"*1200*" + BIG + b"*X*"), (GE, b"GE*1*" + BIG + b"~")), (), 1, ""),
    ("CLM02", ((b"CLM*CLAIM-B2*45.00*", b"CLM*CLAIM-B2*" + BIG + b"*"),), (), 1, ""),
    ("CLM02-exponent", ((b"CLM*CLAIM-B2*45.00*", b"CLM*CLAIM-B2*1E999999999*"),), (), 1, ""),
    ("SE01", ((SE, b"SE*" + BIG + b"*0001~"),), (), 2,
     "SE01 of transaction 0001 is (not a count of 1 to 10 digits); it has 49 segments (segment 51)"),
    ("SE02", ((SE, b"SE*49*" + BIG + b"~"),), (), 2,
     "SE02 (not a control number of 4 to 9 digits) does not match ST02 0001 (segment 51)"),
    ("ST02", ((b"ST*837*0001*", b"ST*837*" + BIG + b"*"),), (), 2,
     "SE02 0001 does not match ST02 (not a control number of 4 to 9 digits) (segment 51)"),
    ("GE01", ((GE, b"GE*" + BIG + b"*42~"),), (), 2,
     "GE01 of group 42 is (not a count of 1 to 6 digits); it has 1 transaction set (segment 52)"),
    ("GE02", ((GE, b"GE*1*" + BIG + b"~"),), (), 2,
     "GE02 (not a control number of 1 to 9 digits) does not match GS06 42 (segment 52)"),
    ("GS06", ((GS06, b"*1200*" + BIG + b"*X*"),), (), 2,
     "GE02 42 does not match GS06 (not a control number of 1 to 9 digits) (segment 52)"),
    ("IEA01", ((IEA, b"IEA*" + BIG + b"*000000042~"),), (), 2,
     "IEA01 of interchange 000000042 is (not a count of 1 to 5 digits); it has 1 group (segment 53)"),
    ("IEA02", ((IEA, b"IEA*1*" + BIG + b"~"),), (), 2,
     "IEA02 (not a control number of 9 digits) does not match ISA13 000000042 (segment 53)"),
    ("LX01", ((b"LX*2~", b"LX*" + BIG + b"~"),), (), 2, "segment 32: LX01 is not a usable line number"),
    ("SV107", ((b"SV1*HC:97530*45.00*MJ*20***1~", b"SV1*HC:97530*45.00*MJ*20***" + BIG + b"~"),), (), 2,
     "segment 49: SV107 diagnosis pointer is not a usable number"),
    ("SV102", ((b"SV1*HC:97530*45.00*", b"SV1*HC:97530*1E999999999*"),), (), 2,
     "segment 49: SV102 line charge or SV104 units is out of range"),
]


def _data(replacements: tuple[tuple[bytes, bytes], ...]) -> bytes:
    data = BASE
    for old, new in replacements:
        assert data.count(old) == 1, old
        data = data.replace(old, new)
    return data


@pytest.mark.slow
@pytest.mark.parametrize(("name", "replacements", "extra", "code", "said"), CASES, ids=[c[0] for c in CASES])
def test_a_huge_number_is_a_verdict_never_an_internal_error(tmp_path: Path, name: str,
                                                            replacements: tuple[tuple[bytes, bytes], ...],
                                                            extra: tuple[str, ...], code: int, said: str) -> None:
    data = _data(replacements)
    (tmp_path / "in.837").write_bytes(data)
    done = edi_fix("in.837", "out.837", *extra, cwd=tmp_path)
    out, err = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == code, err
    assert "Traceback" not in err and "internal error" not in err
    assert all(len(line) < 400 for line in (out + err).splitlines())  # nothing echoes the digits
    if code == 2:
        assert said in one_refusal(err)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837"]
    else:
        assert pyx12_errors(data), "pyx12 finds the input valid: the case tests nothing"
        assert (tmp_path / "out.837").exists() and "\n  warning " in out


@pytest.mark.slow
def test_a_huge_hl01_in_a_split_file_is_renumbered(tmp_path: Path) -> None:
    """With a hold policy the writer renumbers HL01s it cannot read as numbers (writer/split.py), as it does
    a letter: the delivered file is numbered 1..4 and pyx12 finds nothing in it."""
    (tmp_path / "in.837").write_bytes(_data(((HL4, b"HL*" + BIG + b"*3*23*0~"),)))
    done = edi_fix("in.837", "out.837", "--hold", "invalid", "--hold", "review", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = (tmp_path / "out.837").read_bytes()
    assert [s.split(b"*")[1] for s in segments_of(out) if s.startswith(b"HL*")] == [b"1", b"2", b"3", b"4"]
    assert pyx12_errors(out) == []
