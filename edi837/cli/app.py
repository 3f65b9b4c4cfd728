"""`edi-fix`: the command line, a thin shell over the pipeline; this module dispatches to the commands.

Exit codes are a contract scripts and clearinghouse clients rely on (edi837/exits.py): 0 written and nothing
needs a person; 1 written but review items or input validation errors remain (or `--check` would change
the file); 2 input refused or an output that could not be written, nothing committed; 3 internal error.
Every refusal is one line on stderr, never a traceback; so is a usage error.

One module per command (fix, watch, hook, batch, rules, ncci, icd10, config, claims, ack, release, remit,
outcomes), each a typer app of its own; the run flags they share are cli/flags.py. `edi-fix IN OUT` is the
plain command, the others are dispatched by their first word (a file named like a command can still be fixed
as `edi-fix ./watch OUT`).
"""

from __future__ import annotations

import signal
import sys
from contextlib import suppress
from functools import cache
from types import FrameType
from typing import Any

import typer

from edi837.cli import ack, batch, claims, fix, hook, outcomes, release, remit, rules, watch
from edi837.cli import config as config_command
from edi837.cli import icd10 as icd10_command
from edi837.cli import ncci as ncci_command
from edi837.cli.common import print_text
from edi837.delivery import terminal
from edi837.errors import one_line, outcome_of
from edi837.exits import ExitCode
from edi837.files.atomic import remove_live_temps

EXIT_CODES = ("Exit codes: 0 written, nothing needs a person; 1 written, items need a person (with --check: "
              "something would change); 2 refused or an output could not be written, nothing committed; "
              "3 internal error.")

# The sub-commands, in the order `edi-fix --help` lists them; a new command registers here.
COMMANDS: dict[str, tuple[typer.Typer, str, str]] = {
    "watch": (watch.app, watch.USAGE, watch.ABOUT),
    "hook": (hook.app, hook.USAGE, hook.ABOUT),
    "batch": (batch.app, batch.USAGE, batch.ABOUT),
    "rules": (rules.rules_app, rules.RULES_USAGE, rules.RULES_ABOUT),
    "rule": (rules.rule_app, rules.RULE_USAGE, rules.RULE_ABOUT),
    "ncci": (ncci_command.app, ncci_command.USAGE, ncci_command.ABOUT),
    "icd10": (icd10_command.app, icd10_command.USAGE, icd10_command.ABOUT),
    "config": (config_command.app, config_command.USAGE, config_command.ABOUT),
    "claims": (claims.app, claims.USAGE, claims.ABOUT),
    "ack": (ack.app, ack.USAGE, ack.ABOUT),
    "release": (release.app, release.USAGE, release.ABOUT),
    "remit": (remit.app, remit.USAGE, remit.ABOUT),
    "outcomes": (outcomes.app, outcomes.USAGE, outcomes.ABOUT),
}
SELF_HELPING = ("ncci", "icd10")  # commands with sub-commands of their own, which answer --help themselves


@cache
def _command(name: str | None) -> Any:
    """The click command typer builds for `edi-fix` or a sub-command, built once per process (typer builds
    it on every call otherwise, a few milliseconds that in-process callers such as the fuzz test pay)."""
    from typer.main import get_command

    return get_command(COMMANDS[name][0] if name else fix.app)


def _help(name: str | None) -> str:
    if name is None:
        commands = {n: text for n, (_, _, text) in COMMANDS.items()}
        commands["help"] = "Show this help; `edi-fix help COMMAND` shows a command's."
        return terminal.render_help(_command(None), "edi-fix", usage="edi-fix IN OUT [OPTIONS]\n"
                                    "       edi-fix COMMAND ... (see Commands)", about=fix.ABOUT, commands=commands,
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

    The sub-commands are dispatched by hand so that `edi-fix IN OUT` stays a plain command. Returns the
    exit code.
    """
    terminal.reopen_closed_std_fds()
    args = list(sys.argv[1:] if argv is None else argv)
    name: str | None = None
    if args and args[0] == "help" and (len(args) == 1 or (len(args) == 2 and args[1] in COMMANDS)):
        return print_text(_help(args[1] if len(args) == 2 else None))
    if args and args[0] in COMMANDS:
        name, args = args[0], args[1:]
    options_part = args[: args.index("--")] if "--" in args else args
    if ("-h" in options_part or "--help" in options_part) and name not in SELF_HELPING:
        return print_text(_help(name))
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
        return ExitCode.REFUSED
    except (Exception, KeyboardInterrupt) as error:  # typer itself failing must still be one line
        remove_live_temps()  # an interrupt between a temp file's creation and its cleanup's registration
        failed, message = outcome_of(error)
        terminal.say(f"{prog}: {message}")
        return failed
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return int(code or ExitCode.OK)


__all__ = ["COMMANDS", "EXIT_CODES", "main"]
