"""The loops above a claim: the transaction it sits in, its billing provider (2000A) and subscriber (2000B).

They are kept as raw bytes while the walker reads on and parsed on first use: most claims are never
asked who their payer is. The subscriber's own name and member id are never read.
"""

from __future__ import annotations

from dataclasses import dataclass

from edi837.model.fields import field
from edi837.model.identity import keyed_digest
from edi837.model.lines import Provider
from edi837.x12.envelope import WHITESPACE, Delimiters

SUPPORTED_VERSION = "005010X222A1"


@dataclass(slots=True)
class Transaction:
    """One ST..SE transaction set, with the envelope it sits in. The control numbers are None when they are
    not digits of their element's length: only such values go to the change log and the report."""

    interchange_control: str | None
    group_control: str | None
    control_number: str | None
    ordinal: int  # 1-based number of the ST in the file


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
        # The properties test `_parts` before calling this: they are read some 170k times on a 20,000-claim
        # file, and a call that returns at once cost more than the test.
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

    __slots__ = ("_npi", "_provider", "_taxonomy")
    wanted = (b"NM1", b"PRV")

    def __init__(self, delims: Delimiters) -> None:
        super().__init__(delims)
        self._npi = self._taxonomy = ""
        self._provider: Provider | None = None

    @property
    def provider(self) -> Provider:
        """The billing provider as the performer of a line that names no other (loop 2010AA): made once and
        shared by the claims under it (a Provider is immutable), not once per line a rule asks about."""
        if self._provider is None:
            self._provider = Provider("2010AA", "billing", self.npi, self.taxonomy)
        return self._provider

    def _read(self, fields: list[bytes]) -> None:
        if fields[0] == b"NM1" and len(fields) > 1 and fields[1] == b"85":
            self._npi = field(fields, 9)
        elif fields[0] == b"PRV" and len(fields) > 1 and fields[1] == b"BI":
            self._taxonomy = field(fields, 3)

    @property
    def npi(self) -> str:
        if self._parts is not None:
            self._parse()
        return self._npi

    @property
    def taxonomy(self) -> str:
        if self._parts is not None:
            self._parse()
        return self._taxonomy


class Subscriber(_LazyLoop):
    """2000B: claim filing indicator (SBR09) and the payer (2010BB NM103/NM109).

    The subscriber's own name is never read; the member id (2010BA NM108/NM109) only into a keyed digest
    (model/identity.py), which tells two claims of one member apart from others and nothing more.
    """

    __slots__ = ("_claim_filing", "_identify", "_member", "_payer_id", "_payer_name", "_responsibility")
    wanted = (b"SBR", b"NM1")

    def __init__(self, delims: Delimiters, identify: bool = False) -> None:
        super().__init__(delims)
        self._claim_filing = self._payer_id = self._payer_name = self._responsibility = ""
        self._identify = identify  # digest the member id (only the pass that pairs claims asks: engine/partners.py)
        self._member: bytes | None = None

    def _read(self, fields: list[bytes]) -> None:
        if fields[0] == b"SBR":
            self._responsibility = field(fields, 1)
            self._claim_filing = field(fields, 9)
        elif fields[0] == b"NM1" and len(fields) > 1 and fields[1] == b"PR":
            self._payer_name = field(fields, 3)
            self._payer_id = field(fields, 9)
        elif self._identify and fields[0] == b"NM1" and len(fields) > 9 and fields[1] == b"IL" and fields[9].strip():
            self._member = keyed_digest(b"member", fields[8:10])

    @property
    def member(self) -> bytes | None:
        """The keyed digest of the subscriber's member id (None when the 2010BA carries none, or when the loop
        was not read to identify it)."""
        if self._parts is not None:
            self._parse()
        return self._member

    @property
    def claim_filing(self) -> str:
        if self._parts is not None:
            self._parse()
        return self._claim_filing

    @property
    def payer_id(self) -> str:
        if self._parts is not None:
            self._parse()
        return self._payer_id

    @property
    def responsibility(self) -> str:
        """SBR01: P when the claim goes to the primary payer; S, T, A-H to a later one (a COB claim)."""
        if self._parts is not None:
            self._parse()
        return self._responsibility

    @property
    def payer_name(self) -> str:
        if self._parts is not None:
            self._parse()
        return self._payer_name


class Patient(_LazyLoop):
    """2000C: the patient when it is not the subscriber, read only into a keyed digest of its 2010CA name
    (NM103-NM105, NM107) and birth date and gender (DMG02-DMG03): the 837P gives a dependant no member id of
    its own, so this is what tells two dependants of one member apart. Nothing else of the loop is kept."""

    __slots__ = ("_identity",)
    wanted = (b"NM1", b"DMG")

    def __init__(self, delims: Delimiters) -> None:
        super().__init__(delims)
        self._identity: bytes | None = None

    def _parse(self) -> None:
        if self._parts is None:
            return
        name: list[bytes] = []
        born: list[bytes] = []
        ele = self._delims.element
        for piece in b"".join(self._parts).split(self._delims.segment):
            fields = [*piece.lstrip(WHITESPACE).split(ele), *[b""] * 8]  # trailing empty elements are optional
            if fields[0] == b"NM1" and fields[1] == b"QC" and not name:
                name = [fields[3], fields[4], fields[5], fields[7]]
            elif fields[0] == b"DMG" and not born:
                born = [fields[2], fields[3]]
        self._identity = keyed_digest(b"patient", [*name, *born]) if name and born else None
        self._parts = None

    @property
    def identity(self) -> bytes | None:
        """The keyed digest of who the patient is (None when the loop names no one with a birth date)."""
        if self._parts is not None:
            self._parse()
        return self._identity
