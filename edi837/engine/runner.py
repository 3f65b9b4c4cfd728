"""Rule engine: runs the rules on each claim, applies the fixes it may, and turns findings into records.

Rules never touch bytes: the engine hands their edits to the ClaimEditor. A later rule sees the claim
as it will be written (lines an earlier rule removed are gone, modifiers it added are there) through an
explicit view the editor makes, never by the editor changing the claim behind its back.

Collisions are resolved deterministically: rules run by phase, then code; a later fix that edits an
element an earlier rule already set (units, charge) or a line an earlier rule removed is not applied,
and its finding is logged as a review item naming the earlier rule. A fix applies whole or not at all.

Which claims rules may change at all is decided here too, from the claim frequency code (CLM05-3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from edi837.engine.context import ClaimContext
from edi837.engine.engine_rules import CLAIM_TOTAL_RULE, CLAIM_TOTAL_SOURCE, FREQUENCY_RULE, FREQUENCY_SOURCE
from edi837.engine.findings import Applicability, Finding, Fix, Severity
from edi837.engine.partners import Partners, partners_of
from edi837.engine.records import ChangeRecord
from edi837.engine.registry import RuleLike
from edi837.model.claim import Claim
from edi837.model.minutes import MinutesTable
from edi837.packs import PayerProfile, RulePacks
from edi837.writer.edits import (
    AppendModifier,
    ClaimEditor,
    Edit,
    EditRejected,
    RemoveLine,
    SegmentChange,
    SetCharge,
    SetUnits,
    format_decimal,
)
from edi837.x12.envelope import Delimiters


@dataclass
class ClaimOutcome:
    pieces: list[bytes] | None  # None: the claim is unchanged
    records: list[ChangeRecord] = field(default_factory=list)
    left_alone: str | None = None  # why no rule looked at the claim ("void", "frequency"), if so
    notes: frozenset[str] = frozenset()  # what rules noted they could not decide (context.notes)


# CLM05-3 claim frequency codes of the 837P: 1 original and 7 replacement are fixed like any claim; 8, a void,
# cancels an earlier claim and must mirror it, so no rule may change it. The professional guide uses no other
# code (NUBC's bill-type frequency codes for the 837P; clearinghouses such as Stedi reject any other).
FIXABLE_FREQUENCIES = frozenset({"1", "7"})
VOID_FREQUENCY = "8"


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

    def __init__(self, rules: Sequence[RuleLike], delimiters: Delimiters, packs: RulePacks | None = None, *,
                 apply_review: bool = False, minutes: MinutesTable | None = None) -> None:
        self.rules = sorted(rules, key=lambda r: (getattr(r, "phase", 1), r.code))
        self.delimiters = delimiters
        self.packs = packs
        self.apply_review = apply_review
        self._rank = packs.modifier_rank if packs is not None else None
        self._modifier_check = packs.modifier_problems if packs is not None else None
        self.minutes = minutes
        # The partner lines of the file's claims (engine/partners.py), set by the run; a worker's engine gets
        # the entries of each chunk's claims with the chunk (engine/farm.py).
        self.partners: Partners = {}
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
            finding = Finding(FREQUENCY_RULE, claim.claim_id, (), None,
                              f"CLM05-3 claim frequency code is {shown or 'missing'}; the 837P uses 1 (original), "
                              "7 (replacement) and 8 (void): no rule changed this claim; correct the code",
                              Severity.WARNING, None, FREQUENCY_SOURCE)
            return ClaimOutcome(None, [self._record(claim, finding, None, applied=False)], left_alone="frequency")
        partners = partners_of(self.partners, claim) if self.partners else ()
        context = ClaimContext(self.packs, lambda: self._profile(claim), self.minutes, partners)
        editor: ClaimEditor | None = None
        records: list[ChangeRecord] = []
        touched: dict[tuple[str, int], str] = {}
        view = claim  # the claim as it will be written so far: what each rule reads
        stale = False  # the editor has changed the claim since `view` was made
        for rule in self.rules:
            if stale and editor is not None:
                # Made once per rule that follows an edit, not once per edit: a rule's findings are all
                # computed before any is applied, so only the next rule can read the new view.
                view, stale = editor.view(), False
            # Asked at the rule's turn, after the rules before it have edited the claim.
            if not rule.wants(view, context):
                continue
            for finding in list(rule.check(view, context)):
                fix = finding.fix
                if fix is None or not (fix.applicability is Applicability.SAFE or self.apply_review or fix.approved):
                    records.append(self._record(claim, finding, None, applied=False))
                    continue
                clash = self._collision(fix, finding.rule, touched)
                if clash is not None:
                    records.append(self._record(claim, finding, None, applied=False, note=clash))
                    continue
                if editor is None:
                    editor = ClaimEditor(claim, self.delimiters, self._rank, self._modifier_check)
                if self._apply(editor, claim, finding, records):
                    for edit in fix.edits:
                        key = _touches(edit)
                        if key is not None:
                            touched.setdefault(key, finding.rule)
                    stale = True
        notes = frozenset(context.notes)
        if editor is None or not editor.changes:
            return ClaimOutcome(None, records, notes=notes)
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
        return ClaimOutcome(pieces, records, notes=notes)

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
        made: list[tuple[Edit, SegmentChange]] = []
        try:
            for edit in finding.fix.edits:
                before = len(editor.changes)
                editor.apply(edit)
                made += [(edit, change) for change in editor.changes[before:]]
        except EditRejected as why:
            editor.rollback(point)
            records.append(self._record(claim, finding, None, applied=False, note=f"not applied: {why}"))
            return False
        # One finding, several changes (GY and GP; units, charge and a merged line): each record says which
        # change it is, so the log never shows one text for two different segments.
        several = len(editor.changes) - start > 1
        for edit, change in made:
            records.append(self._record(claim, finding, change, applied=True,
                                        note=f"this record: {_step(edit)}" if several else None))
        return True

    def _record(self, claim: Claim, finding: Finding, change: SegmentChange | None, *, applied: bool,
                note: str | None = None) -> ChangeRecord:
        line = change.line if change else (finding.lines[0] if finding.lines else None)
        if not applied and note is None and finding.fix is not None:
            history = [x for x in claim.all_lines if x.number in finding.lines and claim.is_history(x)]
            how = ("was adjudicated by a prior payer" if history and history[0].adjudicated else
                   "belongs to a claim a prior payer adjudicated as a whole")
            note = (f"not applied: line {history[0].number} {how}, so it stays as that payer saw it, even with "
                    "--apply-review; a person decides any change" if history else
                    "not applied: a review fix, applied only with --apply-review or when the pack approves it")
        message = finding.message if note is None else f"{finding.message} ({note})"
        severity = Severity.WARNING if not applied and finding.severity is Severity.INFO else finding.severity
        if change is not None:
            segment: int | None = claim.first_ordinal + change.index
        else:
            sv1 = next((x.sv1_index for x in claim.all_lines if x.number == line), -1) if line else -1
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
            rule=CLAIM_TOTAL_RULE,
            action=change.action,
            segment_before=change.before,
            segment_after=change.after,
            applied=True,
            message="CLM02 recomputed as the sum of the claim's SV102 line charges",
            severity="info",
            applicability="safe",
            source=CLAIM_TOTAL_SOURCE,
            transaction=claim.transaction.control_number,
            segment=claim.first_ordinal,
        )


def _step(edit: Edit) -> str:
    """What one edit of a finding did, in words, for the record of its change."""
    if isinstance(edit, AppendModifier):
        return f"{edit.modifier} appended"
    if isinstance(edit, SetUnits):
        return f"units set to {format_decimal(edit.units)}"
    if isinstance(edit, SetCharge):
        return f"charge set to {format_decimal(edit.amount)}"
    return f"line {edit.line} removed"
