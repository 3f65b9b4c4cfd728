"""Which rules exist: the built-in families, in one list the engine selects from.

One place so the CLI, the watcher, the hook and the API all see the same rules, and so a rule's
code is unique (the registry refuses two rules with one code).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from edi837.engine import Rule, selected
from edi837.errors import RulePackError
from edi837.ncci_rules import RULES as NCCI_RULES
from edi837.packs import RulePacks
from edi837.unit_rules import RULES as UNIT_RULES

RuleFactory = Callable[[RulePacks], Rule]


def builtin_factories() -> list[RuleFactory]:
    return [*UNIT_RULES, *NCCI_RULES]


def build_rules(packs: RulePacks, select: Sequence[str], ignore: Sequence[str],
                factories: Sequence[RuleFactory] | None = None) -> list[Rule]:
    """Instantiate the selected rules for one run."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for factory in builtin_factories() if factories is None else factories:
        rule = factory(packs)
        if rule.code in seen:
            raise RulePackError(f"two rules share the code {rule.code}: {seen[rule.code]} and {rule.name}")
        seen[rule.code] = rule.name
        if selected(rule.code, select, ignore):
            rules.append(rule)
    return rules
