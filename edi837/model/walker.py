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
inside the raw bytes, which are only ever copied to the output. The one exception is asked for by name
(`identify=True`, the pass that pairs a patient's claims across the file: engine/partners.py): the
member id and a dependant's name and birth date are then read straight into keyed digests
(model/identity.py), never kept as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from edi837.errors import InputRefused
from edi837.model.claim import Claim, space_pattern
from edi837.model.fields import field
from edi837.model.header import SUPPORTED_VERSION, BillingProvider, Patient, Subscriber, Transaction
from edi837.words import plural
from edi837.x12.envelope import Delimiters, SegmentStream, parse_isa
from edi837.x12.untrusted import control, name_envelope, shown


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

    def __init__(self, stream: SegmentStream, identify: bool = False) -> None:
        self.stream = stream
        # Read who each claim is for, into keyed digests only (model/identity.py): the subscriber's member id
        # and the 2000C patient. Only the pass that pairs claims across the file asks (engine/partners.py).
        self.identify = identify
        self.delimiters = stream.delimiters
        self.claims = 0
        self.lines = 0
        self._envelope: _Envelope | None = None
        d = self.delimiters
        term, ele = re.escape(d.segment), re.escape(d.element)
        space = space_pattern(d)
        ids = b"|".join(_STRUCTURAL)
        self._structural = re.compile(term + space + b"(" + ids + b")" + ele)
        self._empty = re.compile(term + space + term)

    def __iter__(self) -> Iterator[Unit]:
        """The units of the file in order: this loop cuts the bytes; _Envelope says what envelope segments mean."""
        term = self.delimiters.segment
        structural, empty = self._structural, self._empty
        env = self._envelope = _Envelope(self.delimiters, self.identify)
        opens = {b"HL": env.hl, b"ST": env.open_transaction, b"GS": env.open_group, b"GE": env.close_group,
                 b"ISA": env.open_interchange, b"IEA": env.close_interchange}
        passthrough: list[bytes] = []
        claim_parts: list[bytes] | None = None  # not None while inside a claim
        claim_ordinal = 0
        before = 0  # segments in the blocks already walked

        def region(raw: bytes) -> None:
            """Bytes between two structural segments: they belong to the open claim or pass through."""
            if claim_parts is not None:
                claim_parts.append(raw)
                return
            if not env.in_isa:
                raise InputRefused(f"segment {before + 1}: data outside any interchange (after IEA or before ISA)")
            passthrough.append(raw)
            if env.context is not None:
                env.context.add(raw)

        for block in self.stream.blocks():
            view = term + block  # every segment, the first included, now follows a terminator
            if empty.search(view) is not None:
                _refuse_empty(empty, view, before, term)
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
                    claim = env.claim(b"".join(claim_parts), claim_ordinal)
                    claim_parts = None
                    if not self.identify:  # the pass that pairs claims counts nothing
                        self.lines += claim.line_count
                    yield claim

                if sid == b"CLM":
                    env.check_claim(ordinal)
                    if passthrough:
                        yield Passthrough(b"".join(passthrough))
                        passthrough = []
                    claim_parts = [block[start:pos]]
                    claim_ordinal = ordinal
                    self.claims += 1
                    continue

                raw = block[start:pos]
                if sid == b"SE":
                    end = env.close_transaction(body, ordinal, raw)
                    if end is None:  # SE without ST: said, and its bytes carried as they are
                        region(raw)
                        continue
                    if passthrough:
                        yield Passthrough(b"".join(passthrough))
                        passthrough = []
                    yield end
                    continue
                opens[sid](body, ordinal)
                passthrough.append(raw)

            if pos < len(block):
                region(block[pos:])
            before += block.count(term)

        env.finish(claim_open=claim_parts is not None)
        if passthrough:
            yield Passthrough(b"".join(passthrough))

    @property
    def transactions(self) -> int:
        """The transaction sets (ST) walked so far."""
        return self._envelope.transactions if self._envelope is not None else 0


class _Envelope:
    """What the walk knows of where it is: the interchange, group and transaction open (their control numbers,
    checked against their trailers, and how messages name them), the HL loops the claims that follow belong
    to, and the problems found so far. One method per envelope segment; problems are refused together at the
    end (`finish`), a file that cannot be an 837P at once."""

    __slots__ = (
        "context", "delimiters", "gs_control", "gs_name", "gs_st_count", "has_patient", "identify", "in_gs",
        "in_isa", "isa_control", "isa_gs_count", "isa_name", "level", "patient", "problems", "provider",
        "st", "st_control", "st_name", "st_ordinal", "subscriber", "transactions"
    )

    def __init__(self, delimiters: Delimiters, identify: bool) -> None:
        self.delimiters, self.identify = delimiters, identify
        self.problems: list[str] = []
        # control numbers as read (compared with their trailers), and how messages name what they open
        self.isa_control = self.gs_control = self.st_control = ""
        self.isa_name = self.gs_name = self.st_name = ""
        self.st: Transaction | None = None
        self.st_ordinal = self.transactions = self.gs_st_count = self.isa_gs_count = 0
        self.in_isa = self.in_gs = False
        self.provider = BillingProvider(delimiters)
        self.subscriber = Subscriber(delimiters, identify)
        self.has_patient = False
        self.patient: Patient | None = None  # the 2000C the claims that follow belong to (None: the subscriber)
        self.level = ""  # "20", "22", "23": the HL level we are in
        self.context: BillingProvider | Subscriber | Patient | None = None  # the HL loop whose raw bytes we collect

    def _fields(self, body: bytes) -> list[bytes]:
        return body.split(self.delimiters.element)

    def claim(self, raw: bytes, ordinal: int) -> Claim:
        return Claim(raw, ordinal, self.st, self.provider, self.subscriber,  # type: ignore[arg-type]
                     self.has_patient, self.delimiters, self.patient)

    def check_claim(self, ordinal: int) -> None:
        """A CLM opens a claim: only inside a subscriber or patient loop; the HL loop collects no more."""
        if self.st is None or self.level not in ("22", "23"):
            raise InputRefused(f"segment {ordinal}: CLM outside a subscriber or patient loop")
        self.context = None

    def hl(self, body: bytes, ordinal: int) -> None:
        if self.st is None:
            raise InputRefused(f"segment {ordinal}: HL outside a transaction set")
        d, level = self.delimiters, field(self._fields(body), 3)
        self.level = level
        if level == "20":
            self.provider = BillingProvider(d)
            self.subscriber = Subscriber(d, self.identify)
            self.has_patient, self.patient = False, None
            self.context = self.provider
        elif level == "22":
            self.subscriber = Subscriber(d, self.identify)
            self.has_patient, self.patient = False, None
            self.context = self.subscriber
        else:
            self.has_patient = self.has_patient or level == "23"
            self.context = self.patient = Patient(d) if self.identify and level == "23" else None

    def close_transaction(self, body: bytes, ordinal: int, raw: bytes) -> TransactionEnd | None:
        if self.st is None:
            self.problems.append(f"segment {ordinal}: SE without ST")
            return None
        count = ordinal - self.st_ordinal + 1
        self.problems += _trailer_problems(self._fields(body), ordinal, ("SE", "ST02", self.st_name, "segment"),
                                           count, self.st_control)
        end = TransactionEnd(raw[:-1], self.st, count, ordinal)
        self.st, self.level, self.context = None, "", None
        return end

    def open_transaction(self, body: bytes, ordinal: int) -> None:
        if not self.in_gs:
            raise InputRefused(f"segment {ordinal}: ST outside a functional group (no GS before it)")
        if self.st is not None:
            self.problems.append(f"{self.st_name} has no SE before segment {ordinal}")
        fields = self._fields(body)
        code = field(fields, 1)
        if code != "837":
            raise InputRefused(f"segment {ordinal}: transaction set {shown('ST01', code)} is not an 837 "
                               "claim; edi837 fixes 837P files only")
        self.transactions += 1
        self.gs_st_count += 1
        self.st_control = field(fields, 2)
        self.st_name = name_envelope("transaction", "ST02", self.st_control, ordinal)
        self.st = Transaction(control("ISA13", self.isa_control), control("GS06", self.gs_control),
                              control("ST02", self.st_control), self.transactions)
        self.st_ordinal = ordinal
        d = self.delimiters
        self.provider, self.subscriber = BillingProvider(d), Subscriber(d, self.identify)
        self.level, self.context, self.patient = "", None, None

    def open_group(self, body: bytes, ordinal: int) -> None:
        if not self.in_isa:
            raise InputRefused(f"segment {ordinal}: GS outside an interchange")
        if self.in_gs:
            self.problems.append(f"{self.gs_name} has no GE before segment {ordinal}")
        fields = self._fields(body)
        functional, version = field(fields, 1), field(fields, 8)
        if functional != "HC":
            raise InputRefused(f"segment {ordinal}: functional group {shown('GS01', functional)} is not "
                               "HC (health care claim); edi837 fixes 837P files only")
        if version != SUPPORTED_VERSION:
            raise InputRefused(f"segment {ordinal}: GS08 is {shown('GS08', version)}; edi837 handles "
                               f"{SUPPORTED_VERSION} (837P 5010) only")
        self.gs_control = field(fields, 6)
        self.gs_name = name_envelope("group", "GS06", self.gs_control, ordinal)
        self.gs_st_count = 0
        self.isa_gs_count += 1
        self.in_gs = True

    def close_group(self, body: bytes, ordinal: int) -> None:
        if self.st is not None:
            self.problems.append(f"{self.st_name} has no SE before GE (segment {ordinal})")
            self.st = None
        self.problems += _trailer_problems(self._fields(body), ordinal,
                                           ("GE", "GS06", self.gs_name, "transaction set"), self.gs_st_count,
                                           self.gs_control)
        self.in_gs = False
        self.context = None

    def open_interchange(self, body: bytes, ordinal: int) -> None:
        if self.in_isa:
            self.problems.append(f"{self.isa_name} has no IEA before segment {ordinal}")
        if ordinal > 1 and parse_isa(body + self.delimiters.segment) != self.delimiters:
            raise InputRefused(f"segment {ordinal}: this interchange declares other delimiters than "
                               "the first; split the file into one interchange per file")
        fields = self._fields(body)
        version = field(fields, 12)
        if version != "00501":
            raise InputRefused(f"segment {ordinal}: interchange version ISA12 is "
                               f"{shown('ISA12', version)}; edi837 handles 00501 (X12 5010) only")
        self.isa_control = field(fields, 13)
        self.isa_name = name_envelope("interchange", "ISA13", self.isa_control, ordinal)
        self.isa_gs_count = 0
        self.in_isa = True

    def close_interchange(self, body: bytes, ordinal: int) -> None:
        if self.in_gs:
            self.problems.append(f"{self.gs_name} has no GE before IEA (segment {ordinal})")
            self.in_gs = False
        self.problems += _trailer_problems(self._fields(body), ordinal, ("IEA", "ISA13", self.isa_name, "group"),
                                           self.isa_gs_count, self.isa_control)
        self.in_isa = False
        self.context = None

    def finish(self, claim_open: bool) -> None:
        """At the end of the file: what was left open is a problem too; every problem is refused together."""
        if claim_open:
            self.problems.append("truncated file: it ends inside a claim, without SE, GE and IEA")
        elif self.st is not None:
            self.problems.append(f"truncated file: {self.st_name} has no SE")
        if self.in_gs:
            self.problems.append(f"truncated file: {self.gs_name} has no GE")
        if self.in_isa:
            self.problems.append(f"truncated file: {self.isa_name} has no IEA")
        if self.problems:
            raise InputRefused("; ".join(self.problems))


def _refuse_empty(empty: re.Pattern[bytes], view: bytes, before: int, term: bytes) -> None:
    """Two segment terminators in a row: refused, naming where (a block's view starts with a terminator)."""
    bad = empty.search(view)
    assert bad is not None
    at = before + view.count(term, 1, bad.start() + 1) + 1
    raise InputRefused(f"empty segment at segment {at}: two segment terminators in a row "
                       "(pyx12 would silently stop reading there)")


def _trailer_problems(fields: list[bytes], ordinal: int, names: tuple[str, str, str, str], counted: int,
                      opened: str) -> list[str]:
    """What is wrong with an SE, GE or IEA: its count (01) against what was counted, its control number (02)
    against the ST02, GS06 or ISA13 it closes. `names`: the trailer, the opening element, how messages name
    what it closes, and what it counts (singular). Values are shown only as untrusted.shown allows."""
    trailer, opening, closes, counts = names
    declared, closing = field(fields, 1), field(fields, 2)
    found = []
    if declared != str(counted):
        said = control(f"{trailer}01", declared)
        verdict = (f"says {said} {counts}{'' if said == '1' else 's'}, it has {counted}" if said
                   else f"is {shown(f'{trailer}01', declared)}; it has {plural(counted, counts)}")
        found.append(f"{trailer}01 of {closes} {verdict} (segment {ordinal})")
    if closing != opened:
        found.append(f"{trailer}02 {shown(f'{trailer}02', closing)} does not match {opening} {shown(opening, opened)} "
                     f"(segment {ordinal})")
    return found
