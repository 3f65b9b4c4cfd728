"""What a line's own modifiers contradict: each other, or the code they are on (modifiers.toml).

Two kinds, both facts of the claim a person must correct before anything is added beside them (MOD001 reports
them; the editor adds no modifier to such a line, whichever rule asks):

- modifiers that contradict each other (`conflicts`): 59 beside an X modifier (the X modifiers are the specific
  forms of 59, CMS MLN1783722), or one written twice;
- a modifier that belongs on some codes only, on another code (`misplaced`): 24, 25 and 57 are "only applied
  when billing for evaluation and management (E/M) exams or eye visit codes" (AAO), so 97140:25 says an office
  visit was separately identifiable on a line that is not one. Which modifier belongs where is pack data,
  `[only_on.MODIFIER]` in modifiers.toml, with its source.

Modifiers are compared as codes (the claim parser reads them in upper case, whatever the file's case).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edi837.packs.files import MODIFIER, PackFile, blame, check_keys, code_value, need, text_value
from edi837.writer.edits import X_MODIFIERS

CodeRanges = tuple[tuple[str, str], ...]  # inclusive (first, last) 5-character codes; a single code is (c, c)


@dataclass(frozen=True)
class ModifierScope:
    """One modifier and the codes it may be on (`[only_on.25]` in modifiers.toml)."""

    modifier: str
    codes: CodeRanges
    what: str  # the codes in words, for a message ("an evaluation and management (E/M) or eye visit code")
    source: str


def in_ranges(code: str, ranges: CodeRanges) -> bool:
    """Whether a 5-character code is inside one of the ranges (CPT codes of one section compare as text)."""
    return len(code) == 5 and any(first <= code <= last for first, last in ranges)


def conflicts(modifiers: tuple[str, ...]) -> list[str]:
    """What contradicts itself among a line's own modifiers, in words ("59 with XS", "GP twice"); [] if nothing.

    59 and an X modifier (XE, XP, XS, XU: the specific forms of 59) never go together on one line (CMS
    MLN1783722; HMSA, Moda and Anthem modifier 59 policies); a modifier written twice says nothing more and
    takes one of SV101's four slots. Which of the two a line should keep is in the record, not the claim.
    An empty slot before a filled one (`HC:97140::GP`) is not a conflict: pyx12 accepts it and no payer
    source was found that rejects it.
    """
    found = [f"{m} twice" if modifiers.count(m) == 2 else f"{m} {modifiers.count(m)} times"
             for m in dict.fromkeys(modifiers) if modifiers.count(m) > 1]
    if "59" in modifiers:
        found += [f"59 with {m}" for m in dict.fromkeys(modifiers) if m in X_MODIFIERS]
    return found


def misplaced(scopes: Mapping[str, ModifierScope], code: str, modifiers: tuple[str, ...]) -> list[str]:
    """The modifiers of a CPT/HCPCS line that cannot belong on its code, in words ("25 on 97140, which is not
    an evaluation and management (E/M) or eye visit code"); [] when each is where it may be."""
    return [f"{m} on {code}, which is not {scope.what}" for m in dict.fromkeys(modifiers)
            if (scope := scopes.get(m)) is not None and not in_ranges(code, scope.codes)]


def load_code_ranges(value: Any, file: PackFile | None, *where: str) -> CodeRanges:
    """A list of codes and code ranges ("99201-99499"), checked: each end a 5-character code, first <= last."""
    items = need(value, list, file, *where, what='must be a list of codes or ranges ("99201-99499")')
    ranges = []
    for item in items:
        text = text_value(item, file, *where)
        first, _, last = text.partition("-")
        first, last = code_value(first, file, *where), code_value(last or first, file, *where)
        if last < first:
            raise blame(file, f"{'.'.join(where)}: {text!r} ends before it starts", *where)
        ranges.append((first, last))
    return tuple(ranges)


def load_modifier_scopes(data: Mapping[str, Any], file: PackFile | None) -> dict[str, ModifierScope]:
    """`[only_on.MODIFIER]` tables: codes (list of codes and ranges), what (words), source."""
    table = need(data.get("only_on", {}), dict, file, "only_on", what="must be [only_on.MODIFIER] tables")
    scopes: dict[str, ModifierScope] = {}
    for modifier, entry in table.items():
        if not MODIFIER.fullmatch(str(modifier)):
            raise blame(file, f"only_on: {modifier!r} is not a 2-character modifier", "only_on", modifier)
        need(entry, dict, file, "only_on", modifier, what="must be { codes = [...], what = ..., source = ... }")
        check_keys(entry, ("codes", "what", "source"), file, "only_on", modifier)
        scopes[modifier] = ModifierScope(
            modifier, load_code_ranges(entry.get("codes"), file, "only_on", modifier, "codes"),
            text_value(entry.get("what", ""), file, "only_on", modifier, "what"),
            text_value(entry.get("source", ""), file, "only_on", modifier, "source"))
    return scopes


def load_evaluation(data: Mapping[str, Any], file: PackFile | None) -> CodeRanges:
    """`[evaluation] codes = [...]`: the evaluation and management (E/M) codes."""
    table = need(data.get("evaluation", {}), dict, file, "evaluation", what="must be a table")
    check_keys(table, ("codes", "source"), file, "evaluation")
    if "source" in table:
        text_value(table["source"], file, "evaluation", "source")
    return load_code_ranges(table.get("codes", []), file, "evaluation", "codes")
