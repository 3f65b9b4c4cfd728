"""Test helpers: where the public samples are, pyx12's own verdict (edi837.testing), segment splitting."""

from __future__ import annotations

import os
from pathlib import Path

from edi837.testing.cases import pyx12_errors as pyx12_errors  # one independent pyx12 check for all tests

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = Path(os.environ.get("EDI837_SAMPLES", REPO.parent / "shared" / "samples"))


def sample_files() -> list[Path]:
    """The real public 837P files (read by path, never copied into the project)."""
    if not SAMPLES.is_dir():
        return []
    return sorted(p for p in SAMPLES.iterdir() if p.is_file() and p.suffix != ".md")


def segments_of(data: bytes, term: bytes = b"~") -> list[bytes]:
    """Segment texts without line breaks, for assertions written independently of edi837's tokenizer."""
    return [s.strip(b"\r\n ") for s in data.split(term) if s.strip(b"\r\n ")]
