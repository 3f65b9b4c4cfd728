"""TH001: manipulation (CMT or OMT) billed as telehealth, which hands-on manipulation cannot be."""

from __future__ import annotations

import re
from collections.abc import Iterator

from edi837.engine import ClaimContext, Finding, Rule, Severity
from edi837.model.claim import Claim
from edi837.packs import RulePacks
from edi837.rules._telehealth import remote_signs

SOURCE = ("CMS Place of Service code set: POS 02 and 10 are telehealth (CMS Pub 100-04 Transmittal 11045, CR 12427; "
          "MLN Matters MM9726); telehealth modifiers 95, 93, FQ (First Coast and Novitas telehealth service "
          "modifiers), GT and GQ (MM9726); manipulation is manual treatment, 'by use of the hands' (Noridian "
          "chiropractic services; 42 CFR 410.21(b)), and CMT/OMT are not on the lists of services payable via "
          "telehealth read for this rule (unconfirmed against the current CMS list)")


class ManipulationTelehealth(Rule):
    """TH001 manipulation-telehealth: chiropractic or osteopathic manipulation billed as telehealth.

    What it does: a manipulation line (every code of packs/manipulation.toml: 98940-98943, 98925-98929) whose
    place of service (its SV105, else the claim's CLM05-1) is a telehealth one (02, 10), or that carries a
    telehealth modifier (95, 93, GT, GQ, FQ; packs/telehealth.toml), is a review item naming what says
    telehealth. Nothing is changed: whether the visit was in person with a wrong place of service or
    modifier, or the line should not be billed at all, is in the visit note. NC001 adds no distinct-procedure
    modifier on such a claim, nor on a 97140 of another claim of the file that NCCI pairs with such a line.

    Why: manipulation is a hands-on service: it cannot be furnished through telecommunication, so a claim
    that says so is wrong somewhere, and a payer denies or audits it. A 59 added to 97140 on the strength of
    such a claim's pointers would rest on a claim that contradicts itself.

    Example: `CLM*A1*85***02:B:1` with `SV1*HC:98940*45*UN*1***1` -> review: "98940 on line 1 is billed as
    telehealth (place of service 02, ... (CLM05-1))".

    Fix safety: none: a review item, never a fix.

    Source: CMS Place of Service code set (POS 02 from 2017, POS 10 from 2022: CMS Pub 100-04 Transmittal
    11045, CR 12427; MLN Matters MM9726); CPT modifiers 95 and 93, HCPCS GT, GQ and FQ (First Coast and
    Novitas telehealth modifier pages; MM9726); Noridian chiropractic services and 42 CFR 410.21(b)
    (manipulation "by use of the hands").
    """

    code = "TH001"
    name = "manipulation-telehealth"
    fix_safety = "none"
    tables = ("manipulation", "telehealth")

    def __init__(self, packs: RulePacks) -> None:
        super().__init__(packs)
        self._markers: dict[tuple[bytes, bytes], re.Pattern[bytes]] = {}  # by (element, component) separator

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        """Manipulation on the claim, and a telehealth place of service or modifier that may be on it: CLM05-1
        read, SV105 and the modifiers looked for in the raw bytes by one pattern (a false match only costs the
        full check)."""
        if claim.procedures.isdisjoint(self.packs.manipulation):
            return False
        if claim.place_of_service in self.packs.telehealth.places:
            return True
        key = (claim.delimiters.element, claim.delimiters.component)
        markers = self._markers.get(key)
        if markers is None:
            telehealth = self.packs.telehealth
            needles = [key[0] + p.encode() + key[0] for p in telehealth.places]
            needles += [key[1] + m.encode() for m in telehealth.modifiers]
            markers = self._markers[key] = re.compile(b"|".join(re.escape(n) for n in needles) or b"(?!)")
        return markers.search(claim.raw) is not None

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        for line in claim.lines:
            if line.procedure not in self.packs.manipulation:
                continue
            signs = remote_signs(self.packs, claim, line)
            if signs:
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                              f"{line.procedure} on line {line.number} is billed as telehealth ({'; '.join(signs)}): "
                              "manipulation is hands-on and cannot be furnished remotely; if the visit was in person, "
                              "correct the place of service and remove the telehealth modifier, otherwise the line "
                              "cannot be billed", Severity.WARNING, None, SOURCE)
