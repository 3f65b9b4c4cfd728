"""The fast gate: a scan that accepts clean files alone, pyx12 on excerpts of the claims it flags.

What is checked here: the scan finds nothing in clean files and flags exactly the claim with a problem;
file-wide problems send the whole file to pyx12; an excerpt makes pyx12 report what it reports on the
whole file, at the same file positions; the gate's verdicts (warnings, refusals, crashes) are those of
the full pyx12 pass; `--validator` reaches the gate from the CLI, the hook and the watcher alike.
(tests/test_gate_differential.py checks the scan against pyx12 on many mutated files.)
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest

from edi837.cli.app import main
from edi837.errors import GateFailed, InputRefused
from edi837.gate import decide
from edi837.gate.excerpt import cut
from edi837.gate.fast import scan
from edi837.gate.pyx12_gate import validate
from edi837.pipeline import FixOptions, fix
from edi837.testing.generator import build_837
from edi837.testing.random_claims import random_claims
from edi837.writer import edits
from edi837.writer.edits import AppendModifier
from tests.rules_for_tests import ScriptedRule

CLEAN = build_837(random_claims(12, seed=5), claims_per_transaction=5)


def _opener(data: bytes) -> Any:
    return lambda: io.BytesIO(data)


def _claim_ids(data: bytes) -> list[bytes]:
    return [s.split(b"*")[1] for s in data.split(b"~") if s.strip().startswith(b"CLM*")]


def _break_claim(data: bytes, index: int) -> bytes:
    """Give claim `index` an invalid CLM05-1 (place of service '!!'), leaving everything else alone."""
    claim_id = _claim_ids(data)[index]
    head = b"CLM*" + claim_id + b"*"
    start = data.index(head)
    end = data.index(b"~", start)
    parts = data[start:end].split(b"*")
    parts[5] = b"!!" + parts[5][2:]
    return data[:start] + b"*".join(parts) + data[end:]


def test_a_clean_file_is_clean_and_its_claims_counted() -> None:
    found = scan(_opener(CLEAN))
    assert found.clean
    assert found.claims == 12
    assert validate(_opener(CLEAN)) == []


def test_the_scan_flags_exactly_the_claim_with_the_problem() -> None:
    data = _break_claim(CLEAN, 7)
    found = scan(_opener(data))
    assert (found.flagged, found.global_reason) == ({7}, None)


@pytest.mark.parametrize("mutation", [
    (b"\nSE*", b"\nSE*9"),  # a wrong segment count
    (b"HL*2*1*", b"HL*3*1*"),  # HL numbers out of sequence
])
def test_file_wide_problems_send_the_whole_file_to_pyx12(mutation: tuple[bytes, bytes]) -> None:
    old, new = mutation
    data = CLEAN.replace(old, new, 1)
    found = scan(_opener(data))
    assert found.global_reason is not None
    assert validate(_opener(data)) != []


def test_an_excerpt_reports_what_the_whole_file_reports_at_the_same_positions() -> None:
    data = _break_claim(_break_claim(CLEAN, 2), 9)  # claims in two different transactions
    found = scan(_opener(data))
    assert found.flagged == {2, 9}
    excerpt = cut(_opener(data), found.flagged)
    assert excerpt.chosen == 2 and excerpt.claims == 12
    assert len(excerpt.data) < len(data) / 2
    whole = validate(_opener(data))
    assert whole and validate(_opener(excerpt.data), excerpt.position) == whole  # positions, codes, values


def test_unchanged_output_reports_the_inputs_errors_as_the_full_pass_does() -> None:
    data = _break_claim(CLEAN, 4)
    fast = fix(data, FixOptions(ignore=("ALL",)))
    slow = fix(data, FixOptions(ignore=("ALL",), validator="pyx12"))
    assert fast.warnings and fast.warnings == slow.warnings
    assert fast.exit_code == slow.exit_code == 1


def test_a_change_that_adds_an_error_is_refused_by_both_validators(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edits, "check_value", lambda *args: None)  # let a 1-character modifier through
    claim_id = _claim_ids(CLEAN)[3].decode()
    rule = ScriptedRule({claim_id: (AppendModifier(1, "5"),)})
    messages = []
    for validator in ("fast", "pyx12"):
        with pytest.raises(GateFailed) as refused:
            fix(CLEAN, FixOptions(ignore=("ALL",), extra_rules=(rule,), validator=validator))
        messages.append(str(refused.value))
    assert messages[0] == messages[1]
    assert "value too short" in messages[0]


def test_a_good_change_beside_an_old_error_passes_with_the_old_error_as_warning() -> None:
    data = _break_claim(CLEAN, 3)
    claim_id = _claim_ids(CLEAN)[3].decode()
    rule = ScriptedRule({claim_id: (AppendModifier(1, "59"),)})
    fast = fix(data, FixOptions(ignore=("ALL",), extra_rules=(rule,)))
    slow = fix(data, FixOptions(ignore=("ALL",), extra_rules=(rule,), validator="pyx12"))
    assert fast.changed and fast.warnings == slow.warnings != []


def test_a_pyx12_crash_is_a_refusal_naming_the_file_position(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """pyx12 4.0.0 raises IndexError on a composite with more parts than the map has: a refusal (exit 2),
    one line, with the segment's position in the file, never the data."""
    sv1 = CLEAN.index(b"SV1*HC:")
    data = CLEAN[:sv1] + b"SV1*HC:98940:A1:A2:A3:A4:PATIENTNAME:X:Y:Z" + CLEAN[CLEAN.index(b"*", sv1 + 4):]
    with pytest.raises(InputRefused) as slow:
        decide.full(_opener(data), _opener(data), False)
    with pytest.raises(InputRefused) as fast:
        decide.check(_opener(data), _opener(data), False)
    assert str(fast.value) == str(slow.value)
    src = tmp_path / "in.837"
    src.write_bytes(data)
    assert main([str(src), str(tmp_path / "out.837")]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("{")]
    assert len(lines) == 1 and "pyx12 cannot validate it (IndexError)" in lines[0], err
    assert "PATIENTNAME" not in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837"]


@pytest.mark.parametrize("entry", ["fix", "hook", "watch"])
@pytest.mark.parametrize("validator", [None, "fast", "pyx12"])
def test_the_validator_option_reaches_the_gate_from_every_entry_point(
        entry: str, validator: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def spy(open_input: Any, open_output: Any, changed: bool, chosen: str = "fast", scanned: Any = None) -> list[Any]:
        seen.append(chosen)
        return []

    monkeypatch.setattr(decide, "check", spy)
    flags = [] if validator is None else ["--validator", validator]
    src = tmp_path / "in.837"
    src.write_bytes(CLEAN)
    if entry == "fix":
        code = main([str(src), str(tmp_path / "out.837"), *flags])
    elif entry == "hook":
        code = main(["hook", str(src), *flags])
    else:
        (tmp_path / "ready").mkdir()
        (tmp_path / "outbound").mkdir()
        src.rename(tmp_path / "outbound" / "in.837")
        code = main(["watch", str(tmp_path / "outbound"), "--to", str(tmp_path / "ready"), "--once",
                     "--settle", "0", "--hold", "none", *flags])
    assert code == 0
    assert seen == [validator or "fast"]


@pytest.mark.parametrize("entry", ["fix", "watch"])
@pytest.mark.parametrize("validator", [None, "fast", "pyx12"])
def test_the_validator_option_reaches_the_hold_gate(entry: str, validator: str | None, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """With a hold policy (the watcher's default) the split's two files go through clean_alone first."""
    seen: list[str] = []
    real = decide.clean_alone

    def spy(open_outputs: Any, chosen: str = "fast") -> bool:
        seen.append(chosen)
        return real(open_outputs, chosen)

    monkeypatch.setattr(decide, "clean_alone", spy)
    flags = [] if validator is None else ["--validator", validator]
    src = tmp_path / "in.837"
    src.write_bytes(CLEAN)
    if entry == "fix":
        code = main([str(src), str(tmp_path / "out.837"), "--hold", "review", *flags])
    else:
        (tmp_path / "ready").mkdir()
        (tmp_path / "outbound").mkdir()
        src.rename(tmp_path / "outbound" / "in.837")
        code = main(["watch", str(tmp_path / "outbound"), "--to", str(tmp_path / "ready"), "--once",
                     "--settle", "0", *flags])
    assert code == 0
    assert seen == [validator or "fast"]


def test_an_unknown_validator_is_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "in.837"
    src.write_bytes(CLEAN)
    assert main([str(src), str(tmp_path / "out.837"), "--validator", "quick"]) == 2


def _run_file(tmp_path: Path, data: bytes, options: FixOptions) -> Any:
    from edi837.pipeline import run

    src = tmp_path / "in.837"
    src.write_bytes(data)
    with (tmp_path / "out.837").open("w+b") as sink:
        return run(lambda: src.open("rb"), sink, options)


def test_a_refused_large_file_prints_one_line_and_no_traceback_of_the_scan_ahead(tmp_path: Path) -> None:
    # The scan ahead runs for inputs over 256 kB; a refusal closes it without reading its answer, and its
    # child must then end quietly: the refusal is the one line a person reads.
    import subprocess
    import sys

    from edi837.gate import ahead
    from edi837.testing.generator import build_837, random_claims

    data = build_837(random_claims(1500, seed=3))
    assert len(data) > ahead.MIN_BYTES
    at = data.index(b"*UN*", data.index(b"SV1*HC:97", data.index(b"CLM*C00001400*"))) + 4
    source = tmp_path / "in.837"
    source.write_bytes(data[:at] + b"X" + data[data.index(b"*", at):])  # units that are not a number
    done = subprocess.run([sys.executable, "-m", "edi837", str(source), str(tmp_path / "out.837"), "--jobs", "1"],
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr
    assert not (tmp_path / "out.837").exists()


def test_a_scan_ahead_nobody_waits_for_ends_at_once_however_large_its_answer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A refused run closes the scan without reading its answer. The child must then fail to send at once; if
    # it still held the parent's end of the answer pipe, an answer larger than the pipe's buffer would block
    # it until close() gave up waiting and killed it.
    import signal

    from edi837.gate import ahead

    def huge(open_data: Any) -> bytes:
        open_data().read()
        return b"x" * 1_000_000

    monkeypatch.setattr(ahead, "scan", huge)  # the forked child inherits it
    scan = ahead.ScanAhead()
    scan.write(b"ISA")
    scan.close()
    assert scan._process.exitcode is not None and scan._process.exitcode != -signal.SIGKILL


@pytest.mark.parametrize("broken", [None, 6])
def test_the_scan_run_ahead_in_a_process_gives_the_in_process_verdict(
        broken: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from edi837.gate import ahead

    data = CLEAN if broken is None else _break_claim(CLEAN, broken)
    inline = _run_file(tmp_path, data, FixOptions(ignore=("ALL",)))
    monkeypatch.setattr(ahead, "MIN_BYTES", 0)
    given: list[Any] = []
    real = decide.check

    def spy(*args: Any) -> list[Any]:
        given.append(args[4])
        return real(*args)

    monkeypatch.setattr(decide, "check", spy)
    forked = _run_file(tmp_path, data, FixOptions(ignore=("ALL",)))
    assert given[0] is not None and given[0].claims == 12  # the child's scan was used
    assert given[0].flagged == (set() if broken is None else {broken})
    assert forked.warnings == inline.warnings
    assert bool(forked.warnings) == (broken is not None)


def test_a_failed_scan_ahead_falls_back_to_scanning_in_process(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from edi837.gate import ahead

    def broken_scan(open_data: Any) -> Any:
        raise RuntimeError("child failure")

    answers: list[object] = []
    real_result = ahead.ScanAhead.result

    def result_seen(self: Any) -> Any:
        answers.append(real_result(self))
        return answers[-1]

    monkeypatch.setattr(ahead, "MIN_BYTES", 0)
    monkeypatch.setattr(ahead, "scan", broken_scan)  # the forked child inherits the failure
    monkeypatch.setattr(ahead.ScanAhead, "result", result_seen)
    data = _break_claim(CLEAN, 2)
    result = _run_file(tmp_path, data, FixOptions(ignore=("ALL",)))
    assert answers == [None]  # a child ran, failed, and gave no scan: the gate scanned in process
    assert [w.segment for w in result.warnings] == [w.segment for w in validate(_opener(data))]


@pytest.mark.parametrize("terminator", [b"\n", b"\r", b"~"])
def test_excerpts_keep_the_files_delimiters(terminator: bytes) -> None:
    from edi837.x12.envelope import Delimiters

    delims = Delimiters(element=b"|", component=b">", repetition=b"^", segment=terminator)
    data = build_837(random_claims(4, seed=9), delimiters=delims, line_break="", claims_per_transaction=2)
    claim = data.index(b"CLM|", data.index(b"CLM|") + 1)  # the second claim: CLM05-1 becomes '!!'
    pos = data.index(b"|", data.index(b"|", data.index(b"|", data.index(b"|", claim + 4) + 1) + 1) + 1)
    broken = data[:pos + 1] + b"!!" + data[pos + 3:]
    found = scan(_opener(broken))
    assert (found.flagged, found.global_reason) == ({1}, None)
    excerpt = cut(_opener(broken), found.flagged)
    whole = validate(_opener(broken))
    assert whole and validate(_opener(excerpt.data), excerpt.position) == whole


def test_a_claim_behind_a_space_and_a_tab_is_the_claim_pyx12_referees() -> None:
    """The scan reads a segment id past any leading white space; the excerpt read it past spaces only, so a
    claim written ' \\tCLM*...' was a claim to one and not the other, and pyx12 was shown the next claim
    instead of the flagged one: the fast gate said nothing where pyx12 reports the leading space."""
    data = build_837(list(random_claims(5, seed=2)))
    starts = [m.start() for m in re.finditer(rb"CLM\*", data)]
    data = data[:starts[2]] + b" \t" + data[starts[2]:]
    full = fix(data, validator="pyx12")
    fast = fix(data, validator="fast")
    assert [str(w) for w in full.warnings] == ["segment 65 CLM: the segment starts with a space [1]"]
    assert [str(w) for w in fast.warnings] == [str(w) for w in full.warnings]
    assert fast.exit_code == full.exit_code == 1


def _run_in_a_pool_worker(path: str) -> bytes:
    """edi837.run on a file large enough for the scan to run ahead, from a daemonic process."""
    from edi837.pipeline import run

    sink = io.BytesIO()
    run(lambda: open(path, "rb"), sink)  # noqa: SIM115 (an opener: the run closes what it opens)
    return sink.getvalue()


def test_a_pool_worker_runs_the_gate_in_process_and_a_failed_fork_leaks_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A multiprocessing.Pool worker is daemonic and may not fork a child: the API run there must scan in
    process, not fail as an internal error; and a fork that fails must close the pipes it opened."""
    import multiprocessing

    from edi837.gate import ahead

    data = build_837(random_claims(600, seed=3))
    assert len(data) >= ahead.MIN_BYTES
    src = tmp_path / "big.837"
    src.write_bytes(data)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.map(_run_in_a_pool_worker, [str(src)]) == [fix(data).output]

    def refuse(self: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.get_context("fork").Process, "start", refuse)
    fds = len(os.listdir("/proc/self/fd"))
    assert [ahead.ScanAhead.start(len(data)) for _ in range(3)] == [None, None, None]
    assert len(os.listdir("/proc/self/fd")) == fds
