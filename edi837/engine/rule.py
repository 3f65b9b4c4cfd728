"""What a rule is: a class with a stable code, its documentation, its settings and the tables it reads.

Like a ruff or sqlfluff rule, simpler: one module per rule under `edi837/rules/`, a class that subclasses
`Rule`, and a docstring in fixed sections (What it does / Why / Example / Fix safety / Source) that
`edi-fix rule CODE` prints and docs/rules.md is generated from. The class is checked when it is
defined, so a rule without its code, name, phase or documentation cannot even be imported.

A rule reads its settings per claim (`self.setting(context, "name")`), so a payer profile's
`[rules.CODE]` table overrides them for that payer's claims, for every rule, without the rule doing
anything about it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from edi837.packs import RulePacks, Setting

if TYPE_CHECKING:
    from edi837.engine.context import ClaimContext
    from edi837.engine.findings import Finding
    from edi837.model.claim import Claim

SECTIONS = ("What it does", "Why", "Example", "Fix safety", "Source")
FIX_SAFETIES = ("safe", "review", "none")  # what the rule's fixes are: applied by default, shown only, no fix
CODE = re.compile(r"[A-Z]{2,3}[0-9]{3}")
NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
_PER_PAYER = object()  # a setting some payer profile overrides: read per claim
_SECTION = re.compile(r"^\s*(" + "|".join(SECTIONS) + r"):\s*", re.MULTILINE)


@dataclass(frozen=True)
class RuleDoc:
    """A rule's documentation, from its docstring: a one-line summary and the fixed sections."""

    summary: str
    sections: dict[str, str]


def parse_doc(doc: str | None) -> RuleDoc:
    """Split a rule docstring into its summary and its sections (What it does, Why, ...)."""
    text = (doc or "").strip()
    parts = _SECTION.split(text)
    head, rest = parts[0], parts[1:]
    sections = {rest[i]: " ".join(rest[i + 1].split()) for i in range(0, len(rest) - 1, 2)}
    summary = " ".join(head.split())
    return RuleDoc(summary, sections)


class Rule:
    """The base of every built-in rule (plugins may use it too).

    Subclasses set `code` (like NC001), `name` (kebab-case), `phase` (lower runs first: the units rules
    are phase 0 because they decide which lines exist), `fix_safety`, `settings` (their schema), `tables`
    (the pack tables they read) and implement `check`; `wants` is an optional cheap pre-check on the raw
    claim. A helper base class that is not a rule sets `abstract = True`.
    """

    abstract: ClassVar[bool] = True
    code: ClassVar[str]
    name: ClassVar[str]
    phase: ClassVar[int] = 1
    fix_safety: ClassVar[str] = "none"
    default_on: ClassVar[bool] = True
    # True for a rule that pairs lines by NCCI's unit of edit (patient, provider, date), across claims: the run
    # then finds each claim's partner lines in the file's other claims first (engine/partners.py).
    unit_of_edit: ClassVar[bool] = False
    settings: ClassVar[tuple[Setting, ...]] = ()
    tables: ClassVar[tuple[str, ...]] = ()
    # For a review fix a pack may approve: the settings and the values that, all together, approve it (NC002:
    # attest_separate_time_blocks = true and action = "fix"), so `edi-fix rules` can show whether the packs in
    # force apply it. None: only --apply-review does.
    approval: ClassVar[tuple[tuple[str, Any], ...] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("abstract", False):
            return
        cls.abstract = False
        problems = []
        code, name = getattr(cls, "code", ""), getattr(cls, "name", "")
        if not isinstance(code, str) or not CODE.fullmatch(code):
            problems.append(f"code {code!r} is not two or three capitals and three digits")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            problems.append(f"name {name!r} is not kebab-case")
        if not isinstance(cls.phase, int):
            problems.append("phase must be a whole number")
        if cls.fix_safety not in FIX_SAFETIES:
            problems.append(f"fix_safety must be one of {', '.join(FIX_SAFETIES)}")
        doc = parse_doc(cls.__doc__)
        missing = [s for s in SECTIONS if s not in doc.sections]
        if missing or not doc.summary.startswith(f"{code} {name}:"):
            problems.append(f"its docstring must start '{code} {name}: ...' and have the sections "
                            f"{', '.join(SECTIONS)} (missing: {', '.join(missing) or 'none'})")
        names = [s.name for s in cls.settings]
        if len(set(names)) != len(names):
            problems.append("two settings share a name")
        for setting, _ in cls.approval or ():
            if setting not in names:
                problems.append(f"approval names {setting!r}, not one of its settings")
        if problems:
            raise TypeError(f"rule {cls.__name__}: " + "; ".join(problems))

    def __init__(self, packs: RulePacks) -> None:
        self.packs = packs
        self._defaults = {s.name: s.default for s in type(self).settings}
        self._same_for_all: dict[str, Any] | None = None  # filled on first use, see `setting`

    def setting(self, context: ClaimContext, name: str) -> Any:
        """This rule's setting for the claim in hand: the payer profile's, else the pack's, else the default.

        A setting no payer profile overrides is the same for every claim of the run: it is resolved once, on
        first use, from the packs this rule was made with (settings are read some twelve times a claim, mostly
        in `wants`). One that some profile overrides is read through the context for each claim, from that
        claim's payer profile. Packs are loaded once per run and never change after.
        """
        if context.packs is not None and context.packs is self.packs:
            same = self._same_for_all
            if same is None:
                same = self._same_for_all = self._resolve_unoverridden(self.packs)
            value = same.get(name, _PER_PAYER)
            if value is not _PER_PAYER:
                return value
        return context.setting(self.code, name, self._defaults[name])

    def _resolve_unoverridden(self, packs: RulePacks) -> dict[str, Any]:
        """Each setting no payer profile overrides, as the packs say it (else its default)."""
        return {name: packs.setting(self.code, name, None, default) for name, default in self._defaults.items()
                if (self.code, name) not in packs.profile_overrides}

    @classmethod
    def default_of(cls, name: str) -> Any:
        return next(s.default for s in cls.settings if s.name == name)

    @classmethod
    def doc(cls) -> RuleDoc:
        return parse_doc(cls.__doc__)

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        """A cheap pre-check (a substring test on the raw claim, say): False skips `check`."""
        return True

    def check(self, claim: Claim, context: ClaimContext) -> Iterable[Finding]:
        raise NotImplementedError
