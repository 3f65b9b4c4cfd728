"""Where the NCCI database is: `--ncci-db PATH` (`--db PATH` for `edi-fix ncci ...`), else EDI837_NCCI_DB
(empty: none), else `ncci.sqlite3` in the per-user data folder. The rules, and why a named store that is
missing is refused while a missing per-user one is not, are shared with the ICD-10-CM store
(edi837.datafiles.location).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from edi837.datafiles.location import Choice, Location

ENV_VAR = "EDI837_NCCI_DB"
FILE_NAME = "ncci.sqlite3"
LOCATION = Location("--ncci-db", ENV_VAR, FILE_NAME, "NCCI database", "edi-fix ncci", "run without")

__all__ = ["ENV_VAR", "FILE_NAME", "LOCATION", "Choice", "choose", "default_path", "for_import", "for_run"]


def default_path() -> Path:
    """The per-user location of the database."""
    return LOCATION.default_path()


def choose(option: Path | Literal[False] | None) -> Choice:
    """The location the rules above give, whether or not a file is there."""
    return LOCATION.choose(option, default_path())


def for_run(option: Path | Literal[False] | None) -> Path | None:
    """The database a fix run reads, or None to run on the shipped pairs alone."""
    return LOCATION.for_run(option, default_path())


def for_import(option: Path | None) -> Path:
    """The database `edi-fix ncci import` writes (created with its folder when missing)."""
    return LOCATION.for_import(option, default_path())
