"""Synthetic 837P (005010X222A1) files for tests, the demo and the benchmark.

Why a generator and not fixtures: no public 837P file carries 97140/97530 next to chiropractic
manipulation, real claim files carry protected health information, and
a benchmark needs 50,000 claims in any delimiter and line-break layout. Every name, address, member id
and NPI written here is made up; the only real things are code *formats* (CPT, ICD-10-CM).

Why it streams: the benchmark writes files far larger than one needs to hold, and a generator that
holds the whole interchange would hide memory regressions in the code it is used to measure. Counts
that X12 puts in trailers (SE01, GE01, IEA01) are known only once a transaction or group ends, so they
are tracked while writing instead of being computed from a finished text.

Why it refuses some inputs instead of writing them: the files must always pass pyx12's 005010X222A1
validation, so a spec that would make an invalid file (a fifth modifier, a pointer to a diagnosis the
claim does not have, a delimiter inside a value) fails loudly here rather than later in a test that
expected a clean input.
"""

from __future__ import annotations

import argparse
import codecs
import io
import random
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import chain
from typing import BinaryIO

from edi837.x12.envelope import Delimiters

__all__ = [
    "DEFAULT_DELIMITERS",
    "LINE_BREAKS",
    "AdjudicationSpec",
    "ClaimSpec",
    "LineSpec",
    "OtherPayerSpec",
    "ProviderSpec",
    "build_837",
    "main",
    "random_claims",
    "write_837",
]

DEFAULT_DELIMITERS = Delimiters(element=b"*", component=b":", repetition=b"^", segment=b"~")

# The layouts seen in real files: none, LF, CRLF, CR, and files whose
# breaks differ from segment to segment.
LINE_BREAKS = ("", "\n", "\r\n", "\r")
MIXED = "mixed"
_CLI_BREAKS = {"none": "", "lf": "\n", "crlf": "\r\n", "cr": "\r", "mixed": MIXED}

_BOM = b"\xef\xbb\xbf"
# A fixed creation stamp, so that a seed alone determines the bytes (tests compare files).
_CREATED = datetime(2026, 3, 9, 12, 0)
_SENDER = "EXAMPLESUBMIT"
_RECEIVER = "EXAMPLERECV"
_CHIRO_TAXONOMY = "111N00000X"
# Characters the generator's own filler uses (names, addresses, RD8 date ranges): a delimiter among
# them would split a value.
_FILLER_CHARS = frozenset(" -.")
# Text is handed to fp in batches of about this many characters: few write calls, bounded memory.
_FLUSH_CHARS = 1 << 18

_AMOUNT = re.compile(r"\d{1,15}(\.\d{1,2})?")
_QUANTITY = re.compile(r"\d{1,12}(\.\d{1,2})?")


def _npi(base9: str) -> str:
    """Append the NPI check digit (Luhn over the 80840 prefix) so ids look like real NPIs."""
    digits = [int(d) for d in "80840" + base9]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return base9 + str((10 - total % 10) % 10)


_BILLING_NPI = _npi("123456789")  # 1234567893, the CMS documentation example
_RENDERING_NPIS = tuple(_npi(f"1{n:08d}") for n in (100001, 200002, 300003, 400004))


# NM101 entity codes of the provider loops a spec may ask for (2310x at claim level, 2420x in a line).
PROVIDER_ENTITIES = {"referring": "DN", "rendering": "82", "facility": "77", "supervising": "DQ",
                     "ordering": "DK", "purchased": "QB"}
_CLAIM_ROLES = ("referring", "rendering", "facility", "supervising")


@dataclass(frozen=True)
class ProviderSpec:
    """A provider loop: 2310A/B/C/D in a claim, 2420A-F in a line, written in the order given."""

    role: str  # referring, rendering, facility, supervising; in a line also ordering, purchased
    npi: str  # "" writes the NM1 without NM108/NM109 (a provider with no NPI on the claim)
    taxonomy: str | None = None  # PRV*PE after a rendering provider

    def __post_init__(self) -> None:
        if self.role not in PROVIDER_ENTITIES:
            raise ValueError(f"provider role {self.role!r}: one of {', '.join(PROVIDER_ENTITIES)}")
        if self.npi and not _is_npi_shaped(self.npi):
            raise ValueError(f"provider npi {self.npi!r}: 10 digits, or empty")
        if self.taxonomy is not None and (self.role != "rendering" or len(self.taxonomy) != 10
                                          or not _is_code(self.taxonomy)):
            raise ValueError(f"taxonomy {self.taxonomy!r}: 10 letters or digits, on a rendering provider only")


@dataclass(frozen=True)
class OtherPayerSpec:
    """A 2320/2330A/2330B other-payer loop; `paid` (AMT*D) when that payer has adjudicated the claim."""

    payer_id: str
    responsibility: str = "P"  # SBR01 of the other payer
    claim_filing: str = "CI"
    paid: str | None = None
    adjustment: str | None = None  # a 2320 CAS (claim-level adjustment, patient responsibility)
    adjudicated: date | None = None  # a 2330B DTP*573 (the date the payer adjudicated the claim)

    def __post_init__(self) -> None:
        if not 2 <= len(self.payer_id) <= 80 or not _is_code(self.payer_id):
            raise ValueError(f"other payer id {self.payer_id!r}: letters and digits")
        if self.responsibility not in ("P", "S", "T", "A", "B", "C", "D", "E", "F", "G", "H", "U"):
            raise ValueError(f"responsibility {self.responsibility!r}: an SBR01 payer responsibility code")
        if any(a is not None and not _AMOUNT.fullmatch(a) for a in (self.paid, self.adjustment)):
            raise ValueError(f"paid {self.paid!r} / adjustment {self.adjustment!r}: amounts")


@dataclass(frozen=True)
class AdjudicationSpec:
    """A 2430 line adjudication (SVD, CAS, DTP*573): what a prior payer did with the line."""

    payer_id: str
    paid: str
    units: str = "1"
    adjustment: str | None = None  # CAS*CO*45 amount (charge minus paid, usually)
    adjudicated: date = date(2026, 3, 20)

    def __post_init__(self) -> None:
        if not _AMOUNT.fullmatch(self.paid) or (self.adjustment is not None and not _AMOUNT.fullmatch(self.adjustment)):
            raise ValueError("adjudication amounts must be amounts")
        if not _QUANTITY.fullmatch(self.units):
            raise ValueError(f"adjudication units {self.units!r}")


@dataclass(frozen=True)
class LineSpec:
    """One service line (2400). Text fields are written verbatim, so tests control the exact bytes."""

    procedure: str
    charge: str
    units: str = "1"
    basis: str = "UN"
    modifiers: tuple[str, ...] = ()
    pointers: tuple[int, ...] = (1,)
    service_date: date = date(2026, 3, 2)
    service_date_end: date | None = None
    rendering_npi: str | None = None
    providers: tuple[ProviderSpec, ...] = ()  # 2420x loops, after rendering_npi's 2420A if both
    adjudications: tuple[AdjudicationSpec, ...] = ()
    description: str | None = None  # SV101-7

    def __post_init__(self) -> None:
        # Each check stands for something pyx12 or the 005010X222A1 guide would reject, so that a bad
        # spec fails here, naming the field, instead of as a validation error in some later test.
        if not _is_code(self.procedure) or len(self.procedure) > 48:
            raise ValueError(f"procedure {self.procedure!r}: letters and digits only, 1-48 characters")
        if not _AMOUNT.fullmatch(self.charge):
            raise ValueError(f"charge {self.charge!r}: a non-negative amount with at most 2 decimals")
        if not _QUANTITY.fullmatch(self.units):
            raise ValueError(f"units {self.units!r}: a non-negative quantity with at most 2 decimals")
        if self.basis not in ("UN", "MJ"):
            raise ValueError(f"basis {self.basis!r}: SV103 must be UN or MJ")
        # An empty slot before a filled one (HC:97140::GP) is allowed: practice systems write it.
        if len(self.modifiers) > 4 or any(m and (len(m) != 2 or not _is_code(m)) for m in self.modifiers) or (
                self.modifiers and not self.modifiers[-1]):
            raise ValueError(f"modifiers {self.modifiers!r}: at most 4, each 2 letters or digits (empty between)")
        if self.description is not None and not (1 <= len(self.description) <= 80 and _is_plain(self.description)):
            raise ValueError(f"description {self.description!r}: 1-80 printable characters")
        if not 1 <= len(self.pointers) <= 4 or any(not 1 <= p <= 12 for p in self.pointers):
            raise ValueError(f"pointers {self.pointers!r}: 1 to 4 diagnosis pointers, each 1-12")
        if self.service_date_end is not None and self.service_date_end < self.service_date:
            raise ValueError("service_date_end is before service_date")
        if self.rendering_npi is not None and not _is_npi_shaped(self.rendering_npi):
            raise ValueError(f"rendering_npi {self.rendering_npi!r}: 10 digits")


@dataclass(frozen=True)
class ClaimSpec:
    """One claim (2300) with its subscriber and, optionally, a patient who is not the subscriber."""

    claim_id: str
    diagnoses: tuple[str, ...]
    lines: tuple[LineSpec, ...]
    payer_id: str = "SX123"
    payer_name: str = "EXAMPLE HEALTH"
    claim_filing: str = "CI"
    patient_loop: bool = False
    rendering_npi: str | None = None
    total_charge: str | None = None
    place_of_service: str = "11"
    frequency: str = "1"  # CLM05-3: 1 original, 7 replacement, 8 void
    original_reference: str | None = None  # REF*F8, the payer's claim number of the claim replaced or voided
    providers: tuple[ProviderSpec, ...] = ()  # 2310x loops in this order, after rendering_npi's 2310B
    responsibility: str = "P"  # SBR01 of the claim's own payer: P primary, S secondary, T tertiary
    other_payers: tuple[OtherPayerSpec, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= len(self.claim_id) <= 38 or not _is_plain(self.claim_id):
            raise ValueError(f"claim_id {self.claim_id!r}: 1-38 printable ASCII characters")
        if not 1 <= len(self.diagnoses) <= 12:
            raise ValueError(f"claim {self.claim_id}: 1 to 12 diagnoses, got {len(self.diagnoses)}")
        if any(not _is_code(d) or not 3 <= len(d) <= 7 for d in self.diagnoses):
            raise ValueError(f"claim {self.claim_id}: diagnoses are ICD-10-CM codes without the dot")
        if not 1 <= len(self.lines) <= 50:
            raise ValueError(f"claim {self.claim_id}: 1 to 50 service lines, got {len(self.lines)}")
        for number, line in enumerate(self.lines, 1):
            if max(line.pointers) > len(self.diagnoses):
                raise ValueError(f"claim {self.claim_id} line {number}: pointer beyond the claim's "
                                 f"{len(self.diagnoses)} diagnoses")
        if self.total_charge is not None and not _AMOUNT.fullmatch(self.total_charge):
            raise ValueError(f"claim {self.claim_id}: total_charge {self.total_charge!r} is not an amount")
        if not 2 <= len(self.payer_id) <= 80 or not _is_plain(self.payer_id):
            raise ValueError(f"claim {self.claim_id}: payer_id {self.payer_id!r}")
        if not 1 <= len(self.payer_name) <= 60 or not _is_plain(self.payer_name):
            raise ValueError(f"claim {self.claim_id}: payer_name {self.payer_name!r}")
        if not (len(self.claim_filing) == 2 and _is_code(self.claim_filing)):
            raise ValueError(f"claim {self.claim_id}: claim_filing {self.claim_filing!r}")
        if not (len(self.place_of_service) == 2 and self.place_of_service.isascii()
                and self.place_of_service.isdigit()):
            raise ValueError(f"claim {self.claim_id}: place_of_service {self.place_of_service!r}")
        if self.rendering_npi is not None and not _is_npi_shaped(self.rendering_npi):
            raise ValueError(f"claim {self.claim_id}: rendering_npi {self.rendering_npi!r}: 10 digits")
        if len(self.frequency) != 1 or not _is_code(self.frequency):
            raise ValueError(f"claim {self.claim_id}: frequency {self.frequency!r}: one letter or digit")
        if self.original_reference is not None and not (1 <= len(self.original_reference) <= 50
                                                        and _is_code(self.original_reference)):
            raise ValueError(f"claim {self.claim_id}: original_reference {self.original_reference!r}")
        if any(p.role not in _CLAIM_ROLES for p in self.providers):
            raise ValueError(f"claim {self.claim_id}: claim-level providers are {', '.join(_CLAIM_ROLES)}")

    def default_total(self) -> str:
        """CLM02 as the lines imply it: balanced, and in the same style as the line charges."""
        total = sum((Decimal(line.charge) for line in self.lines), Decimal(0))
        if any("." in line.charge for line in self.lines):
            return f"{total:.2f}"
        return str(total)


def _is_code(text: str) -> bool:
    # str.isalnum alone accepts non-ASCII letters and digits, which X12 data may not carry.
    return text.isascii() and text.isalnum()


def _is_plain(text: str) -> bool:
    # Leading/trailing blanks are dropped by some readers and pyx12 flags a leading space.
    return text.isascii() and text.isprintable() and text == text.strip()


def _is_npi_shaped(text: str) -> bool:
    return len(text) == 10 and text.isascii() and text.isdigit()


# --- synthetic people ------------------------------------------------------------------------------

# Obviously fake names; the generator never writes a real person.
_SUBSCRIBERS = (
    ("DOE", "JANE", "F"), ("DOE", "JOHN", "M"), ("ROE", "RICHARD", "M"), ("ROE", "MARY", "F"),
    ("PUBLIC", "JOHN", "M"), ("SAMPLE", "SAM", "M"), ("TESTER", "TINA", "F"), ("EXAMPLE", "ERIN", "F"),
    ("PLACEHOLDER", "PAT", "F"), ("MOCK", "MICHAEL", "M"), ("DUMMY", "DANA", "F"), ("FAKE", "FRANK", "M"),
)
_DEPENDENTS = (("JIMMY", "M"), ("JILL", "F"), ("BABY", "F"), ("JUNIOR", "M"), ("KIDDO", "M"), ("TEENA", "F"))
_STREETS = ("EXAMPLE ST", "SAMPLE AVE", "TEST RD", "MAIN ST", "NOWHERE LN")
_CITIES = (("ANYTOWN", "PA"), ("SOMEWHERE", "OH"), ("FAKEVILLE", "NY"), ("TESTBURG", "MD"))
_RENDERING_NAMES = (("ADJUSTER", "ALEX"), ("THERAPIST", "TERRY"), ("CLINICIAN", "CASEY"), ("HEALER", "HAL"))


@dataclass(frozen=True, slots=True)
class _Person:
    last: str
    first: str
    sex: str
    birth: str
    street: str
    city: str
    state: str
    postal: str
    member_id: str


def _person(rng: random.Random, last: str, first: str, sex: str, born_from: int, born_to: int) -> _Person:
    # One draw per person, cut into fields: the writer makes a person per claim, and separate draws
    # for each field cost more than the rest of the claim's text.
    bits = rng.getrandbits(96)
    bits, days = divmod(bits, (born_to - born_from) * 365)
    bits, house = divmod(bits, 9999)
    bits, street = divmod(bits, len(_STREETS))
    bits, city = divmod(bits, len(_CITIES))
    bits, postal = divmod(bits, 90000)
    member = bits % 1_000_000_000
    birth = date(born_from, 1, 1) + timedelta(days=days)
    city_name, state = _CITIES[city]
    return _Person(last, first, sex, f"{birth:%Y%m%d}", f"{house + 1} {_STREETS[street]}", city_name, state,
                   str(10000 + postal), f"MBR{member:09d}")


# --- writing ---------------------------------------------------------------------------------------


class _Out:
    """Segment sink: appends terminators and breaks, counts segments, writes in bounded batches."""

    def __init__(self, fp: BinaryIO, delimiters: Delimiters, line_break: str, seed: int) -> None:
        self._fp = fp
        self._term = delimiters.segment.decode("latin-1")
        self._tail = self._term + ("" if line_break == MIXED else line_break)
        self._breaks = random.Random(seed) if line_break == MIXED else None
        self._parts: list[str] = []
        self._size = 0
        self.count = 0

    def add(self, segments: Sequence[str]) -> None:
        if self._breaks is None:
            text = self._tail.join(segments) + self._tail
        else:
            choice = self._breaks.choice
            term = self._term
            text = "".join([f"{seg}{term}{choice(LINE_BREAKS)}" for seg in segments])
        self._parts.append(text)
        self._size += len(text)
        self.count += len(segments)
        if self._size >= _FLUSH_CHARS:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            self._fp.write("".join(self._parts).encode("latin-1"))
            self._parts = []
            self._size = 0


class _Transaction:
    """Writes one ST..SE: the header loops once, then claims; keeps the HL counter and SE01."""

    def __init__(self, out: _Out, fmt: _Format, number: int, interchange_control: int,
                 people: random.Random) -> None:
        self.out = out
        self.fmt = fmt
        self.people = people
        self.control = f"{number:04d}"
        self.claims = 0
        self._hl = 1
        self._start = out.count
        s = fmt.seg
        out.add([
            s("ST", "837", self.control, "005010X222A1"),
            s("BHT", "0019", "00", f"{interchange_control}{self.control}", f"{_CREATED:%Y%m%d}",
              f"{_CREATED:%H%M}", "CH"),
            s("NM1", "41", "2", "EXAMPLE BILLING SERVICE", "", "", "", "", "46", "SUBMIT01"),
            s("PER", "IC", "BILLING DESK", "TE", "5555550100"),
            s("NM1", "40", "2", "EXAMPLE CLEARINGHOUSE", "", "", "", "", "46", "RECV01"),
            s("HL", "1", "", "20", "1"),
            s("PRV", "BI", "PXC", _CHIRO_TAXONOMY),
            s("NM1", "85", "2", "EXAMPLE CHIROPRACTIC AND THERAPY", "", "", "", "", "XX", _BILLING_NPI),
            s("N3", "100 EXAMPLE PLAZA"),
            s("N4", "ANYTOWN", "PA", "123450001"),
            s("REF", "EI", "990000001"),
        ])

    def claim(self, spec: ClaimSpec) -> None:
        s, c, rng = self.fmt.seg, self.fmt.comp, self.people
        last, first, sex = rng.choice(_SUBSCRIBERS)
        subscriber = _person(rng, last, first, sex, 1950, 1995)
        self._hl += 1
        subscriber_hl = self._hl
        segs = [
            s("HL", str(subscriber_hl), "1", "22", "1" if spec.patient_loop else "0"),
            # SBR02 "18" (self) only when the subscriber is the patient; the guide says do not send otherwise.
            s("SBR", spec.responsibility, "" if spec.patient_loop else "18", "", "", "", "", "", "",
              spec.claim_filing),
            s("NM1", "IL", "1", subscriber.last, subscriber.first, "", "", "", "MI", subscriber.member_id),
            s("N3", subscriber.street),
            s("N4", subscriber.city, subscriber.state, subscriber.postal),
            s("DMG", "D8", subscriber.birth, subscriber.sex),
            s("NM1", "PR", "2", spec.payer_name, "", "", "", "", "PI", spec.payer_id),
        ]
        if spec.patient_loop:
            first, sex = rng.choice(_DEPENDENTS)
            patient = _person(rng, subscriber.last, first, sex, 2008, 2020)
            self._hl += 1
            segs += [
                s("HL", str(self._hl), str(subscriber_hl), "23", "0"),
                s("PAT", "19"),
                s("NM1", "QC", "1", patient.last, patient.first),
                s("N3", patient.street),
                s("N4", patient.city, patient.state, patient.postal),
                s("DMG", "D8", patient.birth, patient.sex),
            ]
        total = spec.total_charge if spec.total_charge is not None else spec.default_total()
        segs.append(s("CLM", spec.claim_id, total, "", "", c(spec.place_of_service, "B", spec.frequency),
                      "Y", "A", "Y", "Y"))
        if spec.original_reference is not None:
            segs.append(s("REF", "F8", spec.original_reference))
        segs.append(s("HI", *[c("ABK" if i == 0 else "ABF", dx) for i, dx in enumerate(spec.diagnoses)]))
        if spec.rendering_npi is not None:
            segs += _rendering(s, spec.rendering_npi)
            segs.append(s("PRV", "PE", "PXC", _CHIRO_TAXONOMY))
        for provider in spec.providers:
            segs += _provider(s, provider)
        for other in spec.other_payers:
            segs += [s("SBR", other.responsibility, "18", "", "", "", "", "", "", other.claim_filing)]
            if other.adjustment is not None:
                segs.append(s("CAS", "PR", "1", other.adjustment))
            if other.paid is not None:
                segs.append(s("AMT", "D", other.paid))
            segs += [s("OI", "", "", "Y", "", "", "Y"),
                     s("NM1", "IL", "1", subscriber.last, subscriber.first, "", "", "", "MI", subscriber.member_id),
                     s("NM1", "PR", "2", "OTHER PAYER " + other.payer_id[:20], "", "", "", "", "PI", other.payer_id)]
            if other.adjudicated is not None:
                segs.append(s("DTP", "573", "D8", f"{other.adjudicated:%Y%m%d}"))
        for number, line in enumerate(spec.lines, 1):
            segs.append(s("LX", str(number)))
            procedure = c("HC", line.procedure, *line.modifiers, *([""] * (4 - len(line.modifiers))),
                          line.description) if line.description else c("HC", line.procedure, *line.modifiers)
            segs.append(s("SV1", procedure, line.charge, line.basis, line.units, "", "",
                          c(*[str(p) for p in line.pointers])))
            if line.service_date_end is None:
                segs.append(s("DTP", "472", "D8", f"{line.service_date:%Y%m%d}"))
            else:
                segs.append(s("DTP", "472", "RD8",
                              f"{line.service_date:%Y%m%d}-{line.service_date_end:%Y%m%d}"))
            if line.rendering_npi is not None:
                segs += _rendering(s, line.rendering_npi)
            for provider in line.providers:
                segs += _provider(s, provider)
            for adjudication in line.adjudications:
                segs.append(s("SVD", adjudication.payer_id, adjudication.paid,
                              c("HC", line.procedure, *[m for m in line.modifiers if m]), "", adjudication.units))
                if adjudication.adjustment is not None:
                    segs.append(s("CAS", "CO", "45", adjudication.adjustment))
                segs.append(s("DTP", "573", "D8", f"{adjudication.adjudicated:%Y%m%d}"))
        self.fmt.check(spec)
        self.out.add(segs)
        self.claims += 1

    def close(self) -> None:
        # SE01 counts ST through SE inclusive: the segments written since ST, plus SE itself.
        self.out.add([self.fmt.seg("SE", str(self.out.count - self._start + 1), self.control)])


def _rendering(s: Callable[..., str], npi: str) -> list[str]:
    last, first = _RENDERING_NAMES[int(npi[-2]) % len(_RENDERING_NAMES)]
    return [s("NM1", "82", "1", last, first, "", "", "", "XX", npi)]


def _provider(s: Callable[..., str], provider: ProviderSpec) -> list[str]:
    """One provider loop: NM1 (a person, or an organisation for a facility), PRV*PE, N3/N4 for a facility."""
    entity = PROVIDER_ENTITIES[provider.role]
    if provider.role in ("facility", "purchased"):
        segs = [s("NM1", entity, "2", "EXAMPLE " + provider.role.upper(), "", "", "", "", "XX", provider.npi)
                if provider.npi else s("NM1", entity, "2", "EXAMPLE " + provider.role.upper())]
        if provider.role == "facility":
            segs += [s("N3", "200 EXAMPLE PLAZA"), s("N4", "ANYTOWN", "PA", "123450001")]
        return segs
    last, first = _RENDERING_NAMES[int(provider.npi[-2]) % len(_RENDERING_NAMES)] if provider.npi else ("NONPI", "PAT")
    segs = [s("NM1", entity, "1", last, first, "", "", "", "XX", provider.npi) if provider.npi
            else s("NM1", entity, "1", last, first)]
    if provider.taxonomy is not None:
        segs.append(s("PRV", "PE", "PXC", provider.taxonomy))
    return segs


class _Format:
    """Joins elements and components with the interchange's delimiters; guards values against them."""

    def __init__(self, delimiters: Delimiters) -> None:
        self.element = delimiters.element.decode("latin-1")
        self.component = delimiters.component.decode("latin-1")
        self._all = delimiters.all().decode("latin-1")

    def seg(self, *elements: str) -> str:
        return self.element.join(elements)

    def comp(self, *components: str) -> str:
        return self.component.join(components)

    def check(self, spec: ClaimSpec) -> None:
        # A delimiter inside a value would silently add an element or a segment. Only these three spec
        # fields are free text: the others are held to letters, digits and "." by the specs themselves,
        # and the filler uses letters, digits and " -." (which _check_layout refuses as delimiters).
        text = "".join((spec.claim_id, spec.payer_id, spec.payer_name))
        bad = [d for d in self._all if d in text]
        if bad:
            raise ValueError(f"claim {spec.claim_id!r}: a value contains the delimiter {bad[0]!r}")


def _check_layout(delimiters: Delimiters, line_break: str) -> None:
    """Refuse delimiter/break combinations that would not read back as the segments written."""
    if line_break != MIXED and line_break not in LINE_BREAKS:
        raise ValueError(f"line_break {line_break!r}: one of '', '\\n', '\\r\\n', '\\r' or 'mixed'")
    ds = (delimiters.element, delimiters.component, delimiters.repetition, delimiters.segment)
    if any(len(d) != 1 for d in ds):
        raise ValueError(f"delimiters must be single bytes: {delimiters.describe()}")
    if len(set(ds)) != 4:
        raise ValueError(f"delimiters must be distinct: {delimiters.describe()}")
    for d in ds:
        ch = d.decode("latin-1")
        if ch.isalnum() or ch in _FILLER_CHARS:
            raise ValueError(f"delimiter {ch!r} would occur inside values: {delimiters.describe()}")
        if ch == "\t":
            raise ValueError(f"a tab delimiter is read as white space: {delimiters.describe()}")
    for d in ds[:3]:
        if d in b"\r\n":
            raise ValueError(f"only the segment terminator may be a line break: {delimiters.describe()}")
    isa_data = (("repetition (ISA11)", delimiters.repetition), ("component (ISA16)", delimiters.component))
    for name, d in isa_data:
        if not 0x21 <= d[0] <= 0x7E:
            # These two are also ISA data elements, and pyx12 rejects a control or non-ASCII character
            # there ("contains an invalid control character(<US>)"); element and segment may be any byte.
            raise ValueError(f"the {name} separator must be printable ASCII: {delimiters.describe()}")
    term = delimiters.segment.decode("latin-1")
    breaks = LINE_BREAKS if line_break == MIXED else (line_break,)
    if any(term in b for b in breaks):
        # A CR terminator followed by a CRLF break reads as an empty segment, which ends pyx12's reading.
        raise ValueError(f"segment terminator {term!r} is itself a line break; line_break {line_break!r} "
                         "would put a second one after it")


def write_837(fp: BinaryIO, claims: Iterable[ClaimSpec], *, delimiters: Delimiters = DEFAULT_DELIMITERS,
              line_break: str = "\n", claims_per_transaction: int = 5000, bom: bool = False,
              interchange_control: int = 1, seed: int = 0) -> None:
    """Stream one interchange (one ISA, one GS, as many ST as needed) of the claims into fp.

    Memory is bounded by one batch of text, not by the number of claims. The seed drives the made-up
    people (so the same claims with the same seed give the same bytes) and the "mixed" line breaks.
    """
    _check_layout(delimiters, line_break)
    if claims_per_transaction < 1:
        raise ValueError("claims_per_transaction must be at least 1")
    if not 1 <= interchange_control <= 999_999_999:
        raise ValueError("interchange_control must fit ISA13's 9 digits (1..999999999)")
    remaining = iter(claims)
    first = next(remaining, None)
    if first is None:
        # Checked before the first byte: an 837 without a claim is invalid (2000B is required).
        raise ValueError("an 837P needs at least one claim")

    fmt = _Format(delimiters)
    out = _Out(fp, delimiters, line_break, seed)
    people = random.Random(f"people/{seed}")
    if bom:
        fp.write(_BOM)
    s = fmt.seg
    isa = s("ISA", "00", " " * 10, "00", " " * 10, "ZZ", f"{_SENDER:<15}", "ZZ", f"{_RECEIVER:<15}",
            f"{_CREATED:%y%m%d}", f"{_CREATED:%H%M}", delimiters.repetition.decode("latin-1"), "00501",
            f"{interchange_control:09d}", "0", "T", fmt.component)
    out.add([isa, s("GS", "HC", "SUBMIT01", "RECV01", f"{_CREATED:%Y%m%d}", f"{_CREATED:%H%M}",
                    str(interchange_control), "X", "005010X222A1")])
    transactions = 1
    st = _Transaction(out, fmt, transactions, interchange_control, people)
    for claim in chain((first,), remaining):
        if st.claims == claims_per_transaction:
            st.close()
            transactions += 1
            st = _Transaction(out, fmt, transactions, interchange_control, people)
        st.claim(claim)
    st.close()
    out.add([s("GE", str(transactions), str(interchange_control)),
             s("IEA", "1", f"{interchange_control:09d}")])
    out.flush()


def build_837(claims: Iterable[ClaimSpec], *, delimiters: Delimiters = DEFAULT_DELIMITERS,
              line_break: str = "\n", claims_per_transaction: int = 5000, bom: bool = False,
              interchange_control: int = 1, seed: int = 0) -> bytes:
    """The whole file as bytes, for tests that want it in hand; same output as write_837."""
    buffer = io.BytesIO()
    write_837(buffer, claims, delimiters=delimiters, line_break=line_break,
              claims_per_transaction=claims_per_transaction, bom=bom,
              interchange_control=interchange_control, seed=seed)
    return buffer.getvalue()


# --- random claims ---------------------------------------------------------------------------------

# Usual charges; SV102 is the line total (price x units), as practice-management systems send it.
_PRICES = {
    "98940": Decimal("45"), "98941": Decimal("60"), "98942": Decimal("75"),
    "97140": Decimal("40"), "97530": Decimal("45"), "97110": Decimal("38.50"), "97112": Decimal("42"),
    "97116": Decimal("36"), "97035": Decimal("18.25"), "99213": Decimal("95"),
}
_TIMED = ("97140", "97530", "97110", "97112", "97116", "97035")
_THERAPY = ("97110", "97112", "97116", "97530", "97140", "97035")
# M99.01..M99.07: segmental dysfunction by spinal/extremity region, which is what CMT codes are billed on.
_SEGMENTAL = ("M9901", "M9902", "M9903", "M9904", "M9905", "M9906", "M9907")
_EXTREMITY = ("M25511", "M25561")
_SPINAL = ("M542", "M5450")
_THERAPY_DX = ("M25511", "M25561", "M542", "M5450", "S134XXA", "G4452", "M6281")
_PAYERS = (("SX123", "EXAMPLE HEALTH", "CI"), ("BCX77", "SAMPLE BLUE PLAN", "BL"),
           ("HMO42", "DEMO HMO", "HM"), ("MCR01", "EXAMPLE MEDICARE", "MB"))
_FIRST_DAY = date(2026, 2, 2)


def _money(amount: Decimal, cents: bool) -> str:
    if cents or amount != amount.to_integral_value():
        return f"{amount:.2f}"
    return str(amount.quantize(Decimal(1)))


def random_claims(count: int, *, seed: int = 0, patient_loop_share: float = 0.3,
                  minutes_share: float = 0.0, shapes: bool = False) -> Iterator[ClaimSpec]:
    """Yield `count` plausible chiropractic/therapy claims, the same ones for the same seed.

    The mixes are the ones the fixer's rules are about: CMT with 97140 on an extremity (a distinct
    region) or on the spine (same region), therapy visits with 97140 beside 97530, and timed codes
    billed in minutes (MJ) for the 8-minute rule. It is a generator so that a benchmark of 50,000
    claims never holds them all.

    With `shapes`, each claim is also given the layouts practice systems export (CLAIM-SHAPES): provider
    loops in any subset (2310A-D, 2420A/E/F), frequency codes 1/7/8, secondary claims with the primary's
    2320 AMT*D and 2430 line adjudications, 59/X modifiers already on 97140. The base claims are the same
    as without it (its choices come from a random stream of their own).
    """
    if count < 0:
        raise ValueError("count must not be negative")
    if not 0.0 <= patient_loop_share <= 1.0 or not 0.0 <= minutes_share <= 1.0:
        raise ValueError("shares are fractions between 0 and 1")
    rng = random.Random(seed)
    shape_rng = random.Random(f"shapes/{seed}")
    width = max(8, len(str(count)))
    for number in range(1, count + 1):
        patient_loop = rng.random() < patient_loop_share
        # Medicare Part B has no dependants: its subscriber is always the patient.
        payer_id, payer_name, filing = rng.choice(_PAYERS[:3] if patient_loop else _PAYERS)
        cents = rng.random() < 0.5
        day = _FIRST_DAY + timedelta(days=rng.randrange(54))
        kind = rng.random()
        if kind < 0.45:
            diagnoses, plan = _chiro_visit(rng)
        elif kind < 0.85:
            diagnoses, plan = _therapy_visit(rng)
        else:
            diagnoses, plan = _office_visit(rng)
        lines = []
        for procedure, pointers, modifiers in plan[:6]:
            units, basis, billed = str(rng.randint(1, 4)), "UN", 0
            if procedure in _TIMED:
                billed = int(units)
                if rng.random() < minutes_share:
                    minutes = rng.randint(5, 40)
                    units, basis, billed = str(minutes), "MJ", max(1, (minutes + 7) // 15)
            else:
                units, billed = "1", 1
            lines.append(LineSpec(procedure=procedure, charge=_money(_PRICES[procedure] * billed, cents),
                                  units=units, basis=basis, modifiers=modifiers, pointers=pointers,
                                  service_date=day,
                                  rendering_npi=rng.choice(_RENDERING_NPIS) if rng.random() < 0.05 else None))
        spec = ClaimSpec(
            claim_id=f"C{number:0{width}d}", diagnoses=diagnoses, lines=tuple(lines), payer_id=payer_id,
            payer_name=payer_name, claim_filing=filing, patient_loop=patient_loop,
            rendering_npi=rng.choice(_RENDERING_NPIS) if rng.random() < 0.2 else None,
        )
        yield _with_shapes(spec, shape_rng) if shapes else spec


_Plan = list[tuple[str, tuple[int, ...], tuple[str, ...]]]


def _with_shapes(spec: ClaimSpec, rng: random.Random) -> ClaimSpec:
    """The claim in one of the layouts practice systems export: see random_claims."""
    npis = (*_RENDERING_NPIS, _BILLING_NPI)
    frequency = rng.choices(("1", "7", "8"), (70, 15, 15))[0]
    reference = f"PAYERCLM{rng.randrange(10**6):06d}" if frequency != "1" else None
    providers: list[ProviderSpec] = []
    for role in _CLAIM_ROLES:  # the guide's order: 2310A, B, C, D; any subset
        if rng.random() < 0.4:
            taxonomy = rng.choice((None, _CHIRO_TAXONOMY, "225100000X")) if role == "rendering" else None
            providers.append(ProviderSpec(role, rng.choice(npis), taxonomy))
    secondary = rng.random() < 0.3
    line_level = secondary and rng.random() < 0.7  # else the primary adjudicated the claim as a whole
    lines = []
    for line in spec.lines:
        line_providers: list[ProviderSpec] = []
        if line.rendering_npi is None and rng.random() < 0.2:
            line_providers.append(ProviderSpec("rendering", rng.choice(npis)))
        for role in ("ordering", "referring"):
            if rng.random() < 0.1:
                line_providers.append(ProviderSpec(role, rng.choice(npis)))
        modifiers = line.modifiers
        if line.procedure == "97140" and not modifiers and rng.random() < 0.3:
            modifiers = (rng.choice(("59", "XS", "XE", "XU")),)
        adjudications: tuple[AdjudicationSpec, ...] = ()
        if line_level and line.basis == "UN" and rng.random() < 0.7:
            adjudications = (AdjudicationSpec("PRIM1", line.charge, units=line.units),)
        lines.append(replace(line, modifiers=modifiers, providers=tuple(line_providers), adjudications=adjudications))
    paid = sum((Decimal(a.paid) for x in lines for a in x.adjudications), Decimal(0))
    others = (OtherPayerSpec("PRIM1", paid=f"{paid:.2f}" if line_level else "10"),) if secondary else ()
    return replace(spec, lines=tuple(lines), frequency=frequency, original_reference=reference,
                   providers=tuple(providers) if spec.rendering_npi is None else tuple(
                       p for p in providers if p.role != "rendering"),
                   responsibility="S" if secondary else "P", other_payers=others)


def _chiro_visit(rng: random.Random) -> tuple[tuple[str, ...], _Plan]:
    regions = sorted(rng.sample(_SEGMENTAL, rng.choice((1, 2, 2, 3, 4, 5))))
    cmt = "98940" if len(regions) <= 2 else "98941" if len(regions) <= 4 else "98942"
    diagnoses = list(regions)
    plan: _Plan = [(cmt, tuple(range(1, min(len(regions), 4) + 1)), ())]
    if rng.random() < 0.6:
        # 97140 on an extremity is a distinct region (modifier due); on the spine it is not (review).
        other = rng.choice(_EXTREMITY) if rng.random() < 0.6 else rng.choice(_SPINAL)
        diagnoses.append(other)
        plan.append(("97140", (len(diagnoses),), ()))
    if rng.random() < 0.25:
        plan.append((rng.choice(("97110", "97112", "97530")), (1,), ()))
    if rng.random() < 0.1:
        plan.append(("99213", (1,), ("25",)))
    return tuple(diagnoses), plan


def _therapy_visit(rng: random.Random) -> tuple[tuple[str, ...], _Plan]:
    diagnoses = tuple(rng.sample(_THERAPY_DX, rng.randint(1, 4)))
    codes = rng.sample(_THERAPY, rng.randint(1, 5))
    if "97530" in codes and "97140" not in codes and rng.random() < 0.5:
        codes.append("97140")
    gp = ("GP",) if rng.random() < 0.5 else ()
    plan: _Plan = []
    for code in codes:
        count = rng.randint(1, min(4, len(diagnoses)))
        pointers = tuple(sorted(rng.sample(range(1, len(diagnoses) + 1), count)))
        plan.append((code, pointers, gp))
    return diagnoses, plan


def _office_visit(rng: random.Random) -> tuple[tuple[str, ...], _Plan]:
    diagnoses = tuple(rng.sample(_SPINAL + _EXTREMITY + ("G4452", "S134XXA"), rng.randint(1, 3)))
    plan: _Plan = [("99213", (1,), ())]
    if rng.random() < 0.4:
        plan.append((rng.choice(_THERAPY), (len(diagnoses),), ()))
    return diagnoses, plan


# --- command line ----------------------------------------------------------------------------------


def _delimiters_arg(text: str) -> Delimiters:
    # Escapes let a shell user name control characters: '|>!\x1e'.
    raw = codecs.decode(text, "unicode_escape").encode("latin-1")
    if len(raw) != 4:
        raise argparse.ArgumentTypeError("four characters: element, component, repetition, segment")
    return Delimiters(element=raw[0:1], component=raw[1:2], repetition=raw[2:3], segment=raw[3:4])


def _share_arg(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a fraction between 0 and 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edi837.testing.generator",
                                     description="Write a synthetic, valid 837P (005010X222A1) file.")
    parser.add_argument("--claims", type=int, required=True, help="number of claims")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="output path, or - for stdout")
    parser.add_argument("--line-break", choices=sorted(_CLI_BREAKS), default="lf")
    parser.add_argument("--delimiters", type=_delimiters_arg, default=DEFAULT_DELIMITERS,
                        help="element, component, repetition, segment, e.g. '*:^~' or '|>!\\x1e'")
    parser.add_argument("--patient-share", type=_share_arg, default=0.3)
    parser.add_argument("--minutes-share", type=_share_arg, default=0.0)
    parser.add_argument("--claims-per-transaction", type=int, default=5000)
    parser.add_argument("--interchange-control", type=int, default=1)
    parser.add_argument("--bom", action="store_true", help="start with a UTF-8 byte-order mark")
    args = parser.parse_args(argv)
    if args.claims < 1:
        parser.error("--claims must be at least 1")
    try:
        # Before the output is opened, so a refused layout does not leave an empty file behind.
        _check_layout(args.delimiters, _CLI_BREAKS[args.line_break])
    except ValueError as exc:
        parser.error(str(exc))
    claims = random_claims(args.claims, seed=args.seed, patient_loop_share=args.patient_share,
                           minutes_share=args.minutes_share)

    def write(fp: BinaryIO) -> None:
        write_837(fp, claims, delimiters=args.delimiters, line_break=_CLI_BREAKS[args.line_break],
                  claims_per_transaction=args.claims_per_transaction, bom=args.bom,
                  interchange_control=args.interchange_control, seed=args.seed)

    try:
        if args.out == "-":
            write(sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            with open(args.out, "wb") as fp:
                write(fp)
    except ValueError as exc:
        parser.error(str(exc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
