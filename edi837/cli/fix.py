"""`edi-fix IN OUT`: fix one file into another, with its change log (and held file, report, diff).

The everyday command. IN is never changed; OUT, its change log, held file and report appear whole or not
at all (delivery/outputs.py). `-` reads stdin or writes stdout (the summary then goes to stderr).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from edi837 import log as logconfig
from edi837.cli.common import FormatOption, SummaryFormat, VersionOption, guarded, make_app
from edi837.cli.flags import RunFlags, run_flags
from edi837.delivery import terminal
from edi837.delivery.ledgering import NO_LEDGER, LedgerChoice
from edi837.delivery.outputs import Outputs
from edi837.errors import InputRefused, OutputFailed, TargetRefused, with_file
from edi837.exits import ExitCode
from edi837.files.leftovers import remove_stale_temps
from edi837.files.safety import open_input_path, refuse_unsafe_target
from edi837.files.streams import borrow, spool_stdin
from edi837.ledger.acks import AckBook, book_at
from edi837.ledger.recorder import Recorder
from edi837.ledger.store import LedgerUnavailable
from edi837.pipeline import FixOptions, FixResult
from edi837.report.summary import diff_text, summary_json, summary_text

PROGRESS_THRESHOLD = 4 * 1024 * 1024
ABOUT = ("Fix an X12 837P (005010X222A1) before it goes to the clearinghouse: NCCI modifiers, 8-minute-rule "
         "units, claim totals. Writes OUT and its change log OUT.changes.jsonl; IN is never changed.")

app = make_app(ABOUT)


@app.command()
@run_flags()
def fix_command(
    input_name: Annotated[str, typer.Argument(metavar="IN", help="The 837P file to fix, or - for stdin.")],
    output_name: Annotated[str, typer.Argument(metavar="OUT", help="Where the fixed file goes, or - for stdout.")],
    *,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if anything would change.")] = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="With --check: also exit 1 when review items or validation errors already in the input "
                         "remain.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Also print a segment-level diff.")] = False,
    report: Annotated[Path | None, typer.Option("--report", metavar="PATH", help="Write an HTML report.")] = None,
    changelog: Annotated[
        Path | None, typer.Option("--changelog", metavar="PATH", help="Change log path (default OUT.changes.jsonl).")
    ] = None,
    summary_format: FormatOption = SummaryFormat.text,
    held: Annotated[
        Path | None, typer.Option("--held", metavar="PATH", help="Where held claims go (default OUT.held.837; "
                                  "never replaced: taken, the next free PATH-2, PATH-3 ...).")
    ] = None,
    flags: RunFlags,
    version: VersionOption = False,
) -> None:
    """Fix IN and write OUT plus its change log (OUT.changes.jsonl)."""

    def action() -> int:
        run, _ = flags.configured(Path.cwd() if input_name == "-" else Path(input_name))
        return fix_files(input_name, output_name, check=check, diff=diff, changelog=changelog, report=report,
                         summary_format=summary_format, options=run.to_options(), strict=strict, held=held,
                         group_readable=run.group_readable, ledger=run.ledger_choice())

    raise typer.Exit(guarded(action))


@dataclass
class _Targets:
    """Where a run of `edi-fix IN OUT` writes, each checked before any work (None: not written)."""

    changelog: Path | None
    report: Path | None
    held: Path | None


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
    strict: bool = False,
    held: Path | None = None,
    group_readable: bool = False,
    ledger: LedgerChoice = NO_LEDGER,
) -> int:
    """Fix `input_name` into `output_name` (either `-`), commit the outputs, print the summary; the exit code."""
    logconfig.configure(quiet_on_terminal=True)
    to_stdout = output_name == "-"
    if to_stdout and not check and not terminal.stdout_usable():
        raise OutputFailed("stdout is closed; nothing written (give OUT as a file name)")
    if held is not None and not options.hold:
        raise InputRefused("--held PATH goes with --hold review|invalid")
    if options.hold and held is None and to_stdout and not check:
        raise InputRefused("--hold with OUT - needs --held PATH (where the held claims go)")
    with ExitStack() as stack:
        opener, size = _input(input_name, stack)
        targets = _targets(input_name, output_name, options, check=check, changelog=changelog, report=report,
                           held=held)
        progress = None
        if size > PROGRESS_THRESHOLD and sys.stderr is not None and sys.stderr.isatty():
            progress = stack.enter_context(terminal.progress_bar(size))
        held_spool = (stack.enter_context(tempfile.TemporaryFile()) if check and options.hold and options.validate
                      else None)
        modes: dict[str, Any] = {"group_readable": group_readable,
                                 "input_mode": None if input_name == "-" else os.stat(input_name).st_mode}
        if check:  # --check writes nothing, the ledger neither; it honours its acknowledgements as the run does
            modes["recorder"] = Recorder.collecting(_acknowledgements(ledger))
        else:
            modes["recorder"] = ledger.recorder("cli", input_name, options, opener=opener, size=size,
                                                group_readable=group_readable)
        if check or to_stdout:
            spool = stack.enter_context(tempfile.TemporaryFile()) if options.validate or to_stdout else None
            outputs = stack.enter_context(Outputs(sink=spool, changelog=targets.changelog, report=targets.report,
                                                  held=targets.held, held_sink=held_spool, **modes))
        else:
            outputs = stack.enter_context(Outputs(output=Path(output_name), changelog=targets.changelog,
                                                  report=targets.report, held=targets.held, **modes))
        try:
            result = outputs.run(opener, options, input_name=input_name, output_name=output_name,
                                 collect_diff=diff, on_progress=progress)
        except InputRefused as refused:
            raise with_file(refused, "stdin" if input_name == "-" else input_name) from None
        sink = outputs.sink
        if to_stdout and not check and sink is not None:
            sink.seek(0)
            terminal.write_bytes_to_stdout(iter(lambda: sink.read(1 << 20), b""))
        written = None if check or result.nothing_delivered else output_name
    code = result.exit_code
    if check:  # 1 only when something would change or be held; review items and input warnings too with --strict
        code = ExitCode.NEEDS_PERSON if result.changed or result.held or (strict and result.exit_code) else ExitCode.OK
    _summary(result, outputs, code, written, input_name, output_name, check=check, diff=diff,
             summary_format=summary_format)
    return code


def _acknowledgements(ledger: LedgerChoice) -> AckBook:
    """The ledger's live acknowledgements for a dry run, read only (a ledger that cannot be read refuses the
    check as it would the run, unless --ledger-best-effort: then none, as the run would go on without it)."""
    try:
        return book_at(ledger.path)
    except LedgerUnavailable as problem:
        if not ledger.best_effort:
            raise
        terminal.say(f"edi-fix: warning: the claims ledger was not read ({problem})")
        return AckBook()


def _targets(input_name: str, output_name: str, options: FixOptions, *, check: bool, changelog: Path | None,
             report: Path | None, held: Path | None) -> _Targets:
    """The change log, report and held file of the run, refused before any work when they would clobber the
    input, the output or each other; what a killed earlier run left beside each is removed."""
    to_stdout = output_name == "-"
    held_path = None if check or not options.hold else (held or Path(output_name + ".held.837"))
    if check:  # --check writes nothing at all
        changelog_path, report = None, None
    else:
        changelog_path = changelog
        if changelog_path is None and not to_stdout:
            changelog_path = Path(output_name + ".changes.jsonl")
    if not to_stdout:
        _refuse_bad_output(input_name, Path(output_name), writing=not check)
    protected = [Path(n) for n in (input_name, output_name) if n != "-"]
    if changelog_path is not None:
        refuse_unsafe_target(changelog_path, "change log", protected)
    if report is not None:
        refuse_unsafe_target(report, "report", [*protected, *([changelog_path] if changelog_path else [])])
    if held_path is not None:
        refuse_unsafe_target(held_path, "held file", [*protected, *(p for p in (changelog_path, report) if p)])
    for target in (Path(output_name) if not (to_stdout or check) else None, changelog_path, report, held_path):
        if target is not None:
            remove_stale_temps(target)  # what a killed earlier run left beside it
    return _Targets(changelog_path, report, held_path)


def _summary(result: FixResult, outputs: Outputs, code: int, written: str | None, input_name: str,
             output_name: str, *, check: bool, diff: bool, summary_format: SummaryFormat) -> None:
    """Print the diff and the summary. Everything is committed: a terminal that went away now costs the
    summary, not the exit code."""
    to_stdout = output_name == "-"
    terminal_stream = sys.stderr if to_stdout else sys.stdout
    stream_name = "stderr" if to_stdout else "stdout"
    names: dict[str, Any] = {
        "output": written,
        "changelog": _name(outputs.changelog_path),
        "report": _name(outputs.report_path),
        "check": check,
        "exit_code": code,
        "held_path": _name(outputs.held_path),
    }
    try:
        if diff and summary_format is SummaryFormat.text and result.diff:
            terminal.emit(diff_text(result.diff, before_name=input_name, after_name=output_name).rstrip("\n"),
                          terminal_stream, stream_name)
        text = summary_json(result, **names) if summary_format is SummaryFormat.json else summary_text(result, **names)
        terminal.emit(text, terminal_stream, stream_name)
    except OutputFailed as failed:
        if written and not to_stdout:
            terminal.say(f"edi-fix: wrote {written}; the summary was not printed ({failed})")


def _input(name: str, stack: ExitStack) -> tuple[Callable[[], IO[bytes]], int]:
    """How to open the input again and again (stdin is spooled once), and its size."""
    if name == "-":
        spool = stack.enter_context(spool_stdin())
        size = spool.seek(0, os.SEEK_END)
        return (lambda: borrow(spool)), size
    path = Path(name)
    with open_input_path(path) as probe:  # refuses missing, directory, unreadable right away
        size = probe.seek(0, os.SEEK_END)
    return (lambda: open_input_path(path)), size


def _refuse_bad_output(input_name: str, out_path: Path, *, writing: bool) -> None:
    if input_name != "-" and out_path.exists() and os.path.samefile(input_name, out_path):
        raise TargetRefused(f"{out_path}: OUT is the input file; use `edi-fix hook FILE` to fix a file in place")
    if writing:  # --check writes nothing: `edi-fix IN /dev/null --check` is fine
        refuse_unsafe_target(out_path, "output", [])


def _name(path: Path | None) -> str | None:
    return str(path) if path is not None else None
