"""`edi-fix`: the command line, a thin shell over `pipeline.run`.

Exit codes are a contract scripts and clearinghouse clients rely on (black/pre-commit style):
0 written and nothing needs a person; 1 written but review items or input validation errors
remain (or `--check` would change the file); 2 input refused or an output that could not be written,
nothing committed; 3 internal error. Every refusal is one line on stderr, never a traceback; so is a
usage error.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack, suppress
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import FrameType
from typing import IO, Annotated, Any

import typer

from edi837 import __version__
from edi837 import log as logconfig
from edi837.delivery import terminal
from edi837.delivery.outputs import Outputs
from edi837.errors import InputRefused, OutputFailed, TargetRefused, one_line, outcome_of, with_file
from edi837.files.atomic import remove_live_temps
from edi837.files.leftovers import remove_stale_temps
from edi837.files.safety import open_input_path, refuse_unsafe_target
from edi837.files.streams import borrow, spool_stdin
from edi837.icd10.cli import app as icd10_app
from edi837.ncci.cli import app as ncci_app
from edi837.pipeline import FixOptions
from edi837.pipeline import hold as holding
from edi837.report.summary import diff_text, summary_json, summary_text

EXIT_OK, EXIT_REVIEW, EXIT_REFUSED, EXIT_INTERNAL = 0, 1, 2, 3
PROGRESS_THRESHOLD = 4 * 1024 * 1024


class SummaryFormat(StrEnum):
    text = "text"
    json = "json"


def _version(value: bool) -> None:
    if value:
        terminal.emit(f"edi-fix {__version__}", sys.stdout, "stdout")
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
JobsOption = Annotated[
    int | None,
    typer.Option("--jobs", metavar="N", min=1,
                 help="Processes for the rules on a file of 2 MB or more (default: the cores available; 1: this "
                      "one alone). "
                      "The output is the same bytes whatever N."),
]


class Validator(StrEnum):
    fast = "fast"
    pyx12 = "pyx12"


ValidatorOption = Annotated[
    Validator, typer.Option("--validator", metavar="fast|pyx12",
                            help="The gate: tables compiled from pyx12's maps with pyx12 as referee (default), "
                                 "or pyx12 over the whole file.")
]
NcciDbOption = Annotated[
    Path | None, typer.Option("--ncci-db", metavar="PATH", help="The CMS NCCI database (default: $EDI837_NCCI_DB, "
                              "then the per-user one; see edi-fix ncci status).")
]
NcciVersionOption = Annotated[
    list[str] | None,
    typer.Option("--ncci-version", metavar="VERSION", help="Pin an NCCI version, e.g. v322r0 or 2025-q4."),
]
Icd10DbOption = Annotated[
    Path | None, typer.Option("--icd10-db", metavar="PATH", help="The ICD-10-CM store (default: $EDI837_ICD10_DB, "
                              "then the per-user one, over the shipped releases; see edi-fix icd10 status).")
]
FormatOption = Annotated[
    SummaryFormat, typer.Option("--format", metavar="text|json", help="Summary format (default text).")
]
HoldOption = Annotated[
    list[str] | None,
    typer.Option("--hold", metavar="review|invalid",
                 help="Hold claims a person must see in a second 837P: 'review' (unapplied review items), "
                      "'invalid' (validation errors); repeatable."),
]
GroupReadableOption = Annotated[
    bool, typer.Option("--group-readable",
                       help="Write the files that carry patient data 0640 (the group may read them) instead of "
                            "0600, for an outbound folder shared with an uploader's group; never wider than the "
                            "input's own mode.")
]
VersionOption = Annotated[
    bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
]


def rule_options(rules: Path | None, select: list[str] | None, ignore: list[str] | None, apply_review: bool,
                 minutes: Path | None, no_validate: bool, ncci_db: Path | None = None,
                 ncci_version: list[str] | None = None, hold: list[str] | None = None,
                 default_hold: frozenset[str] = frozenset(), validator: Validator = Validator.fast,
                 jobs: int | None = None, icd10_db: Path | None = None) -> FixOptions:
    """The FixOptions every entry point builds from the options they share.

    Raises InputRefused for a hold policy that cannot be kept (--hold invalid without the gate)."""
    policy = holding.parse_policy(hold) if hold else default_hold
    if holding.INVALID in policy and no_validate:
        if hold:  # asked for: say why it cannot be done; the watcher's default just has nothing to find
            raise InputRefused("--hold invalid needs the validation gate; drop --no-validate")
        policy = policy - {holding.INVALID}
    return FixOptions(validate=not no_validate, validator=validator.value, apply_review=apply_review,
                      rules_dir=rules,
                      select=tuple(select or ()), ignore=tuple(ignore or ()), minutes_file=minutes,
                      ncci_db=ncci_db, ncci_version=tuple(ncci_version or ()), hold=policy, jobs=jobs,
                      icd10_db=icd10_db)


def _typer(help_text: str) -> typer.Typer:
    return typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False,
                       context_settings={"help_option_names": ["-h", "--help"]}, help=help_text)


ABOUT = ("Fix an X12 837P (005010X222A1) before it goes to the clearinghouse: NCCI modifiers, 8-minute-rule "
         "units, claim totals. Writes OUT and its change log OUT.changes.jsonl; IN is never changed.")
EXIT_CODES = ("Exit codes: 0 written, nothing needs a person; 1 written, items need a person (with --check: "
              "something would change); 2 refused or an output could not be written, nothing committed; "
              "3 internal error.")

app = _typer(ABOUT)
watch_app = _typer("Watch an outbound folder and move fixed 837 files to a ready folder.")
hook_app = _typer("Fix one 837 file in place before upload (for clearinghouse clients).")
batch_app = _typer("Fix every 837 file of a folder on Dask, each as `edi-fix IN OUT` would.")


@app.command()
def fix_command(
    input_name: Annotated[str, typer.Argument(metavar="IN", help="The 837P file to fix, or - for stdin.")],
    output_name: Annotated[str, typer.Argument(metavar="OUT", help="Where the fixed file goes, or - for stdout.")],
    *,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if anything would change.")] = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="With --check: also exit 1 when review items or validation errors already in the input "
                         "remain.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Also print a segment-level diff.")] = False,
    rules: RulesOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    apply_review: ApplyReviewOption = False,
    report: Annotated[Path | None, typer.Option("--report", metavar="PATH", help="Write an HTML report.")] = None,
    minutes: MinutesOption = None,
    no_validate: NoValidateOption = False,
    validator: ValidatorOption = Validator.fast,
    changelog: Annotated[
        Path | None, typer.Option("--changelog", metavar="PATH", help="Change log path (default OUT.changes.jsonl).")
    ] = None,
    summary_format: FormatOption = SummaryFormat.text,
    hold: HoldOption = None,
    held: Annotated[
        Path | None, typer.Option("--held", metavar="PATH", help="Where held claims go (default OUT.held.837; "
                                  "never replaced: taken, the next free PATH-2, PATH-3 ...).")
    ] = None,
    ncci_db: NcciDbOption = None,
    ncci_version: NcciVersionOption = None,
    icd10_db: Icd10DbOption = None,
    jobs: JobsOption = None,
    group_readable: GroupReadableOption = False,
    version: VersionOption = False,
) -> None:
    """Fix IN and write OUT plus its change log (OUT.changes.jsonl)."""

    def action() -> int:
        options = rule_options(rules, select, ignore, apply_review, minutes, no_validate, ncci_db, ncci_version,
                               hold=hold, validator=validator, jobs=jobs, icd10_db=icd10_db)
        return fix_files(input_name, output_name, check=check, diff=diff, changelog=changelog, report=report,
                         summary_format=summary_format, options=options, strict=strict, held=held,
                         group_readable=group_readable)

    raise typer.Exit(guarded(action))


@watch_app.command()
def watch_command(
    outbound: Annotated[Path, typer.Argument(metavar="OUTBOUND", help="The folder the practice system writes to.")],
    *,
    to: Annotated[Path, typer.Option("--to", metavar="READY", help="Where fixed files go for the uploader.")],
    once: Annotated[bool, typer.Option("--once", help="Process what is there, then exit (for cron).")] = False,
    settle: Annotated[
        float, typer.Option("--settle", metavar="SECONDS", help="A file is whole once unchanged this long (default 2).")
    ] = 2.0,
    rules: RulesOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    apply_review: ApplyReviewOption = False,
    no_validate: NoValidateOption = False,
    validator: ValidatorOption = Validator.fast,
    hold: Annotated[
        list[str] | None,
        typer.Option("--hold", metavar="review|invalid|none",
                     help="Which claims go to OUTBOUND/held/ instead of READY (default: review and invalid; "
                          "'none' delivers everything)."),
    ] = None,
    ncci_db: NcciDbOption = None,
    ncci_version: NcciVersionOption = None,
    group_readable: GroupReadableOption = False,
    icd10_db: Icd10DbOption = None,
    version: VersionOption = False,
) -> None:
    """Move 837 files from OUTBOUND to READY, fixed; originals to OUTBOUND/archive, refusals to rejected/."""
    from edi837.delivery.watch import watch

    def action() -> int:
        options = rule_options(rules, select, ignore, apply_review, None, no_validate, ncci_db, ncci_version,
                               hold=hold, default_hold=holding.WATCH_DEFAULT, validator=validator,
                               icd10_db=icd10_db)
        logconfig.configure()
        return watch(outbound, to, options, once=once, settle=settle, group_readable=group_readable)

    raise typer.Exit(guarded(action))


@hook_app.command()
def hook_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The 837P file to fix in place.")],
    *,
    changelog: Annotated[
        Path | None, typer.Option("--changelog", metavar="PATH", help="Change log path (default FILE.changes.jsonl; "
                                  "an earlier run's is never replaced: the next free numbered name).")
    ] = None,
    no_changelog: Annotated[bool, typer.Option("--no-changelog", help="Write no change log.")] = False,
    summary_format: FormatOption = SummaryFormat.text,
    rules: RulesOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    apply_review: ApplyReviewOption = False,
    minutes: MinutesOption = None,
    no_validate: NoValidateOption = False,
    validator: ValidatorOption = Validator.fast,
    hold: HoldOption = None,
    held: Annotated[
        Path | None, typer.Option("--held", metavar="PATH", help="Where held claims go (default FILE.held.837; "
                                  "never replaced: taken, the next free PATH-2, PATH-3 ...).")
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", metavar="PATH", help="Write an HTML report.")] = None,
    ncci_db: NcciDbOption = None,
    ncci_version: NcciVersionOption = None,
    icd10_db: Icd10DbOption = None,
    jobs: JobsOption = None,
    group_readable: GroupReadableOption = False,
    version: VersionOption = False,
) -> None:
    """Fix FILE in place, atomically; exit 0 upload, 1 needs a person, 2 refused (FILE untouched), 3 error."""
    from edi837.delivery.hook import fix_in_place

    if changelog is None and not no_changelog:
        changelog = Path(f"{file}.changes.jsonl")
    try:
        options = rule_options(rules, select, ignore, apply_review, minutes, no_validate, ncci_db, ncci_version,
                               hold=hold, validator=validator, jobs=jobs, icd10_db=icd10_db)
    except InputRefused as refused:
        code, message = outcome_of(refused)
        terminal.say(f"edi-fix hook: {message}")
        raise typer.Exit(code) from None
    raise typer.Exit(fix_in_place(file, changelog=None if no_changelog else changelog,
                                  as_json=summary_format is SummaryFormat.json, options=options, held=held,
                                  report=report, group_readable=group_readable))


@batch_app.command()
def batch_command(
    in_dir: Annotated[Path, typer.Argument(metavar="IN_DIR", help="The folder of 837P files to fix.")],
    *,
    to: Annotated[Path, typer.Option("--to", metavar="OUT_DIR",
                                     help="Where outputs, change logs, held/ and rejected/ go.")],
    recursive: Annotated[bool, typer.Option("--recursive", help="Also the files of IN_DIR's sub-folders.")] = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", metavar="N", min=1,
        help="Worker processes of the local Dask cluster (default: the cores).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="ADDRESS", help="An existing Dask scheduler (tcp://HOST:PORT; default: "
                                               "$DASK_SCHEDULER_ADDRESS, else a local cluster).")] = None,
    report: Annotated[bool, typer.Option("--report", help="Also write NAME.report.html for each file.")] = False,
    summary_format: FormatOption = SummaryFormat.text,
    rules: RulesOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    apply_review: ApplyReviewOption = False,
    no_validate: NoValidateOption = False,
    ncci_db: NcciDbOption = None,
    ncci_version: NcciVersionOption = None,
    icd10_db: Icd10DbOption = None,
    hold: Annotated[
        list[str] | None,
        typer.Option("--hold", metavar="review|invalid",
                     help="Hold claims a person must see in OUT_DIR/held/NAME, as the watcher does."),
    ] = None,
    validator: ValidatorOption = Validator.fast,
    split_above: Annotated[float, typer.Option(
        "--split-above", metavar="MB", min=0,
        help="Fix a file at least this large in claim chunks across the workers (default 8; 0: never).")] = 8.0,
    force: Annotated[bool, typer.Option(
        "--force", help="Fix every file again, even one whose outputs an earlier batch wrote from the same bytes "
                        "with the same edi837, rule packs and options.")] = False,
    group_readable: GroupReadableOption = False,
    version: VersionOption = False,
) -> None:
    """Fix each file of IN_DIR into OUT_DIR; exit 0 all clean, 1 review or held, 2 a file refused, 3 error."""

    def action() -> int:
        options = rule_options(rules, select, ignore, apply_review, None, no_validate, ncci_db, ncci_version,
                               hold=hold, validator=validator, icd10_db=icd10_db)
        from edi837.batch.cluster import DaskMissing
        from edi837.batch.run import batch, progress_bar

        try:
            summary = batch(in_dir, to, options, recursive=recursive, report=report, workers=workers,
                            scheduler=scheduler, follow=progress_bar, split_bytes=round(split_above * 1_000_000),
                            force=force, group_readable=group_readable)
        except DaskMissing as missing:  # how to install it is the whole message
            terminal.say(str(missing))
            return EXIT_REFUSED
        text = (json.dumps(summary.as_dict(), indent=2) if summary_format is SummaryFormat.json
                else summary.text(to))
        with suppress(OutputFailed):
            terminal.emit(text, sys.stdout, "stdout")
        return summary.exit_code

    raise typer.Exit(guarded(action))


def guarded(action: Callable[[], int]) -> int:
    """Run `action`, turning a refusal into exit 2 and anything unexpected into exit 3, in one line."""
    try:
        return action()
    except (Exception, KeyboardInterrupt) as error:  # the contract: one line, exit 2 or 3, no traceback
        remove_live_temps()  # nothing of a failed run stays behind, even a temp file whose writer never started
        code, message = outcome_of(error)
        terminal.say(f"edi-fix: {message}")
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
    strict: bool = False,
    held: Path | None = None,
    group_readable: bool = False,
) -> int:
    logconfig.configure(quiet_on_terminal=True)
    to_stdout = output_name == "-"
    terminal_stream = sys.stderr if to_stdout else sys.stdout
    if to_stdout and not check and not terminal.stdout_usable():
        raise OutputFailed("stdout is closed; nothing written (give OUT as a file name)")
    if held is not None and not options.hold:
        raise InputRefused("--held PATH goes with --hold review|invalid")
    if options.hold and held is None and to_stdout and not check:
        raise InputRefused("--hold with OUT - needs --held PATH (where the held claims go)")
    held_path = None if check or not options.hold else (held or Path(output_name + ".held.837"))

    with ExitStack() as stack:
        opener, size = _input(input_name, stack)
        progress = None
        if size > PROGRESS_THRESHOLD and sys.stderr is not None and sys.stderr.isatty():
            progress = stack.enter_context(terminal.progress_bar(size))

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
        held_spool = (stack.enter_context(tempfile.TemporaryFile()) if check and options.hold and options.validate
                      else None)
        modes: dict[str, Any] = {"group_readable": group_readable,
                                 "input_mode": None if input_name == "-" else os.stat(input_name).st_mode}
        if check or to_stdout:
            spool = stack.enter_context(tempfile.TemporaryFile()) if options.validate or to_stdout else None
            outputs = stack.enter_context(Outputs(sink=spool, changelog=changelog_path, report=report,
                                                  held=held_path, held_sink=held_spool, **modes))
        else:
            outputs = stack.enter_context(Outputs(output=Path(output_name), changelog=changelog_path, report=report,
                                                  held=held_path, **modes))
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

    code: int = result.exit_code
    if check:  # 1 only when something would change or be held; review items and input warnings too with --strict
        code = EXIT_REVIEW if result.changed or result.held or (strict and result.exit_code) else EXIT_OK
    names: dict[str, Any] = {
        "output": written,
        "changelog": _name(outputs.changelog_path),
        "report": _name(outputs.report_path),
        "check": check,
        "exit_code": code,
        "held_path": _name(outputs.held_path),
    }
    # Everything is committed: a terminal that went away now costs the summary, not the exit code.
    stream_name = "stderr" if to_stdout else "stdout"
    try:
        if diff and summary_format is SummaryFormat.text and result.diff:
            terminal.emit(diff_text(result.diff, before_name=input_name, after_name=output_name).rstrip("\n"),
                          terminal_stream, stream_name)
        text = summary_json(result, **names) if summary_format is SummaryFormat.json else summary_text(result, **names)
        terminal.emit(text, terminal_stream, stream_name)
    except OutputFailed as failed:
        if written and not to_stdout:
            terminal.say(f"edi-fix: wrote {written}; the summary was not printed ({failed})")
    return code


def _input(name: str, stack: ExitStack) -> tuple[Callable[[], IO[bytes]], int]:
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


rules_app = _typer("List every rule: code, name, fix safety, on or off by default.")
rule_app = _typer("Show one rule's documentation and settings.")


@rules_app.command()
def rules_command(version: VersionOption = False) -> None:
    """List every rule (built-in and installed plugins) with its fix safety and default."""
    from edi837.docs import listing

    raise typer.Exit(_print(listing()))


@rule_app.command()
def rule_command(
    code: Annotated[str, typer.Argument(metavar="CODE", help="A rule code, like NC001.")],
    version: VersionOption = False,
) -> None:
    """Show what a rule does, why, an example, its fix safety, its source, its settings and tables."""
    from edi837.docs import rule_page

    page = rule_page(code)
    if page is None:
        raise InputRefused(f"no rule has the code {code!r}; `edi-fix rules` lists them")
    raise typer.Exit(_print(page))


# --- dispatch --------------------------------------------------------------------------------------

# The sub-commands, in the order `edi-fix --help` lists them; a new command registers here.
COMMANDS: dict[str, tuple[typer.Typer, str, str]] = {
    "watch": (watch_app, "edi-fix watch OUTBOUND --to READY [OPTIONS]",
              "Watch OUTBOUND and move each 837 there, fixed, to READY (originals to OUTBOUND/archive)."),
    "hook": (hook_app, "edi-fix hook FILE [OPTIONS]",
             "Fix FILE in place before upload; for clearinghouse clients that run a pre-submit command."),
    "batch": (batch_app, "edi-fix batch IN_DIR --to OUT_DIR [OPTIONS]",
              "Fix every 837 file of IN_DIR into OUT_DIR on Dask (local cores, or a cluster)."),
    "rules": (rules_app, "edi-fix rules", "List every rule: code, name, fix safety, on or off by default."),
    "rule": (rule_app, "edi-fix rule CODE", "Show one rule's documentation and settings (like `ruff rule`)."),
    "ncci": (ncci_app, "edi-fix ncci import|status|lookup ...",
             "Load the CMS NCCI practitioner PTP and MUE files, list what is loaded, look an edit up."),
    "icd10": (icd10_app, "edi-fix icd10 import|status|lookup ...",
              "Load the CMS ICD-10-CM code files, list the dates of service covered, look a code up."),
}


@cache
def _command(name: str | None) -> Any:
    """The click command typer builds for `edi-fix` or a sub-command, built once per process (typer builds
    it on every call otherwise, a few milliseconds that in-process callers such as the fuzz test pay)."""
    from typer.main import get_command

    return get_command(COMMANDS[name][0] if name else app)


def _help(name: str | None) -> str:
    if name is None:
        commands = {n: text for n, (_, _, text) in COMMANDS.items()}
        commands["help"] = "Show this help; `edi-fix help COMMAND` shows a command's."
        return terminal.render_help(_command(None), "edi-fix", usage="edi-fix IN OUT [OPTIONS]\n"
                                    "       edi-fix COMMAND ... (see Commands)", about=ABOUT, commands=commands,
                                    footer=EXIT_CODES)
    _, usage, about = COMMANDS[name]
    return terminal.render_help(_command(name), f"edi-fix {name}", usage=usage, about=about, footer=EXIT_CODES)


def _usage_error_types() -> tuple[type[BaseException], ...]:
    """Click's ClickException (typer may vendor click), found without importing a private module."""
    return tuple(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds through the atomic writers, which remove their temporary files


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: `edi-fix IN OUT`, `edi-fix watch ...`, `edi-fix hook ...`, `edi-fix help`.

    The sub-commands are dispatched by hand so that `edi-fix IN OUT` stays a plain command (a file named
    like a sub-command can still be fixed as `edi-fix ./watch OUT`). Returns the exit code.
    """
    terminal.reopen_closed_std_fds()
    args = list(sys.argv[1:] if argv is None else argv)
    name: str | None = None
    if args and args[0] == "help" and (len(args) == 1 or (len(args) == 2 and args[1] in COMMANDS)):
        return _print(_help(args[1] if len(args) == 2 else None))
    if args and args[0] in COMMANDS:
        name, args = args[0], args[1:]
    options_part = args[: args.index("--")] if "--" in args else args
    # ncci's and icd10's sub-commands help themselves
    if ("-h" in options_part or "--help" in options_part) and name not in ("ncci", "icd10"):
        return _print(_help(name))
    prog = f"edi-fix {name}" if name else "edi-fix"
    previous: dict[int, Any] = {}
    if name != "watch":  # the watcher handles SIGTERM itself: it finishes the file in hand
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with suppress(ValueError, OSError):  # not the main thread
                previous[sig] = signal.signal(sig, _interrupt)
    try:
        code = _command(name)(args=args, prog_name=prog, standalone_mode=False)
    except _usage_error_types() as usage:
        message = str(getattr(usage, "format_message", usage.__str__)())
        terminal.say(f"{prog}: usage: {one_line(message)} (see {prog} --help)")
        return EXIT_REFUSED
    except (Exception, KeyboardInterrupt) as error:  # typer itself failing must still be one line
        remove_live_temps()  # an interrupt between a temp file's creation and its cleanup's registration
        failed, message = outcome_of(error)
        terminal.say(f"{prog}: {message}")
        return failed
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return int(code or 0)


def _print(text: str) -> int:
    with suppress(OutputFailed):
        terminal.emit(text, sys.stdout, "stdout")
    return EXIT_OK


__all__ = ["COMMANDS", "app", "fix_files", "guarded", "hook_app", "main", "rule_app", "rules_app", "watch_app"]
