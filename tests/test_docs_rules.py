"""docs/rules.md and the README's rule list are the rules' own documentation, generated from the rule classes;
editing a rule without regenerating them fails here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from edi837.cli.rule_docs import BLOCKS, anchor, refreshed
from edi837.engine.registry import rule_schemas
from edi837.engine.rule import SECTIONS
from edi837.rules import BUILTIN, all_factories

REPO = Path(__file__).resolve().parent.parent
GENERATED = [REPO / "docs" / "rules.md", REPO / "README.md"]


def test_the_generated_rule_docs_are_fresh() -> None:
    for page in GENERATED:
        text = page.read_text(encoding="utf-8")
        assert refreshed(text) == text, f"run: python -m edi837.cli.rule_docs --write {page.relative_to(REPO)}"


def test_every_rule_has_its_page_with_every_section() -> None:
    """Each rule's heading, its fixed sections, its settings and tables; the README lists each rule, linked."""
    rules_md = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for code in rule_schemas(all_factories()):
        assert code.startswith("EDI") or f"\n## {code} " in rules_md, code
    for rule in BUILTIN:
        page = rules_md.split(f"\n## {rule.code} {rule.name}\n", 1)[1].split("\n## ", 1)[0]
        for section in SECTIONS:
            assert f"**{section}.** " in page, (rule.code, section)
        for setting in rule.settings:
            assert f"- {setting.name} (" in page, (rule.code, setting.name)
        for table in rule.tables:
            assert f"`{table}` (`packs/{table}.toml`)" in page, (rule.code, table)
        assert f"[{rule.code}](docs/rules.md#{anchor(rule)})" in readme, rule.code


def test_check_reports_a_stale_page_and_write_refreshes_it(tmp_path: Path) -> None:
    """`--check` exits 1 on a hand-edited block and leaves it; `--write` regenerates it; text outside the
    markers is kept; a page without markers is refused (exit 2), not silently left alone."""
    fresh = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    stale = fresh.replace("**Why.** ", "**Why.** (edited by hand) ", 1)
    page = tmp_path / "rules.md"
    page.write_text("intro kept\n" + stale, encoding="utf-8")

    def docs(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "edi837.cli.rule_docs", *args], capture_output=True, text=True,
                              timeout=120, check=False, cwd=REPO)

    checked = docs("--check", str(page))
    assert checked.returncode == 1 and "stale" in checked.stderr
    assert page.read_text(encoding="utf-8") == "intro kept\n" + stale
    assert docs("--write", str(page)).returncode == 0
    assert page.read_text(encoding="utf-8") == "intro kept\n" + fresh
    assert docs("--check", str(page)).returncode == 0
    (tmp_path / "plain.md").write_text("# no markers\n", encoding="utf-8")
    refused = docs("--check", str(tmp_path / "plain.md"))
    assert refused.returncode == 2 and "no generated rule block" in refused.stderr
    assert set(BLOCKS) == {"rules", "rule-list"}
