"""Exceptions that cross module boundaries, each tied to one exit code of the CLI contract.

The CLI, the watcher and the hook turn these into exit codes and one-line messages; any other
exception is an internal error (exit 3). Keeping the mapping here means the three entry points
cannot disagree about what "refused" means.
"""

from __future__ import annotations


class InputRefused(Exception):
    """The input is not something edi837 may change (exit 2); nothing is written.

    The message is one line a billing clerk can act on. It never quotes patient data: it names
    segment positions, segment ids, element references and control numbers only.
    """

    exit_code = 2


class ValueRefused(InputRefused):
    """An edit would put a value into an element that the 837P definition does not allow.

    Raised by the writer before any byte is produced, so a bad rule or a bad pack value can
    never reach the output file.
    """


class RulePackError(InputRefused):
    """A rule pack (shipped or from `--rules`) cannot be loaded: its file and line are named."""


class GateFailed(InputRefused):
    """The output would carry a validation error that the input did not carry."""

    def __init__(self, message: str, new_errors: list[str]) -> None:
        super().__init__(message)
        self.new_errors = new_errors


def outcome_of(error: BaseException) -> tuple[int, str]:
    """The exit code and the one-line message for an exception that ends a run (CLI, hook, watcher):
    2 for a refusal, 3 for anything else; never a traceback."""
    if isinstance(error, InputRefused):
        return 2, f"refused: {error}"
    if isinstance(error, KeyboardInterrupt):
        return 3, "interrupted; nothing written"
    return 3, f"internal error: {type(error).__name__}: {error}"
