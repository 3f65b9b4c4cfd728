"""`edi-fix config [PATH]`: the settings a run on PATH would use, and where each came from (like `ruff check
--show-settings`).

Why: with a configuration file found from the input's folder upwards, an environment variable and flags,
"which NCCI database did that run read?" needs an answer a person can get without reading code. Each
setting is shown with its source: `flag --x`, `env NAME`, the configuration file's path, or `default`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from edi837.cli.common import FormatOption, SummaryFormat, VersionOption, guarded, make_app, print_text
from edi837.cli.flags import SETTING_NAMES, RunFlags, run_flags
from edi837.icd10 import store as icd10_store
from edi837.ncci import paths as ncci_paths
from edi837.packs.config import BY_SETTING, KEYS, Config, user_config_file

app = make_app("Show the settings a run would use and where each came from.")
USAGE = "edi-fix config [PATH] [OPTIONS]"
ABOUT = "Show the effective settings for PATH (default: here) and where each came from."

# What a setting is when nothing sets it, in words (the stores' per-user files are shown with their path).
_DEFAULTS: dict[str, str] = {"packs": "the shipped packs only", "hold": "none (edi-fix watch: review, invalid)",
                             "group_readable": "false (0600)", "jobs": "the cores available", "ledger": "none"}


@app.command()
@run_flags(without=tuple(n for n in SETTING_NAMES if n not in BY_SETTING))  # the flags a file may set, and which file
def config_command(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="An input file or folder (default: here).")] = Path("."),
    *,
    summary_format: FormatOption = SummaryFormat.text,
    flags: RunFlags,
    version: VersionOption = False,
) -> None:
    """Print each setting's value and source for a run on PATH; exit 2 when the configuration is refused."""

    def action() -> int:
        run, config = flags.configured(path)
        run.checked_options()  # what a run would refuse (a packs folder that does not load, --hold x) is refused
        settings = effective(run, config)
        if summary_format is SummaryFormat.json:
            return print_text(json.dumps({"config_file": _text(config.file), "settings": settings}, indent=2))
        return print_text(text(config, settings, isolated=run.isolated))

    raise typer.Exit(guarded(action))


def effective(run: RunFlags, config: Config) -> dict[str, dict[str, Any]]:
    """Each configuration key: its value in force (None: not set) and where it came from."""
    out: dict[str, dict[str, Any]] = {}
    for key in KEYS:
        origin = config.origin(key.setting, run.given)
        if origin.startswith("env "):
            value: Any = os.environ[key.env or ""] or None  # set empty: no store
        elif key.setting == "ledger":
            value = config.ledger
        else:
            value = getattr(run, key.setting)
        if origin == "default" and key.setting in ("ncci_db", "icd10_db"):
            value = (ncci_paths if key.setting == "ncci_db" else icd10_store).LOCATION.default_path()
        out[key.name] = {"value": _text(value), "from": origin}
    return out


def text(config: Config, settings: dict[str, dict[str, Any]], *, isolated: bool = False) -> str:
    """The text form: the file in force, then one line per setting."""
    where = str(config.file) if config.file else f"none found (nor {user_config_file()})" if not isolated else \
        "none read (--isolated)"
    lines = [f"config file: {where}"]
    for name, entry in settings.items():
        value = entry["value"]
        if value is None:
            value = _DEFAULTS.get(name.replace("-", "_"), "none")
        elif isinstance(value, bool):
            value = str(value).lower()
        elif name.endswith("-db") and entry["from"] == "default":
            value = f"{value} (when it exists)"
        lines.append(f"{name:<15} {value}  [{entry['from']}]")
    return "\n".join(lines)


def _text(value: Any) -> Any:
    """A value as JSON shows it: paths as text, a hold list joined, anything else as it is."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return ", ".join(value)
    return value
