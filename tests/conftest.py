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
def quiet_logs() -> None:
    """Tests that look at logs configure their own; the rest keep pytest's output readable."""
    structlog.configure(processors=[structlog.processors.JSONRenderer()],
                        logger_factory=structlog.ReturnLoggerFactory())
