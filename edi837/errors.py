"""Exceptions that cross module boundaries, each tied to one exit code of the CLI contract, and the one
function that turns any of them into the single line a person sees.

The CLI, the watcher and the hook turn these into exit codes and one-line messages; any other
exception is an internal error (exit 3). Keeping the mapping here means the three entry points
cannot disagree about what "refused" means, or about what may be printed.
"""

from __future__ import annotations

import re
from pathlib import Path

from edi837.exits import ExitCode


class InputRefused(Exception):
    """The input is not something edi837 may change (exit 2); nothing is written.

    The message is one line a billing clerk can act on. It never quotes patient data: it names
    segment positions, segment ids, element references and control numbers only.
    """

    exit_code = ExitCode.REFUSED


class ValueRefused(InputRefused):
    """An edit would put a value into an element that the 837P definition does not allow.

    Raised by the writer before any byte is produced, so a bad rule or a bad pack value can
    never reach the output file.
    """


class RulePackError(InputRefused):
    """A rule pack (shipped or from `--packs`) cannot be loaded: its file and line are named."""


class GateFailed(InputRefused):
    """The output would carry a validation error that the input did not carry."""

    def __init__(self, message: str, new_errors: list[str]) -> None:
        super().__init__(message)
        self.new_errors = new_errors


class TargetRefused(InputRefused):
    """A place edi837 was asked to write that it must not: the input itself, or anything but a regular file
    (a device, a FIFO, a socket, a folder, a symbolic link). Exit 2 and nothing written, like any refusal;
    a separate class because the input itself may be fine (the batch then does not set it aside as refused).
    """


class OutputFailed(Exception):
    """An output could not be written whole (stdout closed or full, a disk full, a folder read-only).

    Exit 2 like a refusal, because it is not a bug and nothing was committed: a file output was never
    renamed into place; on stdout the message says the stream is incomplete. Its own prefix ("failed:")
    so that nobody reads it as a verdict on the input.
    """

    exit_code = ExitCode.REFUSED


# ANSI/VT escape sequences (CSI, OSC, two-byte ESC forms), then any other control character: C0, DEL,
# C1, the Unicode line and paragraph separators, and the bidirectional overrides that reorder a line.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
_SPACES = re.compile(r"\s{2,}")
MESSAGE_LIMIT = 2000


def printable(text: str) -> str:
    """`text` without escape sequences and with every control character turned into a space; spacing kept
    (for lines whose indentation matters, such as the summary's)."""
    return _CONTROL.sub(" ", _ANSI.sub("", text))


def one_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` made safe for a terminal, a log line or a reason file: escape sequences removed, every
    control character (CR, LF, NUL, ...) turned into a space, at most `limit` characters.

    Why here and not where each message is made: messages quote file names and control numbers that
    come from outside, and one forgotten call would let an input move the cursor or forge a second
    line; every channel that prints a message goes through this one function.
    """
    text = _SPACES.sub(" ", printable(text)).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def with_file(error: InputRefused, name: str) -> InputRefused:
    """The same refusal with the file it is about in front, unless it names a path already."""
    message = str(error)
    if message.startswith(f"{name}:") or isinstance(error, RulePackError):
        return error
    named = InputRefused.__new__(type(error))
    named.__dict__.update(error.__dict__)
    named.args = (f"{name}: {message}",)
    return named


def _where(error: BaseException) -> str:
    """`module.py:line` of the innermost frame in edi837's own code, for a bug report without data."""
    import traceback  # only for internal errors: kept off the start-up path

    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if f"{Path('edi837')}" in f.filename] or frames
    if not ours:
        return ""
    return f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}"


def outcome_of(error: BaseException) -> tuple[ExitCode, str]:
    """The exit code and the one-line message for an exception that ends a run (CLI, hook, watcher):
    REFUSED (2) for a refusal or an output that could not be written, INTERNAL (3) for anything else;
    never a traceback.

    An internal error names its type and where it happened, never its text: an exception raised on
    bad data can carry that data in its message (a KeyError of a name, a ValueError of a value).
    """
    if isinstance(error, InputRefused):
        return ExitCode.REFUSED, one_line(f"refused: {error}")
    if isinstance(error, OutputFailed):
        return ExitCode.REFUSED, one_line(f"failed: {error}")
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERNAL, "interrupted; nothing written"
    return ExitCode.INTERNAL, one_line(f"internal error: {type(error).__name__}{_where(error)}; nothing written "
                                       "(please report it)")
