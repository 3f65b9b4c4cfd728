"""Issue 9, items 1 and 2: the watcher never loses a file and never delivers one twice, whatever another
watcher sharing READY does and however the move to archive/ fails. Real `edi-fix watch` processes on real
folders; where a condition needs privileges this machine may not give (mounting a small tmpfs, a second
file system), the test says so and an in-process test simulates the same errno beside it.

What the contract expects (docs/reliability.md, delivery guarantees): every input ends up exactly once in
READY (or with the uploader) or in rejected/ with a reason; a file whose journal says delivered is never
delivered again; `--once` exits 0 all done, 1 something waits or needs a person, 2 something was rejected, never 3.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from edi837.pipeline import FixOptions, fix
from edi837.testing.generator import build_837, random_claims
from tests.osfixtures import Mounts, other_filesystem, read_only
from tests.watch_helpers import FIXABLE, FIXED, WATCHED, journal, leftovers, once, outcomes, visible

# -- item 1: two watchers sharing one READY ---------------------------------------------------------------

class Crash(Exception):
    pass


def _crash_before_delivery(outbound: Path, ready: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Watcher A dies with its file fixed, journaled and staged, just before the rename into READY."""
    from edi837.delivery import watch as watcher_module
    from edi837.delivery.watch import FolderWatcher

    real = os.replace

    def replace(src: object, dst: object) -> None:
        if Path(str(dst)).parent == ready:
            raise Crash
        real(src, dst)  # type: ignore[arg-type]

    def noreplace(src: Path, dst: Path) -> bool:
        raise Crash

    monkeypatch.setattr(os, "replace", replace)
    for module in (watcher_module, sys.modules.get("edi837.delivery.handoff")):
        if module is not None:
            monkeypatch.setattr(module, "rename_noreplace", noreplace, raising=False)
    first = FolderWatcher(outbound, ready, FixOptions(validate=False), settle=0)
    first.prepare()
    with pytest.raises(Crash):
        first.process(outbound / "a.837")
    first.close()
    monkeypatch.undo()


@pytest.mark.slow
def test_a_second_watcher_on_the_same_ready_does_not_remove_the_first_ones_staged_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ready = tmp_path / "ready"
    outbound_a, outbound_b = tmp_path / "outbound-a", tmp_path / "outbound-b"
    for folder in (ready, outbound_a, outbound_b):
        folder.mkdir()
    (outbound_a / "a.837").write_bytes(FIXABLE)
    _crash_before_delivery(outbound_a, ready, monkeypatch)
    assert not (ready / "a.837").exists()

    b = once(outbound_b, ready)  # another practice's watcher starts on the same READY
    assert b.returncode == 0, b.stderr
    a = once(outbound_a, ready)  # A comes back and finishes its delivery
    assert a.returncode == 0, a.stderr
    assert (ready / "a.837").read_bytes() == FIXED  # delivered, not archived undelivered
    assert visible(outbound_a / "archive") == ["a.837"]
    assert journal(outbound_a) == [] and leftovers(outbound_a, ready) == []


@pytest.mark.slow
def test_two_watchers_sharing_ready_deliver_every_file_once_even_with_the_same_names(tmp_path: Path) -> None:
    ready, uploaded = tmp_path / "ready", tmp_path / "uploaded"
    outbounds = [tmp_path / "outbound-a", tmp_path / "outbound-b"]
    for folder in (ready, uploaded, *outbounds):
        folder.mkdir()
    claims = list(random_claims(240, seed=9))
    expected: dict[str, bytes] = {}
    for w, outbound in enumerate(outbounds):
        for i in range(6):
            data = build_837(claims[(w * 6 + i) * 20:(w * 6 + i + 1) * 20], interchange_control=w * 10 + i + 1, seed=i)
            (outbound / f"day-{i}.837").write_bytes(data)  # the same six names in both folders
            expected[f"{outbound.name}/day-{i}.837"] = fix(data, WATCHED).output
    taken: list[bytes] = []
    stop = threading.Event()

    def uploader() -> None:
        while not stop.is_set():
            for path in sorted(ready.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    taken.append(path.read_bytes())
                    path.unlink()
            time.sleep(0.02)

    thread = threading.Thread(target=uploader, daemon=True)
    thread.start()
    watchers = [subprocess.Popen([sys.executable, "-m", "edi837", "watch", str(o), "--to", str(ready), "--settle", "0",
                                  "--no-validate"], stdout=subprocess.PIPE, stderr=subprocess.PIPE) for o in outbounds]
    try:
        deadline = time.monotonic() + 90
        while len(taken) < len(expected) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for proc in watchers:
            proc.terminate()
            proc.communicate(timeout=30)
        stop.set()
        thread.join(timeout=5)
    assert sorted(taken) == sorted(expected.values())  # each exactly once, none overwritten by the other's
    for outbound in outbounds:
        assert len(visible(outbound / "archive")) == 6 and journal(outbound) == []
        assert leftovers(outbound, ready) == []


# -- item 2: a move to archive/ that fails ------------------------------------------------------------------

@pytest.mark.slow
def test_a_read_only_archive_never_redelivers_and_is_not_an_internal_error(folders: tuple[Path, Path]) -> None:
    outbound, ready = folders
    (outbound / "archive").mkdir()
    (outbound / "a.837").write_bytes(FIXABLE)
    with read_only(outbound / "archive"):
        first = once(outbound, ready)
        assert first.returncode == 1, first.stderr  # delivered, but the original could not be archived
        assert (ready / "a.837").read_bytes() == FIXED
        assert outcomes(first)["a.837"] == "archive-failed"
        (ready / "a.837").unlink()  # the uploader takes it
        for _ in range(2):
            later = once(outbound, ready)
            assert later.returncode == 1, later.stderr  # reported again, never exit 3
            assert visible(ready) == []  # and never delivered again
            assert outcomes(later)["a.837"] == "archive-failed"
        assert [e["state"] for e in journal(outbound)] == ["stuck"]
    fixed = once(outbound, ready)  # a person fixes archive/: the original is archived, nothing delivered
    assert fixed.returncode == 0, fixed.stderr
    assert visible(ready) == [] and visible(outbound / "archive") == ["a.837"]
    assert (outbound / "archive" / "a.837").read_bytes() == FIXABLE
    assert journal(outbound) == [] and visible(outbound) == ["archive", "logs", "rejected"]


@pytest.mark.slow
def test_an_archive_on_another_file_system_is_copied_then_removed(folders: tuple[Path, Path]) -> None:
    outbound, ready = folders
    elsewhere = other_filesystem(outbound)
    try:
        (outbound / "archive").symlink_to(elsewhere, target_is_directory=True)
        (outbound / "a.837").write_bytes(FIXABLE)
        proc = once(outbound, ready)
        assert proc.returncode == 0, proc.stderr
        assert (ready / "a.837").read_bytes() == FIXED
        assert (elsewhere / "a.837").read_bytes() == FIXABLE
        assert visible(outbound) == ["archive", "logs", "rejected"] and journal(outbound) == []
        (ready / "a.837").unlink()
        assert once(outbound, ready).returncode == 0 and visible(ready) == []
        assert [p.name for p in elsewhere.iterdir()] == ["a.837"]  # no temp file left there either
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)


def test_exdev_is_copied_then_unlinked_and_never_redelivered(folders: tuple[Path, Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process twin of the test above, for machines without a second file system: os.replace into
    archive/ fails with EXDEV as it does across file systems."""
    from edi837.delivery.watch import FolderWatcher

    outbound, ready = folders
    (outbound / "a.837").write_bytes(FIXABLE)
    real = os.replace

    def replace(src: object, dst: object) -> None:
        if Path(str(dst)).parent.name == "archive" and not Path(str(src)).name.endswith(".edi837.tmp"):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    watcher = FolderWatcher(outbound, ready, FixOptions(validate=False), settle=0)
    watcher.prepare()
    assert watcher.run_once() == 0
    (ready / "a.837").unlink()
    assert watcher.run_once() == 0
    watcher.close()
    assert visible(ready) == [] and visible(outbound / "archive") == ["a.837"]
    assert (outbound / "archive" / "a.837").read_bytes() == FIXABLE and not (outbound / "a.837").exists()


@pytest.mark.slow
def test_a_full_archive_file_system_is_reported_and_never_redelivers(folders: tuple[Path, Path],
                                                                    mounts: Mounts) -> None:
    outbound, ready = folders
    archive = mounts.tmpfs(outbound / "archive", "16k")  # another file system, and too small for the original
    big = build_837(list(random_claims(120, seed=2)), seed=2)
    (outbound / "big.837").write_bytes(big)
    first = once(outbound, ready)
    assert first.returncode == 1, first.stderr
    assert outcomes(first)["big.837"] == "archive-failed"
    (ready / "big.837").unlink()
    again = once(outbound, ready)
    assert again.returncode == 1 and visible(ready) == []
    assert [p.name for p in archive.iterdir()] == []  # the failed copy left nothing behind
    mounts.resize(archive, "1m")
    done = once(outbound, ready)
    assert done.returncode == 0 and visible(ready) == [] and (archive / "big.837").read_bytes() == big


def test_recovery_leaves_a_live_processs_copy_in_a_shared_archive(folders: tuple[Path, Path], tmp_path: Path) -> None:
    """archive/ may be a volume several watchers copy into (EXDEV): a starting watcher removes only the
    temp files of processes that are gone."""
    from edi837.delivery.watch import FolderWatcher

    outbound, ready = folders
    shared = tmp_path / "shared-archive"
    shared.mkdir()
    (outbound / "archive").symlink_to(shared, target_is_directory=True)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True, timeout=60)
    live = shared / f".other.837.{os.getppid()}-abcdefgh.edi837.tmp"
    dead = shared / f".mine.837.{int(gone.stdout)}-abcdefgh.edi837.tmp"
    live.write_bytes(b"half a copy")
    dead.write_bytes(b"half a copy")
    watcher = FolderWatcher(outbound, ready, FixOptions(validate=False), settle=0)
    watcher.prepare()
    watcher.close()
    assert live.exists() and not dead.exists()
