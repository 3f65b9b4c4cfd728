"""Where the shipped data folders (`packs/`, `segments/`) are found.

In a wheel they sit inside the package as `edi837/_data/packs` and `edi837/_data/segments`, placed there
by hatchling's force-include. In an
editable install or a plain checkout they sit at the top of the repository, one level above the
package. Looking in that order means an installed edi837 never reads a stray folder from the current
directory.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """The shipped data folder `name` ("packs" or "segments")."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"edi837 is installed without its {name}/ data folder")
