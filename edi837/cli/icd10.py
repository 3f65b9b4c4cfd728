"""`edi-fix icd10 import | status | lookup`: load the CMS/CDC ICD-10-CM code files, see which dates of service
are covered, ask whether a code is valid on a date.

Exit codes as for the rest of edi-fix: 0 done; 2 refused (a file that is not an ICD-10-CM order or codes
file, a damaged one, one larger than a CMS/CDC code file can be, a bad code or date), one line on stderr per
refusal; 3 internal error. Output names files, releases, codes and counts only: the code files carry no
patient data. What an import running now or killed earlier left, `status` says as `ncci status` does
(edi837.datafiles.journal).
"""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from edi837.cli.common import guarded, make_app
from edi837.datafiles import journal
from edi837.errors import InputRefused, one_line, printable
from edi837.exits import ExitCode
from edi837.icd10.formats import KIND_NAMES, VERSION_FORMS
from edi837.icd10.load import Outcome, import_files
from edi837.icd10.source import dotted, open_source
from edi837.icd10.store import ENV_VAR, LOCATION
from edi837.model.lines import diagnosis_key
from edi837.words import thousands

app = make_app("The ICD-10-CM code set by release: import the CMS files, list what is covered, look a code up.")
USAGE = "edi-fix icd10 import|status|lookup ..."
ABOUT = "Load the CMS ICD-10-CM code files, list the dates of service covered, look a code up."

DbOption = Annotated[
    Path | None,
    typer.Option("--db", "--icd10-db", metavar="PATH",
                 help=f"The ICD-10-CM store (default: ${ENV_VAR}, then {LOCATION.default_path()})."),
]
_CODE = re.compile(r"[A-Z][0-9A-Z]{2,6}")


@app.command("import")
def import_command(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE...", help="CMS/CDC downloads: the ZIPs or the extracted files.")
    ],
    *,
    db: DbOption = None,
    version: Annotated[
        str | None, typer.Option("--version", metavar="RELEASE", help=f"The release, when no name says it: "
                                                                       f"{VERSION_FORMS}.")
    ] = None,
) -> None:
    """Load ICD-10-CM order files (icd10cm-order-YYYY.txt) or codes files; a file loaded before is skipped."""

    def action() -> int:
        database = LOCATION.for_import(db)
        run = import_files(database, files, version)
        for outcome in run.outcomes:
            _report(outcome)
        for note in run.notes:
            print(one_line(note))
        if not database.is_file():
            return ExitCode.REFUSED
        print(f"store: {database}")
        return ExitCode.REFUSED if any(o.refused for o in run.outcomes) else ExitCode.OK

    raise typer.Exit(guarded(action))


def _report(outcome: Outcome) -> None:
    info = outcome.info
    if outcome.refused:
        print(f"edi-fix: {one_line(f'refused: {outcome.refused}')}", file=sys.stderr)
    elif outcome.skipped:
        print(printable(f"skipped  {outcome.label}: {outcome.skipped}"))
    elif info is not None:
        what = f"ICD-10-CM {info.version} ({KIND_NAMES[info.kind]}), in force from {info.effective}"
        if outcome.loaded:
            print(printable(f"loaded   {outcome.label}: {what}, {thousands(info.rows)} codes, "
                            f"{thousands(info.billable)} billable"))
        else:
            print(printable(f"already  {outcome.label}: {what}, loaded {info.imported_at[:10]}; nothing to do"))


@app.command("status")
def status_command(*, db: DbOption = None) -> None:
    """Which releases are loaded (shipped and imported), and the dates of service each one answers."""

    def action() -> int:
        choice = LOCATION.choose(db)
        how = {"--icd10-db": "--db", "default": "the per-user default"}.get(choice.how, choice.how)
        present = choice.path is not None and choice.path.is_file()
        source = open_source(choice.path if present else None, tidy=True)
        try:
            if present:
                print(f"ICD-10-CM store: {choice.path} (chosen by {how})")
            else:
                where = f" at {choice.path}" if choice.path else ""
                print(f"no ICD-10-CM store{where} (chosen by {how}): runs read the releases shipped with edi837; "
                      "load the CMS files with `edi-fix icd10 import FILE...`")
            for line in journal.status_lines(choice.path, source.recovered, LOCATION) if choice.path else ():
                print(line)
            for code_set, first, last in source.describe_coverage():
                print(f"  {code_set.label:10} dates of service {first} to {last}: {code_set.described}")
            for before, after, first, last in source.describe_gaps():
                print(f"  {'between':10} dates of service {first} to {last}: no release loaded; a code {before.label} "
                      f"and {after.label} list alike is judged by them, any other is not checked")
            print("dates of service outside these are not checked (DX001 counts their claims in the summary)")
        finally:
            source.close()
        return ExitCode.OK

    raise typer.Exit(guarded(action))


@app.command("lookup")
def lookup_command(
    code: Annotated[str, typer.Argument(metavar="CODE", help="An ICD-10-CM code, with or without its dot.")],
    *,
    on: Annotated[str, typer.Option("--date", metavar="YYYY-MM-DD", help="The date of service.")],
    db: DbOption = None,
) -> None:
    """Whether a code is valid and billable on a date of service, the release that says so, and its history."""

    def action() -> int:
        wanted = diagnosis_key(code.strip())
        if not _CODE.fullmatch(wanted):
            raise InputRefused("lookup takes one ICD-10-CM code (a letter, then 2 to 6 letters or digits)")
        try:
            day = date.fromisoformat(on)
        except ValueError:
            raise InputRefused(f"--date {on}: not a date written YYYY-MM-DD") from None
        choice = LOCATION.choose(db)
        source = open_source(LOCATION.for_run(db) if choice.path is not None else None)
        try:
            verdict = source.verdict(wanted, day)
            around = source.around(day)
            if verdict.kind == "not-covered" and around is not None:
                print(f"{dotted(wanted)} on {day}: no loaded release is in force that day, and ICD-10-CM "
                      f"{around[0].label} and {around[1].label}, loaded either side of it, list the code differently; "
                      "import the CMS files of its fiscal year")
            elif verdict.kind == "not-covered":
                print(f"{dotted(wanted)} on {day}: no loaded release covers that date of service (see "
                      "`edi-fix icd10 status`); import the CMS files of its fiscal year")
            elif verdict.code_set is not None:
                print(verdict.message or f"{dotted(wanted)} is valid and billable on {day} (ICD-10-CM "
                                         f"{verdict.label}{', either side of that date' if verdict.before else ''})")
                for code_set in (verdict.before, verdict.code_set):
                    if code_set is not None:
                        print(f"  {'release in force' if verdict.before is None else 'release loaded'}: "
                              f"{code_set.described}")
            statuses = source.statuses(wanted)
            for code_set in source.sets:
                state = {1: "billable", 0: "header"}.get(statuses.get(code_set, -1), "not listed")
                print(f"  {code_set.label:10} from {code_set.release.effective}: {state}")
        finally:
            source.close()
        return ExitCode.OK

    raise typer.Exit(guarded(action))

