"""Fixtures shared by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import structlog

from tests.helpers import SAMPLES, sample_files


@pytest.fixture
def samples() -> list[Path]:
    files = sample_files()
    if not files:
        pytest.skip(f"public samples folder {SAMPLES} is absent (set EDI837_SAMPLES)")
    return files


@pytest.fixture(autouse=True)
def no_ncci_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the NCCI database of the machine it runs on (the per-user one): a test that wants one
    makes it and names it. An empty EDI837_NCCI_DB means "no database"; subprocesses inherit it."""
    monkeypatch.setenv("EDI837_NCCI_DB", "")


@pytest.fixture(autouse=True)
def quiet_logs() -> None:
    """Tests that look at logs configure their own; the rest keep pytest's output readable."""
    structlog.configure(processors=[structlog.processors.JSONRenderer()],
                        logger_factory=structlog.ReturnLoggerFactory())
