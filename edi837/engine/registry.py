"""Which rules run: plugin discovery, the settings schemas packs check, selection, and instantiation.

The engine knows no rule: the built-in ones are listed by `edi837.rules` (whose `all_factories` adds the
plugins found here), so the import graph runs one way, rules -> engine. A rule's code is unique (two
rules with one code are refused).

Plugins register in the entry-point group `edi837.rules`; each entry point names a rule class (a subclass
of `edi837.engine.rule.Rule`, or any callable) that takes the loaded RulePacks and returns a rule: an
object with `code`, `name`, `wants(claim, context)` and `check(claim, context)` (and optionally `phase`
and `settings`). They are selected with --select/--ignore like built-in rules.

Selection is ruff's: `select` and `ignore` take codes or prefixes; the more specific one decides (select
NC, ignore NC002 keeps NC001), and a tie goes to ignore.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from edi837.errors import RulePackError
from edi837.packs import RulePacks, Schemas, Setting

if TYPE_CHECKING:
    from edi837.engine.context import ClaimContext
    from edi837.engine.findings import Finding
    from edi837.model.claim import Claim

PLUGIN_GROUP = "edi837.rules"


class RuleLike(Protocol):
    """What the engine needs of a rule: a stable code, a name, a cheap pre-check and a check."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    def wants(self, claim: Claim, context: ClaimContext) -> bool: ...

    def check(self, claim: Claim, context: ClaimContext) -> Iterable[Finding]: ...


RuleFactory = Callable[[RulePacks], RuleLike]


def selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """ruff-style selection: the longest matching prefix wins; ALL selects everything; ties ignore."""

    def best(prefixes: Sequence[str]) -> int:
        lengths = [0 if p == "ALL" else len(p) for p in prefixes if p == "ALL" or code.startswith(p)]
        return max(lengths, default=-1)

    chosen, dropped = best(select), best(ignore)
    return chosen >= 0 and chosen > dropped


def plugin_factories() -> list[RuleFactory]:
    """Rule factories registered by installed distributions; a plugin that fails to load is refused."""
    from importlib.metadata import entry_points

    factories: list[RuleFactory] = []
    for entry in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        try:
            factories.append(entry.load())
        except Exception as error:  # any import failure of third-party code is reported
            raise RulePackError(f"rule plugin {entry.name} ({entry.value}) could not be loaded: "
                                f"{type(error).__name__}: {error}") from None
    return factories


def rule_schemas(factories: Sequence[RuleFactory]) -> Schemas:
    """The settings every known rule declares, by code: what a pack's [rules.CODE] tables are checked
    against. A plugin that is not a class with a `code` declares none (its settings are not checked)."""
    schemas: dict[str, tuple[Setting, ...]] = {}
    for factory in factories:
        code = getattr(factory, "code", None)
        if isinstance(code, str):
            schemas[code] = tuple(getattr(factory, "settings", ()))
    schemas.setdefault("EDI001", ())
    schemas.setdefault("EDI002", ())
    return schemas


def build_rules(packs: RulePacks, select: Sequence[str], ignore: Sequence[str],
                factories: Sequence[RuleFactory]) -> list[RuleLike]:
    """Instantiate the selected rules for one run."""
    rules: list[RuleLike] = []
    seen: dict[str, str] = {}
    for factory in factories:
        rule = factory(packs)
        if rule.code in seen:
            raise RulePackError(f"two rules share the code {rule.code}: {seen[rule.code]} and {rule.name}")
        seen[rule.code] = rule.name
        if selected(rule.code, select, ignore):
            rules.append(rule)
    return rules
