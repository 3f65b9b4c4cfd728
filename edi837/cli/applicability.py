"""What each rule does under the packs in force, and why: the listing of `edi-fix rules`.

A rule's declared fix safety is not the whole answer. A review fix is applied when --apply-review (or
`apply_review = true` in a pack's config.toml) says so, or when the pack approves it through the setting
the rule names as its approval (NC002's `attest_separate_time_blocks = true`: the practice attests to
separate time blocks; off by default); a payer profile may change that setting for its payer's claims.
Whether a rule runs at all is the packs' `select`/`ignore` under the flags'. Each answer names where it
came from: a flag, the pack file that sets it, or the rule's own default; read the same way the run reads them
(pipeline/run.py's build_engine, engine/runner.py's apply test), so what this prints is what a run does.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edi837.cli.flags import RunFlags
from edi837.cli.rule_docs import plugin_lines, summary_of
from edi837.engine.registry import RuleFactory, rule_schemas, selected
from edi837.engine.rule import Rule
from edi837.packs import RulePacks, load_packs
from edi837.resources import data_dir
from edi837.rules import documented_factories


@dataclass(frozen=True)
class Effect:
    """One rule under the packs in force: does it run, what happens to its fixes, and where each came from."""

    on: bool
    on_from: str
    fix: str  # "safe fix, applied", "review fix, applied", "review fix, reported", "no fix (reports only)"
    fix_from: str  # why a review fix is applied or not; "" for safe fixes and reports


def listing(run: RunFlags, factories: Sequence[RuleFactory] | None = None) -> str:
    """`edi-fix rules`: a line per rule (code, name, its fix in force, on or off, what it does), and under each
    review fix or switched-off rule a line saying why."""
    factories = list(documented_factories() if factories is None else factories)
    effects = rule_effects(run, factories)
    lines = [f"packs: the shipped packs{f' + {run.packs}' if run.packs else ''}"]
    for rule in sorted((f for f in factories if isinstance(f, type) and issubclass(f, Rule)), key=lambda c: c.code):
        effect = effects[rule.code]
        lines.append(f"{rule.code}  {rule.name:<28} {effect.fix:<22} {'on' if effect.on else 'off':<4} "
                     f"{summary_of(rule)}")
        why = [w for w in (effect.fix_from, "" if effect.on else f"off: {effect.on_from}") if w]
        if why:
            lines.append(f"{'':<7}{'; '.join(why)}")
    return "\n".join(lines + plugin_lines(factories))


def rule_effects(run: RunFlags, factories: Sequence[RuleFactory]) -> dict[str, Effect]:
    """Each documented rule's Effect under `run`'s packs folder, selection and --apply-review."""
    packs = load_packs(run.packs, schemas=rule_schemas(factories))
    origins = _Origins(run.packs)
    select = tuple(run.select or ()) or packs.select
    ignore = (*packs.ignore, *(run.ignore or ()))
    out: dict[str, Effect] = {}
    for rule in (f for f in factories if isinstance(f, type) and issubclass(f, Rule)):
        on = selected(rule.code, select, ignore)
        if not on and run.ignore and selected(rule.code, select, packs.ignore):
            on_from = "--ignore"
        elif not on and selected(rule.code, select, ()):
            on_from = f"ignore in {origins.of('ignore')}"
        else:
            on_from = "--select" if run.select else f"select in {origins.of('select')}"
        out[rule.code] = Effect(on, on_from, *_fix(rule, run, packs, origins))
    return out


def _fix(rule: type[Rule], run: RunFlags, packs: RulePacks, origins: _Origins) -> tuple[str, str]:
    """A rule's fix in force and why (engine/runner.py applies a review fix that is approved, or all of them
    with apply_review)."""
    if rule.fix_safety == "safe":
        return "safe fix, applied", ""
    if rule.fix_safety != "review":
        return "no fix (reports only)", ""
    if run.apply_review:
        return "review fix, applied", "applied: --apply-review"
    if packs.apply_review:
        return "review fix, applied", f"applied: apply_review = true in {origins.of('apply_review')}"
    if rule.approval is None:
        return "review fix, reported", "reported: a person decides (--apply-review applies it)"
    said, payers = [], set()
    for name, approving in rule.approval:  # every setting must approve; the first that does not says why
        default = next(s.default for s in rule.settings if s.name == name)
        value = packs.rules.get(rule.code, {}).get(name, default)
        where = origins.of("rules", rule.code, name)
        words = f"{name} = {_toml(value)} ({f'in {where}' if where != 'default' else f'{rule.code} default'})"
        payers |= {p.key for p in packs.profiles if name in p.rules.get(rule.code, {})}
        if value != approving:
            varies = f"; payer profiles set it: {', '.join(sorted(payers))}" if payers else ""
            return "review fix, reported", f"reported: {words}{varies}"
        said.append(words)
    varies = f"; payer profiles set it: {', '.join(sorted(payers))}" if payers else ""
    return "review fix, applied", f"applied: {', '.join(said)}{varies}"

class _Origins:
    """Which config.toml sets a key: the --packs folder's over the shipped one's, else the default."""

    def __init__(self, user: Path | None) -> None:
        self.files = [f for f in ([user / "config.toml"] if user else []) + [data_dir("packs") / "config.toml"]
                      if f.is_file()]
        self.data = [tomllib.loads(f.read_text(encoding="utf-8")) for f in self.files]

    def of(self, *keys: str) -> str:
        for file, data in zip(self.files, self.data, strict=True):
            value: Any = data
            for key in keys:
                value = value.get(key) if isinstance(value, dict) else None
            if value is not None:
                return str(file)
        return "default"


def _toml(value: Any) -> str:
    """A setting's value as it is written in TOML."""
    if isinstance(value, bool):
        return str(value).lower()
    return f'"{value}"' if isinstance(value, str) else str(value)
