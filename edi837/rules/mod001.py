"""MOD001: a line whose own modifiers contradict each other (59 beside an X modifier, one written twice)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from edi837.engine import ClaimContext, Finding, Rule, Severity
from edi837.model.claim import Claim, space_pattern
from edi837.rules._modifiers import conflicts
from edi837.x12.envelope import Delimiters

SOURCE = ("CMS MLN1783722 'Proper use of modifiers 59, XE, XP, XS and XU' (the X modifiers are the specific "
          "forms of 59; 59 and an X modifier are not reported together); HMSA, Moda Health and Anthem modifier 59 "
          "policies (never both on one line); 005010X222A1 SV101-3 to SV101-6 (four modifier positions)")


@cache
def _two_modifiers(delims: Delimiters) -> re.Pattern[bytes]:
    """An SV1 whose SV101 holds at least two modifier positions: no other line can contradict itself."""
    term, ele, comp = (re.escape(d) for d in (delims.segment, delims.element, delims.component))
    value = b"[^" + ele + comp + term + b"]*"
    return re.compile(term + space_pattern(delims) + b"SV1" + ele + value + comp + value + comp + value + comp)


class ModifierConflict(Rule):
    """MOD001 modifier-conflict: a line whose own modifiers contradict each other or repeat.

    What it does: reports a review item for each service line whose SV101 modifiers carry 59 together with
    an X modifier (XE, XP, XS, XU), or the same modifier more than once, saying which to check; it changes
    nothing, and the rules that add modifiers add none to such a line until it is corrected. A line a prior
    payer adjudicated is history and is left alone; an empty slot before a filled one (`HC:97140::GP`) is
    not a conflict (pyx12 accepts it, and no payer source was found that rejects it).

    Why: the X modifiers are the specific forms of 59, so a line with both says two things about why it is
    distinct, and payers reject or audit it; a repeated modifier takes one of the four slots for nothing.
    Which modifier is right is in the record (a separate site, encounter, practitioner or time), not in the
    claim, so a person decides.

    Example: `SV1*HC:97140:59:XS*40*UN*1***2` -> review: "97140 carries 59 with XS: keep the one the
    documentation supports".

    Fix safety: none; the claim does not show which modifier is right.

    Source: CMS MLN1783722 "Proper use of modifiers 59, XE, XP, XS and XU"; HMSA, Moda Health and Anthem
    modifier 59 policies (59 and an X modifier never on one line); 005010X222A1 SV101-3 to SV101-6.
    """

    code = "MOD001"
    name = "modifier-conflict"

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return _two_modifiers(claim.delimiters).search(claim.raw) is not None

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        for line in claim.all_lines:  # modifiers are the 837's, whatever code set the line bills
            clash = conflicts(line.modifiers)
            if not clash or claim.is_history(line):
                continue
            what = ("keep the one the documentation supports (a separate site XS, encounter XE, practitioner XP, "
                    "or non-overlapping service XU; 59 only when none fits) and remove the other"
                    if any(c.startswith("59 with") for c in clash) else "remove the repeat")
            yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                          f"{line.procedure} carries {', '.join(clash)} ({':'.join(line.modifiers)}): {what}; "
                          "not changed", Severity.WARNING, None, SOURCE)
