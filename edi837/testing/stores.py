"""A CMS data store for a test or a rule case, built once per process from a spec, a store, or CMS files.

Shared by the NCCI and the ICD-10-CM test files (edi837.testing.ncci_files, icd10_files): a case names its
data as a small TOML spec, which is written as CMS-layout files and imported through the real importer, so
every case runs the whole path (layout, detection, parsing, the store, the lookups by date of service).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from edi837.datafiles.load import ImportRun

_BUILT: dict[tuple[str, Path, int], Path] = {}


def store_for(source: Path, *, name: str, write_spec: Callable[[Path, Path], list[Path]],
              import_files: Callable[[Path, Sequence[Path]], ImportRun[Any]]) -> Path:
    """The store `name` ("ncci.sqlite3") for `source`: a spec (.toml, written by `write_spec(spec, folder)`
    and imported), an existing store (returned as it is), or CMS files (a file, or a folder of them)."""
    key = (name, source.resolve(), source.stat().st_mtime_ns)
    if key in _BUILT:
        return _BUILT[key]
    if source.is_file():
        with source.open("rb") as probe:
            if probe.read(16) == b"SQLite format 3\x00":
                return source
    folder = Path(tempfile.mkdtemp(prefix=f"edi837-{name.split('.')[0]}-"))
    atexit.register(shutil.rmtree, folder, True)
    if source.suffix == ".toml":
        files = write_spec(source, folder)
    else:
        files = sorted(source.iterdir()) if source.is_dir() else [source]
    database = folder / name
    refused = [o.refused for o in import_files(database, files).outcomes if o.refused]
    if refused:
        raise ValueError(f"{source}: the test files were refused: {refused}")
    _BUILT[key] = database
    return database
