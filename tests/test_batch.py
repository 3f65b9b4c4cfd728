"""`edi-fix batch` on real Dask clusters: each file's outputs, change log and exit status are the ones
`edi-fix IN OUT` gives that file alone; refusals land in rejected/ with their reason; the summary agrees
with the change logs; a worker killed mid-file leaves nothing half-written and the retry writes the
same bytes.

The clusters are real: a LocalCluster of two worker processes (started by the CLI), and a `dask
scheduler` with two `dask worker` processes on 127.0.0.1 that `--scheduler` connects to. Batches are
small (a few files, tens of claims; one file of 8,000 claims for the kill): speed is the benchmark's
business (bench/batch.py), never a test's.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from edi837.batch.plan import find_inputs, plan
from edi837.batch.run import BatchSummary
from edi837.batch.task import FileOutcome
from edi837.cli import app as cli
from edi837.pipeline import FixOptions
from edi837.testing.generator import ClaimSpec, LineSpec, build_837, random_claims
from tests.cli_helpers import one_refusal

pytest.importorskip("distributed", reason="edi-fix batch needs the optional extra edi837[dask]")

TEMP = re.compile(r"\..*\.(\d+)-[a-z0-9_]{8}\.edi837\.tmp\Z")
# Files of every outcome class, all synthetic. `sub/` is fixed only with --recursive; the hidden file never.
INPUTS: dict[str, bytes] = {
    "clean.837": build_837([ClaimSpec("CLEAN-1", ("M542",), (LineSpec("99213", "95"),))]),
    "fixed.837": build_837([ClaimSpec("FIX-1", ("M9901", "M25511"), (  # 97140 on the shoulder: NC001 adds 59
        LineSpec("98940", "40", pointers=(1,)), LineSpec("97140", "35", pointers=(2,))))]),
    "review.837": build_837([ClaimSpec("REV-1", ("M9901",), (  # 97140 on the manipulated region: review
        LineSpec("98940", "40", pointers=(1,)), LineSpec("97140", "35", pointers=(1,))))]),
    "mixed.837": build_837(random_claims(40, seed=7)),
    "refused.837": b"%PDF-1.4\nthis is not a claim file\n",
    "sub/nested.837": build_837(random_claims(12, seed=8)),
    ".being-written.837": b"ISA*00*",
}


@dataclass(frozen=True)
class Alone:
    """What `edi-fix IN OUT` did with one file on its own."""

    code: int
    output: bytes | None
    changelog: bytes | None
    summary: dict[str, Any] | None
    refusal: str | None


def edi_fix(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edi837", *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout, check=False)


def write_inputs(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def run_alone(source: Path, out_dir: Path, *extra: str) -> Alone:
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / source.name
    done = edi_fix(str(source), str(output), "--format", "json", *extra)
    changelog = Path(f"{output}.changes.jsonl")
    return Alone(done.returncode, output.read_bytes() if output.exists() else None,
                 changelog.read_bytes() if changelog.exists() else None,
                 json.loads(done.stdout) if done.stdout.strip() else None,
                 one_refusal(done.stderr) if done.returncode == 2 else None)


@pytest.fixture(scope="module")
def batch_in(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("batch") / "in"
    write_inputs(folder, INPUTS)
    return folder


@pytest.fixture(scope="module")
def alone(batch_in: Path) -> dict[str, Alone]:
    """Every visible input run through `edi-fix IN OUT` on its own (in parallel: they are independent)."""
    names = [n for n in INPUTS if not Path(n).name.startswith(".")]
    single = batch_in.parent / "alone"
    env_before = os.environ.get("EDI837_NCCI_DB")
    os.environ["EDI837_NCCI_DB"] = ""  # as the autouse fixture does, for this module-scoped one
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            runs = pool.map(lambda n: run_alone(batch_in / n, single / str(len(n)) / n.replace("/", "_")), names)
            return dict(zip(names, runs, strict=True))
    finally:
        if env_before is None:
            os.environ.pop("EDI837_NCCI_DB", None)
        else:
            os.environ["EDI837_NCCI_DB"] = env_before


def temp_files(folder: Path) -> list[str]:
    return [str(p.relative_to(folder)) for p in folder.rglob(".*") if TEMP.match(p.name)]


def assert_same_as_alone(out_dir: Path, batch_in: Path, alone: dict[str, Alone], summary: dict[str, Any],
                         names: list[str]) -> None:
    """Each file's outputs, exit status and reason are what `edi-fix IN OUT` gave it; the summary's numbers
    are those of the change logs and the runs."""
    by_file = {entry["file"]: entry for entry in summary["by_file"]}
    assert sorted(by_file) == sorted(names)
    from_logs: Counter[tuple[str, bool]] = Counter()
    for name in names:
        single, entry, output = alone[name], by_file[name], out_dir / name
        assert entry["exit_code"] == single.code, name
        if single.code == 2:
            assert entry["outcome"] == "refused" and not output.exists(), name
            assert not Path(f"{output}.changes.jsonl").exists(), name
            copy = out_dir / "rejected" / name
            assert copy.read_bytes() == (batch_in / name).read_bytes()
            reason = Path(f"{copy}.reason.txt").read_text()
            stamp, said = reason.rstrip("\n").split(" ", 1)
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
            assert single.refusal is not None
            assert said == f"{name}: {single.refusal.removeprefix('edi-fix: ')}"  # the CLI's very words
            assert entry["reason"] == single.refusal.removeprefix("edi-fix: ")
            continue
        assert single.summary is not None
        assert entry["outcome"] == ("review" if single.code else "ok"), name
        assert output.read_bytes() == single.output, name
        log = Path(f"{output}.changes.jsonl").read_bytes()
        assert log == single.changelog, name
        assert (entry["claims"], entry["changed_claims"]) == (single.summary["claims"],
                                                                single.summary["changed_claims"])
        assert not (out_dir / "rejected" / name).exists()
        from_logs.update((r["rule"], r["applied"]) for r in map(json.loads, log.splitlines()))
    assert summary["changes_by_rule"] == {rule: n for (rule, applied), n in sorted(from_logs.items()) if applied}
    assert summary["review_by_rule"] == {rule: n for (rule, applied), n in sorted(from_logs.items()) if not applied}
    assert summary["changes_by_rule"] and summary["review_by_rule"]  # the batch does exercise both
    assert summary["claims"] == sum(alone[n].summary["claims"] for n in names if alone[n].summary)  # type: ignore[index]
    kinds = Counter(("review" if alone[n].code == 1 else "ok") if alone[n].code < 2 else "refused" for n in names)
    assert {k: summary["files"][k] for k in ("ok", "review", "refused")} == {k: kinds[k] for k in
                                                                             ("ok", "review", "refused")}
    assert summary["files"]["total"] == len(names) and summary["files"]["error"] == 0
    assert not temp_files(out_dir)


def test_a_local_cluster_gives_each_file_what_edi_fix_gives_it_alone(batch_in: Path, alone: dict[str, Alone],
                                                                    tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    done = edi_fix("batch", str(batch_in), "--to", str(out_dir), "--workers", "2", "--recursive", "--format", "json")
    assert done.returncode == 2, done.stderr  # a refused file: 2, the others still done
    summary = json.loads(done.stdout)
    assert summary["exit_code"] == 2 and summary["workers"] == 2
    assert_same_as_alone(out_dir, batch_in, alone, summary, [n for n in INPUTS if not n.startswith(".")])
    assert not (out_dir / ".being-written.837").exists()


def test_big_files_are_split_across_the_workers_and_give_the_same_bytes(tmp_path: Path) -> None:
    # Claim shapes, minutes and several transactions (SE01 recounted after removed lines): the chunks' answers
    # must come back into each file in order. 900 claims are four full chunks (engine/farm.py's CHUNK) and a
    # rest; --split-above 0.05 MB splits the big files and leaves the small one whole. With the NCCI database
    # (an SQLite connection per engine, usable only by the thread that opened it) and more big files than a
    # worker keeps engines for, on threads Dask adds while a split file waits.
    from edi837.testing.ncci_files import ncci_database

    database = ncci_database(Path(__file__).parent / "fixtures" / "ncci" / "cms.toml")
    files = {f"big{n}.837": build_837(random_claims(900, seed=21 + n, minutes_share=0.3, shapes=True),
                                      claims_per_transaction=250, seed=21 + n) for n in range(6)}
    files["small.837"] = INPUTS["fixed.837"]
    assert len(files["big0.837"]) > 50_000 > len(files["small.837"])
    in_dir, out_dir = tmp_path / "in", tmp_path / "out"
    write_inputs(in_dir, files)
    options = ("--no-validate", "--ncci-db", str(database))
    with ThreadPoolExecutor(max_workers=2) as pool:
        single = dict(zip(files, pool.map(lambda n: run_alone(in_dir / n, tmp_path / "alone", *options), files),
                          strict=True))
    # A chunk away is waited for (EDI837_HEDGE_AFTER): with the default half second, a machine this loaded
    # (the suite beside four workers on two cores) may see every chunk run by the file's own task, as it should.
    done = edi_fix("batch", str(in_dir), "--to", str(out_dir), "--workers", "4", "--split-above", "0.05",
                   *options, "--format", "json", env={**os.environ, "EDI837_HEDGE_AFTER": "60"})
    summary = json.loads(done.stdout)
    by_file = {entry["file"]: entry for entry in summary["by_file"]}
    # Two files at a time are split on four workers (a lease for each half of them): some ran on several processes.
    assert max(by_file[f"big{n}.837"].get("processes", 1) for n in range(6)) >= 2
    assert "processes" not in by_file["small.837"]
    for name, alone_run in single.items():
        assert by_file[name]["exit_code"] == alone_run.code, (name, by_file[name])
        assert (out_dir / name).read_bytes() == alone_run.output, name
        assert Path(f"{out_dir / name}.changes.jsonl").read_bytes() == alone_run.changelog, name
    assert done.returncode == 1


def test_a_split_file_whose_partners_are_in_other_chunks_gives_the_bytes_one_process_gives() -> None:
    # NCCI pairs one patient's claims across the file (engine/partners.py): a claim's partner lines are found
    # before any chunk is sent, and travel with the chunk to whichever Dask worker runs it (batch/chunks.py).
    # Partners 450 claims apart are always in other chunks (engine/farm.py's CHUNK is 200). The farm here is the
    # batch's, on a real two-worker LocalCluster, without hedging: every chunk it sends is answered by a worker.
    from distributed import Client, LocalCluster

    from edi837.batch.chunks import run_chunk
    from edi837.engine.farm import ClaimFarm, Remote
    from edi837.engine.partners import subset
    from edi837.engine.runner import RuleEngine
    from edi837.model.claim import Claim
    from edi837.pipeline import Sinks, fix
    from edi837.x12.envelope import Delimiters
    from tests.helpers import split_visits_far_apart

    data = split_visits_far_apart(900, seed=31, gap=450)
    options = FixOptions(validate=False, ncci_db=False, jobs=1)
    alone = fix(data, options)
    assert any("another claim of this file" in r.message for r in alone.records)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, Client(cluster) as client:
        def start(engine: RuleEngine, delimiters: Delimiters, size: int | None) -> ClaimFarm:
            def submit(claims: list[Claim]) -> Remote:
                future: Any = client.submit(run_chunk, "partners-test", options, claims,
                                            subset(engine.partners, claims), pure=False)
                return future  # type: ignore[no-any-return]
            return ClaimFarm(engine, submit, 4)

        split = fix(data, options, Sinks(farm=start))
    assert split.jobs >= 2  # the workers answered chunks
    assert split.output == alone.output
    assert [r.to_json() for r in split.records] == [r.to_json() for r in alone.records]


# --- an existing cluster: `dask scheduler` and two `dask worker` processes ----------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[Any]) -> None:
    """End a process we started and everything it started (it leads its own session), politely, then for
    sure; a nanny's worker that outlived its parent is in the same group and goes too."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """tcp://127.0.0.1:PORT of a scheduler with two single-threaded workers, whose working folder is not the
    test's (a relative path given to batch must not be read relative to a worker's folder)."""
    from dask.distributed import Client

    home = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    started: list[subprocess.Popen[bytes]] = []

    def spawn(*args: str) -> None:
        log = (home / f"{len(started)}.log").open("wb")
        started.append(subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=home, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True))

    try:
        spawn("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard")
        for _ in range(2):
            spawn("worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard",
                  "--death-timeout", "60", "--local-directory", str(home))
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for process in reversed(started):
            stop(process)


def test_an_existing_cluster_gives_the_same_files_by_scheduler_or_environment(
        batch_in: Path, alone: dict[str, Alone], dask_cluster: str, tmp_path: Path) -> None:
    here = batch_in.parent
    relative_in = os.path.relpath(batch_in, tmp_path)
    done = edi_fix("batch", relative_in, "--to", "out", "--scheduler", dask_cluster, "--format", "json", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    summary = json.loads(done.stdout)
    assert summary["workers"] == 2
    top_level = [n for n in INPUTS if "/" not in n and not n.startswith(".")]  # not --recursive: no sub/
    assert_same_as_alone(tmp_path / "out", batch_in, alone, summary, top_level)
    assert not (tmp_path / "out" / "sub").exists()

    env = {**os.environ, "DASK_SCHEDULER_ADDRESS": dask_cluster}
    again = edi_fix("batch", str(batch_in), "--to", str(tmp_path / "again"), cwd=here, env=env)
    assert again.returncode == 2
    assert "on 2 workers" in again.stdout.splitlines()[0]
    for name in top_level:
        for suffix in ("", ".changes.jsonl", ".reason.txt"):
            first = [p for p in (tmp_path / "out" / f"{name}{suffix}", tmp_path / "out" / "rejected" /
                                 f"{name}{suffix}") if p.exists()]
            second = [p for p in (tmp_path / "again" / f"{name}{suffix}", tmp_path / "again" / "rejected" /
                                  f"{name}{suffix}") if p.exists()]
            assert len(first) == len(second)
            if suffix != ".reason.txt":  # a reason file carries the time it was written
                assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second], name


def test_held_claims_go_to_held_as_edi_fix_hold_puts_them_and_the_batch_exits_1(
        batch_in: Path, dask_cluster: str, tmp_path: Path) -> None:
    names = ["clean.837", "fixed.837", "review.837", "mixed.837"]  # review.837's one claim is held: no output
    alone_dir = tmp_path / "alone"
    (alone_dir / "held").mkdir(parents=True)

    def hold_alone(name: str) -> tuple[int, dict[str, Any]]:
        done = edi_fix(str(batch_in / name), str(alone_dir / name), "--hold", "review", "--held",
                       str(alone_dir / "held" / name), "--format", "json")
        return done.returncode, json.loads(done.stdout)

    with ThreadPoolExecutor(max_workers=4) as pool:
        single = dict(zip(names, pool.map(hold_alone, names), strict=True))
    in_dir = tmp_path / "in"
    write_inputs(in_dir, {name: INPUTS[name] for name in names})
    out_dir = tmp_path / "out"
    done = edi_fix("batch", str(in_dir), "--to", str(out_dir), "--scheduler", dask_cluster, "--hold", "review",
                   "--format", "json")
    assert done.returncode == 1, done.stderr  # held claims, nothing refused
    summary = json.loads(done.stdout)
    by_file = {entry["file"]: entry for entry in summary["by_file"]}
    for name in names:
        code, alone_summary = single[name]
        held_claims = alone_summary["held"]["claims"] if alone_summary.get("held") else 0
        entry = by_file[name]
        assert (entry["exit_code"], entry["held_claims"]) == (code, held_claims), name
        assert entry["outcome"] == ("held" if held_claims else "review" if code else "ok"), name
        for part in (name, f"{name}.changes.jsonl", f"held/{name}"):
            there, here = alone_dir / part, out_dir / part
            assert there.exists() == here.exists(), part
            if there.exists():  # the hold records name the held file: each run's own folder
                assert here.read_bytes() == there.read_bytes().replace(bytes(alone_dir), bytes(out_dir)), part
        worklist = out_dir / "held" / f"{name}.report.html"
        assert worklist.exists() == bool(held_claims), name  # the staff report beside the held file
    assert not (out_dir / "review.837").exists() and (out_dir / "held" / "review.837").exists()
    assert by_file["mixed.837"]["held_claims"] and (out_dir / "mixed.837").exists()  # split: both files
    assert summary["files"]["held"] == sum(1 for e in by_file.values() if e["held_claims"]) >= 2
    assert summary["held_claims"] == sum(e["held_claims"] for e in by_file.values())
    assert not temp_files(out_dir)


def test_a_scheduler_nobody_listens_on_refuses_the_batch_in_one_line(batch_in: Path, tmp_path: Path) -> None:
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"}  # Dask's own setting, honoured
    done = edi_fix("batch", str(batch_in), "--to", str(tmp_path / "out"), "--scheduler",
                   f"tcp://127.0.0.1:{free_port()}", env=env)
    assert done.returncode == 2 and done.stdout == ""
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:" in one_refusal(done.stderr)


# --- a worker killed in the middle of a file -----------------------------------------------------------------

@pytest.mark.parametrize("retries", ["default", "none"])
def test_a_worker_killed_mid_file_leaves_nothing_half_written(retries: str, tmp_path: Path) -> None:
    """Killed once: Dask's retry writes the same bytes as edi-fix IN OUT. With no retry allowed, the file is
    an internal error (exit 3), copied to rejected/ with its reason, and the others are still done. Either
    way no temporary file is left."""
    big = build_837(random_claims(6000, seed=5))  # a second or two of work: long enough to be caught at it
    in_dir = tmp_path / "in"
    write_inputs(in_dir, {"big.837": big, "clean.837": INPUTS["clean.837"], "fixed.837": INPUTS["fixed.837"]})
    single = run_alone(in_dir / "big.837", tmp_path / "alone", "--no-validate")
    out_dir = tmp_path / "out"
    # No retry: Dask gives up on a task at its worker's first death, and on every task queued on that worker
    # too, so then the batch is two files, one per worker, and only big.837 is lost.
    env = {**os.environ, **({"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"} if retries == "none" else {})}
    if retries == "none":
        (in_dir / "fixed.837").unlink()
    batch = subprocess.Popen([sys.executable, "-m", "edi837", "batch", str(in_dir), "--to", str(out_dir),
                              "--workers", "2", "--no-validate", "--format", "json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env)
    killed: int | None = None
    try:
        deadline = time.monotonic() + 120
        while killed is None and batch.poll() is None and time.monotonic() < deadline:
            for temp in out_dir.glob(".big.837.*.edi837.tmp") if out_dir.is_dir() else ():
                match = TEMP.match(temp.name)
                if match and int(match.group(1)) != batch.pid:
                    killed = int(match.group(1))  # the worker writing big.837 right now
                    os.kill(killed, signal.SIGKILL)
                    break
            time.sleep(0.01)
        out, err = batch.communicate(timeout=180)
    finally:
        stop(batch)
    assert killed is not None, "the worker was never caught writing big.837"
    summary = json.loads(out)
    by_file = {e["file"]: e for e in summary["by_file"]}
    if retries == "default":
        assert [by_file[n]["exit_code"] for n in ("clean.837", "fixed.837")] == [0, 0]  # the others are done
    else:
        # With no retry Dask also gives up on a task it had queued on the killed worker, which one depends
        # on its scheduling (a loaded machine changes it): clean.837 is then done, or refused whole, never lost.
        clean = by_file["clean.837"]
        assert clean["exit_code"] == 0 or (clean["outcome"] == "error"
                                           and (out_dir / "rejected" / "clean.837").read_bytes()
                                           == INPUTS["clean.837"]), clean
    assert not temp_files(out_dir), temp_files(out_dir)  # the killed attempt's temp files are gone
    if retries == "default":
        assert batch.returncode == single.code == 1, err
        assert (by_file["big.837"]["outcome"], by_file["big.837"]["claims"]) == ("review", 6000)
        assert (out_dir / "big.837").read_bytes() == single.output
        assert (out_dir / "big.837.changes.jsonl").read_bytes() == single.changelog
        assert not (out_dir / "rejected").exists()
    else:
        assert batch.returncode == 3, err
        assert (by_file["big.837"]["outcome"], by_file["big.837"]["exit_code"]) == ("error", 3)
        assert not (out_dir / "big.837").exists() and not (out_dir / "big.837.changes.jsonl").exists()
        assert (out_dir / "rejected" / "big.837").read_bytes() == big
        reason = (out_dir / "rejected" / "big.837.reason.txt").read_text()
        assert "big.837: internal error: the worker fixing it died each time it was tried" in reason


# --- without a cluster: refusals before anything starts, the exit code, the help --------------------------

def in_process(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_without_dask_batch_says_how_to_install_it_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    for module in ("dask", "dask.distributed", "distributed"):
        monkeypatch.setitem(sys.modules, module, None)  # importing it now fails as if it were not installed
    (tmp_path / "in").mkdir()
    code, out, err = in_process(["batch", str(tmp_path / "in"), "--to", str(tmp_path / "out")], capsys)
    assert (code, out) == (2, "")
    assert one_refusal(err) == "edi-fix batch needs Dask: pip install 'edi837[dask]'"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("in_is_a_file", "out_is_in", "extra", "words"), [
    (True, False, [], "not a folder"),
    (False, True, [], "OUT_DIR is IN_DIR"),
    (False, False, ["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "--workers sizes a local cluster"),
    (False, False, ["--hold", "invalid", "--no-validate"], "--hold invalid needs the validation gate"),
])
def test_a_batch_that_cannot_run_is_refused_in_one_line(in_is_a_file: bool, out_is_in: bool, extra: list[str],
                                                        words: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    in_dir = tmp_path / "in"
    if in_is_a_file:
        in_dir.write_bytes(b"")
    else:
        in_dir.mkdir()
    out_dir = in_dir if out_is_in else tmp_path / "out"
    code, out, err = in_process(["batch", str(in_dir), "--to", str(out_dir), *extra], capsys)
    assert (code, out) == (2, "")
    assert words in one_refusal(err)
    assert out_is_in or not out_dir.exists()


def test_a_batch_takes_regular_visible_files_and_never_its_own_outputs(tmp_path: Path) -> None:
    in_dir, out_dir = tmp_path / "in", tmp_path / "in" / "fixed"  # OUT_DIR inside IN_DIR: a second run
    write_inputs(in_dir, {"b.837": b"x", "a.837": b"x", ".a.837.123-abcdefgh.edi837.tmp": b"x",
                          "sub/c.837": b"x", ".hidden/d.837": b"x", "fixed/a.837": b"x",
                          "fixed/rejected/b.837": b"x"})
    (in_dir / "link.837").symlink_to(in_dir / "a.837")
    os.mkfifo(in_dir / "pipe.837")
    assert find_inputs(in_dir, out_dir, recursive=False) == ["a.837", "b.837"]
    assert find_inputs(in_dir, out_dir, recursive=True) == ["a.837", "b.837", "sub/c.837"]
    tasks = plan(in_dir, out_dir, FixOptions(hold=frozenset({"review"})), recursive=True, report=False)
    nested = tasks[-1]
    assert (nested.output, nested.changelog, nested.rejected, nested.held, nested.held_report) == (
        out_dir / "sub/c.837", out_dir / "sub/c.837.changes.jsonl", out_dir / "rejected/sub/c.837",
        out_dir / "held/sub/c.837", out_dir / "held/sub/c.837.report.html")


def test_the_worst_outcome_sets_the_batch_exit_code() -> None:
    def summary(*kinds: str) -> BatchSummary:
        codes = {"ok": 0, "review": 1, "held": 1, "refused": 2, "failed": 2, "error": 3}
        return BatchSummary([FileOutcome(f"f{n}", kind, codes[kind]) for n, kind in enumerate(kinds)])

    assert summary().exit_code == 0
    assert summary("ok", "ok").exit_code == 0
    assert summary("ok", "review").exit_code == 1
    assert summary("held", "ok").exit_code == 1
    assert summary("review", "refused", "ok").exit_code == 2
    assert summary("review", "failed").exit_code == 2
    assert summary("refused", "error", "review").exit_code == 3
    text = summary("ok", "review", "refused").text(Path("/x"))
    assert "\n  fixed or clean: 1 file\n  written, with items for a person: 1 file\n  refused: 1 file" in text


def test_the_batchs_own_folders_in_in_dir_are_not_taken_and_colliding_outputs_refuse_the_batch(
        tmp_path: Path) -> None:
    """A batch run over an earlier OUT_DIR (or a watcher's OUTBOUND) finds rejected/ and held/ in IN_DIR:
    taken with --recursive, IN/rejected/a.837's output would be OUT/rejected/a.837, which fixing IN/a.837
    then deletes as a stale rejection. They are skipped, as the watcher skips its own folders. Two inputs
    whose outputs share a path (x.837's change log is the output of an input named x.837.changes.jsonl)
    refuse the batch before anything runs."""
    from edi837.batch.plan import BatchRefused

    src, out = tmp_path / "in", tmp_path / "out"
    for relative in ("a.837", "rejected/a.837", "held/b.837", "practice/c.837"):
        (src / relative).parent.mkdir(parents=True, exist_ok=True)
        (src / relative).write_bytes(b"ISA")
    options = FixOptions(hold=frozenset({"review"}))
    assert [t.relative for t in plan(src, out, options, recursive=True, report=False)] == ["a.837",
                                                                                          "practice/c.837"]
    (src / "a.837.changes.jsonl").write_bytes(b"ISA")
    with pytest.raises(BatchRefused) as refused:
        plan(src, out, options, recursive=False, report=False)
    assert str(refused.value) == ("a.837 and a.837.changes.jsonl would both write a.837.changes.jsonl in OUT_DIR: "
                                  "rename one of them")
