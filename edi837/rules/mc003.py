"""MC003: an always-therapy code billed to Medicare needs the discipline modifier of its plan of care."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from edi837.engine import Applicability, ClaimContext, Finding, Fix, Rule, Setting, Severity
from edi837.model.claim import Claim
from edi837.model.lines import ServiceLine
from edi837.rules._medicare import DISCIPLINE_MODIFIERS, NOTE_NO_TAXONOMY, THERAPISTS, is_medicare, specialty
from edi837.words import article
from edi837.writer.edits import MAX_MODIFIERS, AppendModifier

DISCIPLINES = {"GP": "physical therapy", "GO": "occupational therapy", "GN": "speech-language pathology"}
ASSISTANTS = {"physical_therapist_assistant": "CQ", "occupational_therapist_assistant": "CO"}
ASSISTANT_MODIFIERS_FROM = date(2020, 1, 1)  # CQ/CO required on claims from this date of service
ASSISTANT_SOURCE = ("Medicare Benefit Policy Manual ch. 15 §230.4 and §230.1-230.2 (a PTA's or OTA's services are "
                    "billed under the enrolled supervising therapist's NPI); APTA Private Practice Section, 'Common "
                    "questions and answers regarding physical therapist assistants' (a PTA in private practice "
                    "cannot enrol in Medicare; services billed under the NPI of the supervising therapist); Social "
                    "Security Act 1834(v) and Medicare Claims Processing Manual ch. 5 §20.1: CQ/CO on services "
                    "furnished in whole or in part by a PTA or OTA, required from DOS 2020-01-01, paid at 85% from "
                    "2022-01-01")
SOURCE = ("CMS CR10176 (Pub 100-04 transmittal 3814): GN, GO or GP required on always-therapy codes; WPS and NGS "
          "therapy modifiers: GP physical therapy, GO occupational therapy, GN speech-language pathology plan of "
          "care; claims without them are returned as unprocessable")


class TherapyDiscipline(Rule):
    """MC003 medicare-therapy-discipline: GP, GO or GN on an always-therapy code, by the therapist's taxonomy.

    What it does: on a Medicare Part B claim, a line of an always-therapy code (therapy_codes.toml) with no
    discipline modifier gets the one its performing therapist's taxonomy names: GP for a physical therapist
    or assistant (2251, 2252), GO for an occupational therapist or assistant (225X, 224Z), GN for a
    speech-language pathologist (235Z) (safe). Performed by someone else (a physician), or with no taxonomy
    the pack knows as a person's (none, unknown, a group's): review item (the summary counts such claims).
    Two discipline modifiers on one line, one that contradicts the therapist's taxonomy, or a code whose own
    descriptor names another discipline (a PT evaluation 97161 with GO, or from an occupational therapist):
    review item. A claim that names an assistant (PTA 2252, OTA 224Z) as the performer is a review item too:
    Medicare does not enrol assistants, so the service is billed under the supervising therapist's NPI, with
    CQ/CO from 2020-01-01 when the assistant furnished it in whole or in part. A chiropractor's therapy codes
    are MC002's (GY and GP). A payer profile that is not Medicare Part B can ask for the discipline modifiers
    too (`[rules.MC003] outside_part_b = true`, as the shipped Medicare Advantage profile does); there a
    chiropractor's always-therapy line without one is a review item, and the assistant check does not run.

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
    settings = (
        Setting("outside_part_b", "bool", False, "also on claims whose payer profile is not Medicare Part B (a "
                "Medicare Advantage plan that follows CMS's always-therapy rule): set it in that profile's "
                "[rules.MC003]"),
    )

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return not self.packs.always_therapy.isdisjoint(claim.procedures) and (
            is_medicare(context) or self.setting(context, "outside_part_b"))

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        part_b = is_medicare(context)
        for line in claim.lines:
            if line.procedure not in self.packs.always_therapy:
                continue
            kind = specialty(self.packs, claim, line)
            if kind == "chiropractor" and part_b:
                continue  # MC002's: GY, and GP
            finding = self._discipline(claim, line, kind, context)
            if finding is not None:
                yield finding
            if part_b and kind in ASSISTANTS:
                yield self._assistant(claim, line, kind)

    def _assistant(self, claim: Claim, line: ServiceLine, kind: str) -> Finding:
        """An assistant named as the performer on Medicare: never the rendering provider; CQ/CO from 2020."""
        modifier, who = ASSISTANTS[kind], article(kind.replace("_", " "))
        due = line.service_date is not None and line.service_date >= ASSISTANT_MODIFIERS_FROM
        cq = (f" ({modifier} is on the line)" if modifier in line.modifiers else
              f", with {modifier} when the assistant furnished it in whole or in part (paid at 85%)" if due else "")
        return self._review(claim, line.number, line.procedure,
                            f"the claim names {who} (taxonomy {claim.performer_taxonomy(line)}) as the provider "
                            f"who performed {line.procedure}: Medicare does not enrol therapy assistants, so one "
                            "cannot be the rendering or billing provider; bill it under the supervising "
                            f"therapist's NPI{cq}", ASSISTANT_SOURCE)

    def _discipline(self, claim: Claim, line: ServiceLine, kind: str, context: ClaimContext) -> Finding | None:
        """The line's discipline-modifier finding: a safe GP/GO/GN, a review item, or None when it is right."""
        code = line.procedure
        present = [m for m in line.modifiers if m in DISCIPLINE_MODIFIERS]
        wanted = THERAPISTS.get(kind)
        own = self.packs.code_disciplines.get(code)  # the discipline the code's own descriptor names
        who = article(kind.replace("_", " "))
        if len(present) > 1:
            return self._review(claim, line.number, code, f"{code} carries {' and '.join(present)}: one service "
                                "belongs to one plan of care; keep the right one")
        if own and present and present[0] != own:
            return self._review(claim, line.number, code, f"{code} is {article(DISCIPLINES[own])} service by its "
                                f"descriptor ({own}) but carries {present[0]}: check the code and the plan of care")
        if own and wanted and wanted != own:
            return self._review(claim, line.number, code, f"{code} is {article(DISCIPLINES[own])} service by its "
                                f"descriptor ({own}) but its performer's taxonomy is {kind.replace('_', ' ')}: "
                                "check the code and who performed it")
        if present and wanted and present[0] != wanted:
            return self._review(claim, line.number, code, f"{code} carries {present[0]} but its performer's "
                                f"taxonomy is {kind.replace('_', ' ')} ({wanted}): check the plan of care")
        if present:
            return None
        needs = f"{code} is an always-therapy code and needs GP, GO or GN on Medicare"
        if not kind:
            context.notes.add(NOTE_NO_TAXONOMY)
            return self._review(claim, line.number, code, f"{needs}; the claim does not say who performed it (no "
                                "taxonomy, a group's, or one the pack does not know), so which plan of care it "
                                "belongs to cannot be told: add the modifier (or the performer's PRV taxonomy)")
        if wanted is None:
            return self._review(claim, line.number, code, f"{needs}; its performer is {who}, "
                                "not a therapist: the plan of care decides which")
        if len(line.modifiers) >= MAX_MODIFIERS:
            return self._review(claim, line.number, code, f"{code} needs {wanted} but SV101 already holds four "
                                "modifiers")
        return Finding(self.code, claim.claim_id, (line.number,), code,
                       f"{code} is an always-therapy code performed by {who}: append {wanted}",
                       Severity.INFO, Fix((AppendModifier(line.number, wanted),), Applicability.SAFE), SOURCE)

    def _review(self, claim: Claim, number: int, procedure: str, message: str, source: str = SOURCE) -> Finding:
        return Finding(self.code, claim.claim_id, (number,), procedure, message, Severity.WARNING, None, source)
