"""DX001: a diagnosis that is not a valid, billable ICD-10-CM code on the date of service: an error, no change."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import cache

from edi837.engine import ClaimContext, Finding, Rule, Severity
from edi837.icd10.formats import ICD10_START
from edi837.icd10.source import SOURCE, Icd10Source, dotted
from edi837.model.claim import Claim, space_pattern
from edi837.model.lines import Diagnosis, ServiceLine
from edi837.x12.envelope import Delimiters

NOTE_NOT_COVERED = "icd10-date-not-covered"
ICD9 = ("BK", "BF")
DECIMAL_SOURCE = ("005010X222A1 2300 HI, note 1: 'Do not transmit the decimal point for ICD codes. The decimal "
                  "point is implied.'; Stedi claim edits: 'Do not include decimal points in the diagnosis code'")
ICD9_SOURCE = ("HIPAA code sets, 45 CFR 162.1002(c)(2): ICD-10-CM for diagnoses on or after October 1, 2015 (CMS "
               "ICD-10 implementation); 005010X222A1 HI01-1: ABK/ABF for ICD-10-CM, BK/BF for ICD-9-CM")


@cache
def _patterns(delims: Delimiters) -> tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]:
    """For one interchange: the elements of every HI; every date of a DTP*472; a diagnosis composite (qualifier,
    code) within an HI's elements; an ICD-9-CM qualifier (BK/BF) anywhere."""
    term, ele, comp = (re.escape(d) for d in (delims.segment, delims.element, delims.component))
    his = re.compile(term + space_pattern(delims) + b"HI" + ele + b"([^" + term + b"]*)")
    dates = re.compile(term + space_pattern(delims) + b"DTP" + ele + b"472" + ele + b"R?D8" + ele
                       + b"(\\d{8})(?:-(\\d{8}))?")
    composite = re.compile(b"(?:^|" + ele + b")(A?B[KF])" + comp + b"([^" + ele + comp + term + b"]*)")
    icd9 = re.compile(ele + b"B[KF]" + comp)
    return his, dates, composite, icd9


@cache
def _day(text: bytes) -> date | None:
    """YYYYMMDD -> a date (None when it is not one); a file repeats a few dates over and over."""
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


class InvalidDiagnosis(Rule):
    """DX001 invalid-diagnosis: a diagnosis that is not a valid, billable ICD-10-CM code on the date of service.

    What it does: for each ICD-10-CM diagnosis of the claim (HI, qualifiers ABK/ABF), it looks the code up in
    the ICD-10-CM release in force on the date of service of each line that points to it (SV107; a
    diagnosis no line points to is checked on every line's date, both ends of a date range), and reports an
    error-severity finding when it is not valid and billable that day: a header (a category or subcategory
    with codes below it, such as M54, or M54.5 from FY2022), a code not yet in force, a deleted code, or one
    no release lists. The message names the code, the date, the release and why, and for a header the codes
    below it (M54.5 -> M54.50, M54.51 or M54.59). The releases are those shipped with edi837 and those
    imported with `edi-fix icd10 import`; a date no loaded release covers is not checked, and the summary
    counts such claims. A diagnosis coded in ICD-9-CM (BK/BF) on a date of service from 2015-10-01 is an
    error too, and so is an ICD-10-CM code written with its decimal point (HI*ABK:M99.03: the 837 carries
    codes without it; the message names the code and how to send it, and the code itself is judged as
    above). Held with `--hold invalid` (and `--hold review`). It never changes a diagnosis.

    Why: a payer rejects a claim whose diagnosis is not valid for the date of service (ICD-10-CM changes
    every October 1, some years on April 1 too); retired codes stay in practice systems' favourites lists,
    and M54.5, low back pain until 2021-09-30, is still billed by chiropractic and therapy practices.

    Example: a 98940 line dated 2026-05-04 pointing to M54.5 -> error: "M54.5 is not billable on 2026-05-04
    (ICD-10-CM FY2026-04): billable in FY2021-01, it is a header ...; use a code below it: M54.50, M54.51 or
    M54.59"; M54.5 on 2021-09-30 passes.

    Fix safety: none; which code describes the patient is the provider's clinical documentation.

    Source: the ICD-10-CM official code set by fiscal year (CMS/CDC "ICD-10-CM Code Descriptions in Tabular
    Order": a header is not valid for HIPAA-covered transactions), the release cited in each record; CMS ICD-10
    page (each year's files are for "patient encounters occurring from October 1 - September 30"; "use ICD-10
    to code services provided on or after October 1, 2015"); HIPAA code sets, 45 CFR 162.1002; the decimal
    point: 005010X222A1 2300 HI note ("Do not transmit the decimal point for ICD codes"), Stedi claim edits.
    """

    code = "DX001"
    name = "invalid-diagnosis"
    fix_safety = "none"

    def _releases(self) -> Icd10Source | None:
        """The ICD-10-CM releases the run attached (edi837.icd10.source.attach), or None."""
        source = self.packs.icd10
        return source if isinstance(source, Icd10Source) else None

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        """From the raw bytes: True unless every diagnosis is valid on every date of the claim (cached
        verdicts) or no date is covered (then the claim is counted, not parsed)."""
        source = self._releases()
        if source is None:
            return False
        his, dates, composite, icd9 = _patterns(claim.delimiters)
        raw = claim.raw
        if icd9.search(raw):
            return True  # an ICD-9-CM qualifier: the check decides by the lines' dates
        codes = [code.decode("latin-1").upper() for elements in his.findall(raw)
                 for _, code in composite.findall(elements)]
        if any("." in code for code in codes):
            return True  # a code written with its decimal point: an error whatever the date
        days = {_day(text) for pair in dates.findall(raw) for text in pair if text}
        covered = [day for day in days if day is not None and source.covered(day)]
        if len(covered) < len(days):
            context.notes.add(NOTE_NOT_COVERED)
        if not covered:
            return False
        verdicts = [source.verdict(code, day) for code in codes for day in covered]
        if any(v.kind == "not-covered" for v in verdicts):
            context.notes.add(NOTE_NOT_COVERED)  # an October release after April 1: a code it does not list
        return any(v.message for v in verdicts)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        source = self._releases()
        if source is None:
            return
        for index, diagnosis in enumerate(claim.diagnoses, start=1):
            users = [line for line in claim.lines if index in line.pointers]
            if not diagnosis.code:
                if not diagnosis.undotted or diagnosis.qualifier in ICD9:
                    continue  # an HI entry that cannot be read for another reason: the pointer rules say why
                yield self._finding(claim, index, users, users or claim.lines, diagnosis.problem, DECIMAL_SOURCE)
                diagnosis = Diagnosis(diagnosis.qualifier, diagnosis.undotted)  # and the code itself, judged too
            if diagnosis.qualifier in ICD9:
                yield from self._icd9(claim, index, diagnosis, users or claim.lines, bool(users))
            else:
                yield from self._icd10(claim, context, source, index, diagnosis, users)

    def _icd10(self, claim: Claim, context: ClaimContext, source: Icd10Source, index: int, diagnosis: Diagnosis,
               users: list[ServiceLine]) -> Iterator[Finding]:
        found: dict[str, tuple[list[ServiceLine], str]] = {}
        for line in users or claim.lines:
            for day in _days(line):
                verdict = source.verdict(diagnosis.code.upper(), day)
                if verdict.kind == "not-covered":
                    context.notes.add(NOTE_NOT_COVERED)
                if verdict.message is None or verdict.code_set is None:
                    continue
                lines, cited = found.setdefault(verdict.message, ([], verdict.cited))
                if line not in lines:
                    lines.append(line)
        for message, (lines, cited) in found.items():
            yield self._finding(claim, index, users, lines, message, f"{cited}; {SOURCE}")

    def _icd9(self, claim: Claim, index: int, diagnosis: Diagnosis, lines: list[ServiceLine],
              pointed: bool) -> Iterator[Finding]:
        late = [line for line in lines if any(day >= ICD10_START for day in _days(line))]
        if late:
            day = min(d for d in _days(late[0]) if d >= ICD10_START)
            message = (f"{dotted(diagnosis.code)} is coded in ICD-9-CM (HI qualifier {diagnosis.qualifier}) on {day}: "
                       "diagnoses of services from 2015-10-01 are coded in ICD-10-CM (qualifiers ABK/ABF)")
            yield self._finding(claim, index, late if pointed else [], late, message, ICD9_SOURCE)

    def _finding(self, claim: Claim, index: int, users: list[ServiceLine], lines: list[ServiceLine], message: str,
                 source: str) -> Finding:
        where = (f"line {lines[0].number} points to it" if len(lines) == 1 else
                 f"lines {', '.join(str(x.number) for x in lines)} point to it") if users else "no line points to it"
        return Finding(self.code, claim.claim_id, tuple(x.number for x in lines) if users else (),
                       lines[0].procedure if users else None,
                       f"diagnosis {index} (HI): {message} ({where}); edi-fix changes no diagnosis: correct it in "
                       "the practice system", Severity.ERROR, None, source)


def _days(line: ServiceLine) -> list[date]:
    return [d for d in (line.service_date, line.service_date_end) if d is not None]
