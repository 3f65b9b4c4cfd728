"""Synthetic 835 remittances and 277CA acknowledgements answering claims of the 837 generator.

Why: the public 835 samples are mostly institutional examples of the implementation guide; none answers a
chiropractic 97140-59 line. A test states a scenario (this line paid, that one denied CO-4 with N519, this
claim reversed) and so knows the expected counts before any code runs. The payer's answers are made up;
the names written in NM1*QC are made up too (they are there because the guide requires them, and the tests
check that none of them reaches a record, a table or a message).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from edi837.remit.match import DeliveredClaim, DeliveredLine, Finding
from edi837.testing.specs import ClaimSpec

PATIENT = ("ROEMIT", "TESSA", "XZ91827364")  # made-up last name, first name, member id: must never be stored
PAID_ON = date(2026, 4, 10)


@dataclass(frozen=True)
class LineAnswer:
    """What the payer did with one line: pay `paid` (None: the whole charge), or deny it with `denial`
    (group, CARC); `remarks` are LQ*HE RARCs; `code`/`modifiers` when the payer adjudicated another code
    (the submitted one then goes to SVC06); `echo` writes REF*6R."""

    paid: Decimal | None = None
    denial: tuple[str, str] | None = None
    remarks: tuple[str, ...] = ()
    code: str | None = None
    modifiers: tuple[str, ...] | None = None
    echo: bool = True


PAID = LineAnswer()


def denied(group: str, carc: str, *remarks: str) -> LineAnswer:
    return LineAnswer(paid=Decimal(0), denial=(group, carc), remarks=remarks)


@dataclass(frozen=True)
class ClaimAnswer:
    """One CLP: the claim, one LineAnswer per line, a payer claim control number; `reversal` writes the
    CLP02 22 that takes back an earlier payment of the same answers."""

    claim: ClaimSpec
    lines: tuple[LineAnswer, ...]
    control: str
    reversal: bool = False
    status: str | None = None  # CLP02; default 1 (paid) or 4 (denied: nothing paid)


def control_of(claim: ClaimSpec, position: int) -> str:
    """The REF*6R a delivered line carries in these tests (the line's own `control` when its spec has one)."""
    return f"{claim.claim_id}L{position + 1}"


def delivered(claims: Iterable[ClaimSpec], findings: Mapping[str, Sequence[Finding]] | None = None,
              controls: bool = True) -> dict[str, DeliveredClaim]:
    """The DeliveredClaim of each generated claim (as edi837 would have delivered it unchanged)."""
    findings = findings or {}
    out = {}
    for claim in claims:
        lines = tuple(DeliveredLine(n, str(n + 1), control_of(claim, n) if controls else None, spec.procedure,
                                    spec.modifiers, Decimal(spec.units), Decimal(spec.charge), spec.service_date)
                      for n, spec in enumerate(claim.lines))
        mine = tuple(findings.get(claim.claim_id, ()))
        out[claim.claim_id] = DeliveredClaim(claim.claim_id, claim.payer_id, lines, mine)
    return out


@dataclass
class _Writer:
    segments: list[str] = field(default_factory=list)

    def add(self, *elements: object) -> None:
        self.segments.append("*".join("" if e is None else str(e) for e in elements).rstrip("*"))

    def interchange(self, functional: str, guide: str, control: int) -> bytes:
        head = [f"ISA*00*{'':10}*00*{'':10}*ZZ*{'PAYER01':<15}*ZZ*{'SUBMIT01':<15}*260410*1200*^*00501*"
                f"{control:09d}*0*T*:", f"GS*{functional}*PAYER01*SUBMIT01*20260410*1200*{control}*X*{guide}"]
        body = [f"SE*{len(self.segments) + 1}*0001"]
        tail = [f"GE*1*{control}", f"IEA*1*{control:09d}"]
        return ("~\n".join(head + self.segments + body + tail) + "~\n").encode("ascii")


def _line_amounts(spec_charge: str, answer: LineAnswer) -> tuple[Decimal, Decimal]:
    charge = Decimal(spec_charge)
    return charge, (charge if answer.paid is None else answer.paid)


def _svc(w: _Writer, claim: ClaimSpec, n: int, answer: LineAnswer, sign: int) -> None:
    spec = claim.lines[n]
    charge, paid = _line_amounts(spec.charge, answer)
    code = answer.code or spec.procedure
    mods = spec.modifiers if answer.modifiers is None else answer.modifiers
    recoded = answer.code is not None or answer.modifiers is not None
    original = ":".join(("HC", spec.procedure, *spec.modifiers)) if recoded else None
    w.add("SVC", ":".join(("HC", code, *mods)), sign * charge, sign * paid, None, spec.units, original)
    w.add("DTM", "472", f"{spec.service_date:%Y%m%d}")
    if charge != paid:
        group, carc = answer.denial or ("CO", "45")
        w.add("CAS", group, carc, sign * (charge - paid))
    if answer.echo:
        w.add("REF", "6R", spec.control or control_of(claim, n))
    for remark in answer.remarks:
        w.add("LQ", "HE", remark)


def _clp(w: _Writer, answer: ClaimAnswer) -> Decimal:
    claim, sign = answer.claim, (-1 if answer.reversal else 1)
    amounts = [_line_amounts(s.charge, a) for s, a in zip(claim.lines, answer.lines, strict=True)]
    charge = sum((c for c, _ in amounts), Decimal(0))
    paid = sum((p for _, p in amounts), Decimal(0))
    status = "22" if answer.reversal else answer.status or ("1" if paid else "4")
    w.add("CLP", claim.claim_id, status, sign * charge, sign * paid, 0, "12", answer.control, "11", "1")
    w.add("NM1", "QC", "1", PATIENT[0], PATIENT[1], None, None, None, "MI", PATIENT[2])
    for n, line in enumerate(answer.lines):
        _svc(w, claim, n, line, sign)
    return sign * paid


def build_835(answers: Sequence[ClaimAnswer], payer_id: str = "SX123", control: int = 1,
              trace: str = "TRACE0001", paid_on: date = PAID_ON) -> bytes:
    """One 835 (005010X221A1) answering `answers`, balanced: for every line, charge - paid = its CAS."""
    w = _Writer()
    w.add("ST", "835", "0001")
    body = _Writer()
    total = sum((_clp_in(body, n, a) for n, a in enumerate(answers)), Decimal(0))
    w.add("BPR", "I", total, "C", "CHK", *([None] * 11), f"{paid_on:%Y%m%d}")
    w.add("TRN", "1", trace, "1123456789")
    w.add("DTM", "405", f"{paid_on:%Y%m%d}")
    w.add("N1", "PR", "EXAMPLE HEALTH")
    w.add("N3", "1 PAYER WAY")
    w.add("N4", "ANYTOWN", "NC", "27601")
    w.add("REF", "2U", payer_id)
    w.add("PER", "BL", "EDI DESK", "TE", "5555550100")
    w.add("N1", "PE", "EXAMPLE CHIROPRACTIC", "XX", "1234567893")
    w.segments.extend(body.segments)
    return w.interchange("HP", "005010X221A1", control)


def _clp_in(body: _Writer, n: int, answer: ClaimAnswer) -> Decimal:
    body.add("LX", n + 1)
    return _clp(body, answer)


@dataclass(frozen=True)
class StatusAnswer:
    """One claim's 277CA verdict: STC01 category:status[:entity]."""

    claim: ClaimSpec
    category: str = "A2"
    status: str = "20"
    entity: str | None = None
    control: str = "ICN0001"


def build_277ca(answers: Sequence[StatusAnswer], payer_id: str = "SX123", control: int = 1,
                on: date = PAID_ON) -> bytes:
    """One 277CA (005010X214) with a claim-level STC per answer."""
    w, day = _Writer(), f"{on:%Y%m%d}"
    total = sum((Decimal(a.claim.total_charge or sum(Decimal(x.charge) for x in a.claim.lines)) for a in answers),
                Decimal(0))
    w.add("ST", "277", "0001", "005010X214")
    w.add("BHT", "0085", "08", "BATCH0001", day, "1200", "TH")
    w.add("HL", "1", None, "20", "1")
    w.add("NM1", "PR", "2", "EXAMPLE HEALTH", None, None, None, None, "PI", payer_id)
    w.add("TRN", "1", "RCPT0001")
    w.add("DTP", "050", "D8", day)
    w.add("DTP", "009", "D8", day)
    w.add("HL", "2", "1", "21", "1")
    w.add("NM1", "41", "2", "EXAMPLE CHIROPRACTIC", None, None, None, None, "46", "SUBMIT01")
    w.add("TRN", "2", "BATCH0001")
    w.add("STC", "A1:20", day, "WQ", total)
    w.add("HL", "3", "2", "19", "1")
    w.add("NM1", "85", "2", "EXAMPLE CHIROPRACTIC", None, None, None, None, "XX", "1234567893")
    w.add("TRN", "1", "PROV0001")
    w.add("STC", "A1:20", None, "WQ", total)  # STC02 is not used at the provider level (2200C)
    for n, answer in enumerate(answers):
        _patient(w, n + 4, answer, day)
    return w.interchange("HN", "005010X214", control)


def _patient(w: _Writer, hl: int, answer: StatusAnswer, day: str) -> None:
    claim = answer.claim
    charge = claim.total_charge or sum(Decimal(x.charge) for x in claim.lines)
    w.add("HL", hl, "3", "PT")
    w.add("NM1", "QC", "1", PATIENT[0], PATIENT[1], None, None, None, "MI", PATIENT[2])
    w.add("TRN", "2", claim.claim_id)
    stc = ":".join(p for p in (answer.category, answer.status, answer.entity) if p)
    w.add("STC", stc, day, "WQ" if answer.category in ("A1", "A2") else "U", charge)
    w.add("REF", "1K", answer.control)
    first = min(line.service_date for line in claim.lines)
    w.add("DTP", "472", "D8", f"{first:%Y%m%d}")
