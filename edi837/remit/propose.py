"""Payer-profile proposals from outcomes: written for a person to review, never applied by edi837 itself.

A proposal is made only when the evidence is strong and consistent (Thresholds, below); weaker evidence for
the same change is listed by `weak`, with no proposal. Two changes are proposed today:
- `distinct_modifier`: the payer denies CODE with 59 for CARC 4 (modifier inconsistent with the procedure) and
  pays CODE with one X modifier (XE, XP, XS, XU) -> that X modifier;
- NC002 `action = "review"`: the payer denies the line NC002 acted on whatever modifier it carried.
Each file carries its evidence as comments: counts, CARC/RARC, payment dates, claim ids (ids only).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from edi837.errors import one_line
from edi837.remit.outcomes import OutcomeLine, Outcomes

X_MODIFIERS = ("XE", "XP", "XS", "XU")
MODIFIER_DENIAL = "4"  # CARC 4: the procedure code is inconsistent with the modifier used (codes.toml)
EVIDENCE_CLAIMS = 10  # claim ids quoted per evidence line


@dataclass(frozen=True)
class Thresholds:
    """When evidence is strong enough to propose. Defaults: at least 10 lines from at least 5 claims on each
    side of a comparison, and at least 90% of them agreeing (denied, or paid)."""

    min_lines: int = 10
    min_claims: int = 5
    min_share: Decimal = Decimal("0.9")


DEFAULTS = Thresholds()


@dataclass(frozen=True)
class Evidence:
    payer: str
    key: str  # "distinct_modifier" or "NC002"
    value: str
    notes: tuple[str, ...]
    strong: bool


def _share(part: int, whole: int) -> Decimal:
    return Decimal(part) / Decimal(whole) if whole else Decimal(0)


def _enough(lines: list[OutcomeLine], agreeing: int, t: Thresholds) -> bool:
    claims = {line.claim_id for line in lines}
    return len(lines) >= t.min_lines and len(claims) >= t.min_claims and _share(agreeing, len(lines)) >= t.min_share


def _note(label: str, lines: list[OutcomeLine]) -> str:
    denied = [x for x in lines if x.denied]
    reasons = Counter(r for x in denied for r in x.denial_reasons)
    remarks = Counter(r for x in denied for r in x.remarks)
    days = sorted({x.paid_on for x in lines if x.paid_on is not None})
    claims = sorted({x.claim_id for x in lines})
    paid = sum((x.paid for x in lines), Decimal(0))
    return one_line(
        f"{label}: {len(lines)} lines on {len(claims)} claims, {len(lines) - len(denied)} paid (${paid:,.2f}), "
        f"{len(denied)} denied" + "".join(f"; {k} x{n}" for k, n in (reasons + remarks).most_common())
        + (f"; paid on {_span(days)}" if days else "")
        + f"; claims {', '.join(claims[:EVIDENCE_CLAIMS])}" + (" ..." if len(claims) > EVIDENCE_CLAIMS else ""))


def _span(days: list[date]) -> str:
    return f"{days[0]}" if days[0] == days[-1] else f"{days[0]}..{days[-1]}"


T = TypeVar("T")


def _by(lines: Iterable[T], key: Callable[[T], str]) -> dict[str, list[T]]:
    groups: dict[str, list[T]] = {}
    for line in lines:
        groups.setdefault(key(line), []).append(line)
    return groups


def _carc_4(line: OutcomeLine) -> bool:
    return any(r.split("-", 1)[1] == MODIFIER_DENIAL for r in line.denial_reasons)


def _modifier_evidence(payer: str, lines: list[OutcomeLine], t: Thresholds) -> Iterable[Evidence]:
    for code, of_code in _by(lines, lambda x: x.code).items():
        with_59 = [x for x in of_code if "59" in x.modifiers]
        if not with_59:
            continue
        denied_4 = sum(1 for x in with_59 if x.denied and _carc_4(x))
        for modifier in X_MODIFIERS:
            with_x = [x for x in of_code if modifier in x.modifiers]
            if not with_x:
                continue
            paid_x = sum(1 for x in with_x if x.paid > 0)
            strong = _enough(with_59, denied_4, t) and _enough(with_x, paid_x, t)
            yield Evidence(payer, "distinct_modifier", modifier,
                           (_note(f"{code} +59", with_59), _note(f"{code} +{modifier}", with_x)), strong)


def _nc002_evidence(payer: str, lines: list[OutcomeLine], t: Thresholds) -> Iterable[Evidence]:
    touched = [x for x in lines if any(rule == "NC002" for rule, _, _ in x.findings)]
    if not touched:
        return
    denied = sum(1 for x in touched if x.denied)
    modifiers = sorted({" ".join(x.modifiers) or "no modifier" for x in touched})
    notes = tuple(_note(f"{code} on NC002 lines, modifiers {', '.join(modifiers)}", group)
                  for code, group in _by(touched, lambda x: x.code).items())
    yield Evidence(payer, "NC002", "review", notes, _enough(touched, denied, t))


def evidence(out: Outcomes, t: Thresholds = DEFAULTS) -> list[Evidence]:
    found: list[Evidence] = []
    for payer, lines in _by(out.lines, lambda x: x.payer_id).items():
        found.extend(_modifier_evidence(payer, lines, t))
        found.extend(_nc002_evidence(payer, lines, t))
    return found


def _toml(payer: str, items: list[Evidence]) -> str:
    shown = one_line(payer)
    out = ["# Proposed by edi-fix outcomes from 835 remittances; review it before putting it in a rule pack.",
           "# Evidence (ids, codes, counts, amounts only):"]
    for item in items:
        out.append(f"#   {item.key} = {item.value}:")
        out.extend(f"#     {note}" for note in item.notes)
    out += ["[payer]", f"name = {json.dumps(f'{shown} (proposed from remittances)')}",
            f"payer_ids = [{json.dumps(shown)}]"]
    modifier = [i for i in items if i.key == "distinct_modifier"]
    if modifier:
        out.append(f"distinct_modifier = {json.dumps(modifier[0].value)}")
    if any(i.key == "NC002" for i in items):
        out += ["", "[rules.NC002]", 'action = "review"']
    return "\n".join(out) + "\n"


def propose(out: Outcomes, t: Thresholds = DEFAULTS) -> dict[str, str]:
    """{payer id: payer-profile TOML} for every payer with strong, consistent evidence. Two X modifiers both
    strong for one payer is not consistent: no distinct_modifier is proposed then."""
    strong = [e for e in evidence(out, t) if e.strong]
    files = {}
    for payer, items in _by(strong, lambda e: e.payer).items():
        mods = {e.value for e in items if e.key == "distinct_modifier"}
        kept = [e for e in items if e.key != "distinct_modifier" or len(mods) == 1]
        if kept:
            files[payer] = _toml(payer, kept)
    return files


def weak(out: Outcomes, t: Thresholds = DEFAULTS) -> list[str]:
    """The evidence too weak or mixed to propose anything, one printable line each."""
    return [one_line(f"{e.payer}: {e.key} = {e.value} not proposed: " + " | ".join(e.notes))
            for e in evidence(out, t) if not e.strong]
