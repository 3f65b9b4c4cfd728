"""Where the NCCI database is: one rule for every way edi837 runs (CLI, watcher, hook, Python API).

1. `--ncci-db PATH` (`--db PATH` for `edi-fix ncci ...`), or `FixOptions.ncci_db` in the API;
2. else the environment variable EDI837_NCCI_DB (set it empty to run without a database);
3. else `ncci.sqlite3` in the per-user data folder (platformdirs: ~/.local/share/edi837 on Linux,
   ~/Library/Application Support/edi837 on macOS, %LOCALAPPDATA%\\edi837 on Windows).

Why a run refuses a database it was told to use but cannot find (1 and 2), yet quietly runs without
one when the per-user file does not exist (3): a mistyped path must not silently drop a practice to
the eleven hand-kept pairs, while a machine where nobody has imported the CMS files yet still works.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs

from edi837.errors import InputRefused

ENV_VAR = "EDI837_NCCI_DB"
FILE_NAME = "ncci.sqlite3"


def default_path() -> Path:
    """The per-user location of the database."""
    return platformdirs.user_data_path("edi837", appauthor=False) / FILE_NAME


@dataclass(frozen=True)
class Choice:
    """A database location and how it was chosen ("--ncci-db", "EDI837_NCCI_DB", "default" or "none")."""

    path: Path | None
    how: str


def choose(option: Path | Literal[False] | None) -> Choice:
    """The location the rules above give, whether or not a file is there."""
    if option is False:
        return Choice(None, "none")
    if option is not None:
        return Choice(option.expanduser(), "--ncci-db")
    env = os.environ.get(ENV_VAR)
    if env is not None:
        return Choice(Path(env).expanduser(), ENV_VAR) if env.strip() else Choice(None, ENV_VAR)
    return Choice(default_path(), "default")


def for_run(option: Path | Literal[False] | None) -> Path | None:
    """The database a fix run reads, or None to run on the shipped pairs alone."""
    choice = choose(option)
    if choice.path is None:
        return None
    if choice.how == "default":
        return choice.path if choice.path.is_file() and choice.path.stat().st_size > 0 else None
    if not choice.path.is_file():
        where = "--ncci-db" if choice.how == "--ncci-db" else ENV_VAR
        raise InputRefused(f"{where} names {choice.path}, which is not an NCCI database file; load one with "
                           f"`edi-fix ncci import --db {choice.path} FILE...` (or set {ENV_VAR} empty to run "
                           "without)")
    return choice.path


def for_import(option: Path | None) -> Path:
    """The database `edi-fix ncci import` writes (created with its folder when missing)."""
    choice = choose(option)
    if choice.path is None:
        raise InputRefused(f"{ENV_VAR} is set empty (no database); give --db PATH to say where to import")
    return choice.path
