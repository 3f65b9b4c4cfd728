"""`edi-fix outcomes`: what the payers did with the lines edi837 delivered, and payer-profile proposals.

The work is edi837/remit/commands.py; this is its command line. The proposal thresholds are settings with
the defaults of edi837.remit.propose.Thresholds (10 lines, 5 claims, 90% agreeing on each side).
"""

from __future__ import annotations

import sys
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from edi837.cli.common import VersionOption, guarded, make_app
from edi837.cli.ledger_args import ConfigOption, IsolatedOption, LedgerArgs, LedgerOption

app = make_app("Paid and denied lines by rule action, payer, code and CARC; proposals for the payer packs.")
USAGE = "edi-fix outcomes [--format text|json|csv|html] [--propose DIR] [--since DATE] [--payer ID]"
ABOUT = "What the payers paid and denied, by rule action, payer, code and CARC; --propose writes pack proposals."


class OutcomesFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"
    html = "html"


@app.command()
def outcomes_command(
    ledger: LedgerOption = None,
    config: ConfigOption = None,
    isolated: IsolatedOption = False,
    output_format: Annotated[OutcomesFormat, typer.Option(
        "--format", metavar="text|json|csv|html", help="Output format (default text; html: a page to open).")
    ] = OutcomesFormat.text,
    propose: Annotated[Path | None, typer.Option(
        "--propose", metavar="DIR", help="Write a payer-profile TOML per payer with strong evidence into DIR "
                                         "(never applied by edi837 itself).")] = None,
    since: Annotated[datetime | None, typer.Option(
        "--since", metavar="YYYY-MM-DD", formats=["%Y-%m-%d"], help="Only payments dated this day or later.")
    ] = None,
    payer: Annotated[str | None, typer.Option(
        "--payer", metavar="ID", help="Only claims sent to this payer id (2010BB, any case).")] = None,
    min_lines: Annotated[int, typer.Option(
        "--min-lines", metavar="N", min=1, help="Proposals: lines needed on each side (default 10).")] = 10,
    min_claims: Annotated[int, typer.Option(
        "--min-claims", metavar="N", min=1, help="Proposals: claims needed on each side (default 5).")] = 5,
    min_share: Annotated[float, typer.Option(
        "--min-share", metavar="SHARE", min=0.5, max=1.0,
        help="Proposals: share of the lines that must agree (default 0.9).")] = 0.9,
    version: VersionOption = False,
) -> None:
    """Print the outcomes recorded by `edi-fix remit`; exit 2 when there is no ledger to read."""

    def action() -> int:
        from edi837.remit.commands import outcomes_command as run
        from edi837.remit.propose import Thresholds

        thresholds = Thresholds(min_lines, min_claims, Decimal(str(min_share)))
        where = LedgerArgs(ledger, config, isolated).existing()
        return run(where, output_format.value, sys.stdout, propose, thresholds,
                   since=since.date() if since else None, payer=payer)

    raise typer.Exit(guarded(action))
