"""`edi-fix rules` and `edi-fix rule CODE`: the rules' own documentation (cli/rule_docs.py), like `ruff rule`;
`edi-fix rules` shows each rule as the packs in force (cli/applicability.py) make it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edi837.cli.common import VersionOption, guarded, make_app, print_text
from edi837.cli.flags import SETTING_NAMES, RunFlags, run_flags
from edi837.errors import InputRefused

rules_app = make_app("List every rule: code, name, its fix under the packs in force, on or off, and why.")
rule_app = make_app("Show one rule's documentation and settings.")
RULES_USAGE = "edi-fix rules [PATH] [OPTIONS]"
RULES_ABOUT = "List every rule: code, name, its fix under the packs in force, on or off, and why."
RULE_USAGE, RULE_ABOUT = "edi-fix rule CODE", "Show one rule's documentation and settings (like `ruff rule`)."


@rules_app.command()
@run_flags(without=tuple(n for n in SETTING_NAMES if n not in ("packs", "select", "ignore", "apply_review")))
def rules_command(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="Where the configuration is found from (default: "
                                                             "here), as for a run on a file there.")] = Path("."),
    *,
    flags: RunFlags,
    version: VersionOption = False,
) -> None:
    """List every rule (built-in and installed plugins) with its fix in force under the packs, on or off, and why."""
    from edi837.cli.applicability import listing

    def action() -> int:
        run, _ = flags.configured(path)
        run.checked_options()  # what a run would refuse (--select ZZ999, a packs folder that does not load)
        return print_text(listing(run))

    raise typer.Exit(guarded(action))


@rule_app.command()
def rule_command(
    code: Annotated[str, typer.Argument(metavar="CODE", help="A rule code, like NC001.")],
    version: VersionOption = False,
) -> None:
    """Show what a rule does, why, an example, its fix safety, its source, its settings and tables."""
    from edi837.cli.rule_docs import rule_page

    page = rule_page(code)
    if page is None:
        raise InputRefused(f"no rule has the code {code!r}; `edi-fix rules` lists them")
    raise typer.Exit(print_text(page))
