"""Issue 9, items 3 to 5: a file is taken only when its writer is done; resources that run out (READY or
OUTBOUND full or read-only, long names, a file named like the watcher's folders) make a file wait or go to
rejected/ with a reason, never vanish or loop; links, FIFOs and folders are reported, never followed.
Real `edi-fix watch` processes on real folders, with in-process twins where privileges are missing.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from edi837.pipeline import FixOptions, fix
from edi837.testing.generator import build_837, random_claims
from tests.cli_helpers import rewritten_on_second_open
from tests.osfixtures import Mounts, fill, read_only
from tests.watch_helpers import FIXABLE, FIXED, GARBAGE, WATCHED, events, journal, leftovers, once, outcomes, visible

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
    assert after.returncode in (0, 1) and outcomes(after)["batch.837"] in ("delivered", "review", "held"), after.stderr
    assert (ready / "batch.837").read_bytes() == fix(first + second, WATCHED).output
    assert (outbound / "archive" / "batch.837").read_bytes() == first + second


def test_a_file_that_changes_while_it_is_read_is_taken_again_whole(folders: tuple[Path, Path],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that closed and reopened the file to append (no open handle to see): the bytes read no
    longer match the file, so nothing is delivered or archived and the file is taken again later."""
    from edi837.delivery import outputs
    from edi837.delivery.watch import FolderWatcher

    outbound, ready = folders
    claims = list(random_claims(20, seed=8))
    first = build_837(claims[:10], interchange_control=1, seed=1)
    second = build_837(claims[10:], interchange_control=2, seed=2)
    (outbound / "batch.837").write_bytes(first)
    real_run = outputs.run
    appended = []

    def run_then_append(*args: object, **kwargs: object) -> object:
        result = real_run(*args, **kwargs)  # type: ignore[arg-type]
        if not appended:
            with (outbound / "batch.837").open("ab") as handle:
                handle.write(second)
            appended.append(True)
        return result

    monkeypatch.setattr(outputs, "run", run_then_append)
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
    assert (ready / "big.837").read_bytes() == fix(big, WATCHED).output


@pytest.mark.slow
def test_a_full_outbound_leaves_no_temp_files_in_logs_or_rejected(tmp_path: Path, mounts: Mounts) -> None:
    # room for the archive copy, the change log and (by the watcher's default hold) held/ with its report
    outbound, ready = mounts.tmpfs(tmp_path / "outbound", "1m"), tmp_path / "ready"
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
    assert outcomes(proc)["garbage.837"] == "rejected" and outcomes(proc)["big.837"] in ("delivered", "review", "held")
    assert (ready / "big.837").read_bytes() == fix(big, WATCHED).output


def test_a_full_disk_is_a_wait_not_a_rejection_in_process(folders: tuple[Path, Path],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process twin of the tmpfs tests, for machines that cannot mount: every write into READY's temp
    folder, and then into logs/, fails with ENOSPC."""
    from edi837.delivery import handoff
    from edi837.delivery.watch import FolderWatcher
    from edi837.files import atomic

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

    monkeypatch.setattr(atomic._OutputFile, "write",
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


def test_a_file_rewritten_while_it_is_read_waits_instead_of_being_rejected(folders: tuple[Path, Path],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that ignores the .part convention rewrites a file while the watcher reads it: the mix fails
    to parse (NUL bytes here), but the file is not broken, it was changing. It waits and is taken again
    whole, never moved to rejected/."""
    from edi837.delivery import handoff
    from edi837.delivery.watch import FolderWatcher

    outbound, ready = folders
    target = outbound / "a.837"
    target.write_bytes(GARBAGE)  # what the writer is replacing
    monkeypatch.setattr(handoff, "open_regular", rewritten_on_second_open(handoff.open_regular, target, FIXABLE))
    watcher = FolderWatcher(outbound, ready, FixOptions(validate=False), settle=0)
    watcher.prepare()
    assert watcher.run_once() == 1  # deferred: changed while read
    watcher.close()
    assert visible(outbound / "rejected") == [] and visible(ready) == [] and leftovers(outbound, ready) == []
    monkeypatch.undo()
    watcher = FolderWatcher(outbound, ready, FixOptions(validate=False), settle=0)
    watcher.prepare()
    assert watcher.run_once() == 0
    watcher.close()
    assert (ready / "a.837").read_bytes() == FIXED and visible(outbound / "rejected") == []


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

