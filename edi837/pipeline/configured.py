"""The Python API's way to the configuration file: `edi837.options_for(path)`, only when the caller asks.

Why not inside `edi837.fix`: a library call that changed with the folder a process runs in, or with a
file in a user's home, would make the same bytes give different outputs in a web server and in a test;
`fix` stays pure, and a caller who wants what `edi-fix` would do on a file asks for it here. The file is
found exactly as the command line finds it (edi837.packs.config.discover), with the same order: a
store's environment variable outranks the file, the keywords given here (FixOptions' fields) outrank both.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from edi837.packs.config import discover
from edi837.pipeline import hold as holding
from edi837.pipeline.options import FixOptions

# FixOptions' field for each run setting a configuration file may give (group_readable is about files the
# command line writes; the API writes none).
_FIELDS = {"packs": "packs_dir", "ncci_db": "ncci_db", "icd10_db": "icd10_db", "jobs": "jobs"}


def options_for(path: str | os.PathLike[str], *, config: str | os.PathLike[str] | None = None,
                isolated: bool = False, **settings: Any) -> FixOptions:
    """The FixOptions of the configuration found from `path` (a file: its folder, then each folder above, then
    the per-user one; `config` names the file instead), with `settings` (FixOptions' fields) over it.
    Raises InputRefused (a RulePackError) naming the file and the key when the file cannot be used."""
    found = discover(Path(path), explicit=Path(config) if config is not None else None, isolated=isolated)
    values = found.run_settings()
    fields: dict[str, Any] = {field: values[name] for name, field in _FIELDS.items() if name in values}
    if "hold" in values:
        fields["hold"] = holding.parse_policy(values["hold"])
    return replace(FixOptions(**fields), **settings)
