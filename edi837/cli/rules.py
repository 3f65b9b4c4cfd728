"""`edi-fix rules` and `edi-fix rule CODE`: the rules' own documentation (cli/rule_docs.py), like `ruff rule`."""

from __future__ import annotations

from typing import Annotated

import typer

from edi837.cli.common import VersionOption, make_app, print_text
from edi837.errors import InputRefused

rules_app = make_app("List every rule: code, name, fix safety, on or off by default.")
rule_app = make_app("Show one rule's documentation and settings.")
RULES_USAGE, RULES_ABOUT = "edi-fix rules", "List every rule: code, name, fix safety, on or off by default."
RULE_USAGE, RULE_ABOUT = "edi-fix rule CODE", "Show one rule's documentation and settings (like `ruff rule`)."


@rules_app.command()
def rules_command(version: VersionOption = False) -> None:
    """List every rule (built-in and installed plugins) with its fix safety and default."""
    from edi837.cli.rule_docs import listing

    raise typer.Exit(print_text(listing()))


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
