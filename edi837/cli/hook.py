"""`edi-fix hook FILE`: fix one file in place before upload, for clearinghouse clients' pre-submit commands.

The in-place rewrite itself is delivery/hook.py (atomic; FILE untouched when refused); this is its command
line. A change log beside FILE is written by default and never replaces an earlier run's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edi837.cli.common import FormatOption, SummaryFormat, VersionOption, make_app
from edi837.cli.flags import RunFlags, run_flags
from edi837.delivery import terminal
from edi837.errors import InputRefused, outcome_of

app = make_app("Fix one 837 file in place before upload (for clearinghouse clients).")
USAGE = "edi-fix hook FILE [OPTIONS]"
ABOUT = "Fix FILE in place before upload; for clearinghouse clients that run a pre-submit command."


@app.command()
@run_flags()
def hook_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The 837P file to fix in place.")],
    *,
    changelog: Annotated[
        Path | None, typer.Option("--changelog", metavar="PATH", help="Change log path (default FILE.changes.jsonl; "
                                  "an earlier run's is never replaced: the next free numbered name).")
    ] = None,
    no_changelog: Annotated[bool, typer.Option("--no-changelog", help="Write no change log.")] = False,
    summary_format: FormatOption = SummaryFormat.text,
    held: Annotated[
        Path | None, typer.Option("--held", metavar="PATH", help="Where held claims go (default FILE.held.837; "
                                  "never replaced: taken, the next free PATH-2, PATH-3 ...).")
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", metavar="PATH", help="Write an HTML report.")] = None,
    flags: RunFlags,
    version: VersionOption = False,
) -> None:
    """Fix FILE in place, atomically; exit 0 upload, 1 needs a person, 2 refused (FILE untouched), 3 error."""
    from edi837.delivery.hook import fix_in_place

    if changelog is None and not no_changelog:
        changelog = Path(f"{file}.changes.jsonl")
    try:
        flags, _ = flags.configured(file)
        options = flags.to_options()
    except InputRefused as refused:
        code, message = outcome_of(refused)
        terminal.say(f"edi-fix hook: {message}")
        raise typer.Exit(code) from None
    raise typer.Exit(fix_in_place(file, changelog=None if no_changelog else changelog,
                                  as_json=summary_format is SummaryFormat.json, options=options, held=held,
                                  report=report, group_readable=flags.group_readable, ledger=flags.ledger_choice()))
