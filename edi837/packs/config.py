"""Configuration discovery, like ruff's: the settings a practice writes once instead of on every command.

Where: the input's folder and then each folder above it, the first of `edi837.toml` (its keys at the top)
or a `pyproject.toml` with a `[tool.edi837]` table (one without the table is passed over, as ruff passes
over a pyproject.toml without `[tool.ruff]`); when none is found, `edi837.toml` in the per-user config
folder (platformdirs' user_config_dir: $XDG_CONFIG_HOME/edi837 or ~/.config/edi837 on Linux). The first
file found is the whole configuration: files are not merged. `--config PATH` names the file instead;
`--isolated` reads none.

Order, highest first: a command-line flag; the environment variable of a data store (EDI837_NCCI_DB,
EDI837_ICD10_DB: what a deployment sets outranks a file in a folder it reads); the configuration file;
the built-in default. Relative paths resolve against the configuration file's own folder, so a file
means the same whichever folder a command runs from.

Why refuse an unknown key or a wrong type (one line naming the file, the line and the key, exit 2):
a typo such as `ncci_db` for `ncci-db` would otherwise be ignored and a run would quietly read another
database than the practice meant.

Every entry point (edi-fix IN OUT, hook, watch, batch, `edi-fix config`, `edi-fix rules`, and the
Python API when asked: `edi837.options_for`) reads it through `discover`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from edi837.errors import RulePackError
from edi837.packs.files import PackFile, check_keys, need

FILE_NAME = "edi837.toml"
PYPROJECT = "pyproject.toml"
# Files the watcher and the batch pass over in the folders they read: configuration, never an 837 to fix
# (taken as one, the watcher would move the practice's configuration to rejected/).
CONFIG_NAMES = (FILE_NAME, PYPROJECT)
HOLD_WORDS = ("review", "invalid")


@dataclass(frozen=True)
class Key:
    """One key of the file: its name there, the run setting it gives, its kind, the variable that outranks it."""

    name: str  # as written in the file: "ncci-db"
    setting: str  # the run setting (the flag's name in cli/flags.py): "ncci_db"
    kind: str  # path | bool | jobs | hold
    help: str
    env: str | None = None


KEYS = (
    Key("packs", "packs", "path", "a rule-pack folder layered over the shipped packs (as --packs DIR)"),
    Key("hold", "hold", "hold", 'which claims are held: a list of "review", "invalid"; [] holds none (as --hold)'),
    Key("ncci-db", "ncci_db", "path", "the CMS NCCI database (as --ncci-db)", env="EDI837_NCCI_DB"),
    Key("icd10-db", "icd10_db", "path", "the ICD-10-CM store (as --icd10-db)", env="EDI837_ICD10_DB"),
    Key("group-readable", "group_readable", "bool", "write patient-data files 0640, not 0600 (as --group-readable)"),
    Key("jobs", "jobs", "jobs", "processes for the rules on a large file (as --jobs)"),
    Key("ledger", "ledger", "path", "the claims ledger (a SQLite file; as --ledger)", env="EDI837_LEDGER"),
)
BY_NAME = {k.name: k for k in KEYS}
BY_SETTING = {k.setting: k for k in KEYS}


@dataclass(frozen=True)
class Config:
    """The configuration in force: the file it came from (None: none found, or --isolated) and its settings,
    by run-setting name, paths already resolved against the file's folder."""

    file: Path | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    def run_settings(self, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The settings a run takes from the file (by flag name): a store whose variable is set in `environ`
        is left to the variable, which outranks the file. The ledger is given as the flag takes it (a path)."""
        env = os.environ if environ is None else environ
        return {name: str(value) if name == "ledger" else value for name, value in self.values.items()
                if not (BY_SETTING[name].env and BY_SETTING[name].env in env)}

    @property
    def ledger(self) -> Path | None:
        """The claims ledger the file names (resolved), or None."""
        value = self.values.get("ledger")
        return value if isinstance(value, Path) else None

    def origin(self, setting: str, given: frozenset[str] = frozenset(),
               environ: Mapping[str, str] | None = None) -> str:
        """Where a setting's value comes from: `flag --x`, `env NAME`, the file's path, or `default`."""
        env = os.environ if environ is None else environ
        key = BY_SETTING[setting]
        if setting in given:
            return f"flag --{key.name}"
        if key.env and key.env in env:
            return f"env {key.env}"
        if setting in self.values:
            return str(self.file)
        return "default"


def user_config_file() -> Path:
    """`edi837.toml` in the per-user config folder (XDG_CONFIG_HOME respected on Linux)."""
    return platformdirs.user_config_path("edi837", appauthor=False) / FILE_NAME


def discover(start: Path, *, explicit: Path | None = None, isolated: bool = False) -> Config:
    """The configuration for a run whose input is `start` (a file: its folder; a folder: itself).

    `explicit` (--config PATH) is read instead of any other; `isolated` (--isolated) reads none.
    Raises RulePackError (exit 2), naming the file and the key, for a file that cannot be used.
    """
    if isolated and explicit is not None:
        raise RulePackError("--config and --isolated go one without the other")
    if isolated:
        return Config()
    if explicit is not None:
        if not explicit.is_file():
            raise RulePackError(f"{explicit}: --config names no file")
        return load(explicit)
    folder = Path(os.path.abspath(start))
    if not folder.is_dir():
        folder = folder.parent
    for place in (folder, *folder.parents):
        for name in (FILE_NAME, PYPROJECT):
            candidate = place / name
            if candidate.is_file():
                found = _read(candidate)
                if found is not None:
                    return found
    user = user_config_file()
    if user.is_file():
        return load(user)
    return Config()


def load(path: Path) -> Config:
    """One configuration file, checked (a pyproject.toml without `[tool.edi837]`, named by --config,
    configures nothing)."""
    return _read(path) or Config(Path(os.path.abspath(path)))


def _read(path: Path) -> Config | None:
    """One configuration file, checked; None for a pyproject.toml without `[tool.edi837]` (passed over)."""
    path = Path(os.path.abspath(path))
    file = PackFile(path, path.parent)
    where: tuple[str, ...] = ()
    table: Any = file.data
    if path.name == PYPROJECT:
        tool = file.data.get("tool")
        if not isinstance(tool, dict) or "edi837" not in tool:
            return None
        where, table = ("tool", "edi837"), need(tool["edi837"], dict, file, "tool", "edi837", what="must be a table")
    check_keys(table, BY_NAME, file, *where)
    values = {BY_NAME[name].setting: _value(BY_NAME[name], value, file, where, path.parent)
              for name, value in table.items()}
    return Config(path, values)


def _value(key: Key, value: Any, file: PackFile, where: tuple[str, ...], folder: Path) -> Any:
    """A key's value in the run setting's type, or a refusal naming the file, the line and the key."""
    keys = (*where, key.name)
    if key.kind == "bool":
        return need(value, bool, file, *keys, what="must be true or false")
    if key.kind == "jobs":
        jobs = need(value, int, file, *keys, what="must be a whole number")
        if jobs < 1:
            raise file.error(f"{key.name}: must be 1 or more", *keys)
        return jobs
    if key.kind == "hold":
        words = need(value, list, file, *keys, what=f"must be a list of {' and '.join(map(repr, HOLD_WORDS))}")
        for word in words:
            if word not in HOLD_WORDS:
                raise file.error(f"{key.name}: {word!r} is not one of {', '.join(HOLD_WORDS)}", *keys)
        return list(words) or ["none"]  # [] holds nothing, even where the command holds by default (watch)
    text = need(value, str, file, *keys, what="must be a path in quotes")
    if not text.strip():
        raise file.error(f"{key.name}: must not be empty", *keys)
    return Path(os.path.normpath(folder / Path(text).expanduser()))


__all__ = ["BY_SETTING", "CONFIG_NAMES", "FILE_NAME", "KEYS", "Config", "Key", "discover", "load", "user_config_file"]
