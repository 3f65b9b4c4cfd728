"""The exit codes: one contract for every entry point (`edi-fix`, watch, hook, batch, ncci, icd10).

Scripts and clearinghouse clients branch on these numbers (the black/pre-commit convention): 0 written and
nothing needs a person; 1 written but something needs a person (review items, input validation errors,
held claims; with --check: something would change); 2 refused (bad input, a pack that cannot be loaded, an
output that could not be written), nothing committed; 3 internal error. The enum sits on the ground floor
because the code is decided below the command line: an exception's (errors.outcome_of), a run's
(FixResult.exit_code), a watcher's or a batch's tally.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    NEEDS_PERSON = 1
    REFUSED = 2
    INTERNAL = 3


__all__ = ["ExitCode"]
