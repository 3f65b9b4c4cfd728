"""`edi-fix remit FILE... [--ledger PATH]`: record 835 remittances and 277CA acknowledgements in the ledger.

The work is edi837/remit/commands.py; this is its command line. The ledger is found as every entry point
finds it (edi837/cli/ledger_args.py): `--ledger PATH`, else $EDI837_LEDGER, else the configuration file's
`ledger`, else the per-user one; it must be there already (a run made it), or nothing is recorded (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from edi837.cli.common import VersionOption, guarded, make_app
from edi837.cli.ledger_args import ConfigOption, IsolatedOption, LedgerArgs, LedgerOption

app = make_app("Record 835 remittances and 277CA acknowledgements in the claims ledger.")
USAGE = "edi-fix remit FILE... [--ledger PATH]"
ABOUT = "Record 835 remittances and 277CA acknowledgements in the claims ledger, matched to the claims sent."


@app.command()
def remit_command(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="835 or 277CA files.")],
    ledger: LedgerOption = None,
    config: ConfigOption = None,
    isolated: IsolatedOption = False,
    version: VersionOption = False,
) -> None:
    """Read, validate, match and record each file; a file that is not a readable 835 or 277CA refuses them all
    (exit 2, nothing recorded). The same file read twice changes nothing."""

    def action() -> int:
        from edi837.errors import InputRefused
        from edi837.remit.commands import remit

        if any(str(f) == "-" for f in files):
            raise InputRefused("remit reads files, not stdin: give the 835 or 277CA file's path")
        return remit(files, LedgerArgs(ledger, config, isolated).existing(), sys.stdout, sys.stderr)

    raise typer.Exit(guarded(action))
