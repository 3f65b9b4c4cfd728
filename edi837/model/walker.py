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
from edi837.x12.envelope import SegmentStream, parse_isa
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
        self.transactions = 0
        d = self.delimiters
        term, ele = re.escape(d.segment), re.escape(d.element)
        space = space_pattern(d)
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
        context: BillingProvider | Subscriber | Patient | None = None  # the HL loop whose raw bytes we collect

        # control numbers as read (compared with their trailers), and how messages name what they open
        isa_control = gs_control = st_control = ""
        isa_name = gs_name = st_name = ""
        st: Transaction | None = None
        st_ordinal = 0
        gs_st_count = isa_gs_count = 0
        in_isa = in_gs = False
        identify = self.identify
        provider = BillingProvider(d)
        subscriber = Subscriber(d, identify)
        has_patient = False
        patient: Patient | None = None  # the 2000C the claims that follow belong to (None: the subscriber)
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
                                  has_patient, d, patient)
                    claim_parts = None
                    if not identify:  # the pass that pairs claims counts nothing
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
                    level = field(fields, 3)
                    if level == "20":
                        provider = BillingProvider(d)
                        subscriber = Subscriber(d, identify)
                        has_patient, patient = False, None
                        context = provider
                    elif level == "22":
                        subscriber = Subscriber(d, identify)
                        has_patient, patient = False, None
                        context = subscriber
                    else:
                        has_patient = has_patient or level == "23"
                        context = patient = Patient(d) if identify and level == "23" else None
                    passthrough.append(raw)
                    continue
                if sid == b"SE":
                    if st is None:
                        problems.append(f"segment {ordinal}: SE without ST")
                        region(raw)
                        continue
                    count = ordinal - st_ordinal + 1
                    problems += _trailer_problems(fields, ordinal, ("SE", "ST02", st_name, "segment"), count,
                                                  st_control)
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
                        problems.append(f"{st_name} has no SE before segment {ordinal}")
                    code = field(fields, 1)
                    if code != "837":
                        raise InputRefused(f"segment {ordinal}: transaction set {shown('ST01', code)} is not an 837 "
                                           "claim; edi837 fixes 837P files only")
                    self.transactions += 1
                    gs_st_count += 1
                    st_control = field(fields, 2)
                    st_name = name_envelope("transaction", "ST02", st_control, ordinal)
                    st = Transaction(control("ISA13", isa_control), control("GS06", gs_control),
                                     control("ST02", st_control), self.transactions)
                    st_ordinal = ordinal
                    provider, subscriber, level, context = BillingProvider(d), Subscriber(d, identify), "", None
                    patient = None
                    passthrough.append(raw)
                    continue
                if sid == b"GS":
                    if not in_isa:
                        raise InputRefused(f"segment {ordinal}: GS outside an interchange")
                    if in_gs:
                        problems.append(f"{gs_name} has no GE before segment {ordinal}")
                    functional, version = field(fields, 1), field(fields, 8)
                    if functional != "HC":
                        raise InputRefused(f"segment {ordinal}: functional group {shown('GS01', functional)} is not "
                                           "HC (health care claim); edi837 fixes 837P files only")
                    if version != SUPPORTED_VERSION:
                        raise InputRefused(f"segment {ordinal}: GS08 is {shown('GS08', version)}; edi837 handles "
                                           f"{SUPPORTED_VERSION} (837P 5010) only")
                    gs_control = field(fields, 6)
                    gs_name = name_envelope("group", "GS06", gs_control, ordinal)
                    gs_st_count = 0
                    isa_gs_count += 1
                    in_gs = True
                    passthrough.append(raw)
                    continue
                if sid == b"GE":
                    if st is not None:
                        problems.append(f"{st_name} has no SE before GE (segment {ordinal})")
                        st = None
                    problems += _trailer_problems(fields, ordinal, ("GE", "GS06", gs_name, "transaction set"),
                                                  gs_st_count, gs_control)
                    in_gs = False
                    context = None
                    passthrough.append(raw)
                    continue
                if sid == b"ISA":
                    if in_isa:
                        problems.append(f"{isa_name} has no IEA before segment {ordinal}")
                    if ordinal > 1 and parse_isa(body + term) != d:
                        raise InputRefused(f"segment {ordinal}: this interchange declares other delimiters than "
                                           "the first; split the file into one interchange per file")
                    version = field(fields, 12)
                    if version != "00501":
                        raise InputRefused(f"segment {ordinal}: interchange version ISA12 is "
                                           f"{shown('ISA12', version)}; edi837 handles 00501 (X12 5010) only")
                    isa_control = field(fields, 13)
                    isa_name = name_envelope("interchange", "ISA13", isa_control, ordinal)
                    isa_gs_count = 0
                    in_isa = True
                    passthrough.append(raw)
                    continue
                # IEA
                if in_gs:
                    problems.append(f"{gs_name} has no GE before IEA (segment {ordinal})")
                    in_gs = False
                problems += _trailer_problems(fields, ordinal, ("IEA", "ISA13", isa_name, "group"), isa_gs_count,
                                              isa_control)
                passthrough.append(raw)
                in_isa = False
                context = None

            if pos < len(block):
                region(block[pos:])
            before += block.count(term)

        if claim_parts is not None:
            problems.append("truncated file: it ends inside a claim, without SE, GE and IEA")
        elif st is not None:
            problems.append(f"truncated file: {st_name} has no SE")
        if in_gs:
            problems.append(f"truncated file: {gs_name} has no GE")
        if in_isa:
            problems.append(f"truncated file: {isa_name} has no IEA")
        if problems:
            raise InputRefused("; ".join(problems))
        if passthrough:
            yield Passthrough(b"".join(passthrough))


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
