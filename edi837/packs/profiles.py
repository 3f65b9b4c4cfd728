"""Payer profiles: how one payer (or one kind of coverage) wants claims, matched by payer id and/or SBR09.

A profile sets the distinct-procedure modifier the payer wants (59, XS ...), how it counts timed units,
optional caps and fees, and per-payer overrides of any rule's settings (`[rules.CODE]`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from edi837.packs.files import PackFile, bool_value, check_keys, int_value, need, text_value
from edi837.packs.settings import Schemas, check_rule_settings
from edi837.packs.tables import load_fees
from edi837.writer.edits import DISTINCT_MODIFIERS

UNIT_METHODS = ("cms-total", "per-code")
_PAYER_KEYS = ("name", "default", "payer_ids", "claim_filing", "distinct_modifier", "modifier_for", "exact_modifier",
               "unit_method", "timed_units_per_day", "medicare_part_b", "source")


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
    medicare_part_b: bool
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


def load_profile(name: str, data: Mapping[str, Any], file: PackFile, *, user: bool,
                 schemas: Schemas | None) -> PayerProfile:
    check_keys(dict(data), ("payer", "rules", "fee"), file)
    payer = need(data.get("payer"), dict, file, "payer", what="a payer profile needs a [payer] table")
    check_keys(payer, _PAYER_KEYS, file, "payer")
    distinct = text_value(payer.get("distinct_modifier", "59"), file, "payer", "distinct_modifier")
    if distinct not in DISTINCT_MODIFIERS:
        raise file.error(f"payer.distinct_modifier {distinct!r} must be one of {', '.join(sorted(DISTINCT_MODIFIERS))}",
                         "payer", "distinct_modifier")
    method = text_value(payer.get("unit_method", "per-code"), file, "payer", "unit_method")
    if method not in UNIT_METHODS:
        raise file.error(f"payer.unit_method {method!r} must be one of {', '.join(UNIT_METHODS)}",
                         "payer", "unit_method")
    modifier_for = need(payer.get("modifier_for", {}), dict, file, "payer", "modifier_for",
                         what="must be a table of RULE = modifier")
    for rule, modifier in modifier_for.items():
        if text_value(modifier, file, "payer", "modifier_for", rule) not in DISTINCT_MODIFIERS:
            raise file.error(f"payer.modifier_for.{rule} must be one of {', '.join(sorted(DISTINCT_MODIFIERS))}",
                             "payer", "modifier_for", rule)
    cap = payer.get("timed_units_per_day")
    payer_ids = need(payer.get("payer_ids", []), list, file, "payer", "payer_ids", what="must be a list")
    filing = need(payer.get("claim_filing", []), list, file, "payer", "claim_filing", what="must be a list")
    return PayerProfile(
        key=name,
        name=text_value(payer.get("name"), file, "payer", "name"),
        payer_ids=frozenset(text_value(p, file, "payer", "payer_ids") for p in payer_ids),
        claim_filing=frozenset(text_value(c, file, "payer", "claim_filing") for c in filing),
        default=bool_value(payer.get("default", False), file, "payer", "default"),
        distinct_modifier=distinct,
        exact_modifier=bool_value(payer.get("exact_modifier", False), file, "payer", "exact_modifier"),
        unit_method=method,
        modifier_for=dict(modifier_for),
        rules=check_rule_settings(data.get("rules", {}), schemas, file, "rules"),
        timed_units_per_day=None if cap is None else int_value(cap, file, "payer", "timed_units_per_day"),
        fee_schedule=load_fees(data.get("fee", {}), file, "fee"),
        user=user,
        medicare_part_b=bool_value(payer.get("medicare_part_b", False), file, "payer", "medicare_part_b"),
        source=text_value(payer.get("source", ""), file, "payer", "source"),
    )
