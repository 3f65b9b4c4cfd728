"""DX002: an external cause code (V00-Y99) listed first: never the first-listed diagnosis, an error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from edi837.engine import ClaimContext, Finding, Rule, Severity
from edi837.model.claim import Claim
from edi837.model.lines import Diagnosis, ServiceLine
from edi837.x12.envelope import Delimiters

ICD10 = ("ABK", "ABF")
# ICD-10-CM chapter 20, External causes of morbidity, is V00-Y99: every code starting with V, W, X or Y.
CHAPTER_20 = ["V", "W", "X", "Y"]
SOURCE = ("ICD-10-CM Official Guidelines for Coding and Reporting, §I.C.20 (chapter 20, external causes of morbidity "
          "V00-Y99): 'The external causes of morbidity codes should never be sequenced as the first-listed or "
          "principal diagnosis' (FY2025, quoted by AAPC); UnitedHealthcare ICD-10-CM claim placement policy (external "
          "cause codes are not appropriate as first-listed or principal diagnosis)")
LINE_SOURCE = ("NUCC 1500 instructions, item 24E (the diagnosis pointer 'to relate the date of service and the "
               "procedures performed to the primary diagnosis ... the primary reference letter for each service "
               "should be listed first'); BCBS of Texas on diagnosis pointers ('the first pointer designates the "
               f"primary diagnosis for the service line'); {SOURCE}")


@cache
def _pattern(delims: Delimiters) -> re.Pattern[bytes]:
    """An ICD-10-CM diagnosis composite (ABK/ABF) whose code starts with a chapter-20 letter, for one interchange."""
    return re.compile(b"AB[KF]" + re.escape(delims.component) + b"[VWXYvwxy]")


def _code(diagnosis: Diagnosis) -> str:
    return (diagnosis.code or diagnosis.undotted).upper()


class ExternalCauseFirst(Rule):
    """DX002 external-cause-first: an external cause code (V00-Y99) as the first-listed diagnosis.

    What it does: when the claim's first diagnosis (HI01, the first-listed diagnosis of a professional
    claim) is an ICD-10-CM external cause code (chapter 20, V00-Y99: how an injury happened, where, doing
    what), it reports an error-severity finding naming it and the lines that point to it first; held with
    `--hold invalid`. A line whose own first pointer (SV107-1, the line's primary diagnosis) names an external
    cause code further down HI is a warning-severity review item. It changes nothing: the injury or
    condition treated goes first, the external cause after it.

    Why: the ICD-10-CM guidelines never let an external cause code be first-listed: it is secondary
    information about an injury or condition coded on its own, and payers reject or deny a claim, or a
    line, whose primary diagnosis is one (the service has no condition it treats).

    Example: `HI*ABK:W010XXA*ABF:S134XXA~` -> error: "diagnosis 1 (HI01) W01.0XXA is an external cause code
    (V00-Y99), never the first-listed diagnosis ... list the injury or condition treated first".

    Fix safety: none; which diagnosis was treated is the provider's coding.

    Source: ICD-10-CM Official Guidelines for Coding and Reporting §I.C.20; NUCC 1500 instructions item 24E
    (the first pointer is the line's primary diagnosis).
    """

    code = "DX002"
    name = "external-cause-first"

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        """From the raw bytes: an ICD-10-CM diagnosis starting with V, W, X or Y somewhere in the claim."""
        return _pattern(claim.delimiters).search(claim.raw) is not None

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        diagnoses = claim.diagnoses
        external = [i for i, d in enumerate(diagnoses, 1) if d.qualifier in ICD10 and _code(d)[:1] in CHAPTER_20]
        if not external:
            return
        if external[0] == 1:
            first = [x for x in claim.lines if x.pointers and x.pointers[0] == 1]
            where = (f"; {_names(first)} point{'s' if len(first) == 1 else ''} to it first" if first else "")
            yield Finding(self.code, claim.claim_id, tuple(x.number for x in first),
                          first[0].procedure if first else None,
                          f"diagnosis 1 (HI01) {_dotted(diagnoses[0])} is an external cause code (V00-Y99), never the "
                          f"first-listed diagnosis: list the injury or condition treated first and the external "
                          f"cause after it{where}", Severity.ERROR, None, SOURCE)
        for line in claim.lines:
            primary = line.pointers[0] if line.pointers else 0
            if primary in external and primary != 1 and not claim.is_history(line):
                yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                              f"{line.procedure}'s primary diagnosis (SV107-1, diagnosis {primary}) "
                              f"{_dotted(diagnoses[primary - 1])} is an external cause code (V00-Y99): it says how "
                              "an injury happened, not what was treated; point first to the injury or condition "
                              "treated", Severity.WARNING, None, LINE_SOURCE)


def _dotted(diagnosis: Diagnosis) -> str:
    return Diagnosis(diagnosis.qualifier, _code(diagnosis)).dotted


def _names(lines: list[ServiceLine]) -> str:
    return " and ".join(f"{x.procedure} (line {x.number})" for x in lines)
