"""Delivery: the folder watcher, the pre-submit hook, the Python API and rule plugins, with real folders
and real processes."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import edi837
from edi837.pipeline import FixOptions, fix
from edi837.testing.generator import ClaimSpec, LineSpec, build_837, random_claims
from tests.helpers import FIXTURES, REPO
from tests.watch_helpers import visible

FIXABLE = (FIXTURES / "rules" / "NC001" / "nc001_distinct.837").read_bytes()  # 97140 gets 59
CLEAN = build_837([ClaimSpec("CLEAN-1", ("M542",), (LineSpec("99213", "95"),))])
GARBAGE = b"this is not an 837 file\n" * 10


def cli(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edi837", *args], capture_output=True, text=True, timeout=120,
                          check=False, **kwargs)  # type: ignore[call-overload]


def start_watcher(outbound: Path, ready: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "edi837", "watch", str(outbound), "--to", str(ready), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


# -- watcher -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_once_delivers_fixed_files_and_rejects_garbage(folders: tuple[Path, Path]) -> None:
    outbound, ready = folders
    (outbound / "fixable.837").write_bytes(FIXABLE)
    (outbound / "clean.837").write_bytes(CLEAN)
    (outbound / "garbage.837").write_bytes(GARBAGE)
    (outbound / "upload.837.part").write_bytes(FIXABLE)  # still being written by the practice system
    (outbound / ".hidden.837").write_bytes(FIXABLE)
    proc = cli("watch", str(outbound), "--to", str(ready), "--once", "--settle", "0.2")
    assert proc.returncode == 2, proc.stderr  # some were rejected
    assert visible(ready) == ["clean.837", "fixable.837"]
    assert (ready / "fixable.837").read_bytes() == fix(FIXABLE).output
    assert b"HC:97140:59" in (ready / "fixable.837").read_bytes()
    assert (ready / "clean.837").read_bytes() == CLEAN
    assert visible(outbound / "archive") == ["clean.837", "fixable.837"]
    assert (outbound / "archive" / "fixable.837").read_bytes() == FIXABLE  # the original, kept
    assert visible(outbound / "rejected") == ["garbage.837", "garbage.837.reason.txt"]
    assert "not an X12 file" in (outbound / "rejected" / "garbage.837.reason.txt").read_text()
    assert json.loads((outbound / "logs" / "fixable.837.changes.jsonl").read_text())["rule"] == "NC001"
    assert visible(outbound) == ["archive", "logs", "rejected", "upload.837.part"]  # .hidden.837 untouched too
    assert (outbound / ".hidden.837").read_bytes() == FIXABLE
    events = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    outcomes = {e["file"]: e["outcome"] for e in events if e.get("event") == "watch.file"}
    assert outcomes == {"clean.837": "delivered", "fixable.837": "delivered", "garbage.837": "rejected"}


@pytest.mark.slow
def test_slowly_written_file_is_taken_once_whole_and_sigterm_stops_cleanly(folders: tuple[Path, Path]) -> None:
    outbound, ready = folders
    watcher = start_watcher(outbound, ready, "--settle", "0.6", "--no-validate")
    try:
        time.sleep(1.0)
        target = outbound / "slow.837"
        with target.open("wb") as handle:
            for start in range(0, len(FIXABLE), 200):
                handle.write(FIXABLE[start:start + 200])
                handle.flush()
                time.sleep(0.15)  # pauses shorter than --settle: never taken half written
        wait_for(lambda: (ready / "slow.837").exists())
        assert (ready / "slow.837").read_bytes() == fix(FIXABLE, FixOptions(validate=False)).output
        watcher.send_signal(signal.SIGTERM)
        _, err = watcher.communicate(timeout=20)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert watcher.returncode == 0, err
    processed = [json.loads(line) for line in err.splitlines() if '"watch.file"' in line]
    assert [(e["file"], e["outcome"]) for e in processed] == [("slow.837", "delivered")]
    assert visible(outbound / "rejected") == []


@pytest.mark.slow
def test_a_second_watcher_refuses_to_start(folders: tuple[Path, Path]) -> None:
    outbound, ready = folders
    first = start_watcher(outbound, ready)
    try:
        wait_for(lambda: (outbound / ".edi837" / "watch.lock").exists() and
                 (outbound / ".edi837" / "watch.lock").read_text().strip() == str(first.pid))
        second = cli("watch", str(outbound), "--to", str(ready), "--once")
        assert second.returncode == 2
        assert f"already running on {outbound} (pid {first.pid})" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=20)


@pytest.mark.slow
def test_kill_9_mid_batch_loses_nothing_and_delivers_nothing_twice(folders: tuple[Path, Path],
                                                                   tmp_path: Path) -> None:
    """kill -9 at random moments while an uploader takes files out of READY; then restart and finish.
    Every input must end up exactly once: uploaded/left in READY (and identical to what edi-fix makes of
    it) or in rejected/."""
    outbound, ready = folders
    uploaded = tmp_path / "uploaded"
    uploaded.mkdir()
    expected: dict[str, bytes | None] = {}
    expected_held: dict[str, bytes] = {}
    claims = list(random_claims(1600, seed=5))
    for i in range(80):
        name = f"batch-{i:03d}.837"
        if i % 10 == 9:
            data = GARBAGE
            expected[name] = None
        else:
            data = build_837(claims[i * 20:(i + 1) * 20], interchange_control=i + 1, seed=i)
            result = fix(data, FixOptions(validate=False, hold=frozenset({"review"})))  # the watcher's default
            expected[name] = result.output
            if result.held:
                expected_held[name] = result.held_output or b""
        (outbound / name).write_bytes(data)

    taken: list[str] = []
    stop = threading.Event()

    def uploader() -> None:  # a clearinghouse client: takes whatever whole file appears in READY
        while not stop.is_set():
            for path in sorted(ready.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    os.replace(path, uploaded / f"{len(taken):04d}-{path.name}")
                    taken.append(path.name)
            time.sleep(0.01)

    thread = threading.Thread(target=uploader, daemon=True)
    thread.start()
    rng = random.Random(1)
    try:
        for _ in range(4):
            watcher = start_watcher(outbound, ready, "--settle", "0", "--no-validate")
            time.sleep(rng.uniform(0.45, 0.9))
            watcher.kill()  # SIGKILL: no clean-up at all
            watcher.wait(timeout=20)
        final = cli("watch", str(outbound), "--to", str(ready), "--once", "--settle", "0", "--no-validate")
        assert final.returncode in (0, 2), final.stderr  # 2 if garbage was still left to reject
        wait_for(lambda: not [p for p in ready.iterdir() if p.is_file()], timeout=10)
    finally:
        stop.set()
        thread.join(timeout=5)

    assert sorted(taken) == sorted(set(taken)), "a file reached READY twice"
    rejected = {p.name for p in (outbound / "rejected").iterdir() if not p.name.endswith(".reason.txt")}
    for name, output in expected.items():
        if output is None:
            assert name in rejected and name not in taken
        else:
            assert taken.count(name) == 1 and name not in rejected
            (delivered,) = [p for p in uploaded.iterdir() if p.name.endswith(name)]
            assert delivered.read_bytes() == output, name
    # The held files too: each exactly once (no stamped second copy), with its report beside it.
    assert expected_held, "the batch should hold some claims for review"
    held_files = sorted(p.name for p in (outbound / "held").iterdir() if not p.name.endswith(".report.html"))
    assert held_files == sorted(expected_held)
    for name, held in expected_held.items():
        assert (outbound / "held" / name).read_bytes() == held
        assert (outbound / "held" / f"{name}.report.html").is_file()
    assert visible(outbound) == ["archive", "held", "logs", "rejected"]  # nothing left behind, nothing lost
    assert sorted(visible(outbound / "archive")) == sorted(n for n, o in expected.items() if o is not None)
    assert list((outbound / ".edi837" / "journal").glob("*.json")) == []  # every delivery finished
    assert list((outbound / ".edi837" / "held-tmp").iterdir()) == []
    for folder in (outbound / ".edi837" / "journal", ready / ".edi837-tmp", outbound / "logs", outbound / "rejected",
                   outbound / "held"):
        assert [p.name for p in folder.rglob("*") if p.name.endswith(".tmp")] == []  # no half-written leftovers


# Deterministic crashes: the watcher dies at each step of a delivery, then a new one recovers. A random
# kill -9 rarely lands in these millisecond windows; these tests put it there.

def _watcher(outbound: Path, ready: Path) -> object:
    from edi837.delivery.watch import FolderWatcher

    watcher = FolderWatcher(outbound, ready, FixOptions(validate=False), settle=0)
    watcher.prepare()
    return watcher


class Crash(Exception):
    pass


@pytest.mark.parametrize("step", ["before-journal", "before-rename", "before-archive", "before-unjournal"])
@pytest.mark.parametrize("uploader_took_it", [False, True])
def test_recovery_after_a_crash_at_each_step(folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                             step: str, uploader_took_it: bool) -> None:
    from edi837.delivery import handoff as module
    from edi837.delivery import journal as delivery

    outbound, ready = folders
    (outbound / "a.837").write_bytes(FIXABLE)
    expected = fix(FIXABLE, FixOptions(validate=False)).output
    first = _watcher(outbound, ready)
    real_replace, real_unlink, real_noreplace = os.replace, Path.unlink, module.rename_noreplace

    def replace(src: object, dst: object) -> None:
        target = Path(str(dst))
        if step == "before-archive" and target.parent.name == "archive":
            raise Crash
        real_replace(src, dst)  # type: ignore[arg-type]

    def noreplace(src: Path, dst: Path) -> bool:
        if step == "before-rename" and dst.parent == ready:
            raise Crash
        return real_noreplace(src, dst)

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if step == "before-unjournal" and self.parent.name == "journal":
            raise Crash
        real_unlink(self, missing_ok=missing_ok)

    if step == "before-journal":
        monkeypatch.setattr(delivery, "AtomicWriter", _crashing_writer(delivery.AtomicWriter, "journal"))
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(module, "rename_noreplace", noreplace)
    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(Crash):
        first.process(outbound / "a.837")  # type: ignore[attr-defined]
    first.close()  # type: ignore[attr-defined]
    monkeypatch.undo()

    delivered_before = (ready / "a.837").exists()
    if uploader_took_it and delivered_before:
        (ready / "a.837").unlink()
    second = _watcher(outbound, ready)  # recovers on start
    assert second.run_once() in (0, 1)  # type: ignore[attr-defined]
    second.close()  # type: ignore[attr-defined]

    delivered_twice = uploader_took_it and delivered_before and (ready / "a.837").exists()
    assert not delivered_twice, "a file the uploader already took was delivered again"
    if not (uploader_took_it and delivered_before):
        assert (ready / "a.837").read_bytes() == expected
    assert visible(outbound / "archive") == ["a.837"]
    assert visible(outbound) == ["archive", "logs", "rejected"]
    assert list((outbound / ".edi837" / "journal").iterdir()) == []
    assert [p for p in (ready / ".edi837-tmp").rglob("*") if not p.is_dir()] == []
    assert json.loads((outbound / "logs" / "a.837.changes.jsonl").read_text())["rule"] == "NC001"


def _crashing_writer(real: type, folder: str) -> type:
    class Writer(real):  # type: ignore[misc, valid-type]
        def __enter__(self) -> object:
            if self.path.parent.name == folder:
                raise Crash
            return super().__enter__()

    return Writer


# -- hook ----------------------------------------------------------------------------------------

def test_hook_fixes_in_place_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "claims.837"
    target.write_bytes(FIXABLE)
    target.chmod(0o640)
    proc = cli("hook", str(target), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["changed"], summary["changes"], summary["review_items"], summary["errors"]) == (True, 1, 0, [])
    assert target.read_bytes() == fix(FIXABLE).output
    assert target.stat().st_mode & 0o777 == 0o640
    # The change log goes beside FILE by default, as the CLI's goes beside OUT (issue 9, item 12).
    assert visible(tmp_path) == ["claims.837", "claims.837.changes.jsonl"]
    (record,) = [json.loads(line) for line in (tmp_path / "claims.837.changes.jsonl").read_text().splitlines()]
    assert (record["rule"], record["claim_id"]) == ("NC001", "NC001-A")
    assert summary["changelog"] == f"{target}.changes.jsonl"


def test_hook_no_changelog_writes_nothing_beside_the_file(tmp_path: Path) -> None:
    target = tmp_path / "claims.837"
    target.write_bytes(FIXABLE)
    proc = cli("hook", str(target), "--no-changelog")
    assert proc.returncode == 0, proc.stderr
    assert visible(tmp_path) == ["claims.837"]
    assert target.read_bytes() == fix(FIXABLE).output


def test_hook_leaves_garbage_untouched_with_exit_2(tmp_path: Path) -> None:
    target = tmp_path / "claims.837"
    target.write_bytes(GARBAGE)
    before = target.stat().st_mtime_ns
    proc = cli("hook", str(target), "--format", "json")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["errors"][0] == f"refused: {target}: not an X12 file: it does not start with an " \
                                                   "ISA segment"
    assert target.read_bytes() == GARBAGE and target.stat().st_mtime_ns == before
    assert visible(tmp_path) == ["claims.837"]  # a refusal writes nothing, change log included


def test_hook_leaves_a_clean_file_alone_and_writes_a_changelog_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "claims.837"
    target.write_bytes(CLEAN)
    before = target.stat().st_mtime_ns
    proc = cli("hook", str(target), "--changelog", str(tmp_path / "log.jsonl"))
    assert proc.returncode == 0, proc.stderr
    assert target.read_bytes() == CLEAN and target.stat().st_mtime_ns == before
    assert (tmp_path / "log.jsonl").read_text() == ""


# -- API and plugins -------------------------------------------------------------------------------

def test_python_api() -> None:
    result = edi837.fix(FIXABLE)
    assert result.output == FIXABLE.replace(b"SV1*HC:97140*40*UN*1***2", b"SV1*HC:97140:59*40*UN*1***2")
    (record,) = result.records
    assert (record.claim_id, record.rule, record.action, record.applied) == ("NC001-A", "NC001", "append_modifier",
                                                                             True)
    with pytest.raises(edi837.InputRefused, match="not an X12 file"):
        edi837.fix(GARBAGE)


def test_documented_python_example_runs(tmp_path: Path) -> None:
    """The Python API example of docs/running.md runs as printed."""
    readme = (REPO / "docs" / "running.md").read_text()
    block = readme.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "claims.837").write_bytes(FIXABLE)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          check=False, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "NC001-A 2 NC001 append_modifier" in proc.stdout
    assert b"HC:97140:59" in (tmp_path / "claims.fixed.837").read_bytes()


@pytest.mark.slow
def test_an_installed_plugin_rule_runs_and_can_be_ignored(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                              str(REPO / "examples" / "plugin")], capture_output=True, text=True, timeout=300,
                             check=False)
    assert install.returncode == 0, install.stderr[-2000:]
    data = build_837([ClaimSpec("DUP-1", ("M5450",), (LineSpec("99213", "95"), LineSpec("99213", "95")))])
    (tmp_path / "in.837").write_bytes(data)
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = cli(str(tmp_path / "in.837"), str(tmp_path / "out.837"), "--format", "json", env=env)
    assert proc.returncode == 1, proc.stderr
    review = json.loads(proc.stdout)["review"]
    assert [(r["rule"], r["claim_id"], r["line_number"]) for r in review] == [("PX001", "DUP-1", 2)]
    ignored = cli(str(tmp_path / "in.837"), str(tmp_path / "out2.837"), "--ignore", "PX", env=env)
    assert ignored.returncode == 0, ignored.stderr


def test_one_bad_file_does_not_stop_the_others(folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in review: an unreadable file made the watcher exit, and every restart died on it again."""
    from edi837.delivery import handoff as module

    outbound, ready = folders
    for name in ("a.837", "b.837", "c.837"):
        (outbound / name).write_bytes(FIXABLE)
    real = module.open_regular

    def unreadable_b(path: Path) -> object:
        if path.name == "b.837" and path.parent == outbound:
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(module, "open_regular", unreadable_b)
    watcher = _watcher(outbound, ready)
    assert watcher.run_once() == 1  # type: ignore[attr-defined]
    watcher.close()  # type: ignore[attr-defined]
    assert visible(ready) == ["a.837", "c.837"]
    assert (outbound / "b.837").exists()  # left where it was, for a person


def test_a_reused_name_keeps_both_change_logs(folders: tuple[Path, Path]) -> None:
    outbound, ready = folders
    watcher = _watcher(outbound, ready)
    (outbound / "daily.837").write_bytes(FIXABLE)
    watcher.run_once()  # type: ignore[attr-defined]
    (ready / "daily.837").unlink()  # the uploader took it
    (outbound / "daily.837").write_bytes(CLEAN)
    watcher.run_once()  # type: ignore[attr-defined]
    watcher.close()  # type: ignore[attr-defined]
    archived = visible(outbound / "archive")
    assert len(archived) == 2 and "daily.837" in archived
    logs = visible(outbound / "logs")
    assert sorted(logs) == sorted(f"{name}.changes.jsonl" for name in archived)
