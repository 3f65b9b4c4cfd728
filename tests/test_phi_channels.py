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

from edi837.delivery import cli
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
}


# The JSON summary and the hook print what the text summary prints; they run on the variants whose pyx12
# texts quoted data (each run goes through pyx12, which is slow).
JSON_TOO = ("address-in-claim", "patient-in-line", "hl-parent")


def _channels(tmp_path: Path, name: str, data: bytes, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    folder = tmp_path / name
    folder.mkdir()
    src = folder / "in.837"
    src.write_bytes(data)
    seen: dict[str, str] = {}
    main([str(src), str(folder / "out.837"), "--diff", "--report", str(folder / "report.html")])
    seen["cli text"] = "".join(capsys.readouterr())
    if name in JSON_TOO:
        main([str(src), str(folder / "out2.837"), "--format", "json"])
        seen["cli json"] = "".join(capsys.readouterr())
        hooked = folder / "hooked.837"
        hooked.write_bytes(data)
        main(["hook", str(hooked), "--format", "json"])
        seen["hook json"] = "".join(capsys.readouterr())
    for path in folder.iterdir():
        if path.suffix in (".jsonl", ".html"):
            seen[path.name] = path.read_text(encoding="utf-8")
    return seen


@pytest.mark.slow
def test_no_patient_value_in_any_channel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    everything: dict[str, str] = {}
    for name, data in VARIANTS.items():
        for channel, text in _channels(tmp_path, name, data, capsys).items():
            everything[f"{name}: {channel}"] = text

    outbound, ready = tmp_path / "outbound", tmp_path / "ready"
    outbound.mkdir()
    ready.mkdir()
    for name, data in VARIANTS.items():
        (outbound / f"{name}.837").write_bytes(data)
    watcher = subprocess.run([sys.executable, "-m", "edi837", "watch", str(outbound), "--to", str(ready), "--once",
                              "--settle", "0"], capture_output=True, text=True, timeout=300, check=False)
    assert watcher.returncode == 2, watcher.stderr  # one refused
    everything["watcher stderr"] = watcher.stderr + watcher.stdout
    for path in [*(outbound / "logs").iterdir(), *(outbound / "rejected").glob("*.reason.txt")]:
        everything[f"watcher {path.parent.name}/{path.name}"] = path.read_text(encoding="utf-8")

    leaks = [(where, value) for where, text in everything.items() for value in PHI if value in text]
    assert leaks == []
    # and the test really saw what it is about: pyx12 reported the misplaced segments, a refusal happened
    assert "segment N3 is not expected here" in everything["address-in-claim: cli text"]
    assert "data outside any interchange" in everything["patient-between-interchanges: cli text"]
    assert any(k.startswith("watcher rejected/") and k.endswith(".reason.txt") for k in everything)


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
    review = (FIXTURES / "rules" / "nc001_m99_00.837").read_bytes().replace(b"CLM*NC001-J", b"CLM*\x1b[2J\rNC001-J")
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
