"""Which rules exist: the built-in families plus third-party plugins, in one list the engine selects from.

One place so the CLI, the watcher, the hook and the API all see the same rules, and so a rule's
code is unique (the registry refuses two rules with one code).

Plugins register in the entry-point group `edi837.rules`; each entry point names a rule class (or any
callable) that takes the loaded RulePacks and returns a rule: an object with `code`, `name`,
`wants(claim, context)` and `check(claim, context)` (and optionally `phase`). They are selected with
--select/--ignore like built-in rules.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from edi837.engine import Rule, selected
from edi837.errors import RulePackError
from edi837.ncci_rules import RULES as NCCI_RULES
from edi837.packs import RulePacks
from edi837.unit_rules import RULES as UNIT_RULES

RuleFactory = Callable[[RulePacks], Rule]


PLUGIN_GROUP = "edi837.rules"


def builtin_factories() -> list[RuleFactory]:
    return [*UNIT_RULES, *NCCI_RULES]


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


def build_rules(packs: RulePacks, select: Sequence[str], ignore: Sequence[str],
                factories: Sequence[RuleFactory] | None = None) -> list[Rule]:
    """Instantiate the selected rules for one run; a code in `select`/`ignore` that names no rule is refused."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    every: list[Rule] = []
    for factory in [*builtin_factories(), *plugin_factories()] if factories is None else factories:
        rule = factory(packs)
        if rule.code in seen:
            raise RulePackError(f"two rules share the code {rule.code}: {seen[rule.code]} and {rule.name}")
        seen[rule.code] = rule.name
        every.append(rule)
    check_codes(select, sorted(seen), "select")
    check_codes(ignore, sorted(seen), "ignore")
    for rule in every:
        if selected(rule.code, select, ignore):
            rules.append(rule)
    return rules


def check_codes(codes: Sequence[str], known: Sequence[str], option: str) -> None:
    """Refuse a rule code or prefix that selects nothing: `--ignore NC01` (a typo of NC001) would otherwise
    quietly run the rule the user meant to switch off. The nearest code is named, as ruff does."""
    import difflib

    for code in codes:
        if code == "ALL" or any(k.startswith(code) for k in known):
            continue
        near = difflib.get_close_matches(code.upper(), known, n=1, cutoff=0.5)
        hint = f"did you mean {near[0]}?" if near else f"rule codes: {', '.join(known)}"
        raise RulePackError(f"--{option} {code}: no rule has this code or prefix ({hint})")

