"""The ledger commands (`claims`, `ack`, `remit`, `outcomes`) find the ledger as a run does and refuse, one line
naming it, when it is not there: real `edi-fix` processes, a real configuration file, a real ledger."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from edi837.exits import ExitCode
from edi837.testing.remits import StatusAnswer, build_277ca
from tests.cli_helpers import edi_fix, one_refusal
from tests.ledger_helpers import CLAIMS, small_file


def _env(**extra: str) -> dict[str, str]:
    """The environment without the suite's EDI837_LEDGER: the configuration file must speak."""
    env = {k: v for k, v in os.environ.items() if k != "EDI837_LEDGER"}
    return {**env, **extra}


def _in(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    return edi_fix(*args, cwd=folder, env=_env(**env))


@pytest.fixture
def practice(tmp_path: Path) -> Path:
    """A practice folder whose edi837.toml names the ledger, and a run there that recorded into it."""
    (tmp_path / "edi837.toml").write_text('ledger = "books/claims.sqlite3"\nhold = ["review"]\n')
    (tmp_path / "in.837").write_bytes(small_file())
    proc = _in(tmp_path, "in.837", "out.837")
    assert proc.returncode == ExitCode.NEEDS_PERSON, proc.stderr
    assert (tmp_path / "books" / "claims.sqlite3").is_file()
    return tmp_path


def test_every_ledger_command_reads_the_configured_ledger(practice: Path) -> None:
    listing = _in(practice, "claims", "--claim", "SAME1")
    assert listing.returncode == ExitCode.OK and b"SAME1" in listing.stdout and b"held" in listing.stdout
    acked = _in(practice, "ack", "SAME1", "--rule", "NC001", "--note", "separate region documented")
    assert acked.returncode == ExitCode.OK, acked.stderr
    assert b"SAME1" in _in(practice, "ack", "--list").stdout
    (practice / "day.277").write_bytes(build_277ca([StatusAnswer(CLAIMS[1])]))
    remit = _in(practice, "remit", "day.277")
    assert remit.returncode == ExitCode.OK, remit.stderr
    assert b": 1 claim status recorded, 0 rejected, 0 validation findings kept" in remit.stdout  # "1", singular
    assert _in(practice, "outcomes").returncode == ExitCode.OK
    assert not (practice / "ledger.sqlite3").exists()


def test_isolated_reads_no_configuration_and_the_refusal_names_the_ledger(practice: Path) -> None:
    user = practice / "user-data"
    proc = _in(practice, "claims", "--isolated", XDG_DATA_HOME=str(user))
    assert proc.returncode == ExitCode.REFUSED
    assert f"no claims ledger there yet: {user / 'edi837' / 'ledger.sqlite3'}" in one_refusal(proc.stderr.decode())


def test_an_unknown_claim_names_the_ledger_it_looked_in(practice: Path) -> None:
    proc = _in(practice, "ack", "NOPE1", "--rule", "NC001", "--note", "x")
    assert proc.returncode == ExitCode.REFUSED
    line = one_refusal(proc.stderr.decode())
    assert "claim NOPE1 is in no committed run" in line and str(practice / "books" / "claims.sqlite3") in line


def test_the_environment_outranks_the_configuration_file(practice: Path, tmp_path_factory: pytest.TempPathFactory
                                                         ) -> None:
    other = tmp_path_factory.mktemp("other") / "ledger.sqlite3"
    proc = _in(practice, "claims", EDI837_LEDGER=str(other))
    assert proc.returncode == ExitCode.REFUSED and str(other) in one_refusal(proc.stderr.decode())


@pytest.mark.parametrize("ledger", ["off", "typo/ledger.sqlite3"])
def test_remit_and_outcomes_refuse_a_ledger_that_is_not_there(practice: Path, ledger: str) -> None:
    (practice / "day.277").write_bytes(build_277ca([StatusAnswer(CLAIMS[1])]))
    for args in (("remit", "day.277"), ("outcomes",)):
        proc = _in(practice, *args, "--ledger", ledger)
        assert proc.returncode == ExitCode.REFUSED and proc.stdout == b""
        line = one_refusal(proc.stderr.decode())
        assert ("give --ledger PATH" in line if ledger == "off" else f"no claims ledger there yet: {ledger}" in line)
    assert not (practice / "typo").exists()


@pytest.mark.parametrize("where", ["/dev/null", "a-file", "missing/proposals"])
def test_outcomes_propose_into_what_cannot_be_a_folder_refuses_before_printing(practice: Path, where: str) -> None:
    (practice / "a-file").write_text("not a folder\n")
    proc = _in(practice, "outcomes", "--propose", where)
    assert proc.returncode == ExitCode.REFUSED and proc.stdout == b""
    assert where in one_refusal(proc.stderr.decode())
    assert not (practice / "missing").exists() and (practice / "a-file").read_text() == "not a folder\n"


def test_outcomes_propose_with_nothing_to_propose_says_so(practice: Path) -> None:
    proc = _in(practice, "outcomes", "--propose", "proposals")
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert one_refusal(proc.stderr.decode()) == "edi-fix: nothing proposed: no evidence"
    made = practice / "proposals"
    assert made.is_dir() and not list(made.iterdir()) and made.stat().st_mode & 0o077 == 0


def test_remit_says_it_does_not_read_stdin(practice: Path) -> None:
    proc = edi_fix("remit", "-", cwd=practice, env=_env(), stdin=b"")
    assert proc.returncode == ExitCode.REFUSED and proc.stdout == b""
    assert "remit reads files, not stdin" in one_refusal(proc.stderr.decode())
