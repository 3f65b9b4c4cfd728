"""The pack tables rules read: NCCI pairs, diagnosis regions, modifier order, timed codes, fees.

Each table is one TOML file of the pack folder, loaded and checked here by its own shape (every key
known, every code a code, every date a date), whatever rule reads it: a rule names the tables it reads
(`Rule.tables`), and `edi-fix rule CODE` lists them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from edi837.model.lines import diagnosis_key
from edi837.packs.files import (
    MODIFIER,
    ORIGIN,
    PackFile,
    blame,
    bool_value,
    check_keys,
    code_value,
    date_value,
    int_value,
    need,
    text_value,
)

# A diagnosis that never names a body site (an external cause: how, not where): ignored, neither a
# region nor an unknown one. region_of returns it as (NO_SITE, True).
NO_SITE = "no_site"
REGIONS = ("cervical", "thoracic", "lumbar", "sacral", "pelvic",
           "head", "upper_extremity", "lower_extremity", "rib_cage", "abdomen")
# The files of a pack folder and the top-level keys each may hold; payers/*.toml are profiles.
TABLE_FILES: dict[str, tuple[str, ...]] = {
    "config.toml": ("select", "ignore", "apply_review", "rules"),
    "ncci.toml": ("pair",),
    "regions.toml": ("settings", "codes"),
    "modifiers.toml": ("unlisted_rank", "order", "only_on", "evaluation"),
    "timed_codes.toml": ("tie_order", "timed", "untimed", "initial_and_additional"),
    "fees.toml": ("fee",),
    "taxonomy.toml": ("prefixes",),
    "therapy_codes.toml": ("always_therapy", "discipline"),
    "manipulation.toml": ("families",),
    "telehealth.toml": ("places_of_service", "modifiers"),
}
SPECIALTIES = ("chiropractor", "physical_therapist", "physical_therapist_assistant", "occupational_therapist",
               "occupational_therapist_assistant", "speech_language_pathologist", "physician", "group")
_PAIR_KEYS = ("column1", "column2", "modifier_indicator", "effective", "deleted", "confidence", "enabled", "source")


@dataclass(frozen=True)
class NcciPair:
    """One NCCI procedure-to-procedure edit: column 1 is paid, column 2 needs a modifier (indicator 1)."""

    column1: str
    column2: str
    modifier_indicator: int  # 0: no modifier bypasses it; 1: 59/X may; 9: not applied
    effective: date
    deleted: date | None
    confidence: str
    source: str
    enabled: bool = True
    user: bool = False  # written in the user's --packs folder: it overrides the CMS rows of its pair
    cited: str = ""  # how a record cites it, when it came from a CMS file (file, version, row)

    def active_on(self, day: date | None) -> bool:
        if not self.enabled or day is None or self.modifier_indicator == 9:
            return False
        return self.effective <= day and (self.deleted is None or day < self.deleted)

    @property
    def label(self) -> str:
        return f"{self.column1}/{self.column2}"

    @property
    def citation(self) -> str:
        """How a finding names its source: the pair, its indicator, how sure the pack is, where from."""
        if self.cited:
            return self.cited
        return f"NCCI {self.label} indicator {self.modifier_indicator} ({self.confidence}): {self.source}"


@dataclass(frozen=True)
class RegionEntry:
    prefix: str  # ICD-10-CM code or prefix without the dot
    region: str | None  # None: a code known to carry no single region
    source: str


def load_pairs(data: Mapping[str, Any], file: PackFile | None,
               user_files: Iterable[PackFile] = ()) -> Iterable[NcciPair]:
    """The [[pair]] rows; those whose file is one of `user_files` (the --packs folder's) are marked `user`."""
    users = tuple(user_files)
    entries = need(data.get("pair", []), list, file, "pair", what="must be [[pair]] tables")
    for position, entry in enumerate(entries):
        need(entry, dict, file, "pair", position, what="must be a table")
        file, i = entry.get(ORIGIN, (file, position))
        check_keys(entry, _PAIR_KEYS, file, "pair", i)
        column1 = code_value(entry.get("column1"), file, "pair", i, "column1")
        column2 = code_value(entry.get("column2"), file, "pair", i, "column2")
        indicator = int_value(entry.get("modifier_indicator"), file, "pair", i, "modifier_indicator")
        if indicator not in (0, 1, 9):
            raise blame(file, f"pair {column1}/{column2}: modifier_indicator must be 0, 1 or 9, not {indicator}",
                         "pair", i, "modifier_indicator")
        deleted = entry.get("deleted")
        pair = NcciPair(
            column1=column1,
            column2=column2,
            modifier_indicator=indicator,
            effective=date_value(entry.get("effective"), file, "pair", i, "effective"),
            deleted=None if deleted is None else date_value(deleted, file, "pair", i, "deleted"),
            confidence=text_value(entry.get("confidence", "unknown"), file, "pair", i, "confidence"),
            source=text_value(entry.get("source"), file, "pair", i, "source"),
            enabled=bool_value(entry.get("enabled", True), file, "pair", i, "enabled"),
            user=any(file is u for u in users),
        )
        if pair.deleted is not None and pair.deleted <= pair.effective:
            raise blame(file, f"pair {pair.label}: deleted must be after effective", "pair", i, "deleted")
        yield pair


def load_regions(data: Mapping[str, Any], file: PackFile | None) -> dict[str, RegionEntry]:
    codes = need(data.get("codes", {}), dict, file, "codes", what="must be a table of codes")
    out: dict[str, RegionEntry] = {}
    for code, entry in codes.items():
        need(entry, dict, file, "codes", code, what="must be { region = ..., source = ... }")
        check_keys(entry, ("region", "source"), file, "codes", code)
        region = text_value(entry.get("region"), file, "codes", code, "region")
        if region not in (*REGIONS, "none", NO_SITE):
            raise blame(file, f"codes.{code}: region {region!r} is not one of {', '.join(REGIONS)}, none or "
                        f"{NO_SITE}", "codes", code)
        prefix = diagnosis_key(code)
        out[prefix] = RegionEntry(prefix, None if region == "none" else region,
                                  text_value(entry.get("source"), file, "codes", code, "source"))
    return out


def load_m99_00(data: Mapping[str, Any], file: PackFile | None) -> str | None:
    settings = need(data.get("settings", {}), dict, file, "settings", what="must be a table")
    check_keys(settings, ("m99_00",), file, "settings")
    setting = text_value(settings.get("m99_00", "unknown"), file, "settings", "m99_00")
    if setting == "unknown":
        return None
    if setting not in REGIONS:
        raise blame(file, f"settings.m99_00: {setting!r} must be unknown or a region ({', '.join(REGIONS)})",
                     "settings", "m99_00")
    return setting


def load_modifier_ranks(data: Mapping[str, Any], file: PackFile | None) -> dict[str, int]:
    groups = need(data.get("order", []), list, file, "order", what="must be [[order]] tables")
    ranks: dict[str, int] = {}
    for group_index, group in enumerate(groups):
        need(group, dict, file, "order", group_index, what="must be a table")
        check_keys(group, ("name", "modifiers", "source"), file, "order", group_index)
        modifiers = need(group.get("modifiers"), list, file, "order", group_index, "modifiers", what="a list")
        for position, modifier in enumerate(modifiers):
            text = text_value(modifier, file, "order", group_index, "modifiers")
            if not MODIFIER.fullmatch(text):
                raise blame(file, f"order: {text!r} is not a 2-character modifier", "order", group_index,
                             "modifiers")
            ranks.setdefault(text, group_index * 100 + position)
    return ranks


def load_code_set(data: Any, file: PackFile | None, key: str) -> frozenset[str]:
    table = need(data, dict, file, key, what="must be a table of code = source")
    for code, source in table.items():
        code_value(code, file, key, code)
        text_value(source, file, key, code)
    return frozenset(table)


def load_initial_time_codes(data: Mapping[str, Any], file: PackFile | None) -> dict[str, tuple[str, str]]:
    """`[initial_and_additional]`: initial code = { add_on = code, source = ... }; every code of a pair ->
    (initial, add-on)."""
    table = need(data.get("initial_and_additional", {}), dict, file, "initial_and_additional",
                 what="must be a table of code = { add_on = ..., source = ... }")
    out: dict[str, tuple[str, str]] = {}
    for code, entry in table.items():
        code_value(code, file, "initial_and_additional", code)
        need(entry, dict, file, "initial_and_additional", code, what="must be { add_on = ..., source = ... }")
        check_keys(entry, ("add_on", "source"), file, "initial_and_additional", code)
        add_on = code_value(entry.get("add_on"), file, "initial_and_additional", code, "add_on")
        text_value(entry.get("source", ""), file, "initial_and_additional", code, "source")
        out[code] = out[add_on] = (code, add_on)
    return out


def load_fees(data: Any, file: PackFile | None, key: str) -> dict[str, Decimal]:
    table = need(data, dict, file, key, what="must be a table of code = per-unit fee")
    out: dict[str, Decimal] = {}
    for code, fee in table.items():
        code_value(code, file, key, code)
        text = text_value(fee, file, key, code)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise blame(file, f"{key}.{code}: {text!r} is not an amount", key, code) from None
        if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise blame(file, f"{key}.{code}: {text!r} must be a positive amount with at most 2 decimals", key, code)
        out[code] = amount
    return out




def load_taxonomy(data: Mapping[str, Any], file: PackFile | None) -> dict[str, str]:
    """Taxonomy prefix -> specialty (the NUCC code set's groups edi837's Medicare rules read)."""
    prefixes = need(data.get("prefixes", {}), dict, file, "prefixes", what="must be a table of prefixes")
    out: dict[str, str] = {}
    for prefix, entry in prefixes.items():
        need(entry, dict, file, "prefixes", prefix, what="must be { specialty = ..., source = ... }")
        check_keys(entry, ("specialty", "source"), file, "prefixes", prefix)
        specialty = text_value(entry.get("specialty"), file, "prefixes", prefix, "specialty")
        if specialty not in SPECIALTIES:
            raise blame(file, f"prefixes.{prefix}: specialty {specialty!r} is not one of {', '.join(SPECIALTIES)}",
                        "prefixes", prefix)
        text_value(entry.get("source"), file, "prefixes", prefix, "source")
        out[str(prefix)] = specialty
    return out


def load_always_therapy(data: Mapping[str, Any], file: PackFile | None) -> frozenset[str]:
    """The codes CMS designates "always therapy" (each with its confidence and source)."""
    codes = need(data.get("always_therapy", {}), dict, file, "always_therapy", what="must be a table of codes")
    for code, entry in codes.items():
        code_value(code, file, "always_therapy", code)
        need(entry, dict, file, "always_therapy", code, what="must be { confidence = ..., source = ... }")
        check_keys(entry, ("confidence", "source"), file, "always_therapy", code)
        text_value(entry.get("source"), file, "always_therapy", code, "source")
    return frozenset(codes)


def load_disciplines(data: Mapping[str, Any], file: PackFile | None) -> dict[str, str]:
    """Codes that belong to one therapy discipline by their descriptor -> its modifier (GP, GO or GN)."""
    codes = need(data.get("discipline", {}), dict, file, "discipline", what="must be a table of codes")
    out: dict[str, str] = {}
    for code, entry in codes.items():
        code_value(code, file, "discipline", code)
        need(entry, dict, file, "discipline", code, what="must be { modifier = ..., source = ... }")
        check_keys(entry, ("modifier", "source"), file, "discipline", code)
        modifier = text_value(entry.get("modifier"), file, "discipline", code, "modifier")
        if modifier not in ("GP", "GO", "GN"):
            raise blame(file, f"discipline.{code}: modifier {modifier!r} must be GP, GO or GN", "discipline", code)
        text_value(entry.get("source"), file, "discipline", code, "source")
        out[str(code)] = modifier
    return out
