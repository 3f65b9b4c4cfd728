"""`edi-fix release HELD --claim ID... --to OUT`: send named held claims once a person has seen them.

The work is edi837/delivery/release.py (the order of the writes, and why no claim is ever sent twice or
lost); this is the command line: its flags are the run flags (the claims go through the rules again, so the
same packs and databases apply) and its summary one line per outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edi837 import log as logconfig
from edi837.cli.common import VersionOption, guarded, make_app, print_text
from edi837.cli.flags import RunFlags, run_flags

USAGE = "edi-fix release HELD_FILE --claim ID... --to OUT [OPTIONS]"
ABOUT = "Send held claims, their review items acknowledged, to OUT; the held file keeps the rest."

app = make_app(ABOUT)


@app.command()
@run_flags(without=("hold",))
def release_command(
    held: Annotated[Path, typer.Argument(metavar="HELD_FILE", help="A held file (OUT.held.837, OUTBOUND/held/NAME).")],
    *,
    claim: Annotated[list[str], typer.Option("--claim", metavar="ID", help="A claim to release; repeatable.")],
    to: Annotated[Path, typer.Option("--to", metavar="OUT", help="The 837P the released claims go to: a new file "
                                                               "(an existing one, or its change log, is refused).")],
    interchange: Annotated[int | None, typer.Option(
        "--interchange", metavar="N", min=1, max=999_999_999,
        help="A fresh interchange control number for OUT (ISA13/IEA02; each further interchange of the file the "
             "next), from your practice system's counter: the held file carries the number of the file already "
             "delivered, which a clearinghouse rejects when it comes again.")] = None,
    flags: RunFlags,
    version: VersionOption = False,
) -> None:
    """Release the named claims of HELD_FILE into OUT; exit 2 (nothing written) if one is not releasable."""

    def action() -> int:
        from edi837.delivery.release import release

        logconfig.configure(quiet_on_terminal=True)
        run, _ = flags.configured(held)  # the held file's folder, like every command's input
        done = release(held, claim, to, run.to_options(), ledger=run.ledger_choice(),
                       group_readable=run.group_readable, interchange=interchange)
        rest = (f"{held} removed (no claim left)" if done.held_removed else
                f"{held} keeps {done.left} claim{'s' if done.left != 1 else ''}")
        print_text(f"released {len(done.claims)} claim{'s' if len(done.claims) != 1 else ''} to {to} "
                   f"(change log {to}.changes.jsonl); {rest}")
        if interchange is None:
            _note_interchange(to)
        return done.exit_code

    raise typer.Exit(guarded(action))


def _note_interchange(out: Path) -> None:
    """OUT kept the held file's interchange control number, the one of the file already delivered: say so."""
    from edi837.delivery import terminal
    from edi837.delivery.release import interchange_of

    number = interchange_of(out)
    if number is not None:
        terminal.say(f"edi-fix: note: {out} carries interchange control number {number}, that of the file already "
                     "delivered; a clearinghouse rejects a repeated one (TA1 025): give --interchange with a fresh "
                     "number")
