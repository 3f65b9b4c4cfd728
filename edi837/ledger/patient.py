"""Who a claim is for, as the ledger keeps it: an HMAC-SHA256 under the ledger's key (ledger/secret.py).

The same person gives the same digest in every run, process and machine that uses the ledger's key, so the
ledger can tell a patient's claims apart (and an 835 later be matched to the claim sent), while the ledger
itself holds no member id, name or birth date. What is digested is what model/identity.py reads for the
run's own pairing, normalised the same way (blanks stripped, upper case): the subscriber's member id (2010BA
NM108, NM109) and, when the claim sits under a 2000C patient loop, the patient's name (2010CA NM103-NM105,
NM107) and birth date and gender (DMG02, DMG03). A claim whose subscriber has no member id, or whose 2000C
has no name or birth date, gets no digest.

Read from the bytes the pipeline passes through between claims (the HL loops above each claim), in the
process that writes the ledger: the key never goes to a `--jobs` worker or a Dask worker. A Dask batch's
caller reads its file's loops itself (`keys_of_file`). The fields are fed straight into the HMAC and dropped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import IO

from edi837.model.claim import Claim, space_pattern
from edi837.model.walker import Passthrough, Walker
from edi837.x12.envelope import Delimiters, SegmentStream

DIGEST_HEX = 32  # 128 bits: no two people of any practice's history collide
KNOWN = 4096  # people whose digest a run keeps at hand (a file's claims for one person are mostly close together)


class PatientKeys:
    """Digests under one ledger key. HMAC-SHA256 (RFC 2104) is two SHA-256 passes, over the key padded one way
    then the message, and over the key padded the other way then that inner digest; the two keyed states are
    made once and copied for each digest, which costs half what `hmac`'s own copy does (its wrapper is Python,
    called for every claim; tests/test_ledger_patient.py checks the digests against `hmac`). A person met
    again in the same run is not digested again."""

    def __init__(self, key: bytes) -> None:
        block = hashlib.sha256().block_size
        padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\x00")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in padded))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in padded))
        self._known: dict[bytes, str] = {}

    def digest(self, member: list[bytes], patient: list[bytes] | None) -> str:
        """The digest of a subscriber (member id fields) or, with `patient`, of a dependant of theirs."""
        parts = [b"member", *member] if patient is None else [b"dependant", *member, b"patient", *patient]
        message = b"\x00".join([part.strip().upper() for part in parts])
        found = self._known.get(message)
        if found is None:
            if len(self._known) >= KNOWN:
                self._known.clear()
            inner = self._inner.copy()
            inner.update(message)
            outer = self._outer.copy()
            outer.update(inner.digest())
            found = self._known[message] = outer.hexdigest()[:DIGEST_HEX]
        return found


class Tracker:
    """Follows the 2000B and 2000C loops in the bytes between claims; `current` is the digest of whoever the
    claims that follow are for."""

    def __init__(self, keys: PatientKeys, delimiters: Delimiters) -> None:
        self._keys = keys
        self._element = delimiters.element
        term, ele = re.escape(delimiters.segment), re.escape(delimiters.element)
        # The segments that say who: found by one regular expression (C speed) in bytes that are mostly not them
        # (an NM1 only of the subscriber or the patient: the payer's, the submitter's say nothing of who).
        # The terminator first, a literal the regular expression engine looks for fast; the bytes' first segment
        # apart.
        who = b"NM1(?=" + ele + b"(?:IL|QC)(?:" + ele + b"|" + term + b"|$))"
        segment = space_pattern(delimiters) + b"((?:HL|" + who + b"|DMG)" + ele + b"[^" + term + b"]*)"
        self._wanted = re.compile(term + segment)
        self._first = re.compile(segment)
        self._member: list[bytes] | None = None
        self._in_patient = False  # under a 2000C
        self._name: list[bytes] | None = None
        self._born: list[bytes] | None = None
        self._current: str | None = None
        self._stale = False

    def feed(self, raw: bytes) -> None:
        """Bytes the pipeline passed through (envelope, HL loops): every HL, NM1 and DMG of them is read."""
        ele = self._element
        first = self._first.match(raw)
        if first is not None:
            self._read([*first[1].split(ele), b"", b"", b"", b"", b"", b"", b"", b"", b"", b""])
        for body in self._wanted.findall(raw):
            self._read([*body.split(ele), b"", b"", b"", b"", b"", b"", b"", b"", b"", b""])

    def _read(self, fields: list[bytes]) -> None:
        sid = fields[0]
        if sid == b"HL":
            if fields[3] != b"23":  # 20 billing provider, 22 subscriber: a new person either way
                self._member = None
            self._in_patient = fields[3] == b"23"
            self._name = self._born = None
            self._stale = True
        elif sid == b"NM1" and fields[1] == b"IL" and not self._in_patient and fields[9].strip():
            self._member = fields[8:10]
            self._stale = True
        elif sid == b"NM1" and fields[1] == b"QC" and self._in_patient and self._name is None:
            self._name = [fields[3], fields[4], fields[5], fields[7]]
            self._stale = True
        elif sid == b"DMG" and self._in_patient and self._name is not None and self._born is None:
            self._born = fields[2:4]
            self._stale = True

    @property
    def current(self) -> str | None:
        if self._stale:
            self._stale = False
            if self._member is None or (self._in_patient and (self._name is None or self._born is None)):
                self._current = None
            else:
                patient = [*self._name, *self._born] if self._in_patient and self._name and self._born else None
                self._current = self._keys.digest(self._member, patient)
        return self._current


def keys_of_file(open_input: Callable[[], IO[bytes]], keys: PatientKeys) -> list[str | None]:
    """The digest of each claim of a file, in order: for a caller whose rows were made by workers that do
    not hold the key (a Dask batch's file tasks)."""
    found: list[str | None] = []
    with open_input() as source:
        stream = SegmentStream(source)
        tracker = Tracker(keys, stream.delimiters)
        for unit in Walker(stream):
            if type(unit) is Passthrough:
                tracker.feed(unit.raw)
            elif type(unit) is Claim:
                found.append(tracker.current)
    return found
