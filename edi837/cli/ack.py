"""`edi-fix ack`: a person's word that a review item is right as billed; `--list` and `--revoke`.

The acknowledgement is kept in the claims ledger under the claim id, the rule and the content of the line as
its latest committed run read it (code, modifiers, units, pointers, the diagnoses they name, dates:
edi837/ledger/acks.py). A later run of the same claim billing that line the same neither holds the item nor
counts it as needing a person, and its change record says "acknowledged by NAME on DATE: NOTE"; a line
billed differently matches nothing and the item is raised again. NAME defaults to the user running the
command. The note is the user's words: it is made one line (no control characters) and at most 500
characters, and must not carry patient data (it is shown in change logs and reports).
"""

from __future__ import annotations

import getpass
from typing import Annotated, Any

import typer

from edi837.cli.claims import open_for_reading
from edi837.cli.common import VersionOption, guarded, make_app, print_text
from edi837.cli.ledger_args import ConfigOption, IsolatedOption, LedgerArgs, LedgerOption
from edi837.errors import InputRefused, one_line

USAGE = ("edi-fix ack CLAIM --rule CODE [--line N] --note TEXT [--by NAME]\n"
         "       edi-fix ack --list [CLAIM] [--all]\n"
         "       edi-fix ack --revoke CLAIM --rule CODE [--line N] [--by NAME]")
ABOUT = "Say a review item is right as billed, so later runs do not hold it; list or revoke."

app = make_app(ABOUT)


@app.command()
def ack_command(
    claim: Annotated[str | None, typer.Argument(metavar="CLAIM", help="The claim id (CLM01).")] = None,
    rule: Annotated[str | None, typer.Option("--rule", metavar="CODE", help="The rule that raised the item.")] = None,
    line: Annotated[int | None, typer.Option(
        "--line", metavar="N", min=1, help="The line (LX01) of the item, when the rule raised more than one.")] = None,
    note: Annotated[str | None, typer.Option(
        "--note", metavar="TEXT", help="Why it is right as billed (no patient data; 500 characters at most).")] = None,
    by: Annotated[str | None, typer.Option(
        "--by", metavar="NAME", help="Who says so (default: the user running the command).")] = None,
    list_them: Annotated[bool, typer.Option("--list", help="List the live acknowledgements (of CLAIM).")] = False,
    all_of_them: Annotated[bool, typer.Option("--all", help="With --list: the revoked ones too.")] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help="End the acknowledgement of --rule on CLAIM.")] = False,
    ledger: LedgerOption = None,
    config: ConfigOption = None,
    isolated: IsolatedOption = False,
    version: VersionOption = False,
) -> None:
    """Acknowledge, list or revoke."""
    where = LedgerArgs(ledger, config, isolated)

    def action() -> int:
        if list_them and revoke:
            raise InputRefused("--list and --revoke: give one of them")
        if list_them:
            return _list(where, claim, all_of_them)
        if claim is None or rule is None:
            raise InputRefused("CLAIM and --rule CODE are needed (see edi-fix ack --help)")
        who = by if by is not None else _user()
        if revoke:
            return _revoke(where, claim, rule.upper(), line, who)
        if note is None:
            raise InputRefused("--note TEXT is needed: why the item is right as billed")
        return _ack(where, claim, rule.upper(), line, note, who)

    raise typer.Exit(guarded(action))


def _user() -> str:
    """The name of the user running the command (the OS's), or "unknown" where it has none."""
    try:
        return one_line(getpass.getuser(), 100) or "unknown"
    except (OSError, KeyError):
        return "unknown"


def _writer(where: LedgerArgs) -> Any:
    """The ledger to write an acknowledgement into: it must exist (a run made it and saw the claim)."""
    from edi837.ledger.store import Ledger

    reader = open_for_reading(where)  # refuses an absent ledger, one line
    path = reader.path
    reader.close()
    return Ledger.open(path)


def _ack(where: LedgerArgs, claim: str, rule: str, line: int | None, note: str, by: str) -> int:
    from edi837.ledger import acks

    with _writer(where) as ledger:
        made = acks.ack(ledger, claim, rule, note=note, by=by, line=line)
    at = f" line {made.line}" if made.line is not None else ""
    return print_text(f"acknowledged {made.rule} on claim {made.claim_id}{at} (ack {made.id}), "
                      f"{made.words}\na run of this claim with the line billed the same neither holds nor reports it")


def _revoke(where: LedgerArgs, claim: str, rule: str, line: int | None, by: str) -> int:
    from edi837.ledger import acks

    with _writer(where) as ledger:
        ended = acks.revoke(ledger, claim, rule, by=by, line=line)
    return print_text("\n".join(f"revoked ack {a.id}: {a.rule} on claim {a.claim_id}"
                                + (f" line {a.line}" if a.line is not None else "") + f" (by {by})" for a in ended))


def _list(where: LedgerArgs, claim: str | None, revoked: bool) -> int:
    from edi837.ledger import acks

    with open_for_reading(where) as ledger:
        found = acks.list_acks(ledger, claim_id=claim, revoked=revoked)
    if not found:
        return print_text("no acknowledgements" + (f" on claim {claim}" if claim else ""))
    rows = [f"{'ack':>4}  {'claim':<20} {'rule':<7} {'on':<8} acknowledged"]
    for a in found:
        at = f"line {a.line}" if a.line is not None else "claim"
        ended = f"  [revoked by {a.revoked_by} on {a.revoked_at[:10]}]" if a.revoked_at else ""
        rows.append(f"{a.id:>4}  {a.claim_id:<20} {a.rule:<7} {at:<8} {a.words}{ended}")
    return print_text("\n".join(rows))
