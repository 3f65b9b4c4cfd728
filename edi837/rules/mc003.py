"""MC003: an always-therapy code billed to Medicare needs the discipline modifier of its plan of care."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.engine import Applicability, ClaimContext, Finding, Fix, Rule, Severity
from edi837.model.claim import Claim
from edi837.rules._medicare import DISCIPLINE_MODIFIERS, NOTE_NO_TAXONOMY, THERAPISTS, is_medicare, specialty
from edi837.writer.edits import MAX_MODIFIERS, AppendModifier

SOURCE = ("CMS CR10176 (Pub 100-04 transmittal 3814): GN, GO or GP required on always-therapy codes; WPS and NGS "
          "therapy modifiers: GP physical therapy, GO occupational therapy, GN speech-language pathology plan of "
          "care; claims without them are returned as unprocessable")


class TherapyDiscipline(Rule):
    """MC003 medicare-therapy-discipline: GP, GO or GN on an always-therapy code, by the therapist's taxonomy.

    What it does: on a Medicare Part B claim, a line of an always-therapy code (therapy_codes.toml) with no
    discipline modifier gets the one its performing therapist's taxonomy names: GP for a physical therapist
    or assistant (2251, 2252), GO for an occupational therapist or assistant (225X, 224Z), GN for a
    speech-language pathologist (235Z) (safe). Performed by someone else (a physician), or with no taxonomy
    on the claim: review item (the summary counts claims without a taxonomy). Two discipline modifiers on
    one line, or one that contradicts the therapist's taxonomy: review item. A chiropractor's therapy codes
    are MC002's (GY and GP).

    Why: Medicare returns always-therapy services without GP/GO/GN as unprocessable; the modifier also
    charges the service to the right therapy threshold (PT and SLP together, OT apart).

    Example: a physical therapist's `SV1*HC:97110*76*UN*2***1` becomes `SV1*HC:97110:GP*76*UN*2***1`.

    Fix safety: safe when the therapist's taxonomy is on the claim; review otherwise.

    Source: CMS CR10176 (Pub 100-04 transmittal 3814, 2017); WPS Medicare therapy modifiers; NGS therapy
    services; NUCC taxonomy code set.
    """

    code = "MC003"
    name = "medicare-therapy-discipline"
    fix_safety = "safe"
    tables = ("taxonomy", "therapy_codes")

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return not self.packs.always_therapy.isdisjoint(claim.procedures) and is_medicare(context)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        for line in claim.lines:
            if line.procedure not in self.packs.always_therapy:
                continue
            present = [m for m in line.modifiers if m in DISCIPLINE_MODIFIERS]
            kind = specialty(self.packs, claim, line)
            if kind == "chiropractor":
                continue
            wanted = THERAPISTS.get(kind)
            if len(present) > 1:
                yield self._review(claim, line.number, line.procedure,
                                   f"{line.procedure} carries {' and '.join(present)}: one service belongs to one "
                                   "plan of care; keep the right one")
            elif present and wanted and present[0] != wanted:
                yield self._review(claim, line.number, line.procedure,
                                   f"{line.procedure} carries {present[0]} but its performer's taxonomy is "
                                   f"{kind.replace('_', ' ')} ({wanted}): check the plan of care")
            elif present:
                continue
            elif not claim.performer_taxonomy(line):
                context.notes.add(NOTE_NO_TAXONOMY)
                yield self._review(claim, line.number, line.procedure,
                                   f"{line.procedure} is an always-therapy code and needs GP, GO or GN on Medicare; "
                                   "the claim carries no taxonomy for its performer, so which plan of care it "
                                   "belongs to cannot be told: add the modifier (or the PRV taxonomy)")
            elif wanted is None:
                yield self._review(claim, line.number, line.procedure,
                                   f"{line.procedure} is an always-therapy code and needs GP, GO or GN on Medicare; "
                                   "its performer is not a therapist (taxonomy "
                                   f"{claim.performer_taxonomy(line)}): the plan of care decides which")
            elif len(line.modifiers) >= MAX_MODIFIERS:
                yield self._review(claim, line.number, line.procedure,
                                   f"{line.procedure} needs {wanted} but SV101 already holds four modifiers")
            else:
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                              f"{line.procedure} is an always-therapy code performed by a {kind.replace('_', ' ')}: "
                              f"append {wanted}", Severity.INFO,
                              Fix((AppendModifier(line.number, wanted),), Applicability.SAFE), SOURCE)

    def _review(self, claim: Claim, number: int, procedure: str, message: str) -> Finding:
        return Finding(self.code, claim.claim_id, (number,), procedure, message, Severity.WARNING, None, SOURCE)
