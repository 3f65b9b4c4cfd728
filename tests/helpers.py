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


def split_visits_far_apart(count: int, seed: int, gap: int) -> bytes:
    """Generated claims (with claim shapes, minutes, several transactions) and, among them, visits of one
    patient billed as two claims `gap` claims apart (CMT and 97140, 97140 and 97530, CMT and a visit): the
    partners of a claim fall in other chunks of any --jobs or Dask split (engine/farm.py's CHUNK is 200)."""
    from datetime import date

    from edi837.testing.generator import ClaimSpec, LineSpec, build_837, random_claims

    acme = {"payer_id": "ACME1", "payer_name": "ACME COMMERCIAL HEALTH", "claim_filing": "CI"}
    visits = [(("98940", "M9903"), ("97140", "M25511")), (("97140", "M25561"), ("97530", "M6281")),
              (("98940", "M9903"), ("99213", "M9903"))]
    claims = list(random_claims(count, seed=seed, minutes_share=0.3, shapes=True))
    for n in range(6):
        (code_a, dx_a), (code_b, dx_b) = visits[n % len(visits)]
        day = date(2026, 3, 2 + n)
        first = ClaimSpec(f"FAR{n}-A", (dx_a,), (LineSpec(code_a, "45", service_date=day),), person=f"FAR{n}", **acme)
        second = ClaimSpec(f"FAR{n}-B", (dx_b,), (LineSpec(code_b, "40", service_date=day),), person=f"FAR{n}",
                           **acme)
        at = 5 + n * 31
        claims[at:at] = [first]
        claims[at + gap:at + gap] = [second]
    return build_837(claims, claims_per_transaction=90, seed=seed)
