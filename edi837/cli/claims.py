"""`edi-fix claims`: where each claim stands, from the claims ledger, filtered, with totals in dollars.

A claim seen by several runs is shown as its latest run left it (`--history`: every run). The status is where
it stands now: held, review (delivered with items open), delivered, refused, unchanged, released (sent by
`edi-fix release`, with the file it went to and when; edi837/ledger/queries.py).
Amounts are exact decimals summed as Decimal: a list of dollars must not round. Text for a person, JSON and
CSV for a spreadsheet or a script; every value is an id, a code, a date or an amount, never patient data.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Annotated, Any

import typer

from edi837.cli.common import VersionOption, guarded, make_app, print_text
from edi837.cli.ledger_args import ConfigOption, IsolatedOption, LedgerArgs, LedgerOption
from edi837.errors import InputRefused
from edi837.ledger.queries import LISTED_STATUSES as STATUSES
from edi837.words import amount_text, dollars, spreadsheet_safe

USAGE = "edi-fix claims [--status S] [--claim ID] [--payer ID] [--since DATE] [--format text|json|csv]"
ABOUT = "List the claims the ledger has seen, where each stands now, with totals in dollars."

app = make_app(ABOUT)


class ListFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


COLUMNS = ("claim_id", "status", "payer_id", "billed", "delivered", "open_items", "applied", "run", "run_condition",
           "started", "entry", "input_name", "held_file", "first_date", "last_date", "billing_npi", "rendering_npi",
           "released_to", "released_at")


@app.command()
def claims_command(
    status: Annotated[list[str] | None, typer.Option(
        "--status", metavar="|".join(STATUSES), help="Only claims that stand so now; repeatable.")] = None,
    claim: Annotated[str | None, typer.Option("--claim", metavar="ID", help="Only this claim id (CLM01).")] = None,
    payer: Annotated[str | None, typer.Option("--payer", metavar="ID", help="Only this payer id (2010BB).")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="DATE", help="Only runs started since DATE (YYYY-MM-DD, or an ISO date and time).")] = None,
    history: Annotated[bool, typer.Option("--history", help="Every run of each claim, not the latest only.")] = False,
    list_format: Annotated[ListFormat, typer.Option(
        "--format", metavar="text|json|csv", help="Output format (default text).")] = ListFormat.text,
    ledger: LedgerOption = None,
    config: ConfigOption = None,
    isolated: IsolatedOption = False,
    version: VersionOption = False,
) -> None:
    """List claims from the claims ledger, filtered, with totals in dollars."""

    def action() -> int:
        from edi837.ledger import queries

        wanted = _statuses(status)
        moment = parse_since(since) if since is not None else None
        with open_for_reading(LedgerArgs(ledger, config, isolated)) as book:
            listed = queries.claims(book, status=wanted, claim_id=claim, payer=payer, since=moment, history=history)
            # totals count claims as they stand (their latest run), not the rows --history lists
            standing = listed if not history else queries.claims(book, status=wanted, claim_id=claim, payer=payer,
                                                                  since=moment)
        totals = queries.totals(standing)
        render = {ListFormat.text: as_text, ListFormat.json: as_json, ListFormat.csv: as_csv}[list_format]
        return print_text(render(listed, totals).rstrip("\n"))

    raise typer.Exit(guarded(action))


def open_for_reading(where: LedgerArgs) -> Any:
    """The ledger to read (refused, one line naming it, when there is none: nothing is made by looking)."""
    from edi837.ledger.store import Ledger

    return Ledger.open(where.existing(), write=False)


def _statuses(given: list[str] | None) -> list[str] | None:
    if not given:
        return None
    wanted = [s.strip().lower() for item in given for s in item.split(",") if s.strip()]
    for s in wanted:
        if s not in STATUSES:
            raise InputRefused(f"--status {s}: one of {', '.join(STATUSES)}")
    return wanted


def parse_since(text: str) -> date | datetime:
    """`--since`: a date (its local midnight) or an ISO date and time (naive: local)."""
    try:
        return date.fromisoformat(text) if len(text.strip()) == 10 else datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputRefused(f"--since {text[:40]!r}: give a date as YYYY-MM-DD, or an ISO date and time") from None


def shown(value: Decimal | None) -> str:
    """An amount as a person reads it ($1,234.50, words.dollars); exact: more places shown when it has them."""
    if value is None:
        return "-"
    if value == value.quantize(Decimal("0.01")):
        return dollars(value)
    whole = value.copy_abs().quantize(Decimal(1), rounding=ROUND_DOWN)
    return ("-" if value < 0 else "") + dollars(whole)[:-3] + str(value.copy_abs() - whole)[1:]


def _row(x: Any) -> dict[str, Any]:
    return {"claim_id": x.claim_id, "status": x.status, "payer_id": x.payer_id, "billed": x.charge_before,
            "delivered": x.charge_after if x.status not in ("held", "refused") else None, "open_items": x.open_items,
            "applied": x.applied, "run": x.run, "run_condition": x.run_condition, "started": x.started,
            "entry": x.entry, "input_name": x.input_name, "held_file": x.held_file, "first_date": x.first_date,
            "last_date": x.last_date, "billing_npi": x.billing_npi, "rendering_npi": x.rendering_npi,
            "released_to": x.released_to, "released_at": x.released_at}


def _file_of(x: Any) -> str:
    """The file a claim now sits in, for the text listing: its held file, or the file a release sent it to."""
    if x.status == "held" and x.held_file:
        return str(x.held_file)
    if x.released_to:
        return f"{x.released_to} ({x.released_at[:16] if x.released_at else 'not committed'})"
    return ""


def as_text(listed: list[Any], totals: Any) -> str:
    lines = []
    if listed:
        lines.append(f"{'claim':<20} {'status':<10} {'payer':<12} {'billed':>12} {'delivered':>12}  {'run':>3}  "
                     f"{'started':<16}  {'open':>4}  file")
    for x in listed:
        row = _row(x)
        pending = "" if x.committed else f" ({x.run_condition})"
        lines.append(f"{x.claim_id:<20} {x.status:<10} {x.payer_id:<12} {shown(row['billed']):>12} "
                     f"{shown(row['delivered']):>12}  {x.run:>3}  {x.started[:16]:<16}  {x.open_items:>4}  "
                     f"{_file_of(x)}{pending}".rstrip())
    lines.append(f"{totals.claims} claim{'s' if totals.claims != 1 else ''}: billed {shown(totals.billed)}, "
                 f"delivered {shown(totals.delivered)}" + (f"; {totals.not_committed} in runs not committed"
                                                            if totals.not_committed else ""))
    for name in STATUSES:
        if name in totals.by_status:
            n, billed, _ = totals.by_status[name]
            lines.append(f"  {name}: {n} ({shown(billed)} billed)")
    return "\n".join(lines)


def as_json(listed: list[Any], totals: Any) -> str:
    def exact(value: Any) -> Any:
        return amount_text(value) if isinstance(value, Decimal) else value

    data = {"claims": [{k: exact(v) for k, v in _row(x).items()} for x in listed],
            "totals": {"claims": totals.claims, "billed": amount_text(totals.billed),
                       "delivered": amount_text(totals.delivered), "not_committed": totals.not_committed,
                       "by_status": {s: {"claims": n, "billed": amount_text(b), "delivered": amount_text(d)}
                                     for s, (n, b, d) in totals.by_status.items()}}}
    return json.dumps(data, indent=2)


def as_csv(listed: list[Any], totals: Any) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for x in listed:
        row = _row(x)
        writer.writerow(["" if row[c] is None else amount_text(row[c]) if isinstance(row[c], Decimal)
                         else spreadsheet_safe(str(row[c])) for c in COLUMNS])
    return out.getvalue()
