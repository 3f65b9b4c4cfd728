"""The compiled tables, stored on disk keyed by the checksum of the map files they came from.

Why a cache: compiling pyx12's 1.1 MB map takes about 0.2 s, more than a small file's whole run; loading
the compiled tables with `marshal` takes a few milliseconds. Why keyed by the checksum: a different pyx12
(or a hand-edited map) gives a different key, so stale tables are never read. `marshal` and not `pickle`:
the file holds only tuples, strings, numbers and sets, and marshal cannot be made to run code.

Where: `EDI837_CACHE_DIR` if set, else `<venv>/var/cache/edi837` (works from a clean clone, no network,
nothing outside the environment), else `~/.cache/edi837`. A folder that cannot be written is skipped; with
none writable the tables are compiled in memory on every start. A damaged or foreign file is ignored
and replaced.
"""

from __future__ import annotations

import marshal
import os
import sys
import tempfile
from functools import cache
from pathlib import Path

from edi837.gate.maps import maps_sha256
from edi837.gate.tables import FORMAT, Tables, compile_tables


def cache_dirs() -> list[Path]:
    """Candidate folders, in order of preference."""
    chosen = os.environ.get("EDI837_CACHE_DIR")
    if chosen:
        return [Path(chosen)]
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return [Path(sys.prefix) / "var" / "cache" / "edi837", Path(home) / "edi837"]


def cache_name(checksum: str) -> str:
    return f"pyx12-tables-{FORMAT}-{checksum[:32]}.marshal"


def _read(path: Path, checksum: str) -> Tables | None:
    try:
        tables = Tables.from_plain(marshal.loads(path.read_bytes()))
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return tables if tables.checksum == checksum else None


def _write(folder: Path, name: str, tables: Tables) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".tables-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(marshal.dumps(tables.to_plain()))
            os.replace(temp, folder / name)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


@cache
def load_tables() -> Tables:
    """The tables for the installed maps: from the cache when it has them, else compiled (and stored)."""
    checksum = maps_sha256()
    name = cache_name(checksum)
    for folder in cache_dirs():
        found = _read(folder / name, checksum)
        if found is not None:
            return found
    tables = compile_tables()
    for folder in cache_dirs():
        if _write(folder, name, tables):
            break
    return tables
