"""Rule settings are read per claim: a payer profile's [rules.CODE] table overrides them for that payer.

For every rule that declares settings, a claim of the overriding payer and the same claim of another
payer get different answers. And the registry's schemas are what packs check: a setting a rule does not
declare is refused.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from edi837.engine.registry import rule_schemas
from edi837.engine.rule import Rule
from edi837.errors import RulePackError
from edi837.packs import load_packs
from edi837.pipeline import FixOptions, fix
from edi837.rules import BUILTIN, all_factories
from edi837.testing.generator import ClaimSpec, LineSpec, build_837

ACME = {"payer_id": "ACME1", "payer_name": "ACME HEALTH", "claim_filing": "CI"}
OTHER = {"payer_id": "OTHR1", "payer_name": "OTHER HEALTH", "claim_filing": "CI"}


def pack_with_profile(tmp_path: Path, rules_table: str) -> Path:
    (tmp_path / "payers").mkdir()
    (tmp_path / "payers" / "acme.toml").write_text(
        '[payer]\nname = "Acme"\npayer_ids = ["ACME1"]\n\n' + rules_table)
    return tmp_path


def records_by_claim(claims: list[ClaimSpec], packs_dir: Path) -> dict[str, list[tuple[str, str, bool]]]:
    result = fix(build_837(claims), FixOptions(validate=False, packs_dir=packs_dir))
    out: dict[str, list[tuple[str, str, bool]]] = {c.claim_id: [] for c in claims}
    for r in result.records:
        if r.rule != "EDI001":
            out[r.claim_id].append((r.rule, r.action, r.applied))
    return out


def cmt_claim(claim_id: str, **payer: str) -> ClaimSpec:
    return ClaimSpec(claim_id, ("M9903", "M25511"), (LineSpec("98940", "45", pointers=(1,)),
                                                     LineSpec("97140", "40", pointers=(2,))), **payer)


def test_nc001_cmt_codes_per_payer(tmp_path: Path) -> None:
    folder = pack_with_profile(tmp_path, '[rules.NC001]\ncmt_codes = ["98941", "98942"]\n')
    got = records_by_claim([cmt_claim("A", **ACME), cmt_claim("B", **OTHER)], folder)
    # For Acme 98940 is no CMT code of NC001's: NC001 leaves it, and NC003 (which defers to NC001 only for
    # NC001's codes, read for this claim too) reports the pack's 98940/97140 pair for a person.
    assert got == {"A": [("NC003", "review", False)], "B": [("NC001", "append_modifier", True)]}


def time_blocks_claim(claim_id: str, **payer: str) -> ClaimSpec:
    return ClaimSpec(claim_id, ("M25561",), (LineSpec("97140", "40"), LineSpec("97530", "45")), **payer)


def test_nc002_action_per_payer(tmp_path: Path) -> None:
    """The practice attests separate time blocks for all its claims; one payer's profile keeps NC002 review."""
    folder = pack_with_profile(tmp_path, '[rules.NC002]\naction = "review"\n')
    (folder / "config.toml").write_text("[rules.NC002]\nattest_separate_time_blocks = true\n")
    got = records_by_claim([time_blocks_claim("A", **ACME), time_blocks_claim("B", **OTHER)], folder)
    assert got == {"A": [("NC002", "review", False)], "B": [("NC002", "append_modifier", True)]}


def test_nc002_attestation_per_payer(tmp_path: Path) -> None:
    """Nobody attests as shipped (the 837 cannot show time blocks): only the payer whose profile attests it gets
    the 59 applied."""
    folder = pack_with_profile(tmp_path, "[rules.NC002]\nattest_separate_time_blocks = true\n")
    got = records_by_claim([time_blocks_claim("A", **ACME), time_blocks_claim("B", **OTHER)], folder)
    assert got == {"A": [("NC002", "append_modifier", True)], "B": [("NC002", "review", False)]}


def test_tu003_max_units_per_payer(tmp_path: Path) -> None:
    folder = pack_with_profile(tmp_path, "[rules.TU003]\nmax_units = 2\n")

    def claim(claim_id: str, **payer: str) -> ClaimSpec:
        return ClaimSpec(claim_id, ("M25561",), (LineSpec("97110", "115.50", units="3"),), **payer)

    got = records_by_claim([claim("A", **ACME), claim("B", **OTHER)], folder)
    assert got == {"A": [("TU003", "review", False)], "B": []}


MEDICARE_A = {"payer_id": "MCRA1", "payer_name": "MEDICARE A", "claim_filing": "MB"}
MEDICARE_B = {"payer_id": "MCRB2", "payer_name": "MEDICARE B", "claim_filing": "MB"}
STARTED = date(2026, 2, 2)  # 2300 DTP*454, the initial treatment date Medicare CMT claims carry (MC006)


def medicare_pack(tmp_path: Path, rules_table: str) -> Path:
    """A profile for one Medicare contractor's payer id (MCRA1) with its own rule settings."""
    (tmp_path / "payers").mkdir()
    (tmp_path / "payers" / "mcra.toml").write_text(
        '[payer]\nname = "Medicare A"\npayer_ids = ["MCRA1"]\nclaim_filing = ["MB"]\nmedicare_part_b = true\n'
        'unit_method = "cms-total"\n\n' + rules_table)
    return tmp_path


def test_mc001_attestation_per_payer(tmp_path: Path) -> None:
    folder = medicare_pack(tmp_path, "[rules.MC001]\nattest_active_treatment = true\n")

    def claim(claim_id: str, **payer: str) -> ClaimSpec:  # 98941 (3-4 regions) with three subluxations
        return ClaimSpec(claim_id, ("M9903", "M9901", "M9902"), (LineSpec("98941", "60"),),
                         initial_treatment=STARTED, **payer)

    got = records_by_claim([claim("A", **MEDICARE_A), claim("B", **MEDICARE_B)], folder)
    assert got == {"A": [("MC001", "append_modifier", True)], "B": [("MC001", "review", False)]}


def test_mc002_covered_codes_per_payer(tmp_path: Path) -> None:
    folder = medicare_pack(tmp_path, '[rules.MC002]\ncovered_codes = ["98940", "98941", "98942", "98943"]\n')

    def claim(claim_id: str, **payer: str) -> ClaimSpec:
        return ClaimSpec(claim_id, ("M9907",), (LineSpec("98943", "35"),), **payer)

    got = records_by_claim([claim("A", **MEDICARE_A), claim("B", **MEDICARE_B)], folder)
    assert got == {"A": [], "B": [("MC002", "append_modifier", True)]}


def test_em001_attestation_per_payer(tmp_path: Path) -> None:
    folder = pack_with_profile(tmp_path, "[rules.EM001]\nattest_separate_service = true\n")

    def claim(claim_id: str, **payer: str) -> ClaimSpec:
        return ClaimSpec(claim_id, ("M9903",), (LineSpec("98940", "45"), LineSpec("99213", "95")), **payer)

    got = records_by_claim([claim("A", **ACME), claim("B", **OTHER)], folder)
    assert got == {"A": [("EM001", "append_modifier", True)], "B": [("EM001", "review", False)]}


def test_mc004_subluxation_codes_per_payer(tmp_path: Path) -> None:
    """One contractor (Noridian-like) lists M99.00 as a primary subluxation code: its claims pass, another
    Medicare contractor's get the MAC-dependent warning."""
    folder = medicare_pack(tmp_path, '[rules.MC004]\nsubluxation_codes = ["M99.00", "M99.01", "M99.02", "M99.03", '
                                     '"M99.04", "M99.05"]\nmac_dependent_codes = []\n')

    def claim(claim_id: str, **payer: str) -> ClaimSpec:
        return ClaimSpec(claim_id, ("M9900",), (LineSpec("98940", "45", modifiers=("AT",)),),
                         initial_treatment=STARTED, **payer)

    got = records_by_claim([claim("A", **MEDICARE_A), claim("B", **MEDICARE_B)], folder)
    assert got == {"A": [], "B": [("MC004", "review", False)]}


def test_mc003_outside_part_b_per_payer(tmp_path: Path) -> None:
    """A plan that follows CMS's always-therapy rule (as the shipped Medicare Advantage profile says): a
    chiropractor's 97110 without GP/GO/GN is a review item there, and nothing for another commercial payer."""
    folder = pack_with_profile(tmp_path, "[rules.MC003]\noutside_part_b = true\n")

    def claim(claim_id: str, **payer: str) -> ClaimSpec:
        return ClaimSpec(claim_id, ("M25561",), (LineSpec("97110", "38"),), **payer)

    got = records_by_claim([claim("A", **ACME), claim("B", **OTHER)], folder)
    assert got == {"A": [("MC003", "review", False)], "B": []}


def test_mc005_cmt_codes_per_payer(tmp_path: Path) -> None:
    """98941 (3-4 regions) with one region's subluxation: a review item unless the payer's list leaves it out."""
    folder = medicare_pack(tmp_path, '[rules.MC005]\ncmt_codes = ["98940", "98942"]\n')

    def claim(claim_id: str, **payer: str) -> ClaimSpec:
        return ClaimSpec(claim_id, ("M9903",), (LineSpec("98941", "60", modifiers=("AT",)),),
                         initial_treatment=STARTED, **payer)

    got = records_by_claim([claim("A", **MEDICARE_A), claim("B", **MEDICARE_B)], folder)
    assert got == {"A": [], "B": [("MC005", "review", False)]}


def test_mc006_cmt_codes_per_payer(tmp_path: Path) -> None:
    """98940 without the initial treatment date: an error-severity review item unless the payer's list leaves
    it out."""
    folder = medicare_pack(tmp_path, '[rules.MC006]\ncmt_codes = ["98941", "98942"]\n')

    def claim(claim_id: str, **payer: str) -> ClaimSpec:
        return ClaimSpec(claim_id, ("M9903",), (LineSpec("98940", "45", modifiers=("AT",)),), **payer)

    got = records_by_claim([claim("A", **MEDICARE_A), claim("B", **MEDICARE_B)], folder)
    assert got == {"A": [], "B": [("MC006", "review", False)]}


def test_mue002_per_session_codes_per_payer(tmp_path: Path) -> None:
    """97012 (mechanical traction, untimed) at 2 units: a review item unless the payer's list leaves it out."""
    folder = pack_with_profile(tmp_path, '[rules.MUE002]\nper_session_codes = ["98940", "98941", "98942"]\n')

    def claim(claim_id: str, **payer: str) -> ClaimSpec:
        return ClaimSpec(claim_id, ("M5450",), (LineSpec("97012", "50", units="2"),), **payer)

    got = records_by_claim([claim("A", **ACME), claim("B", **OTHER)], folder)
    assert got == {"A": [], "B": [("MUE002", "review", False)]}


def test_lc001_line_control_required_by_one_payer(tmp_path: Path) -> None:
    """A payer that answers by REF*6R: its claims' lines without one are items; another payer's are not."""
    folder = pack_with_profile(tmp_path, "[rules.LC001]\nrequire_line_control = true\n")

    def claim(claim_id: str, **payer: str) -> ClaimSpec:
        return ClaimSpec(claim_id, ("M5450",), (LineSpec("99213", "85", control=f"{claim_id}-1"),
                                               LineSpec("97010", "15")), **payer)

    got = records_by_claim([claim("A", **ACME), claim("B", **OTHER)], folder)
    assert got == {"A": [("LC001", "review", False)], "B": []}


def test_every_rule_setting_is_covered_by_a_payer_override_test() -> None:
    """A rule that grows a setting must get its own per-payer test above."""
    covered = {("NC001", "cmt_codes"), ("NC002", "action"), ("TU003", "max_units"), ("MC001", "attest"),
               ("MC002", "covered_codes"), ("EM001", "attest"), ("MC004", "subluxation_codes"),
               ("MC003", "outside_part_b"), ("MC005", "cmt_codes"), ("MC006", "cmt_codes"),
               ("MUE002", "per_session_codes"), ("LC001", "require_line_control")}
    with_settings = {rule.code for rule in BUILTIN if rule.settings}
    assert with_settings == {code for code, _ in covered}


@pytest.mark.parametrize("rule", [r for r in BUILTIN if r.settings], ids=lambda r: r.code)
def test_each_declared_setting_reaches_the_rule_through_a_profile(tmp_path: Path, rule: type[Rule]) -> None:
    """The generic path: for every declared setting, a profile override is what `rule.setting` returns."""
    from edi837.engine.context import ClaimContext

    lines = []
    for setting in rule.settings:
        if setting.kind == "choice":
            value = f'"{next(c for c in setting.choices if c != setting.default)}"'
        else:
            value = {"codes": '["99999"]' if setting.count is None else '["99998", "99999"]', "code": '"99999"',
                     "int": "99", "bool": str(not setting.default).lower(), "diagnoses": '["Z99.89"]'}[setting.kind]
        lines.append(f"{setting.name} = {value}")
    folder = pack_with_profile(tmp_path, f"[rules.{rule.code}]\n" + "\n".join(lines) + "\n")
    packs = load_packs(folder, schemas=rule_schemas(all_factories()))
    profile = packs.profile_for("ACME1", "CI")
    instance = rule(packs)
    for setting in rule.settings:
        overridden = instance.setting(ClaimContext(packs, profile), setting.name)
        default = instance.setting(ClaimContext(packs, packs.profile_for("OTHR1", "CI")), setting.name)
        assert overridden != default == setting.default, setting.name


def test_a_setting_no_rule_declares_is_refused_with_the_nearest_name(tmp_path: Path) -> None:
    folder = pack_with_profile(tmp_path, "[rules.TU003]\nmax_unit = 4\n")
    with pytest.raises(RulePackError, match=r"TU003 has no setting 'max_unit'; did you mean 'max_units'\?"):
        load_packs(folder, schemas=rule_schemas(all_factories()))
    folder2 = tmp_path / "two"
    folder2.mkdir()
    (folder2 / "config.toml").write_text("[rules.NC0O1]\naction = 'fix'\n")
    with pytest.raises(RulePackError, match=r"no rule has the code 'NC0O1'; did you mean NC001\?"):
        load_packs(folder2, schemas=rule_schemas(all_factories()))


def test_claims_of_two_payers_in_turn_each_get_their_payers_settings(tmp_path: Path) -> None:
    """Settings no profile overrides are resolved once per run; an overridden one must still be read for each
    claim's own payer: claims of Acme, another payer, then Acme again get Acme's, the default, Acme's."""
    folder = pack_with_profile(tmp_path, '[rules.NC001]\ncmt_codes = ["98941", "98942"]\n')
    got = records_by_claim([cmt_claim("A1", **ACME), cmt_claim("B", **OTHER), cmt_claim("A2", **ACME)], folder)
    assert got == {"A1": [("NC003", "review", False)], "B": [("NC001", "append_modifier", True)],
                   "A2": [("NC003", "review", False)]}


def test_a_rule_resolves_once_only_what_no_profile_overrides(tmp_path: Path) -> None:
    """One rule instance asked in turn for claims of two payers: the overridden setting follows the payer each
    time, the pack-wide one is the pack's for both, and a context on other packs is answered from those."""
    from edi837.engine.context import ClaimContext
    from edi837.rules.nc001 import CmtManualTherapy

    folder = pack_with_profile(tmp_path, '[rules.NC001]\ncmt_codes = ["98941"]\n')
    (folder / "config.toml").write_text('[rules.NC001]\nmanual_therapy = "97530"\n')
    packs = load_packs(folder, schemas=rule_schemas(all_factories()))
    rule = CmtManualTherapy(packs)
    acme, other = packs.profile_for("ACME1", "CI"), packs.profile_for("OTHR1", "CI")
    for _ in range(2):
        assert rule.setting(ClaimContext(packs, acme), "cmt_codes") == ["98941"]
        assert rule.setting(ClaimContext(packs, other), "cmt_codes") == ["98940", "98941", "98942"]
        assert rule.setting(ClaimContext(packs, acme), "manual_therapy") == "97530"
        assert rule.setting(ClaimContext(packs, other), "manual_therapy") == "97530"
    shipped = load_packs(schemas=rule_schemas(all_factories()))
    assert rule.setting(ClaimContext(shipped, shipped.profile_for("OTHR1", "CI")), "manual_therapy") == "97140"
    with pytest.raises(KeyError):
        rule.setting(ClaimContext(packs, acme), "no_such_setting")


def test_a_diagnosis_setting_takes_icd10_codes_only(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[rules.MC004]\nsubluxation_codes = ["M99.03", "subluxation"]\n')
    with pytest.raises(RulePackError, match=r"MC004.subluxation_codes: .* must be a list of ICD-10-CM codes"):
        load_packs(tmp_path, schemas=rule_schemas(all_factories()))


def test_the_older_name_rules_dir_still_works(tmp_path: Path) -> None:
    """API callers written before the rename (rules_dir -> packs_dir) keep their pack: FixOptions(rules_dir=)
    and edi837.fix(data, rules_dir=) both apply it, with a DeprecationWarning saying the new name."""
    import edi837

    folder = pack_with_profile(tmp_path, '[rules.NC001]\ncmt_codes = ["98941", "98942"]\n')
    data = build_837([cmt_claim("A", **ACME)])
    with pytest.warns(DeprecationWarning, match="packs_dir"):
        options = FixOptions(validate=False, rules_dir=folder)
    assert options.packs_dir == folder
    with pytest.warns(DeprecationWarning, match="packs_dir"):
        by_keyword = edi837.fix(data, validate=False, rules_dir=folder)
    for result in (fix(data, options), by_keyword):  # Acme's profile: 98940 is no CMT code of NC001's
        assert [(r.rule, r.action) for r in result.records] == [("NC003", "review")]
    with pytest.raises(TypeError, match="older name of packs_dir"):
        FixOptions(packs_dir=folder, rules_dir=tmp_path / "other")
