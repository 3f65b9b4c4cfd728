"""What a fix run reads: is this ICD-10-CM code valid and billable on this date of service? Cached per run.

The releases a run knows are the shipped ones (edi837.icd10.shipped) and those imported into the store
(edi837.icd10.store); an imported release replaces a shipped one of the same name. Which release answers a
date of service: the latest one that has taken effect by that date within the date's fiscal year (FY2026
runs from 2025-10-01 to 2026-09-30; an April 1 update answers from April 1). A date no release answers is
not covered, and nothing is said about its codes but that (never a guess from another year). An October
release answers after April 1 too when no update of its year is loaded, except about codes it does not list:
an April update may have added them, so those are not covered. A date between two loaded releases whose own
release is not loaded (2025-10-01 to 2026-03-31 with only the April 2025 and April 2026 releases) is judged
for a code the two list alike (billable in both, a header in both, listed in neither): the code set changes
only when a release takes effect, so a code both sides agree on was so in between unless a release in the
gap changed it and the next changed it back. A code they disagree on is not covered; a date before the first
loaded release or after the last one's fiscal year has none either side, and stays not covered.

A code's verdict on a date, from the release in force and the others:
- billable in it: valid;
- a header in it (a category or subcategory with codes below it): not billable, naming the codes below and,
  when an earlier release had it billable, since when it is a header;
- not listed, but billable in a later release: not yet valid, naming the release and the day it takes effect;
- not listed, but listed in an earlier release: deleted, naming the last release that listed it;
- not listed anywhere: not an ICD-10-CM code. A codes file lists billable codes only, so a code it does not
  list is "not billable" without saying which of the three it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from edi837.icd10.formats import ORDER, Release, fiscal_year
from edi837.icd10.shipped import ShippedTable
from edi837.icd10.store import LOCATION, Icd10Store
from edi837.log import get_logger

if TYPE_CHECKING:
    from edi837.packs import RulePacks

log = get_logger("edi837")
SOURCE = ("ICD-10-CM official code set by fiscal year (CMS/CDC: a code is valid for HIPAA-covered transactions on "
          "the dates its release is in force; headers are not valid for submission)")
SHOWN_BELOW = 3  # codes named after "use": more are counted


class Catalog(Protocol):
    """Where releases' codes are read: the store, or the shipped table."""

    def statuses(self, code: str) -> dict[int, int]: ...

    def billable_below(self, code: str, ref: int, limit: int) -> list[str]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class CodeSet:
    """One release as a run knows it: where its codes are (catalog and key) and how a record cites it."""

    release: Release
    described: str
    headers: bool  # lists headers too (an order file or the shipped table), not billable codes only
    catalog: Catalog
    ref: int  # the import id, or the shipped table's column

    @property
    def label(self) -> str:
        return self.release.label


@dataclass(frozen=True)
class Verdict:
    """A code on a date: kind "valid", "header", "not-yet", "deleted", "unknown", "not-billable" or
    "not-covered"; the sentence that says so (None when valid or not covered) and the release it rests on
    (`before` too when the date falls between two loaded releases, which both said the same)."""

    kind: str
    message: str | None = None
    code_set: CodeSet | None = None
    before: CodeSet | None = None

    @property
    def label(self) -> str:
        """The release(s) the verdict rests on: `FY2026-04`, or `FY2025-04 and FY2026-04` either side."""
        here = self.code_set.label if self.code_set is not None else ""
        return f"{self.before.label} and {here}" if self.before is not None else here

    @property
    def cited(self) -> str:
        """How a record cites the release(s) the verdict rests on."""
        here = self.code_set.described if self.code_set is not None else ""
        return f"{self.before.described}; {here}" if self.before is not None else here


def dotted(code: str) -> str:
    """M545 -> M54.5: codes are carried without the dot and shown as ICD-10-CM prints them."""
    return code if len(code) <= 3 or "." in code else f"{code[:3]}.{code[3:]}"


def _listed(codes: Sequence[str], more: bool) -> str:
    shown = [dotted(c) for c in codes]
    if more:
        return ", ".join(shown) + " ..."
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + f" or {shown[-1]}"


class Icd10Source:
    """The releases of one run, sorted by the day they take effect, and the verdicts asked of them."""

    def __init__(self, sets: Sequence[CodeSet], catalogs: Sequence[Catalog], recovered: Sequence[str] = ()) -> None:
        self.sets = sorted(sets, key=lambda s: s.release)
        self.catalogs = tuple(catalogs)
        self.recovered = list(recovered)  # what opening the store took (a hot journal rolled back)
        self._statuses: dict[str, dict[CodeSet, int]] = {}
        self._verdicts: dict[tuple[str, date], Verdict] = {}
        self._covered: dict[date, bool] = {}
        self._by_catalog: dict[tuple[int, str], dict[int, int]] = {}

    def in_force(self, day: date) -> CodeSet | None:
        """The release that answers a date of service, or None when no loaded release covers it."""
        fy = fiscal_year(day)
        found = [s for s in self.sets if s.release.fiscal_year == fy and s.release.effective <= day]
        return found[-1] if found else None

    def around(self, day: date) -> tuple[CodeSet, CodeSet] | None:
        """For a date no loaded release answers: the loaded releases either side of it (the last to take
        effect before it, the first after it), or None when it is before the first or after the last."""
        if self.in_force(day) is not None:
            return None
        before = [s for s in self.sets if s.release.effective <= day]
        after = [s for s in self.sets if s.release.effective > day]
        return (before[-1], after[0]) if before and after else None

    def covered(self, day: date) -> bool:
        """Whether some codes can be judged on the date: a release answers it, or two lie either side of it."""
        known = self._covered.get(day)
        if known is None:
            known = self._covered[day] = self.in_force(day) is not None or self.around(day) is not None
        return known

    def _in_catalog(self, catalog: Catalog, code: str) -> dict[int, int]:
        key = (id(catalog), code)
        found = self._by_catalog.get(key)
        if found is None:
            found = self._by_catalog[key] = catalog.statuses(code)
        return found

    def statuses(self, code: str) -> dict[CodeSet, int]:
        """The code in every release that lists it (1 billable, 0 header), looked up once per run."""
        found = self._statuses.get(code)
        if found is None:
            found = self._statuses[code] = {s: status for s in self.sets
                                            if (status := self._in_catalog(s.catalog, code).get(s.ref)) is not None}
        return found

    def verdict(self, code: str, day: date) -> Verdict:
        key = (code, day)
        answer = self._verdicts.get(key)
        if answer is None:
            answer = self._verdicts[key] = self._verdict(code, day)
        return answer

    def _verdict(self, code: str, day: date) -> Verdict:
        code_set = self.in_force(day)
        if code_set is None:
            pair = self.around(day)
            return Verdict("not-covered") if pair is None else self._between(code, day, *pair)
        if self._in_catalog(code_set.catalog, code).get(code_set.ref) == 1:
            return Verdict("valid", None, code_set)  # the other releases (the shipped table) are not read
        statuses = self.statuses(code)
        status = statuses.get(code_set)
        where = f"ICD-10-CM {code_set.label}"
        if status == 0:
            return Verdict("header", self._header(code, day, code_set, statuses), code_set)
        updated = code_set.release.effective.month == 10 and day >= date(code_set.release.fiscal_year, 4, 1)
        if updated:
            return Verdict("not-covered")  # an April update, not loaded, may have added it
        if not code_set.headers:
            return Verdict("not-billable", f"{dotted(code)} is not a billable ICD-10-CM code on {day}: the {where} "
                                           "codes file, which lists billable codes only, does not list it (a header, "
                                           "a deleted code or not a code)", code_set)
        later = [s for s in self.sets if s.release > code_set.release and s in statuses]
        if later:
            return Verdict("not-yet", f"{dotted(code)} is not yet valid on {day}: {where}, in force that day, does "
                                      f"not list it; it is listed {self._from(code_set, later[0])}", code_set)
        earlier = [s for s in self.sets if s.release < code_set.release and s in statuses]
        if earlier:
            gone = self._after(earlier[-1])
            return Verdict("deleted", f"{dotted(code)} is not an ICD-10-CM code on {day} ({where}): deleted, listed "
                                      f"in {earlier[-1].label} and not {self._from(earlier[-1], gone)}; the addenda "
                                      "of the release that deleted it name what replaced it", code_set)
        hint = ("; ICD-10-CM codes start with a letter: an ICD-9-CM code?" if code[:1].isdigit() else
                "; the 837 carries a code without its decimal point" if "." in code else "")
        return Verdict("unknown", f"{dotted(code)} is not an ICD-10-CM code on {day}: {where} does not list it, nor "
                                  f"does any other release loaded{hint}", code_set)

    def _between(self, code: str, day: date, before: CodeSet, after: CodeSet) -> Verdict:
        """A date between two loaded releases, the one in force that day not loaded: a code has the status
        the two agree on (it changes only when a release takes effect), else nothing is said of it."""
        first = self._in_catalog(before.catalog, code).get(before.ref)
        second = self._in_catalog(after.catalog, code).get(after.ref)
        if first != second:
            return Verdict("not-covered")
        if first == 1:
            return Verdict("valid", None, after, before)
        where = (f"ICD-10-CM {before.label} and {after.label}, the releases loaded either side of {day}, both "
                 f"list it as")
        gap = ("; the release in force that day is not loaded, and a code changes only when a release takes "
               "effect")
        if first == 0:
            below = after.catalog.billable_below(code, after.ref, SHOWN_BELOW + 1)
            use = f"; use a code below it: {_listed(below[:SHOWN_BELOW], len(below) > SHOWN_BELOW)}" if below else ""
            return Verdict("header", f"{dotted(code)} is not billable on {day}: {where} a header (a category or "
                                     f"subcategory with codes below it){gap}{use}", after, before)
        if not (before.headers and after.headers):
            return Verdict("not-billable", f"{dotted(code)} is not a billable ICD-10-CM code on {day}: neither "
                                           f"ICD-10-CM {before.label} nor {after.label}, the releases loaded either "
                                           f"side of that date, lists it as billable{gap}", after, before)
        hint = ("; ICD-10-CM codes start with a letter: an ICD-9-CM code?" if code[:1].isdigit() else
                "; the 837 carries a code without its decimal point" if "." in code else "")
        return Verdict("unknown", f"{dotted(code)} is not an ICD-10-CM code on {day}: neither ICD-10-CM "
                                  f"{before.label} nor {after.label}, the releases loaded either side of that date, "
                                  f"lists it{gap}{hint}", after, before)

    def _after(self, code_set: CodeSet) -> CodeSet:
        return next(s for s in self.sets if s.release > code_set.release)

    def _from(self, before: CodeSet, after: CodeSet) -> str:
        """"from FY2022 (2021-10-01)" when `after` follows `before` with no release possibly missing between
        them (the same fiscal year, or the next year's October release), else "in ..." saying so."""
        next_year = date(before.release.fiscal_year, 10, 1)
        nearest = [s for s in self.sets if before.release < s.release < after.release]
        if not nearest and (after.release.fiscal_year == before.release.fiscal_year
                            or after.release.effective == next_year):
            return f"from {after.label} ({after.release.effective})"
        return (f"in {after.label} ({after.release.effective}; the releases between {before.label} and {after.label} "
                "are not loaded)")

    def _header(self, code: str, day: date, code_set: CodeSet, statuses: dict[CodeSet, int]) -> str:
        below = code_set.catalog.billable_below(code, code_set.ref, SHOWN_BELOW + 1)
        use = f"; use a code below it: {_listed(below[:SHOWN_BELOW], len(below) > SHOWN_BELOW)}" if below else ""
        billable = [s for s in self.sets if s.release < code_set.release and statuses.get(s) == 1]
        if not billable:
            return (f"{dotted(code)} is not billable on {day}: in ICD-10-CM {code_set.label} it is a header (a "
                    f"category or subcategory with codes below it){use}")
        since = self._after(billable[-1])
        return (f"{dotted(code)} is not billable on {day} (ICD-10-CM {code_set.label}): billable in "
                f"{billable[-1].label}, it is a header (with codes below it) {self._from(billable[-1], since)}{use}")

    def describe_gaps(self) -> list[tuple[CodeSet, CodeSet, date, date]]:
        """Each stretch of dates no loaded release answers between two that are loaded: (before, after, first
        day, last day); its codes are judged where the two releases agree."""
        gaps = []
        for (code_set, _, end), (following, start, _) in zip(self.describe_coverage(),
                                                              self.describe_coverage()[1:], strict=False):
            if end + timedelta(days=1) < start:
                gaps.append((code_set, following, end + timedelta(days=1), start - timedelta(days=1)))
        return gaps

    def describe_coverage(self) -> list[tuple[CodeSet, date, date]]:
        """Each release with the first and last date of service it answers."""
        spans = []
        for i, code_set in enumerate(self.sets):
            following = [s for s in self.sets[i + 1:] if s.release.fiscal_year == code_set.release.fiscal_year]
            end = (following[0].release.effective - timedelta(days=1)) if following else code_set.release.fiscal_end
            spans.append((code_set, code_set.release.effective, end))
        return spans

    def close(self) -> None:
        for catalog in self.catalogs:
            catalog.close()


def shipped_sets(table: ShippedTable) -> list[CodeSet]:
    return [CodeSet(release, f"ICD-10-CM {release.label} (shipped with edi837: {file})", True, table, index)
            for index, (release, file) in enumerate(zip(table.releases, table.files, strict=True))]


def open_source(path: Path | None, *, tidy: bool = False) -> Icd10Source:
    """The shipped releases, and those of the store at `path` (which win over a shipped one of the same name);
    `tidy` as for Icd10Store.open (`icd10 status`)."""
    table = ShippedTable()
    sets = shipped_sets(table)
    catalogs: list[Catalog] = [table]
    if path is None:
        return Icd10Source(sets, catalogs)
    store = Icd10Store.open(path, tidy=tidy)
    try:
        stored = [CodeSet(i.release, i.described, i.kind == ORDER, store, i.id) for i in store.imports()]
    except BaseException:
        store.close()
        raise
    names = {s.label for s in stored}
    return Icd10Source([s for s in sets if s.label not in names] + stored, [*catalogs, store], store.recovered)


def attach(packs: RulePacks, option: Path | Literal[False] | None) -> Icd10Source:
    """The source a run reads (the store the location rules find, if any, over the shipped releases), set as
    `packs.icd10` for DX001."""
    path = LOCATION.for_run(option)
    source = open_source(path)
    packs.icd10 = source
    for done in source.recovered:
        log.warning("icd10.recovered", file=path.name if path else None, what=done)
    log.info("icd10.source", releases=[s.label for s in source.sets])
    return source
