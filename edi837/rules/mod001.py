"""MOD001: a line whose own modifiers contradict each other (59 beside an X modifier, one written twice) or its code
(25 on a code that is not an E/M)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache

from edi837.engine import ClaimContext, Finding, Rule, Severity
from edi837.model.claim import Claim, space_pattern
from edi837.model.lines import ServiceLine
from edi837.x12.envelope import Delimiters, split_lead

SOURCE = ("CMS MLN1783722 'Proper use of modifiers 59, XE, XP, XS and XU' (the X modifiers are the specific "
          "forms of 59; 59 and an X modifier are not reported together); HMSA, Moda Health and Anthem modifier 59 "
          "policies (never both on one line); 005010X222A1 SV101-3 to SV101-6 (four modifier positions); for a "
          "modifier on a code it cannot belong to, the source of its [only_on] entry in modifiers.toml")


@cache
def _two_modifiers(delims: Delimiters) -> re.Pattern[bytes]:
    """An SV1 whose SV101 holds at least two modifier positions: no other line can contradict itself."""
    term, ele, comp = (re.escape(d) for d in (delims.segment, delims.element, delims.component))
    value = b"[^" + ele + comp + term + b"]*"
    return re.compile(term + space_pattern(delims) + b"SV1" + ele + value + comp + value + comp + value + comp)


@cache
def _scoped_modifier(delims: Delimiters, modifiers: frozenset[str]) -> re.Pattern[bytes] | None:
    """An SV1 carrying, in one of its modifier positions, a modifier that belongs on some codes only."""
    if not modifiers:
        return None
    term, ele, comp = (re.escape(d) for d in (delims.segment, delims.element, delims.component))
    value = b"[^" + ele + comp + term + b"]*"
    names = b"|".join(re.escape(m.encode()) for m in sorted(modifiers))
    return re.compile(term + space_pattern(delims) + b"SV1" + ele + value + comp + value + b"(?:" + comp + value
                      + b"){0,3}" + comp + b"(?:" + names + b")(?=" + comp + b"|" + ele + b"|" + term + b")",
                      re.IGNORECASE)


def _as_written(claim: Claim, line: ServiceLine) -> str:
    """The line's modifiers as the file writes them ("59:xs"), for a message that shows the line exactly."""
    d = claim.delimiters
    sv101 = split_lead(claim.pieces[line.sv1_index])[1].split(d.element)[1].split(d.segment)[0]
    return ":".join(m.decode("latin-1") for m in sv101.split(d.component)[2:6] if m)


class ModifierConflict(Rule):
    """MOD001 modifier-conflict: a line whose own modifiers contradict each other or repeat.

    What it does: reports a review item for each service line whose SV101 modifiers carry 59 together with
    an X modifier (XE, XP, XS, XU), or the same modifier more than once, or (on a CPT/HCPCS line) a modifier
    that belongs on other codes only: 24, 25 and 57 on a code that is not an E/M or eye visit code
    (modifiers.toml [only_on]); modifiers are read whatever their case (59:xs is 59 with XS). It says which to
    check and changes nothing, and no rule adds a modifier to such a line until it is corrected (the editor
    refuses it, whichever rule asks). A line a prior payer adjudicated is history and is left alone; an empty
    slot before a filled one (`HC:97140::GP`) is not a conflict (pyx12 accepts it, and no payer source was
    found that rejects it).

    Why: the X modifiers are the specific forms of 59, so a line with both says two things about why it is
    distinct, and payers reject or audit it; a repeated modifier takes one of the four slots for nothing. 25
    on 97140 says an office visit was significant and separately identifiable on a line that is no visit: the
    line contradicts its own code. Which modifier is right is in the record (a separate site, encounter,
    practitioner or time), not in the claim, so a person decides.

    Example: `SV1*HC:97140:59:XS*40*UN*1***2` -> review: "97140 carries 59 with XS: keep the one the
    documentation supports"; `SV1*HC:97140:25*40*UN*1***2` -> review: "97140 carries 25 on 97140, which is not
    an evaluation and management (E/M) or eye visit code".

    Fix safety: none; the claim does not show which modifier is right.

    Source: CMS MLN1783722 "Proper use of modifiers 59, XE, XP, XS and XU"; HMSA, Moda Health and Anthem
    modifier 59 policies (59 and an X modifier never on one line); 005010X222A1 SV101-3 to SV101-6; CPT
    modifiers 24, 25 and 57 and aao.org "Effectively Use Exam Modifiers" (only on E/M and eye visit codes).
    """

    code = "MOD001"
    name = "modifier-conflict"
    tables = ("modifiers",)

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        if _two_modifiers(claim.delimiters).search(claim.raw) is not None:
            return True
        scoped = _scoped_modifier(claim.delimiters, frozenset(self.packs.modifier_scopes))
        return scoped is not None and scoped.search(claim.raw) is not None

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        for line in claim.all_lines:  # modifiers are the 837's, whatever code set the line bills
            clash = self.packs.modifier_problems(line)
            if not clash or claim.is_history(line):
                continue
            source = "; ".join([SOURCE, *self._scope_sources(line, clash)])
            yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                          f"{line.procedure} carries {'; '.join(clash)} ({_as_written(claim, line)}): "
                          f"{'; '.join(_what_to_do(clash))}; not changed", Severity.WARNING, None, source)

    def _scope_sources(self, line: ServiceLine, clash: list[str]) -> Iterable[str]:
        """The sources of the [only_on] entries the line's modifiers broke."""
        scopes = self.packs.modifier_scopes
        return [scopes[m].source for m in dict.fromkeys(line.modifiers)
                if m in scopes and any(c.startswith(f"{m} on ") for c in clash)]


def _what_to_do(clash: list[str]) -> list[str]:
    """What a person does about each kind of contradiction the line shows."""
    what = []
    if any(c.startswith("59 with") for c in clash):
        what.append("keep the one the documentation supports (a separate site XS, encounter XE, practitioner XP, "
                    "or non-overlapping service XU; 59 only when none fits) and remove the other")
    if any(" twice" in c or " times" in c for c in clash):
        what.append("remove the repeat")
    if any(" on " in c for c in clash):
        what.append("remove the modifier from this code, or correct the code (an office visit beside a procedure "
                    "takes 25 on the visit's own line)")
    return what
