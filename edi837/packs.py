"""Rule packs: the billing facts rules read, as TOML a billing manager can check against the source.

Why data and not code: NCCI edits change every quarter, payers disagree about 59 versus XS, and a
region table is a clinical-coding decision. All of that lives in `rules/*.toml` (shipped inside the
package) with the source of every value, and a practice can layer its own folder over it
(`--rules DIR`, same layout): files there override the shipped ones key by key, and its payer
profiles win over shipped ones that match the same claim.

Packs are loaded and validated once per run. A broken pack is refused (exit 2) with its file and
line, because a rule that silently reads a wrong value would change claims wrongly.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from edi837.edits import DISTINCT_MODIFIERS
from edi837.errors import RulePackError
from edi837.resources import data_dir

UNIT_METHODS = ("cms-total", "per-code")
REGIONS = ("cervical", "thoracic", "lumbar", "sacral", "pelvic",
           "head", "upper_extremity", "lower_extremity", "rib_cage", "abdomen")
# A diagnosis that never names a body site (an external cause: how, not where): ignored, neither a
# region nor an unknown one. region_of returns it as (NO_SITE, True).
NO_SITE = "no_site"
_CODE = re.compile(r"[A-Z0-9]{5}")
_MODIFIER = re.compile(r"[A-Z0-9]{2}")


# --- the loaded packs -----------------------------------------------------------------------------

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
        return f"NCCI {self.label} indicator {self.modifier_indicator} ({self.confidence}): {self.source}"


@dataclass(frozen=True)
class RegionEntry:
    prefix: str  # ICD-10-CM code or prefix without the dot
    region: str | None  # None: a code known to carry no single region
    source: str


@dataclass(frozen=True)
class PayerProfile:
    """How one payer (or one kind of coverage) wants claims: matched by payer id and/or SBR09."""

    key: str
    name: str
    payer_ids: frozenset[str]
    claim_filing: frozenset[str]
    default: bool
    distinct_modifier: str
    exact_modifier: bool
    unit_method: str
    modifier_for: Mapping[str, str]
    rules: Mapping[str, Mapping[str, Any]]
    timed_units_per_day: int | None
    fee_schedule: Mapping[str, Decimal]
    user: bool
    source: str

    def modifier(self, rule: str) -> str:
        return self.modifier_for.get(rule, self.distinct_modifier)

    def match_score(self, payer_id: str, claim_filing: str) -> int:
        """3 payer id and SBR09, 2 payer id, 1 SBR09, 0 default profile, -1 no match."""
        if self.payer_ids and payer_id not in self.payer_ids:
            return -1
        if self.claim_filing and claim_filing not in self.claim_filing:
            return -1
        score = (2 if self.payer_ids else 0) + (1 if self.claim_filing else 0)
        if score == 0 and not self.default:
            return -1
        return score


@dataclass
class RulePacks:
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
    fee_schedule: Mapping[str, Decimal] = field(default_factory=dict)
    units_cap: int = 8
    tie_order: tuple[str, ...] = ()

    def region_of(self, code: str) -> tuple[str | None, bool]:
        """(region, known) for an ICD-10-CM code: the longest matching prefix in the table decides."""
        code = code.replace(".", "").upper()
        if code == "M9900":
            return self.m99_00_region, self.m99_00_region is not None
        for end in range(len(code), 0, -1):
            entry = self.regions.get(code[:end])
            if entry is not None:
                return entry.region, entry.region is not None
        return None, False

    def modifier_rank(self, modifier: str) -> int:
        return self.modifier_ranks.get(modifier, self.modifier_default_rank)

    def profile_for(self, payer_id: str, claim_filing: str) -> PayerProfile:
        """The payer profile for a claim: the most specific match wins (payer id over SBR09 over the
        default); on a tie a profile from the user's --rules folder wins over a shipped one; then the
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
        return [p for p in self.pairs if {p.column1, p.column2} == {code_a, code_b} and p.active_on(day)]


# --- loading --------------------------------------------------------------------------------------

class _File:
    """One TOML file: its parsed data, its text (to name lines in errors) and its path."""

    def __init__(self, path: Path, folder: Path) -> None:
        self.path = path
        self.name = path.relative_to(folder).as_posix()
        try:
            self.text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise RulePackError(f"{path}: cannot be read ({error})") from None
        try:
            self.data: dict[str, Any] = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as error:
            raise RulePackError(f"{path}: not valid TOML: {error}") from None
        except RecursionError:  # tomllib recurses per nesting level of inline arrays and tables
            raise RulePackError(f"{path}: not valid TOML: values nested too deeply") from None

    def line_of(self, *keys: str | int) -> int:
        """The line where a key is written: the best guess a person can act on.

        String keys are looked for in order, each after the previous one; an integer key after an
        array-of-tables name means its n-th [[name]] header.
        """
        lines = self.text.splitlines()
        start = 0
        previous = ""
        for key in keys:
            if isinstance(key, int):
                header = re.compile(rf"^\s*\[\[\s*{re.escape(previous)}\s*\]\]")
                found = [n for n, text in enumerate(lines) if header.search(text)]
                if key < len(found):
                    start = found[key]
                continue
            previous = key
            pattern = re.compile(rf'^\s*(\[+\s*)?("?{re.escape(key)}"?)\s*[=\].]')
            for number in range(start, len(lines)):
                if pattern.search(lines[number]) or f'."{key}"' in lines[number] or f".{key}]" in lines[number]:
                    start = number
                    break
        return start + 1

    def error(self, message: str, *keys: str | int) -> RulePackError:
        return RulePackError(f"{self.path} line {self.line_of(*keys)}: {message}")


def _files(folder: Path) -> dict[str, _File]:
    files = {f.relative_to(folder).as_posix(): _File(f, folder) for f in sorted(folder.rglob("*.toml"))}
    for file in files.values():
        check_keys(file)
    return files


# --- unknown keys (a typo must not be ignored silently) ----------------------------------------------
# Every key a pack file may hold. `None`: a value, not looked into. A dict: a table with these keys. A
# list with one dict: an array of tables. `_ANY`: a table whose keys are data (codes), each holding the
# schema given. A misspelt key would otherwise be ignored and a rule would silently fall back to its
# default (distinct_modifer = "XS" would leave 59 on every claim), so it is refused with the nearest
# valid key, as ruff does for its configuration.
_ANY = "*"
_PAYER = {"payer": {"name": None, "payer_ids": None, "claim_filing": None, "default": None,
                    "distinct_modifier": None, "exact_modifier": None, "unit_method": None, "modifier_for": None,
                    "timed_units_per_day": None, "source": None},
          "fee": None, "rules": None}
SCHEMA: dict[str, Any] = {
    "config.toml": {"select": None, "ignore": None, "apply_review": None, "rules": None},
    "ncci.toml": {"pair": [{"column1": None, "column2": None, "modifier_indicator": None, "effective": None,
                            "deleted": None, "confidence": None, "source": None, "enabled": None}]},
    "regions.toml": {"settings": {"m99_00": None}, "codes": {_ANY: {"region": None, "source": None}}},
    "modifiers.toml": {"unlisted_rank": None, "order": [{"name": None, "modifiers": None, "source": None}]},
    "timed_codes.toml": {"units_that_look_like_minutes": None, "tie_order": None, "timed": None, "untimed": None},
    "fees.toml": {"fee": None},
}


def check_keys(file: _File) -> None:
    """Refuse a key (or a pack file name) that the schema does not know, naming the nearest valid one."""
    import difflib

    if file.name.startswith("payers/"):
        schema: Any = _PAYER
    elif file.name in SCHEMA:
        schema = SCHEMA[file.name]
    else:
        near = difflib.get_close_matches(file.name, [*SCHEMA, "payers/NAME.toml"], n=1, cutoff=0.6)
        hint = f" (did you mean {near[0]}?)" if near else f" (pack files: {', '.join(SCHEMA)}, payers/*.toml)"
        raise RulePackError(f"{file.path}: not a rule-pack file name{hint}")

    def walk(data: Any, shape: Any, keys: tuple[str | int, ...]) -> None:
        if isinstance(shape, list) and isinstance(data, list):
            for index, item in enumerate(data):
                walk(item, shape[0], (*keys, index))
            return
        if not isinstance(shape, dict) or not isinstance(data, dict):
            return
        for key, value in data.items():
            if _ANY in shape:
                walk(value, shape[_ANY], (*keys, key))
            elif key in shape:
                walk(value, shape[key], (*keys, key))
            else:
                where = ".".join(str(k) for k in keys if isinstance(k, str))
                near = difflib.get_close_matches(str(key), [str(k) for k in shape], n=1, cutoff=0.6)
                hint = f"did you mean {near[0]!r}?" if near else f"valid keys: {', '.join(map(str, shape))}"
                table = f" in [{where}]" if where else ""
                raise file.error(f"unknown key {key!r}{table} ({hint})", *keys, str(key))

    walk(file.data, schema, ())


_ORIGIN = "\x00origin"  # a key no TOML file can contain: where an array entry was written


def _tag_origins(file: _File) -> dict[str, Any]:
    """A copy of a file's data whose [[pair]] entries remember their file and position, so that after
    merging an error still names the line the person wrote."""
    data = dict(file.data)
    if isinstance(data.get("pair"), list):
        data["pair"] = [{**e, _ORIGIN: (file, i)} if isinstance(e, dict) else e for i, e in enumerate(data["pair"])]
    return data


def _merge(base: Any, over: Any) -> Any:
    """Key-by-key override: tables merge recursively, other values are replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            if key == "pair" and isinstance(value, list) and isinstance(base.get(key), list):
                merged[key] = _merge_pairs(base[key], value)
            else:
                merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return over


def _merge_pairs(base: list[Any], over: list[Any]) -> list[Any]:
    """NCCI pairs are identified by column 1, column 2 and effective date: a user entry with the same
    identity overrides that pair's fields; any other user entry is added."""

    def identity(entry: Any) -> tuple[Any, ...]:
        return (entry.get("column1"), entry.get("column2"), entry.get("effective")) if isinstance(entry, dict) else ()

    merged = [dict(e) if isinstance(e, dict) else e for e in base]
    index = {identity(e): i for i, e in enumerate(merged)}
    for entry in over:
        key = identity(entry)
        if key in index and isinstance(entry, dict):
            merged[index[key]] = {**merged[index[key]], **entry}  # the override's origin replaces the base's
        else:
            merged.append(entry)
    return merged


def load_packs(user_folder: Path | None = None, shipped_folder: Path | None = None) -> RulePacks:
    """Load the shipped packs, with `user_folder` (a `--rules DIR`) layered over them."""
    shipped_dir = shipped_folder or data_dir("rules")
    shipped = _files(shipped_dir)
    user: dict[str, _File] = {}
    if user_folder is not None:
        if not user_folder.is_dir():
            raise RulePackError(f"{user_folder}: --rules needs a folder (with payers/*.toml and pack files)")
        user = _files(user_folder)

    def merged(name: str) -> tuple[dict[str, Any], _File | None]:
        """The merged data of one pack file, and the file to blame for errors (the user's if it has it)."""
        base = shipped.get(name)
        over = user.get(name)
        data: dict[str, Any] = {}
        if base is not None:
            data = _tag_origins(base)
        if over is not None:
            data = _merge(data, _tag_origins(over))
        return data, over or base

    config, config_file = merged("config.toml")
    ncci, ncci_file = merged("ncci.toml")
    regions, regions_file = merged("regions.toml")
    modifiers, modifiers_file = merged("modifiers.toml")
    timed, timed_file = merged("timed_codes.toml")
    fees, fees_file = merged("fees.toml")

    profiles = []
    for name in sorted({n for n in [*shipped, *user] if n.startswith("payers/")}):
        data, blame = merged(name)
        assert blame is not None
        profiles.append(_profile(name, data, blame, user=name in user))
    if not profiles:
        raise RulePackError(f"{shipped_dir}: no payer profiles (payers/*.toml)")

    packs = RulePacks(
        pairs=tuple(_pairs(ncci, ncci_file)),
        regions=_regions(regions, regions_file),
        m99_00_region=_m99_00(regions, regions_file),
        modifier_ranks=_modifier_ranks(modifiers, modifiers_file),
        modifier_default_rank=_int(modifiers.get("unlisted_rank", 2), modifiers_file, "unlisted_rank") * 100 + 99,
        profiles=tuple(profiles),
        select=_codes_list(config.get("select", ["ALL"]), config_file, "select"),
        ignore=_codes_list(config.get("ignore", []), config_file, "ignore"),
        apply_review=_bool(config.get("apply_review", False), config_file, "apply_review"),
        rules=_rule_settings(config.get("rules", {}), config_file),
        timed_codes=_code_set(timed.get("timed", {}), timed_file, "timed"),
        untimed_codes=_code_set(timed.get("untimed", {}), timed_file, "untimed"),
        units_cap=_int(timed.get("units_that_look_like_minutes", 8), timed_file, "units_that_look_like_minutes"),
        tie_order=tuple(_codes_list(timed.get("tie_order", []), timed_file, "tie_order")),
        fee_schedule=_fees(fees.get("fee", {}), fees_file, "fee"),
    )
    defaults = [p for p in packs.profiles if p.default]
    if not defaults:
        raise RulePackError("no payer profile is marked default = true; every claim needs a profile")
    return packs


# --- validation of each file ----------------------------------------------------------------------

def _need(value: Any, kind: type | tuple[type, ...], file: _File | None, *keys: str | int, what: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        where = ".".join(str(k) for k in keys)
        if file is None:
            raise RulePackError(f"{where}: {what}")
        raise file.error(f"{where}: {what}", *keys)
    return value


def _str(value: Any, file: _File | None, *keys: str | int) -> str:
    return str(_need(value, str, file, *keys, what="must be text in quotes"))


def _bool(value: Any, file: _File | None, *keys: str | int) -> bool:
    return bool(_need(value, bool, file, *keys, what="must be true or false"))


def _int(value: Any, file: _File | None, *keys: str | int) -> int:
    return int(_need(value, int, file, *keys, what="must be a whole number"))


def _date(value: Any, file: _File | None, *keys: str | int) -> date:
    return _need(value, date, file, *keys, what="must be a date written as YYYY-MM-DD (no quotes)")  # type: ignore[no-any-return]


def _codes_list(value: Any, file: _File | None, key: str) -> tuple[str, ...]:
    items = _need(value, list, file, key, what="must be a list of codes in quotes")
    return tuple(_str(item, file, key) for item in items)


def _code(value: Any, file: _File | None, *keys: str | int) -> str:
    text = _str(value, file, *keys)
    if not _CODE.fullmatch(text):
        raise _blame(file, f"{'.'.join(map(str, keys))}: {text!r} is not a 5-character CPT/HCPCS code", *keys)
    return text


def _blame(file: _File | None, message: str, *keys: str | int) -> RulePackError:
    return file.error(message, *keys) if file is not None else RulePackError(message)


def _pairs(data: Mapping[str, Any], file: _File | None) -> Iterable[NcciPair]:
    entries = _need(data.get("pair", []), list, file, "pair", what="must be [[pair]] tables")
    for position, entry in enumerate(entries):
        _need(entry, dict, file, "pair", position, what="must be a table")
        file, i = entry.get(_ORIGIN, (file, position))
        column1 = _code(entry.get("column1"), file, "pair", i, "column1")
        column2 = _code(entry.get("column2"), file, "pair", i, "column2")
        indicator = _int(entry.get("modifier_indicator"), file, "pair", i, "modifier_indicator")
        if indicator not in (0, 1, 9):
            raise _blame(file, f"pair {column1}/{column2}: modifier_indicator must be 0, 1 or 9, not {indicator}",
                         "pair", i, "modifier_indicator")
        deleted = entry.get("deleted")
        pair = NcciPair(
            column1=column1,
            column2=column2,
            modifier_indicator=indicator,
            effective=_date(entry.get("effective"), file, "pair", i, "effective"),
            deleted=None if deleted is None else _date(deleted, file, "pair", i, "deleted"),
            confidence=_str(entry.get("confidence", "unknown"), file, "pair", i, "confidence"),
            source=_str(entry.get("source"), file, "pair", i, "source"),
            enabled=_bool(entry.get("enabled", True), file, "pair", i, "enabled"),
        )
        if pair.deleted is not None and pair.deleted <= pair.effective:
            raise _blame(file, f"pair {pair.label}: deleted must be after effective", "pair", i, "deleted")
        yield pair


def _regions(data: Mapping[str, Any], file: _File | None) -> dict[str, RegionEntry]:
    codes = _need(data.get("codes", {}), dict, file, "codes", what="must be a table of codes")
    out: dict[str, RegionEntry] = {}
    for code, entry in codes.items():
        _need(entry, dict, file, "codes", code, what="must be { region = ..., source = ... }")
        region = _str(entry.get("region"), file, "codes", code, "region")
        if region not in (*REGIONS, "none", NO_SITE):
            raise _blame(file, f"codes.{code}: region {region!r} is not one of {', '.join(REGIONS)}, none or "
                         f"{NO_SITE}", "codes", code)
        prefix = code.replace(".", "").upper()
        out[prefix] = RegionEntry(prefix, None if region == "none" else region,
                                  _str(entry.get("source"), file, "codes", code, "source"))
    return out


def _m99_00(data: Mapping[str, Any], file: _File | None) -> str | None:
    setting = _str(data.get("settings", {}).get("m99_00", "unknown"), file, "settings", "m99_00")
    if setting == "unknown":
        return None
    if setting not in REGIONS:
        raise _blame(file, f"settings.m99_00: {setting!r} must be unknown or a region ({', '.join(REGIONS)})",
                     "settings", "m99_00")
    return setting


def _modifier_ranks(data: Mapping[str, Any], file: _File | None) -> dict[str, int]:
    groups = _need(data.get("order", []), list, file, "order", what="must be [[order]] tables")
    ranks: dict[str, int] = {}
    for group_index, group in enumerate(groups):
        _need(group, dict, file, "order", group_index, what="must be a table")
        modifiers = _need(group.get("modifiers"), list, file, "order", group_index, "modifiers", what="a list")
        for position, modifier in enumerate(modifiers):
            text = _str(modifier, file, "order", group_index, "modifiers")
            if not _MODIFIER.fullmatch(text):
                raise _blame(file, f"order: {text!r} is not a 2-character modifier", "order", group_index,
                             "modifiers")
            ranks.setdefault(text, group_index * 100 + position)
    return ranks


# The settings the built-in rules read, and what each must be. A misspelt key or value would otherwise be
# ignored silently (and a rule would fall back to its default without anyone knowing).
_SETTING_KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "NC001": {"cmt_codes": ("codes",), "manual_therapy": ("code",), "extraspinal_cmt_codes": ("codes",)},
    "NC002": {"pair": ("two codes",), "action": ("fix", "review"), "modifier_on": ("column1", "column2")},
}


def _rule_settings(data: Any, file: _File | None) -> dict[str, dict[str, Any]]:
    table = _need(data, dict, file, "rules", what="must be a table of [rules.CODE] tables")
    out: dict[str, dict[str, Any]] = {}
    for code, settings in table.items():
        settings = dict(_need(settings, dict, file, "rules", code, what="must be a table"))
        kinds = _SETTING_KINDS.get(str(code))
        if kinds is not None:  # settings of plugin rules are the plugin's business
            for key, value in settings.items():
                _check_setting(str(code), key, value, kinds, file)
        out[str(code)] = settings
    return out


def _check_setting(code: str, key: str, value: Any, kinds: Mapping[str, tuple[str, ...]], file: _File | None) -> None:
    if key not in kinds:
        import difflib

        near = difflib.get_close_matches(key, list(kinds), n=1, cutoff=0.6)
        hint = f"did you mean {near[0]!r}? " if near else ""
        raise _blame(file, f"rules.{code}.{key}: {code} has no setting {key!r} ({hint}it has "
                           f"{', '.join(sorted(kinds))})", "rules", code, key)
    kind = kinds[key]
    if kind == ("codes",):
        codes = _need(value, list, file, "rules", code, key, what="must be a list of codes")
        for item in codes:
            _code(item, file, "rules", code, key)
    elif kind == ("code",):
        _code(value, file, "rules", code, key)
    elif kind == ("two codes",):
        codes = _need(value, list, file, "rules", code, key, what="must be a list of two codes")
        if len(codes) != 2:
            raise _blame(file, f"rules.{code}.{key}: must be a list of two codes", "rules", code, key)
        for item in codes:
            _code(item, file, "rules", code, key)
    elif _str(value, file, "rules", code, key) not in kind:
        raise _blame(file, f"rules.{code}.{key}: {value!r} must be one of {', '.join(kind)}", "rules", code, key)


def _code_set(data: Any, file: _File | None, key: str) -> frozenset[str]:
    table = _need(data, dict, file, key, what="must be a table of code = source")
    for code, source in table.items():
        _code(code, file, key, code)
        _str(source, file, key, code)
    return frozenset(table)


def _fees(data: Any, file: _File | None, key: str) -> dict[str, Decimal]:
    table = _need(data, dict, file, key, what="must be a table of code = per-unit fee")
    out: dict[str, Decimal] = {}
    for code, fee in table.items():
        _code(code, file, key, code)
        text = _str(fee, file, key, code)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise _blame(file, f"{key}.{code}: {text!r} is not an amount", key, code) from None
        if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise _blame(file, f"{key}.{code}: {text!r} must be a positive amount with at most 2 decimals", key, code)
        out[code] = amount
    return out


def _profile(name: str, data: Mapping[str, Any], file: _File, *, user: bool) -> PayerProfile:
    payer = _need(data.get("payer"), dict, file, "payer", what="a payer profile needs a [payer] table")
    distinct = _str(payer.get("distinct_modifier", "59"), file, "payer", "distinct_modifier")
    if distinct not in DISTINCT_MODIFIERS:
        raise file.error(f"payer.distinct_modifier {distinct!r} must be one of {', '.join(sorted(DISTINCT_MODIFIERS))}",
                         "payer", "distinct_modifier")
    method = _str(payer.get("unit_method", "per-code"), file, "payer", "unit_method")
    if method not in UNIT_METHODS:
        raise file.error(f"payer.unit_method {method!r} must be one of {', '.join(UNIT_METHODS)}",
                         "payer", "unit_method")
    modifier_for = _need(payer.get("modifier_for", {}), dict, file, "payer", "modifier_for",
                         what="must be a table of RULE = modifier")
    for rule, modifier in modifier_for.items():
        if _str(modifier, file, "payer", "modifier_for", rule) not in DISTINCT_MODIFIERS:
            raise file.error(f"payer.modifier_for.{rule} must be one of {', '.join(sorted(DISTINCT_MODIFIERS))}",
                             "payer", "modifier_for", rule)
    cap = payer.get("timed_units_per_day")
    payer_ids = _need(payer.get("payer_ids", []), list, file, "payer", "payer_ids", what="must be a list")
    filing = _need(payer.get("claim_filing", []), list, file, "payer", "claim_filing", what="must be a list")
    return PayerProfile(
        key=name,
        name=_str(payer.get("name"), file, "payer", "name"),
        payer_ids=frozenset(_str(p, file, "payer", "payer_ids") for p in payer_ids),
        claim_filing=frozenset(_str(c, file, "payer", "claim_filing") for c in filing),
        default=_bool(payer.get("default", False), file, "payer", "default"),
        distinct_modifier=distinct,
        exact_modifier=_bool(payer.get("exact_modifier", False), file, "payer", "exact_modifier"),
        unit_method=method,
        modifier_for=dict(modifier_for),
        rules=_rule_settings(data.get("rules", {}), file),
        timed_units_per_day=None if cap is None else _int(cap, file, "payer", "timed_units_per_day"),
        fee_schedule=_fees(data.get("fee", {}), file, "fee"),
        user=user,
        source=_str(payer.get("source", ""), file, "payer", "source"),
    )
