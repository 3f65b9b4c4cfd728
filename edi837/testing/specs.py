"""The specs of synthetic claims: what a test asks the generator to write, checked so it stays valid.

Each check stands for something pyx12 or the 005010X222A1 guide would reject, so a bad spec fails here,
naming the field, instead of as a validation error in a later test that expected a clean input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

CHIRO_TAXONOMY = "111N00000X"
AMOUNT = re.compile(r"\d{1,15}(\.\d{1,2})?")
QUANTITY = re.compile(r"\d{1,12}(\.\d{1,2})?")


def npi(base9: str) -> str:
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


BILLING_NPI = npi("123456789")  # 1234567893, the CMS documentation example
RENDERING_NPIS = tuple(npi(f"1{n:08d}") for n in (100001, 200002, 300003, 400004))


# NM101 entity codes of the provider loops a spec may ask for (2310x at claim level, 2420x in a line).
PROVIDER_ENTITIES = {"referring": "DN", "rendering": "82", "facility": "77", "supervising": "DQ",
                     "ordering": "DK", "purchased": "QB"}
CLAIM_ROLES = ("referring", "rendering", "facility", "supervising")


@dataclass(frozen=True)
class ProviderSpec:
    """A provider loop: 2310A/B/C/D in a claim, 2420A-F in a line, written in the order given."""

    role: str  # referring, rendering, facility, supervising; in a line also ordering, purchased
    npi: str  # "" writes the NM1 without NM108/NM109 (a provider with no NPI on the claim)
    taxonomy: str | None = None  # PRV*PE after a rendering provider

    def __post_init__(self) -> None:
        if self.role not in PROVIDER_ENTITIES:
            raise ValueError(f"provider role {self.role!r}: one of {', '.join(PROVIDER_ENTITIES)}")
        if self.npi and not is_npi_shaped(self.npi):
            raise ValueError(f"provider npi {self.npi!r}: 10 digits, or empty")
        if self.taxonomy is not None and (self.role != "rendering" or len(self.taxonomy) != 10
                                          or not is_code(self.taxonomy)):
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
        if not 2 <= len(self.payer_id) <= 80 or not is_code(self.payer_id):
            raise ValueError(f"other payer id {self.payer_id!r}: letters and digits")
        if self.responsibility not in ("P", "S", "T", "A", "B", "C", "D", "E", "F", "G", "H", "U"):
            raise ValueError(f"responsibility {self.responsibility!r}: an SBR01 payer responsibility code")
        if any(a is not None and not AMOUNT.fullmatch(a) for a in (self.paid, self.adjustment)):
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
        if not AMOUNT.fullmatch(self.paid) or (self.adjustment is not None and not AMOUNT.fullmatch(self.adjustment)):
            raise ValueError("adjudication amounts must be amounts")
        if not QUANTITY.fullmatch(self.units):
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
    place_of_service: str | None = None  # SV105, when the line's differs from the claim's CLM05-1
    control: str | None = None  # REF*6R, the line item control number an 835 echoes

    def __post_init__(self) -> None:
        # Each check stands for something pyx12 or the 005010X222A1 guide would reject, so that a bad
        # spec fails here, naming the field, instead of as a validation error in some later test.
        if not is_code(self.procedure) or len(self.procedure) > 48:
            raise ValueError(f"procedure {self.procedure!r}: letters and digits only, 1-48 characters")
        if not AMOUNT.fullmatch(self.charge):
            raise ValueError(f"charge {self.charge!r}: a non-negative amount with at most 2 decimals")
        if not QUANTITY.fullmatch(self.units):
            raise ValueError(f"units {self.units!r}: a non-negative quantity with at most 2 decimals")
        if self.basis not in ("UN", "MJ"):
            raise ValueError(f"basis {self.basis!r}: SV103 must be UN or MJ")
        # An empty slot before a filled one (HC:97140::GP) is allowed: practice systems write it.
        if len(self.modifiers) > 4 or any(m and (len(m) != 2 or not is_code(m)) for m in self.modifiers) or (
                self.modifiers and not self.modifiers[-1]):
            raise ValueError(f"modifiers {self.modifiers!r}: at most 4, each 2 letters or digits (empty between)")
        if self.description is not None and not (1 <= len(self.description) <= 80 and is_plain(self.description)):
            raise ValueError(f"description {self.description!r}: 1-80 printable characters")
        if not 1 <= len(self.pointers) <= 4 or any(not 1 <= p <= 12 for p in self.pointers):
            raise ValueError(f"pointers {self.pointers!r}: 1 to 4 diagnosis pointers, each 1-12")
        if self.service_date_end is not None and self.service_date_end < self.service_date:
            raise ValueError("service_date_end is before service_date")
        if self.rendering_npi is not None and not is_npi_shaped(self.rendering_npi):
            raise ValueError(f"rendering_npi {self.rendering_npi!r}: 10 digits")
        if self.place_of_service is not None and not (len(self.place_of_service) == 2
                                                      and self.place_of_service.isascii()
                                                      and self.place_of_service.isdigit()):
            raise ValueError(f"place_of_service {self.place_of_service!r}: 2 digits")


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
    initial_treatment: date | None = None  # 2300 DTP*454, the day the course of treatment began (Medicare CMT)
    providers: tuple[ProviderSpec, ...] = ()  # 2310x loops in this order, after rendering_npi's 2310B
    responsibility: str = "P"  # SBR01 of the claim's own payer: P primary, S secondary, T tertiary
    other_payers: tuple[OtherPayerSpec, ...] = ()
    # Loop sharing, for files shaped like a billing service's: a claim whose `subscriber` key is the one of
    # the claim before it (same transaction and billing provider) goes under the same 2000B loop (its own
    # 2000C when `patient_loop`); a `billing_provider` NPI other than the claim before it opens a new 2000A
    # loop. Empty keys keep the plain layout: one 2000B per claim, the one billing provider.
    subscriber: str = ""
    billing_provider: str = ""
    # The made-up person a claim is for, by key: claims with the same key carry the same subscriber (member id,
    # name, birth date) and, with `patient_loop`, the same dependant, wherever they are in the file (another
    # 2000B, transaction or interchange). Empty: a person of the file's own random draw.
    person: str = ""

    def __post_init__(self) -> None:
        if not 1 <= len(self.claim_id) <= 38 or not is_plain(self.claim_id):
            raise ValueError(f"claim_id {self.claim_id!r}: 1-38 printable ASCII characters")
        if not 1 <= len(self.diagnoses) <= 12:
            raise ValueError(f"claim {self.claim_id}: 1 to 12 diagnoses, got {len(self.diagnoses)}")
        if any(not is_code(d) or not 3 <= len(d) <= 7 for d in self.diagnoses):
            raise ValueError(f"claim {self.claim_id}: diagnoses are ICD-10-CM codes without the dot")
        if not 1 <= len(self.lines) <= 50:
            raise ValueError(f"claim {self.claim_id}: 1 to 50 service lines, got {len(self.lines)}")
        for number, line in enumerate(self.lines, 1):
            if max(line.pointers) > len(self.diagnoses):
                raise ValueError(f"claim {self.claim_id} line {number}: pointer beyond the claim's "
                                 f"{len(self.diagnoses)} diagnoses")
        if self.total_charge is not None and not AMOUNT.fullmatch(self.total_charge):
            raise ValueError(f"claim {self.claim_id}: total_charge {self.total_charge!r} is not an amount")
        if not 2 <= len(self.payer_id) <= 80 or not is_plain(self.payer_id):
            raise ValueError(f"claim {self.claim_id}: payer_id {self.payer_id!r}")
        if not 1 <= len(self.payer_name) <= 60 or not is_plain(self.payer_name):
            raise ValueError(f"claim {self.claim_id}: payer_name {self.payer_name!r}")
        if not (len(self.claim_filing) == 2 and is_code(self.claim_filing)):
            raise ValueError(f"claim {self.claim_id}: claim_filing {self.claim_filing!r}")
        if not (len(self.place_of_service) == 2 and self.place_of_service.isascii()
                and self.place_of_service.isdigit()):
            raise ValueError(f"claim {self.claim_id}: place_of_service {self.place_of_service!r}")
        if self.rendering_npi is not None and not is_npi_shaped(self.rendering_npi):
            raise ValueError(f"claim {self.claim_id}: rendering_npi {self.rendering_npi!r}: 10 digits")
        if len(self.frequency) != 1 or not is_code(self.frequency):
            raise ValueError(f"claim {self.claim_id}: frequency {self.frequency!r}: one letter or digit")
        if self.original_reference is not None and not (1 <= len(self.original_reference) <= 50
                                                        and is_code(self.original_reference)):
            raise ValueError(f"claim {self.claim_id}: original_reference {self.original_reference!r}")
        if self.billing_provider and not is_npi_shaped(self.billing_provider):
            raise ValueError(f"claim {self.claim_id}: billing_provider {self.billing_provider!r}: 10 digits")
        if self.person and not is_code(self.person):
            raise ValueError(f"claim {self.claim_id}: person key {self.person!r}: letters and digits")
        if self.subscriber and not is_code(self.subscriber):
            raise ValueError(f"claim {self.claim_id}: subscriber key {self.subscriber!r}: letters and digits")
        if any(p.role not in CLAIM_ROLES for p in self.providers):
            raise ValueError(f"claim {self.claim_id}: claim-level providers are {', '.join(CLAIM_ROLES)}")

    def default_total(self) -> str:
        """CLM02 as the lines imply it: balanced, and in the same style as the line charges."""
        total = sum((Decimal(line.charge) for line in self.lines), Decimal(0))
        if any("." in line.charge for line in self.lines):
            return f"{total:.2f}"
        return str(total)


def is_code(text: str) -> bool:
    # str.isalnum alone accepts non-ASCII letters and digits, which X12 data may not carry.
    return text.isascii() and text.isalnum()


def is_plain(text: str) -> bool:
    # Leading/trailing blanks are dropped by some readers and pyx12 flags a leading space.
    return text.isascii() and text.isprintable() and text == text.strip()


def is_npi_shaped(text: str) -> bool:
    return len(text) == 10 and text.isascii() and text.isdigit()
