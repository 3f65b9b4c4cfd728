"""pyx12's installed map files, their checksum, and whether the fast gate may trust them.

Why a checksum: the fast validator (`edi837.gate.fast`) is compiled from these very files and reproduces
what pyx12 4.0.0 does with them. A pyx12 release that changes a map, or the walker that reads it, could
make the fast validator accept something the new pyx12 rejects. So the pair (pyx12 version, checksum of
the map files) it was reviewed against is written down here; when the installed pair differs, the gate
falls back to a full pyx12 pass (slow, never wrong) and `tests/test_fast_tables.py` fails, which is the
signal to re-run the differential test and bench/gate_agreement.py against the new release and then
update the two constants below.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files

# The files pyx12 reads to validate an 837P 005010X222A1: the implementation guide's map, the control
# segments' map (ISA), the data element definitions, the external code lists, and the index that picks
# the map from GS08.
MAP_837 = "837.5010.X222.A1.xml"
MAP_CONTROL = "x12.control.00501.xml"
DATA_ELEMENTS = "dataele.xml"
CODES = "codes.xml"
MAP_INDEX = "maps.xml"
MAP_FILES = (MAP_837, MAP_CONTROL, DATA_ELEMENTS, CODES, MAP_INDEX)

REVIEWED_PYX12 = "4.0.0"
REVIEWED_MAPS_SHA256 = "01db3d8d229ee9a6b813b36bf2ea796ba3f3baf2dd8ca9431233efd87cfb77a6"


def map_bytes(name: str) -> bytes:
    """The bytes of one of pyx12's installed map files."""
    return files("pyx12").joinpath("map", name).read_bytes()


@cache
def maps_sha256() -> str:
    """SHA-256 over the names and bytes of MAP_FILES, in that order."""
    digest = hashlib.sha256()
    for name in MAP_FILES:
        data = map_bytes(name)
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


@cache
def pyx12_version() -> str:
    from pyx12.version import __version__

    return str(__version__)


def reviewed() -> bool:
    """True when the installed pyx12 and its maps are the ones the fast validator was checked against."""
    return pyx12_version() == REVIEWED_PYX12 and maps_sha256() == REVIEWED_MAPS_SHA256
