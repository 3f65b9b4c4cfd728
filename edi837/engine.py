"""Rule engine: runs rules on each claim, applies the fixes it may, and turns findings into records.

Rules are small named units with a stable code (like ruff's): each reads a claim, its payer
profile and the packs, and returns findings; a finding may carry a fix (a list of edits) with an
applicability. `safe` fixes are applied by default because the claim itself proves them right;
`review` fixes are shown and applied only when the user asks (`--apply-review`), or when the pack
approves that rule's fix (the practice attests to what the 837 cannot show). Rules never touch
bytes: the engine hands their edits to the ClaimEditor.

Selection is ruff's: `select` and `ignore` take codes or prefixes; the more specific one decides
(select NC, ignore NC002 keeps NC001), and a tie goes to ignore.

Collisions are resolved deterministically: rules run in code order; a later fix that edits an
element an earlier rule already set (units, charge) or a line an earlier rule removed is not
applied, and its finding is logged as a review item naming the earlier rule. A fix applies whole
or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from edi837.changelog import ChangeRecord
from edi837.edits import ClaimEditor, Edit, EditRejected, RemoveLine, SegmentChange, SetCharge, SetUnits
from edi837.envelope import Delimiters
from edi837.loops import Claim
from edi837.minutes import MinutesTable
from edi837.packs import PayerProfile, RulePacks


class Applicability(StrEnum):
    SAFE = "safe"
    REVIEW = "review"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Fix:
    edits: tuple[Edit, ...]
    applicability: Applicability
    approved: bool = False  # a review fix the pack says to apply (the practice attests to it)


@dataclass(frozen=True)
class Finding:
    rule: str
    claim_id: str
    lines: tuple[int, ...]
    procedure: str | None
    message: str
    severity: Severity = Severity.WARNING
    fix: Fix | None = None
    source: str | None = None


class ClaimContext:
    """What a rule may read besides the claim: the packs, the claim's payer profile, the minutes file.

    The payer profile is looked up on first use, so a rule's cheap `wants` check costs nothing.
    """

    __slots__ = ("_lookup", "_profile", "minutes", "packs")

    def __init__(self, packs: RulePacks | None, profile: PayerProfile | Callable[[], PayerProfile | None] | None,
                 minutes: MinutesTable | None = None) -> None:
        self.packs = packs
        self.minutes = minutes
        self._lookup = profile if callable(profile) else None
        self._profile = None if callable(profile) else profile

    @property
    def profile(self) -> PayerProfile | None:
        if self._lookup is not None:
            self._profile, self._lookup = self._lookup(), None
        return self._profile

    def setting(self, rule: str, key: str, default: Any) -> Any:
        if self.packs is None:
            return default
        return self.packs.setting(rule, key, self.profile, default)


class Rule(Protocol):
    """What the engine needs of a rule: a stable code, a name, a cheap pre-check and a check.

    A rule may also have `phase` (an int, default 1): lower phases run first. The units rules are
    phase 0 because they decide which lines exist at all; the modifier rules (phase 1) must see the
    claim as it will be written (a 97140 the 8-minute rule removes must not make 97530 a pair).
    """

    code: str
    name: str

    def wants(self, claim: Claim, context: ClaimContext) -> bool: ...

    def check(self, claim: Claim, context: ClaimContext) -> Iterable[Finding]: ...


def selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """ruff-style selection: the longest matching prefix wins; ALL selects everything; ties ignore."""

    def best(prefixes: Sequence[str]) -> int:
        lengths = [0 if p == "ALL" else len(p) for p in prefixes if p == "ALL" or code.startswith(p)]
        return max(lengths, default=-1)

    chosen, dropped = best(select), best(ignore)
    return chosen >= 0 and chosen > dropped


@dataclass
class ClaimOutcome:
    pieces: list[bytes] | None  # None: the claim is unchanged
    records: list[ChangeRecord] = field(default_factory=list)
    left_alone: str | None = None  # why no rule looked at the claim ("void", "frequency"), if so


# CLM05-3 claim frequency codes of the 837P: 1 original and 7 replacement are fixed like any claim; 8, a void,
# cancels an earlier claim and must mirror it, so no rule may change it. The professional guide uses no other
# code (NUBC's bill-type frequency codes for the 837P; clearinghouses such as Stedi reject any other).
FIXABLE_FREQUENCIES = frozenset({"1", "7"})
VOID_FREQUENCY = "8"
FREQUENCY_SOURCE = ("NUBC bill type frequency codes for use in the 837 Professional (1 original, 7 replacement of "
                    "prior claim, 8 void/cancel of prior claim); X12 RFI 1538 (REF*F8 on replacements and voids)")


def _touches(edit: Edit) -> tuple[str, int] | None:
    """The element an edit owns for collision purposes. Modifiers own nothing: two rules may each add
    one, and the editor itself refuses a duplicate or 59 beside X."""
    if isinstance(edit, SetUnits):
        return ("units", edit.line)
    if isinstance(edit, SetCharge):
        return ("charge", edit.line)
    if isinstance(edit, RemoveLine):
        return ("line", edit.line)
    return None


class RuleEngine:
    """Holds the selected rules and applies them claim by claim."""

    def __init__(self, rules: Sequence[Rule], delimiters: Delimiters, packs: RulePacks | None = None, *,
                 apply_review: bool = False, minutes: MinutesTable | None = None) -> None:
        self.rules = sorted(rules, key=lambda r: (getattr(r, "phase", 1), r.code))
        self.delimiters = delimiters
        self.packs = packs
        self.apply_review = apply_review
        self._rank = packs.modifier_rank if packs is not None else None
        self.minutes = minutes
        self._profiles: dict[tuple[str, str], PayerProfile] = {}

    def _profile(self, claim: Claim) -> PayerProfile | None:
        if self.packs is None:
            return None
        key = (claim.subscriber.payer_id, claim.subscriber.claim_filing)
        profile = self._profiles.get(key)
        if profile is None:
            profile = self._profiles[key] = self.packs.profile_for(*key)
        return profile

    def run(self, claim: Claim) -> ClaimOutcome:
        frequency = claim.frequency
        if frequency == VOID_FREQUENCY:
            return ClaimOutcome(None, [], left_alone="void")
        if frequency not in FIXABLE_FREQUENCIES:
            shown = frequency if frequency.isascii() and frequency.isalnum() and len(frequency) <= 2 else "unreadable"
            finding = Finding("EDI002", claim.claim_id, (), None,
                              f"CLM05-3 claim frequency code is {shown or 'missing'}; the 837P uses 1 (original), "
                              "7 (replacement) and 8 (void): no rule changed this claim; correct the code",
                              Severity.WARNING, None, FREQUENCY_SOURCE)
            return ClaimOutcome(None, [self._record(claim, finding, None, applied=False)], left_alone="frequency")
        context = ClaimContext(self.packs, lambda: self._profile(claim), self.minutes)
        editor: ClaimEditor | None = None
        records: list[ChangeRecord] = []
        touched: dict[tuple[str, int], str] = {}
        for rule in self.rules:
            # Asked at the rule's turn, after the rules before it have edited the claim.
            if not rule.wants(claim, context):
                continue
            for finding in rule.check(claim, context):
                fix = finding.fix
                if fix is None or not (fix.applicability is Applicability.SAFE or self.apply_review or fix.approved):
                    records.append(self._record(claim, finding, None, applied=False))
                    continue
                clash = self._collision(fix, finding.rule, touched)
                if clash is not None:
                    records.append(self._record(claim, finding, None, applied=False, note=clash))
                    continue
                if editor is None:
                    editor = ClaimEditor(claim, self.delimiters, self._rank)
                if self._apply(editor, claim, finding, records):
                    for edit in fix.edits:
                        key = _touches(edit)
                        if key is not None:
                            touched.setdefault(key, finding.rule)
        if editor is None or not editor.changes:
            return ClaimOutcome(None, records)
        pieces = editor.finish()
        if any(c.action == "renumber_line" for c in editor.changes):
            # LX renumbering is a consequence of a removal; it is told on the removal's record so the
            # log's action values stay those of the contract.
            records = [
                replace(r, message=f"{r.message}; LX01 of the following lines renumbered")
                if r.action == "remove_line" and r.applied else r
                for r in records
            ]
        for change in editor.changes:
            if change.action == "set_claim_total":
                records.append(self._total_record(claim, change))
        return ClaimOutcome(pieces, records)

    @staticmethod
    def _collision(fix: Fix, rule: str, touched: dict[tuple[str, int], str]) -> str | None:
        for edit in fix.edits:
            removed_by = touched.get(("line", edit.line))
            if removed_by is not None:
                return f"not applied: line {edit.line} was removed by {removed_by}"
            key = _touches(edit)
            owner = touched.get(key) if key is not None else None
            if key is not None and owner is not None and owner != rule:
                return f"not applied: {key[0]} of line {edit.line} were already set by {owner}"
        return None

    def _apply(self, editor: ClaimEditor, claim: Claim, finding: Finding, records: list[ChangeRecord]) -> bool:
        assert finding.fix is not None
        point = editor.checkpoint()
        start = len(editor.changes)
        try:
            for edit in finding.fix.edits:
                editor.apply(edit)
        except EditRejected as why:
            editor.rollback(point)
            records.append(self._record(claim, finding, None, applied=False, note=f"not applied: {why}"))
            return False
        for change in editor.changes[start:]:
            records.append(self._record(claim, finding, change, applied=True))
        return True

    def _record(self, claim: Claim, finding: Finding, change: SegmentChange | None, *, applied: bool,
                note: str | None = None) -> ChangeRecord:
        line = change.line if change else (finding.lines[0] if finding.lines else None)
        if not applied and note is None and finding.fix is not None:
            note = "not applied: a review fix, applied only with --apply-review or when the pack approves it"
        message = finding.message if note is None else f"{finding.message} ({note})"
        severity = Severity.WARNING if not applied and finding.severity is Severity.INFO else finding.severity
        if change is not None:
            segment: int | None = claim.first_ordinal + change.index
        else:
            sv1 = next((x.sv1_index for x in claim.lines if x.number == line), -1) if line else -1
            segment = claim.first_ordinal + sv1 if sv1 >= 0 else None
        return ChangeRecord(
            claim_id=claim.claim_id,
            line_number=line,
            procedure=change.procedure if change else finding.procedure,
            rule=finding.rule,
            action=change.action if change else "review",
            segment_before=change.before if change else None,
            segment_after=change.after if change else None,
            applied=applied,
            message=message,
            severity=str(severity),
            applicability=str(finding.fix.applicability) if finding.fix else None,
            source=finding.source,
            transaction=claim.transaction.control_number,
            segment=segment,
        )

    def _total_record(self, claim: Claim, change: SegmentChange) -> ChangeRecord:
        return ChangeRecord(
            claim_id=claim.claim_id,
            line_number=None,
            procedure=None,
            rule="EDI001",
            action=change.action,
            segment_before=change.before,
            segment_after=change.after,
            applied=True,
            message="CLM02 recomputed as the sum of the claim's SV102 line charges",
            severity="info",
            applicability="safe",
            source="005010X222A1 2300 CLM02: total claim charge equals the sum of 2400 SV102",
            transaction=claim.transaction.control_number,
            segment=claim.first_ordinal,
        )
