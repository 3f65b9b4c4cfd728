"""Outcomes as text (for a person), JSON (for a program), CSV (for a spreadsheet) and HTML (a page to open).

Every value shown is an id, a code, a count or an amount: claim ids appear only in the proposals' evidence,
never a name. Amounts come from Decimal, always in cents: `$1,640.00` for a person, `"1640.00"` for a program
(JSON strings, as `edi-fix claims --format json` writes dollars; CSV cells the same), whatever the 835 wrote
(`76`, `379.8`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from typing import Any

from edi837.remit.codes import meaning
from edi837.remit.outcomes import Outcomes, Tally
from edi837.report.outcomes import Table, outcomes_page
from edi837.words import amount_text, dollars, spreadsheet_safe

SECTIONS = (("by_action", "By rule action"), ("by_payer", "By payer"), ("by_procedure", "By code and modifiers"),
            ("by_reason", "By adjustment (group-CARC)"), ("changed", "Lines edi837 changed vs left alone"))


def _denials(tally: Tally) -> str:
    return ", ".join(f"{n} {label}" for label, n in tally.reasons.most_common())


def summary(name: str, tally: Tally) -> str:
    """`97140 +59 by NC001 (fix): 41 paid, 3 denied (3 CO-4), $1,640.00 paid of $1,760.00`."""
    denied = f"{tally.denied} denied" + (f" ({_denials(tally)})" if tally.reasons else "")
    return f"{name}: {tally.paid} paid, {denied}, {dollars(tally.paid_amount)} paid of {dollars(tally.charge)}"


def _tables(out: Outcomes) -> Iterator[tuple[str, str, Mapping[str, Tally]]]:
    for attr, title in SECTIONS:
        yield attr, title, getattr(out, attr)


def text(out: Outcomes) -> str:
    lines = []
    for _, title, table in _tables(out):
        lines.append(f"{title}:")
        lines.extend(f"  {summary(k, t)}" for k, t in sorted(table.items()))
        if not table:
            lines.append("  (none)")
    lines.append("277CA rejections by reason:")
    lines.extend(f"  {reason}: {n}" + _category(reason) for reason, n in out.rejections.most_common())
    if not out.rejections:
        lines.append("  (none)")
    return "\n".join(lines) + "\n"


def _category(reason: str) -> str:
    found = meaning("category", reason.split(":", 1)[0])
    return f" ({found})" if found else ""


def _tally_json(tally: Tally) -> dict[str, Any]:
    return {"lines": tally.lines, "paid": tally.paid, "denied": tally.denied,
            "paid_amount": amount_text(tally.paid_amount), "charge": amount_text(tally.charge),
            "denial_reasons": dict(tally.reasons), "remarks": dict(tally.remarks),
            "claims": len(tally.claims), "first_paid_on": _day(tally.first), "last_paid_on": _day(tally.last)}


def _day(value: object) -> str | None:
    return None if value is None else str(value)


def as_json(out: Outcomes) -> str:
    doc: dict[str, Any] = {attr: {k: _tally_json(t) for k, t in sorted(table.items())}
                           for attr, _, table in _tables(out)}
    doc["rejections"] = dict(out.rejections)
    return json.dumps(doc, indent=2) + "\n"


CSV_FIELDS = ("section", "key", "lines", "paid", "denied", "paid_amount", "charge", "denial_reasons", "claims")


def as_csv(out: Outcomes) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for attr, _, table in _tables(out):
        for key, t in sorted(table.items()):
            writer.writerow((attr, spreadsheet_safe(str(key)), t.lines, t.paid, t.denied,
                             amount_text(t.paid_amount), amount_text(t.charge),
                             " ".join(f"{k}={n}" for k, n in sorted(t.reasons.items())), len(t.claims)))
    for reason, n in sorted(out.rejections.items()):
        writer.writerow(("rejections", spreadsheet_safe(reason), n, "", "", "", "", "", ""))
    return buffer.getvalue()


_HEADINGS = ("", "lines", "paid", "denied", "denial reasons", "paid amount", "charge")


def as_html(out: Outcomes) -> str:
    """The text output's sections as tables of one page (edi837.report.outcomes lays them out)."""
    tables = [Table(title, (title.split(" ", 1)[1].capitalize() if title.startswith("By ") else "", *_HEADINGS[1:]),
                    tuple((key, str(t.lines), str(t.paid), str(t.denied), _denials(t), dollars(t.paid_amount),
                           dollars(t.charge)) for key, t in sorted(table.items())),
                    numeric=frozenset({1, 2, 3, 5, 6}), flag=3)
              for _, title, table in _tables(out)]
    tables.append(Table("277CA rejections by reason", ("category:status:entity", "claims", "meaning"),
                        tuple((reason, str(n), _category(reason).strip(" ()"))
                              for reason, n in out.rejections.most_common()), numeric=frozenset({1})))
    return outcomes_page(tables)


RENDERERS = {"text": text, "json": as_json, "csv": as_csv, "html": as_html}
