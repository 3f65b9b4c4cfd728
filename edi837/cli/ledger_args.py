"""The claims ledger the ledger commands (`claims`, `ack`, `remit`, `outcomes`) work on, found as a run finds it.

Order: `--ledger PATH`, else $EDI837_LEDGER, else the `ledger` key of the configuration file discovered from
the working folder (`--config FILE` names it, `--isolated` reads none: edi837.packs.config), else the per-user
ledger. Why the same order as a run: a practice that names its ledger in edi837.toml would otherwise record
runs in one ledger and list, acknowledge and match remittances against another, empty one.

These commands read what runs recorded, so the ledger must be there already: `--ledger off`, $EDI837_LEDGER
set empty, or a path with no ledger is refused (one line naming the path, exit 2) and nothing is created:
a typo must not make an empty ledger that quietly records nothing anyone will find.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from edi837.errors import InputRefused

LedgerOption = Annotated[str | None, typer.Option(
    "--ledger", metavar="PATH", help="The claims ledger (default: $EDI837_LEDGER, then the configuration file's "
                                     "`ledger`, then the per-user one).")]
ConfigOption = Annotated[Path | None, typer.Option(
    "--config", metavar="FILE", help="Read this configuration file instead of the one found from the working "
                                     "folder upwards.")]
IsolatedOption = Annotated[bool, typer.Option("--isolated", help="Read no configuration file.")]


@dataclass(frozen=True)
class LedgerArgs:
    """What the command line said about the ledger: `--ledger`, `--config`, `--isolated`."""

    option: str | None = None
    config: Path | None = None
    isolated: bool = False

    def path(self) -> Path:
        """The ledger's path, whether or not one is there yet (InputRefused when none is named at all)."""
        from edi837.delivery.ledgering import OFF
        from edi837.ledger.store import LEDGER
        from edi837.packs.config import discover

        if self.option is not None:
            if self.option.strip().lower() in OFF:
                raise InputRefused(f"--ledger {self.option.strip()[:10]}: this command works on the claims "
                                   "ledger; give --ledger PATH")
            return Path(self.option).expanduser()
        env = os.environ.get(LEDGER.env_var)
        if env is not None:
            if not env.strip():
                raise InputRefused(f"no claims ledger: {LEDGER.env_var} is set empty (give --ledger PATH)")
            return Path(env).expanduser()
        found = discover(Path.cwd(), explicit=self.config, isolated=self.isolated).ledger
        return found if found is not None else LEDGER.default_path()

    def existing(self) -> Path:
        """`path`, refused (one line naming it, nothing created) when no ledger is there yet."""
        path = self.path()
        if not path.is_file():
            raise InputRefused(f"no claims ledger there yet: {path} (a run with the ledger on makes it)")
        return path


__all__ = ["ConfigOption", "IsolatedOption", "LedgerArgs", "LedgerOption"]
