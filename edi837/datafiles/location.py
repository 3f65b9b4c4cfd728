"""Where a CMS data store is: one rule for every way edi837 runs (CLI, watcher, hook, Python API).

1. the command-line option (`--ncci-db PATH`, `--icd10-db PATH`; `--db PATH` for the store's own
   commands), or the FixOptions field in the API;
2. else the store's environment variable (EDI837_NCCI_DB, EDI837_ICD10_DB; set it empty to run without);
3. else the store's file in the per-user data folder (platformdirs: ~/.local/share/edi837 on Linux,
   ~/Library/Application Support/edi837 on macOS, %LOCALAPPDATA%\\edi837 on Windows).

Why a run refuses a store it was told to use but cannot find (1 and 2), yet quietly runs without one when
the per-user file does not exist (3): a mistyped path must not silently drop a practice to the shipped
tables, while a machine where nobody has imported the CMS files yet still works.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs

from edi837.errors import InputRefused


@dataclass(frozen=True)
class Choice:
    """A store location and how it was chosen (the option's name, the variable's, "default" or "none")."""

    path: Path | None
    how: str


@dataclass(frozen=True)
class Location:
    """How one store is found: its option, environment variable, file name, and the words for messages."""

    option: str  # "--ncci-db"
    env_var: str  # "EDI837_NCCI_DB"
    file_name: str  # "ncci.sqlite3"
    what: str  # "NCCI database"
    commands: str  # "edi-fix ncci": its commands are "edi-fix ncci import", "edi-fix ncci status"
    without: str  # what a run does without it: "run on the shipped pairs"

    @property
    def import_command(self) -> str:
        return f"{self.commands} import"

    @property
    def status_command(self) -> str:
        return f"{self.commands} status"

    def default_path(self) -> Path:
        """The per-user location of the store."""
        return platformdirs.user_data_path("edi837", appauthor=False) / self.file_name

    def choose(self, option: Path | Literal[False] | None, default: Path | None = None) -> Choice:
        """The location the rules above give, whether or not a file is there (`default`: the per-user file,
        when the caller decides it)."""
        if option is False:
            return Choice(None, "none")
        if option is not None:
            return Choice(option.expanduser(), self.option)
        env = os.environ.get(self.env_var)
        if env is not None:
            return Choice(Path(env).expanduser(), self.env_var) if env.strip() else Choice(None, self.env_var)
        return Choice(default or self.default_path(), "default")

    def for_run(self, option: Path | Literal[False] | None, default: Path | None = None) -> Path | None:
        """The store a fix run reads, or None to run without one."""
        choice = self.choose(option, default)
        if choice.path is None:
            return None
        if choice.how == "default":
            return choice.path if choice.path.is_file() and choice.path.stat().st_size > 0 else None
        if not choice.path.is_file():
            raise InputRefused(f"{choice.how} names {choice.path}, which is not an {self.what} file; load one with "
                               f"`{self.import_command} --db {choice.path} FILE...` (or set {self.env_var} empty to "
                               f"{self.without})")
        return choice.path

    def for_import(self, option: Path | None, default: Path | None = None) -> Path:
        """The store an import writes (created with its folder when missing)."""
        choice = self.choose(option, default)
        if choice.path is None:
            raise InputRefused(f"{self.env_var} is set empty (no database); give --db PATH to say where to import")
        return choice.path
