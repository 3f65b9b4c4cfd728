"""`edi-fix --version` answers without importing the pipeline, typer, structlog or lxml.

Speed is never asserted in a test (bench/ measures start-up); what is asserted is the cause of a slow
start: which modules the version path imports. And that the short path changes nothing the CLI
contract says about --version.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("typer", "structlog", "lxml", "rich", "pyx12", "edi837.pipeline", "edi837.cli.app")


def test_version_imports_none_of_the_heavy_modules() -> None:
    code = ("import sys; from edi837.cli.launch import main; code = main(['--version']); "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules)); sys.exit(code)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    version, loaded = proc.stdout.decode().splitlines()
    assert version.startswith("edi-fix ")
    assert loaded == "[]"


def test_the_api_names_still_import_from_the_package() -> None:
    import edi837

    assert edi837.fix.__module__ == "edi837.pipeline.run"
    assert edi837.InputRefused.__module__ == "edi837.errors"
    assert {"fix", "run", "FixOptions"} <= set(edi837.__all__)


def test_the_short_path_prints_what_the_cli_prints(capsys: pytest.CaptureFixture[str]) -> None:
    from edi837.cli import app as cli
    from edi837.cli import launch

    assert launch.main(["--version"]) == 0
    short = capsys.readouterr().out
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == short != ""
