"""Issue 9, item 8: one line, no raw values. Patient segments are put where they do not belong (pyx12 then
reports them, and its own texts quote them) and every output channel is searched for every patient value:
stdout, stderr, the JSON summary, the change log, the HTML report, the diff, the hook's JSON, the watcher's
log lines and its reason files. Control characters from the input never reach a terminal either.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edi837.cli import app as cli
from tests.helpers import FIXTURES


def main(args: list[str]) -> int:
    """The CLI in-process, by its exit code (main returns it; a console script would exit with it)."""
    try:
        return int(cli.main(args) or 0)
    except SystemExit as done:  # typer's own exit, should main ever raise it
        return int(done.code or 0)

BASE = (FIXTURES / "walker_loops.837").read_bytes()
# Every value of the fixture's patients and subscribers (names, member ids, birth dates, address, city, ZIP).
PHI = ["ZZTESTPATIENT", "ALPHA", "ZZMEMBER0001", "ZZMEMBER0002", "ZZMEMBER0003", "19800101", "FICTIONAL",
       "ZZTESTDEPENDENT", "GAMMA", "20100101", "ZZTESTSUBSCRIBER", "BETA", "SPRINGFIELD", "627010000"]
PATIENT = b"NM1*QC*1*ZZTESTDEPENDENT*GAMMA~N3*2 FICTIONAL LANE~N4*SPRINGFIELD*IL*627010000~DMG*D8*20100101*M~"


def _insert(after: bytes, segments: bytes, count: int) -> bytes:
    assert after in BASE
    data = BASE.replace(after, after + segments, 1)
    return data.replace(b"SE*49*0001", b"SE*" + str(49 + count).encode() + b"*0001")


def _swap(data: bytes, *pairs: tuple[bytes, bytes]) -> bytes:
    for old, new in pairs:
        assert data.count(old) == 1, old
        data = data.replace(old, new)
    return data


# Issue 20, item 3: the fixture with `|` as its element separator, and some of its patient segments still
# written with `*`: pyx12 reads such a segment's whole text as its id.
PIPES = BASE.replace(b"*", b"|")
STARRED_PATIENT = PATIENT.replace(b"~", b"~\r\n")
ISA_CONTROL = b"*00501*000000042*0*T*"  # ISA12 and ISA13 (fixed width: 5 and 9 characters)
ST_SE = (b"ST*837*0001*", b"SE*49*0001~")

VARIANTS = {
    # processed, with pyx12 warnings that (before issue 9) quoted the segments
    "address-in-claim": _insert(b"HI*ABK:M9901*ABF:M25511*ABF:M5450~",
                                b"N3*1 FICTIONAL LANE~N4*SPRINGFIELD*IL*627010000~", 2),
    "patient-in-line": _insert(b"SV1*HC:98940:AT*60*UN*1***1:3~", PATIENT, 4),
    "patient-in-header": _insert(b"BHT*0019*00*BATCH42*20260302*1200*CH~", PATIENT, 4),
    "hl-parent": BASE.replace(b"HL*4*3*23*0~", b"HL*4*ZZMEMBER0003*23*0~"),
    "member-id-overlong": BASE.replace(b"MI*ZZMEMBER0001~", b"MI*ZZMEMBER0001ZZMEMBER0001ZZMEMBER0001ZZMEMBER0001~"),
    "patient-before-gs": BASE.replace(b"GS*HC", PATIENT + b"GS*HC", 1),
    # refused by the walker (between two interchanges: outside any)
    "patient-between-interchanges": BASE + PATIENT + BASE.replace(b"000000042", b"000000043"),
    # issue 20, item 3: a segment with the wrong element separator, in the subscriber's and the patient's loops
    "wrong-separator-subscriber": _swap(PIPES, (b"NM1|IL|1|ZZTESTPATIENT|ALPHA||||MI|ZZMEMBER0001",
                                                b"NM1*IL*1*ZZTESTPATIENT*ALPHA****MI*ZZMEMBER0001")),
    "wrong-separator-patient": _swap(PIPES, (STARRED_PATIENT.replace(b"*", b"|"), STARRED_PATIENT)),
    "name-as-segment-id": _insert(b"DMG*D8*19800101*F~", b"ZZTESTPATIENT*ALPHA~", 1),
    "hl-number": BASE.replace(b"HL*4*3*23*0~", b"HL*ZZMEMBER0003*3*23*0~"),
    "lx-number": BASE.replace(b"LX*2~", b"LX*ZZMEMBER0002~"),
    # patient text in every envelope control element: refused, or (where opening and trailer agree) processed
    "isa12": BASE.replace(ISA_CONTROL, b"*ZZDOE*000000042*0*T*"),
    "isa13-both": _swap(BASE, (ISA_CONTROL, b"*00501*ZZSMITHJO*0*T*"), (b"IEA*1*000000042", b"IEA*1*ZZSMITHJO")),
    "isa13": BASE.replace(ISA_CONTROL, b"*00501*ZZSMITHJO*0*T*"),
    "iea02": BASE.replace(b"IEA*1*000000042", b"IEA*1*ZZMEMBER0001"),
    "iea01": BASE.replace(b"IEA*1*000000042", b"IEA*ZZMEMBER0001*000000042"),
    "gs01": BASE.replace(b"GS*HC*", b"GS*ZZTESTPATIENT*"),
    "gs06-both": _swap(BASE, (b"*1200*42*X*", b"*1200*ZZMEMBER0001*X*"), (b"GE*1*42", b"GE*1*ZZMEMBER0001")),
    "gs06": BASE.replace(b"*1200*42*X*", b"*1200*ZZMEMBER0001*X*"),
    "gs08": BASE.replace(b"*X*005010X222A1~", b"*X*ZZMEMBER0001~"),
    "ge01": BASE.replace(b"GE*1*42", b"GE*ZZMEMBER0001*42"),
    "ge02": BASE.replace(b"GE*1*42", b"GE*1*ZZMEMBER0001"),
    "st01": BASE.replace(b"ST*837*", b"ST*ZZTESTPATIENT*"),
    "st02-both": _swap(BASE, (ST_SE[0], b"ST*837*ZZSMITHJO*"), (ST_SE[1], b"SE*49*ZZSMITHJO~")),
    "st02": BASE.replace(ST_SE[0], b"ST*837*ZZSMITHJO*"),
    "se02": BASE.replace(ST_SE[1], b"SE*49*1 FICTIONAL LANE~"),
    "se01": BASE.replace(ST_SE[1], b"SE*ZZMEMBER0001*0001~"),
    "no-se": _swap(BASE, (ST_SE[0], b"ST*837*ZZSMITHJO*"), (ST_SE[1], b"")),
    "no-ge": _swap(BASE, (b"*1200*42*X*", b"*1200*ZZMEMBER0001*X*"), (b"GE*1*42~", b"")),
    "no-iea": _swap(BASE, (ISA_CONTROL, b"*00501*ZZSMITHJO*0*T*"), (b"IEA*1*000000042~", b"")),
}
PHI += ["ZZSMITHJO", "ZZDOE"]  # the 9- and 5-character values that fit ISA13 and ISA12
REFUSED = ("patient-between-interchanges", "isa12", "isa13", "iea02", "iea01", "gs01", "gs06", "gs08", "ge01", "ge02",
           "st01", "st02", "se02", "se01", "no-se", "no-ge", "no-iea")

# What each variant makes edi837 say (the test must see the case it is about), in the CLI's text output.
SAID = {
    "address-in-claim": "segment N3 is not expected here",
    "patient-between-interchanges": "data outside any interchange",
    "wrong-separator-subscriber": "warning segment 16 NM1: segment NM1 is not expected here",
    "wrong-separator-patient": "warning segment 42 NM1: segment NM1 is not expected here",
    "name-as-segment-id": "segment 20 (an unreadable segment)",
    "isa12": "ISA12 is (not a version number of 5 digits)",
    "isa13": "IEA02 000000042 does not match ISA13 (not a control number of 9 digits) (segment 53)",
    "iea02": "IEA02 (not a control number of 9 digits) does not match ISA13 000000042",
    "iea01": "IEA01 of interchange 000000042 is (not a count of 1 to 5 digits); it has 1 group (segment 53)",
    "gs01": "functional group (not a code of 2 letters or digits) is not HC",
    "gs06": "GE02 42 does not match GS06 (not a control number of 1 to 9 digits)",
    "gs08": "GS08 is (not a version code like 005010X222A1)",
    "ge01": "GE01 of group 42 is (not a count of 1 to 6 digits); it has 1 transaction set (segment 52)",
    "ge02": "GE02 (not a control number of 1 to 9 digits) does not match GS06 42",
    "st01": "transaction set (not a transaction set code of 3 digits) is not an 837",
    "st02": "SE02 0001 does not match ST02 (not a control number of 4 to 9 digits)",
    "se02": "SE02 (not a control number of 4 to 9 digits) does not match ST02 0001 (segment 51)",
    "se01": "SE01 of transaction 0001 is (not a count of 1 to 10 digits); it has 49 segments (segment 51)",
    "no-se": "the transaction at segment 3 has no SE before GE (segment 51)",
    "no-ge": "the group at segment 2 has no GE before IEA (segment 52)",
    "no-iea": "truncated file: the interchange at segment 1 has no IEA",
}


def _channels(tmp_path: Path, name: str, data: bytes, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """Everything the CLI and the hook print and write about `data`, but the 837s themselves: text with a
    diff and a report; JSON holding claims for a person (their reasons go to the change log and report);
    the hook's JSON."""
    folder = tmp_path / name
    folder.mkdir()
    src = folder / "in.837"
    src.write_bytes(data)
    seen: dict[str, str] = {}
    main([str(src), str(folder / "out.837"), "--diff", "--report", str(folder / "report.html")])
    seen["cli text"] = "".join(capsys.readouterr())
    main([str(src), str(folder / "out2.837"), "--format", "json", "--hold", "invalid", "--hold", "review",
          "--report", str(folder / "held-report.html")])
    seen["cli json"] = "".join(capsys.readouterr())
    hooked = folder / "hooked.837"
    hooked.write_bytes(data)
    main(["hook", str(hooked), "--format", "json"])
    seen["hook json"] = "".join(capsys.readouterr())
    for path in folder.iterdir():
        if not path.name.endswith(".837"):
            seen[path.name] = path.read_text(encoding="utf-8")
    return seen


def _leaks(channels: dict[str, str]) -> list[tuple[str, str]]:
    return [(where, value) for where, text in channels.items() for value in PHI if value in text]


def _texts(folder: Path) -> dict[str, str]:
    """Every file under `folder` but the 837s (outputs, held files, rejected copies: the data itself)."""
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.endswith(".837")}


@pytest.mark.slow
@pytest.mark.parametrize("name", VARIANTS)
def test_no_patient_value_in_what_the_cli_and_the_hook_say(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           name: str) -> None:
    seen = _channels(tmp_path, name, VARIANTS[name], capsys)
    assert _leaks(seen) == []
    # and the test really saw what it is about: pyx12 reported the misplaced segments, a refusal happened
    assert SAID.get(name, "") in seen["cli text"], seen["cli text"]


@pytest.mark.slow
def test_no_patient_value_in_what_the_watcher_writes(tmp_path: Path) -> None:
    outbound, ready = tmp_path / "outbound", tmp_path / "ready"
    outbound.mkdir()
    ready.mkdir()
    for name, data in VARIANTS.items():
        (outbound / f"{name}.837").write_bytes(data)
    watcher = subprocess.run([sys.executable, "-m", "edi837", "watch", str(outbound), "--to", str(ready), "--once",
                              "--settle", "0"], capture_output=True, text=True, timeout=600, check=False)
    assert watcher.returncode == 2, watcher.stderr  # some refused
    everything = {"watcher stderr": watcher.stderr + watcher.stdout, **_texts(outbound), **_texts(ready)}
    assert _leaks(everything) == []
    reasons = {k: v for k, v in everything.items() if k.startswith("rejected/") and k.endswith(".reason.txt")}
    # a file that ends without IEA is one still being written: the watcher waits for the rest
    assert sorted(reasons) == sorted(f"rejected/{name}.837.reason.txt" for name in REFUSED if name != "no-iea")
    assert SAID["se02"] in reasons["rejected/se02.837.reason.txt"]


@pytest.mark.slow
def test_no_patient_value_in_what_the_batch_writes(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="edi-fix batch needs the optional extra edi837[dask]")
    in_dir, out_dir = tmp_path / "in", tmp_path / "out"
    in_dir.mkdir()
    for name, data in VARIANTS.items():
        (in_dir / f"{name}.837").write_bytes(data)
    done = subprocess.run([sys.executable, "-m", "edi837", "batch", str(in_dir), "--to", str(out_dir), "--workers",
                           "1", "--format", "json", "--report"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 2, done.stderr
    everything = {"batch stdout": done.stdout, "batch stderr": done.stderr, **_texts(out_dir)}
    assert _leaks(everything) == []
    assert SAID["ge01"] in everything["rejected/ge01.837.reason.txt"]
    assert any(name.endswith(".report.html") for name in everything)


def test_control_characters_never_reach_the_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A claim id with an escape sequence and a carriage return, and a refused envelope value with them."""
    claim = b"CLAIM\x1b[2J\rA1"
    data = BASE.replace(b"CLM*CLAIM-A1*", b"CLM*" + claim + b"*")
    src = tmp_path / "in.837"
    src.write_bytes(data)
    main([str(src), str(tmp_path / "out.837"), "--diff", "--no-validate", "--report", str(tmp_path / "r.html")])
    out, err = capsys.readouterr()
    assert "CLAIM" in out  # the claim is in the summary ...
    for text in (out, err, (tmp_path / "r.html").read_text()):
        assert "\x1b" not in text and "\r" not in text  # ... its control characters are not
    # found by bench/fuzz.py: the same in a claim that has a review item (the summary lists it by claim id)
    review = (FIXTURES / "rules" / "NC001" / "nc001_m99_00.837").read_bytes().replace(b"CLM*NC001-J",
                                                                          b"CLM*\x1b[2J\rNC001-J")
    assert b"\x1b" in review
    src.write_bytes(review)
    main([str(src), str(tmp_path / "out3.837"), "--no-validate"])
    out, err = capsys.readouterr()
    assert "review NC001 claim" in out and "\x1b" not in out + err and "\r" not in out + err
    refused = BASE.replace(b"ST*837*0001", b"ST*8\x1b]0;owned\x07\r\n37*0001")
    src.write_bytes(refused)
    code = main([str(src), str(tmp_path / "out2.837")])
    out, err = capsys.readouterr()
    assert code == 2
    lines = [line for line in err.splitlines() if not line.startswith("{")]
    assert len(lines) == 1 and "\x1b" not in err and "\x07" not in err and "\r" not in err, err


@pytest.mark.slow
def test_a_file_name_with_control_characters_is_one_line_in_the_watcher(tmp_path: Path) -> None:
    outbound, ready = tmp_path / "outbound", tmp_path / "ready"
    outbound.mkdir()
    ready.mkdir()
    (outbound / "bad\x1b[31mname\rx.837").write_bytes(b"not an 837 file\n")
    proc = subprocess.run([sys.executable, "-m", "edi837", "watch", str(outbound), "--to", str(ready), "--once",
                           "--settle", "0", "--no-validate"], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    for line in proc.stderr.splitlines():
        assert "\x1b" not in line and "\r" not in line
        json.loads(line)
    (reason,) = (outbound / "rejected").glob("*.reason.txt")
    text = reason.read_text()
    assert text.count("\n") == 1 and "\x1b" not in text and "\r" not in text

