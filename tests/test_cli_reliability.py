"""Issue 9, items 7, 9, 10, 11 and 12 (item 6, the hook, is in test_hook_reliability.py): honest exit
codes, temp files that do not outlive a crash, typos refused, a quiet API, and what a newcomer tripped
on. Real processes where the behaviour is about processes (signals, closed descriptors, pipes); the CLI
in-process where it is about messages.

Expected values come from the contract (the README's exit codes, docs/cli.md, the issue): exit 0/1
written, 2 refused or not written, 3 internal error only; one line per refusal; nothing written on refusal.
"""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edi837.cli.app import main
from edi837.pipeline import fix
from edi837.testing.generator import build_837, random_claims
from tests.cli_helpers import BIG, FIXABLE, edi_fix, one_refusal
from tests.helpers import FIXTURES, REPO
from tests.osfixtures import Mounts


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run `command` in sh with $PY the test interpreter (for `<&-` and `>&-`)."""
    return subprocess.run(["sh", "-c", command], capture_output=True, cwd=cwd, timeout=120, check=False,
                          env={**os.environ, "PY": sys.executable})


def in_process(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def with_pipe_closed_for_reading() -> tuple[int, int]:
    read, write = os.pipe()
    os.close(read)  # any write now fails with EPIPE: a `| head` that already went away
    return read, write


# -- item 7: exit codes tell the truth ---------------------------------------------------------------

def test_a_closed_stdout_after_out_is_written_keeps_the_exit_code(tmp_path: Path) -> None:
    (tmp_path / "in.837").write_bytes(FIXABLE)
    _, write = with_pipe_closed_for_reading()
    proc = subprocess.run([sys.executable, "-m", "edi837", "in.837", "out.837"], stdout=write, stderr=subprocess.PIPE,
                          cwd=tmp_path, timeout=120, check=False)
    os.close(write)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err  # OUT is written and nothing needs a person: not "internal error"
    assert (tmp_path / "out.837").read_bytes() == fix(FIXABLE).output
    assert "edi-fix: wrote out.837; the summary was not printed" in err
    assert "internal error" not in err and "Traceback" not in err and "Exception ignored" not in err


def test_a_reader_that_goes_away_truncates_the_837_and_that_is_a_failure(tmp_path: Path) -> None:
    _, write = with_pipe_closed_for_reading()
    proc = subprocess.run([sys.executable, "-m", "edi837", "-", "-"], input=FIXABLE, stdout=write,
                          stderr=subprocess.PIPE, timeout=120, check=False)
    os.close(write)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    line = [x for x in err.splitlines() if x.startswith("edi-fix:")]
    assert line == ["edi-fix: failed: stdout: cannot be written (Broken pipe); the 837 on stdout is incomplete"]
    assert "wrote -" not in err and "Traceback" not in err and "Exception ignored" not in err


def test_a_short_write_to_stdout_is_a_failure_not_wrote(tmp_path: Path) -> None:
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([sys.executable, "-m", "edi837", "-", "-"], input=FIXABLE, stdout=full,
                              stderr=subprocess.PIPE, timeout=120, check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "edi-fix: failed: stdout: cannot be written (No space left on device)" in err
    assert "wrote -" not in err and "Traceback" not in err


def test_closed_stdin_and_stdout_are_refusals_or_harmless(tmp_path: Path) -> None:
    (tmp_path / "in.837").write_bytes(FIXABLE)
    no_stdin = shell('exec "$PY" -m edi837 - out.837 <&-', tmp_path)
    assert no_stdin.returncode == 2
    assert "stdin is closed" in one_refusal(no_stdin.stderr.decode())
    assert not (tmp_path / "out.837").exists()

    no_stdout = shell('exec "$PY" -m edi837 in.837 out.837 >&-', tmp_path)
    assert no_stdout.returncode == 0, no_stdout.stderr  # written; only the summary had nowhere to go
    assert (tmp_path / "out.837").read_bytes() == fix(FIXABLE).output

    piped_nowhere = shell('exec "$PY" -m edi837 - - < in.837 >&-', tmp_path)
    assert piped_nowhere.returncode == 2
    assert "stdout is closed" in piped_nowhere.stderr.decode()
    assert "Traceback" not in piped_nowhere.stderr.decode()


@pytest.mark.parametrize(("where", "old", "new", "reason"), [
    ("LX01", b"LX*2~", b"LX*" + BIG + b"~", "segment 26: LX01 is not a usable line number"),
    ("SV107", b"SV1*HC:97140*40*UN*1***2", b"SV1*HC:97140*40*UN*1***" + BIG, "segment 27: SV107"),
    ("SV104", b"SV1*HC:97140*40*UN*1***2", b"SV1*HC:97140*40*UN*" + BIG + b"***2", "segment 27: SV102 line charge or "
                                                                                   "SV104 units is out of range"),
    ("SV104-minutes", b"SV1*HC:97140*40*UN*1***2", b"SV1*HC:97110*40*MJ*" + BIG + b"***2", "segment 27"),
    ("SV101-9-components", b"SV1*HC:98940*45", b"SV1*HC:98940:1:2:3:4:5:6:7:8:9*45",
     "segment 24 SV1: pyx12 cannot validate it (IndexError)"),
])
def test_inputs_that_crashed_are_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, old: bytes,
                                          new: bytes, reason: str) -> None:
    assert old in FIXABLE
    (tmp_path / "in.837").write_bytes(FIXABLE.replace(old, new, 1))
    code, _, err = in_process([str(tmp_path / "in.837"), str(tmp_path / "out.837")], capsys)
    assert code == 2, err
    line = one_refusal(err)
    assert line.startswith(f"edi-fix: refused: {tmp_path / 'in.837'}: ") and reason in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837"]


def test_deeply_nested_toml_is_a_refusal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.837").write_bytes(FIXABLE)
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "config.toml").write_text("select = " + "[" * 3000 + "]" * 3000 + "\n")
    code, _, err = in_process([str(tmp_path / "in.837"), str(tmp_path / "out.837"), "--packs", str(pack)], capsys)
    assert code == 2
    assert f"{pack / 'config.toml'}: not valid TOML: values nested too deeply" in one_refusal(err)
    assert not (tmp_path / "out.837").exists()


# -- item 9: temp files never outlive a crash ---------------------------------------------------------

def _start_slow_run(tmp_path: Path) -> subprocess.Popen[bytes]:
    (tmp_path / "in.837").write_bytes(build_837(list(random_claims(400, seed=4)), seed=4))
    return subprocess.Popen([sys.executable, "-m", "edi837", "in.837", "out.837"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".edi837.tmp"))


def _wait_for_temp(proc: subprocess.Popen[bytes], folder: Path) -> None:
    deadline = time.monotonic() + 60
    while not _temps(folder):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.01)


@pytest.mark.slow
def test_kill_9_leaves_temp_files_that_the_next_run_removes(tmp_path: Path) -> None:
    proc = _start_slow_run(tmp_path)
    _wait_for_temp(proc, tmp_path)
    proc.kill()
    proc.wait(timeout=30)
    left = _temps(tmp_path)
    assert left and all(re.fullmatch(rf"\.out\.837(\.changes\.jsonl)?\.{proc.pid}-\w+\.edi837\.tmp", n) for n in left)
    again = edi_fix("in.837", "out.837", "--no-validate", cwd=tmp_path)
    assert again.returncode in (0, 1), again.stderr  # written
    assert _temps(tmp_path) == []  # the dead run's temp files are gone, and this run left none
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837", "out.837", "out.837.changes.jsonl"]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="zombies are told by Linux's /proc")
def test_temp_files_of_a_killed_process_its_parent_has_not_reaped_yet_are_removed(tmp_path: Path) -> None:
    # A Dask worker killed mid-file is a zombie until its nanny reaps it, which can be just when the batch
    # cleans up after it: its temp files must go then, not wait for a retry that may never come.
    from edi837.files.leftovers import TEMP_SUFFIX, pid_alive, remove_stale_temps

    child = os.fork()
    if child == 0:
        os._exit(0)
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{child}/stat").read_bytes().split(b") ")[-1][:1] != b"Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        temp = tmp_path / f".out.837.{child}-abcdefgh{TEMP_SUFFIX}"
        temp.write_bytes(b"half a file")
        assert not pid_alive(child)
        assert remove_stale_temps(tmp_path / "out.837") == 1 and not temp.exists()
        assert pid_alive(os.getpid())
    finally:
        os.waitpid(child, 0)


@pytest.mark.slow
def test_sigterm_removes_the_temp_files_on_the_way_out(tmp_path: Path) -> None:
    proc = _start_slow_run(tmp_path)
    _wait_for_temp(proc, tmp_path)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err  # interrupted: the contract's code for "not done, nothing written"
    assert one_refusal(err.decode()) == "edi-fix: interrupted; nothing written"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837"]


@pytest.mark.parametrize("nth", [1, 2])  # the output's temp file, then the change log's
def test_an_interrupt_just_after_a_temp_file_is_made_leaves_nothing(
        nth: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """SIGTERM raises KeyboardInterrupt wherever the process is. Landing between mkstemp and the moment the
    writer's cleanup is registered (its __enter__ has not returned), no __exit__ runs: the entry point must
    still remove the file. The test raises the interrupt exactly there, where a real signal lands at random."""
    import edi837.files.atomic as atomic

    real, made = atomic._OutputFile, []

    def interrupted(raw: object) -> object:
        made.append(raw)
        if len(made) == nth:
            raise KeyboardInterrupt
        return real(raw)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic, "_OutputFile", interrupted)
    (tmp_path / "in.837").write_bytes(FIXABLE)
    monkeypatch.chdir(tmp_path)
    code, _, err = in_process(["in.837", "out.837", "--no-validate"], capsys)
    assert code == 3 and one_refusal(err) == "edi-fix: interrupted; nothing written"
    assert len(made) == nth
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837"]


def test_a_failing_close_still_removes_the_temp_file(tmp_path: Path) -> None:
    """A disk that fills while writing: the write fails, and so does the close that flushes the rest; the
    temporary file must go anyway (simulated: a handle whose every write and flush fail with ENOSPC)."""
    import errno

    from edi837.errors import OutputFailed
    from edi837.files.atomic import AtomicWriter

    class Full:
        def __init__(self, real: object) -> None:
            self.real = real

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self) -> None:
            self.real.close()  # type: ignore[attr-defined]
            raise OSError(errno.ENOSPC, "No space left on device")

        def fileno(self) -> int:
            return self.real.fileno()  # type: ignore[attr-defined, no-any-return]

    (tmp_path / "out.837").write_bytes(b"old")
    with pytest.raises((OSError, OutputFailed)), AtomicWriter(tmp_path / "out.837") as writer:
        writer.handle = Full(writer.handle)  # type: ignore[assignment]
        writer.handle.write(b"x" * 100)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.837"]
    assert (tmp_path / "out.837").read_bytes() == b"old"

    writer = AtomicWriter(tmp_path / "out.837")  # and on a clean block whose commit fails the same way
    with pytest.raises((OSError, OutputFailed)), writer:
        writer.handle = Full(writer.handle)  # type: ignore[assignment]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.837"]


def test_a_full_disk_while_writing_out_is_a_failure_with_nothing_left(tmp_path: Path, mounts: Mounts) -> None:
    small = mounts.tmpfs(tmp_path / "small", "64k")
    (tmp_path / "in.837").write_bytes(build_837(list(random_claims(300, seed=6)), seed=6))  # ~130 kB out
    proc = edi_fix(str(tmp_path / "in.837"), str(small / "out.837"), "--no-validate")
    assert proc.returncode == 2, proc.stderr
    line = one_refusal(proc.stderr.decode())  # the change log or OUT, whichever filled the disk first
    assert re.search(r"out\.837(\.changes\.jsonl)?: cannot be written \(No space left on device\); nothing written",
                     line), line
    assert list(small.iterdir()) == []


# -- item 10: typos are refused -----------------------------------------------------------------------

def test_an_unknown_pack_key_is_refused_with_the_nearest_key(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.837").write_bytes(FIXABLE)
    pack = tmp_path / "pack"
    (pack / "payers").mkdir(parents=True)
    profile = pack / "payers" / "acme.toml"
    profile.write_text('[payer]\nname = "Acme"\npayer_ids = ["ACME1"]\ndistinct_modifer = "XS"\n')
    code, _, err = in_process([str(tmp_path / "in.837"), str(tmp_path / "out.837"), "--packs", str(pack)], capsys)
    assert code == 2
    assert one_refusal(err) == (f"edi-fix: refused: {profile} line 4: unknown key 'distinct_modifer' in [payer] "
                                "(did you mean 'distinct_modifier'?)")
    (pack / "payers" / "acme.toml").unlink()
    (pack / "ncci_pairs.toml").write_text("")
    code, _, err = in_process([str(tmp_path / "in.837"), str(tmp_path / "out.837"), "--packs", str(pack)], capsys)
    assert code == 2 and "ncci_pairs.toml: not a rule-pack file name (did you mean ncci.toml?)" in one_refusal(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837", "pack"]


@pytest.mark.parametrize(("option", "code", "hint"), [("--select", "NC01", "did you mean NC001?"),
                                                      ("--ignore", "nc002", "did you mean NC002?"),
                                                      ("--ignore", "ZZ", "rule codes: DX001, DX002, EM001, LC001")])
def test_an_unknown_rule_code_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, code: str,
                                         hint: str) -> None:
    (tmp_path / "in.837").write_bytes(FIXABLE)
    exit_code, _, err = in_process([str(tmp_path / "in.837"), str(tmp_path / "out.837"), option, code], capsys)
    assert exit_code == 2
    line = one_refusal(err)
    assert f"{option} {code}: no rule has this code or prefix" in line and hint in line
    assert not (tmp_path / "out.837").exists()


def test_check_exits_1_only_when_something_would_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warned = (FIXTURES / "walker_loops.837").read_bytes().replace(b"DMG*D8*19800101*F~", b"DMG*D8*19800101*Q~")
    warned = warned.replace(b"SV1*HC:97530*45.00*MJ*20***1", b"SV1*HC:97530:GP:GY*45.00*UN*1***1")  # nothing to fix
    (tmp_path / "warned.837").write_bytes(warned)
    (tmp_path / "fixable.837").write_bytes(FIXABLE)
    args = [str(tmp_path / "warned.837"), str(tmp_path / "out.837"), "--check"]
    code, out, _ = in_process(args, capsys)
    assert code == 0, out  # a validation error already in the input changes nothing
    assert in_process([*args, "--strict"], capsys)[0] == 1  # ... unless asked to count it
    assert in_process([str(tmp_path / "fixable.837"), str(tmp_path / "out.837"), "--check"], capsys)[0] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fixable.837", "warned.837"]


# -- item 11: the API is quiet, `python -m` does not load plugins from the current folder ------------------

def test_the_api_prints_nothing_and_logging_is_the_callers(tmp_path: Path) -> None:
    (tmp_path / "in.837").write_bytes(FIXABLE)
    quiet = "import edi837, pathlib; edi837.fix(pathlib.Path('in.837').read_bytes())"
    proc = subprocess.run([sys.executable, "-c", quiet], cwd=tmp_path, capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert (proc.stdout, proc.stderr) == (b"", b"")
    configured = ("import logging, sys, edi837, pathlib; logging.basicConfig(stream=sys.stderr, level=logging.INFO, "
                  "format='%(name)s %(message)s'); edi837.fix(pathlib.Path('in.837').read_bytes())")
    proc = subprocess.run([sys.executable, "-c", configured], cwd=tmp_path, capture_output=True, timeout=60,
                          check=False)
    assert proc.stdout == b""
    assert b"edi837 " in proc.stderr and b"run.done" in proc.stderr  # the caller's handler and format


def test_python_m_does_not_load_plugins_from_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "in.837").write_bytes(FIXABLE)
    (tmp_path / "planted.py").write_text("import pathlib\npathlib.Path('PLANTED-RAN').write_text('yes')\n"
                                         "def rule(packs):\n    raise SystemExit('planted rule loaded')\n")
    dist = tmp_path / "planted-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: planted\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[edi837.rules]\nplanted = planted:rule\n")
    proc = edi_fix("in.837", "out.837", "--no-validate", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "PLANTED-RAN").exists()


# -- item 12: what a newcomer tripped on -----------------------------------------------------------------

def test_help_lists_the_commands_without_type_placeholders(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = in_process(["--help"], capsys)
    assert code == 0
    names = ("watch", "hook", "batch", "rules", "rule", "ncci", "icd10", "config", "claims", "ack", "release", "remit",
             "outcomes")
    # each command, then its text (wrapped onto indented lines when long), in this order
    commands = r"^Commands:\n" + "".join(rf"  {n} +\S.*\n(?: {{4,}}\S.*\n)*" for n in names) + r"  help +\S"
    assert re.search(commands, out, re.MULTILINE), out
    assert "--packs DIR" in out and "--rules" not in out and "--format text|json" in out
    assert not re.search(r"<(bool|str|path|text\|json)>|\{IN\}", out), out
    assert in_process(["help"], capsys)[1] == out  # `edi-fix help` is the same help, not "Missing argument"
    code, watch_help, _ = in_process(["help", "watch"], capsys)
    assert code == 0 and "Usage: edi-fix watch OUTBOUND --to READY" in watch_help and "<bool>" not in watch_help
    assert in_process(["hook", "-h"], capsys)[1].startswith("Usage: edi-fix hook FILE")
    assert in_process(["batch", "-h"], capsys)[1].startswith("Usage: edi-fix batch IN_DIR --to OUT_DIR")
    assert in_process(["remit", "-h"], capsys)[1].startswith("Usage: edi-fix remit FILE... [--ledger PATH]")
    outcomes_help = in_process(["help", "outcomes"], capsys)[1]
    assert "--format text|json|csv|html" in outcomes_help and "<" not in outcomes_help, outcomes_help


@pytest.mark.parametrize("args", [[], ["only-one.837"], ["--bogus", "a", "b"], ["a", "b", "--format", "xml"],
                                  ["watch", "somewhere"]])
def test_a_usage_error_is_one_line(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = in_process(args, capsys)
    assert code == 2 and out == ""
    line = one_refusal(err)
    assert re.fullmatch(r"edi-fix( watch)?: usage: .+ \(see edi-fix( watch)? --help\)", line), line


def test_words_are_counted_and_articled_right(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.837").write_bytes(FIXABLE)  # one claim, two lines, one change
    code, out, _ = in_process([str(tmp_path / "in.837"), str(tmp_path / "out.837"), "--no-validate"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "1 claim, 2 service lines: 1 change on 1 claim, 0 for review"
    (record,) = [json.loads(x) for x in (tmp_path / "out.837.changes.jsonl").read_text().splitlines()]
    assert "points to an upper extremity diagnosis" in record["message"]


@pytest.mark.parametrize(("data", "reason"), [(b"", "empty file"), (b"hello, not x12\n", "not an X12 file")])
def test_empty_and_not_x12_refusals_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes,
                                                  reason: str) -> None:
    (tmp_path / "in.837").write_bytes(data)
    code, _, err = in_process([str(tmp_path / "in.837"), str(tmp_path / "out.837")], capsys)
    assert code == 2
    assert one_refusal(err).startswith(f"edi-fix: refused: {tmp_path / 'in.837'}: {reason}")


def test_a_refusal_is_one_line_even_with_json_logs(tmp_path: Path) -> None:
    (tmp_path / "in.837").write_bytes(b"")
    proc = edi_fix("in.837", "out.837", cwd=tmp_path)  # stderr is a pipe: logs would be JSON lines
    assert proc.returncode == 2
    assert one_refusal(proc.stderr.decode()) == "edi-fix: refused: in.837: empty file: no bytes to read"


@pytest.mark.slow
def test_the_first_line_on_a_terminal_is_not_a_log_line(tmp_path: Path) -> None:
    (tmp_path / "in.837").write_bytes(FIXABLE)
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdout and stderr are the terminal, as in `make demo`
        os.chdir(tmp_path)
        os.execv(sys.executable, [sys.executable, "-m", "edi837", "in.837", "out.837", "--diff"])
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    lines = b"".join(chunks).decode().splitlines()
    assert lines[0] == "--- in.837", lines  # the diff, then the summary; no "[info] run.done" line first
    assert not any("run.done" in line for line in lines), lines


def test_the_samples_summary_says_when_the_folder_is_absent(tmp_path: Path) -> None:
    env = {**os.environ, "EDI837_SAMPLES": str(tmp_path / "nowhere")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_samples.py"],
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=False, env=env)
    assert proc.returncode == 0, proc.stdout
    assert f"public samples: {tmp_path / 'nowhere'} is absent, 3 sample tests skipped" in proc.stdout, proc.stdout


def test_stdin_refusal_names_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    class Stdin(io.TextIOWrapper):
        def isatty(self) -> bool:
            return False

    monkeypatch.setattr(sys, "stdin", Stdin(io.BytesIO(b"")))
    code, _, err = in_process(["-", "-"], capsys)
    assert code == 2
    assert one_refusal(err) == "edi-fix: refused: stdin: empty file: no bytes to read"

