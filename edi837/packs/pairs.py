"""Where a run's NCCI pairs and unit limits come from: the pack's hand-kept rows, or the CMS files.

Why an abstraction: the rules ask one question, "which NCCI edits stand between these two codes on
this date of service?", and must not care whether the answer comes from `packs/ncci.toml` (hand-kept
rows, the fallback) or from the CMS quarterly PTP file in the NCCI database (millions of rows,
looked up and cached per run by `edi837.ncci.source`). A user's own pack rows override either. The MUE
unit limits exist only in the CMS files: without a database there is no MUE source at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from typing import Protocol

from edi837.packs.tables import NcciPair

MAI_NAMES = {1: "Line Edit", 2: "Date of Service Edit: Policy", 3: "Date of Service Edit: Clinical"}


class PairSource(Protocol):
    """The NCCI procedure-to-procedure edits a run reads."""

    @property
    def description(self) -> str: ...

    def pairs_for(self, code_a: str, code_b: str, day: date | None) -> list[NcciPair]:
        """The edits in force on `day` between the two codes, in either column order (none for indicator 9)."""
        ...

    def may_pair(self, codes: frozenset[str]) -> bool:
        """Cheap pre-check: could any two of these codes be an edit with indicator 0 or 1 on some date?"""
        ...

    def pairs_among(self, codes: Iterable[str], day: date | None) -> list[NcciPair]:
        """Every edit in force on `day` between two of these codes."""
        ...

    def close(self) -> None: ...


class PackPairs:
    """The `[[pair]]` rows of the packs (shipped `packs/ncci.toml` layered with the user's)."""

    description = "packs/ncci.toml"

    def __init__(self, pairs: Iterable[NcciPair]) -> None:
        self.pairs = tuple(pairs)
        self._by_key: dict[frozenset[str], list[NcciPair]] = {}
        for pair in self.pairs:
            self._by_key.setdefault(frozenset((pair.column1, pair.column2)), []).append(pair)
        self._codes = frozenset(c for p in self.pairs if p.enabled and p.modifier_indicator != 9
                                for c in (p.column1, p.column2))
        # may_pair's answer by the pair codes a claim bills: NC003 and NC004 ask it of every claim, and a
        # file's claims bill the same few combinations of them. The rows never change after loading.
        self._may_pair: dict[frozenset[str], bool] = {}

    def pairs_for(self, code_a: str, code_b: str, day: date | None) -> list[NcciPair]:
        return [p for p in self._by_key.get(frozenset((code_a, code_b)), ()) if p.active_on(day)]

    def may_pair(self, codes: frozenset[str]) -> bool:
        present = self._codes.intersection(codes)
        if len(present) < 2:
            return False
        known = self._may_pair.get(present)
        if known is None:
            known = any(p.enabled and p.modifier_indicator != 9 and p.column1 in present and p.column2 in present
                        for p in self.pairs)
            if len(self._may_pair) < 4096:
                self._may_pair[present] = known
        return known

    def pairs_among(self, codes: Iterable[str], day: date | None) -> list[NcciPair]:
        present = set(codes)
        return [p for p in self.pairs if p.column1 in present and p.column2 in present and p.active_on(day)]

    def close(self) -> None:
        pass


def combos(codes: Iterable[str]) -> list[tuple[str, str]]:
    """Every unordered pair of distinct codes, each written (smaller, larger): the cache key of a pair."""
    return list(combinations(sorted(set(codes)), 2))


@dataclass(frozen=True)
class MueLimit:
    """A code's Medically Unlikely Edit from one CMS MUE table."""

    code: str
    value: int | None  # None: blank or confidential in the table; never read as 0
    indicator: int | None  # MAI 1 line edit, 2 date-of-service policy, 3 date-of-service clinical; None: unreadable
    rationale: str
    citation: str  # "CMS NCCI MUE practitioner 2025-q4 (file): 97110 MUE 4, MAI 3 ..."


class MueSource(Protocol):
    """The MUE unit limits a run reads (only from the CMS files)."""

    @property
    def description(self) -> str: ...

    def limit(self, code: str, day: date | None) -> MueLimit | None:
        """The MUE of a code for a date of service, or None when the table has no row for it."""
        ...

    def smallest(self, code: str) -> int | None:
        """Cheap pre-check: the smallest known MUE value of the code in any table the run may use."""
        ...

    def close(self) -> None: ...
