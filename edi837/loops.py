"""837P loop walker: turns the piece stream into interchange, provider, subscriber, claim and line objects.

Why not pyx12's map-aware reader: it runs at about 0.12 MB/s, a hundred times slower than this
walker needs to be (research/pyx12-notes.md §9); pyx12 stays the validator. The walker relies on
the 837P's own structure instead of a map: HL03 names the level (20 billing provider, 22
subscriber, 23 patient), CLM opens a claim (2300), LX opens a service line (2400), and the qualifier
of an NM1/SBR/DTP plus its position tells its loop (NM1*PR before CLM is the payer 2010BB; after CLM
it belongs to a 2330B other-payer loop and is not ours).

It streams one claim at a time: memory is bounded by one claim plus the small provider/subscriber
context, whatever the size of the file or of a transaction set.

Patient data is never parsed into these objects: names, birth dates, member ids and addresses stay
inside the raw pieces, which are only ever copied to the output.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from edi837.envelope import WHITESPACE, Delimiters, SegmentStream, parse_isa
from edi837.errors import InputRefused

SUPPORTED_VERSION = "005010X222A1"


@dataclass(slots=True)
class Transaction:
    """One ST..SE transaction set, with the envelope it sits in."""

    interchange_control: str
    group_control: str
    control_number: str
    ordinal: int  # 1-based number of the ST in the file


@dataclass(slots=True)
class BillingProvider:
    """2000A/2010AA: the provider that bills (NPI from NM109, taxonomy from PRV03)."""

    npi: str = ""
    taxonomy: str = ""


@dataclass(slots=True)
class Subscriber:
    """2000B: claim filing indicator (SBR09) and the payer (2010BB NM103/NM109).

    The subscriber's own name and member id are deliberately not read.
    """

    claim_filing: str = ""
    payer_responsibility: str = ""
    payer_id: str = ""
    payer_name: str = ""


@dataclass(slots=True)
class Diagnosis:
    """One HI composite in pointer order: qualifier (ABK principal / ABF other) and the ICD-10-CM code."""

    qualifier: str
    code: str

    @property
    def dotted(self) -> str:
        """The code as ICD-10-CM prints it (M9901 -> M99.01); 837 files carry it without the dot."""
        return self.code if len(self.code) <= 3 or "." in self.code else f"{self.code[:3]}.{self.code[3:]}"


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
    charge_text: str = ""
    unit_basis: str = ""
    units: Decimal = Decimal(0)
    units_text: str = ""
    pointers: tuple[int, ...] = ()
    service_date: date | None = None
    service_date_end: date | None = None
    rendering_npi: str = ""


@dataclass(slots=True)
class Claim:
    """A 2300 loop with its 2400 lines and the context that decides how it is billed.

    `pieces` are the raw segments from CLM to the end of the claim (leading white space included,
    terminator excluded). `first_ordinal` is the 1-based position of CLM in the file, so a piece's
    position is `first_ordinal + index`.
    """

    claim_id: str
    total_charge: Decimal
    total_charge_text: str
    pieces: list[bytes]
    first_ordinal: int
    transaction: Transaction
    billing_provider: BillingProvider
    subscriber: Subscriber
    has_patient_loop: bool
    diagnoses: list[Diagnosis] = field(default_factory=list)
    lines: list[ServiceLine] = field(default_factory=list)
    rendering_npi: str = ""

    def diagnoses_for(self, line: ServiceLine) -> list[Diagnosis]:
        """The diagnoses a line's SV107 pointers name, in pointer order; bad pointers are skipped."""
        out = []
        for p in line.pointers:
            if 1 <= p <= len(self.diagnoses):
                out.append(self.diagnoses[p - 1])
        return out


@dataclass(slots=True)
class Passthrough:
    """Pieces outside any claim (envelope, headers, HL/provider/subscriber loops): copied unchanged."""

    pieces: list[bytes]


@dataclass(slots=True)
class TransactionEnd:
    """The SE of a transaction, separate so the writer can recount SE01 when lines were removed."""

    piece: bytes
    transaction: Transaction
    segment_count: int  # segments from ST to SE inclusive, as read
    ordinal: int  # position of the SE in the file


Unit = Passthrough | Claim | TransactionEnd


def _text(value: bytes) -> str:
    return value.decode("latin-1")


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


def parse_sv1(line: ServiceLine, body: bytes, delims: Delimiters, ordinal: int) -> None:
    """Fill a service line from its SV1 segment text."""
    elements = body.split(delims.element)
    parts = elements[1].split(delims.component) if len(elements) > 1 else [b""]
    line.qualifier = _text(parts[0])
    line.procedure = _text(parts[1]) if len(parts) > 1 else ""
    line.modifiers = tuple(_text(m) for m in parts[2:6] if m)
    line.charge_text = _text(elements[2]) if len(elements) > 2 else ""
    line.charge = _decimal(elements[2], "SV102 line charge", ordinal) if line.charge_text else Decimal(0)
    line.unit_basis = _text(elements[3]) if len(elements) > 3 else ""
    line.units_text = _text(elements[4]) if len(elements) > 4 else ""
    line.units = _decimal(elements[4], "SV104 units", ordinal) if line.units_text else Decimal(0)
    if len(elements) > 7 and elements[7]:
        pointers = []
        for p in elements[7].split(delims.component):
            if p.isdigit():
                pointers.append(int(p))
        line.pointers = tuple(pointers)


class Walker:
    """Walks a SegmentStream and yields Units; checks the envelope as it goes.

    Structural problems (control numbers and counts that do not match, missing trailers, a
    transaction that is not an 837P 005010X222A1) are refused: a clearinghouse rejects such a file
    whole, and a fixer must not guess which count is the wrong one.
    """

    def __init__(self, stream: SegmentStream) -> None:
        self.stream = stream
        self.delimiters = stream.delimiters
        self.segments = 0  # ordinal of the last segment read
        self.claims = 0
        self.lines = 0
        self.transactions = 0
        self.interchanges = 0

    def __iter__(self) -> Iterator[Unit]:
        delims = self.delimiters
        ele = delims.element
        comp = delims.component
        isa_delims = delims
        ws = WHITESPACE

        problems: list[str] = []
        passthrough: list[bytes] = []
        claim: Claim | None = None
        line: ServiceLine | None = None
        section = ""  # inside a claim: "2300", "2310B", "2320", "2400", "2420A", "2400-other"
        ordinal = 0

        isa_control = ""
        gs_control = ""
        st: Transaction | None = None
        st_count = 0
        gs_st_count = 0
        isa_gs_count = 0
        in_isa = in_gs = False
        provider = BillingProvider()
        subscriber = Subscriber()
        has_patient = False
        level = ""  # "20", "22", "23": the HL level we are in

        for batch in self.stream.batches():
            for piece in batch:
                ordinal += 1
                body = piece.lstrip(ws)
                if not body:
                    self.segments = ordinal
                    raise InputRefused(
                        f"empty segment at segment {ordinal}: two segment terminators in a row "
                        "(pyx12 would silently stop reading here)"
                    )
                end = body.find(ele)
                sid = body if end < 0 else body[:end]
                if st is not None:
                    st_count += 1

                if claim is not None:
                    # Inside a claim: most segments just belong to it.
                    if sid == b"LX":
                        if line is not None:
                            line.end_index = len(claim.pieces)
                        number = body[end + 1 :].split(ele, 1)[0]
                        line = ServiceLine(
                            number=int(number) if number.isdigit() else 0,
                            lx_index=len(claim.pieces),
                            end_index=len(claim.pieces) + 1,
                        )
                        claim.lines.append(line)
                        section = "2400"
                        claim.pieces.append(piece)
                        continue
                    if sid not in _CLAIM_BREAKERS:
                        if line is not None:
                            if sid == b"SV1":
                                line.sv1_index = len(claim.pieces)
                                parse_sv1(line, body, delims, ordinal)
                            elif sid == b"DTP" and body[end + 1 : end + 4] == b"472" and section == "2400":
                                _set_line_dates(line, body, ele)
                            elif sid == b"NM1":
                                qual = body[end + 1 :].split(ele, 1)[0]
                                section = "2420A" if qual == b"82" else "2400-other"
                                if qual == b"82":
                                    line.rendering_npi = _nm109(body, ele)
                            elif sid in (b"SVD", b"LIN", b"LQ"):
                                section = "2400-other"
                        else:
                            if sid == b"HI" and section == "2300":
                                _read_diagnoses(claim, body, ele, comp)
                            elif sid == b"NM1":
                                qual = body[end + 1 :].split(ele, 1)[0]
                                if qual == b"82" and section in ("2300", "2310B"):
                                    section = "2310B"
                                    claim.rendering_npi = _nm109(body, ele)
                                elif section != "2320":
                                    section = "2310"
                            elif sid == b"SBR":
                                section = "2320"
                        claim.pieces.append(piece)
                        continue
                    # HL, CLM, SE, or an envelope segment: the claim is over.
                    if line is not None:
                        line.end_index = len(claim.pieces)
                    self.lines += len(claim.lines)
                    yield claim
                    claim = None
                    line = None

                if sid == b"CLM":
                    if st is None or level not in ("22", "23"):
                        raise InputRefused(f"segment {ordinal}: CLM outside a subscriber or patient loop")
                    if passthrough:
                        yield Passthrough(passthrough)
                        passthrough = []
                    fields = body.split(ele, 3)
                    total_text = _text(fields[2]) if len(fields) > 2 else ""
                    claim = Claim(
                        claim_id=_text(fields[1]) if len(fields) > 1 else "",
                        total_charge=_decimal(fields[2], "CLM02 total charge", ordinal) if total_text
                        else Decimal(0),
                        total_charge_text=total_text,
                        pieces=[piece],
                        first_ordinal=ordinal,
                        transaction=st,
                        billing_provider=provider,
                        subscriber=subscriber,
                        has_patient_loop=has_patient,
                    )
                    self.claims += 1
                    section = "2300"
                    continue
                if sid == b"HL":
                    fields = body.split(ele)
                    level = _text(fields[3]) if len(fields) > 3 else ""
                    if level == "20":
                        provider = BillingProvider()
                        subscriber = Subscriber()
                        has_patient = False
                    elif level == "22":
                        subscriber = Subscriber()
                        has_patient = False
                    elif level == "23":
                        has_patient = True
                    passthrough.append(piece)
                    continue
                if sid == b"NM1":
                    fields = body.split(ele)
                    qual = fields[1] if len(fields) > 1 else b""
                    if level == "20" and qual == b"85":
                        provider.npi = _text(fields[9]) if len(fields) > 9 else ""
                    elif level == "22" and qual == b"PR":
                        subscriber.payer_name = _text(fields[3]) if len(fields) > 3 else ""
                        subscriber.payer_id = _text(fields[9]) if len(fields) > 9 else ""
                    passthrough.append(piece)
                    continue
                if sid == b"SBR" and level == "22":
                    fields = body.split(ele)
                    subscriber.payer_responsibility = _text(fields[1]) if len(fields) > 1 else ""
                    subscriber.claim_filing = _text(fields[9]) if len(fields) > 9 else ""
                    passthrough.append(piece)
                    continue
                if sid == b"PRV" and level == "20":
                    fields = body.split(ele)
                    provider.taxonomy = _text(fields[3]) if len(fields) > 3 else ""
                    passthrough.append(piece)
                    continue
                if sid == b"SE":
                    if st is None:
                        problems.append(f"segment {ordinal}: SE without ST")
                        passthrough.append(piece)
                        continue
                    fields = body.split(ele)
                    declared = _text(fields[1]) if len(fields) > 1 else ""
                    control = _text(fields[2]) if len(fields) > 2 else ""
                    if declared != str(st_count):
                        problems.append(
                            f"SE01 of transaction {st.control_number} says {declared or 'nothing'} segments, "
                            f"it has {st_count} (segment {ordinal})"
                        )
                    if control != st.control_number:
                        problems.append(
                            f"SE02 {control!s} does not match ST02 {st.control_number} (segment {ordinal})"
                        )
                    if passthrough:
                        yield Passthrough(passthrough)
                        passthrough = []
                    yield TransactionEnd(piece, st, st_count, ordinal)
                    st = None
                    level = ""
                    continue
                if sid == b"ST":
                    if not in_gs:
                        raise InputRefused(f"segment {ordinal}: ST outside a functional group (no GS before it)")
                    if st is not None:
                        problems.append(f"transaction {st.control_number} has no SE before segment {ordinal}")
                    fields = body.split(ele)
                    code = _text(fields[1]) if len(fields) > 1 else ""
                    if code != "837":
                        raise InputRefused(
                            f"segment {ordinal}: transaction set {code or '(none)'} is not an 837 claim; "
                            "edi837 fixes 837P files only"
                        )
                    self.transactions += 1
                    gs_st_count += 1
                    st = Transaction(isa_control, gs_control, _text(fields[2]) if len(fields) > 2 else "",
                                     self.transactions)
                    st_count = 1
                    provider = BillingProvider()
                    subscriber = Subscriber()
                    level = ""
                    passthrough.append(piece)
                    continue
                if sid == b"GS":
                    if not in_isa:
                        raise InputRefused(f"segment {ordinal}: GS outside an interchange")
                    if in_gs:
                        problems.append(f"group {gs_control} has no GE before segment {ordinal}")
                    fields = body.split(ele)
                    functional = _text(fields[1]) if len(fields) > 1 else ""
                    version = _text(fields[8]) if len(fields) > 8 else ""
                    if functional != "HC":
                        raise InputRefused(
                            f"segment {ordinal}: functional group {functional or '(none)'} is not HC "
                            "(health care claim); edi837 fixes 837P files only"
                        )
                    if version != SUPPORTED_VERSION:
                        raise InputRefused(
                            f"segment {ordinal}: GS08 is {version or '(empty)'}; edi837 handles "
                            f"{SUPPORTED_VERSION} (837P 5010) only"
                        )
                    gs_control = _text(fields[6]) if len(fields) > 6 else ""
                    gs_st_count = 0
                    isa_gs_count += 1
                    in_gs = True
                    passthrough.append(piece)
                    continue
                if sid == b"GE":
                    fields = body.split(ele)
                    declared = _text(fields[1]) if len(fields) > 1 else ""
                    control = _text(fields[2]) if len(fields) > 2 else ""
                    if st is not None:
                        problems.append(f"transaction {st.control_number} has no SE before GE (segment {ordinal})")
                        st = None
                    if declared != str(gs_st_count):
                        problems.append(
                            f"GE01 of group {gs_control} says {declared or 'nothing'} transaction sets, "
                            f"it has {gs_st_count} (segment {ordinal})"
                        )
                    if control != gs_control:
                        problems.append(f"GE02 {control} does not match GS06 {gs_control} (segment {ordinal})")
                    in_gs = False
                    passthrough.append(piece)
                    continue
                if sid == b"ISA":
                    if in_isa:
                        problems.append(f"interchange {isa_control} has no IEA before segment {ordinal}")
                    isa = body + delims.segment
                    if ordinal > 1 and parse_isa(isa) != isa_delims:
                        raise InputRefused(
                            f"segment {ordinal}: this interchange declares other delimiters than the first; "
                            "split the file into one interchange per file"
                        )
                    fields = body.split(ele)
                    version = _text(fields[12])
                    if version != "00501":
                        raise InputRefused(
                            f"segment {ordinal}: interchange version ISA12 is {version}; edi837 handles 00501 "
                            "(X12 5010) only"
                        )
                    isa_control = _text(fields[13])
                    isa_gs_count = 0
                    in_isa = True
                    self.interchanges += 1
                    passthrough.append(piece)
                    continue
                if sid == b"IEA":
                    fields = body.split(ele)
                    declared = _text(fields[1]) if len(fields) > 1 else ""
                    control = _text(fields[2]) if len(fields) > 2 else ""
                    if in_gs:
                        problems.append(f"group {gs_control} has no GE before IEA (segment {ordinal})")
                        in_gs = False
                    if declared != str(isa_gs_count):
                        problems.append(
                            f"IEA01 of interchange {isa_control} says {declared or 'nothing'} groups, "
                            f"it has {isa_gs_count} (segment {ordinal})"
                        )
                    if control != isa_control:
                        problems.append(f"IEA02 {control} does not match ISA13 {isa_control} (segment {ordinal})")
                    in_isa = False
                    passthrough.append(piece)
                    continue
                if st is None and not in_gs and not in_isa:
                    raise InputRefused(
                        f"segment {ordinal}: {_text(sid[:8])} outside any interchange (after IEA or before ISA)"
                    )
                passthrough.append(piece)

            self.segments = ordinal

        self.segments = ordinal
        if claim is not None:  # a file that ends inside a claim has no SE/GE/IEA
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
            yield Passthrough(passthrough)


# Segments that end a claim: the next level, the next claim, or the transaction trailer.
_CLAIM_BREAKERS = frozenset({b"HL", b"CLM", b"SE", b"GE", b"IEA", b"ISA", b"GS", b"ST"})


def _nm109(body: bytes, ele: bytes) -> str:
    fields = body.split(ele)
    return _text(fields[9]) if len(fields) > 9 else ""


def _read_diagnoses(claim: Claim, body: bytes, ele: bytes, comp: bytes) -> None:
    """Collect HI diagnosis composites (ABK/BK principal, ABF/BF others) in pointer order.

    Only the diagnosis HI counts: an HI of another kind (anesthesia procedures BP/BO, condition
    codes BG) leaves the pointer list alone.
    """
    composites = body.split(ele)[1:]
    if not composites:
        return
    first = composites[0].split(comp, 1)[0]
    if first not in (b"ABK", b"BK") and not (claim.diagnoses and first in (b"ABF", b"BF")):
        return
    for composite in composites:
        parts = composite.split(comp)
        if len(parts) >= 2 and parts[0] in (b"ABK", b"BK", b"ABF", b"BF"):
            claim.diagnoses.append(Diagnosis(_text(parts[0]), _text(parts[1])))


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
