"""Writes the shipped ICD-10-CM table (edi837/icd10/data/) from the releases' code files.

    python -m edi837.icd10.build_shipped FY2021-01=order:icd10cm-order-Jan-2021.txt \\
        FY2025-04=list:code-list-April-2025.txt FY2026-04=list:code-list-April-2026.txt \\
        --source FY2021-01="..." ...

Each release is a CMS order file (`order:`, the layout edi837.icd10.formats reads: the billable flag is in
the file) or a list of every code of the release, headers included, one per line (`list:`, the layout of
the code lists simple-icd-10-cm ships beside the CDC's tabular XML): a code is billable when no other code
of the release extends it, which is what the order file's flag says (checked: on the FY2021 January order
file the two agree on all 95,358 codes). The table keeps codes and flags only, no descriptions.

Output: `icd10cm_shipped.txt.gz`, one line per code ever listed, sorted, `CODE<TAB>STATUS` with one character
per release ("1" billable, "0" header, "-" not listed), and `icd10cm_shipped.toml`, the releases in that
order with their source, counts and the sha256 of their input file.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

from edi837.exits import ExitCode
from edi837.icd10.formats import CM_CODE, ORDER, parse_version, read_codes

DATA = Path(__file__).resolve().parent / "data"
TABLE, RELEASES = "icd10cm_shipped.txt.gz", "icd10cm_shipped.toml"


def code_list(path: Path) -> dict[str, int]:
    """Every code of a list (headers included) with 1 for a leaf (billable), 0 for a header."""
    codes = sorted({line.split()[0] for line in path.read_text(encoding="latin-1").splitlines()
                    if line.strip() and CM_CODE.fullmatch(line.split()[0])})
    return {code: int(not (i + 1 < len(codes) and codes[i + 1].startswith(code))) for i, code in enumerate(codes)}


def order_file(path: Path) -> dict[str, int]:
    with path.open("rb") as stream:
        return dict(read_codes(stream, ORDER, path.name))


def build(releases: Sequence[tuple[str, str, Path, str]], out: Path) -> None:
    """Write the table and its release list for (version, "order"|"list", file, source) in release order."""
    sets = [(version, order_file(path) if how == "order" else code_list(path), path, source)
            for version, how, path, source in releases]
    every = sorted(set().union(*(codes for _, codes, _, _ in sets)))
    lines = [f"{code}\t" + "".join(str(codes[code]) if code in codes else "-" for _, codes, _, _ in sets)
             for code in every]
    out.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(out / TABLE, "wb", mtime=0) as table:  # mtime 0: the same inputs give the same bytes
        table.write(("\n".join(sorted(lines, key=str.encode)) + "\n").encode("ascii"))
    toml = ["# The releases of icd10cm_shipped.txt.gz, in the order of its status characters. Written by",
            "# `python -m edi837.icd10.build_shipped`; do not edit by hand.", ""]
    for version, codes, path, source in sets:
        release = parse_version(version)
        assert release is not None, version
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        toml += ["[[release]]", f'version = "{release.label}"', f'effective = "{release.effective}"',
                 f"fiscal_year = {release.fiscal_year}", f"codes = {len(codes)}", f"billable = {sum(codes.values())}",
                 f'file = "{path.name}"', f'sha256 = "{sha}"', f'source = "{source}"', ""]
    (out / RELEASES).write_text("\n".join(toml), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("releases", nargs="+", metavar="VERSION=order|list:FILE")
    parser.add_argument("--source", action="append", default=[], metavar="VERSION=TEXT")
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args(argv)
    sources = dict(s.split("=", 1) for s in args.source)
    releases = []
    for spec in args.releases:
        version, rest = spec.split("=", 1)
        how, file = rest.split(":", 1)
        releases.append((version, how, Path(file), sources.get(version, Path(file).name)))
    build(releases, args.out)
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
