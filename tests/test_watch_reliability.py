"""Issue 9, items 1 to 5: the watcher never loses a file and never delivers one twice, whatever the other
watchers, the file systems and the writers do. Real `edi-fix watch` processes on real folders; where a
condition needs privileges this machine may not give (mounting a small tmpfs), the test says so and an
in-process test simulates the same errno beside it.

What the contract expects (README, delivery guarantees): every input ends up exactly once in READY (or with
the uploader) or in rejected/ with a reason; a file that has to wait stays in OUTBOUND with nothing left in
READY/.edi837-tmp, logs/ or rejected/; `--once` exits 0 all done, 1 something waits or needs a person,
2 something was rejected, and never 3 for any of this.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from edi837.generator import build_837, random_claims
from edi837.pipeline import FixOptions, fix
from tests.helpers import FIXTURES
from tests.osfixtures import Mounts, fill, other_filesystem, read_only

FIXABLE = (FIXTURES / "rules" / "nc001_distinct.837").read_bytes()
FIXED = fix(FIXABLE, FixOptions(validate=False)).output
GARBAGE = b"this is not an 837 file\n" * 10


def once(outbound: Path, ready: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edi837", "watch", str(outbound), "--to", str(ready), "--once",
                           "--settle", "0", "--no-validate", *extra], capture_output=True, text=True, timeout=120,
                          check=False)


def events(proc: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]


def outcomes(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {str(e["file"]): str(e["outcome"]) for e in events(proc) if e.get("event") == "watch.file"}


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def leftovers(outbound: Path, ready: Path) -> list[str]:
    """Temporary files anywhere the watcher writes: there must be none once it has exited."""
    found = [p for p in (ready / ".edi837-tmp").rglob("*") if p.is_file()] if (ready / ".edi837-tmp").exists() else []
    for folder in ("logs", "rejected", "archive", ".edi837/journal"):
        if (outbound / folder).is_dir():
            found += [p for p in (outbound / folder).iterdir() if p.name.endswith(".tmp")]
    return [str(p) for p in found]


def journal(outbound: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted((outbound / ".edi837" / "journal").glob("*.json"))]


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    outbound, ready = tmp_path / "outbound", tmp_path / "ready"
    outbound.mkdir()
    ready.mkdir()
    return outbound, ready


# -- item 1: two watchers sharing one READY ---------------------------------------------------------------

class Crash(Exception):
    pass


def _crash_before_delivery(outbound: Path, ready: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Watcher A dies with its file fixed, journaled and staged, just before the rename into READY."""
    from edi837 import watcher as watcher_module
    from edi837.watcher import FolderWatcher

    real = os.replace

    def replace(src: object, dst: object) -> None:
        if Path(str(dst)).parent == ready:
            raise Crash
        real(src, dst)  # type: ignore[arg-type]

    def noreplace(src: Path, dst: Path) -> bool:
        raise Crash

    monkeypatch.setattr(os, "replace", replace)
    for module in (watcher_module, sys.modules.get("edi837.handoff")):
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
            expected[f"{outbound.name}/day-{i}.837"] = fix(data, FixOptions(validate=False)).output
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
    from edi837.watcher import FolderWatcher

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


# -- item 3: a file is whole only when its writer is done ---------------------------------------------------

WRITER = textwrap.dedent("""
    import sys
    path, first, second = sys.argv[1:4]
    with open(path, "wb") as handle:
        handle.write(open(first, "rb").read())
        handle.flush()
        print("paused", flush=True)
        sys.stdin.readline()          # the test says when to go on
        handle.write(open(second, "rb").read())
""")


@pytest.mark.slow
def test_a_file_still_open_for_writing_is_not_taken(folders: tuple[Path, Path], tmp_path: Path) -> None:
    outbound, ready = folders
    claims = list(random_claims(20, seed=8))
    first = build_837(claims[:10], interchange_control=1, seed=1)  # a whole interchange, IEA and all
    second = build_837(claims[10:], interchange_control=2, seed=2)
    (tmp_path / "first").write_bytes(first)
    (tmp_path / "second").write_bytes(second)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(outbound / "batch.837"), str(tmp_path / "first"),
                               str(tmp_path / "second")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "paused\n"
        during = once(outbound, ready)
        assert during.returncode == 0, during.stderr
        assert visible(ready) == [] and visible(outbound / "archive") == []  # not taken at the pause
        waiting = next(e for e in events(during) if e.get("file") == "batch.837")
        assert (waiting["outcome"], waiting["reason_kind"]) == ("waiting", "open-for-writing")
        assert waiting["pid"] == writer.pid
    finally:
        writer.communicate("go\n", timeout=30)
    after = once(outbound, ready)
    assert after.returncode in (0, 1) and outcomes(after)["batch.837"] in ("delivered", "review"), after.stderr
    assert (ready / "batch.837").read_bytes() == fix(first + second, FixOptions(validate=False)).output
    assert (outbound / "archive" / "batch.837").read_bytes() == first + second


def test_a_file_that_changes_while_it_is_read_is_taken_again_whole(folders: tuple[Path, Path],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that closed and reopened the file to append (no open handle to see): the bytes read no
    longer match the file, so nothing is delivered or archived and the file is taken again later."""
    from edi837 import handoff
    from edi837.watcher import FolderWatcher

    outbound, ready = folders
    claims = list(random_claims(20, seed=8))
    first = build_837(claims[:10], interchange_control=1, seed=1)
    second = build_837(claims[10:], interchange_control=2, seed=2)
    (outbound / "batch.837").write_bytes(first)
    real_run = handoff.run
    appended = []

    def run_then_append(*args: object, **kwargs: object) -> object:
        result = real_run(*args, **kwargs)  # type: ignore[arg-type]
        if not appended:
            with (outbound / "batch.837").open("ab") as handle:
                handle.write(second)
            appended.append(True)
        return result

    monkeypatch.setattr(handoff, "run", run_then_append)
    watcher = FolderWatcher(outbound, ready, FixOptions(validate=False), settle=0)
    watcher.prepare()
    assert watcher.run_once() == 1  # deferred: changed while read
    assert visible(ready) == [] and visible(outbound / "archive") == [] and leftovers(outbound, ready) == []
    watcher._retry.clear()  # no waiting for the back-off in a test
    assert watcher.run_once() in (0, 1)  # 1: the claims carry review items
    watcher.close()
    assert (ready / "batch.837").read_bytes() == fix(first + second, FixOptions(validate=False)).output
    assert (outbound / "archive" / "batch.837").read_bytes() == first + second


@pytest.mark.slow
def test_the_part_then_rename_convention(folders: tuple[Path, Path]) -> None:
    outbound, ready = folders
    (outbound / "batch.837.part").write_bytes(FIXABLE[:200])
    assert once(outbound, ready).returncode == 0 and visible(ready) == []
    (outbound / "batch.837.part").write_bytes(FIXABLE)
    os.replace(outbound / "batch.837.part", outbound / "batch.837")
    assert once(outbound, ready).returncode == 0
    assert (ready / "batch.837").read_bytes() == FIXED


# -- item 4: resources run out -------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_read_only_ready_waits_and_leaves_nothing_behind(folders: tuple[Path, Path]) -> None:
    outbound, ready = folders
    (outbound / "a.837").write_bytes(FIXABLE)
    with read_only(ready):  # read-only from the very first start
        proc = once(outbound, ready)
        assert proc.returncode == 1, proc.stderr  # waits: not rejected, not an internal error
        assert outcomes(proc)["a.837"] == "deferred"
    assert visible(outbound) == ["a.837", "archive", "logs", "rejected"] and visible(outbound / "rejected") == []
    assert leftovers(outbound, ready) == [] and journal(outbound) == []
    assert once(outbound, ready).returncode == 0 and visible(ready) == ["a.837"]  # READY writable again
    (ready / "a.837").unlink()
    (outbound / "b.837").write_bytes(FIXABLE)
    with read_only(ready):  # and read-only once the watcher's own folder is there: the rename fails
        proc = once(outbound, ready)
        assert proc.returncode == 1 and outcomes(proc)["b.837"] == "deferred"
        assert leftovers(outbound, ready) == [] and journal(outbound) == []
        assert visible(outbound / "logs") == ["a.837.changes.jsonl"]  # no change log for what was not delivered
    proc = once(outbound, ready)
    assert proc.returncode == 0 and (ready / "b.837").read_bytes() == FIXED


@pytest.mark.slow
def test_a_full_ready_waits_and_leaves_no_temp_files(folders: tuple[Path, Path], mounts: Mounts) -> None:
    outbound, ready = folders
    mounts.tmpfs(ready, "32k")
    big = build_837(list(random_claims(200, seed=1)), seed=1)  # ~85 kB fixed
    (outbound / "big.837").write_bytes(big)
    proc = once(outbound, ready)
    assert proc.returncode == 1, proc.stderr
    assert outcomes(proc)["big.837"] == "deferred"
    assert (outbound / "big.837").read_bytes() == big and leftovers(outbound, ready) == []
    assert visible(outbound / "rejected") == [] and journal(outbound) == []
    mounts.resize(ready, "1m")
    assert once(outbound, ready).returncode in (0, 1)
    assert (ready / "big.837").read_bytes() == fix(big, FixOptions(validate=False)).output


@pytest.mark.slow
def test_a_full_outbound_leaves_no_temp_files_in_logs_or_rejected(tmp_path: Path, mounts: Mounts) -> None:
    outbound, ready = mounts.tmpfs(tmp_path / "outbound", "256k"), tmp_path / "ready"
    ready.mkdir()
    assert once(outbound, ready).returncode == 0  # its folders exist
    big = build_837(list(random_claims(150, seed=3)), seed=3)
    (outbound / "big.837").write_bytes(big)
    (outbound / "garbage.837").write_bytes(GARBAGE)
    fill(outbound, 2048)  # the change log and the reason file cannot be written
    proc = once(outbound, ready)
    assert proc.returncode == 1, proc.stderr  # both wait; neither is lost, neither is an internal error
    assert outcomes(proc) == {"big.837": "deferred", "garbage.837": "deferred"}
    assert leftovers(outbound, ready) == [] and visible(ready) == []
    assert visible(outbound / "logs") == [] and visible(outbound / "rejected") == []
    (outbound / ".filler").unlink()
    proc = once(outbound, ready)
    assert proc.returncode == 2, proc.stderr  # garbage rejected now that its reason fits
    assert outcomes(proc)["garbage.837"] == "rejected" and outcomes(proc)["big.837"] in ("delivered", "review")
    assert (ready / "big.837").read_bytes() == fix(big, FixOptions(validate=False)).output


def test_a_full_disk_is_a_wait_not_a_rejection_in_process(folders: tuple[Path, Path],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process twin of the tmpfs tests, for machines that cannot mount: every write into READY's temp
    folder, and then into logs/, fails with ENOSPC."""
    from edi837 import fileio, handoff
    from edi837.watcher import FolderWatcher

    outbound, ready = folders
    (outbound / "a.837").write_bytes(FIXABLE)
    (outbound / "garbage.837").write_bytes(GARBAGE)
    real_fdopen = os.fdopen

    class FullFile:
        def __init__(self, handle: object) -> None:
            self.handle = handle

        def __enter__(self) -> FullFile:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()  # type: ignore[attr-defined]

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name: str) -> object:
            return getattr(self.handle, name)

    monkeypatch.setattr(handoff.os, "fdopen", lambda fd, *a, **k: FullFile(real_fdopen(fd, *a, **k)))
    watcher = FolderWatcher(outbound, ready, FixOptions(validate=False), settle=0)
    watcher.prepare()
    assert watcher.run_once() == 2  # garbage is still rejected (its reason file fits); a.837 waits
    watcher.close()
    assert visible(ready) == [] and leftovers(outbound, ready) == [] and (outbound / "a.837").exists()
    monkeypatch.undo()

    monkeypatch.setattr(fileio._OutputFile, "write",
                        lambda self, data: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device")))
    watcher = FolderWatcher(outbound, ready, FixOptions(validate=False), settle=0)
    watcher.prepare()
    assert watcher.run_once() == 1  # now logs/ is full: still a wait
    watcher.close()
    assert visible(ready) == [] and leftovers(outbound, ready) == [] and visible(outbound / "logs") == []
    monkeypatch.undo()
    watcher = FolderWatcher(outbound, ready, FixOptions(validate=False), settle=0)
    watcher.prepare()
    assert watcher.run_once() == 0
    watcher.close()
    assert (ready / "a.837").read_bytes() == FIXED


@pytest.mark.slow
def test_names_as_long_as_the_file_system_allows(folders: tuple[Path, Path]) -> None:
    outbound, ready = folders
    name = "c" * 251 + ".837"  # 255 bytes, the ext4/tmpfs limit
    (outbound / name).write_bytes(FIXABLE)
    proc = once(outbound, ready)
    assert proc.returncode == 0, proc.stderr
    assert (ready / name).read_bytes() == FIXED and visible(outbound / "archive") == [name]
    assert len(visible(outbound / "logs")) == 1  # its change log, under a shortened name
    (ready / name).unlink()
    (outbound / name).write_bytes(FIXABLE)  # the same long name again: archive/ already has one
    proc = once(outbound, ready)
    assert proc.returncode == 0, proc.stderr
    assert (ready / name).read_bytes() == FIXED
    assert len(visible(outbound / "archive")) == 2 and len(visible(outbound / "logs")) == 2
    assert leftovers(outbound, ready) == [] and journal(outbound) == []


@pytest.mark.slow
def test_a_file_named_like_the_watchers_folders_does_not_stop_it(folders: tuple[Path, Path]) -> None:
    outbound, ready = folders
    (outbound / "archive").write_bytes(FIXABLE)  # a claim file someone saved without an extension
    (outbound / "logs").write_bytes(GARBAGE)
    (outbound / "a.837").write_bytes(FIXABLE)
    proc = once(outbound, ready)
    assert proc.returncode == 2, proc.stderr  # the two in the way were put aside, for a person
    assert (ready / "a.837").read_bytes() == FIXED
    assert (outbound / "archive").is_dir() and (outbound / "logs").is_dir()
    assert visible(outbound / "rejected") == ["archive", "archive.reason.txt", "logs", "logs.reason.txt"]
    assert (outbound / "rejected" / "archive").read_bytes() == FIXABLE
    assert "in the way of the watcher's archive/ folder" in (outbound / "rejected" / "archive.reason.txt").read_text()


# -- item 5: symlinks, FIFOs, folders --------------------------------------------------------------------------

@pytest.mark.slow
def test_links_fifos_and_folders_are_reported_never_followed(folders: tuple[Path, Path], tmp_path: Path) -> None:
    outbound, ready = folders
    secret = tmp_path / "elsewhere" / "someone-elses.837"
    secret.parent.mkdir()
    secret.write_bytes(FIXABLE)
    (outbound / "link-out.837").symlink_to(secret)
    (outbound / "real.837").write_bytes(FIXABLE)
    (outbound / "link-in.837").symlink_to(outbound / "real.837")
    os.mkfifo(outbound / "pipe.837")
    (outbound / "subfolder").mkdir()
    proc = once(outbound, ready)  # must not hang on the FIFO
    assert proc.returncode == 2, proc.stderr
    assert visible(ready) == ["real.837"]  # the real file once; nothing through a link
    assert secret.read_bytes() == FIXABLE and secret.exists()  # the target outside is untouched, not archived
    rejected = outbound / "rejected"
    assert visible(rejected) == ["link-in.837", "link-in.837.reason.txt", "link-out.837", "link-out.837.reason.txt",
                                 "pipe.837", "pipe.837.reason.txt"]
    assert (rejected / "link-out.837").is_symlink() and (rejected / "pipe.837").is_fifo()
    assert "symbolic link (to a file outside OUTBOUND)" in (rejected / "link-out.837.reason.txt").read_text()
    assert "a FIFO, not a file" in (rejected / "pipe.837.reason.txt").read_text()
    assert outcomes(proc)["subfolder"] == "ignored"
    assert (outbound / "subfolder").is_dir()


def test_recovery_leaves_a_live_processs_copy_in_a_shared_archive(folders: tuple[Path, Path], tmp_path: Path) -> None:
    """archive/ may be a volume several watchers copy into (EXDEV): a starting watcher removes only the
    temp files of processes that are gone."""
    from edi837.watcher import FolderWatcher

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
