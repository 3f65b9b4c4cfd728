"""Service lines (2400) and what hangs off them: diagnoses, provider loops, prior payers' adjudication.

Filled from raw segment text by the claim's parser; rules read them, the editor rebuilds the bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from edi837.errors import InputRefused
from edi837.model.fields import date8, text
from edi837.model.fields import field as field_at
from edi837.x12.envelope import Delimiters
from edi837.x12.untrusted import DIGITS, in_range, number

# An ICD-10-CM code written with its decimal point (M99.03): safe to quote in a message (a code's shape, never a
# name), unlike anything else an unreadable HI composite may hold.
_DOTTED_CODE = re.compile(r"[A-Za-z][0-9][0-9A-Za-z]\.[0-9A-Za-z]{1,4}")


@dataclass(slots=True)
class Diagnosis:
    """One HI composite in pointer order: qualifier (ABK principal / ABF other) and the ICD-10-CM code.

    A composite that cannot be read keeps its place with an empty `code` and says why in `problem`; when the
    only fault is a decimal point (M99.03), `undotted` holds the code as the 837 carries it (M9903).
    """

    qualifier: str
    code: str
    problem: str = ""
    undotted: str = ""

    @property
    def dotted(self) -> str:
        """The code as ICD-10-CM prints it (M9901 -> M99.01); 837 files carry it without the dot."""
        return self.code if len(self.code) <= 3 or "." in self.code else f"{self.code[:3]}.{self.code[3:]}"


def diagnosis_key(code: str) -> str:
    """An ICD-10-CM code as tables and settings compare it: upper case, without the decimal point people write
    and the 837 leaves out (m99.03 -> M9903)."""
    return code.replace(".", "").upper()


def unreadable_diagnosis(qualifier: bytes, code: bytes) -> Diagnosis:
    """A diagnosis HI composite that cannot be read, and why, in words a message may show (the code itself is
    quoted only when it has a code's shape with a decimal point: 005010X222A1 leaves the point out)."""
    value = code.decode("latin-1")
    if qualifier not in (b"ABK", b"BK", b"ABF", b"BF"):
        return Diagnosis(qualifier.decode("latin-1"), "",
                         "its qualifier is not ABK/ABF (ICD-10-CM) or BK/BF (ICD-9-CM)")
    if not value:
        return Diagnosis(qualifier.decode("latin-1"), "", "it has no code")
    if _DOTTED_CODE.fullmatch(value):
        bare = diagnosis_key(value)
        return Diagnosis(qualifier.decode("latin-1"), "", f"{value} is written with a decimal point, which the 837 "
                         f"leaves out: {bare}", bare)
    return Diagnosis(qualifier.decode("latin-1"), "", "its code has characters other than letters and digits")


@dataclass(frozen=True, slots=True)
class Provider:
    """A provider loop of a claim (2310x) or a line (2420x), or the billing provider (2010AA).

    Only what rules need: which loop it came from, its role, its NPI (NM109 when NM108 = XX) and its
    taxonomy (PRV03 of the PRV*PE that follows it, or PRV*BI for the billing provider). Names and
    addresses are never read.
    """

    loop: str  # "2010AA", "2310A".."2310F", "2420A".."2420H"
    role: str  # "billing", "referring", "rendering", "facility", "supervising", "ordering", ...
    npi: str = ""
    taxonomy: str = ""


# NM101 entity codes of the provider loops, in the claim (2310x) and in a line (2420x). NM1s after a
# 2320 SBR belong to the other-payer loops (2330A-G) and are never providers of this claim.
CLAIM_PROVIDER_LOOPS: dict[bytes, tuple[str, str]] = {
    b"DN": ("2310A", "referring"), b"P3": ("2310A", "primary_care"), b"82": ("2310B", "rendering"),
    b"77": ("2310C", "facility"), b"DQ": ("2310D", "supervising"), b"PW": ("2310E", "pickup"),
    b"45": ("2310F", "dropoff"),
}
LINE_PROVIDER_LOOPS: dict[bytes, tuple[str, str]] = {
    b"82": ("2420A", "rendering"), b"QB": ("2420B", "purchased_service"), b"77": ("2420C", "facility"),
    b"DQ": ("2420D", "supervising"), b"DK": ("2420E", "ordering"), b"DN": ("2420F", "referring"),
    b"P3": ("2420F", "primary_care"), b"PW": ("2420G", "pickup"), b"45": ("2420H", "dropoff"),
}


@dataclass(frozen=True, slots=True)
class LineAdjudication:
    """A 2430 loop: what a prior payer did with this line (SVD). It is history: never edited."""

    payer_id: str  # SVD01, the 2330B payer id
    paid: Decimal | None  # SVD02
    procedure: str  # SVD03-2, the code as the payer adjudicated it
    units: Decimal | None  # SVD05, the units the payer paid


@dataclass(slots=True)
class OtherPayer:
    """A 2320/2330B loop: another payer of this claim, and what it paid (AMT*D) if it adjudicated it."""

    responsibility: str  # SBR01: P, S, T ...
    claim_filing: str  # SBR09
    payer_id: str = ""  # 2330B NM109
    paid: Decimal | None = None  # 2320 AMT*D
    adjusted: bool = False  # a 2320 CAS: the payer adjusted the claim
    adjudication_date: bool = False  # a 2330B DTP*573: the date the payer adjudicated it

    @property
    def adjudicated(self) -> bool:
        """This payer has adjudicated the claim: its paid amount, a claim adjustment or its adjudication
        date is reported (any one of them; practice systems do not always send AMT*D)."""
        return self.paid is not None or self.adjusted or self.adjudication_date


# SV101-1, the product/service id qualifier (005010X222A1 code list: ER jurisdiction-specific procedure and
# supply codes, HC HCPCS codes (CPT is HCPCS level I), IV home infusion EDI coalition codes, WK advanced
# billing concepts codes). Every CPT/HCPCS rule is about HC codes: an ER or WK code that happens to read
# 97140 is another code set's code, not manual therapy.
HCPCS = "HC"


def procedure_key(qualifier: str, code: str) -> str:
    """How a line's procedure is named everywhere (rules, change log, report): the CPT/HCPCS code for an HC
    line ("97140"), the qualifier and code for any other ("ER:97140"), so no code list of CPT codes can match
    it and no reader of the log can take it for the CPT code; "" when SV101 names no code."""
    return code if qualifier == HCPCS or not code else f"{qualifier}:{code}"


@dataclass(frozen=True, slots=True)
class PartnerClaim:
    """Another claim of the same file, for the same patient, whose lines may share a unit of edit (one
    patient, performing provider and date of service: NCCI pairs across claims) with a claim's lines.

    What a rule needs to judge one of its lines as a partner, read from that claim once, before any claim's
    rules run (engine/partners.py): its id, its payer, its diagnoses (the line's pointers name them), its
    claim-level rendering and billing providers (who performed a line without a 2420A), which of its
    lines a prior payer adjudicated (history) and its place of service (a line without SV105 was performed
    there). Its lines are never edited from another claim.
    """

    claim_id: str
    payer_id: str  # 2010BB NM109 ("" when the claim has none)
    claim_filing: str  # SBR09
    diagnoses: tuple[Diagnosis, ...]
    rendering: Provider | None  # its 2310B
    billing: Provider  # its 2010AA
    history: frozenset[int]  # LX01 of its lines that are history (Claim.is_history)
    place_of_service: str  # its CLM05-1


@dataclass(slots=True)
class ServiceLine:
    """A 2400 loop. Indices point into the claim's pieces, so edits land in place.

    `procedure` is SV101-2 for a CPT/HCPCS line (SV101-1 = HC) and "qualifier:code" for any other
    (`procedure_key`); `code` is SV101-2 whatever the qualifier.

    `partner` is None for a claim's own lines; a line of another claim of the file, shown to a claim's rules
    as a possible NCCI partner (ClaimContext.partners), names the claim it belongs to.
    """

    number: int  # LX01 as in the input
    lx_index: int
    end_index: int  # exclusive: first piece after this 2400 loop (and its sub-loops)
    sv1_index: int = -1
    qualifier: str = ""
    procedure: str = ""
    modifiers: tuple[str, ...] = ()  # SV101-3..6 as codes (upper case), without empty slots
    charge: Decimal = Decimal(0)
    unit_basis: str = ""
    units: Decimal = Decimal(0)
    pointers: tuple[int, ...] = ()
    pointer_problem: str = ""  # why SV107 cannot be read (then `pointers` names nothing reliable)
    place_of_service: str = ""  # SV105, when the line's differs from the claim's CLM05-1
    service_date: date | None = None
    service_date_end: date | None = None
    providers: dict[str, Provider] = field(default_factory=dict)  # 2420x loops by loop id
    adjudications: list[LineAdjudication] = field(default_factory=list)  # 2430 loops
    partner: PartnerClaim | None = None  # the other claim this line belongs to (None: the claim's own line)

    @property
    def last_date(self) -> date | None:
        """The last date of service: DTP*472 RD8's second date, else the one date (`service_date`)."""
        return self.service_date_end or self.service_date

    @property
    def is_range(self) -> bool:
        """Billed for a range of more than one day (DTP*472 RD8): it may be on any date the range covers."""
        return self.service_date_end is not None and self.service_date_end != self.service_date

    @property
    def code(self) -> str:
        """SV101-2 as written, whatever SV101-1 says."""
        return self.procedure.rpartition(":")[2]

    @property
    def is_hcpcs(self) -> bool:
        """SV101-1 is HC: the line bills a CPT/HCPCS code, the only kind the billing rules read."""
        return self.qualifier == HCPCS

    @property
    def rendering_npi(self) -> str:
        """2420A rendering provider NPI, when the line has one."""
        provider = self.providers.get("2420A")
        return provider.npi if provider else ""

    @property
    def adjudicated(self) -> bool:
        """A prior payer adjudicated this line (it has a 2430 SVD): what it saw must not change."""
        return bool(self.adjudications)


def copy_line(line: ServiceLine) -> ServiceLine:
    """A shallow copy of a line, as `dataclasses.replace(line)` makes it (its provider and adjudication
    containers shared), by one constructor call: the editor copies every line of every claim it edits, and
    `replace` finds the fields by introspection each time, a tenth of the editor's cost. Every field is
    named here; tests/test_edits.py fails if one is added to ServiceLine and not to this list."""
    return ServiceLine(line.number, line.lx_index, line.end_index, line.sv1_index, line.qualifier, line.procedure,
                       line.modifiers, line.charge, line.unit_basis, line.units, line.pointers, line.pointer_problem,
                       line.place_of_service, line.service_date, line.service_date_end, line.providers,
                       line.adjudications, line.partner)


def parse_sv1(line: ServiceLine, body: bytes, delims: Delimiters, ordinal: int) -> None:
    """Fill a service line from its SV1 segment text."""
    read = _read_sv1(body, delims.element, delims.component)  # bytes keys: they hash once, Delimiters each time
    if isinstance(read, str):
        raise InputRefused(f"segment {ordinal}: {read}")
    (line.qualifier, line.procedure, line.modifiers, line.unit_basis, line.charge, line.units, line.pointers,
     line.pointer_problem, line.place_of_service) = read


_Sv1 = tuple[str, str, tuple[str, ...], str, Decimal, Decimal, tuple[int, ...], str, str]


@lru_cache(maxsize=4096)
def _read_sv1(body: bytes, element: bytes, component: bytes) -> _Sv1 | str:
    """What an SV1 says (qualifier, procedure, modifiers, unit basis, charge, units, pointers, pointer
    problem, SV105 place of service), or why the input is refused. Cached on the segment text because a file
    repeats the same few SV1s (one fee per code, one or two units, the same pointers): about nine in ten of a
    generated file's lines, and the editor re-reads each SV1 it changes. Everything it returns is immutable,
    so lines may share it."""
    elements = body.decode("latin-1").split(element.decode("latin-1"))
    elements += [""] * (8 - len(elements))
    comp = component.decode("latin-1")
    parts = elements[1].split(comp)
    try:
        charge = Decimal(elements[2]) if elements[2] else Decimal(0)
        units = Decimal(elements[4]) if elements[4] else Decimal(0)
    except InvalidOperation:
        charge = units = Decimal("NaN")
    if not (charge.is_finite() and units.is_finite()):
        return "SV102 line charge or SV104 units is not a number"
    if not (in_range(charge) and in_range(units)):  # 5010: SV102 max 18, SV104 max 15 characters
        return "SV102 line charge or SV104 units is out of range"
    if any(p.isdigit() and len(p) > POINTER_DIGITS for p in elements[7].split(comp)):  # 5010: N0 1-2 each
        return "SV107 diagnosis pointer is not a usable number"
    pointers, problem = _pointers(elements[7], comp)
    # A modifier is read as the code it names, whatever its case ("xs" is XS): every rule compares modifiers,
    # and "59 beside xs" is still 59 beside XS. The bytes keep the case they came in (the editor writes
    # SV101's modifiers from the segment's own text, not from these).
    return (parts[0], procedure_key(parts[0], parts[1]) if len(parts) > 1 else "",
            tuple([m.upper() for m in parts[2:6] if m]), elements[3], charge, units, pointers, problem, elements[5])


MAX_POINTERS = 4  # SV107-1..SV107-4 (005010X222A1)
POINTER_DIGITS = DIGITS["SV107"][1]  # more digits than a pointer has: the file is broken, not the pointer
MAX_DIAGNOSES = 12  # HI-01..HI-12: a pointer names one of them


def _pointers(text: str, comp: str) -> tuple[tuple[int, ...], str]:
    """SV107's diagnosis pointers, and why they cannot be trusted (empty when they can).

    A pointer is a whole number from 1 to 12. Anything else (a letter, 0, '13', a number with thousands
    of digits, a fifth pointer) makes the whole list unreliable: rules then treat the line's diagnoses
    as unknown instead of reading the pointers that happen to parse.
    """
    if not text:
        return (), "SV107 has no diagnosis pointer"
    parts = text.split(comp)
    if len(parts) > MAX_POINTERS:
        return (), f"SV107 has {len(parts)} diagnosis pointers (at most {MAX_POINTERS})"
    pointers = []
    for part in parts:
        value = number(part, "SV107")
        if value is None or not 1 <= value <= MAX_DIAGNOSES:
            return (), "SV107 has a pointer that is not a number from 1 to 12"
        pointers.append(value)
    return tuple(pointers), ""


def taxonomy_of(line: Provider | None, claim: Provider | None, billing: Provider) -> str:
    """The taxonomy of who performed a line (see Claim.performer_taxonomy), from its 2420A, its claim's 2310B
    and the billing provider."""
    if line is not None:
        if line.taxonomy:
            return line.taxonomy
        if claim is not None and line.npi and line.npi == claim.npi:
            return claim.taxonomy or billing.taxonomy
        return billing.taxonomy if line.npi and line.npi == billing.npi else ""
    if claim is not None:
        if claim.taxonomy:
            return claim.taxonomy
        return billing.taxonomy if claim.npi and claim.npi == billing.npi else ""
    return billing.taxonomy


def npi_of(fields: list[bytes]) -> str:
    """NM109 when NM108 says it is an NPI (XX); other identifiers are not NPIs and are not compared."""
    return field_at(fields, 9) if len(fields) > 8 and fields[8] == b"XX" else ""


def with_taxonomy(provider: Provider, fields: list[bytes]) -> Provider:
    """The provider with the taxonomy of a PRV*PE (performing) that follows its NM1."""
    if len(fields) > 3 and fields[1] == b"PE" and fields[2] == b"PXC":
        return replace(provider, taxonomy=text(fields[3]))
    return provider


def adjudication_of(fields: list[bytes], comp: bytes) -> LineAdjudication:
    def amount(index: int) -> Decimal | None:
        try:
            return Decimal(text(fields[index])) if len(fields) > index and fields[index] else None
        except InvalidOperation:
            return None

    procedure = fields[3].split(comp) if len(fields) > 3 else []
    return LineAdjudication(field_at(fields, 1), amount(2), text(procedure[1]) if len(procedure) > 1 else "",
                            amount(5))


def set_line_dates(line: ServiceLine, body: bytes, ele: bytes) -> None:
    fields = body.split(ele)
    if len(fields) < 4:
        return
    fmt, value = fields[2], fields[3]
    if fmt == b"D8":
        line.service_date = date8(value)
    elif fmt == b"RD8" and len(value) == 17:
        line.service_date = date8(value[:8])
        line.service_date_end = date8(value[9:])
