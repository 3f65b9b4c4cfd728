"""Files that carry patient data are not world-readable (issue 20, item 4), in real processes.

OUT, the held file, the change log and the report are written 0600 (0640 with --group-readable, for an
outbound folder an uploader's group shares), never wider for group and others than the input file's own
mode, and the umask narrows them further. Folders edi837 makes for such files are 0700 (0750). The hook's
FILE keeps its own mode: it is the input. Each case runs under umask 022 and under umask 000 (where the
old code gave 0666).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_split import mixed_file


def run(*args: str, umask: int) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "edi837", *args], capture_output=True, timeout=120, check=False,
                          umask=umask)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask022", "umask000"])
@pytest.mark.parametrize(("group", "input_mode", "expected"), [
    (False, 0o644, 0o600), (True, 0o644, 0o640),
    (True, 0o600, 0o600),  # never wider than the input: a private input stays private
    (False, 0o400, 0o600),  # the owner always reads and writes what edi837 writes
], ids=["private", "group-readable", "private-input", "read-only-input"])
def test_the_cli_writes_patient_data_for_its_owner(tmp_path: Path, umask: int, group: bool, input_mode: int,
                                                   expected: int) -> None:
    src, out = tmp_path / "in.837", tmp_path / "out.837"
    src.write_bytes(mixed_file())
    src.chmod(input_mode)
    done = run(str(src), str(out), "--hold", "review", "--report", str(tmp_path / "r.html"), "--no-validate",
               *(["--group-readable"] if group else []), umask=umask)
    assert done.returncode == 1, done.stderr
    written = [out, tmp_path / "out.837.changes.jsonl", tmp_path / "out.837.held.837", tmp_path / "r.html"]
    assert {p.name: mode(p) for p in written} == {p.name: expected for p in written}


def test_the_umask_narrows_the_group_mode_further(tmp_path: Path) -> None:
    src, out = tmp_path / "in.837", tmp_path / "out.837"
    src.write_bytes(mixed_file())
    assert run(str(src), str(out), "--no-validate", "--group-readable", umask=0o077).returncode == 1
    assert (mode(out), mode(tmp_path / "out.837.changes.jsonl")) == (0o600, 0o600)


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask022", "umask000"])
@pytest.mark.parametrize("group", [False, True], ids=["private", "group-readable"])
def test_the_hook_keeps_files_mode_and_writes_its_side_files_private(tmp_path: Path, umask: int,
                                                                      group: bool) -> None:
    target = tmp_path / "b.837"
    target.write_bytes(mixed_file())
    target.chmod(0o664)
    done = run("hook", str(target), "--hold", "review", "--report", str(tmp_path / "r.html"), "--no-validate",
               *(["--group-readable"] if group else []), umask=umask)
    assert done.returncode == 1, done.stderr
    assert mode(target) == 0o664  # FILE is the input: it keeps its own mode
    side = [tmp_path / "b.837.changes.jsonl", tmp_path / "b.837.held.837", tmp_path / "r.html"]
    assert {p.name: mode(p) for p in side} == {p.name: 0o640 if group else 0o600 for p in side}


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask022", "umask000"])
@pytest.mark.parametrize("group", [False, True], ids=["private", "group-readable"])
def test_the_watcher_delivers_holds_and_logs_privately(folders: tuple[Path, Path], umask: int, group: bool) -> None:
    outbound, ready = folders
    (outbound / "day.837").write_bytes(mixed_file())
    (outbound / "day.837").chmod(0o644)
    (outbound / "junk.837").write_bytes(b"not an 837 file\n")
    done = subprocess.run([sys.executable, "-m", "edi837", "watch", str(outbound), "--to", str(ready), "--once",
                           "--settle", "0", "--no-validate", *(["--group-readable"] if group else [])],
                          capture_output=True, timeout=120, check=False, umask=umask)
    assert done.returncode == 2, done.stderr  # junk.837 rejected, day.837 held in part
    file_mode, dir_mode = (0o640, 0o750) if group else (0o600, 0o700)
    files = [ready / "day.837", outbound / "held" / "day.837", outbound / "held" / "day.837.report.html",
             outbound / "logs" / "day.837.changes.jsonl"]
    assert {str(p): mode(p) for p in files} == {str(p): file_mode for p in files}
    folders_made = [outbound / name for name in ("archive", "rejected", "logs", "held", ".edi837")]
    folders_made.append(ready / ".edi837-tmp")
    assert {str(p): mode(p) for p in folders_made} == {str(p): dir_mode for p in folders_made}
    assert mode(outbound / "archive" / "day.837") == 0o644  # the original, moved as it was
    assert os.path.exists(outbound / "rejected" / "junk.837")
