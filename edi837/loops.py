"""837P loop walker: interchange, provider, subscriber, claim and service-line objects, lazily.

Why not pyx12's map-aware reader: it runs at about 0.12 MB/s, a hundred times slower than this
walker needs to be (research/pyx12-notes.md §9); pyx12 stays the validator. The walker relies on
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
from dataclasses import dataclass
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

    __slots__ = ("_claim_filing", "_payer_id", "_payer_name")
    wanted = (b"SBR", b"NM1")

    def __init__(self, delims: Delimiters) -> None:
        super().__init__(delims)
        self._claim_filing = self._payer_id = self._payer_name = ""

    def _read(self, fields: list[bytes]) -> None:
        if fields[0] == b"SBR":
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
    service_date: date | None = None
    service_date_end: date | None = None
    rendering_npi: str = ""


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
    try:
        line.pointers = tuple([int(p) for p in elements[7].split(comp) if p.isdigit()]) if elements[7] else ()
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise InputRefused(f"segment {ordinal}: SV107 diagnosis pointer is not a usable number") from None


class Claim:
    """A 2300 loop with its 2400 lines and the context that decides how it is billed.

    `raw` holds the claim's bytes from CLM to its last segment's terminator, exactly as read.
    `pieces` (the segments, leading white space included, terminator excluded), the diagnoses and
    the lines are computed on first use. `first_ordinal` is the 1-based position of CLM in the file,
    so a piece's position is `first_ordinal + index`.
    """

    __slots__ = (
        "_clm", "_diagnoses", "_line_count", "_lines", "_pieces", "_procedures", "_rendering_npi",
        "billing_provider", "delimiters",
        "first_ordinal", "has_patient_loop", "raw", "subscriber", "transaction",
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
        self._rendering_npi = ""

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
    def rendering_npi(self) -> str:
        """2310B rendering provider NPI, when the claim has one."""
        if self._lines is None:
            self._parse()
        return self._rendering_npi

    def keep_lines(self, lines: list[ServiceLine]) -> None:
        """Show only these lines to later readers (the editor calls this when a rule removes a line, so
        the rules that run after it see the claim as it will be written)."""
        self._lines = lines

    def diagnoses_for(self, line: ServiceLine) -> list[Diagnosis]:
        """The diagnoses a line's SV107 pointers name, in pointer order; bad pointers are skipped."""
        diagnoses = self.diagnoses
        return [diagnoses[p - 1] for p in line.pointers if 1 <= p <= len(diagnoses)]

    def _parse(self) -> None:
        delims = self.delimiters
        ele, comp = delims.element, delims.component
        lines: list[ServiceLine] = []
        line: ServiceLine | None = None
        section = "2300"  # then 2310B, 2310, 2320 (other subscriber), 2400, 2420A, 2400-other
        for index, piece in enumerate(self.pieces):
            body = piece.lstrip(WHITESPACE)
            end = body.find(ele)
            sid = body if end < 0 else body[:end]
            if sid == b"LX":
                if line is not None:
                    line.end_index = index
                number = body[end + 1 :].split(ele, 1)[0] if end >= 0 else b""
                try:
                    line = ServiceLine(int(number) if number.isdigit() else 0, index, index + 1)
                except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
                    raise InputRefused(f"segment {self.first_ordinal + index}: LX01 is not a usable line number") \
                        from None
                lines.append(line)
                section = "2400"
            elif line is not None:
                if sid == b"SV1":
                    line.sv1_index = index
                    parse_sv1(line, body, delims, self.first_ordinal + index)
                elif sid == b"DTP" and section == "2400" and body[end + 1 : end + 4] == b"472":
                    _set_line_dates(line, body, ele)
                elif sid == b"NM1":
                    qualifier = body[end + 1 :].split(ele, 1)[0]
                    section = "2420A" if qualifier == b"82" else "2400-other"
                    if qualifier == b"82":
                        line.rendering_npi = _field(body.split(ele), 9)
                elif sid in (b"SVD", b"LIN", b"LQ"):
                    section = "2400-other"
            elif sid == b"HI" and section == "2300":
                self._read_diagnoses(body, ele, comp)
            elif sid == b"NM1":
                qualifier = body[end + 1 :].split(ele, 1)[0]
                if qualifier == b"82" and section in ("2300", "2310B"):
                    section = "2310B"
                    self._rendering_npi = _field(body.split(ele), 9)
                elif section != "2320":
                    section = "2310"
            elif sid == b"SBR":
                section = "2320"
        if line is not None:
            line.end_index = len(self.pieces)
        self._lines = lines

    def _read_diagnoses(self, body: bytes, ele: bytes, comp: bytes) -> None:
        """Collect HI diagnosis composites (ABK/BK principal, ABF/BF others) in pointer order.

        Only the diagnosis HI counts: an HI of another kind (anesthesia procedures BP/BO, condition
        codes BG) leaves the pointer list alone.
        """
        composites = body.split(ele)[1:]
        if not composites:
            return
        first = composites[0].split(comp, 1)[0]
        if first not in (b"ABK", b"BK") and not (self._diagnoses and first in (b"ABF", b"BF")):
            return
        for composite in composites:
            parts = composite.split(comp)
            if len(parts) >= 2 and parts[0] in (b"ABK", b"BK", b"ABF", b"BF"):
                self._diagnoses.append(Diagnosis(_text(parts[0]), _text(parts[1])))


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
