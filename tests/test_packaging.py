"""The wheel ships the data folders inside the package, and an installed edi837 finds them there."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
                          capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        pytest.fail(f"building the wheel failed: {proc.stderr[-2000:]}")
    (built,) = out.glob("edi837-*.whl")
    return built


@pytest.mark.slow
def test_wheel_contains_the_data_folders(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in sorted((REPO / "segments").glob("*.xml")) + sorted((REPO / "packs").rglob("*.toml")):
        assert f"edi837/_data/{shipped.relative_to(REPO).as_posix()}" in names
    # nothing importable beside edi837, and no test-only module inside it
    assert not any(n.startswith(("packs/", "rules/", "segments/", "tests/")) for n in names)
    assert "edi837/testing/browser.py" not in names and "edi837/testing/cases.py" in names


@pytest.mark.slow
def test_installed_package_finds_its_data_away_from_the_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("from edi837.resources import data_dir; import edi837.x12.segment_defs as s; "
            "print(data_dir('segments')); print(len(s.load_definitions()))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    folder, count = proc.stdout.split()
    assert Path(folder) == site / "edi837" / "_data" / "segments"
    assert int(count) >= 8
