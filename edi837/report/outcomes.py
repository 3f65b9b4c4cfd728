"""The outcomes page: what the payers did with the lines edi837 delivered, as one HTML file to open.

Why a page of its own and not a section of the per-file report: a remittance arrives weeks after the run that
sent its claims, and a billing manager asks "what did the fixes earn this month", not "what happened to this
file"; `edi-fix outcomes --format html > outcomes.html` answers that with the same tables as the text output.

The remittance side (edi837.remit.render) hands over plain tables of text (this floor knows nothing of
835s); this module only lays them out. Built with lxml's element builder, so every value is escaped by
construction; the style is inline, no JavaScript, and it prints. The cells are codes, counts, amounts and
rule names: no claim id and nothing from a patient loop reaches them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree
from lxml.html import builder as E

from edi837 import __version__

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; line-height: 1.35; }
h1 { font-size: 1.45em; margin-bottom: .2em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
.meta { color: #555; font-size: .85em; }
table { border-collapse: collapse; margin: .4em 0 1em; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; font-size: .9em; }
th { background: #f3f3f3; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.denied { background: #fde8e8; }
@media print { body { margin: 0; max-width: none; font-size: 10pt; } h1, h2 { break-after: avoid; }
  tr { break-inside: avoid; } }
"""


@dataclass(frozen=True)
class Table:
    """One section: a title, column headings, rows of cell texts; `numeric` columns are right-aligned, and a
    row whose `flag` column is not "0" is shaded (denied lines)."""

    title: str
    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()
    flag: int | None = None


def _cell(tag: Callable[..., etree._Element], text: str, classes: list[str]) -> etree._Element:
    return tag(text, E.CLASS(" ".join(classes))) if classes else tag(text)


def _classes(table: Table, column: int, row: tuple[str, ...] | None) -> list[str]:
    found = ["num"] if column in table.numeric else []
    if row is not None and column == table.flag and row[column] not in ("0", ""):
        found.append("denied")
    return found


def _table(table: Table) -> etree._Element:
    if not table.rows:
        empty: etree._Element = E.P("None recorded.")
        return empty
    head = E.TR(*(_cell(E.TH, h, _classes(table, n, None)) for n, h in enumerate(table.headings)))
    rows = [E.TR(*(_cell(E.TD, text, _classes(table, n, row)) for n, text in enumerate(row))) for row in table.rows]
    found: etree._Element = E.TABLE(E.THEAD(head), E.TBODY(*rows))
    return found


def outcomes_page(tables: Sequence[Table], *, subtitle: str = "") -> str:
    """The whole page (UTF-8 text of one self-contained HTML document)."""
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [E.H1("What the payers did with the lines edi837 delivered"),
            E.P(E.CLASS("meta"), f"edi837 {__version__}, {made}" + (f"; {subtitle}" if subtitle else ""))]
    for table in tables:
        body += [E.H2(table.title), _table(table)]
    page = E.HTML(E.HEAD(E.META(charset="utf-8"), E.TITLE("edi837 outcomes"), E.STYLE(_STYLE)), E.BODY(*body))
    return "<!DOCTYPE html>\n" + etree.tostring(page, encoding="unicode", method="html") + "\n"
