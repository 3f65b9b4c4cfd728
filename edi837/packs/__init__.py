"""Rule packs: the billing facts rules read, as TOML a billing manager can check against the source.

Why data and not code: NCCI edits change every quarter, payers disagree about 59 versus XS, and a
region table is a clinical-coding decision. All of that lives in `packs/*.toml` (shipped inside the
package) with the source of every value, and a practice can layer its own folder over it
(`--packs DIR`, same layout): files there override the shipped ones key by key, and its payer
profiles win over shipped ones that match the same claim.

Packs are loaded and validated once per run. A broken pack is refused (exit 2) with its file and
line, because a rule that silently reads a wrong value would change claims wrongly. The loader knows
no rule by name: tables are checked by their shape (packs.tables), rule settings by the schemas the
rules declare (packs.settings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from edi837.errors import RulePackError
from edi837.model.lines import ServiceLine, diagnosis_key
from edi837.packs.files import PackFile, bool_value, check_keys, codes_list, int_value, load_folder, merge, tag_origins
from edi837.packs.manipulation import ManipulationCode, Telehealth, load_manipulation, load_telehealth
from edi837.packs.modifiers import (
    CodeRanges,
    ModifierScope,
    conflicts,
    in_ranges,
    load_evaluation,
    load_modifier_scopes,
    misplaced,
)
from edi837.packs.pairs import MueLimit, MueSource, PackPairs, PairSource
from edi837.packs.profiles import UNIT_METHODS, PayerProfile, load_profile
from edi837.packs.settings import Schemas, Setting, check_rule_settings
from edi837.packs.tables import (
    NO_SITE,
    REGIONS,
    TABLE_FILES,
    NcciPair,
    RegionEntry,
    load_always_therapy,
    load_code_set,
    load_disciplines,
    load_fees,
    load_initial_time_codes,
    load_m99_00,
    load_modifier_ranks,
    load_pairs,
    load_regions,
    load_taxonomy,
)
from edi837.resources import data_dir

__all__ = ["CONFIG_DEFAULTS", "NO_SITE", "REGIONS", "UNIT_METHODS", "ManipulationCode", "MueLimit", "MueSource",
           "NcciPair", "PairSource",
           "PayerProfile", "RegionEntry", "RulePacks", "Schemas", "Setting", "Telehealth", "load_packs"]


# What config.toml's own keys are when no pack sets them: every rule runs, none is ignored, review fixes are
# shown, not applied. Said here once; the shipped config.toml writes only what differs (tests/test_packs.py).
CONFIG_DEFAULTS: Mapping[str, Any] = {"select": ["ALL"], "ignore": [], "apply_review": False}


class AttachedStore(Protocol):
    """A store a run attaches to the packs that the packs only close: the ICD-10-CM releases
    (edi837.icd10.source.Icd10Source, which lives a floor up, beside the other CMS stores, and reads the packs)."""

    def close(self) -> None: ...


@dataclass
class RulePacks:
    """Everything the packs say, for one run: the tables, the payer profiles, selection and rule settings."""

    pairs: tuple[NcciPair, ...]
    regions: Mapping[str, RegionEntry]
    m99_00_region: str | None
    modifier_ranks: Mapping[str, int]
    modifier_default_rank: int
    profiles: tuple[PayerProfile, ...]
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    apply_review: bool
    rules: Mapping[str, Mapping[str, Any]]
    timed_codes: frozenset[str] = frozenset()
    untimed_codes: frozenset[str] = frozenset()
    # timed codes whose descriptor splits the time: code -> (the initial code, its add-on); never converted
    initial_time_codes: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    fee_schedule: Mapping[str, Decimal] = field(default_factory=dict)
    tie_order: tuple[str, ...] = ()
    taxonomy_prefixes: Mapping[str, str] = field(default_factory=dict)
    always_therapy: frozenset[str] = frozenset()
    code_disciplines: Mapping[str, str] = field(default_factory=dict)
    # manipulation code -> the regions its family treats and how many it means (manipulation.toml)
    manipulation: Mapping[str, ManipulationCode] = field(default_factory=dict)
    telehealth: Telehealth = field(default_factory=lambda: Telehealth({}, {}))  # telehealth.toml
    # modifier -> the codes it may be on (modifiers.toml [only_on]); the E/M codes (modifiers.toml [evaluation])
    modifier_scopes: Mapping[str, ModifierScope] = field(default_factory=dict)
    evaluation: CodeRanges = ()
    # (rule, key) pairs some payer profile overrides: only these make a setting depend on the claim's payer
    profile_overrides: frozenset[tuple[str, str]] = frozenset()
    # Where NCCI pairs come from: the pack rows above unless a run attaches the CMS files
    # (edi837.ncci.source); MUE limits exist only in the CMS files.
    ncci: PairSource | None = None
    mue: MueSource | None = None
    # The ICD-10-CM releases a run knows (edi837.icd10.source: the shipped ones and the imported ones),
    # attached by the pipeline for DX001; None when a run has not attached them (a rule then does nothing).
    icd10: AttachedStore | None = None

    def __post_init__(self) -> None:
        if self.ncci is None:
            self.ncci = PackPairs(self.pairs)

    @property
    def pair_source(self) -> PairSource:
        assert self.ncci is not None  # set by __post_init__
        return self.ncci

    def close(self) -> None:
        """Release the NCCI database and the ICD-10-CM store a run attached, if any."""
        for source in (self.ncci, self.mue, self.icd10):
            if source is not None:
                source.close()

    def region_of(self, code: str) -> tuple[str | None, bool]:
        """(region, known) for an ICD-10-CM code: the longest matching prefix in the table decides."""
        code = diagnosis_key(code)
        if code == "M9900":
            return self.m99_00_region, self.m99_00_region is not None
        for end in range(len(code), 0, -1):
            entry = self.regions.get(code[:end])
            if entry is not None:
                return entry.region, entry.region is not None
        return None, False

    def specialty_of(self, taxonomy: str) -> str:
        """The specialty a taxonomy code names (the longest matching prefix), or "" when the pack has none."""
        taxonomy = taxonomy.strip().upper()  # NUCC codes are upper case; some systems send them lower
        for end in range(len(taxonomy), 0, -1):
            specialty = self.taxonomy_prefixes.get(taxonomy[:end])
            if specialty is not None:
                return specialty
        return ""

    def modifier_rank(self, modifier: str) -> int:
        return self.modifier_ranks.get(modifier, self.modifier_default_rank)

    def is_evaluation(self, code: str) -> bool:
        """An evaluation and management (E/M) code (modifiers.toml [evaluation]): it takes 25, never 59/X."""
        return in_ranges(code, self.evaluation)

    def modifier_problems(self, line: ServiceLine) -> list[str]:
        """What a line's own modifiers contradict, in words: each other (59 with XS, GP twice), or its code (25
        on 97140) for a CPT/HCPCS line; [] when nothing does (packs/modifiers.py). MOD001 reports them, and no
        modifier is added beside them."""
        found = conflicts(line.modifiers)
        if line.is_hcpcs and line.modifiers:
            found += misplaced(self.modifier_scopes, line.procedure, line.modifiers)
        return found

    def profile_for(self, payer_id: str, claim_filing: str) -> PayerProfile:
        """The payer profile for a claim: the most specific match wins (payer id over SBR09 over the
        default); on a tie a profile from the user's --packs folder wins over a shipped one; then the
        file name decides. So a user's own SBR09 = MB profile replaces the shipped Medicare one, but a
        user's default profile (or an override of the shipped default) never captures Medicare claims."""
        best: tuple[int, int] | None = None
        chosen: PayerProfile | None = None
        for profile in sorted(self.profiles, key=lambda p: p.key):
            score = profile.match_score(payer_id, claim_filing)
            if score < 0:
                continue
            rank = (score, 1 if profile.user else 0)
            if best is None or rank > best:
                best, chosen = rank, profile
        if chosen is None:
            raise RulePackError("no payer profile matches and no profile is marked default = true")
        return chosen

    def setting(self, rule: str, key: str, profile: PayerProfile | None, default: Any) -> Any:
        """A rule setting: the payer profile's [rules.CODE] first, then the packs' [rules.CODE]."""
        if profile is not None and key in profile.rules.get(rule, {}):
            return profile.rules[rule][key]
        return self.rules.get(rule, {}).get(key, default)

    def pairs_for(self, code_a: str, code_b: str, day: date | None) -> list[NcciPair]:
        """The NCCI edits in force on `day` between two codes, either column order, from the run's source."""
        return self.pair_source.pairs_for(code_a, code_b, day)


def _check_user_names(user: dict[str, PackFile]) -> None:
    """A file of a `--packs DIR` folder that is no pack file is refused, naming the nearest pack file name."""
    for name, file in user.items():
        if name not in TABLE_FILES and not name.startswith("payers/"):
            import difflib

            near = difflib.get_close_matches(name, [*TABLE_FILES, "payers/NAME.toml"], n=1, cutoff=0.6)
            hint = f"did you mean {near[0]}?" if near else f"pack files: {', '.join(TABLE_FILES)}, payers/*.toml"
            raise RulePackError(f"{file.path}: not a rule-pack file name ({hint})")


def load_packs(user_folder: Path | None = None, shipped_folder: Path | None = None,
               schemas: Schemas | None = None) -> RulePacks:
    """Load the shipped packs, with `user_folder` (a `--packs DIR`) layered over them.

    `schemas` are the settings each rule declares, by rule code (the registry's `rule_schemas`); with
    them every `[rules.CODE]` table is checked, without them only its shape.
    """
    shipped_dir = shipped_folder or data_dir("packs")
    shipped = load_folder(shipped_dir)
    user: dict[str, PackFile] = {}
    if user_folder is not None:
        if not user_folder.is_dir():
            raise RulePackError(f"{user_folder}: --packs needs a folder (with payers/*.toml and pack files)")
        user = load_folder(user_folder)
    _check_user_names(user)

    def merged(name: str) -> tuple[dict[str, Any], PackFile | None]:
        """The merged data of one pack file, and the file to blame for errors (the user's if it has it)."""
        base, over = shipped.get(name), user.get(name)
        data: dict[str, Any] = {}
        for file in (base, over):
            if file is not None and name in TABLE_FILES:
                check_keys(file.data, TABLE_FILES[name], file)
        if base is not None:
            data = tag_origins(base)
        if over is not None:
            data = merge(data, tag_origins(over))
        return data, over or base

    config, config_file = merged("config.toml")
    ncci, ncci_file = merged("ncci.toml")
    regions, regions_file = merged("regions.toml")
    modifiers, modifiers_file = merged("modifiers.toml")
    timed, timed_file = merged("timed_codes.toml")
    fees, fees_file = merged("fees.toml")
    taxonomy, taxonomy_file = merged("taxonomy.toml")
    therapy, therapy_file = merged("therapy_codes.toml")
    manipulation, manipulation_file = merged("manipulation.toml")
    telehealth, telehealth_file = merged("telehealth.toml")

    profiles = []
    for name in sorted({n for n in [*shipped, *user] if n.startswith("payers/")}):
        data, blame_file = merged(name)
        assert blame_file is not None
        profiles.append(load_profile(name, data, blame_file, user=name in user, schemas=schemas))
    if not profiles:
        raise RulePackError(f"{shipped_dir}: no payer profiles (payers/*.toml)")
    if not any(p.default for p in profiles):
        raise RulePackError("no payer profile is marked default = true; every claim needs a profile")

    return RulePacks(
        pairs=tuple(load_pairs(ncci, ncci_file, user.values())),
        regions=load_regions(regions, regions_file),
        m99_00_region=load_m99_00(regions, regions_file),
        modifier_ranks=load_modifier_ranks(modifiers, modifiers_file),
        modifier_default_rank=int_value(modifiers.get("unlisted_rank", 2), modifiers_file, "unlisted_rank") * 100 + 99,
        modifier_scopes=load_modifier_scopes(modifiers, modifiers_file),
        evaluation=load_evaluation(modifiers, modifiers_file),
        profiles=tuple(profiles),
        select=codes_list(config.get("select", CONFIG_DEFAULTS["select"]), config_file, "select"),
        ignore=codes_list(config.get("ignore", CONFIG_DEFAULTS["ignore"]), config_file, "ignore"),
        apply_review=bool_value(config.get("apply_review", CONFIG_DEFAULTS["apply_review"]), config_file,
                                "apply_review"),
        rules=check_rule_settings(config.get("rules", {}), schemas, config_file, "rules"),
        timed_codes=load_code_set(timed.get("timed", {}), timed_file, "timed"),
        untimed_codes=load_code_set(timed.get("untimed", {}), timed_file, "untimed"),
        initial_time_codes=load_initial_time_codes(timed, timed_file),
        tie_order=tuple(codes_list(timed.get("tie_order", []), timed_file, "tie_order")),
        fee_schedule=load_fees(fees.get("fee", {}), fees_file, "fee"),
        taxonomy_prefixes=load_taxonomy(taxonomy, taxonomy_file),
        always_therapy=load_always_therapy(therapy, therapy_file),
        code_disciplines=load_disciplines(therapy, therapy_file),
        manipulation=load_manipulation(manipulation, manipulation_file),
        telehealth=load_telehealth(telehealth, telehealth_file),
        profile_overrides=frozenset((code, key) for p in profiles for code, keys in p.rules.items() for key in keys),
    )
