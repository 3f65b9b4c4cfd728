"""The claim (2300) and its lines, parsed on first use: the object rules read.

A claim is carried as its raw bytes from CLM to its last segment. Cheap questions (which procedure codes
does it bill?) are answered by a regular expression on those bytes; its segments, diagnoses, provider
loops, other payers and service lines are parsed only when a rule asks. Patient data is never parsed
into it: names, birth dates, member ids and addresses stay inside the raw bytes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache

from edi837.model.fields import decimal, field
from edi837.model.header import BillingProvider, Patient, Subscriber, Transaction
from edi837.model.lines import (
    HCPCS,
    Diagnosis,
    OtherPayer,
    Provider,
    ServiceLine,
    procedure_key,
    taxonomy_of,
)
from edi837.model.loops import read_loops
from edi837.x12.envelope import WHITESPACE, Delimiters, split_lead


def space_pattern(delims: Delimiters) -> bytes:
    """A regex for the white space that may precede a segment (never the terminator itself)."""
    return b"[" + re.escape(bytes(c for c in WHITESPACE if bytes([c]) != delims.segment)) + b"]*"


@cache
def _line_patterns(delims: Delimiters) -> tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]:
    """(SV101-1 and SV101-2 of every SV1, SV104 of every SV1 billed in UN, all three of every SV1 billed in
    UN), for the delimiters of one interchange."""
    term, ele, comp = (re.escape(d) for d in (delims.segment, delims.element, delims.component))
    space = space_pattern(delims)
    value = b"[^" + ele + comp + term + b"]*"
    element = b"[^" + ele + term + b"]*"
    procedure = re.compile(term + space + b"SV1" + ele + b"(" + value + b")" + comp + b"(" + value + b")")
    units = re.compile(term + space + b"SV1" + ele + element + ele + element + ele + b"UN" + ele
                       + b"(" + element + b")")
    coded = re.compile(term + space + b"SV1" + ele + b"(" + value + b")" + comp + b"(" + value + b")" + element + ele
                       + element
                       + ele + b"UN" + ele + b"(" + element + b")")
    return procedure, units, coded


class Claim:
    """A 2300 loop with its 2400 lines and the context that decides how it is billed.

    `raw` holds the claim's bytes from CLM to its last segment's terminator, exactly as read.
    `pieces` (the segments, leading white space included, terminator excluded), the diagnoses and
    the lines are computed on first use. `first_ordinal` is the 1-based position of CLM in the file,
    so a piece's position is `first_ordinal + index`.
    """

    __slots__ = (
        "_clm", "_coded", "_diagnoses", "_line_count", "_lines", "_other_payers", "_pieces", "_procedures",
        "_providers", "billing_provider", "delimiters", "first_ordinal", "has_patient_loop", "patient", "raw",
        "removed_lines", "subscriber", "transaction",
    )

    def __init__(self, raw: bytes, first_ordinal: int, transaction: Transaction, billing_provider: BillingProvider,
                 subscriber: Subscriber, has_patient_loop: bool, delimiters: Delimiters,
                 patient: Patient | None = None) -> None:
        self.raw = raw
        self.patient = patient  # the 2000C when the patient is not the subscriber (read only into a digest)
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
        self._coded: list[ServiceLine] | None = None  # the HC lines of _lines, once asked for
        self._providers: dict[str, Provider] = {}
        self._other_payers: list[OtherPayer] = []
        self.removed_lines: list[ServiceLine] = []  # lines an earlier rule of this run removed

    def __reduce__(self) -> tuple[type[Claim], tuple[object, ...]]:
        """A claim goes to a worker process (engine/farm.py) as it was walked: its bytes and the loops above
        it, none of what a rule parsed or removed, so the worker's rules start from the same claim."""
        return (Claim, (self.raw, self.first_ordinal, self.transaction, self.billing_provider, self.subscriber,
                        self.has_patient_loop, self.delimiters, self.patient))

    # -- cheap queries on the raw bytes ---------------------------------------------------------
    @property
    def procedures(self) -> frozenset[str]:
        """The procedures of the claim's lines as `ServiceLine.procedure` names them (the CPT/HCPCS code of an
        HC line, "ER:..." of another qualifier's), found by one regular expression on the raw bytes (C speed),
        so rules can skip claims without parsing them."""
        if self._procedures is None:
            codes = _line_patterns(self.delimiters)[0].findall(self.raw)
            self._procedures = frozenset(procedure_key(q.decode("latin-1"), c.decode("latin-1")) for q, c in codes)
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

    def units_by_code(self) -> dict[str, float]:
        """The sum of SV104 per procedure code over the lines billed in UN, read from the raw bytes (all
        dates together): a cheap upper bound for rules that look for too many units of one code."""
        totals: dict[str, float] = {}
        for qualifier, code, units in _line_patterns(self.delimiters)[2].findall(self.raw):
            key = procedure_key(qualifier.decode("latin-1"), code.decode("latin-1"))
            try:
                totals[key] = totals.get(key, 0.0) + (float(units) if units else 0.0)
            except ValueError:
                totals[key] = float("inf")  # not a number: let the rule parse the claim, which refuses it
        return totals

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
        return field(self._clm_fields(), 1)

    @property
    def total_charge_text(self) -> str:
        return field(self._clm_fields(), 2)

    @property
    def total_charge(self) -> Decimal:
        text = self._clm_fields()[2] if len(self._clm_fields()) > 2 else b""
        return decimal(text, "CLM02 total charge", self.first_ordinal) if text else Decimal(0)

    @property
    def frequency(self) -> str:
        """CLM05-3, the claim frequency type code: 1 original, 7 replacement, 8 void (see FREQUENCIES)."""
        parts = field(self._clm_fields(), 5).split(self.delimiters.component.decode("latin-1"))
        return parts[2] if len(parts) > 2 else ""

    @property
    def place_of_service(self) -> str:
        """CLM05-1, the place of service of every line that has no SV105 of its own."""
        return field(self._clm_fields(), 5).split(self.delimiters.component.decode("latin-1"))[0]

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
        """The CPT/HCPCS lines (SV101-1 = HC): what every billing rule reads, built-in or plugin.

        A line of another code set (ER jurisdiction-specific, IV, WK) is not a CPT code whatever its digits
        say, so no CPT/HCPCS rule may pair, modify or count it: it is left out here, at the root, rather than
        in each rule. `all_lines` has every 2400 loop.
        """
        coded = self._coded
        if coded is None:
            lines = self.all_lines
            coded = self._coded = lines if all(x.qualifier == HCPCS for x in lines) else [
                x for x in lines if x.qualifier == HCPCS]
        return coded

    @property
    def all_lines(self) -> list[ServiceLine]:
        """Every 2400 loop of the claim, whatever its SV101-1 qualifier (what the editor, the history checks
        and the report read)."""
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
        return (any(p.adjudicated for p in self.other_payers) or any(x.adjudicated for x in self.all_lines)
                or self.goes_to_a_later_payer)

    def is_history(self, line: ServiceLine) -> bool:
        """True when a prior payer adjudicated this line, so what it saw must stay as it is.

        A line with a 2430 SVD loop was adjudicated line by line. A claim a prior payer adjudicated
        (2320 AMT*D, CAS or DTP*573, or a secondary/tertiary destination) with no line adjudication at all
        was adjudicated as a whole: every line of it is history. A partner line of another claim is as that
        claim says.
        """
        if line.partner is not None:
            return line.number in line.partner.history
        if line.adjudicated:
            return True
        if any(x.adjudications for x in self.all_lines) or any(x.adjudications for x in self.removed_lines):
            return False  # adjudicated line by line (x.adjudicated), so this line was not
        return any(p.adjudicated for p in self.other_payers) or self.goes_to_a_later_payer

    def performer(self, line: ServiceLine) -> Provider:
        """Who performed a line: its 2420A rendering provider, else the claim's 2310B, else the billing
        provider (the 837P leaves 2310B out when the billing provider rendered the service). A partner
        line of another claim: that claim's."""
        where = line.partner
        if where is None:
            return line.providers.get("2420A") or self.providers.get("2310B") or self.billing_provider.provider
        return line.providers.get("2420A") or where.rendering or where.billing

    def _claim_providers(self, line: ServiceLine) -> tuple[Provider | None, Provider]:
        """(2310B, billing provider) of the claim a line belongs to: this one, or a partner's."""
        where = line.partner
        if where is not None:
            return where.rendering, where.billing
        return self.providers.get("2310B"), self.billing_provider.provider

    def performer_taxonomy(self, line: ServiceLine) -> str:
        """The performing provider's taxonomy (PRV03), or "" when the claim does not say it.

        PRV*PE of the line's 2420A, else of the claim's 2310B, else PRV*BI of the billing provider, as the
        837P places them, but never borrowed from another provider: a 2420A or a 2310B without a PRV of its
        own takes the taxonomy of a provider with the same NPI only (the 837P sends 2310B when the rendering
        provider is not the billing one, so a group's PRV*BI says nothing about the person who performed it).
        """
        claim_provider, billing = self._claim_providers(line)
        return taxonomy_of(line.providers.get("2420A"), claim_provider, billing)

    def edited(self, lines: list[ServiceLine], removed: list[ServiceLine]) -> Claim:
        """A view of this claim as an editor has changed it: these lines remain, those went.

        Everything else (raw bytes, diagnoses, providers, payers) is shared; this claim is not changed.
        """
        self.diagnoses  # noqa: B018 - parse first, so the view shares the parsed state
        view = object.__new__(Claim)
        for slot in Claim.__slots__:
            setattr(view, slot, getattr(self, slot))
        view._lines, view._coded, view.removed_lines = lines, None, removed
        return view

    def place_of(self, line: ServiceLine) -> tuple[str, str]:
        """Where a line was performed, and which element says it: its SV105, else the CLM05-1 of the claim it
        belongs to (this one, or a partner's)."""
        if line.place_of_service:
            return line.place_of_service, "SV105"
        return (self.place_of_service if line.partner is None else line.partner.place_of_service), "CLM05-1"

    def _diagnoses_of(self, line: ServiceLine) -> list[Diagnosis] | tuple[Diagnosis, ...]:
        """The diagnoses of the claim a line belongs to (this one, or a partner's): what its pointers name."""
        return self.diagnoses if line.partner is None else line.partner.diagnoses

    def diagnoses_for(self, line: ServiceLine) -> list[Diagnosis]:
        """The diagnoses a line's SV107 pointers name, in pointer order (only the ones that exist)."""
        diagnoses = self._diagnoses_of(line)
        return [diagnoses[p - 1] for p in line.pointers if 1 <= p <= len(diagnoses)]

    def pointer_problem(self, line: ServiceLine) -> str:
        """Why a line's diagnoses cannot be known from its pointers, or "" when they can.

        A pointer past the last diagnosis, an SV107 that cannot be read, or a pointer to an HI entry
        that cannot be read all mean the same to a rule: what the line was for is unknown.
        """
        if line.pointer_problem:
            return line.pointer_problem
        diagnoses = self._diagnoses_of(line)
        past = [p for p in line.pointers if p > len(diagnoses)]
        if past:
            which = f"diagnosis {past[0]}" if len(past) == 1 else "diagnoses " + ", ".join(map(str, past))
            return (f"SV107 points to {which}, but the claim has {len(diagnoses)} "
                    f"diagnosis code{'s' if len(diagnoses) != 1 else ''}"
                    + (f" (its pointers: {', '.join(map(str, line.pointers))})" if len(line.pointers) > 1 else ""))
        unread = next((p for p in line.pointers if not diagnoses[p - 1].code), None)
        if unread is not None:
            why = diagnoses[unread - 1].problem
            return f"SV107 points to diagnosis {unread}, an HI entry that cannot be read ({why})"
        return ""

    def _parse(self) -> None:
        """Read lines, diagnoses, provider loops and other payers (model/loops.py), once."""
        self._lines = read_loops(self.pieces, self.delimiters, self.first_ordinal, self._providers,
                                 self._other_payers, self._diagnoses)
