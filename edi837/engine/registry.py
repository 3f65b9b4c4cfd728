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

import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from edi837.engine.engine_rules import ENGINE_RULES
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


_entries: dict[tuple[str, ...], list[Any]] = {}


def _plugin_entries() -> list[Any]:
    """The group's entry points, looked up once per sys.path (the scan of every installed distribution
    costs milliseconds per run; a plugin installed later is seen by the next process, as with any import)."""
    from importlib.metadata import entry_points

    key = tuple(sys.path)
    if key not in _entries:
        _entries[key] = sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name)
    return _entries[key]


def plugin_factories() -> list[RuleFactory]:
    """Rule factories registered by installed distributions; a plugin that fails to load is refused."""
    factories: list[RuleFactory] = []
    for entry in _plugin_entries():
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
    for own in ENGINE_RULES:  # EDI001-EDI003 take a [rules.EDIxxx] table like any rule (they declare nothing)
        schemas.setdefault(own.code, own.settings)
    return schemas


def build_rules(packs: RulePacks, select: Sequence[str], ignore: Sequence[str],
                factories: Sequence[RuleFactory]) -> list[RuleLike]:
    """Instantiate the selected rules for one run; a code in `select`/`ignore` that names no rule is refused."""
    every: list[RuleLike] = []
    seen: dict[str, str] = {}
    for factory in factories:
        rule = factory(packs)
        if rule.code in seen:
            raise RulePackError(f"two rules share the code {rule.code}: {seen[rule.code]} and {rule.name}")
        seen[rule.code] = rule.name
        every.append(rule)
    check_codes(select, sorted(seen), "select")
    check_codes(ignore, sorted(seen), "ignore")
    return [rule for rule in every if selected(rule.code, select, ignore)]


def check_codes(codes: Sequence[str], known: Sequence[str], option: str) -> None:
    """Refuse a rule code or prefix that selects nothing: `--ignore NC01` (a typo of NC001) would otherwise
    quietly run the rule the user meant to switch off. The nearest code is named, as ruff does."""
    import difflib

    for code in codes:
        if code == "ALL" or any(k.startswith(code) for k in known):
            continue
        if any(own.code.startswith(code.upper()) for own in ENGINE_RULES):
            raise RulePackError(f"--{option} {code}: EDI001-EDI003 are the engine's own records, written wherever "
                                "they apply; they cannot be selected or ignored")
        near = difflib.get_close_matches(code.upper(), known, n=1, cutoff=0.5)
        hint = f"did you mean {near[0]}?" if near else f"rule codes: {', '.join(known)}"
        raise RulePackError(f"--{option} {code}: no rule has this code or prefix ({hint})")
