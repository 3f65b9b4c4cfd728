"""The command-line contract: exit codes, one-line refusals, nothing written on refusal, stdin/stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import FIXTURES

# The walker fixture with its one minutes line (a Medicare 97530 billed MJ*20, which TU001 would convert)
# billed in units instead: a file the shipped rules leave alone.
GOOD = (FIXTURES / "walker_loops.837").read_bytes().replace(b"SV1*HC:97530*45.00*MJ*20***1",
                                                            b"SV1*HC:97530:GP:GY*45.00*UN*1***1")


def edi_fix(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "edi837", *args], input=stdin, capture_output=True, cwd=cwd,
                          timeout=120, check=False)


def _replace(old: bytes, new: bytes) -> bytes:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


BAD_INPUTS = {
    "empty": (b"", "empty file"),
    "not-x12": (b"%PDF-1.4\n" + b"binary-ish text " * 20, "not an X12 file"),
    "isa-105": (_replace(b"*ZZ*EDI837SUBMIT   *", b"*ZZ*EDI837SUBMIT  *"), "fixed 106"),
    "truncated": (GOOD[: GOOD.index(b"GE*1*42")], "truncated"),
    "cut-mid-segment": (GOOD[: GOOD.index(b"GE*1*42") + 4], "truncated"),
    "empty-segment": (_replace(b"LX*2~", b"LX*2~~"), "empty segment"),
    "nul": (_replace(b"TEST AVENUE", b"TEST\x00AVENUE"), "NUL"),
    "835": (_replace(b"ST*837*0001*005010X222A1", b"ST*835*0001*005010X221A1"), "835 is not an 837"),
    "4010": (_replace(b"*^*00501*", b"*^*00401*"), "ISA12 is 00401"),
    "x222a2": (_replace(b"*X*005010X222A1~", b"*X*005010X222A2~"), "GS08 is 005010X222A2"),
    "se01": (_replace(b"SE*49*0001", b"SE*51*0001"), "SE01 of transaction 0001 says 51 segments, it has 49"),
    "ge01": (_replace(b"GE*1*42", b"GE*2*42"), "GE01 of group 42 says 2"),
    "iea01": (_replace(b"IEA*1*000000042", b"IEA*3*000000042"), "IEA01 of interchange 000000042 says 3"),
    "iea02": (_replace(b"IEA*1*000000042", b"IEA*1*000000043"), "IEA02 000000043 does not match ISA13"),
}


def assert_refused(proc: subprocess.CompletedProcess[bytes], reason: str) -> None:
    err = proc.stderr.decode()
    refusal = [line for line in err.splitlines() if line.startswith("edi-fix: refused:")]
    assert proc.returncode == 2, err
    assert len(refusal) == 1 and reason in refusal[0], err
    assert "Traceback" not in err


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_refused_and_nothing_is_written(name: str, tmp_path: Path) -> None:
    data, reason = BAD_INPUTS[name]
    src = tmp_path / "in.837"
    src.write_bytes(data)
    proc = edi_fix(str(src), str(tmp_path / "out.837"))
    assert_refused(proc, reason)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837"]  # no output, no log, no temp file
    assert src.read_bytes() == data


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert_refused(edi_fix(str(tmp_path / "nope.837"), str(tmp_path / "out.837")), "no such file")
    assert_refused(edi_fix(str(tmp_path), str(tmp_path / "out.837")), "is a directory")
    assert not (tmp_path / "out.837").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    src = tmp_path / "in.837"
    src.write_bytes(GOOD)
    src.chmod(0)
    assert_refused(edi_fix(str(src), str(tmp_path / "out.837")), "permission denied")


def test_clean_file_round_trips_with_empty_change_log(tmp_path: Path) -> None:
    src = tmp_path / "in.837"
    src.write_bytes(GOOD)
    proc = edi_fix(str(src), str(tmp_path / "out.837"))
    assert proc.returncode == 0, proc.stderr.decode()
    assert (tmp_path / "out.837").read_bytes() == GOOD
    assert (tmp_path / "out.837.changes.jsonl").read_text() == ""
    assert "wrote" in proc.stdout.decode()


def test_stdin_stdout_gives_the_same_bytes_as_file_mode(tmp_path: Path) -> None:
    src = tmp_path / "in.837"
    src.write_bytes(GOOD)
    file_mode = edi_fix(str(src), str(tmp_path / "out.837"))
    piped = edi_fix("-", "-", stdin=GOOD)
    assert piped.returncode == file_mode.returncode == 0
    assert piped.stdout == (tmp_path / "out.837").read_bytes()
    assert b"claims" in piped.stderr  # the summary moves to stderr when stdout carries the 837


def test_stdin_refusal_writes_nothing_to_stdout() -> None:
    proc = edi_fix("-", "-", stdin=BAD_INPUTS["empty-segment"][0])
    assert_refused(proc, "empty segment")
    assert proc.stdout == b""


def test_check_writes_nothing_and_exits_0_when_clean(tmp_path: Path) -> None:
    src = tmp_path / "in.837"
    src.write_bytes(GOOD)
    proc = edi_fix(str(src), str(tmp_path / "out.837"), "--check")
    assert proc.returncode == 0, proc.stderr.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837"]


def test_out_may_not_be_the_input(tmp_path: Path) -> None:
    src = tmp_path / "in.837"
    src.write_bytes(GOOD)
    assert_refused(edi_fix(str(src), str(src)), "OUT is the input file")
    assert src.read_bytes() == GOOD


def test_json_summary_and_version(tmp_path: Path) -> None:
    src = tmp_path / "in.837"
    src.write_bytes(GOOD)
    proc = edi_fix(str(src), str(tmp_path / "out.837"), "--format", "json", "--no-validate")
    summary = json.loads(proc.stdout)
    assert (summary["claims"], summary["lines"], summary["changes"], summary["validated"]) == (2, 3, 0, False)
    version = edi_fix("--version")
    assert version.returncode == 0 and version.stdout.decode().startswith("edi-fix ")


def test_input_with_validation_errors_is_written_and_exits_1(tmp_path: Path) -> None:
    """An error already in the input is a warning, not a refusal: the file still goes through unchanged."""
    data = _replace(b"DMG*D8*19800101*F~", b"DMG*D8*19800101*Q~")  # gender code outside F/M/U
    src = tmp_path / "in.837"
    src.write_bytes(data)
    proc = edi_fix(str(src), str(tmp_path / "out.837"))
    assert proc.returncode == 1, proc.stderr.decode()
    assert (tmp_path / "out.837").read_bytes() == data
    out = proc.stdout.decode()
    assert "DMG03: invalid code value" in out
    assert "Q" not in out.split("already in the input")[1]  # the value itself is never printed


@pytest.mark.parametrize("flag", ["--changelog", "--report"])
def test_a_side_file_may_not_overwrite_the_input(tmp_path: Path, flag: str) -> None:
    """Found in review: --changelog IN replaced the claim file with its own change log."""
    src = tmp_path / "in.837"
    src.write_bytes(GOOD)
    assert_refused(edi_fix(str(src), str(tmp_path / "out.837"), flag, str(src)), "would overwrite")
    assert src.read_bytes() == GOOD and not (tmp_path / "out.837").exists()
    assert_refused(edi_fix(str(src), str(tmp_path / "out.837"), flag, str(tmp_path / "nowhere" / "x")),
                   "does not exist")


def test_hook_changelog_may_not_be_the_file(tmp_path: Path) -> None:
    src = tmp_path / "in.837"
    src.write_bytes(GOOD)
    proc = edi_fix("hook", str(src), "--changelog", str(src))
    assert proc.returncode == 2 and b"would overwrite" in proc.stderr
    assert src.read_bytes() == GOOD


@pytest.mark.parametrize("units", [b"3.x", b"NaN", b"Infinity"])
def test_a_line_that_is_not_a_number_is_refused_not_an_internal_error(tmp_path: Path, units: bytes) -> None:
    src = tmp_path / "in.837"
    src.write_bytes(_replace(b"SV1*HC:98940:AT*60*UN*1***1:3", b"SV1*HC:98940:AT*60*UN*" + units + b"***1:3"))
    assert_refused(edi_fix(str(src), str(tmp_path / "out.837")), "is not a number")
