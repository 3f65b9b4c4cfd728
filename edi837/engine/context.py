"""What a rule may read besides the claim: the packs, the claim's payer profile, the minutes file, and the
lines of the file's other claims that may share its unit of edit (engine/partners.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edi837.model.lines import ServiceLine
from edi837.model.minutes import MinutesTable
from edi837.packs import PayerProfile, RulePacks


class ClaimContext:
    """The packs, the claim's payer profile (looked up on first use, so a cheap `wants` costs nothing),
    the minutes side file, and the partner lines, for one claim.

    `partners` are lines of the file's other claims for the same patient (a payer that may be the same,
    overlapping dates: engine/partners.py), each naming its claim (`ServiceLine.partner`). Rules read them
    through rules/_claims.py (units_of_edit), never edit them: an edit lands in the claim that carries the
    line it changes.

    `setting` is how every rule reads its settings: the payer profile's `[rules.CODE]` first, then the
    pack's, then the rule's default. The profile is only looked up when some profile overrides that
    setting at all, so reading a setting in `wants` does not parse the claim's subscriber loop.
    """

    __slots__ = ("_lookup", "_profile", "minutes", "notes", "packs", "partners")

    def __init__(self, packs: RulePacks | None, profile: PayerProfile | Callable[[], PayerProfile | None] | None,
                 minutes: MinutesTable | None = None, partners: tuple[ServiceLine, ...] = ()) -> None:
        self.packs = packs
        self.minutes = minutes
        self.partners = partners
        self.notes: set[str] = set()  # facts about the claim a rule could not act on, counted in the summary
        self._lookup = profile if callable(profile) else None
        self._profile = None if callable(profile) else profile

    @property
    def profile(self) -> PayerProfile | None:
        if self._lookup is not None:
            self._profile, self._lookup = self._lookup(), None
        return self._profile

    def setting(self, rule: str, key: str, default: Any) -> Any:
        packs = self.packs
        if packs is None:
            return default
        profile = self.profile if (rule, key) in packs.profile_overrides else None
        return packs.setting(rule, key, profile, default)
