"""The clearinghouse pre-submit hook: `edi-fix hook FILE` fixes FILE in place, atomically.

A clearinghouse upload client runs it before each upload and gates on the exit code: 0 upload;
1 written but findings need a person; 2 refused, FILE is byte-for-byte untouched; 3 internal error, FILE
untouched. The fixed file replaces FILE by an atomic rename with FILE's permissions, and only when
something changed. Nothing else is written beside FILE unless `--changelog` asks for it.
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from edi837 import log as logconfig
from edi837.changelog import ChangeLogWriter
from edi837.errors import outcome_of
from edi837.fileio import AtomicWriter, open_input_path, refuse_unsafe_target
from edi837.pipeline import FixOptions, FixResult, run
from edi837.summary import summary_dict, summary_text


def fix_in_place(path: Path, *, changelog: Path | None, as_json: bool, options: FixOptions) -> int:
    """Fix `path` in place; print the summary (JSON on stdout with `as_json`); return the exit code."""
    logconfig.configure()
    try:
        result = _fix(path, changelog, options)
    except (Exception, KeyboardInterrupt) as error:  # one line, exit 2 or 3, no traceback; FILE untouched
        return _fail(*outcome_of(error), as_json)
    data = summary_dict(result, output=str(path) if result.changed else None,
                        changelog=str(changelog) if changelog else None)
    if as_json:
        data["errors"] = []
        print(json.dumps(data, indent=2))
    else:
        print(summary_text(result, output=str(path) if result.changed else None,
                           changelog=str(changelog) if changelog else None), file=sys.stderr)
    return result.exit_code


def _fix(path: Path, changelog: Path | None, options: FixOptions) -> FixResult:
    with open_input_path(path):  # refuses a missing file, a directory, an unreadable file
        pass
    if changelog is not None:
        refuse_unsafe_target(changelog, "change log", [path])
    options = replace(options, keep_records=False)
    with ExitStack() as stack:
        writer = stack.enter_context(AtomicWriter(path, mode_like=path))
        if changelog is not None:  # committed just before FILE is replaced
            options = replace(options, record_sink=stack.enter_context(ChangeLogWriter(changelog)).write)
        result = run(lambda: open_input_path(path), writer.handle, options)
        writer.commit = result.changed  # an unchanged file is left alone, mtime included
    return result


def _fail(code: int, message: str, as_json: bool) -> int:
    print(f"edi-fix hook: {message}", file=sys.stderr)
    if as_json:
        print(json.dumps({"exit_code": code, "changed": False, "errors": [message]}, indent=2))
    return code
