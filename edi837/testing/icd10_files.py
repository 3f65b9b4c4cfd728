"""Files in the layout of the CMS/CDC ICD-10-CM code downloads, made up, for tests and the bench.

What the importer must survive is the layout, which these files reproduce: the order file (order number,
code without its dot in 7 characters, the 0/1 header flag, a 60-character short description, the long
description; CRLF line ends), the codes file (billable codes only, the code in 7 characters then the
description), both in a ZIP named as the CDC names it, beside an addenda file and a PDF that are not code
sets. Descriptions are invented ("synthetic ... M545"); the codes and flags a spec lists are the test's
facts, each written from the CMS release it stands for.

A rule case names its releases as a small TOML spec (`icd10 = "icd10/releases.toml"`):

```toml
[[release]]
version = "FY2022"           # the release: FY2022 (October) or FY2022-04 (an April 1 update)
kind = "order"               # or "codes" (billable codes only)
billable = ["M5450", ...]    # codes valid for submission
headers = ["M54", "M545"]    # categories and subcategories (order files only)
```

`icd10_database` writes the spec's releases as CMS files, one ZIP each, and imports them through the real
importer, so a case runs the whole path: layout, detection, parsing, the store, the lookups by date.
"""

from __future__ import annotations

import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from edi837.icd10.formats import CODES, ORDER, parse_version
from edi837.testing.stores import store_for

NOTICE = "Synthetic test data in the layout of the CDC ICD-10-CM files, made by edi837."


def order_name(version: str) -> str:
    """The order file's name as the CDC writes it: icd10cm-order-2026.txt, icd10cm-order-April-1-2026.txt."""
    return f"icd10cm-order-{_when(version)}.txt"


def codes_name(version: str) -> str:
    return f"icd10cm-codes-{_when(version)}.txt"


def zip_name(version: str) -> str:
    return f"icd10cm-Code Descriptions-{_when(version)}.zip"


def _when(version: str) -> str:
    release = parse_version(version)
    if release is None:
        raise ValueError(f"{version}: not a release (FY2026, FY2026-04)")
    if release.effective.month == 10:
        return str(release.fiscal_year)
    return f"{release.effective:%B}-1-{release.effective.year}"


def _description(code: str, billable: bool) -> str:
    return f"Synthetic {'code' if billable else 'header'} {code}"


def write_order(path: Path, codes: Iterable[tuple[str, int]]) -> Path:
    """An order file: every code, sorted, numbered from 1 (CRLF, ASCII)."""
    lines = []
    for number, (code, billable) in enumerate(sorted(codes), start=1):
        text = _description(code, bool(billable))
        lines.append(f"{number:05d} {code:<7} {billable} {text[:60]:<60} {text}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))
    return path


def write_codes(path: Path, codes: Iterable[str]) -> Path:
    """A codes file: the billable codes only, sorted."""
    lines = [f"{code:<7} {_description(code, True)}" for code in sorted(codes)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))
    return path


def write_release(folder: Path, version: str, billable: Sequence[str], headers: Sequence[str] = (), *,
                  kind: str = ORDER, zipped: bool = True) -> Path:
    """One release's files: the ZIP as downloaded (its order and codes files, an addenda file and a PDF), or
    the extracted file of `kind`."""
    order = write_order(folder / order_name(version), [*((c, 1) for c in billable), *((c, 0) for c in headers)])
    codes = write_codes(folder / codes_name(version), billable)
    if not zipped:
        return codes if kind == CODES else order
    archive = folder / zip_name(version)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        if kind == ORDER:
            out.write(order, order.name)
        out.write(codes, codes.name)
        out.writestr(f"icd10cm-codes-addenda-{_when(version)}.txt", "Add:    A000    Synthetic addendum\r\n")
        out.writestr(f"icd10cm-Order-Files-{_when(version)}.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"\x00" * 64)
    return archive


def write_spec(spec: Path, folder: Path) -> list[Path]:
    """The CMS-layout files a TOML spec describes (see the module's documentation)."""
    data = tomllib.loads(spec.read_text(encoding="utf-8"))
    return [write_release(folder, str(r["version"]), [str(c) for c in r.get("billable", [])],
                          [str(c) for c in r.get("headers", [])], kind=str(r.get("kind", ORDER)),
                          zipped=bool(r.get("zip", True)))
            for r in data.get("release", [])]


def icd10_database(source: Path) -> Path:
    """A store for a rule case: `source` is a spec (.toml, written as CMS files and imported), an ICD-10-CM
    store, or CMS files (a ZIP, a file, or a folder of them) to import. Built once per process."""
    from edi837.icd10.load import import_files

    return store_for(source, name="icd10cm.sqlite3", write_spec=write_spec, import_files=import_files)
