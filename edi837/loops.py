"""837P loop walker: interchange, provider, subscriber, claim and service-line objects, lazily.

Why not pyx12's map-aware reader: it runs at about 0.12 MB/s, a hundred times slower than this
walker needs to be (measured by bench/bench.py); pyx12 stays the validator. The walker relies on
the 837P's own structure instead of a map: HL03 names the level (20 billing provider, 22
subscriber, 23 patient), CLM opens a claim (2300), LX opens a service line (2400), and the qualifier
of an NM1/SBR/DTP plus its position tells its loop (NM1*PR before CLM is the payer 2010BB; after CLM
it belongs to a 2330B other-payer loop and is not ours).

Why offsets and laziness: a Python loop over every segment costs more than the whole bare split of
the file. So one compiled regular expression finds only the structural segments (ISA, GS, ST, SE,
GE, IEA, HL, CLM) at C speed; everything between them stays a raw byte slice, copied to the output
as it is. A claim is split into segments and parsed only when a rule asks for its lines, and rules
can first ask `may_bill(code)`, a substring test on the raw claim, to skip claims that cannot
concern them. Subscriber and provider loops are parsed the same way, on first use.

It streams one claim at a time: memory is bounded by one read block plus one claim, whatever the
size of the file or of a transaction set.

Patient data is never parsed into these objects: names, birth dates, member ids and addresses stay
inside the raw bytes, which are only ever copied to the output.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache

from edi837.envelope import WHITESPACE, Delimiters, SegmentStream, parse_isa, split_lead
from edi837.errors import InputRefused

SUPPORTED_VERSION = "005010X222A1"


@dataclass(slots=True)
class Transaction:
    """One ST..SE transaction set, with the envelope it sits in."""

    interchange_control: str
    group_control: str
    control_number: str
    ordinal: int  # 1-based number of the ST in the file


def _text(value: bytes) -> str:
    return value.decode("latin-1")


def _field(fields: list[bytes], index: int) -> str:
    return _text(fields[index]) if len(fields) > index else ""


class _LazyLoop:
    """An HL loop (2000A, 2000B) kept as raw bytes while the walker reads on, and parsed on first use."""

    __slots__ = ("_delims", "_parts")

    def __init__(self, delims: Delimiters) -> None:
        self._delims = delims
        self._parts: list[bytes] | None = []

    def add(self, raw: bytes) -> None:
        if self._parts is not None:
            self._parts.append(raw)

    wanted: tuple[bytes, ...] = ()  # the segment ids a subclass reads; others are not even split

    def _parse(self) -> None:
        if self._parts is None:
            return
        ele = self._delims.element
        for piece in b"".join(self._parts).split(self._delims.segment):
            body = piece.lstrip(WHITESPACE)
            if body.startswith(self.wanted):
                self._read(body.split(ele))
        self._parts = None

    def _read(self, fields: list[bytes]) -> None:
        raise NotImplementedError


class BillingProvider(_LazyLoop):
    """2000A/2010AA: the provider that bills (NPI from NM1*85 NM109, taxonomy from PRV*BI PRV03)."""

    __slots__ = ("_npi", "_taxonomy")
    wanted = (b"NM1", b"PRV")

    def __init__(self, delims: Delimiters) -> None:
        super().__init__(delims)
        self._npi = self._taxonomy = ""

    def _read(self, fields: list[bytes]) -> None:
        if fields[0] == b"NM1" and len(fields) > 1 and fields[1] == b"85":
            self._npi = _field(fields, 9)
        elif fields[0] == b"PRV" and len(fields) > 1 and fields[1] == b"BI":
            self._taxonomy = _field(fields, 3)

    @property
    def npi(self) -> str:
        self._parse()
        return self._npi

    @property
    def taxonomy(self) -> str:
        self._parse()
        return self._taxonomy


class Subscriber(_LazyLoop):
    """2000B: claim filing indicator (SBR09) and the payer (2010BB NM103/NM109).

    The subscriber's own name and member id are deliberately never read.
    """

    __slots__ = ("_claim_filing", "_payer_id", "_payer_name", "_responsibility")
    wanted = (b"SBR", b"NM1")

    def __init__(self, delims: Delimiters) -> None:
        super().__init__(delims)
        self._claim_filing = self._payer_id = self._payer_name = self._responsibility = ""

    def _read(self, fields: list[bytes]) -> None:
        if fields[0] == b"SBR":
            self._responsibility = _field(fields, 1)
            self._claim_filing = _field(fields, 9)
        elif fields[0] == b"NM1" and len(fields) > 1 and fields[1] == b"PR":
            self._payer_name = _field(fields, 3)
            self._payer_id = _field(fields, 9)

    @property
    def claim_filing(self) -> str:
        self._parse()
        return self._claim_filing

    @property
    def payer_id(self) -> str:
        self._parse()
        return self._payer_id

    @property
    def responsibility(self) -> str:
        """SBR01: P when the claim goes to the primary payer; S, T, A-H to a later one (a COB claim)."""
        self._parse()
        return self._responsibility

    @property
    def payer_name(self) -> str:
        self._parse()
        return self._payer_name


@dataclass(slots=True)
class Diagnosis:
    """One HI composite in pointer order: qualifier (ABK principal / ABF other) and the ICD-10-CM code."""

    qualifier: str
    code: str

    @property
    def dotted(self) -> str:
        """The code as ICD-10-CM prints it (M9901 -> M99.01); 837 files carry it without the dot."""
        return self.code if len(self.code) <= 3 or "." in self.code else f"{self.code[:3]}.{self.code[3:]}"


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


@dataclass(slots=True)
class ServiceLine:
    """A 2400 loop. Indices point into the claim's pieces, so edits land in place."""

    number: int  # LX01 as in the input
    lx_index: int
    end_index: int  # exclusive: first piece after this 2400 loop (and its sub-loops)
    sv1_index: int = -1
    qualifier: str = ""
    procedure: str = ""
    modifiers: tuple[str, ...] = ()
    charge: Decimal = Decimal(0)
    unit_basis: str = ""
    units: Decimal = Decimal(0)
    pointers: tuple[int, ...] = ()
    pointer_problem: str = ""  # why SV107 cannot be read (then `pointers` names nothing reliable)
    service_date: date | None = None
    service_date_end: date | None = None
    providers: dict[str, Provider] = field(default_factory=dict)  # 2420x loops by loop id
    adjudications: list[LineAdjudication] = field(default_factory=list)  # 2430 loops

    @property
    def rendering_npi(self) -> str:
        """2420A rendering provider NPI, when the line has one."""
        provider = self.providers.get("2420A")
        return provider.npi if provider else ""

    @property
    def adjudicated(self) -> bool:
        """A prior payer adjudicated this line (it has a 2430 SVD): what it saw must not change."""
        return bool(self.adjudications)


def _decimal(value: bytes, what: str, ordinal: int) -> Decimal:
    try:
        return Decimal(_text(value))
    except InvalidOperation:
        raise InputRefused(f"segment {ordinal}: {what} is not a number") from None


def _date(value: bytes) -> date | None:
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def _space(delims: Delimiters) -> bytes:
    """A regex for the white space that may precede a segment (never the terminator itself)."""
    return b"[" + re.escape(bytes(c for c in WHITESPACE if bytes([c]) != delims.segment)) + b"]*"


@cache
def _line_patterns(delims: Delimiters) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """(SV101-2 of every SV1, SV104 of every SV1 billed in UN), for the delimiters of one interchange."""
    term, ele, comp = (re.escape(d) for d in (delims.segment, delims.element, delims.component))
    space = _space(delims)
    value = b"[^" + ele + comp + term + b"]*"
    element = b"[^" + ele + term + b"]*"
    procedure = re.compile(term + space + b"SV1" + ele + value + comp + b"(" + value + b")")
    units = re.compile(term + space + b"SV1" + ele + element + ele + element + ele + b"UN" + ele
                       + b"(" + element + b")")
    return procedure, units


def parse_sv1(line: ServiceLine, body: bytes, delims: Delimiters, ordinal: int) -> None:
    """Fill a service line from its SV1 segment text."""
    elements = body.decode("latin-1").split(delims.element.decode("latin-1"))
    elements += [""] * (8 - len(elements))
    comp = delims.component.decode("latin-1")
    parts = elements[1].split(comp)
    line.qualifier = parts[0]
    line.procedure = parts[1] if len(parts) > 1 else ""
    line.modifiers = tuple([m for m in parts[2:6] if m])
    line.unit_basis = elements[3]
    try:
        line.charge = Decimal(elements[2]) if elements[2] else Decimal(0)
        line.units = Decimal(elements[4]) if elements[4] else Decimal(0)
    except InvalidOperation:
        line.charge = line.units = Decimal("NaN")
    if not (line.charge.is_finite() and line.units.is_finite()):
        raise InputRefused(f"segment {ordinal}: SV102 line charge or SV104 units is not a number")
    if line.charge.adjusted() > 17 or line.units.adjusted() > 17:  # 5010: SV102 max 18, SV104 max 15 characters
        raise InputRefused(f"segment {ordinal}: SV102 line charge or SV104 units is out of range")
    if any(p.isdigit() and len(p) > 2 for p in elements[7].split(comp)):  # 5010: SV107 pointers are N0 1-2
        raise InputRefused(f"segment {ordinal}: SV107 diagnosis pointer is not a usable number")
    line.pointers, line.pointer_problem = _pointers(elements[7], comp)


MAX_POINTERS = 4  # SV107-1..SV107-4 (005010X222A1)
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
        if not (part.isascii() and part.isdigit() and len(part) <= 2 and 1 <= int(part) <= MAX_DIAGNOSES):
            return (), "SV107 has a pointer that is not a number from 1 to 12"
        pointers.append(int(part))
    return tuple(pointers), ""


class Claim:
    """A 2300 loop with its 2400 lines and the context that decides how it is billed.

    `raw` holds the claim's bytes from CLM to its last segment's terminator, exactly as read.
    `pieces` (the segments, leading white space included, terminator excluded), the diagnoses and
    the lines are computed on first use. `first_ordinal` is the 1-based position of CLM in the file,
    so a piece's position is `first_ordinal + index`.
    """

    __slots__ = (
        "_clm", "_diagnoses", "_line_count", "_lines", "_other_payers", "_pieces", "_procedures", "_providers",
        "billing_provider", "delimiters", "first_ordinal", "has_patient_loop", "raw", "removed_lines",
        "subscriber", "transaction",
    )

    def __init__(self, raw: bytes, first_ordinal: int, transaction: Transaction, billing_provider: BillingProvider,
                 subscriber: Subscriber, has_patient_loop: bool, delimiters: Delimiters) -> None:
        self.raw = raw
        self.first_ordinal = first_ordinal
        self.transaction = transaction
        self.billing_provider = billing_provider
        self.subscriber = subscriber
        self.has_patient_loop = has_patient_loop
        self.delimiters = delimiters
        self._clm: list[bytes] | None = None
        self._procedures: frozenset[str] | None = None
        self._line_count = 0
        self._pieces: list[bytes] | None = None
        self._diagnoses: list[Diagnosis] = []
        self._lines: list[ServiceLine] | None = None
        self._providers: dict[str, Provider] = {}
        self._other_payers: list[OtherPayer] = []
        self.removed_lines: list[ServiceLine] = []  # lines an earlier rule of this run removed

    # -- cheap queries on the raw bytes ---------------------------------------------------------
    @property
    def procedures(self) -> frozenset[str]:
        """The SV101-2 procedure codes of the claim's lines, found by one regular expression on the raw
        bytes (C speed), so rules can skip claims without parsing them."""
        if self._procedures is None:
            codes = _line_patterns(self.delimiters)[0].findall(self.raw)
            self._procedures = frozenset(c.decode("latin-1") for c in codes)
            self._line_count = len(codes)
        return self._procedures

    @property
    def line_count(self) -> int:
        """How many service lines (SV1 segments) the claim has, from the same scan as `procedures`."""
        _ = self.procedures  # the same scan fills _line_count
        return self._line_count

    def may_bill(self, code: str) -> bool:
        """False when the claim has no line with this procedure code (removed lines included)."""
        return code in self.procedures

    def units_in_units(self) -> float:
        """The sum of SV104 over the lines billed with SV103 = UN, read from the raw bytes: a cheap upper
        bound for rules that look for too many units."""
        total = 0.0
        for units in _line_patterns(self.delimiters)[1].findall(self.raw):
            try:
                total += float(units) if units else 0.0
            except ValueError:
                return float("inf")  # not a number: let the rule parse the claim, which refuses it
        return total

    def may_contain(self, text: bytes) -> bool:
        """False when `text` certainly does not occur in the claim's raw bytes."""
        return text in self.raw

    # -- the CLM segment --------------------------------------------------------------------------
    def _clm_fields(self) -> list[bytes]:
        if self._clm is None:
            end = self.raw.find(self.delimiters.segment)
            self._clm = split_lead(self.raw[:end])[1].split(self.delimiters.element)
        return self._clm

    @property
    def claim_id(self) -> str:
        return _field(self._clm_fields(), 1)

    @property
    def total_charge_text(self) -> str:
        return _field(self._clm_fields(), 2)

    @property
    def total_charge(self) -> Decimal:
        text = self._clm_fields()[2] if len(self._clm_fields()) > 2 else b""
        return _decimal(text, "CLM02 total charge", self.first_ordinal) if text else Decimal(0)

    @property
    def frequency(self) -> str:
        """CLM05-3, the claim frequency type code: 1 original, 7 replacement, 8 void (see FREQUENCIES)."""
        parts = _field(self._clm_fields(), 5).split(self.delimiters.component.decode("latin-1"))
        return parts[2] if len(parts) > 2 else ""

    @property
    def is_void(self) -> bool:
        """A void (CLM05-3 = 8) cancels an earlier claim and must mirror it: rules read it, never edit it."""
        return self.frequency == "8"

    # -- parsed on first use ------------------------------------------------------------------------
    @property
    def pieces(self) -> list[bytes]:
        if self._pieces is None:
            self._pieces = self.raw.split(self.delimiters.segment)[:-1]
        return self._pieces

    @property
    def lines(self) -> list[ServiceLine]:
        if self._lines is None:
            self._parse()
        assert self._lines is not None
        return self._lines

    @property
    def diagnoses(self) -> list[Diagnosis]:
        if self._lines is None:
            self._parse()
        return self._diagnoses

    @property
    def providers(self) -> dict[str, Provider]:
        """The claim-level provider loops (2310A-2310F) by loop id, whatever order they came in."""
        if self._lines is None:
            self._parse()
        return self._providers

    @property
    def rendering_npi(self) -> str:
        """2310B rendering provider NPI, when the claim has one."""
        provider = self.providers.get("2310B")
        return provider.npi if provider else ""

    @property
    def other_payers(self) -> list[OtherPayer]:
        """The 2320/2330B loops: payers other than the one this claim goes to."""
        if self._lines is None:
            self._parse()
        return self._other_payers

    @property
    def prior_paid(self) -> Decimal:
        """What the prior payers paid on this claim (the sum of 2320 AMT*D)."""
        return sum((p.paid for p in self.other_payers if p.paid is not None), Decimal(0))

    @property
    def goes_to_a_later_payer(self) -> bool:
        """The claim goes to a secondary, tertiary ... payer (2000B SBR01 other than P): a payer before it
        has adjudicated it, whether or not the claim reports how."""
        return self.subscriber.responsibility not in ("P", "")

    @property
    def has_prior_adjudication(self) -> bool:
        """A prior payer adjudicated this claim: a 2320 AMT*D, CAS or 2330B DTP*573, a 2430 line
        adjudication, or a destination payer that is not the primary."""
        return (any(p.adjudicated for p in self.other_payers) or any(x.adjudicated for x in self.lines)
                or self.goes_to_a_later_payer)

    def is_history(self, line: ServiceLine) -> bool:
        """True when a prior payer adjudicated this line, so what it saw must stay as it is.

        A line with a 2430 SVD loop was adjudicated line by line. A claim a prior payer adjudicated
        (2320 AMT*D, CAS or DTP*573, or a secondary/tertiary destination) with no line adjudication at all
        was adjudicated as a whole: every line of it is history.
        """
        if line.adjudicated:
            return True
        if any(x.adjudicated for x in [*self.lines, *self.removed_lines]):
            return False
        return any(p.adjudicated for p in self.other_payers) or self.goes_to_a_later_payer

    def performer(self, line: ServiceLine) -> Provider:
        """Who performed a line: its 2420A rendering provider, else the claim's 2310B, else the billing
        provider (the 837P leaves 2310B out when the billing provider rendered the service)."""
        return (line.providers.get("2420A") or self.providers.get("2310B")
                or Provider("2010AA", "billing", self.billing_provider.npi, self.billing_provider.taxonomy))

    def keep_lines(self, lines: list[ServiceLine], removed: list[ServiceLine]) -> None:
        """Show only these lines to later readers (the editor calls this when a rule removes a line, so
        the rules that run after it see the claim as it will be written), and which lines went."""
        self._lines = lines
        self.removed_lines = removed

    def diagnoses_for(self, line: ServiceLine) -> list[Diagnosis]:
        """The diagnoses a line's SV107 pointers name, in pointer order (only the ones that exist)."""
        diagnoses = self.diagnoses
        return [diagnoses[p - 1] for p in line.pointers if 1 <= p <= len(diagnoses)]

    def pointer_problem(self, line: ServiceLine) -> str:
        """Why a line's diagnoses cannot be known from its pointers, or "" when they can.

        A pointer past the last diagnosis, an SV107 that cannot be read, or a pointer to an HI entry
        that cannot be read all mean the same to a rule: what the line was for is unknown.
        """
        if line.pointer_problem:
            return line.pointer_problem
        diagnoses = self.diagnoses
        past = [p for p in line.pointers if p > len(diagnoses)]
        if past:
            return (f"SV107 points to diagnosis {past[0]}, but the claim has {len(diagnoses)} "
                    f"diagnosis code{'s' if len(diagnoses) != 1 else ''}")
        if any(not diagnoses[p - 1].code for p in line.pointers):
            return "SV107 points to an HI entry that cannot be read"
        return ""

    def _parse(self) -> None:
        """Read lines, diagnoses, provider loops and other payers, whatever order the loops come in.

        The walk follows the 837P's loop structure by the segment that opens each loop: LX opens a 2400
        line; NM1 opens a provider loop, told apart by its entity code (NM101); SBR opens a 2320 other
        payer, after which every NM1 until the first LX belongs to 2330A-G; in a line, SVD opens a 2430
        adjudication, LIN a 2410 drug and LQ a 2440 form. A PRV*PE belongs to the provider loop it follows.
        """
        delims = self.delimiters
        ele, comp = delims.element, delims.component
        lines: list[ServiceLine] = []
        line: ServiceLine | None = None
        loop = "2300"  # the loop of the last opening segment: 2300, 2310x, 2320, 2330, 2400, 2410, 2420x, 2430, 2440
        provider_at: str | None = None  # the provider loop a PRV would belong to
        providers = self._providers
        for index, piece in enumerate(self.pieces):
            body = piece.lstrip(WHITESPACE)
            end = body.find(ele)
            sid = body if end < 0 else body[:end]
            if sid == b"LX":
                if line is not None:
                    line.end_index = index
                number = body[end + 1 :].split(ele, 1)[0] if end >= 0 else b""
                if number.isdigit() and len(number) > 6:  # 5010: LX01 is N0 of at most 6 digits
                    raise InputRefused(f"segment {self.first_ordinal + index}: LX01 is not a usable line number")
                line = ServiceLine(int(number) if number.isdigit() else 0, index, index + 1)
                lines.append(line)
                loop, provider_at = "2400", None
            elif line is not None:
                if sid == b"SV1" and loop == "2400":
                    line.sv1_index = index
                    parse_sv1(line, body, delims, self.first_ordinal + index)
                elif sid == b"DTP" and loop == "2400" and body[end + 1 : end + 4] == b"472":
                    _set_line_dates(line, body, ele)
                elif sid == b"NM1":
                    fields = body.split(ele)
                    opened = LINE_PROVIDER_LOOPS.get(fields[1] if len(fields) > 1 else b"")
                    loop = opened[0] if opened else "2420?"
                    provider_at = None
                    if opened and loop not in line.providers:
                        line.providers[loop] = Provider(loop, opened[1], _npi(fields))
                        provider_at = loop
                elif sid == b"PRV" and provider_at is not None:
                    line.providers[provider_at] = _with_taxonomy(line.providers[provider_at], body.split(ele))
                elif sid == b"SVD":
                    loop, provider_at = "2430", None
                    line.adjudications.append(_adjudication(body.split(ele), comp))
                elif sid == b"LIN":
                    loop, provider_at = "2410", None
                elif sid == b"LQ":
                    loop, provider_at = "2440", None
            elif sid == b"SBR":
                fields = body.split(ele)
                self._other_payers.append(OtherPayer(_field(fields, 1), _field(fields, 9)))
                loop, provider_at = "2320", None
            elif loop in ("2320", "2330", "2330B"):
                if sid == b"NM1":
                    fields = body.split(ele)
                    loop = "2330B" if len(fields) > 1 and fields[1] == b"PR" else "2330"
                    if loop == "2330B":
                        self._other_payers[-1].payer_id = _field(fields, 9)
                elif sid == b"CAS" and loop == "2320":
                    self._other_payers[-1].adjusted = True
                elif sid == b"DTP" and loop == "2330B" and body[end + 1 : end + 4] == b"573":
                    self._other_payers[-1].adjudication_date = True
                elif sid == b"AMT" and loop == "2320" and body[end + 1 : end + 3] == b"D" + ele[:1]:
                    fields = body.split(ele)
                    self._other_payers[-1].paid = _decimal(fields[2] if len(fields) > 2 else b"",
                                                           "2320 AMT02 payer paid amount", self.first_ordinal + index)
            elif sid == b"HI":  # 2300 (before any 2320); practice systems sometimes write it after 2310x
                self._read_diagnoses(body, ele, comp)
            elif sid == b"NM1":
                fields = body.split(ele)
                opened = CLAIM_PROVIDER_LOOPS.get(fields[1] if len(fields) > 1 else b"")
                loop = opened[0] if opened else "2310?"
                provider_at = None
                if opened and loop not in providers:
                    providers[loop] = Provider(loop, opened[1], _npi(fields))
                    provider_at = loop
            elif sid == b"PRV" and provider_at is not None:
                providers[provider_at] = _with_taxonomy(providers[provider_at], body.split(ele))
        if line is not None:
            line.end_index = len(self.pieces)
        self._lines = lines

    def _read_diagnoses(self, body: bytes, ele: bytes, comp: bytes) -> None:
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
        if first not in (b"ABK", b"BK") and not (self._diagnoses and first in (b"ABF", b"BF")):
            return
        for composite in composites:
            if not composite:
                continue  # an empty element between two diagnoses holds no pointer position
            parts = composite.split(comp)
            if len(parts) >= 2 and parts[0] in (b"ABK", b"BK", b"ABF", b"BF") and parts[1].isalnum():
                self._diagnoses.append(Diagnosis(_text(parts[0]), _text(parts[1])))
            else:
                self._diagnoses.append(Diagnosis(_text(parts[0]), ""))


def _npi(fields: list[bytes]) -> str:
    """NM109 when NM108 says it is an NPI (XX); other identifiers are not NPIs and are not compared."""
    return _field(fields, 9) if len(fields) > 8 and fields[8] == b"XX" else ""


def _with_taxonomy(provider: Provider, fields: list[bytes]) -> Provider:
    """The provider with the taxonomy of a PRV*PE (performing) that follows its NM1."""
    if len(fields) > 3 and fields[1] == b"PE" and fields[2] == b"PXC":
        return replace(provider, taxonomy=_text(fields[3]))
    return provider


def _adjudication(fields: list[bytes], comp: bytes) -> LineAdjudication:
    def amount(index: int) -> Decimal | None:
        try:
            return Decimal(_text(fields[index])) if len(fields) > index and fields[index] else None
        except InvalidOperation:
            return None

    procedure = fields[3].split(comp) if len(fields) > 3 else []
    return LineAdjudication(_field(fields, 1), amount(2), _text(procedure[1]) if len(procedure) > 1 else "",
                            amount(5))


def _set_line_dates(line: ServiceLine, body: bytes, ele: bytes) -> None:
    fields = body.split(ele)
    if len(fields) < 4:
        return
    fmt, value = fields[2], fields[3]
    if fmt == b"D8":
        line.service_date = _date(value)
    elif fmt == b"RD8" and len(value) == 17:
        line.service_date = _date(value[:8])
        line.service_date_end = _date(value[9:])


@dataclass(slots=True)
class Passthrough:
    """Bytes outside any claim (envelope, headers, HL/provider/subscriber loops): copied unchanged."""

    raw: bytes


@dataclass(slots=True)
class TransactionEnd:
    """The SE of a transaction, separate so the writer can recount SE01 when lines were removed."""

    piece: bytes  # the SE segment with its leading white space, without its terminator
    transaction: Transaction
    segment_count: int  # segments from ST to SE inclusive, as read
    ordinal: int  # position of the SE in the file


Unit = Passthrough | Claim | TransactionEnd

# Segments that structure the file; everything between two of them is carried as raw bytes.
_STRUCTURAL = (b"ISA", b"IEA", b"GS", b"GE", b"ST", b"SE", b"HL", b"CLM")


class Walker:
    """Walks a SegmentStream and yields Units; checks the envelope as it goes.

    Structural problems (control numbers and counts that do not match, missing trailers, a
    transaction that is not an 837P 005010X222A1) are refused: a clearinghouse rejects such a file
    whole, and a fixer must not guess which count is the wrong one.
    """

    def __init__(self, stream: SegmentStream) -> None:
        self.stream = stream
        self.delimiters = stream.delimiters
        self.claims = 0
        self.lines = 0
        self.transactions = 0
        d = self.delimiters
        term, ele = re.escape(d.segment), re.escape(d.element)
        space = _space(d)
        ids = b"|".join(_STRUCTURAL)
        self._structural = re.compile(term + space + b"(" + ids + b")" + ele)
        self._empty = re.compile(term + space + term)

    def __iter__(self) -> Iterator[Unit]:
        d = self.delimiters
        term, ele = d.segment, d.element
        structural, empty = self._structural, self._empty

        problems: list[str] = []
        passthrough: list[bytes] = []
        claim_parts: list[bytes] | None = None  # not None while inside a claim
        claim_ordinal = 0
        context: BillingProvider | Subscriber | None = None  # the HL loop whose raw bytes we collect

        isa_control = gs_control = ""
        st: Transaction | None = None
        st_ordinal = 0
        gs_st_count = isa_gs_count = 0
        in_isa = in_gs = False
        provider = BillingProvider(d)
        subscriber = Subscriber(d)
        has_patient = False
        level = ""  # "20", "22", "23": the HL level we are in
        before = 0  # segments in the blocks already walked

        def region(raw: bytes) -> None:
            """Bytes between two structural segments: they belong to the open claim or pass through."""
            if claim_parts is not None:
                claim_parts.append(raw)
                return
            if not in_isa:
                raise InputRefused(f"segment {before + 1}: data outside any interchange (after IEA or before ISA)")
            passthrough.append(raw)
            if context is not None:
                context.add(raw)

        for block in self.stream.blocks():
            view = term + block  # every segment, the first included, now follows a terminator
            bad = empty.search(view)
            if bad is not None:
                at = before + block.count(term, 0, bad.start()) + 1
                raise InputRefused(f"empty segment at segment {at}: two segment terminators in a row "
                                   "(pyx12 would silently stop reading there)")
            pos = 0  # start of the first byte of the block not yet assigned
            counted_pos, counted = 0, 0
            for match in structural.finditer(view):
                start = match.start()  # in block coordinates: the segment's first byte (white space included)
                body_start = match.start(1) - 1
                stop = block.find(term, body_start)
                if start > pos:
                    region(block[pos:start])
                counted += block.count(term, counted_pos, start)
                counted_pos = start
                ordinal = before + counted + 1
                body = block[body_start:stop]
                sid = match.group(1)
                pos = stop + 1

                if claim_parts is not None:  # any structural segment closes the open claim
                    claim = Claim(b"".join(claim_parts), claim_ordinal, st, provider, subscriber,  # type: ignore[arg-type]
                                  has_patient, d)
                    claim_parts = None
                    self.lines += claim.line_count
                    yield claim

                if sid == b"CLM":
                    if st is None or level not in ("22", "23"):
                        raise InputRefused(f"segment {ordinal}: CLM outside a subscriber or patient loop")
                    if passthrough:
                        yield Passthrough(b"".join(passthrough))
                        passthrough = []
                    context = None
                    claim_parts = [block[start:pos]]
                    claim_ordinal = ordinal
                    self.claims += 1
                    continue

                raw = block[start:pos]
                fields = body.split(ele)
                if sid == b"HL":
                    if st is None:
                        raise InputRefused(f"segment {ordinal}: HL outside a transaction set")
                    level = _field(fields, 3)
                    if level == "20":
                        provider = BillingProvider(d)
                        subscriber = Subscriber(d)
                        has_patient = False
                        context = provider
                    elif level == "22":
                        subscriber = Subscriber(d)
                        has_patient = False
                        context = subscriber
                    else:
                        has_patient = has_patient or level == "23"
                        context = None
                    passthrough.append(raw)
                    continue
                if sid == b"SE":
                    if st is None:
                        problems.append(f"segment {ordinal}: SE without ST")
                        region(raw)
                        continue
                    count = ordinal - st_ordinal + 1
                    declared, control = _field(fields, 1), _field(fields, 2)
                    if declared != str(count):
                        problems.append(f"SE01 of transaction {st.control_number} says {declared or 'nothing'} "
                                        f"segments, it has {count} (segment {ordinal})")
                    if control != st.control_number:
                        problems.append(f"SE02 {control} does not match ST02 {st.control_number} (segment {ordinal})")
                    if passthrough:
                        yield Passthrough(b"".join(passthrough))
                        passthrough = []
                    yield TransactionEnd(raw[:-1], st, count, ordinal)
                    st, level, context = None, "", None
                    continue
                if sid == b"ST":
                    if not in_gs:
                        raise InputRefused(f"segment {ordinal}: ST outside a functional group (no GS before it)")
                    if st is not None:
                        problems.append(f"transaction {st.control_number} has no SE before segment {ordinal}")
                    code = _field(fields, 1)
                    if code != "837":
                        raise InputRefused(f"segment {ordinal}: transaction set {code or '(none)'} is not an 837 "
                                           "claim; edi837 fixes 837P files only")
                    self.transactions += 1
                    gs_st_count += 1
                    st = Transaction(isa_control, gs_control, _field(fields, 2), self.transactions)
                    st_ordinal = ordinal
                    provider, subscriber, level, context = BillingProvider(d), Subscriber(d), "", None
                    passthrough.append(raw)
                    continue
                if sid == b"GS":
                    if not in_isa:
                        raise InputRefused(f"segment {ordinal}: GS outside an interchange")
                    if in_gs:
                        problems.append(f"group {gs_control} has no GE before segment {ordinal}")
                    functional, version = _field(fields, 1), _field(fields, 8)
                    if functional != "HC":
                        raise InputRefused(f"segment {ordinal}: functional group {functional or '(none)'} is not HC "
                                           "(health care claim); edi837 fixes 837P files only")
                    if version != SUPPORTED_VERSION:
                        raise InputRefused(f"segment {ordinal}: GS08 is {version or '(empty)'}; edi837 handles "
                                           f"{SUPPORTED_VERSION} (837P 5010) only")
                    gs_control = _field(fields, 6)
                    gs_st_count = 0
                    isa_gs_count += 1
                    in_gs = True
                    passthrough.append(raw)
                    continue
                if sid == b"GE":
                    if st is not None:
                        problems.append(f"transaction {st.control_number} has no SE before GE (segment {ordinal})")
                        st = None
                    declared, control = _field(fields, 1), _field(fields, 2)
                    if declared != str(gs_st_count):
                        problems.append(f"GE01 of group {gs_control} says {declared or 'nothing'} transaction "
                                        f"sets, it has {gs_st_count} (segment {ordinal})")
                    if control != gs_control:
                        problems.append(f"GE02 {control} does not match GS06 {gs_control} (segment {ordinal})")
                    in_gs = False
                    context = None
                    passthrough.append(raw)
                    continue
                if sid == b"ISA":
                    if in_isa:
                        problems.append(f"interchange {isa_control} has no IEA before segment {ordinal}")
                    if ordinal > 1 and parse_isa(body + term) != d:
                        raise InputRefused(f"segment {ordinal}: this interchange declares other delimiters than "
                                           "the first; split the file into one interchange per file")
                    version = _field(fields, 12)
                    if version != "00501":
                        raise InputRefused(f"segment {ordinal}: interchange version ISA12 is {version}; edi837 "
                                           "handles 00501 (X12 5010) only")
                    isa_control = _field(fields, 13)
                    isa_gs_count = 0
                    in_isa = True
                    passthrough.append(raw)
                    continue
                # IEA
                if in_gs:
                    problems.append(f"group {gs_control} has no GE before IEA (segment {ordinal})")
                    in_gs = False
                declared, control = _field(fields, 1), _field(fields, 2)
                if declared != str(isa_gs_count):
                    problems.append(f"IEA01 of interchange {isa_control} says {declared or 'nothing'} groups, "
                                    f"it has {isa_gs_count} (segment {ordinal})")
                if control != isa_control:
                    problems.append(f"IEA02 {control} does not match ISA13 {isa_control} (segment {ordinal})")
                passthrough.append(raw)
                in_isa = False
                context = None

            if pos < len(block):
                region(block[pos:])
            before += block.count(term)

        if claim_parts is not None:
            problems.append("truncated file: it ends inside a claim, without SE, GE and IEA")
        elif st is not None:
            problems.append(f"truncated file: transaction {st.control_number} has no SE")
        if in_gs:
            problems.append(f"truncated file: group {gs_control} has no GE")
        if in_isa:
            problems.append(f"truncated file: interchange {isa_control} has no IEA")
        if problems:
            raise InputRefused("; ".join(problems))
        if passthrough:
            yield Passthrough(b"".join(passthrough))
