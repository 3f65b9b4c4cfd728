"""`edi-fix remit FILE... [--ledger PATH]`: record 835 remittances and 277CA acknowledgements in the ledger.

The work is edi837/remit/commands.py; this is its command line. The ledger is found as every entry point
finds it (`ledger.store.ledger_path`): `--ledger PATH`, else $EDI837_LEDGER, else the per-user one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from edi837.cli.common import VersionOption, guarded, make_app

app = make_app("Record 835 remittances and 277CA acknowledgements in the claims ledger.")
USAGE = "edi-fix remit FILE... [--ledger PATH]"
ABOUT = "Record 835 remittances and 277CA acknowledgements in the claims ledger, matched to the claims sent."

LedgerOption = Annotated[Path | None, typer.Option(
    "--ledger", metavar="PATH", help="The claims ledger (default: $EDI837_LEDGER, then the per-user one).")]


def chosen_ledger(option: Path | None) -> Path:
    """The ledger these commands work on; a refusal when $EDI837_LEDGER is set empty (no ledger) and no
    --ledger is given: remittances are matched to what the ledger recorded, without one there is nothing."""
    from edi837.errors import InputRefused
    from edi837.ledger.store import ledger_path

    path = ledger_path(option)
    if path is None:
        raise InputRefused("no claims ledger ($EDI837_LEDGER is set empty): give --ledger PATH")
    return path


@app.command()
def remit_command(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="835 or 277CA files.")],
    ledger: LedgerOption = None,
    version: VersionOption = False,
) -> None:
    """Read, validate, match and record each file; a file that is not a readable 835 or 277CA refuses them all
    (exit 2, nothing recorded). The same file read twice changes nothing."""

    def action() -> int:
        from edi837.remit.commands import remit

        return remit(files, chosen_ledger(ledger), sys.stdout, sys.stderr)

    raise typer.Exit(guarded(action))
