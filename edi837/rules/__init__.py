"""The built-in rules, one module per rule, and the registry of them.

To add a rule: write `edi837/rules/<code>.py` with a `Rule` subclass (code, name, phase, fix_safety,
settings, tables, a docstring with What it does / Why / Example / Fix safety / Source), list it below,
add its data to `packs/*.toml` if it reads any, and its cases to a folder `tests/fixtures/rules/<CODE>/`
(cases.toml, the inputs, inputs.py that builds them). docs/rules.md and the README's rule list are generated
from these classes (`python -m edi837.cli.rule_docs`).
"""

from __future__ import annotations

from edi837.engine.engine_rules import ENGINE_RULES
from edi837.engine.registry import RuleFactory, plugin_factories
from edi837.engine.rule import Rule
from edi837.rules.dx001 import InvalidDiagnosis
from edi837.rules.dx002 import ExternalCauseFirst
from edi837.rules.em001 import EvaluationWithManipulation
from edi837.rules.lc001 import LineControlNumber
from edi837.rules.mc001 import CmtActiveTreatment
from edi837.rules.mc002 import ChiropractorNotCovered
from edi837.rules.mc003 import TherapyDiscipline
from edi837.rules.mc004 import CmtSubluxationPrimary
from edi837.rules.mc005 import CmtLevelRegions
from edi837.rules.mc006 import CmtInitialTreatmentDate
from edi837.rules.mod001 import ModifierConflict
from edi837.rules.mue001 import MedicallyUnlikelyUnits
from edi837.rules.mue002 import PerSessionUnits
from edi837.rules.nc001 import CmtManualTherapy
from edi837.rules.nc002 import ManualTherapyTherapeuticActivities
from edi837.rules.nc003 import OtherPairs
from edi837.rules.nc004 import BlockedPairs
from edi837.rules.th001 import ManipulationTelehealth
from edi837.rules.tu001 import TimedUnits
from edi837.rules.tu002 import MinutesOnUntimedCode
from edi837.rules.tu003 import UnitsLookLikeMinutes
from edi837.rules.tu004 import DailyTimedCap
from edi837.rules.tu005 import ZeroUnits

# In code order; the engine runs them by phase, then code.
BUILTIN: tuple[type[Rule], ...] = (
    InvalidDiagnosis, ExternalCauseFirst, EvaluationWithManipulation, LineControlNumber, CmtActiveTreatment,
    ChiropractorNotCovered, TherapyDiscipline, CmtSubluxationPrimary, CmtLevelRegions, CmtInitialTreatmentDate,
    ModifierConflict, MedicallyUnlikelyUnits, PerSessionUnits,
    CmtManualTherapy, ManualTherapyTherapeuticActivities, OtherPairs, BlockedPairs, ManipulationTelehealth,
    TimedUnits, MinutesOnUntimedCode, UnitsLookLikeMinutes, DailyTimedCap, ZeroUnits,
)



def all_factories() -> list[RuleFactory]:
    """The built-in rules, then the installed plugins: every rule a run may select."""
    return [*BUILTIN, *plugin_factories()]


def documented_factories() -> list[RuleFactory]:
    """Every rule `edi-fix rules` lists and `edi-fix rule CODE` documents: the engine's own records
    (EDI001-EDI003, engine/engine_rules.py), then every rule a run may select."""
    return [*ENGINE_RULES, *all_factories()]


__all__ = ["BUILTIN", "all_factories", "documented_factories"]
