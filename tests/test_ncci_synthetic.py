"""The CMS-layout file generator (`python -m edi837.testing.ncci_files`) and the mark it writes: every version it
writes is one the importer completes, and what `ncci status`, `ncci lookup` and the change log print about its
files says they are synthetic, while a file in the real layout without the mark is never called synthetic.

Real processes: the generator and `edi-fix` run as the commands a person types; the expected row counts are the
ones asked of the generator, the expected wording is the contract in docs/ncci.md.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from edi837.testing.ncci_files import PtpEdit, write_ptp
from tests.cli_helpers import FIXABLE, edi_fix

SAID = "(SYNTHETIC: an edi837 test file, not from CMS)"
AMA = "CPT only copyright 2025 American Medical Association. All rights reserved."


def generate(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edi837.testing.ncci_files", "--out", str(out), *args],
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("rows", [4, 5, 7, 20_000])
def test_every_version_the_generator_writes_is_one_the_importer_completes(tmp_path: Path, rows: int) -> None:
    """The rows asked for, dealt over four files none of which is empty; the importer loads all four."""
    made = generate(tmp_path / "files", "--ptp-rows", str(rows))
    assert made.returncode == 0, made.stderr
    files = sorted((tmp_path / "files").glob("*.zip"))
    assert len(files) == 5
    done = edi_fix("ncci", "import", "--db", str(tmp_path / "db"), *map(str, files))
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    for part in range(1, 5):
        assert f"ccipra-v321r0-f{part}.txt: PTP practitioner v321r0 part {part} {SAID}, " in out
    status = edi_fix("ncci", "status", "--db", str(tmp_path / "db")).stdout.decode()
    assert f"  v321r0  in use, files f1, f2, f3, f4, {rows:,} rows, imported " in status


def test_fewer_rows_than_files_is_a_usage_error(tmp_path: Path) -> None:
    made = generate(tmp_path / "files", "--ptp-rows", "3")
    assert made.returncode == 2
    assert made.stderr.splitlines()[-1] == ("ncci_files.py: error: --ptp-rows 3: a PTP version is 4 files and each "
                                            "needs a row; give at least 4")
    assert not (tmp_path / "files").exists()


def _nc001_sources(log: Path) -> list[str]:
    return [record["source"] for record in map(json.loads, log.read_text().splitlines()) if record["rule"] == "NC001"]


def test_generated_files_are_said_synthetic_and_cms_layout_files_are_not(tmp_path: Path) -> None:
    assert generate(tmp_path / "files", "--ptp-rows", "8").returncode == 0
    synthetic_db = tmp_path / "synthetic.sqlite3"
    generated = sorted((tmp_path / "files").glob("*.zip"))
    assert edi_fix("ncci", "import", "--db", str(synthetic_db), *map(str, generated)).returncode == 0
    # A table in the CMS layout with the AMA's notice where the mark would be; the mark's words further down (in a
    # rationale) do not make it synthetic.
    cms_like = tmp_path / "cms"
    cms_like.mkdir()
    edits = [PtpEdit("98940", "97140", "20020401", rationale="EDI837-SYNTHETIC-NCCI-TEST-FILE in a rationale"),
             PtpEdit("97140", "97530", "20000101")]
    for part in range(1, 5):
        path = write_ptp(cms_like / f"ccipra-v322r0-f{part}.txt", edits if part == 1 else [
            PtpEdit("99990", f"9999{part}", "19960101", "19960101", 9)])
        path.write_bytes(path.read_bytes().replace(path.read_bytes().split(b"\r\n")[0], AMA.encode(), 1))
        assert path.read_bytes().startswith(AMA.encode())
    cms_db = tmp_path / "cms.sqlite3"
    done = edi_fix("ncci", "import", "--db", str(cms_db), *map(str, sorted(cms_like.iterdir())))
    assert done.returncode == 0 and "SYNTHETIC" not in done.stdout.decode(), done.stderr
    src = tmp_path / "in.837"
    src.write_bytes(FIXABLE)  # 98940 and 97140 on one date: NC001 cites the PTP row
    for db, version, synthetic in ((synthetic_db, "v321r0", True), (cms_db, "v322r0", False)):
        status = edi_fix("ncci", "status", "--db", str(db)).stdout.decode()
        version_line = next(line for line in status.splitlines() if line.startswith(f"  {version}  "))
        assert version_line.endswith(SAID) is synthetic
        lookup = edi_fix("ncci", "lookup", "98940", "97140", "--date", "2026-03-02", "--db", str(db)).stdout.decode()
        row = "98940/97140 indicator 1, effective 2002-04-01"
        cited = re.compile(rf"SYNTHETIC NCCI PTP practitioner {version} \(ccipra-{version}-f[1-4]\.txt, an edi837 test "
                           rf"file, not from CMS\): {row}" if synthetic else
                           rf"CMS NCCI PTP practitioner {version} \(ccipra-{version}-f1\.txt\): {row}")
        (in_force,) = [line for line in lookup.splitlines() if line.startswith("  in force: ")]
        assert cited.fullmatch(in_force.split("; ", 1)[1]) and ("SYNTHETIC" in lookup) is synthetic
        out = tmp_path / f"{version}.837"
        assert edi_fix(str(src), str(out), "--no-validate", "--ncci-db", str(db)).returncode in (0, 1)
        (source,) = _nc001_sources(out.with_name(out.name + ".changes.jsonl"))
        assert cited.fullmatch(source)
