"""Reading a claim's loops: its service lines, diagnoses, provider loops and other payers, in one pass.

Claim (model/claim.py) asks for this on first use, when a rule reads more than the raw bytes answer. The pass
follows the 837P's loop structure by the segment that opens each loop, whatever order practice systems
write them in; patient data (2010CA, 2330A names) is never read.
"""

from __future__ import annotations

from collections.abc import Sequence

from edi837.errors import InputRefused
from edi837.model.fields import decimal, field, text
from edi837.model.lines import (
    CLAIM_PROVIDER_LOOPS,
    LINE_PROVIDER_LOOPS,
    Diagnosis,
    OtherPayer,
    Provider,
    ServiceLine,
    adjudication_of,
    npi_of,
    parse_sv1,
    set_line_dates,
    unreadable_diagnosis,
    with_taxonomy,
)
from edi837.x12.envelope import WHITESPACE, Delimiters
from edi837.x12.untrusted import number


def read_loops(pieces: list[bytes], delims: Delimiters, first_ordinal: int, providers: dict[str, Provider],
               other_payers: list[OtherPayer], diagnoses: list[Diagnosis]) -> list[ServiceLine]:
    """Read lines, diagnoses, provider loops and other payers, whatever order the loops come in.

    The walk follows the 837P's loop structure by the segment that opens each loop: LX opens a 2400
    line; NM1 opens a provider loop, told apart by its entity code (NM101); SBR opens a 2320 other
    payer, after which every NM1 until the first LX belongs to 2330A-G; in a line, SVD opens a 2430
    adjudication, LIN a 2410 drug and LQ a 2440 form. A PRV*PE belongs to the provider loop it follows.
    """
    ele, comp = delims.element, delims.component
    lines: list[ServiceLine] = []
    line: ServiceLine | None = None
    loop = "2300"  # the loop of the last opening segment: 2300, 2310x, 2320, 2330, 2400, 2410, 2420x, 2430, 2440
    provider_at: str | None = None  # the provider loop a PRV would belong to
    for index, piece in enumerate(pieces):
        body = piece.lstrip(WHITESPACE)
        end = body.find(ele)
        sid = body if end < 0 else body[:end]
        if sid == b"LX":
            if line is not None:
                line.end_index = index
            given = body[end + 1 :].split(ele, 1)[0] if end >= 0 else b""
            value = number(given, "LX01")  # 5010: LX01 is N0 of at most 6 digits
            if value is None and given.isdigit():
                raise InputRefused(f"segment {first_ordinal + index}: LX01 is not a usable line number")
            line = ServiceLine(value or 0, index, index + 1)
            lines.append(line)
            loop, provider_at = "2400", None
        elif line is not None:
            if sid == b"SV1" and loop == "2400":
                line.sv1_index = index
                parse_sv1(line, body, delims, first_ordinal + index)
            elif sid == b"DTP" and loop == "2400" and body[end + 1 : end + 4] == b"472":
                set_line_dates(line, body, ele)
            elif sid == b"NM1":
                fields = body.split(ele)
                opened = LINE_PROVIDER_LOOPS.get(fields[1] if len(fields) > 1 else b"")
                loop = opened[0] if opened else "2420?"
                provider_at = None
                if opened and loop not in line.providers:
                    line.providers[loop] = Provider(loop, opened[1], npi_of(fields))
                    provider_at = loop
            elif sid == b"PRV" and provider_at is not None:
                line.providers[provider_at] = with_taxonomy(line.providers[provider_at], body.split(ele))
            elif sid == b"SVD":
                loop, provider_at = "2430", None
                line.adjudications.append(adjudication_of(body.split(ele), comp))
            elif sid == b"LIN":
                loop, provider_at = "2410", None
            elif sid == b"LQ":
                loop, provider_at = "2440", None
        elif sid == b"SBR":
            fields = body.split(ele)
            other_payers.append(OtherPayer(field(fields, 1), field(fields, 9)))
            loop, provider_at = "2320", None
        elif loop in ("2320", "2330", "2330B"):
            loop = _other_payer_segment(other_payers[-1], sid, body, end, loop, delims, first_ordinal + index)
        elif sid == b"HI":  # 2300 (before any 2320); practice systems sometimes write it after 2310x
            read_diagnoses(diagnoses, body, ele, comp)
        elif sid == b"NM1":
            fields = body.split(ele)
            opened = CLAIM_PROVIDER_LOOPS.get(fields[1] if len(fields) > 1 else b"")
            loop = opened[0] if opened else "2310?"
            provider_at = None
            if opened and loop not in providers:
                providers[loop] = Provider(loop, opened[1], npi_of(fields))
                provider_at = loop
        elif sid == b"PRV" and provider_at is not None:
            providers[provider_at] = with_taxonomy(providers[provider_at], body.split(ele))
    if line is not None:
        line.end_index = len(pieces)
    return lines


def _other_payer_segment(payer: OtherPayer, sid: bytes, body: bytes, end: int, loop: str, delims: Delimiters,
                         ordinal: int) -> str:
    """A segment of a 2320 other payer or its 2330A-G loops: what it says of that payer; the loop it is in
    now (an NM1 opens a 2330, NM1*PR the 2330B payer)."""
    ele = delims.element
    if sid == b"NM1":
        fields = body.split(ele)
        loop = "2330B" if len(fields) > 1 and fields[1] == b"PR" else "2330"
        if loop == "2330B":
            payer.payer_id = field(fields, 9)
    elif sid == b"CAS" and loop == "2320":
        payer.adjusted = True
    elif sid == b"DTP" and loop == "2330B" and body[end + 1 : end + 4] == b"573":
        payer.adjudication_date = True
    elif sid == b"AMT" and loop == "2320" and body[end + 1 : end + 3] == b"D" + ele[:1]:
        fields = body.split(ele)
        payer.paid = decimal(fields[2] if len(fields) > 2 else b"", "2320 AMT02 payer paid amount", ordinal)
    return loop


def read_diagnoses(diagnoses: list[Diagnosis], body: bytes, ele: bytes, comp: bytes) -> None:
    """Collect HI diagnosis composites (ABK/BK principal, ABF/BF others) in pointer order.

    Only the diagnosis HI counts: an HI of another kind (anesthesia procedures BP/BO, condition
    codes BG) leaves the pointer list alone. A composite of a diagnosis HI that cannot be read (an
    unknown qualifier, no code) keeps its place with an empty code, so that the pointers after it
    still name the right diagnoses and a pointer to it names "unknown".
    """
    composites = body.split(ele)[1:]
    if not composites:
        return
    first = composites[0].split(comp, 1)[0]
    if first not in (b"ABK", b"BK") and not (diagnoses and first in (b"ABF", b"BF")):
        return
    for composite in composites:
        if not composite:
            continue  # an empty element between two diagnoses holds no pointer position
        parts = composite.split(comp)
        if len(parts) >= 2 and parts[0] in (b"ABK", b"BK", b"ABF", b"BF") and parts[1].isalnum():
            diagnoses.append(Diagnosis(text(parts[0]), text(parts[1])))
        else:
            diagnoses.append(unreadable_diagnosis(parts[0], parts[1] if len(parts) > 1 else b""))


def line_control(pieces: Sequence[bytes], line: ServiceLine, element: bytes) -> bytes | None:
    """The line's REF*6R value (2400 line item control number: what an 835's REF*6R names the line by), as
    written; None when the line has none (an empty REF02 counts as none)."""
    wanted = b"REF" + element + b"6R" + element
    for piece in pieces[line.lx_index + 1:line.end_index]:
        body = piece.lstrip(WHITESPACE)
        if body.startswith(wanted):
            return body.split(element)[2] or None
    return None
