"""Synthetic people for the generator: obviously fake names, addresses and member ids, drawn from a seed.

Part of the generator (edi837/testing/generator.py); the generator never writes a real person.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

# --- synthetic people ------------------------------------------------------------------------------

# Obviously fake names; the generator never writes a real person.
SUBSCRIBERS = (
    ("DOE", "JANE", "F"), ("DOE", "JOHN", "M"), ("ROE", "RICHARD", "M"), ("ROE", "MARY", "F"),
    ("PUBLIC", "JOHN", "M"), ("SAMPLE", "SAM", "M"), ("TESTER", "TINA", "F"), ("EXAMPLE", "ERIN", "F"),
    ("PLACEHOLDER", "PAT", "F"), ("MOCK", "MICHAEL", "M"), ("DUMMY", "DANA", "F"), ("FAKE", "FRANK", "M"),
)
DEPENDENTS = (("JIMMY", "M"), ("JILL", "F"), ("BABY", "F"), ("JUNIOR", "M"), ("KIDDO", "M"), ("TEENA", "F"))
_STREETS = ("EXAMPLE ST", "SAMPLE AVE", "TEST RD", "MAIN ST", "NOWHERE LN")
_CITIES = (("ANYTOWN", "PA"), ("SOMEWHERE", "OH"), ("FAKEVILLE", "NY"), ("TESTBURG", "MD"))
RENDERING_NAMES = (("ADJUSTER", "ALEX"), ("THERAPIST", "TERRY"), ("CLINICIAN", "CASEY"), ("HEALER", "HAL"))


@dataclass(frozen=True, slots=True)
class Person:
    last: str
    first: str
    sex: str
    birth: str
    street: str
    city: str
    state: str
    postal: str
    member_id: str


def person(rng: random.Random, last: str, first: str, sex: str, born_from: int, born_to: int) -> Person:
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
    return Person(last, first, sex, f"{birth:%Y%m%d}", f"{house + 1} {_STREETS[street]}", city_name, state,
                   str(10000 + postal), f"MBR{member:09d}")
