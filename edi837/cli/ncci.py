"""`edi-fix ncci import | status | lookup`: load the CMS files, see what is loaded, ask what is in force.

Exit codes as for the rest of edi-fix: 0 done; 2 refused (a file that is not a CMS practitioner PTP or
MUE table, a damaged one, a bad code or date, no database), one line on stderr per refusal; 3 internal
error. Output names files, versions, codes and counts only: CMS files carry no patient data.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from edi837.cli.common import guarded, make_app
from edi837.datafiles import journal
from edi837.errors import InputRefused, one_line, printable
from edi837.exits import ExitCode
from edi837.ncci import paths
from edi837.ncci.formats import CODE, KIND_NAMES, MUE, PTP, PTP_PARTS, iso_day, quarter_start
from edi837.ncci.load import Outcome, import_files
from edi837.ncci.source import CmsMue, CmsPairs, complete, select, versions
from edi837.ncci.store import ImportInfo, NcciStore
from edi837.words import thousands

app = make_app("The CMS NCCI practitioner PTP and MUE files: import them, list them, look an edit up.")
USAGE = "edi-fix ncci import|status|lookup ..."
ABOUT = "Load the CMS NCCI practitioner PTP and MUE files, list what is loaded, look an edit up."

DbOption = Annotated[
    Path | None,
    typer.Option("--db", "--ncci-db", metavar="PATH",
                 help=f"The NCCI database (default: ${paths.ENV_VAR}, then {paths.default_path()})."),
]
PinOption = Annotated[
    list[str] | None,
    typer.Option("--ncci-version", metavar="VERSION",
                 help="Read this version (v322r0, 2025-q4) instead of the newest."),
]
SYNTHETIC_SAID = " (SYNTHETIC: an edi837 test file, not from CMS)"
_INDICATORS = {0: "0: no modifier bypasses it", 1: "1: a modifier may bypass it when documented",
               9: "9: not applied"}


@app.command("import")
def import_command(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE...", help="CMS downloads: the ZIPs or the extracted files.")
    ],
    *,
    db: DbOption = None,
    version: Annotated[
        str | None, typer.Option("--version", metavar="VERSION", help="The version, when no name or text says it.")
    ] = None,
) -> None:
    """Load CMS practitioner PTP files (ccipra-vNNNrN-f1..f4) and MUE tables; a file loaded before is skipped."""

    def action() -> int:
        database = paths.for_import(db)
        run = import_files(database, files, version)
        for outcome in run.outcomes:
            _report(outcome)
        for note in run.notes:
            print(one_line(note))
        if not database.is_file():
            return ExitCode.REFUSED
        print(f"database: {database}")
        store = NcciStore.open(database)
        try:
            for name, parts in versions(store.imports(), PTP).items():
                if not complete(parts):
                    have = ", ".join(f"f{p.part}" for p in sorted(parts, key=lambda p: p.part or 0))
                    print(f"note: PTP {name} has {have} of its {PTP_PARTS} files; runs read a version once all "
                          "are loaded")
                break
        finally:
            store.close()
        return ExitCode.REFUSED if any(o.refused for o in run.outcomes) else ExitCode.OK

    raise typer.Exit(guarded(action))


def _report(outcome: Outcome) -> None:
    info = outcome.info
    if outcome.refused:
        print(f"edi-fix: {one_line(f'refused: {outcome.refused}')}", file=sys.stderr)
    elif outcome.skipped:
        print(printable(f"skipped  {outcome.label}: {outcome.skipped}"))
    elif info is not None:
        what = f"{KIND_NAMES[info.kind]} {info.version}" + (f" part {info.part}" if info.part else "")
        what += SYNTHETIC_SAID if info.synthetic else ""
        if outcome.loaded:
            unknown = f" ({thousands(info.unknown_values)} with no published value, kept unknown)" \
                if info.unknown_values else ""
            rows = f"{thousands(info.rows)} row{'s' if info.rows != 1 else ''}"
            print(printable(f"loaded   {outcome.label}: {what}, {rows}{unknown}"))
        else:
            print(printable(f"already  {outcome.label}: {what}, loaded {info.imported_at[:10]}; nothing to do"))


@app.command("status")
def status_command(*, db: DbOption = None) -> None:
    """What is loaded: each version with its files and rows, and which one runs read."""

    def action() -> int:
        choice = paths.choose(db)
        how = {"--ncci-db": "--db", "default": "the per-user default"}.get(choice.how, choice.how)
        if choice.path is None or not choice.path.is_file() or choice.path.stat().st_size == 0:
            where = f" at {choice.path}" if choice.path else ""
            print(f"no NCCI database{where} (chosen by {how}): runs use the shipped pairs of packs/ncci.toml and "
                  "MUE001 does nothing; load the CMS files with `edi-fix ncci import FILE...`")
            for line in journal.status_lines(choice.path, [], paths.LOCATION) if choice.path else ():
                print(line)
            return ExitCode.OK
        store = NcciStore.open(choice.path, tidy=True)
        try:
            print(f"NCCI database: {choice.path} (chosen by {how})")
            for line in journal.status_lines(store.path, store.recovered, paths.LOCATION):
                print(line)
            imports = store.imports()
            chosen = select(store)
            in_use = {info.id for info in (*chosen.ptp, *chosen.mue)}
            for kind in (PTP, MUE):
                print(f"{KIND_NAMES[kind]}:")
                groups = versions(imports, kind)
                if not groups:
                    print("  none loaded")
                for name, parts in groups.items():
                    print(f"  {name}  {_version_line(kind, parts, in_use)}")
            print(f"runs read: PTP {chosen.ptp_version or 'none (the shipped pairs of packs/ncci.toml)'}; MUE "
                  + (", ".join(f"{t.version} for dates of service from {quarter_start(t.version)}" for t in chosen.mue)
                     or "none (MUE001 does nothing)"))
        finally:
            store.close()
        return ExitCode.OK

    raise typer.Exit(guarded(action))


def _version_line(kind: str, parts: list[ImportInfo], in_use: set[int]) -> str:
    rows = sum(p.rows for p in parts)
    used = "in use, " if any(p.id in in_use for p in parts) else ""
    marked = SYNTHETIC_SAID if any(p.synthetic for p in parts) else ""
    when = max(p.imported_at for p in parts)[:10]
    if kind == PTP:
        have = ", ".join(f"f{p.part}" if p.part else p.file_name for p in sorted(parts, key=lambda p: p.part or 0))
        state = "" if complete(parts) else f" (incomplete: {PTP_PARTS} files make a version)"
        return f"{used}files {have}{state}, {thousands(rows)} rows, imported {when}{marked}"
    unknown = sum(p.unknown_values for p in parts)
    blank = f" ({thousands(unknown)} with no published value)" if unknown else ""
    return f"{used}{parts[0].file_name}, {thousands(rows)} codes{blank}, imported {when}{marked}"


@app.command("lookup")
def lookup_command(
    codes: Annotated[list[str], typer.Argument(metavar="CODE1 [CODE2]", help="Two codes: the PTP edit; one: its MUE.")],
    *,
    on: Annotated[str, typer.Option("--date", metavar="YYYY-MM-DD", help="The date of service.")],
    db: DbOption = None,
    ncci_version: PinOption = None,
) -> None:
    """The PTP edit in force between two codes on a date of service, or one code's MUE."""

    def action() -> int:
        wanted = [c.strip().upper() for c in codes]
        if not 1 <= len(wanted) <= 2 or not all(CODE.fullmatch(c.encode("ascii", "replace")) for c in wanted):
            raise InputRefused("lookup takes one or two 5-character CPT/HCPCS codes")
        try:
            day = date.fromisoformat(on)
        except ValueError:
            raise InputRefused(f"--date {on}: not a date written YYYY-MM-DD") from None
        choice = paths.choose(db)
        if choice.path is None:
            raise InputRefused(f"{paths.ENV_VAR} is set empty (no database); give --db PATH")
        store = NcciStore.open(choice.path)
        try:
            chosen = select(store, ncci_version or ())
            for line in (_pair_lines(store, chosen.ptp, wanted[0], wanted[-1], day) if len(wanted) == 2
                         else _mue_lines(store, chosen.mue, wanted[0], day)):
                print(line)
        finally:
            store.close()
        return ExitCode.OK

    raise typer.Exit(guarded(action))


def _pair_lines(store: NcciStore, parts: tuple[ImportInfo, ...], code_a: str, code_b: str, day: date) -> list[str]:
    if not parts:
        raise InputRefused(f"{store.path}: no complete PTP version loaded")
    source = CmsPairs(store, parts, ())
    found = source.pairs_for(code_a, code_b, day)
    lines = [f"{code_a} with {code_b} on {day} ({source.description}):"]
    lines += [f"  in force: column 1 {p.column1}, column 2 {p.column2}, modifier indicator "
              f"{_INDICATORS[p.modifier_indicator]}; {p.citation}" for p in found]
    if not found:
        lines.append("  no edit in force on that date")
    key = (code_a, code_b) if code_a <= code_b else (code_b, code_a)
    for row in sorted(source.rows(key), key=lambda r: (r[0], r[1], r[2])):
        until = f"deletion date {iso_day(row[3])}" if row[3] is not None else "no deletion date"
        lines.append(f"  row: {row[0]}/{row[1]} indicator {row[4]}, effective {iso_day(row[2])}, {until}")
    return lines


def _mue_lines(store: NcciStore, tables: tuple[ImportInfo, ...], code: str, day: date) -> list[str]:
    if not tables:
        raise InputRefused(f"{store.path}: no MUE table loaded")
    source = CmsMue(store, tables)
    limit = source.limit(code, day)
    table = source.table_for(day)
    if limit is None:
        return [f"{code} on {day}: no MUE row in {table.described}"]
    return [f"{code} on {day}: {limit.citation}"]

