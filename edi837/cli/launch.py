"""The `edi-fix` console script: answers `--version` at once, hands everything else to the CLI.

Why a separate module: importing the CLI imports typer, structlog, lxml and the whole pipeline, about
0.2 s before any work; a script or a health check asking for the version should not wait for that.
Only the exact argument list `--version` takes the short path, and only when stdout can be written;
anything else (including a closed stdout, which the CLI reports with its own exit code) goes to the CLI.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        from edi837 import __version__
        from edi837.delivery import terminal
        from edi837.errors import OutputFailed
        from edi837.exits import ExitCode

        terminal.reopen_closed_std_fds()
        try:
            terminal.emit(f"edi-fix {__version__}", sys.stdout, "stdout")
        except OutputFailed:
            pass  # the CLI says why, with its exit code
        else:
            return ExitCode.OK
    from edi837.cli.app import main as cli_main

    return cli_main(args)
