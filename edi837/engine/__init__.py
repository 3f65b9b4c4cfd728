"""The rule engine: what a rule is (rule), what it returns (findings), what it reads (context), which rules
run (registry) and how their fixes are applied (runner).

The names a rule module needs are re-exported here: `from edi837.engine import Rule, Finding, Fix, ...`.
"""

from edi837.engine.context import ClaimContext
from edi837.engine.findings import Applicability, Finding, Fix, Severity
from edi837.engine.rule import Rule, RuleDoc
from edi837.packs import Setting

__all__ = ["Applicability", "ClaimContext", "Finding", "Fix", "Rule", "RuleDoc", "Setting", "Severity"]
