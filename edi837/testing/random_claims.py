"""Random plausible claims (a chiropractic and therapy clinic's mix), the same ones for the same seed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from edi837.testing.specs import (
    BILLING_NPI,
    CHIRO_TAXONOMY,
    CLAIM_ROLES,
    RENDERING_NPIS,
    AdjudicationSpec,
    ClaimSpec,
    LineSpec,
    OtherPayerSpec,
    ProviderSpec,
)

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
                                  rendering_npi=rng.choice(RENDERING_NPIS) if rng.random() < 0.05 else None))
        spec = ClaimSpec(
            claim_id=f"C{number:0{width}d}", diagnoses=diagnoses, lines=tuple(lines), payer_id=payer_id,
            payer_name=payer_name, claim_filing=filing, patient_loop=patient_loop,
            rendering_npi=rng.choice(RENDERING_NPIS) if rng.random() < 0.2 else None,
        )
        yield _with_shapes(spec, shape_rng) if shapes else spec


_Plan = list[tuple[str, tuple[int, ...], tuple[str, ...]]]


def _with_shapes(spec: ClaimSpec, rng: random.Random) -> ClaimSpec:
    """The claim in one of the layouts practice systems export: see random_claims."""
    npis = (*RENDERING_NPIS, BILLING_NPI)
    frequency = rng.choices(("1", "7", "8"), (70, 15, 15))[0]
    reference = f"PAYERCLM{rng.randrange(10**6):06d}" if frequency != "1" else None
    providers: list[ProviderSpec] = []
    for role in CLAIM_ROLES:  # the guide's order: 2310A, B, C, D; any subset
        if rng.random() < 0.4:
            taxonomy = rng.choice((None, CHIRO_TAXONOMY, "225100000X")) if role == "rendering" else None
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
        # Therapy beside CMT that NCCI does not pair with it (97112 and 97124 are paired: packs/ncci.toml).
        plan.append((rng.choice(("97110", "97116", "97530")), (1,), ()))
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
