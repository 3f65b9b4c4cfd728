"""`edi-fix watch OUTBOUND --to READY`: fix every 837 a practice system drops into a folder, exactly once.

The watcher itself is delivery/watch.py; this is its command line. It holds claims a person must see by
default (review and invalid), into OUTBOUND/held/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edi837 import log as logconfig
from edi837.cli.common import VersionOption, guarded, make_app
from edi837.cli.flags import RunFlags, run_flags
from edi837.pipeline import hold as holding

app = make_app("Watch an outbound folder and move fixed 837 files to a ready folder.")
USAGE = "edi-fix watch OUTBOUND --to READY [OPTIONS]"
ABOUT = "Watch OUTBOUND and move each 837 there, fixed, to READY (originals to OUTBOUND/archive)."

HoldOption = Annotated[
    list[str] | None,
    typer.Option("--hold", metavar="review|invalid|none",
                 help="Which claims go to OUTBOUND/held/ instead of READY (default: review and invalid; "
                      "'none' delivers everything)."),
]


@app.command()
@run_flags(without=("minutes", "jobs"), overrides={"hold": HoldOption})
def watch_command(
    outbound: Annotated[Path, typer.Argument(metavar="OUTBOUND", help="The folder the practice system writes to.")],
    *,
    to: Annotated[Path, typer.Option("--to", metavar="READY", help="Where fixed files go for the uploader.")],
    once: Annotated[bool, typer.Option("--once", help="Process what is there, then exit (for cron).")] = False,
    settle: Annotated[
        float, typer.Option("--settle", metavar="SECONDS", help="A file is whole once unchanged this long (default 2).")
    ] = 2.0,
    flags: RunFlags,
    version: VersionOption = False,
) -> None:
    """Move 837 files from OUTBOUND to READY, fixed; originals to OUTBOUND/archive, refusals to rejected/."""
    from edi837.delivery.watch import watch

    def action() -> int:
        run, _ = flags.configured(outbound)
        options = run.to_options(default_hold=holding.WATCH_DEFAULT)
        logconfig.configure()
        return watch(outbound, to, options, once=once, settle=settle, group_readable=run.group_readable,
                     ledger=run.ledger_choice())

    raise typer.Exit(guarded(action))
