"""The lines of other claims of the file that NCCI may pair with a claim's lines: found before any rule runs.

Why: NCCI's unit of edit is one patient, one performing provider, one date of service, not one claim (CMS,
"Medicare NCCI Procedure to Procedure (PTP) Edits": the two codes of an edit "for the same beneficiary on
the same date of service"; MUE date-of-service edits sum a code's units "even if broken into separate line
items or claims"). A practice system that writes CMT on one claim and 97140 on another of the same visit
gets the same denial as one claim would. So a claim's rules must see the lines of the file's other claims
for the same patient, and they must see them before they run, whatever order the claims come in, on
whichever process or Dask worker runs them (engine/farm.py, batch/chunks.py), with the same answer.

How, keeping memory flat and the run's cost small: the input is read twice more, before the run's own pass
(the opener is reopened, as the gate reopens it; stdin is spooled by the CLI first):

1. a walk that keeps, per claim, only who it is for (a keyed digest of the subscriber's
   member id and the 2000C patient, model/identity.py), its payer (2010BB NM109 and SBR09) and the first
   and last of its dates of service. Claims of one patient, for a payer that may be the same and with
   overlapping dates, are candidates (usually none: the pass ends there);
2. only if there are candidates, a walk that parses those claims and keeps their lines as partner lines
   (ServiceLine with `partner` set: codes, modifiers, units, dates, pointers, performer, the claim's
   diagnoses and place of service, which lines are history).

The result maps each candidate claim (its CLM's position in the file, checked against its claim id) to the
partner lines of the other claims whose dates overlap its own. The digests never leave this module: the
map holds claim ids, codes and positions, so a chunk sent to another process carries its claims' entries
and nothing that identifies a patient beyond what its claims' own bytes already do.

Same payer: the same 2010BB payer id. When either claim has no payer id, they are partners unless their
claim filing indicators (SBR09) differ, and the rules say the payer is not known to be the same. Voids
(CLM05-3 = 8) are never partners; a claim a prior payer adjudicated is (its lines are history: read,
never edited). Claims without a member id, or a 2000C without a name and birth date, cannot be told apart
from others and are not paired. What the file does not hold (the patient's claims in other files, or
already submitted) the tool cannot see: pairing stops at the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from functools import cache
from typing import IO

from edi837.errors import InputRefused
from edi837.model.claim import Claim, space_pattern
from edi837.model.identity import keyed_digest
from edi837.model.lines import PartnerClaim, ServiceLine, copy_line
from edi837.model.walker import Walker
from edi837.x12.envelope import Delimiters, SegmentStream

# A claim (its CLM's ordinal in the file) -> (its claim id, the partner lines of other claims).
Partners = Mapping[int, tuple[str, tuple[ServiceLine, ...]]]
Opener = Callable[[], IO[bytes]]
_DAY_BITS, _PAYER_BITS = 27, 16  # a CCYYMMDD date as a number fits 27 bits; a file's distinct payers, 16


def index_partners(open_input: Opener) -> dict[int, tuple[str, tuple[ServiceLine, ...]]]:
    """The partner lines of every claim of the input that has any (most have none: an empty map).

    An input the walker refuses gives what was found before the refusal: the run's own pass refuses it,
    at its place, with its own message.
    """
    first = _FirstPass()
    with open_input() as source:
        for claim in _claims(source):
            first.note(claim)
    related = first.related()
    del first
    if not related:
        return {}
    facts: dict[int, tuple[str, bytes, list[ServiceLine]]] = {}
    last = max(related)
    with open_input() as source:
        for claim in _claims(source):
            if claim.first_ordinal > last:
                break  # every candidate read: the rest of the file is not needed
            if claim.first_ordinal in related:
                fact = _facts(claim)
                if fact is not None:
                    facts[claim.first_ordinal] = fact
    return _partners(related, facts)


def subset(partners: Partners, claims: list[Claim]) -> dict[int, tuple[str, tuple[ServiceLine, ...]]]:
    """The entries of some claims: what a chunk of them carries to the process that runs their rules."""
    return {c.first_ordinal: partners[c.first_ordinal] for c in claims if c.first_ordinal in partners}


def partners_of(partners: Partners, claim: Claim) -> tuple[ServiceLine, ...]:
    """A claim's partner lines (none when the entry at its position is another claim's: a changed input)."""
    entry = partners.get(claim.first_ordinal)
    return entry[1] if entry is not None and entry[0] == claim.claim_id else ()


def same_payer(claim: Claim, line: ServiceLine) -> bool | None:
    """True when a partner line's claim goes to the claim's payer (the same 2010BB payer id); None when one
    of them has no payer id (then only differing SBR09 tell them apart, and such lines are no partners)."""
    where = line.partner
    if where is None:
        return True
    mine = claim.subscriber.payer_id.strip().upper()
    return None if not mine or not where.payer_id else mine == where.payer_id


def _claims(source: IO[bytes]) -> Iterator[Claim]:
    try:
        for unit in Walker(SegmentStream(source), identify=True):
            if type(unit) is Claim:
                yield unit
    except InputRefused:
        return


class _FirstPass:
    """Pass 1: per patient, the claims that may be partners, packed small (an int per claim: its ordinal, its
    first and last date of service, its payer's number), so the pass costs some 100 bytes per patient."""

    def __init__(self) -> None:
        self.seen: dict[int, int | list[int]] = {}  # the patient's digest (its first 8 bytes) -> packed claims
        self.payers: dict[tuple[str, str], int] = {}  # (payer id, SBR09) -> its number

    def note(self, claim: Claim) -> None:
        """Who the claim is for, its payer and its dates, if it can be a partner at all."""
        dates = _dates(claim)  # a void is let through here (rarely another claim's partner) and dropped in pass 2
        if dates is None:
            return
        who = patient_of(claim)
        if who is None:
            return
        subscriber = claim.subscriber
        payer = self.payers.setdefault((subscriber.payer_id.strip().upper(), subscriber.claim_filing),
                                       len(self.payers))
        if payer >= 1 << _PAYER_BITS:
            return  # a file of more payers than that: the rest are not paired
        packed = ((claim.first_ordinal << _DAY_BITS | int(dates[0])) << _DAY_BITS | int(dates[1])) << _PAYER_BITS
        key = int.from_bytes(who[:8], "big")
        earlier = self.seen.get(key)
        if earlier is None:
            self.seen[key] = packed | payer
        elif isinstance(earlier, int):
            self.seen[key] = [earlier, packed | payer]
        else:
            earlier.append(packed | payer)

    def related(self) -> dict[int, list[int]]:
        """Claims of one patient whose payers may be the same and whose dates overlap: each other's partners."""
        payers = list(self.payers)
        related: dict[int, list[int]] = {}
        for group in self.seen.values():
            if isinstance(group, int):
                continue
            claims = sorted((_unpack(packed, payers) for packed in group), key=lambda c: c[1])
            for i, (one, _, last, (payer, filing)) in enumerate(claims):
                for j in range(i + 1, len(claims)):
                    other, first2, _, (payer2, filing2) = claims[j]
                    if first2 > last:
                        break  # sorted by first date: no later claim of the patient overlaps this one
                    if payer and payer2 and payer != payer2:
                        continue
                    if not (payer and payer2) and filing and filing2 and filing != filing2:
                        continue
                    related.setdefault(one, []).append(other)
                    related.setdefault(other, []).append(one)
        return related


def _unpack(packed: int, payers: list[tuple[str, str]]) -> tuple[int, int, int, tuple[str, str]]:
    """(ordinal, first date, last date, (payer id, SBR09)) of a claim packed by _FirstPass.note."""
    mask = (1 << _DAY_BITS) - 1
    payer, packed = packed & ((1 << _PAYER_BITS) - 1), packed >> _PAYER_BITS
    last, packed = packed & mask, packed >> _DAY_BITS
    return packed >> _DAY_BITS, packed & mask, last, payers[payer]


def patient_of(claim: Claim) -> bytes | None:
    """A keyed digest of who the claim is for: the subscriber's member id, and the 2000C patient when there
    is one; None when the claim does not say (no member id, a patient without name or birth date)."""
    member = claim.subscriber.member
    if member is None:
        return None
    if claim.patient is None:
        return member
    patient = claim.patient.identity
    return None if patient is None else keyed_digest(b"dependant", [member, patient])


def _facts(claim: Claim) -> tuple[str, bytes, list[ServiceLine]] | None:
    """Pass 2: the claim's id, who it is for (the whole digest: pass 1 kept a part) and its dated lines as
    partner lines (None: the claim cannot be read)."""
    who = patient_of(claim)
    if who is None or claim.is_void:
        return None
    try:
        lines = claim.lines
        history = frozenset(x.number for x in lines if claim.is_history(x))
        where = PartnerClaim(claim.claim_id, claim.subscriber.payer_id.strip().upper(), claim.subscriber.claim_filing,
                             tuple(claim.diagnoses), claim.providers.get("2310B"), claim.billing_provider.provider,
                             history, claim.place_of_service)
    except InputRefused:
        return None
    dated = []
    for line in lines:
        if line.service_date is not None:
            copy = copy_line(line)
            copy.partner = where
            dated.append(copy)
    return where.claim_id, who, dated


def _partners(related: dict[int, list[int]], facts: dict[int, tuple[str, bytes, list[ServiceLine]]]
              ) -> dict[int, tuple[str, tuple[ServiceLine, ...]]]:
    """Each claim's partner lines: the lines of its related claims (in file order, the same patient) that
    overlap one of its own."""
    found: dict[int, tuple[str, tuple[ServiceLine, ...]]] = {}
    for ordinal, others in related.items():
        mine = facts.get(ordinal)
        if mine is None:
            continue
        claim_id, who, own = mine
        spans = {(x.service_date, x.last_date) for x in own}
        lines = tuple(line for other in sorted(others) if other in facts and facts[other][1] == who
                      for line in facts[other][2] if any(_overlap(line, span) for span in spans))
        if lines:
            found[ordinal] = (claim_id, lines)
    return found


def _overlap(line: ServiceLine, span: tuple[date | None, date | None]) -> bool:
    first, last = span
    assert first is not None and last is not None and line.service_date is not None and line.last_date is not None
    return line.service_date <= last and first <= line.last_date


@cache
def _date_pattern(delims: Delimiters) -> re.Pattern[bytes]:
    term, ele = re.escape(delims.segment), re.escape(delims.element)
    return re.compile(term + space_pattern(delims) + b"DTP" + ele + b"472" + ele + b"R?D8" + ele
                      + b"([0-9]{8})(?:-([0-9]{8}))?")


def _dates(claim: Claim) -> tuple[bytes, bytes] | None:
    """The first and last date of service of the claim's lines (DTP*472 CCYYMMDD, read from the raw bytes and
    compared as text, which orders such dates as the calendar does; pass 2 reads them properly)."""
    days = [day for pair in _date_pattern(claim.delimiters).findall(claim.raw) for day in pair if day]
    return (min(days), max(days)) if days else None
