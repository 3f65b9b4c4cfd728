"""`edi-fix batch IN_DIR --to OUT_DIR`: fix every 837 of a folder on Dask, each as `edi-fix IN OUT` would.

The batch itself is edi837/batch/ (local cores or a cluster; extra `edi837[dask]`); this is its command line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from edi837.cli.common import FormatOption, SummaryFormat, VersionOption, guarded, make_app, print_text
from edi837.cli.flags import RunFlags, run_flags
from edi837.delivery import terminal
from edi837.exits import ExitCode

app = make_app("Fix every 837 file of a folder on Dask, each as `edi-fix IN OUT` would.")
USAGE = "edi-fix batch IN_DIR --to OUT_DIR [OPTIONS]"
ABOUT = "Fix every 837 file of IN_DIR into OUT_DIR on Dask (local cores, or a cluster)."

HoldOption = Annotated[
    list[str] | None,
    typer.Option("--hold", metavar="review|invalid",
                 help="Hold claims a person must see in OUT_DIR/held/NAME, as the watcher does."),
]


@app.command()
@run_flags(without=("minutes", "jobs"), overrides={"hold": HoldOption})
def batch_command(
    in_dir: Annotated[Path, typer.Argument(metavar="IN_DIR", help="The folder of 837P files to fix.")],
    *,
    to: Annotated[Path, typer.Option("--to", metavar="OUT_DIR",
                                     help="Where outputs, change logs, held/ and rejected/ go.")],
    recursive: Annotated[bool, typer.Option("--recursive", help="Also the files of IN_DIR's sub-folders.")] = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", metavar="N", min=1,
        help="Worker processes of the local Dask cluster (default: the cores).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="ADDRESS", help="An existing Dask scheduler (tcp://HOST:PORT; default: "
                                               "$DASK_SCHEDULER_ADDRESS, else a local cluster).")] = None,
    report: Annotated[bool, typer.Option("--report", help="Also write NAME.report.html for each file.")] = False,
    summary_format: FormatOption = SummaryFormat.text,
    split_above: Annotated[float, typer.Option(
        "--split-above", metavar="MB", min=0,
        help="Fix a file at least this large in claim chunks across the workers (default 8; 0: never).")] = 8.0,
    force: Annotated[bool, typer.Option(
        "--force", help="Fix every file again, even one whose outputs an earlier batch wrote from the same bytes "
                        "with the same edi837, rule packs and options.")] = False,
    flags: RunFlags,
    version: VersionOption = False,
) -> None:
    """Fix each file of IN_DIR into OUT_DIR; exit 0 all clean, 1 review or held, 2 a file refused, 3 error."""

    def action() -> int:
        run, _ = flags.configured(in_dir)
        options = run.to_options()
        from edi837.batch.cluster import DaskMissing
        from edi837.batch.run import batch, progress_bar

        try:
            summary = batch(in_dir, to, options, recursive=recursive, report=report, workers=workers,
                            scheduler=scheduler, follow=progress_bar, split_bytes=round(split_above * 1_000_000),
                            force=force, group_readable=run.group_readable,
                            ledger=run.ledger_choice())
        except DaskMissing as missing:  # how to install it is the whole message
            terminal.say(str(missing))
            return ExitCode.REFUSED
        if summary.ledger_problem:
            terminal.say(f"edi-fix batch: warning: the claims ledger was not kept ({summary.ledger_problem})")
        print_text(json.dumps(summary.as_dict(), indent=2) if summary_format is SummaryFormat.json
                   else summary.text(to))
        return summary.exit_code

    raise typer.Exit(guarded(action))
