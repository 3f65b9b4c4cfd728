"""Issue 9, item 6: the pre-submit hook never overwrites what it must not. Real `edi-fix hook` processes:
a FILE changed while the hook ran is left alone (exit 2, one line); owner, group and mode are kept; a
symbolic link's target is fixed and the link kept; hard-linked and read-only files are refused with a
reason and stay byte for byte.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edi837.pipeline import fix
from edi837.testing.generator import build_837, random_claims
from tests.cli_helpers import CLEAN, FIXABLE, edi_fix, one_refusal, rewritten_on_second_open

# -- item 6: the hook --------------------------------------------------------------------------------

@pytest.mark.slow
def test_hook_leaves_a_file_that_changed_while_it_ran(tmp_path: Path) -> None:
    target = tmp_path / "claims.837"
    data = build_837(list(random_claims(400, seed=3)), seed=3)
    target.write_bytes(data)
    hook = subprocess.Popen([sys.executable, "-m", "edi837", "hook", str(target)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".claims.837.*.edi837.tmp")):  # the hook has read FILE and is fixing it
        assert hook.poll() is None and time.monotonic() < deadline, hook.communicate()
        time.sleep(0.01)
    rewritten = CLEAN  # the upload client writes FILE again meanwhile
    with target.open("r+b") as handle:
        handle.write(rewritten)
        handle.truncate()
    _, err = hook.communicate(timeout=120)
    assert hook.returncode == 2, err
    assert "changed while edi-fix ran; left as it is" in one_refusal(err.decode())
    assert target.read_bytes() == rewritten  # not overwritten with the fixed old content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.837"]  # no change log, no temp file


def test_a_file_rewritten_while_it_is_read_is_named_as_changed_not_as_broken(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The client rewrites FILE while the hook is still reading it: what the hook read is a mix that fails
    to parse (here NUL bytes). The cause to name is the rewrite, so the person runs the hook again rather
    than looking for a broken export."""
    from edi837.delivery import hook
    from edi837.pipeline import FixOptions

    target = tmp_path / "claims.837"
    target.write_bytes(FIXABLE)
    monkeypatch.setattr(hook, "open_regular", rewritten_on_second_open(hook.open_regular, target, CLEAN + b"\n"))
    code = hook.fix_in_place(target, changelog=None, as_json=False, options=FixOptions(validate=False))
    assert code == 2
    assert "changed while edi-fix ran; left as it is" in one_refusal(capsys.readouterr().err)
    assert target.read_bytes() == CLEAN + b"\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.837"]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another owner needs root")
def test_hook_keeps_owner_group_and_mode(tmp_path: Path) -> None:
    target = tmp_path / "claims.837"
    target.write_bytes(FIXABLE)
    os.chown(target, 4321, 8765)
    target.chmod(0o640)
    proc = edi_fix("hook", str(target))
    assert proc.returncode == 0, proc.stderr
    info = target.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o7777) == (4321, 8765, 0o640)
    assert target.read_bytes() == fix(FIXABLE).output


def test_hook_fixes_a_symlinks_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "store" / "claims.837"
    real.parent.mkdir()
    real.write_bytes(FIXABLE)
    link = tmp_path / "upload.837"
    link.symlink_to(real)
    proc = edi_fix("hook", str(link))
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == fix(FIXABLE).output
    assert sorted(p.name for p in real.parent.iterdir()) == ["claims.837"]  # no temp left beside the target


def test_hook_refuses_a_hard_linked_file(tmp_path: Path) -> None:
    target = tmp_path / "claims.837"
    target.write_bytes(FIXABLE)
    os.link(target, tmp_path / "other-name.837")
    proc = edi_fix("hook", str(target))
    assert proc.returncode == 2
    assert "has 2 hard links" in one_refusal(proc.stderr.decode())
    assert target.read_bytes() == FIXABLE == (tmp_path / "other-name.837").read_bytes()
    assert target.stat().st_nlink == 2


def test_hook_refuses_a_read_only_file(tmp_path: Path) -> None:
    target = tmp_path / "claims.837"
    target.write_bytes(FIXABLE)
    target.chmod(0o444)
    before = target.stat()
    proc = edi_fix("hook", str(target))
    assert proc.returncode == 2
    assert f"{target}: is read-only" in one_refusal(proc.stderr.decode())
    after = target.stat()
    assert target.read_bytes() == FIXABLE and (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
