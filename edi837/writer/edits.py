"""Edits to a claim: the only code that changes claim bytes.

Rules never touch bytes; they return edits (these dataclasses). The ClaimEditor applies them to a
copy of the claim's raw pieces, rebuilding only the element it changes and keeping every other byte
of the segment (trailing empty elements, odd spacing, the file's own component separator) as it
was. Derived values follow automatically: CLM02 is recomputed as the sum of the remaining lines'
SV102 whenever a charge changes or a line goes, and LX01 is renumbered after a removal. SE01 is the
pipeline's business (it spans claims); the editor reports the change in segment count.

History is never edited, whatever a rule asks: a void claim (CLM05-3 = 8), a line a prior payer adjudicated,
and the CLM02 of a claim a prior payer adjudicated (see `_editable`).

Hard invariants are enforced here, whatever a rule asks: at most four modifiers, never a
duplicate, never 59 beside an X modifier, never a modifier beside ones that already contradict each other
or the line's code (the run's `modifier_check`: MOD001's review items), never a claim without lines, never
an edit on a line whose LX01 number repeats in the claim. Modifiers compare by code whatever their case, and
the ones already on a line are written back as they came. A rule that asks for one of these gets an
EditRejected, which the engine turns into a review finding instead of a change. A value the 837P definition refuses (an
amount too long, a modifier with a delimiter) is never written: the editor's methods raise ValueRefused,
and `apply` (the engine's way in) turns it into an EditRejected, so the finding becomes a review item.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from edi837.errors import ValueRefused
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine, copy_line, parse_sv1
from edi837.x12.envelope import Delimiters, split_lead
from edi837.x12.segment_defs import check_value

MAX_MODIFIERS = 4
X_MODIFIERS = frozenset({"XE", "XP", "XS", "XU"})
DISTINCT_MODIFIERS = X_MODIFIERS | {"59"}


@dataclass(frozen=True, slots=True)
class AppendModifier:
    """Add a modifier to a line's SV101 (placed by the pack's modifier order)."""

    line: int  # LX01 as in the input
    modifier: str


@dataclass(frozen=True, slots=True)
class SetUnits:
    """Set SV104 (units) and SV103 (unit basis, UN or MJ)."""

    line: int
    units: Decimal
    basis: str = "UN"


@dataclass(frozen=True, slots=True)
class SetCharge:
    """Set SV102 (line charge); CLM02 follows."""

    line: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class RemoveLine:
    """Remove a whole 2400 loop with its sub-loops; LX01 of later lines and CLM02 follow."""

    line: int


Edit = AppendModifier | SetUnits | SetCharge | RemoveLine


@dataclass(frozen=True, slots=True)
class SegmentChange:
    """One segment as it was and as it became (None where it did not exist / no longer exists)."""

    action: str  # append_modifier | set_units | set_charge | remove_line | set_claim_total | renumber_line
    line: int | None  # LX01 as in the input
    procedure: str | None
    before: str | None
    after: str | None
    index: int = 0  # the segment's position in the claim as read (0 = CLM)


class EditRejected(Exception):
    """An edit would break an invariant; the message says which, in words a biller understands."""


def format_decimal(value: Decimal) -> str:
    """The shortest exact form of a decimal ("85.00" -> "85", "52.50" -> "52.5").

    The 5010 guides ask for trailing zeros after the decimal point to be suppressed in R-type
    elements (X12 005010 TR3 appendix B.1.1.3.1.2), so edi837 writes amounts and units that way even
    where the file's other values carry ".00"; both forms are accepted, only the minimal one conforms.
    """
    return f"{value.normalize():f}"


class ClaimEditor:
    """Applies edits to one claim; `changes` lists what changed, `pieces` is the new raw claim."""

    def __init__(self, claim: Claim, delimiters: Delimiters,
                 modifier_rank: Callable[[str], int] | None = None,
                 modifier_check: Callable[[ServiceLine], list[str]] | None = None) -> None:
        self.claim = claim
        self.delims = delimiters
        self.pieces = list(claim.pieces)
        self.changes: list[SegmentChange] = []
        self._rank = modifier_rank or (lambda _m: 0)
        # What a line's own modifiers contradict (each other, its code), in words; [] when nothing: no modifier
        # is added to such a line, whichever rule asks.
        self._modifier_check = modifier_check
        # The editor's own copies: editing them never changes what the claim object says (later rules read
        # the claim as edited through `view`).
        self._all_lines = [copy_line(line) for line in claim.all_lines]
        self._lines = {line.number: line for line in self._all_lines}
        numbers = [line.number for line in self._all_lines]
        self._ambiguous = {n for n in numbers if numbers.count(n) > 1}
        self._removed: set[int] = set()
        self._charges_changed = False
        self._void = claim.is_void  # asked before every edit; CLM05 is read once

    # -- helpers ---------------------------------------------------------------------------------
    def _line(self, number: int) -> ServiceLine:
        if number in self._ambiguous:
            # Edits name lines by LX01; with two lines of one number an edit could land on the wrong one.
            raise EditRejected(f"claim {self.claim.claim_id} has more than one line numbered {number} (LX01): "
                               "fix the numbering, then edi837 can change the line")
        line = self._lines.get(number)
        if line is None or number in self._removed:
            raise EditRejected(f"claim {self.claim.claim_id} has no line {number}")
        if line.sv1_index < 0:
            raise EditRejected(f"line {number} of claim {self.claim.claim_id} has no SV1 segment")
        return line

    def _text(self, index: int) -> str:
        return split_lead(self.pieces[index])[1].decode("latin-1")

    def _replace_element(self, index: int, position: int, value: str) -> tuple[str, str]:
        """Replace element `position` of the piece at `index`; returns (before, after) segment text."""
        lead, body = split_lead(self.pieces[index])
        elements = body.split(self.delims.element)
        while len(elements) <= position:
            elements.append(b"")
        elements[position] = value.encode("latin-1")
        new_body = self.delims.element.join(elements)
        self.pieces[index] = lead + new_body
        return body.decode("latin-1"), new_body.decode("latin-1")

    def _reparse(self, line: ServiceLine) -> None:
        parse_sv1(line, split_lead(self.pieces[line.sv1_index])[1], self.delims,
                  self.claim.first_ordinal + line.sv1_index)

    # -- all-or-nothing --------------------------------------------------------------------------
    def checkpoint(self) -> tuple[list[bytes], int, frozenset[int], bool]:
        return list(self.pieces), len(self.changes), frozenset(self._removed), self._charges_changed

    def rollback(self, point: tuple[list[bytes], int, frozenset[int], bool]) -> None:
        """Undo everything since `point`, including the parsed state of the lines."""
        pieces, changes, removed, charges = point
        self.pieces[:] = pieces
        del self.changes[changes:]
        self._removed = set(removed)
        self._charges_changed = charges
        for line in self._all_lines:
            if line.sv1_index >= 0:
                self._reparse(line)

    def view(self) -> Claim:
        """The claim as it will be written so far, for the rules that run after this edit: the lines that
        remain (with their new modifiers, units and charges) and the lines that went."""
        return self.claim.edited([line for line in self._all_lines if line.number not in self._removed],
                                 [line for line in self._all_lines if line.number in self._removed])

    # -- edits -----------------------------------------------------------------------------------
    def apply(self, edit: Edit) -> SegmentChange:
        """Apply one edit for a rule. A value the 837P refuses (an amount too long, a plugin's bad modifier)
        becomes an EditRejected: that finding turns into a review item and the rest of the file goes on."""
        try:
            if isinstance(edit, AppendModifier):
                return self.append_modifier(edit.line, edit.modifier)
            if isinstance(edit, SetUnits):
                return self.set_units(edit.line, edit.units, edit.basis)
            if isinstance(edit, SetCharge):
                return self.set_charge(edit.line, edit.amount)
            return self.remove_line(edit.line)
        except ValueRefused as refused:
            raise EditRejected(f"the 837P does not allow the value: {refused}") from None

    def _editable(self, number: int, what: str, *, moves_total: bool = False) -> ServiceLine:
        """The line to edit, if this edit may touch it; EditRejected (a review item) when it is history.

        History is never edited: a void mirrors the claim it cancels; a line a prior payer adjudicated
        keeps what that payer saw (modifiers included: changing them is for a person to decide); and on a
        claim a prior payer adjudicated, CLM02 stays as it is, because the 837P's coordination-of-benefits
        balancing ties it to each prior payer's paid amount (2320 AMT*D) and adjustments (CAS).
        """
        claim = self.claim
        if self._void:
            raise EditRejected(f"claim {claim.claim_id} is a void (CLM05-3 = 8): it must mirror the claim it "
                               "cancels, so it is never edited")
        line = self._line(number)
        if claim.is_history(line):
            payers = ", ".join(sorted({a.payer_id for a in line.adjudications if a.payer_id})) or "a prior payer"
            kept = {"line": "it stays on the claim as that payer saw it",
                    "charge": "its charge stays as that payer saw it"}.get(
                what, f"its {what} stay as that payer saw them")
            if not line.adjudicated:
                raise EditRejected(f"line {number} belongs to a claim a prior payer adjudicated as a whole (2320 "
                                   f"adjudication or a secondary/tertiary destination): {kept}; a person decides "
                                   "any change")
            raise EditRejected(f"line {number} was adjudicated by {payers}: {kept}; a person decides any change")
        if moves_total and claim.has_prior_adjudication:
            raise EditRejected(f"claim {claim.claim_id} carries prior-payer adjudication: a {what} change would move "
                               "CLM02, which the prior payers' paid amounts (AMT*D) and adjustments (CAS) balance "
                               "against; change it by hand if at all")
        return line

    def append_modifier(self, number: int, modifier: str) -> SegmentChange:
        line = self._editable(number, "modifiers")
        current = list(line.modifiers)  # codes, upper case (the parser's reading)
        if modifier.upper() in current:
            raise EditRejected(f"modifier {modifier} is already on line {number}")
        if modifier.upper() in DISTINCT_MODIFIERS and DISTINCT_MODIFIERS.intersection(current):
            present = ", ".join(m for m in current if m in DISTINCT_MODIFIERS)
            raise EditRejected(f"line {number} already carries {present}; 59 and X modifiers never go together")
        if len(current) >= MAX_MODIFIERS:
            raise EditRejected(
                f"line {number} already has {MAX_MODIFIERS} modifiers ({':'.join(current)}); "
                f"SV101 has no room for {modifier}"
            )
        problems = self._modifier_check(line) if self._modifier_check is not None else []
        if problems:
            raise EditRejected(f"line {number} carries {'; '.join(problems)} (see MOD001): no modifier is added "
                               "beside them until a person corrects them")
        check_value("SV101-03", modifier, self.delims)

        comp = self.delims.component.decode("latin-1")
        parts = split_lead(self.pieces[line.sv1_index])[1].split(self.delims.element)[1].decode("latin-1").split(comp)
        parts += [""] * (2 - len(parts))
        # The modifiers already there keep their place and the case they were written in; the new one goes
        # before the first that ranks after it.
        written = [m for m in parts[2:6] if m]
        rank = self._rank(modifier)
        at = next((i for i, m in enumerate(written) if self._rank(m.upper()) > rank), len(written))
        written.insert(at, modifier)
        # Keep any description (SV101-7) and later components where they are.
        rest = parts[6:]
        modifiers = written + [""] * (MAX_MODIFIERS - len(written)) if rest else written
        before, after = self._replace_element(line.sv1_index, 1, comp.join(parts[:2] + modifiers + rest))
        self._reparse(line)
        change = SegmentChange("append_modifier", number, line.procedure, before, after, line.sv1_index)
        self.changes.append(change)
        return change

    def set_units(self, number: int, units: Decimal, basis: str = "UN") -> SegmentChange:
        line = self._editable(number, "units")
        if units <= 0:
            raise EditRejected(f"line {number}: units must be positive; remove the line instead")
        text = format_decimal(units)
        check_value("SV104", text, self.delims)
        check_value("SV103", basis, self.delims)
        before = self._text(line.sv1_index)
        self._replace_element(line.sv1_index, 3, basis)
        _, after = self._replace_element(line.sv1_index, 4, text)
        self._reparse(line)
        change = SegmentChange("set_units", number, line.procedure, before, after, line.sv1_index)
        if after != before:
            self.changes.append(change)
        return change

    def set_charge(self, number: int, amount: Decimal) -> SegmentChange:
        line = self._editable(number, "charge", moves_total=True)
        text = format_decimal(amount)
        check_value("SV102", text, self.delims)
        before, after = self._replace_element(line.sv1_index, 2, text)
        self._reparse(line)
        change = SegmentChange("set_charge", number, line.procedure, before, after, line.sv1_index)
        if after != before:
            self._charges_changed = True
            self.changes.append(change)
        return change

    def remove_line(self, number: int) -> SegmentChange:
        line = self._editable(number, "line", moves_total=True)
        numbers = [x.number for x in self._all_lines]
        if numbers != list(range(1, len(numbers) + 1)):
            raise EditRejected(f"claim {self.claim.claim_id}'s lines are numbered {', '.join(map(str, numbers))} "
                               "(LX01 should run 1 to n): removing a line would renumber them wrongly; fix the "
                               "numbering first")
        remaining = [n for n in self._lines if n not in self._removed and n != number]
        if not remaining:
            raise EditRejected(f"removing line {number} would leave claim {self.claim.claim_id} without lines")
        before = self._text(line.sv1_index)
        self._removed.add(number)
        self._charges_changed = True
        change = SegmentChange("remove_line", number, line.procedure, before, None, line.sv1_index)
        self.changes.append(change)
        return change

    # -- finishing -------------------------------------------------------------------------------
    def finish(self) -> list[bytes]:
        """Drop removed loops, renumber LX01, rebalance CLM02; return the claim's new pieces."""
        if self._removed:
            keep = [True] * len(self.pieces)
            for line in self._all_lines:
                if line.number in self._removed:
                    for i in range(line.lx_index, line.end_index):
                        keep[i] = False
            shift = 0
            for line in self._all_lines:
                if line.number in self._removed:
                    shift += 1
                elif shift:
                    new_number = str(line.number - shift)
                    check_value("LX01", new_number, self.delims)
                    before, after = self._replace_element(line.lx_index, 1, new_number)
                    self.changes.append(SegmentChange("renumber_line", line.number, line.procedure, before, after,
                                                      line.lx_index))
        if self._charges_changed:
            total = sum(
                (line.charge for line in self._all_lines if line.number not in self._removed), Decimal(0)
            )
            if total != self.claim.total_charge:
                text = format_decimal(total)
                check_value("CLM02", text, self.delims)
                before, after = self._replace_element(0, 2, text)
                self.changes.append(SegmentChange("set_claim_total", None, None, before, after))
        if self._removed:
            return [p for p, k in zip(self.pieces, keep, strict=True) if k]
        return self.pieces
