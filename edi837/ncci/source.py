"""What a fix run reads from the NCCI database: pairs and unit limits by date of service, cached per run.

Which version answers:
- PTP: each quarterly file carries every edit's whole history with its date windows, so the newest
  complete version (all of its files f1-f4 loaded) answers every date of service; `--ncci-version`
  pins another. The row in force on a date is the one whose window holds it (effective <= date <
  deletion date: a deletion date is the first day the edit no longer applies, which is why CMS gives
  indicator 9 to edits deleted on the day they took effect); when windows of one key overlap, the
  latest effective date wins, and a row of indicator 9 in force means no edit.
- MUE: a table carries no dates, only its quarter; the table of the latest quarter starting on or
  before the date of service answers (the oldest loaded one before that), unless one is pinned.

Why a cache per run and no batch query: a run meets a few hundred distinct code pairs and codes at most,
each looked up once (an indexed query of microseconds) and then answered from a dict, so a file of fifty
thousand claims costs the same few hundred queries as a file of fifty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Literal

import structlog

from edi837.errors import InputRefused
from edi837.ncci import paths
from edi837.ncci.formats import MUE, PTP, PTP_PARTS, iso_day, quarter_start, version_key
from edi837.ncci.store import ImportInfo, NcciStore
from edi837.packs import RulePacks
from edi837.packs.pairs import MAI_NAMES, MueLimit, combos
from edi837.packs.tables import NcciPair

log = structlog.get_logger("edi837")
_Row = tuple[str, str, int, int | None, int, int]  # column1, column2, effective, deletion, indicator, import id


def _int_day(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def complete(parts: Iterable[ImportInfo]) -> bool:
    """A PTP version answers once its files f1-f4 are all loaded (or one file that names no part)."""
    numbers = {p.part for p in parts}
    return None in numbers or set(range(1, PTP_PARTS + 1)) <= numbers


def versions(imports: Iterable[ImportInfo], kind: str) -> dict[str, list[ImportInfo]]:
    """The imports of one kind by version, newest version first."""
    grouped: dict[str, list[ImportInfo]] = {}
    for info in imports:
        if info.kind == kind:
            grouped.setdefault(info.version, []).append(info)
    return dict(sorted(grouped.items(), key=lambda item: version_key(item[0]), reverse=True))


@dataclass(frozen=True)
class Selection:
    """The imports a run reads: the PTP version's files, and the MUE tables (oldest quarter first)."""

    ptp: tuple[ImportInfo, ...]
    mue: tuple[ImportInfo, ...]

    @property
    def ptp_version(self) -> str | None:
        return self.ptp[0].version if self.ptp else None


def select(store: NcciStore, pins: Iterable[str] = ()) -> Selection:
    """The newest complete PTP version and every MUE table, or the pinned ones; a pin that names
    nothing loaded, or an incomplete PTP version, is refused."""
    imports = store.imports()
    ptp, mue = versions(imports, PTP), versions(imports, MUE)
    pinned: dict[str, str] = {}
    for pin in pins:
        kinds = [kind for kind, groups in ((PTP, ptp), (MUE, mue)) if pin in groups]
        if not kinds:
            loaded = ", ".join([*ptp, *mue]) or "none"
            raise InputRefused(f"--ncci-version {pin}: not loaded in {store.path} (loaded: {loaded})")
        for kind in kinds:
            if kind in pinned and pinned[kind] != pin:
                raise InputRefused(f"--ncci-version: two {kind.upper()} versions pinned ({pinned[kind]}, {pin})")
            pinned[kind] = pin
    if PTP in pinned:
        chosen = ptp[pinned[PTP]]
        if not complete(chosen):
            have = ", ".join(f"f{p.part}" for p in sorted(chosen, key=lambda p: p.part or 0))
            raise InputRefused(f"--ncci-version {pinned[PTP]}: only {have} of its {PTP_PARTS} PTP files are loaded")
    else:
        chosen = next((parts for parts in ptp.values() if complete(parts)), [])
    tables = mue[pinned[MUE]] if MUE in pinned else [group[0] for group in mue.values()]
    return Selection(tuple(chosen), tuple(sorted(tables, key=lambda t: version_key(t.version))))


class CmsPairs:
    """PTP edits from the CMS file, with the user's own pack rows deciding the pairs they name."""

    def __init__(self, store: NcciStore, parts: tuple[ImportInfo, ...], user_pairs: Iterable[NcciPair]) -> None:
        self.store = store
        self.imports = {p.id: p for p in parts}
        self.ids = tuple(self.imports)
        self.description = parts[0].described.split(" (")[0]
        self.user: dict[tuple[str, str], list[NcciPair]] = {}
        for pair in user_pairs:
            key = (pair.column1, pair.column2) if pair.column1 <= pair.column2 else (pair.column2, pair.column1)
            self.user.setdefault(key, []).append(pair)
        self._rows: dict[tuple[str, str], list[_Row]] = {}
        self._answers: dict[tuple[tuple[str, str], int], list[NcciPair]] = {}
        self._may: dict[frozenset[str], bool] = {}
        self._among: dict[tuple[frozenset[str], date | None], list[NcciPair]] = {}

    def rows(self, key: tuple[str, str]) -> list[_Row]:
        rows = self._rows.get(key)
        if rows is None:
            rows = self._rows[key] = self.store.ptp_rows(self.ids, *key)
        return rows

    def pairs_for(self, code_a: str, code_b: str, day: date | None) -> list[NcciPair]:
        if day is None:
            return []
        key = (code_a, code_b) if code_a <= code_b else (code_b, code_a)
        if key in self.user:
            return [p for p in self.user[key] if p.active_on(day)]
        when = _int_day(day)
        answer = self._answers.get((key, when))
        if answer is None:
            answer = self._answers[(key, when)] = self._in_force(self.rows(key), when)
        return answer

    def _in_force(self, rows: list[_Row], when: int) -> list[NcciPair]:
        chosen: dict[tuple[str, str], _Row] = {}
        for row in rows:
            column1, column2, effective, deletion, indicator, _ = row
            if effective <= when and (deletion is None or when < deletion):
                current = chosen.get((column1, column2))
                if current is None or (effective, -indicator) > (current[2], -current[4]):
                    chosen[(column1, column2)] = row
        return [self._pair(row) for row in chosen.values() if row[4] != 9]

    def _pair(self, row: _Row) -> NcciPair:
        column1, column2, effective, deletion, indicator, import_id = row
        info = self.imports[import_id]
        until = f", deletion date {iso_day(deletion)}" if deletion is not None else ""
        cited = (f"{info.described}: {column1}/{column2} indicator {indicator}, effective {iso_day(effective)}{until}")
        return NcciPair(column1, column2, indicator, date.fromisoformat(iso_day(effective)),
                        date.fromisoformat(iso_day(deletion)) if deletion is not None else None, "cms",
                        info.described, cited=cited)

    def may_pair(self, codes: frozenset[str]) -> bool:
        known = self._may.get(codes)
        if known is None:
            known = self._may[codes] = any(self._may_key(key) for key in combos(codes))
        return known

    def _may_key(self, key: tuple[str, str]) -> bool:
        if key in self.user:
            return any(p.enabled and p.modifier_indicator != 9 for p in self.user[key])
        return any(row[4] != 9 for row in self.rows(key))

    def pairs_among(self, codes: Iterable[str], day: date | None) -> list[NcciPair]:
        key = (frozenset(codes), day)
        found = self._among.get(key)
        if found is None:
            pairs = [p for pair in combos(key[0]) for p in self.pairs_for(*pair, day)]
            found = self._among[key] = sorted(pairs, key=lambda p: (p.column1, p.column2))
        return found

    def close(self) -> None:
        self.store.close()


class CmsMue:
    """MUE limits from the CMS practitioner tables, the table chosen by the date of service."""

    def __init__(self, store: NcciStore, tables: tuple[ImportInfo, ...]) -> None:
        self.store = store
        self.tables = [(quarter_start(t.version), t) for t in tables]  # oldest quarter first
        self._starts = {t.id: start for start, t in self.tables}
        self.description = ", ".join(t.described.split(" (")[0] for t in tables)
        self._limits: dict[tuple[int, str], MueLimit | None] = {}
        self._smallest: dict[str, int | None] = {}

    def table_for(self, day: date | None) -> ImportInfo:
        if day is None or len(self.tables) == 1:
            return self.tables[-1][1]
        earlier = [t for start, t in self.tables if start <= day]
        return earlier[-1] if earlier else self.tables[0][1]

    def limit(self, code: str, day: date | None) -> MueLimit | None:
        table = self.table_for(day)
        key = (table.id, code)
        if key not in self._limits:
            row = self.store.mue_row(table.id, code)
            self._limits[key] = None if row is None else self._limit(table, code, *row)
        limit = self._limits[key]
        if limit is not None and day is not None and day < self._starts[table.id]:
            return replace(limit, citation=f"{limit.citation} (no table loaded for the quarter of {day}: the oldest "
                                           "loaded one answered)")
        return limit

    @staticmethod
    def _limit(table: ImportInfo, code: str, value: int | None, indicator: int | None, rationale: str) -> MueLimit:
        shown = "unknown (blank or confidential)" if value is None else str(value)
        mai = f"MAI {indicator} {MAI_NAMES[indicator]}" if indicator in MAI_NAMES else "MAI unreadable"
        why = f", rationale {rationale}" if rationale else ""
        return MueLimit(code, value, indicator, rationale, f"{table.described}: {code} MUE {shown}, {mai}{why}")

    def smallest(self, code: str) -> int | None:
        if code not in self._smallest:
            values = [limit.value for _, t in self.tables
                      if (limit := self.limit(code, quarter_start(t.version))) is not None and limit.value is not None]
            self._smallest[code] = min(values, default=None)
        return self._smallest[code]

    def close(self) -> None:
        self.store.close()


def attach(packs: RulePacks, option: Path | Literal[False] | None, pins: Iterable[str] = ()) -> None:
    """Point a run's packs at the NCCI database the location rules find (edi837.ncci.paths), if any.

    PTP pairs then come from the CMS file, with the user's own pack rows overriding the pairs they name
    (the shipped hand-kept rows step aside); MUE limits come from the MUE tables. A database with no
    complete PTP version leaves the pack pairs in place, one with no MUE table leaves MUE001 idle.
    """
    pins = tuple(pins)
    path = paths.for_run(option)
    if path is None:
        if pins:
            raise InputRefused("--ncci-version needs an NCCI database (--ncci-db, EDI837_NCCI_DB or the per-user one)")
        return
    store = NcciStore.open(path)
    for done in store.recovered:
        log.warning("ncci.recovered", file=path.name, what=done)
    try:
        selection = select(store, pins)
    except BaseException:
        store.close()
        raise
    if selection.ptp:
        packs.ncci = CmsPairs(store, selection.ptp, (p for p in packs.pairs if p.user))
    if selection.mue:
        packs.mue = CmsMue(store, selection.mue)
    if not selection.ptp and not selection.mue:
        store.close()
    log.info("ncci.source", file=path.name, version=selection.ptp_version,
             count=len(selection.mue))
