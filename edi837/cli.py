"""`edi-fix`: the command line, a thin shell over `pipeline.run`.

Exit codes are a contract scripts and clearinghouse clients rely on (black/pre-commit style):
0 written and nothing needs a person; 1 written but review items or input validation errors
remain (or `--check` would change the file); 2 input refused, nothing written; 3 internal error.
Every refusal is one line on stderr, never a traceback.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import structlog
import typer

from edi837 import __version__
from edi837 import log as logconfig
from edi837.changelog import write_jsonl
from edi837.errors import InputRefused
from edi837.fileio import atomic_output, borrow, open_input_path, spool_stdin
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


app = typer.Typer(
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Fix an X12 837P (005010X222A1) before it goes to the clearinghouse.",
)


@app.command()
def fix_command(
    input_name: Annotated[str, typer.Argument(metavar="IN", help="The 837P file to fix, or - for stdin.")],
    output_name: Annotated[str, typer.Argument(metavar="OUT", help="Where the fixed file goes, or - for stdout.")],
    *,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if anything would change.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Also print a segment-level diff.")] = False,
    rules: Annotated[
        Path | None, typer.Option("--rules", metavar="DIR", help="A rule-pack folder layered over the shipped packs.")
    ] = None,
    select: Annotated[
        list[str] | None, typer.Option("--select", metavar="CODE", help="Run only these rules (codes or prefixes).")
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", metavar="CODE", help="Do not run these rules (codes or prefixes).")
    ] = None,
    apply_review: Annotated[
        bool, typer.Option("--apply-review", help="Also apply fixes whose applicability is 'review'.")
    ] = False,
    report: Annotated[Path | None, typer.Option("--report", metavar="PATH", help="Write an HTML report.")] = None,
    minutes: Annotated[
        Path | None,
        typer.Option("--minutes", metavar="FILE", help="CSV of treatment minutes: claim id, line number, minutes."),
    ] = None,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Skip the pyx12 gate (structural checks still run).")
    ] = False,
    changelog: Annotated[
        Path | None, typer.Option("--changelog", metavar="PATH", help="Change log path (default OUT.changes.jsonl).")
    ] = None,
    summary_format: Annotated[
        SummaryFormat, typer.Option("--format", help="Summary format on the terminal.")
    ] = SummaryFormat.text,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Fix IN and write OUT plus its change log (OUT.changes.jsonl)."""
    code = guarded(
        lambda: fix_files(
            input_name,
            output_name,
            check=check,
            diff=diff,
            changelog=changelog,
            report=report,
            summary_format=summary_format,
            options=FixOptions(
                validate=not no_validate,
                apply_review=apply_review,
                rules_dir=rules,
                select=tuple(select or ()),
                ignore=tuple(ignore or ()),
                minutes_file=minutes,
                collect_diff=diff,
            ),
        )
    )
    raise typer.Exit(code)


def guarded(action: Callable[[], int]) -> int:
    """Run `action`, turning a refusal into exit 2 and anything unexpected into exit 3, in one line."""
    try:
        return action()
    except InputRefused as refused:
        print(f"edi-fix: refused: {refused}", file=sys.stderr)
        log.warning("run.refused", exit_code=EXIT_REFUSED)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("edi-fix: interrupted; nothing written", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as error:
        print(f"edi-fix: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        log.error("run.failed", exit_code=EXIT_INTERNAL, code=type(error).__name__)
        return EXIT_INTERNAL


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
            options.on_progress = stack.enter_context(_progress_bar(size))

        changelog_path = changelog
        if changelog_path is None and not to_stdout and not check:
            changelog_path = Path(output_name + ".changes.jsonl")

        if check or to_stdout:
            sink: IO[bytes] | None = None
            if options.validate or to_stdout:
                sink = stack.enter_context(tempfile.TemporaryFile())
            result = run(opener, sink, options)
            if to_stdout and not check and sink is not None:
                _copy_to_stdout(sink)
            if not check:
                _write_side_files(result, changelog_path, report, input_name, output_name)
            written = None if check else "-"
        else:
            out_path = Path(output_name)
            _refuse_bad_output(input_name, out_path)
            with atomic_output(out_path) as sink:
                result = run(opener, sink, options)
                _write_side_files(result, changelog_path, report, input_name, output_name)
            written = str(out_path)

    names: dict[str, Any] = {
        "output": written,
        "changelog": str(changelog_path) if changelog_path and not check else None,
        "report": str(report) if report and not check else None,
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
    if out_path.is_dir():
        raise InputRefused(f"{out_path}: OUT is a directory; give a file name")
    if not out_path.parent.exists():
        raise InputRefused(f"{out_path.parent}: the output folder does not exist")
    if input_name != "-" and out_path.exists() and os.path.samefile(input_name, out_path):
        raise InputRefused(f"{out_path}: OUT is the input file; use `edi-fix hook FILE` to fix a file in place")


def _write_side_files(result: FixResult, changelog: Path | None, report: Path | None, input_name: str,
                      output_name: str) -> None:
    if report is not None:
        from edi837.report import render_report

        with atomic_output(report) as handle:
            handle.write(render_report(result, input_name=input_name, output_name=output_name))
    if changelog is not None:
        with atomic_output(changelog) as handle:
            text = io.TextIOWrapper(handle, encoding="utf-8", newline="\n")
            write_jsonl(result.records, text)
            text.flush()
            text.detach()


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
    """Console-script entry point: `edi-fix IN OUT`, `edi-fix watch ...`, `edi-fix hook ...`."""
    args = sys.argv[1:] if argv is None else argv
    app(args=args, prog_name="edi-fix")


__all__ = ["app", "fix_files", "guarded", "main"]
