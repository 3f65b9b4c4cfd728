"""Pack tables about manipulation: what each manipulation code treats, and what says a service was remote.

Why data: a manipulation code's descriptor says which kind of body region it treats and how many (98940
"spinal, 1-2 regions", 98943 "extraspinal, 1 or more regions", 98926 "3-4 body regions"), and the rules
that read a line's diagnosis pointers must check the pointers against exactly that. It is CPT's, not the
code's, so it lives in packs/manipulation.toml with its source, where a billing manager can read it. The
telehealth place-of-service codes and modifiers (packs/telehealth.toml) are CMS's and CPT's code sets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edi837.packs.files import MODIFIER, PackFile, blame, check_keys, code_value, int_value, need, text_value
from edi837.packs.tables import REGIONS


@dataclass(frozen=True)
class ManipulationCode:
    """One manipulation code: its family, the body regions that family treats, and how many the code means."""

    code: str
    family: str  # the family's key in manipulation.toml, e.g. "cmt_spinal"
    kind: str  # how a message names the family's regions, e.g. "spinal"
    regions: frozenset[str]  # the regions a code of this family can manipulate
    least: int  # the fewest regions the code means (98941: 3)
    most: int  # the most (98941: 4)
    source: str

    @property
    def count_words(self) -> str:
        """How many regions the code means, as its descriptor says it: "1-2", "5", "1 or more"."""
        if self.least == self.most:
            return str(self.least)
        return f"{self.least} or more" if self.most == len(self.regions) and self.least == 1 else \
            f"{self.least}-{self.most}"


def load_manipulation(data: Mapping[str, Any], file: PackFile | None) -> dict[str, ManipulationCode]:
    """The [families.NAME] tables: regions, kind, source and codes = { CODE = { least, most, source } }."""
    families = need(data.get("families", {}), dict, file, "families", what="must be [families.NAME] tables")
    out: dict[str, ManipulationCode] = {}
    for name, family in families.items():
        need(family, dict, file, "families", name, what="must be a table")
        check_keys(family, ("kind", "regions", "source", "codes"), file, "families", name)
        kind = text_value(family.get("kind"), file, "families", name, "kind")
        text_value(family.get("source"), file, "families", name, "source")
        regions = need(family.get("regions"), list, file, "families", name, "regions", what="must be a list of regions")
        if not regions or any(r not in REGIONS for r in regions):
            raise blame(file, f"families.{name}.regions: each must be one of {', '.join(REGIONS)}",
                        "families", name, "regions")
        codes = need(family.get("codes", {}), dict, file, "families", name, "codes", what="must be a table of codes")
        for code, entry in codes.items():
            code_value(code, file, "families", name, "codes", code)
            need(entry, dict, file, "families", name, code, what="must be { least = ..., most = ..., source = ... }")
            check_keys(entry, ("least", "most", "source"), file, "families", name, code)
            source = text_value(entry.get("source"), file, "families", name, code, "source")
            least = int_value(entry.get("least"), file, "families", name, code, "least")
            most = int_value(entry.get("most"), file, "families", name, code, "most")
            if not 1 <= least <= most <= len(regions):
                raise blame(file, f"families.{name}.codes.{code}: need 1 <= least <= most <= {len(regions)} "
                            f"(the family's regions)", "families", name, code)
            if code in out:
                raise blame(file, f"families.{name}.codes.{code}: already in family {out[code].family}",
                            "families", name, code)
            out[code] = ManipulationCode(code, str(name), kind, frozenset(regions), least, most, source)
    return out


@dataclass(frozen=True)
class Telehealth:
    """What says a service was furnished remotely: place-of-service codes and modifiers, each with its name."""

    places: Mapping[str, str]  # POS code -> its name
    modifiers: Mapping[str, str]  # modifier -> its name


def load_telehealth(data: Mapping[str, Any], file: PackFile | None) -> Telehealth:
    """[places_of_service] "02" = { name, source } and [modifiers] "95" = { name, source }."""
    found: list[dict[str, str]] = []
    for key, shape in (("places_of_service", r"[0-9]{2}"), ("modifiers", MODIFIER.pattern)):
        table = need(data.get(key, {}), dict, file, key, what="must be a table of codes")
        names: dict[str, str] = {}
        for code, entry in table.items():
            if not re.fullmatch(shape, str(code)):
                raise blame(file, f"{key}.{code}: not a {'2-digit place of service' if key[0] == 'p' else 'modifier'}",
                            key, code)
            need(entry, dict, file, key, code, what="must be { name = ..., source = ... }")
            check_keys(entry, ("name", "source"), file, key, code)
            text_value(entry.get("source"), file, key, code, "source")
            names[str(code)] = text_value(entry.get("name"), file, key, code, "name")
        found.append(names)
    return Telehealth(found[0], found[1])
