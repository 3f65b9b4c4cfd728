"""Files in the layout of the CMS NCCI practitioner PTP and MUE downloads, made up, for tests and the bench.

Why generated and never committed: the CMS files carry CPT content licensed by the AMA, so the project
ships none of them; what the importer must survive is their *layout*, which these files reproduce: for
PTP, latin-1 text with CRLF line ends, a notice (with a byte outside ASCII) and a title, column headings
wrapped over four lines, tab-separated rows, deletion "*", keys repeated with other windows and
indicators, four parts per version, each in a ZIP named as CMS names it; for MUE, a CSV whose quoted
notice spans lines, whose header's first cell holds a line break, whose indicator cells read like "3
Date of Service Edit: Clinical", and some of whose values are blank or confidential. Every row is
invented: a code pair here says nothing about the real edits.

A rule case names its NCCI data as a small TOML spec (`ncci = "ncci/spec.toml"`); `ncci_database`
writes the spec's rows into such files and imports them through the real importer, so a case runs the
whole path: layout, detection, parsing, the store and the lookups by date of service.
"""

from __future__ import annotations

import argparse
import heapq
import random
import struct
import tomllib
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from edi837.exits import ExitCode
from edi837.ncci.formats import PTP_PARTS, SYNTHETIC_MARK, quarter_start
from edi837.testing.stores import store_for

# The mark comes first: `ncci status`, `ncci lookup` and every record citing the file then say it is synthetic
# (edi837.ncci.formats.is_synthetic); a CMS file begins with the AMA's notice instead.
NOTICE = (f"{SYNTHETIC_MARK.decode()}: synthetic test data in the layout of the CMS NCCI files, made by edi837; no "
          "CMS edit and no CPT description is in it. CPT\u00ae codes are used as identifiers only.")
PTP_TITLE = "Column1/Column2 Edits"
PTP_HEADINGS = (
    ("Column 1", "Column 2", "*=in existence", "Effective", "Deletion", "Modifier", "PTP Edit Rationale"),
    ("", "", "prior to 1996", "Date", "Date", "0=not allowed", ""),
    ("", "", "", "", "*=no data", "1=allowed", ""),
    ("", "", "", "", "", "9=not applicable", ""),
)
MUE_HEADER = ("HCPCS/\nCPT Code", "Practitioner Services MUE Values", "MUE Adjudication Indicator", "MUE Rationale")
MAI_TEXT = {1: "1 Line Edit", 2: "2 Date of Service Edit: Policy", 3: "3 Date of Service Edit: Clinical"}


@dataclass(frozen=True)
class PtpEdit:
    """One PTP row as the file writes it (dates YYYYMMDD, deletion "*" when none)."""

    column1: str
    column2: str
    effective: str
    deletion: str = "*"
    indicator: int = 1
    prior_1996: bool = False
    rationale: str = "Standards of medical / surgical practice"

    def line(self) -> str:
        return "\t".join((self.column1, self.column2, "*" if self.prior_1996 else "", self.effective, self.deletion,
                          str(self.indicator), self.rationale))


@dataclass(frozen=True)
class MueEntry:
    """One MUE row: the value as written ("4", "" or a word such as "Confidential")."""

    code: str
    value: str
    indicator: int
    rationale: str = "Clinical: Data"


def ptp_name(version: str, part: int) -> str:
    return f"ccipra-{version}-f{part}.txt"


def ptp_zip_name(version: str, part: int) -> str:
    return f"medicare-ncci-practitioner-ptp-edits-ccipra-{version}-f{part}.zip"


def mue_name(version: str) -> str:
    start = quarter_start(version)
    return f"MCR_MUE_PractitionerServices_Eff_{start:%m-%d-%Y}.csv"


def mue_zip_name(version: str) -> str:
    return f"medicare-ncci-{version}-practitioner-services-mue-table.zip"


def write_ptp(path: Path, edits: Iterable[PtpEdit]) -> Path:
    """A PTP text file: notice, title, wrapped headings, rows; latin-1, CRLF. Streams (millions of rows)."""
    with path.open("w", encoding="latin-1", newline="\r\n") as out:
        out.write(f"{NOTICE}\n\n{PTP_TITLE}\n")
        out.writelines("\t".join(row) + "\n" for row in PTP_HEADINGS)
        batch: list[str] = []
        for edit in edits:
            batch.append(edit.line())
            if len(batch) >= 10000:
                out.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            out.write("\n".join(batch) + "\n")
    return path


def write_mue(path: Path, entries: Iterable[MueEntry], version: str) -> Path:
    """An MUE CSV: a quoted notice over two lines, the header with a line break in its first cell, rows."""
    start = quarter_start(version)
    with path.open("w", encoding="cp1252", newline="") as out:
        out.write(f'"{NOTICE}\r\nPractitioner Services MUE table, effective {start:%B} 1, {start.year}."\r\n')
        out.write(",".join(f'"{cell}"' for cell in MUE_HEADER) + "\r\n")
        for entry in entries:
            out.write(f'{entry.code},{entry.value},"{MAI_TEXT[entry.indicator]}","{entry.rationale}"\r\n')
    return path


def zip_file(path: Path, files: Sequence[Path]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.write(file, file.name)
    return path


def deflate_bomb(path: Path, name: str, head: bytes, block: bytes, total: int) -> Path:
    """A ZIP of one entry `name` that inflates to `head` then `block` repeated up to about `total` bytes: what a
    1.6 GB "MUE table" in a 5 MB download looks like to the importer. Written by hand from one compressed
    copy of `block` (a full flush resets deflate's window, so every copy compresses to the same bytes):
    seconds to write however large it inflates, with the right sizes and CRC in its headers."""
    copies = max(1, (total - len(head)) // len(block))
    size = len(head) + copies * len(block)
    if size >= 1 << 32:
        raise ValueError("under 4 GB: no ZIP64 headers are written")
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    copy = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.flush()
    crc = zlib.crc32(head)
    for _ in range(copies):
        crc = zlib.crc32(block, crc)
    packed = len(start) + copies * len(copy) + len(end)
    raw = name.encode()
    with path.open("wb") as out:
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, packed, size, len(raw), 0) + raw)
        out.write(start)
        for _ in range(copies):
            out.write(copy)
        out.write(end)
        directory = out.tell()
        entry = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, packed, size, len(raw), 0, 0, 0,
                            0, 0, 0) + raw
        out.write(entry)
        out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(entry), directory, 0))
    return path


def _filler(part: int) -> PtpEdit:
    """A row for a part the spec gives none (a CMS part always has rows): indicator 9, never in force."""
    return PtpEdit("Z9990", f"Z999{part}", "19960101", "19960101", 9, rationale="filler")


def write_ptp_version(folder: Path, version: str, parts: Sequence[Iterable[PtpEdit]], *,
                      zipped: bool = True) -> list[Path]:
    """A whole PTP version, one file per part (f1 ... f4), each in its own ZIP as CMS ships it."""
    files = []
    for part, edits in enumerate(parts, start=1):
        text = write_ptp(folder / ptp_name(version, part), edits)
        files.append(zip_file(folder / ptp_zip_name(version, part), [text]) if zipped else text)
        if zipped:
            text.unlink()
    return files


def deal(edits: Sequence[PtpEdit]) -> list[list[PtpEdit]]:
    """A few rows dealt over the four parts (a part the rows do not reach gets a filler row)."""
    return [list(edits[part - 1::PTP_PARTS]) or [_filler(part)] for part in range(1, PTP_PARTS + 1)]


def write_spec(spec: Path, folder: Path) -> list[Path]:
    """The CMS-layout files a TOML spec describes: `[ptp] version, zip, rows = [[c1, c2, effective, deletion,
    indicator], ...]` (dates YYYYMMDD, deletion "*" for none) and `[mue] version, rows = [[code, value, MAI]]`;
    `[[ptp_versions]]` tables give more PTP versions."""
    data = tomllib.loads(spec.read_text(encoding="utf-8"))
    files: list[Path] = []
    for ptp in [*([data["ptp"]] if "ptp" in data else []), *data.get("ptp_versions", [])]:
        edits = [PtpEdit(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), *r[5:]) for r in ptp["rows"]]
        files += write_ptp_version(folder, str(ptp.get("version", "v321r0")), deal(edits), zipped=ptp.get("zip", True))
    if "mue" in data:
        version = str(data["mue"].get("version", "2026-q1"))
        entries = [MueEntry(str(r[0]), str(r[1]), int(r[2]), *r[3:]) for r in data["mue"]["rows"]]
        files.append(write_mue(folder / mue_name(version), entries, version))
    return files


def ncci_database(source: Path) -> Path:
    """A database for a rule case: `source` is a spec (.toml, written as CMS files and imported), an NCCI
    database, or CMS files (a ZIP, a table, or a folder of them) to import. Built once per process."""
    from edi837.ncci.load import import_files

    return store_for(source, name="ncci.sqlite3", write_spec=write_spec, import_files=import_files)


# --- files of the real size, for bench/ncci.py ----------------------------------------------------------------
# The codes the 837 generator bills get exactly the pairs the shipped packs/ncci.toml gives them, and no random
# row touches them: a run with the database then finds what a run without it finds, and the bench measures
# what the database costs (lookups, pre-checks), not extra findings.
BILLED_CODES = frozenset({"98940", "98941", "98942", "97140", "97530", "97110", "97112", "97116", "97035", "99213"})
THERAPY_EDITS = (
    PtpEdit("98940", "97140", "20020401"), PtpEdit("98941", "97140", "20020401"), PtpEdit("98942", "97140", "20020401"),
    PtpEdit("97140", "97530", "20000101"),
)


def _codes(rng: random.Random, count: int) -> list[str]:
    numeric = rng.sample(range(10000, 99999), count * 3 // 4)
    letters = "ABCEGHJKLMPQRSTV"
    hcpcs = {f"{rng.choice(letters)}{rng.randrange(10000):04d}" for _ in range(count - len(numeric))}
    return sorted(({f"{n:05d}" for n in numeric} | hcpcs) - BILLED_CODES)


def random_ptp(rows: int, *, seed: int = 0, codes: int = 12000) -> Iterator[PtpEdit]:
    """Exactly `rows` PTP rows ordered by column 1, then column 2, as CMS writes them, the therapy edits among
    them: about one key in ten repeated with another window and indicator, deletions "*", indicator 9 rows
    deleted the day they took effect; never a key repeated with the same window (a CMS file has none, and
    the importer refuses one)."""
    therapy = sorted(THERAPY_EDITS[:rows], key=_key)
    yield from heapq.merge(therapy, _random_rows(rows - len(therapy), seed, codes), key=_key)


def _key(edit: PtpEdit) -> tuple[str, str]:
    return edit.column1, edit.column2


def _random_rows(left: int, seed: int, codes: int) -> Iterator[PtpEdit]:
    if left <= 0:
        return
    rng = random.Random(seed)
    pool = _codes(rng, codes)
    per_code = -(-left // len(pool))  # every column 1 gets at least this many rows: the pool reaches `left`
    for column1 in pool:
        for column2 in sorted(rng.sample(pool, min(len(pool), rng.randint(per_code, 2 * per_code)))):
            for edit in _history(rng, column1, column2)[:left]:
                yield edit
                left -= 1
            if left <= 0:
                return


def _history(rng: random.Random, column1: str, column2: str) -> list[PtpEdit]:
    """One key's rows: one window, or (one key in ten) an earlier window at indicator 1 before it."""
    edits = []
    effective = f"{rng.randint(1996, 2025)}{rng.choice(('01', '04', '07', '10'))}01"
    if rng.random() < 0.1:
        edits.append(PtpEdit(column1, column2, effective, f"{int(effective[:4]) + 1}0101", 1))
        effective = f"{int(effective[:4]) + 1}0101"
    deletion = "*" if rng.random() < 0.8 else f"{int(effective[:4]) + rng.randint(1, 5)}0101"
    indicator = rng.choice((0, 1, 1, 1))
    if rng.random() < 0.02:
        deletion, indicator = effective, 9
    edits.append(PtpEdit(column1, column2, effective, deletion, indicator, prior_1996=effective < "1996"))
    return edits


def parts_of(rows: int) -> list[int]:
    """How `rows` rows are dealt over a version's four files: as evenly as they go, none empty from 4 rows."""
    if rows < PTP_PARTS:
        raise ValueError(f"a PTP version is {PTP_PARTS} files, each with rows: at least {PTP_PARTS} rows, not {rows}")
    return [rows // PTP_PARTS + (part < rows % PTP_PARTS) for part in range(PTP_PARTS)]


def write_big_version(folder: Path, version: str, rows: int, *, seed: int = 0) -> list[Path]:
    """A PTP version of exactly `rows` rows over four zipped parts, streamed (never all rows in memory)."""
    edits = random_ptp(rows, seed=seed)
    return write_ptp_version(folder, version, [islice(edits, count) for count in parts_of(rows)])


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m edi837.testing.ncci_files --ptp-rows N --out DIR`: a generated PTP version and MUE table."""
    parser = argparse.ArgumentParser(description="Write CMS-layout NCCI files of invented rows, marked synthetic.")
    parser.add_argument("--ptp-rows", type=int, default=100000,
                        help=f"rows of the PTP version, dealt over its {PTP_PARTS} files (at least {PTP_PARTS})")
    parser.add_argument("--version", default="v321r0")
    parser.add_argument("--mue-version", default="2026-q1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.ptp_rows < PTP_PARTS:
        parser.error(f"--ptp-rows {args.ptp_rows}: a PTP version is {PTP_PARTS} files and each needs a row; give at "
                     f"least {PTP_PARTS}")
    args.out.mkdir(parents=True, exist_ok=True)
    for path in write_big_version(args.out, args.version, args.ptp_rows, seed=args.seed):
        print(path)
    print(zip_file(args.out / mue_zip_name(args.mue_version),
                   [write_mue(args.out / mue_name(args.mue_version), random_mue(), args.mue_version)]))
    return ExitCode.OK


def random_mue(*, seed: int = 0, codes: int = 12000) -> list[MueEntry]:
    """An MUE table over the generator's codes: values 1-8 and a few blank or confidential, MAI 1-3."""
    rng = random.Random(seed)
    entries = [MueEntry(code, rng.choice(("", "Confidential")) if rng.random() < 0.01 else str(rng.randint(1, 8)),
                        rng.choice((1, 2, 3, 3))) for code in _codes(random.Random(seed), codes)]
    billed = [MueEntry(c, "4", 3) for c in ("97110", "97112", "97116", "97140", "97530", "97035")]
    billed += [MueEntry(c, "1", 2) for c in ("98940", "98941", "98942", "99213")]
    return sorted([*entries, *billed], key=lambda e: e.code)


if __name__ == "__main__":
    raise SystemExit(main())
