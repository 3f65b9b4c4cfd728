"""`edi-fix batch` run again over the same IN_DIR (issue 20, items 12, 1, 2 and 4 for the batch).

Real Dask: the LocalCluster the batch starts itself (`--workers 2`, as tests/test_batch.py uses it) for the
runs that are run again, and that module's scheduler with two `dask worker` processes for the rest.

- A second batch leaves alone every file whose output an earlier batch wrote from the same bytes and settings:
  nothing of it is rewritten (same inode, same mtime), and the summary counts it as skipped. A changed input,
  changed settings (`--group-readable` here) or `--force` fix it again.
- Fixed again, a file that holds claims never replaces the earlier batch's held file or worklist: its own
  go beside them under the next number.
- Files with patient data are 0600 and the folders made for them 0700 even under umask 000 (0640/0750 with
  --group-readable).
- An output path that is a device, FIFO, socket, folder or link fails that file (exit 2), nothing touched.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from edi837.batch.again import settings_digest
from edi837.pipeline import FixOptions
from tests.test_batch import INPUTS, dask_cluster, temp_files, write_inputs  # noqa: F401 - the fixture too
from tests.test_output_targets import block_device, char_device, fifo, needs_root

pytest.importorskip("distributed", reason="edi-fix batch needs the optional extra edi837[dask]")

FILES = {name: INPUTS[name] for name in ("clean.837", "fixed.837", "review.837", "refused.837")}


def batch(in_dir: Path, out_dir: Path, *extra: str, umask: int = 0o022) -> tuple[int, dict[str, Any]]:
    done = subprocess.run([sys.executable, "-m", "edi837", "batch", str(in_dir), "--to", str(out_dir), "--hold",
                           "review", "--format", "json", *extra], capture_output=True, text=True, timeout=300,
                          check=False, umask=umask)
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {"stderr": done.stderr}


def files_of(out_dir: Path) -> dict[str, tuple[int, int, int]]:
    """Every file below OUT_DIR, hidden ones included: (inode, mtime, permission bits)."""
    return {p.relative_to(out_dir).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns, stat.S_IMODE(p.stat().st_mode))
            for p in sorted(out_dir.rglob("*")) if p.is_file()}


def outcomes(summary: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {e["file"]: (e["outcome"], e["exit_code"]) for e in summary["by_file"]}


def of(files: dict[str, tuple[int, int, int]], name: str) -> dict[str, tuple[int, int, int]]:
    """The entries of one input's outputs (OUT, log, record, held file and worklist)."""
    stem = name.removesuffix(".837")
    return {k: v for k, v in files.items() if not k.startswith("rejected/")
            and (Path(k).name.lstrip(".").startswith(name) or Path(k).name.startswith(f"{stem}-"))}


def test_a_batch_run_again_leaves_alone_what_it_already_did(tmp_path: Path) -> None:
    in_dir, out_dir = tmp_path / "in", tmp_path / "out"
    write_inputs(in_dir, FILES)
    code, first = batch(in_dir, out_dir, "--workers", "2", umask=0o000)
    assert code == 2, first  # refused.837
    assert outcomes(first) == {"clean.837": ("ok", 0), "fixed.837": ("ok", 0), "review.837": ("held", 1),
                               "refused.837": ("refused", 2)}
    done = files_of(out_dir)
    # Patient data is the owner's, umask 000 or not: files 0600, the folders the batch made 0700.
    assert {k: v[2] for k, v in done.items() if not k.endswith(".reason.txt")} == {k: 0o600 for k in done
                                                                                  if not k.endswith(".reason.txt")}
    assert [stat.S_IMODE(p.stat().st_mode) for p in (out_dir, out_dir / "held", out_dir / "rejected")] == [0o700] * 3
    assert (out_dir / "held" / "review.837").exists() and not (out_dir / "review.837").exists()

    code, second = batch(in_dir, out_dir, "--workers", "2")
    assert code == 2, second  # the skipped held file still needs a person (1); refused.837 is refused again (2)
    assert outcomes(second) == {"clean.837": ("skipped", 0), "fixed.837": ("skipped", 0),
                                "review.837": ("skipped", 1), "refused.837": ("refused", 2)}
    assert second["files"]["skipped"] == 3 and second["files"]["total"] == 4
    assert {e["file"]: e.get("was") for e in second["by_file"]}["review.837"] == "held"
    again = files_of(out_dir)
    for name in ("clean.837", "fixed.837", "review.837"):  # not one of their outputs rewritten
        assert of(again, name) == of(done, name) and of(done, name), name

    # A changed input is fixed again; the others are still left alone. The text summary counts them.
    (in_dir / "fixed.837").write_bytes(INPUTS["fixed.837"].replace(b"FIX-1", b"FIX-2"))
    text = subprocess.run([sys.executable, "-m", "edi837", "batch", str(in_dir), "--to", str(out_dir), "--hold",
                           "review", "--workers", "2"], capture_output=True, text=True, timeout=300, check=False)
    assert text.returncode == 2, text.stderr
    assert "  left alone (done by an earlier batch from the same bytes and settings): 2 files" in text.stdout
    third = files_of(out_dir)
    assert third["fixed.837"][0] != done["fixed.837"][0] and b"FIX-2" in (out_dir / "fixed.837").read_bytes()
    assert of(third, "clean.837") == of(done, "clean.837") and of(third, "review.837") == of(done, "review.837")

    # Other settings decide other outputs: everything is fixed again. The held file of the first batch stays
    # (a person may not have worked it yet); the new one goes beside it with its own worklist.
    code, fourth = batch(in_dir, out_dir, "--workers", "2", "--group-readable", umask=0o000)
    assert code == 2 and fourth["files"]["skipped"] == 0, fourth
    now = files_of(out_dir)
    assert all(now[k][0] != third[k][0] for k in ("clean.837", "fixed.837", "clean.837.changes.jsonl"))
    assert now["held/review.837"] == done["held/review.837"]
    assert now["held/review.837.report.html"] == done["held/review.837.report.html"]
    assert (out_dir / "held" / "review-2.837").read_bytes() == (out_dir / "held" / "review.837").read_bytes()
    assert now["held/review-2.837"][2] == now["held/review-2.837.report.html"][2] == now["clean.837"][2] == 0o640

    # --force: the same again, even though nothing changed.
    code, fifth = batch(in_dir, out_dir, "--workers", "2", "--group-readable", "--force")
    assert code == 2 and fifth["files"]["skipped"] == 0, fifth
    assert files_of(out_dir)["clean.837"][0] != now["clean.837"][0] and (out_dir / "held" / "review-3.837").exists()
    assert not temp_files(out_dir)


def test_the_settings_digest_changes_with_what_decides_the_output(tmp_path: Path) -> None:
    base = FixOptions(ncci_db=False)
    same = settings_digest(base, report=False, group_readable=False)
    assert settings_digest(FixOptions(ncci_db=False), report=False, group_readable=False) == same
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "local.toml").write_text("# nothing yet\n")
    others = [settings_digest(FixOptions(ncci_db=False, apply_review=True), report=False, group_readable=False),
              settings_digest(FixOptions(ncci_db=False, select=("NC001",)), report=False, group_readable=False),
              settings_digest(FixOptions(ncci_db=False, hold=frozenset({"review"})), report=False,
                              group_readable=False),
              settings_digest(base, report=True, group_readable=False),
              settings_digest(FixOptions(ncci_db=False, packs_dir=rules), report=False, group_readable=False)]
    (rules / "local.toml").write_text("# changed\n")  # a rule pack edited between two batches
    others.append(settings_digest(FixOptions(ncci_db=False, packs_dir=rules), report=False, group_readable=False))
    database = tmp_path / "ncci.sqlite3"
    database.write_bytes(b"first import")
    others.append(settings_digest(FixOptions(ncci_db=database), report=False, group_readable=False))
    database.write_bytes(b"a newer import")
    others.append(settings_digest(FixOptions(ncci_db=database), report=False, group_readable=False))
    codes = tmp_path / "icd10.sqlite3"  # an `icd10 import` between two batches changes which codes are valid
    codes.write_bytes(b"FY2026 codes")
    others.append(settings_digest(FixOptions(ncci_db=False, icd10_db=codes), report=False, group_readable=False))
    codes.write_bytes(b"FY2026 and FY2027 codes")
    others.append(settings_digest(FixOptions(ncci_db=False, icd10_db=codes), report=False, group_readable=False))
    assert len({same, *others}) == len(others) + 1
    assert settings_digest(FixOptions(ncci_db=False, jobs=4), report=False, group_readable=False) == same


@needs_root
def test_an_output_path_that_is_not_a_file_fails_that_file_and_touches_nothing(tmp_path: Path,
                                                                              dask_cluster: str) -> None:  # noqa: F811
    in_dir, out_dir = tmp_path / "in", tmp_path / "out"
    names = ["a.837", "b.837", "c.837", "d.837", "e.837", "f.837"]
    write_inputs(in_dir, {name: INPUTS["review.837"] for name in names})
    (out_dir / "held").mkdir(parents=True)
    char_device(out_dir / "a.837")
    fifo(out_dir / "b.837.changes.jsonl")
    block_device(out_dir / "held" / "c.837")
    (out_dir / "held" / "d.837.report.html").mkdir()
    (out_dir / "e.837").symlink_to(in_dir / "e.837")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(out_dir / "held" / "f.837"))
        before = {p.relative_to(out_dir).as_posix(): (p.lstat().st_ino, stat.S_IFMT(p.lstat().st_mode))
                  for p in out_dir.rglob("*")}
        code, summary = batch(in_dir, out_dir, "--scheduler", dask_cluster)
        after = {p.relative_to(out_dir).as_posix(): (p.lstat().st_ino, stat.S_IFMT(p.lstat().st_mode))
                 for p in out_dir.rglob("*")}
    assert code == 2, summary
    assert summary["files"]["failed"] == 6, summary
    reasons = {e["file"]: e["reason"] for e in summary["by_file"]}
    for name, kind in zip(names, ["a character device", "a FIFO", "a block device", "a folder", "a symbolic link",
                                  "a socket"], strict=True):
        assert f"is {kind}, not a regular file" in reasons[name], reasons[name]
    assert after == before  # nothing written, nothing replaced, nothing copied to rejected/
    assert os.listdir(in_dir) and sorted(os.listdir(in_dir)) == names
