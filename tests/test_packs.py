"""Rule packs: shipped data, user layering key by key, profile precedence, and refusal of broken packs."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from edi837.engine.registry import rule_schemas, selected
from edi837.errors import RulePackError
from edi837.packs import load_packs
from edi837.pipeline import FixOptions, fix
from edi837.rules import all_factories
from edi837.writer.edits import SetUnits
from tests.helpers import FIXTURES
from tests.rules_for_tests import ScriptedRule


def test_shipped_packs_load_with_sources() -> None:
    packs = load_packs()
    assert all(pair.source for pair in packs.pairs)
    assert all(entry.source for entry in packs.regions.values())
    (cmt,) = [p for p in packs.pairs if p.label == "98940/97140"]
    assert cmt.modifier_indicator == 1
    assert (cmt.active_on(date(2026, 3, 2)), cmt.active_on(date(2001, 1, 1))) == (True, False)
    assert packs.region_of("M99.03") == ("lumbar", True)
    assert packs.region_of("S134XXA") == ("cervical", True)  # prefix S13.4 matches the 7-character code
    assert packs.region_of("M9900") == (None, False)  # unknown by default
    assert packs.profile_for("ANY", "MB").key == "payers/medicare.toml"
    assert packs.profile_for("ANY", "CI").key == "payers/commercial.toml"
    assert packs.modifier_rank("59") < packs.modifier_rank("51") < packs.modifier_rank("GP") < packs.modifier_rank("RT")


def test_the_shipped_packs_repeat_no_default() -> None:
    """A default is said once: by the rule that declares the setting (its Setting) or by the loader for
    config.toml's own keys (CONFIG_DEFAULTS). A shipped config.toml or payer profile value equal to the default
    it would otherwise get is a second copy that can drift from the first."""
    import tomllib

    from edi837.packs import CONFIG_DEFAULTS
    from edi837.resources import data_dir

    shipped = data_dir("packs")
    schemas = rule_schemas(all_factories())
    config = tomllib.loads((shipped / "config.toml").read_text())
    repeats = [f"config.toml {key}" for key, default in CONFIG_DEFAULTS.items()
               if key in config and config[key] == default]
    in_force = {code: {s.name: s.default for s in schemas[code]} for code in schemas}
    for code, table in config.get("rules", {}).items():
        repeats += [f"config.toml [rules.{code}] {key}" for key, value in table.items()
                    if _same(value, in_force[code][key])]
        in_force[code].update(table)
    for profile in sorted((shipped / "payers").glob("*.toml")):  # over the defaults and config.toml
        for code, table in tomllib.loads(profile.read_text()).get("rules", {}).items():
            repeats += [f"payers/{profile.name} [rules.{code}] {key}" for key, value in table.items()
                        if _same(value, in_force[code][key])]
    assert repeats == []


def test_a_repeated_default_would_be_seen() -> None:
    assert _same(["98940", "98941"], ("98940", "98941")) and not _same(["98940"], ["98941"])
    assert _same("fix", "fix") and not _same("review", "fix")


def _same(value: object, default: object) -> bool:
    if isinstance(value, list | tuple) and isinstance(default, list | tuple):
        return list(value) == list(default)
    return value == default


def test_user_folder_overrides_key_by_key(tmp_path: Path) -> None:
    (tmp_path / "payers").mkdir()
    (tmp_path / "payers" / "medicare.toml").write_text('[payer]\ndistinct_modifier = "XS"\n')
    (tmp_path / "ncci.toml").write_text(
        '[[pair]]\ncolumn1 = "98940"\ncolumn2 = "97140"\neffective = 2002-04-01\nmodifier_indicator = 0\n'
        '[[pair]]\ncolumn1 = "97110"\ncolumn2 = "97140"\nmodifier_indicator = 1\neffective = 2026-01-01\n'
        'source = "our payer contract"\n')
    packs = load_packs(tmp_path)
    medicare = packs.profile_for("X", "MB")
    # one key overridden, the rest of the shipped file kept
    assert (medicare.distinct_modifier, medicare.unit_method, medicare.name) == ("XS", "cms-total", "Medicare Part B")
    assert medicare.user
    (cmt,) = [p for p in packs.pairs if p.label == "98940/97140"]
    assert (cmt.modifier_indicator, cmt.source.startswith("chiro.org")) == (0, True)
    assert any(p.label == "97110/97140" and p.source == "our payer contract" for p in packs.pairs)


def test_profile_precedence_specific_first_then_user(tmp_path: Path) -> None:
    (tmp_path / "payers").mkdir()
    (tmp_path / "payers" / "everyone.toml").write_text('[payer]\nname = "All ours"\ndefault = true\n')
    packs = load_packs(tmp_path)
    assert packs.profile_for("X", "CI").name == "All ours"  # ties the shipped default: the user's wins
    assert packs.profile_for("X", "MB").name == "Medicare Part B"  # the shipped SBR09 match is more specific
    (tmp_path / "payers" / "our_medicare.toml").write_text('[payer]\nname = "Our MB"\nclaim_filing = ["MB"]\n')
    assert load_packs(tmp_path).profile_for("X", "MB").name == "Our MB"  # same specificity: the user's wins


def test_overriding_the_shipped_default_leaves_medicare_alone(tmp_path: Path) -> None:
    """Found in review: a one-key override of commercial.toml used to outrank the Medicare profile."""
    (tmp_path / "payers").mkdir()
    (tmp_path / "payers" / "commercial.toml").write_text('[payer]\ndistinct_modifier = "XS"\n')
    packs = load_packs(tmp_path)
    assert packs.profile_for("X", "MB").unit_method == "cms-total"
    assert packs.profile_for("X", "CI").distinct_modifier == "XS"


@pytest.mark.parametrize("text, line, words", [
    ('[[pair]]\ncolumn1 = "97012"\ncolumn2 = "97140"\nmodifier_indicator = 2\neffective = 2020-01-01\n'
     'source = "x"\n', 4, "modifier_indicator must be 0, 1 or 9"),
    ('[[pair]]\ncolumn1 = "97012"\ncolumn2 = "97140"\nmodifier_indicator = 1\neffective = "2020-01-01"\n'
     'source = "x"\n', 5, "YYYY-MM-DD"),
    ('[[pair]]\ncolumn1 = "9701"\n', 2, "not a 5-character"),
    ('[[pair]\ncolumn1 = "97012"\n', 1, "not valid TOML"),
])
def test_broken_pack_names_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    (tmp_path / "ncci.toml").write_text(text)
    with pytest.raises(RulePackError) as error:
        load_packs(tmp_path)
    message = str(error.value)
    assert str(tmp_path / "ncci.toml") in message and f"line {line}" in message and words in message


def test_broken_payer_profile(tmp_path: Path) -> None:
    (tmp_path / "payers").mkdir()
    (tmp_path / "payers" / "acme.toml").write_text('[payer]\nname = "Acme"\npayer_ids = ["A1"]\n'
                                                   'distinct_modifier = "XX"\n')
    with pytest.raises(RulePackError, match=r"acme.toml line 4: payer.distinct_modifier 'XX'"):
        load_packs(tmp_path)


def test_cli_refuses_a_broken_pack_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "regions.toml").write_text('[codes]\n"M25.51" = { region = "shoulder", source = "x" }\n')
    proc = subprocess.run([sys.executable, "-m", "edi837", str(FIXTURES / "walker_loops.837"),
                           str(tmp_path / "out.837"), "--packs", str(tmp_path / "pack")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "regions.toml line 2" in proc.stderr and "'shoulder' is not one of" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out.837").exists()


@pytest.mark.parametrize("code, select, ignore, on", [
    ("NC001", ["ALL"], [], True),
    ("NC001", ["NC"], ["NC002"], True),
    ("NC002", ["NC"], ["NC002"], False),
    ("NC002", ["NC002"], ["NC"], True),  # the more specific entry wins
    ("NC001", ["ALL"], ["ALL"], False),
    ("NC001", ["TU"], [], False),
    ("NC001", ["NC001"], ["NC001"], False),  # a tie goes to ignore
])
def test_selection_is_ruff_like(code: str, select: list[str], ignore: list[str], on: bool) -> None:
    assert selected(code, select, ignore) is on


def test_select_on_the_demo_file() -> None:
    data = (Path(__file__).resolve().parent.parent / "examples" / "clinic-week.837").read_bytes()
    only_nc002 = fix(data, FixOptions(select=("NC002",), validate=False))
    assert {r.rule for r in only_nc002.records} == {"NC002"}
    without_nc = fix(data, FixOptions(ignore=("NC",), validate=False))
    assert not any(r.rule.startswith("NC") for r in without_nc.records)


def test_colliding_fixes_are_resolved_in_code_order_and_logged() -> None:
    data = (FIXTURES / "walker_loops.837").read_bytes()
    first = ScriptedRule({"CLAIM-B2": (SetUnits(1, Decimal(1)),)}, code="TST001")
    second = ScriptedRule({"CLAIM-B2": (SetUnits(1, Decimal(2)),)}, code="TST002")
    result = fix(data, FixOptions(ignore=("ALL",), extra_rules=(second, first), validate=False))
    assert result.output is not None and b"SV1*HC:97530*45.00*UN*1***1" in result.output
    applied, refused = result.records
    assert (applied.rule, applied.applied) == ("TST001", True)
    assert (refused.rule, refused.applied) == ("TST002", False)
    assert "already set by TST001" in refused.message


@pytest.mark.parametrize("text, words", [
    ('[rules.NC002]\nmodifier_on = "colum1"\n', "'colum1' must be one of column1, column2"),
    ('[rules.NC002]\naction = "apply"\n', "'apply' must be one of fix, review"),
    ('[rules.NC001]\ncmt_codes = "98940"\n', "must be a list of 5-character codes"),
    ('[rules.NC001]\ncmt_code = ["98940"]\n', "NC001 has no setting 'cmt_code'"),
])
def test_rule_settings_are_checked(tmp_path: Path, text: str, words: str) -> None:
    """Found in review: a misspelt setting used to be ignored and the rule silently changed behaviour."""
    (tmp_path / "config.toml").write_text(text)
    with pytest.raises(RulePackError) as error:
        load_packs(tmp_path, schemas=rule_schemas(all_factories()))
    assert words in str(error.value) and "config.toml line 2" in str(error.value)


def test_may_pair_answers_each_set_of_codes_for_itself() -> None:
    """PackPairs.may_pair keeps its answers by the pair codes a claim bills: asked in turn about claims with
    and without a pair (and a disabled or indicator-9 one), it never gives one claim's answer to another."""
    from datetime import date

    from edi837.packs.pairs import PackPairs
    from edi837.packs.tables import NcciPair

    def pair(a: str, b: str, indicator: int = 1, enabled: bool = True) -> NcciPair:
        return NcciPair(a, b, indicator, date(2020, 1, 1), None, "high", "test", enabled)

    pairs = PackPairs([pair("98940", "97140"), pair("97140", "97530", indicator=9),
                       pair("97012", "97140", enabled=False), pair("97110", "97530", indicator=0)])
    asked = [(frozenset({"98940", "97140", "99213"}), True), (frozenset({"97140", "97530"}), False),
             (frozenset({"97012", "97140"}), False), (frozenset({"97110", "97530", "97140"}), True),
             (frozenset({"98940", "97530"}), False), (frozenset({"98940", "97140"}), True),
             (frozenset({"97140"}), False)]
    for _ in range(2):
        for codes, expected in asked:
            assert pairs.may_pair(codes) is expected, sorted(codes)


def test_shipped_pairs_say_honestly_where_they_come_from() -> None:
    """Every shipped NCCI row names its source and a confidence label; a row may say `cms` only if its source
    names the CMS practitioner PTP file version it was read from (ccipra-vNNNrN)."""
    import re

    pairs = load_packs(None).pairs
    assert pairs
    for pair in pairs:
        assert pair.confidence in ("cms", "secondary", "inferred", "unconfirmed"), pair.label
        assert pair.source.strip(), pair.label
        if pair.confidence == "cms":
            assert re.search(r"ccipra-v\d{3}r\d", pair.source), pair.label
