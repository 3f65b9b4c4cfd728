"""Fixtures shared by the tests, and the line that says whether the public samples were there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from edi837 import log as logconfig
from tests.helpers import SAMPLES, sample_files
from tests.osfixtures import Mounts

_samples_skipped: list[str] = []


@pytest.fixture
def samples(request: pytest.FixtureRequest) -> list[Path]:
    files = sample_files()
    if not files:
        _samples_skipped.append(request.node.nodeid)
        pytest.skip(f"public samples folder {SAMPLES} is absent (set EDI837_SAMPLES)")
    return files


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say in the summary, in one line, whether the real public samples were tested: a skip alone is easy
    to miss, and a clean clone elsewhere than beside ../shared has none."""
    if _samples_skipped:
        terminalreporter.write_line(f"public samples: {SAMPLES} is absent, {len(_samples_skipped)} sample tests "
                                    "skipped (set EDI837_SAMPLES to the folder to run them)")


@pytest.fixture(autouse=True)
def no_ncci_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the NCCI database of the machine it runs on (the per-user one): a test that wants one
    makes it and names it. An empty EDI837_NCCI_DB means "no database"; subprocesses inherit it."""
    monkeypatch.setenv("EDI837_NCCI_DB", "")


@pytest.fixture(autouse=True)
def no_user_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the configuration file of the user it runs as (~/.config/edi837/edi837.toml): the
    per-user config folder is an empty one of the test run's own; subprocesses inherit it."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-user-config"))


@pytest.fixture(autouse=True)
def own_ledger(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test writes the claims ledger of the machine it runs on (the per-user one): each has its own, in a
    folder of its own (so a test listing its tmp_path sees only its files); subprocesses inherit it."""
    monkeypatch.setenv("EDI837_LEDGER", str(tmp_path_factory.mktemp("ledger") / "ledger.sqlite3"))


@pytest.fixture(autouse=True)
def quiet_logs() -> Iterator[None]:
    """Tests that look at logs configure their own; the rest keep pytest's output readable. A test that ran
    the CLI in-process leaves no handler behind for the next one."""
    structlog.configure(processors=[structlog.processors.JSONRenderer()],
                        logger_factory=structlog.ReturnLoggerFactory())
    yield
    logconfig.reset()


@pytest.fixture
def mounts() -> Iterator[Mounts]:
    """Small tmpfs mounts for disk-full scenarios (skips where mounting is not allowed); unmounted after."""
    m = Mounts()
    try:
        yield m
    finally:
        m.close()


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """An OUTBOUND and a READY folder for watcher tests."""
    outbound, ready = tmp_path / "outbound", tmp_path / "ready"
    outbound.mkdir()
    ready.mkdir()
    return outbound, ready
