"""What every command of `edi-fix` shares: how its typer app is made, the one-line failure, --version.

A refusal is exit 2 and one line on stderr, anything unexpected exit 3 and one line, never a traceback
(`guarded`); every command prints through the terminal module, which survives a closed stdout.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import suppress
from enum import StrEnum
from typing import Annotated

import typer

from edi837 import __version__
from edi837.delivery import terminal
from edi837.errors import OutputFailed, outcome_of
from edi837.exits import ExitCode
from edi837.files.atomic import remove_live_temps


class SummaryFormat(StrEnum):
    text = "text"
    json = "json"


FormatOption = Annotated[
    SummaryFormat, typer.Option("--format", metavar="text|json", help="Summary format (default text).")
]


def _version(value: bool) -> None:
    if value:
        terminal.emit(f"edi-fix {__version__}", sys.stdout, "stdout")
        raise typer.Exit()


VersionOption = Annotated[
    bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
]


def make_app(help_text: str) -> typer.Typer:
    """A typer app for one command: plain help (cli/app.py renders it), -h and --help, no completion."""
    return typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False,
                       context_settings={"help_option_names": ["-h", "--help"]}, help=help_text)


def guarded(action: Callable[[], int]) -> int:
    """Run `action`, turning a refusal into exit 2 and anything unexpected into exit 3, in one line."""
    try:
        return action()
    except (Exception, KeyboardInterrupt) as error:  # the contract: one line, exit 2 or 3, no traceback
        remove_live_temps()  # nothing of a failed run stays behind, even a temp file whose writer never started
        code, message = outcome_of(error)
        terminal.say(f"edi-fix: {message}")
        return code


def print_text(text: str) -> ExitCode:
    """Print `text` on stdout (a stdout that went away costs the text, not the exit code)."""
    with suppress(OutputFailed):
        terminal.emit(text, sys.stdout, "stdout")
    return ExitCode.OK
