"""Rule documentation from the rules themselves: `edi-fix rules`, `edi-fix rule CODE`, docs/rules.md.

Like `ruff rule`: the text is the rule class's docstring (its fixed sections) plus its declared settings
and tables, so what a billing manager reads is what the code does. Two Markdown blocks are generated from
the same source and sit between markers: `rules` (docs/rules.md: every rule's page) and `rule-list` (the
README's short list, linking into docs/rules.md). A test fails when either is stale;
`python -m edi837.cli.rule_docs --write docs/rules.md README.md` rewrites them.
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

from edi837.engine.registry import RuleFactory
from edi837.engine.rule import SECTIONS, Rule
from edi837.exits import ExitCode
from edi837.rules import documented_factories

PACKS = "packs"  # the shipped pack folder, as the docs and `edi-fix rule` name it
_MODULE = __spec__.name if __spec__ is not None else "edi837.cli.rule_docs"  # this module's name, also under -m
_SAFETY_WORDS = {"safe": "safe fix", "review": "review fix", "none": "no fix (reports only)"}
_BLOCK = re.compile(r"<!-- (?P<name>[a-z-]+):start[^\n]*-->\n.*?<!-- (?P=name):end -->", re.DOTALL)


def _rule_classes(factories: Sequence[RuleFactory] | None = None) -> list[type[Rule]]:
    """The documented rules (Rule subclasses), by code."""
    classes = [f for f in (documented_factories() if factories is None else factories)
               if isinstance(f, type) and issubclass(f, Rule)]
    return sorted(classes, key=lambda c: c.code)


def summary_of(rule: type[Rule]) -> str:
    text = rule.doc().summary.split(":", 1)[1].strip() if ":" in rule.doc().summary else rule.doc().summary
    return text[:1].upper() + text[1:]


def _table_file(table: str) -> str:
    return f"{PACKS}/{table}.toml"


def listing(factories: Sequence[RuleFactory] | None = None) -> str:
    """`edi-fix rules`: every rule, one line each (code, name, fix safety, on or off by default)."""
    factories = list(documented_factories() if factories is None else factories)
    lines = []
    for rule in _rule_classes(factories):
        state = "on" if rule.default_on else "off"
        lines.append(f"{rule.code}  {rule.name:<28} {_SAFETY_WORDS[rule.fix_safety]:<22} {state:<4} {summary_of(rule)}")
    return "\n".join(lines + plugin_lines(factories))


def plugin_lines(factories: Sequence[RuleFactory]) -> list[str]:
    """A line for each plugin rule that is not a Rule class (a factory): its code and name, always on."""
    lines = []
    for factory in factories:
        if not (isinstance(factory, type) and issubclass(factory, Rule)):
            code, name = getattr(factory, "code", "?"), getattr(factory, "name", getattr(factory, "__name__", "?"))
            lines.append(f"{code}  {name:<28} {'(plugin)':<22} on")
    return lines


def rule_page(code: str, factories: Sequence[RuleFactory] | None = None) -> str | None:
    """`edi-fix rule CODE`: one rule's documentation and settings, or None when no rule has the code."""
    for rule in _rule_classes(factories):
        if rule.code == code.upper():
            break
    else:
        return None
    doc = rule.doc()
    out = [f"{rule.code} {rule.name}", "", textwrap.fill(summary_of(rule), 100), ""]
    out.append(f"Fix safety: {_state(rule)}.")
    for section in SECTIONS:
        out += ["", f"## {section}", textwrap.fill(doc.sections.get(section, ""), 100)]
    out += ["", "## Settings ([rules." + rule.code + "] in config.toml or a payer profile)"]
    out += [f"- {s.describe()}" for s in rule.settings] or ["- none"]
    out += ["", "## Pack tables it reads", "- " + (", ".join(f"{t} ({_table_file(t)})" for t in rule.tables) or "none")]
    return "\n".join(out)


def _state(rule: type[Rule]) -> str:
    return f"{_SAFETY_WORDS[rule.fix_safety]}; {'on' if rule.default_on else 'off'} by default; phase {rule.phase}"


# --- the generated Markdown ------------------------------------------------------------------------------

def anchor(rule: type[Rule]) -> str:
    """The anchor of the rule's heading in docs/rules.md (a code and a kebab-case name: GitHub's slug)."""
    return f"{rule.code} {rule.name}".lower().replace(" ", "-")


def _prose(text: str) -> str:
    """A docstring section as one Markdown paragraph: lines joined, `*` outside code spans escaped
    (segment text such as DTP*472 would otherwise open emphasis)."""
    parts = " ".join(text.split()).split("`")
    return "`".join(part.replace("*", r"\*") if i % 2 == 0 else part for i, part in enumerate(parts))


def _cell(text: str) -> str:
    return _prose(text).replace("|", r"\|")


def rules_reference(factories: Sequence[RuleFactory] | None = None) -> str:
    """docs/rules.md's generated block: an index of the rules, then each rule's page."""
    rules = _rule_classes(factories)
    out = ["| code | name | fix | by default | in one line |", "|---|---|---|---|---|"]
    out += [f"| [{r.code}](#{anchor(r)}) | {r.name} | {r.fix_safety} | {'on' if r.default_on else 'off'} "
            f"| {_cell(summary_of(r))} |" for r in rules]
    for rule in rules:
        out += _rule_section(rule)
    return "\n".join(out)


def _rule_section(rule: type[Rule]) -> list[str]:
    doc = rule.doc()
    out = ["", f"## {rule.code} {rule.name}", "", _prose(summary_of(rule)), "", f"*{_state(rule).capitalize()}.*"]
    for section in SECTIONS:
        text = _prose(doc.sections.get(section, ""))
        out += ["", f"**{section}.** {text[:1].upper()}{text[1:]}"]
    if rule.settings:
        out += ["", f"**Settings** (`[rules.{rule.code}]` in `config.toml` or a payer profile):", ""]
        out += [f"- {_prose(s.describe())}" for s in rule.settings]
    else:
        out += ["", "**Settings:** none."]
    tables = ", ".join(f"`{t}` (`{_table_file(t)}`)" for t in rule.tables) or "none"
    return [*out, "", f"**Pack tables it reads:** {tables}."]


def rule_list(factories: Sequence[RuleFactory] | None = None) -> str:
    """The README's short list: code (a link to its page in docs/rules.md), fix safety, one line."""
    out = ["| rule | fix | what it looks for |", "|---|---|---|"]
    out += [f"| [{r.code}](docs/rules.md#{anchor(r)}) | {r.fix_safety} | {_cell(summary_of(r))} |"
            for r in _rule_classes(factories)]
    return "\n".join(out)


BLOCKS: dict[str, Callable[[], str]] = {"rules": rules_reference, "rule-list": rule_list}


def start(name: str) -> str:
    """A block's opening marker: it says how the block is made."""
    return (f"<!-- {name}:start (generated from the rule classes by `python -m {_MODULE} --write docs/rules.md "
            f"README.md`; do not edit by hand) -->")


def refreshed(text: str) -> str:
    """`text` with every generated block it holds made afresh; ValueError when it holds none."""
    found = [m.group("name") for m in _BLOCK.finditer(text)]
    unknown = sorted(set(found) - set(BLOCKS))
    if not found or unknown:
        raise ValueError(f"no generated rule block (unknown: {', '.join(unknown)})" if unknown
                         else "no generated rule block (<!-- rules:start ... --> ... <!-- rules:end -->)")
    fresh = {name: BLOCKS[name]() for name in set(found)}
    return _BLOCK.sub(lambda m: f"{start(m['name'])}\n{fresh[m['name']]}\n<!-- {m['name']}:end -->", text)


def _rewrite(mode: str, paths: Sequence[str]) -> int:
    stale: int = ExitCode.OK
    for name in paths:
        path = Path(name)
        current = path.read_text(encoding="utf-8")
        try:
            fresh = refreshed(current)
        except ValueError as problem:
            print(f"{path}: {problem}", file=sys.stderr)
            return ExitCode.REFUSED
        if mode == "--write" and fresh != current:
            path.write_text(fresh, encoding="utf-8")
        elif fresh != current:
            print(f"{path}: the generated rule documentation is stale; run python -m {_MODULE} --write {path}",
                  file=sys.stderr)
            stale = ExitCode.NEEDS_PERSON
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m edi837.cli.rule_docs --check|--write FILE...`, or `rules`, or `rule CODE`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["rules"]:
        print(listing())
        return ExitCode.OK
    if args[:1] == ["rule"] and len(args) == 2:
        page = rule_page(args[1])
        if page is None:
            print(f"edi-fix: no rule has the code {args[1]!r}; `edi-fix rules` lists them", file=sys.stderr)
            return ExitCode.REFUSED
        print(page)
        return ExitCode.OK
    if len(args) >= 2 and args[0] in ("--check", "--write"):
        return _rewrite(args[0], args[1:])
    print(f"usage: python -m {_MODULE} rules | rule CODE | --check FILE... | --write FILE...", file=sys.stderr)
    return ExitCode.REFUSED


if __name__ == "__main__":
    raise SystemExit(main())
