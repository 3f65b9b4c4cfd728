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
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from itertools import chain
from typing import BinaryIO

from edi837.exits import ExitCode
from edi837.testing.layout import DEFAULT_DELIMITERS, LINE_BREAKS, MIXED, Format, check_layout
from edi837.testing.people import DEPENDENTS, RENDERING_NAMES, SUBSCRIBERS, Person, person
from edi837.testing.random_claims import random_claims
from edi837.testing.specs import (
    BILLING_NPI,
    CHIRO_TAXONOMY,
    PROVIDER_ENTITIES,
    AdjudicationSpec,
    ClaimSpec,
    LineSpec,
    OtherPayerSpec,
    ProviderSpec,
)
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

# The --line-break names of the command line (the layouts themselves: edi837/testing/layout.py)
_CLI_BREAKS = {"none": "", "lf": "\n", "crlf": "\r\n", "cr": "\r", "mixed": MIXED}

_BOM = b"\xef\xbb\xbf"
# A fixed creation stamp, so that a seed alone determines the bytes (tests compare files).
_CREATED = datetime(2026, 3, 9, 12, 0)
_SENDER = "EXAMPLESUBMIT"
_RECEIVER = "EXAMPLERECV"
# Text is handed to fp in batches of about this many characters: few write calls, bounded memory.
_FLUSH_CHARS = 1 << 18


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

    def __init__(self, out: _Out, fmt: Format, number: int, interchange_control: int,
                 people: random.Random, billing_taxonomy: str | None) -> None:
        self.out = out
        self.fmt = fmt
        self.people = people
        self.control = f"{number:04d}"
        self.claims = 0
        self._hl = 0
        self._start = out.count
        s = fmt.seg
        out.add([
            s("ST", "837", self.control, "005010X222A1"),
            s("BHT", "0019", "00", f"{interchange_control}{self.control}", f"{_CREATED:%Y%m%d}",
              f"{_CREATED:%H%M}", "CH"),
            s("NM1", "41", "2", "EXAMPLE BILLING SERVICE", "", "", "", "", "46", "SUBMIT01"),
            s("PER", "IC", "BILLING DESK", "TE", "5555550100"),
            s("NM1", "40", "2", "EXAMPLE CLEARINGHOUSE", "", "", "", "", "46", "RECV01"),
        ])
        self._billing_taxonomy = billing_taxonomy
        self._provider: tuple[str, int] | None = None  # the open 2000A: billing NPI, HL01
        self._subscriber: tuple[str, int, bool, Person] | None = None  # the open shared 2000B: key, HL01, ...

    def _billing_provider(self, npi: str) -> list[str]:
        """A 2000A loop (the first one, HL*1, is written before the first claim)."""
        s = self.fmt.seg
        self._hl += 1
        self._provider = (npi, self._hl)
        self._subscriber = None
        return [
            s("HL", str(self._hl), "", "20", "1"),
            *([s("PRV", "BI", "PXC", self._billing_taxonomy)] if self._billing_taxonomy else []),
            s("NM1", "85", "2", "EXAMPLE CHIROPRACTIC AND THERAPY", "", "", "", "", "XX", npi),
            s("N3", "100 EXAMPLE PLAZA"),
            s("N4", "ANYTOWN", "PA", "123450001"),
            s("REF", "EI", "990000001"),
        ]

    def claim(self, spec: ClaimSpec) -> None:
        rng = self.people
        npi = spec.billing_provider or BILLING_NPI
        segs: list[str] = []
        if self._provider is None or self._provider[0] != npi:
            segs += self._billing_provider(npi)
        shared = self._subscriber
        if spec.subscriber and shared is not None and shared[0] == spec.subscriber:
            if shared[2] != spec.patient_loop:
                raise ValueError(f"claim {spec.claim_id}: claims of one subscriber either all have a patient "
                                 "loop or none has")
            self._add_claim(spec, segs, shared[3], shared[1], new_subscriber=False)
            return
        draw = random.Random(f"person/{spec.person}") if spec.person else rng  # a keyed person: the same each time
        last, first, sex = draw.choice(SUBSCRIBERS)
        subscriber = person(draw, last, first, sex, 1950, 1995)
        self._hl += 1
        self._subscriber = (spec.subscriber, self._hl, spec.patient_loop, subscriber) if spec.subscriber else None
        self._add_claim(spec, segs, subscriber, self._hl, new_subscriber=True)

    def _add_claim(self, spec: ClaimSpec, segs: list[str], subscriber: Person, subscriber_hl: int, *,
                   new_subscriber: bool) -> None:
        s, c, rng = self.fmt.seg, self.fmt.comp, self.people
        assert self._provider is not None
        if new_subscriber:
            segs += [
                s("HL", str(subscriber_hl), str(self._provider[1]), "22", "1" if spec.patient_loop else "0"),
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
            draw = random.Random(f"person/{spec.person}/dependant") if spec.person else rng
            first, sex = draw.choice(DEPENDENTS)
            patient = person(draw, subscriber.last, first, sex, 2008, 2020)
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
        if spec.initial_treatment is not None:  # 2300 DTPs come before its REFs
            segs.append(s("DTP", "454", "D8", f"{spec.initial_treatment:%Y%m%d}"))
        if spec.original_reference is not None:
            segs.append(s("REF", "F8", spec.original_reference))
        segs.append(s("HI", *[c("ABK" if i == 0 else "ABF", dx) for i, dx in enumerate(spec.diagnoses)]))
        if spec.rendering_npi is not None:
            segs += _rendering(s, spec.rendering_npi)
            segs.append(s("PRV", "PE", "PXC", CHIRO_TAXONOMY))
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
            segs.append(s("SV1", procedure, line.charge, line.basis, line.units, line.place_of_service or "", "",
                          c(*[str(p) for p in line.pointers])))
            if line.service_date_end is None:
                segs.append(s("DTP", "472", "D8", f"{line.service_date:%Y%m%d}"))
            else:
                segs.append(s("DTP", "472", "RD8",
                              f"{line.service_date:%Y%m%d}-{line.service_date_end:%Y%m%d}"))
            if line.control is not None:
                segs.append(s("REF", "6R", line.control))  # line item control number: after the 2400 DTPs
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
    last, first = RENDERING_NAMES[int(npi[-2]) % len(RENDERING_NAMES)]
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
    last, first = RENDERING_NAMES[int(provider.npi[-2]) % len(RENDERING_NAMES)] if provider.npi else ("NONPI", "PAT")
    segs = [s("NM1", entity, "1", last, first, "", "", "", "XX", provider.npi) if provider.npi
            else s("NM1", entity, "1", last, first)]
    if provider.taxonomy is not None:
        segs.append(s("PRV", "PE", "PXC", provider.taxonomy))
    return segs


def write_837(fp: BinaryIO, claims: Iterable[ClaimSpec], *, delimiters: Delimiters = DEFAULT_DELIMITERS,
              line_break: str = "\n", claims_per_transaction: int = 5000, bom: bool = False,
              interchange_control: int = 1, seed: int = 0, billing_taxonomy: str | None = CHIRO_TAXONOMY) -> None:
    """Stream one interchange (one ISA, one GS, as many ST as needed) of the claims into fp.

    Memory is bounded by one batch of text, not by the number of claims. The seed drives the made-up
    people (so the same claims with the same seed give the same bytes) and the "mixed" line breaks.
    `billing_taxonomy` is the billing provider's PRV*BI (a chiropractor by default; None: no PRV).
    """
    check_layout(delimiters, line_break)
    if claims_per_transaction < 1:
        raise ValueError("claims_per_transaction must be at least 1")
    if not 1 <= interchange_control <= 999_999_999:
        raise ValueError("interchange_control must fit ISA13's 9 digits (1..999999999)")
    remaining = iter(claims)
    first = next(remaining, None)
    if first is None:
        # Checked before the first byte: an 837 without a claim is invalid (2000B is required).
        raise ValueError("an 837P needs at least one claim")

    fmt = Format(delimiters)
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
    st = _Transaction(out, fmt, transactions, interchange_control, people, billing_taxonomy)
    for claim in chain((first,), remaining):
        if st.claims == claims_per_transaction:
            st.close()
            transactions += 1
            st = _Transaction(out, fmt, transactions, interchange_control, people, billing_taxonomy)
        st.claim(claim)
    st.close()
    out.add([s("GE", str(transactions), str(interchange_control)),
             s("IEA", "1", f"{interchange_control:09d}")])
    out.flush()


def build_837(claims: Iterable[ClaimSpec], *, delimiters: Delimiters = DEFAULT_DELIMITERS,
              line_break: str = "\n", claims_per_transaction: int = 5000, bom: bool = False,
              interchange_control: int = 1, seed: int = 0, billing_taxonomy: str | None = CHIRO_TAXONOMY) -> bytes:
    """The whole file as bytes, for tests that want it in hand; same output as write_837."""
    buffer = io.BytesIO()
    write_837(buffer, claims, delimiters=delimiters, line_break=line_break,
              claims_per_transaction=claims_per_transaction, bom=bom,
              interchange_control=interchange_control, seed=seed, billing_taxonomy=billing_taxonomy)
    return buffer.getvalue()


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
        check_layout(args.delimiters, _CLI_BREAKS[args.line_break])
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
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())
