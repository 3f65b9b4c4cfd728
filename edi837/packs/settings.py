"""Rule settings: each rule declares its own (name, kind, default, choices); packs check them generically.

A setting is written in a pack's config.toml (`[rules.NC002] action = "review"`) or in a payer profile
(the same table, for that payer's claims only). The pack loader knows no rule by name: it checks every
`[rules.CODE]` table against the schema the rule with that code declares, and refuses a code no rule has,
a key the rule does not have (naming the nearest one), and a value of the wrong kind.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edi837.packs.files import CODE, MODIFIER, PackFile, blame, need

KINDS = ("code", "codes", "choice", "bool", "int", "modifier", "diagnoses")
# An ICD-10-CM code, with or without its dot (M99.03, M9903): a letter, a digit, then 1 to 5 letters or digits.
DIAGNOSIS = re.compile(r"[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?")


@dataclass(frozen=True)
class Setting:
    """One setting of a rule: what it is called, its kind, its default and, for a choice, its values."""

    name: str
    kind: str  # code | codes | choice | bool | int | modifier | diagnoses (ICD-10-CM codes)
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    count: int | None = None  # for "codes": exactly this many

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise TypeError(f"setting {self.name}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        problem = self.problem(self.default)
        if problem is not None:
            raise TypeError(f"setting {self.name}: its default {self.default!r} {problem}")

    def problem(self, value: Any) -> str | None:
        """Why `value` is not a valid value of this setting, or None when it is."""
        if self.kind == "bool":
            return None if isinstance(value, bool) else "must be true or false"
        if self.kind == "int":
            return None if isinstance(value, int) and not isinstance(value, bool) else "must be a whole number"
        if self.kind == "code":
            return None if isinstance(value, str) and CODE.fullmatch(value) else "must be a 5-character code"
        if self.kind == "modifier":
            return None if isinstance(value, str) and MODIFIER.fullmatch(value) else "must be a 2-character modifier"
        if self.kind == "choice":
            return None if value in self.choices else f"must be one of {', '.join(self.choices)}"
        if self.kind == "diagnoses":
            return None if isinstance(value, list | tuple) and all(
                isinstance(v, str) and DIAGNOSIS.fullmatch(v) for v in value) else "must be a list of ICD-10-CM codes"
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) and CODE.fullmatch(v) for v in value):
            return "must be a list of 5-character codes"
        if self.count is not None and len(value) != self.count:
            return f"must be a list of {self.count} codes"
        return None

    def describe(self) -> str:
        """One line for `edi-fix rule CODE`: name, kind, default, and what it does."""
        kind = f"one of {', '.join(self.choices)}" if self.kind == "choice" else self.kind
        default = ", ".join(self.default) if isinstance(self.default, list | tuple) else str(self.default).lower() \
            if isinstance(self.default, bool) else str(self.default)
        return f"{self.name} ({kind}; default {default}): {self.help}"


Schemas = Mapping[str, tuple[Setting, ...]]  # rule code -> its settings


def check_rule_settings(data: Any, schemas: Schemas | None, file: PackFile | None,
                        *where: str) -> dict[str, dict[str, Any]]:
    """The `[rules.CODE]` tables of a config or a profile, checked against the rules' own schemas.

    With `schemas` None (a caller that loads packs without knowing the rules) the tables are only
    checked for shape.
    """
    table = need(data, dict, file, *where, what="must be a table of [rules.CODE] tables")
    out: dict[str, dict[str, Any]] = {}
    for code, settings in table.items():
        settings = dict(need(settings, dict, file, *where, code, what="must be a table"))
        if schemas is not None:
            if code not in schemas:
                near = difflib.get_close_matches(str(code), sorted(schemas), n=1, cutoff=0.6)
                hint = f"; did you mean {near[0]}?" if near else ""
                raise blame(file, f"{'.'.join(where)}.{code}: no rule has the code {code!r}{hint}", *where, code)
            declared = {s.name: s for s in schemas[code]}
            for key, value in settings.items():
                setting = declared.get(key)
                if setting is None:
                    near = difflib.get_close_matches(str(key), sorted(declared), n=1, cutoff=0.6)
                    hint = f"; did you mean {near[0]!r}?" if near else (
                        f" (it has {', '.join(sorted(declared))})" if declared else " (it has no settings)")
                    raise blame(file, f"{'.'.join(where)}.{code}: {code} has no setting {key!r}{hint}",
                                *where, code, key)
                problem = setting.problem(value)
                if problem is not None:
                    raise blame(file, f"{'.'.join(where)}.{code}.{key}: {value!r} {problem}", *where, code, key)
        out[str(code)] = settings
    return out
