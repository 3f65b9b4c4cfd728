"""Writes examples/clinic-week.837: one synthetic week of a chiropractic and physical-therapy clinic.

Every claim is there for a reason a billing manager would recognise; the comment on each says what
edi837 should do with it. All names, ids and addresses are made up by edi837.testing.generator.

    python examples/build_clinic_week.py
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from edi837.testing.generator import ClaimSpec, LineSpec, ProviderSpec, build_837

MON, TUE, WED, THU = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5)
ACME = {"payer_id": "ACME1", "payer_name": "ACME COMMERCIAL HEALTH", "claim_filing": "CI"}
MEDICARE = {"payer_id": "MCR01", "payer_name": "EXAMPLE MEDICARE PART B", "claim_filing": "MB"}
# The clinic bills as a chiropractic practice (PRV*BI 111N00000X); its physical therapist is named on the
# therapy claims as the rendering provider (2310B, PRV*PE 225100000X).
THERAPIST = (ProviderSpec("rendering", "1245319599", "225100000X"),)

CLAIMS = [
    # CMT on the lumbar spine (M99.03), manual therapy on the shoulder (M25.511): a distinct region,
    # so 97140 gets the payer's distinct-procedure modifier.
    ClaimSpec("WK10-001", ("M9903", "M25511"), (
        LineSpec("98940", "45", pointers=(1,), service_date=MON),
        LineSpec("97140", "40", pointers=(2,), service_date=MON),
    ), **ACME),
    # CMT on cervical and thoracic, manual therapy pointing to the cervical segment: same region,
    # included in the CMT; a person has to look.
    ClaimSpec("WK10-002", ("M9901", "M9902"), (
        LineSpec("98941", "60", pointers=(1, 2), service_date=MON),
        LineSpec("97140", "40", pointers=(1,), service_date=MON),
    ), **ACME),
    # Therapy visit: 97140 with 97530 (NCCI column 2) on the same day.
    ClaimSpec("WK10-003", ("M25561", "M6281"), (
        LineSpec("97110", "76", units="2", pointers=(1,), service_date=TUE),
        LineSpec("97530", "45", pointers=(2,), service_date=TUE),
        LineSpec("97140", "40", pointers=(1,), service_date=TUE),
    ), **ACME),
    # Medicare therapy billed in minutes by the physical therapist: 97110 33 min + 97140 7 min = 40 min ->
    # 3 units (CMS example 3).
    ClaimSpec("WK10-004", ("M5450",), (
        LineSpec("97110", "115.50", units="33", basis="MJ", modifiers=("GP",), service_date=TUE),
        LineSpec("97140", "40.00", units="7", basis="MJ", modifiers=("GP",), service_date=TUE),
    ), patient_loop=False, providers=THERAPIST, **MEDICARE),
    # Commercial therapy in minutes, per-code midpoint rule: 33 min -> 2 units, 7 min -> 0 (line removed).
    ClaimSpec("WK10-005", ("M542",), (
        LineSpec("97110", "76", units="33", basis="MJ", service_date=WED),
        LineSpec("97140", "40", units="7", basis="MJ", service_date=WED),
    ), **ACME),
    # An office visit alone: nothing to do.
    ClaimSpec("WK10-006", ("M542",), (LineSpec("99213", "95", service_date=WED),), **ACME),
    # 97140 already carries XS beside the CMT: nothing to do.
    ClaimSpec("WK10-007", ("M9903", "M25561"), (
        LineSpec("98940", "45", pointers=(1,), service_date=THU),
        LineSpec("97140", "40", modifiers=("XS",), pointers=(2,), service_date=THU),
    ), patient_loop=True, **ACME),
    # Medicare, the chiropractor: lumbar CMT with AT is covered; manual therapy on the shoulder and an office
    # visit are not covered from a chiropractor: GY (and GP on 97140), never the XS a commercial payer gets.
    # The course of treatment began four weeks before (2300 DTP*454, which Medicare requires on CMT claims).
    ClaimSpec("WK10-008", ("M9903", "M25511"), (
        LineSpec("98940", "45", pointers=(1,), modifiers=("AT",), service_date=THU),
        LineSpec("97140", "40", pointers=(2,), service_date=THU),
        LineSpec("99213", "95", pointers=(1,), service_date=THU),
    ), initial_treatment=THU - timedelta(days=28), **MEDICARE),
]

if __name__ == "__main__":
    target = Path(__file__).with_name("clinic-week.837")
    target.write_bytes(build_837(CLAIMS, line_break="\n", seed=10))
    print(f"wrote {target}")
