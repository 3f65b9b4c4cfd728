"""`edi-fix`: the command line, a thin shell over `pipeline.run`.

Exit codes are a contract scripts and clearinghouse clients rely on (black/pre-commit style):
0 written and nothing needs a person; 1 written but review items or input validation errors
remain (or `--check` would change the file); 2 input refused, nothing written; 3 internal error.
Every refusal is one line on stderr, never a traceback.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import structlog
import typer

from edi837 import __version__
from edi837 import log as logconfig
from edi837.changelog import ChangeLogWriter
from edi837.errors import InputRefused, outcome_of
from edi837.fileio import AtomicWriter, atomic_output, borrow, open_input_path, refuse_unsafe_target, spool_stdin
from edi837.pipeline import FixOptions, FixResult, run
from edi837.summary import diff_text, summary_json, summary_text

EXIT_OK, EXIT_REVIEW, EXIT_REFUSED, EXIT_INTERNAL = 0, 1, 2, 3
PROGRESS_THRESHOLD = 4 * 1024 * 1024

log = structlog.get_logger("edi837")


class SummaryFormat(StrEnum):
    text = "text"
    json = "json"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"edi-fix {__version__}")
        raise typer.Exit()


# Options every entry point shares: which rules run and how.
RulesOption = Annotated[
    Path | None, typer.Option("--rules", metavar="DIR", help="A rule-pack folder layered over the shipped packs.")
]
SelectOption = Annotated[
    list[str] | None, typer.Option("--select", metavar="CODE", help="Run only these rules (codes or prefixes).")
]
IgnoreOption = Annotated[
    list[str] | None, typer.Option("--ignore", metavar="CODE", help="Do not run these rules (codes or prefixes).")
]
ApplyReviewOption = Annotated[
    bool, typer.Option("--apply-review", help="Also apply fixes whose applicability is 'review'.")
]
MinutesOption = Annotated[
    Path | None,
    typer.Option("--minutes", metavar="FILE", help="CSV of treatment minutes: claim id, line number, minutes."),
]
NoValidateOption = Annotated[
    bool, typer.Option("--no-validate", help="Skip the pyx12 gate (structural checks still run).")
]
FormatOption = Annotated[SummaryFormat, typer.Option("--format", help="Summary format on the terminal.")]
VersionOption = Annotated[
    bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
]


def rule_options(rules: Path | None, select: list[str] | None, ignore: list[str] | None, apply_review: bool,
                 minutes: Path | None, no_validate: bool, *, diff: bool = False) -> FixOptions:
    return FixOptions(validate=not no_validate, apply_review=apply_review, rules_dir=rules,
                      select=tuple(select or ()), ignore=tuple(ignore or ()), minutes_file=minutes, collect_diff=diff)


def _typer(help_text: str) -> typer.Typer:
    return typer.Typer(add_completion=False, rich_markup_mode="rich", pretty_exceptions_enable=False,
                       context_settings={"help_option_names": ["-h", "--help"]}, help=help_text)


app = _typer("Fix an X12 837P (005010X222A1) before it goes to the clearinghouse.")
watch_app = _typer("Watch an outbound folder and move fixed 837 files to a ready folder.")
hook_app = _typer("Fix one 837 file in place before upload (for clearinghouse clients).")


@app.command()
def fix_command(
    input_name: Annotated[str, typer.Argument(metavar="IN", help="The 837P file to fix, or - for stdin.")],
    output_name: Annotated[str, typer.Argument(metavar="OUT", help="Where the fixed file goes, or - for stdout.")],
    *,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if anything would change.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Also print a segment-level diff.")] = False,
    rules: RulesOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    apply_review: ApplyReviewOption = False,
    report: Annotated[Path | None, typer.Option("--report", metavar="PATH", help="Write an HTML report.")] = None,
    minutes: MinutesOption = None,
    no_validate: NoValidateOption = False,
    changelog: Annotated[
        Path | None, typer.Option("--changelog", metavar="PATH", help="Change log path (default OUT.changes.jsonl).")
    ] = None,
    summary_format: FormatOption = SummaryFormat.text,
    ncci_db: Annotated[
        Path | None, typer.Option("--ncci-db", metavar="PATH", help="The NCCI database (default: $EDI837_NCCI_DB, "
                                  "then the per-user one; see edi-fix ncci status).")
    ] = None,
    ncci_version: Annotated[
        list[str] | None,
        typer.Option("--ncci-version", metavar="VERSION", help="Pin an NCCI version (v322r0, 2025-q4)."),
    ] = None,
    version: VersionOption = False,
) -> None:
    """Fix IN and write OUT plus its change log (OUT.changes.jsonl). Also: edi-fix watch, edi-fix hook."""
    options = replace(rule_options(rules, select, ignore, apply_review, minutes, no_validate, diff=diff),
                      ncci_db=ncci_db, ncci_version=tuple(ncci_version or ()))
    code = guarded(lambda: fix_files(input_name, output_name, check=check, diff=diff, changelog=changelog,
                                     report=report, summary_format=summary_format, options=options))
    raise typer.Exit(code)


@watch_app.command()
def watch_command(
    outbound: Annotated[Path, typer.Argument(metavar="OUTBOUND", help="The folder the practice system writes to.")],
    *,
    to: Annotated[Path, typer.Option("--to", metavar="READY", help="Where fixed files go for the uploader.")],
    once: Annotated[bool, typer.Option("--once", help="Process what is there, then exit (for cron).")] = False,
    settle: Annotated[
        float, typer.Option("--settle", metavar="SECONDS", help="A file is whole once unchanged this long.")
    ] = 2.0,
    rules: RulesOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    apply_review: ApplyReviewOption = False,
    no_validate: NoValidateOption = False,
    version: VersionOption = False,
) -> None:
    """Move 837 files from OUTBOUND to READY, fixed; originals to OUTBOUND/archive, refusals to rejected/."""
    from edi837.watcher import watch

    options = rule_options(rules, select, ignore, apply_review, None, no_validate)

    def action() -> int:
        logconfig.configure()
        return watch(outbound, to, options, once=once, settle=settle)

    raise typer.Exit(guarded(action))


@hook_app.command()
def hook_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The 837P file to fix in place.")],
    *,
    changelog: Annotated[
        Path | None, typer.Option("--changelog", metavar="PATH", help="Also write the change log here.")
    ] = None,
    summary_format: FormatOption = SummaryFormat.text,
    rules: RulesOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    apply_review: ApplyReviewOption = False,
    minutes: MinutesOption = None,
    no_validate: NoValidateOption = False,
    version: VersionOption = False,
) -> None:
    """Fix FILE in place, atomically; exit 0 upload, 1 needs a person, 2 refused (FILE untouched), 3 error."""
    from edi837.hook import fix_in_place

    options = rule_options(rules, select, ignore, apply_review, minutes, no_validate)
    raise typer.Exit(fix_in_place(file, changelog=changelog, as_json=summary_format is SummaryFormat.json,
                                  options=options))


def guarded(action: Callable[[], int]) -> int:
    """Run `action`, turning a refusal into exit 2 and anything unexpected into exit 3, in one line."""
    try:
        return action()
    except (Exception, KeyboardInterrupt) as error:  # the contract: one line, exit 2 or 3, no traceback
        code, message = outcome_of(error)
        print(f"edi-fix: {message}", file=sys.stderr)
        log.warning("run.ended", exit_code=code, code=type(error).__name__)
        return code


def fix_files(
    input_name: str,
    output_name: str,
    *,
    check: bool,
    diff: bool,
    changelog: Path | None,
    summary_format: SummaryFormat,
    options: FixOptions,
    report: Path | None = None,
) -> int:
    logconfig.configure()
    to_stdout = output_name == "-"
    terminal = sys.stderr if to_stdout else sys.stdout

    with ExitStack() as stack:
        opener, size = _input(input_name, stack)
        if size > PROGRESS_THRESHOLD and sys.stderr.isatty():
            options = replace(options, on_progress=stack.enter_context(_progress_bar(size)))

        if check:  # --check writes nothing at all
            changelog_path, report = None, None
        else:
            changelog_path = changelog
            if changelog_path is None and not to_stdout:
                changelog_path = Path(output_name + ".changes.jsonl")
        if not to_stdout:
            _refuse_bad_output(input_name, Path(output_name))
        protected = [Path(n) for n in (input_name, output_name) if n != "-"]
        if changelog_path is not None:
            refuse_unsafe_target(changelog_path, "change log", protected)
        if report is not None:
            refuse_unsafe_target(report, "report", [*protected, *([changelog_path] if changelog_path else [])])
        options = replace(options, keep_records=report is not None)  # the report needs them all; the log streams

        if check or to_stdout:
            sink: IO[bytes] | None = None
            if options.validate or to_stdout:
                sink = stack.enter_context(tempfile.TemporaryFile())
        else:
            # Exits in reverse order: the change log and report are committed just before the output.
            sink = stack.enter_context(AtomicWriter(Path(output_name))).handle
        if changelog_path is not None:
            options = replace(options, record_sink=stack.enter_context(ChangeLogWriter(changelog_path)).write)
        result = run(opener, sink, options)
        if to_stdout and not check and sink is not None:
            _copy_to_stdout(sink)
        if report is not None:
            _write_report(result, report, input_name, output_name)
        written = None if check else output_name

    names: dict[str, Any] = {
        "output": written,
        "changelog": str(changelog_path) if changelog_path else None,
        "report": str(report) if report else None,
        "check": check,
    }
    if diff and summary_format is SummaryFormat.text:
        terminal.write(diff_text(result.diff, before_name=input_name, after_name=output_name))
    if summary_format is SummaryFormat.json:
        print(summary_json(result, **names), file=terminal)
    else:
        print(summary_text(result, **names), file=terminal)
    if check:
        return EXIT_REVIEW if result.changed or result.exit_code else EXIT_OK
    return result.exit_code


def _input(name: str, stack: ExitStack) -> tuple[Callable[[], IO[bytes]], int]:
    if name == "-":
        spool = stack.enter_context(spool_stdin())
        size = spool.seek(0, os.SEEK_END)
        return (lambda: borrow(spool)), size
    path = Path(name)
    with open_input_path(path) as probe:  # refuses missing, directory, unreadable right away
        size = probe.seek(0, os.SEEK_END)
    return (lambda: open_input_path(path)), size


def _refuse_bad_output(input_name: str, out_path: Path) -> None:
    if input_name != "-" and out_path.exists() and os.path.samefile(input_name, out_path):
        raise InputRefused(f"{out_path}: OUT is the input file; use `edi-fix hook FILE` to fix a file in place")
    refuse_unsafe_target(out_path, "output", [])


def _write_report(result: FixResult, report: Path, input_name: str, output_name: str) -> None:
    from edi837.report import render_report

    with atomic_output(report) as handle:
        handle.write(render_report(result, input_name=input_name, output_name=output_name))


def _copy_to_stdout(sink: IO[bytes]) -> None:
    sink.seek(0)
    out = sys.stdout.buffer
    while chunk := sink.read(1 << 20):
        out.write(chunk)
    out.flush()


@contextmanager
def _progress_bar(total: int) -> Iterator[Callable[[int], None]]:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    with Progress(TextColumn("reading"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), transient=True) as bar:
        task = bar.add_task("read", total=total)
        yield lambda done: bar.update(task, completed=done)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: `edi-fix IN OUT`, `edi-fix watch ...`, `edi-fix hook ...`.

    The sub-commands are dispatched by hand so that `edi-fix IN OUT` stays a plain command (a file named
    like a sub-command can still be fixed as `edi-fix ./watch OUT`).
    """
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "watch":
        watch_app(args=args[1:], prog_name="edi-fix watch")
    elif args and args[0] == "hook":
        hook_app(args=args[1:], prog_name="edi-fix hook")
    elif args and args[0] == "ncci":
        from edi837.ncci.cli import main as ncci_main

        ncci_main(args[1:])
    else:
        app(args=args, prog_name="edi-fix")


__all__ = ["app", "fix_files", "guarded", "hook_app", "main", "watch_app"]
