"""Test helpers: where the public samples are, pyx12's own verdict, segment splitting."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = Path(os.environ.get("EDI837_SAMPLES", REPO.parent / "shared" / "samples"))


def sample_files() -> list[Path]:
    """The real public 837P files (read by path, never copied into the project)."""
    if not SAMPLES.is_dir():
        return []
    return sorted(p for p in SAMPLES.iterdir() if p.is_file() and p.suffix != ".md")


def pyx12_errors(data: bytes) -> list[str]:
    """pyx12's own verdict on some bytes, independent of edi837's gate: a list of error texts."""
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL + 1)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    fd = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(data.decode("latin-1"), newline=""), None, None, None, fd
    )
    report = json.loads(fd.getvalue())
    errors: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for err in node.get("errors", []):
                errors.append(f"{node.get('seg_id', '')}{node.get('ele_pos', '')}: {err.get('err_str')}")
            for value in node.values():
                if isinstance(value, list):
                    for child in value:
                        walk(child)

    walk(report)
    if not ok and not errors:
        errors.append("pyx12 returned failure without listing an error")
    return errors


def segments_of(data: bytes, term: bytes = b"~") -> list[bytes]:
    """Segment texts without line breaks, for assertions written independently of edi837's tokenizer."""
    return [s.strip(b"\r\n ") for s in data.split(term) if s.strip(b"\r\n ")]
