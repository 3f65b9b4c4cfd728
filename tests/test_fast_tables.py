"""The fast gate's tables are tied to the pyx12 maps they were compiled from.

Why: the fast validator reproduces what pyx12 4.0.0 does with these very map files. A pyx12 upgrade
that changes a map (or the code reading it) must not go unnoticed: the first test fails, which is the
signal to re-run the differential test and bench/gate_agreement.py, then update edi837/gate/maps.py.
Meanwhile the gate itself falls back to the full pyx12 pass (`reviewed()` is False).
"""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from edi837.gate import cache, maps
from edi837.gate.tables import compile_tables


def test_the_installed_maps_are_the_reviewed_ones() -> None:
    assert maps.pyx12_version() == maps.REVIEWED_PYX12
    assert maps.maps_sha256() == maps.REVIEWED_MAPS_SHA256
    assert maps.reviewed()


def test_the_cached_tables_are_those_compiled_from_the_installed_maps() -> None:
    loaded = cache.load_tables()
    assert loaded.checksum == maps.maps_sha256()
    assert loaded.to_plain() == compile_tables().to_plain()


def test_tables_cached_for_other_maps_are_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDI837_CACHE_DIR", str(tmp_path))
    checksum = maps.maps_sha256()
    fresh = compile_tables()
    # a cache file under the right name whose content came from other maps (another checksum)
    plain = list(fresh.to_plain())
    plain[1] = "0" * 64
    first_node = list(plain[2][0])
    first_node[1] = "FORGED"
    plain[2] = [tuple(first_node), *plain[2][1:]]
    (tmp_path / cache.cache_name(checksum)).write_bytes(marshal.dumps(tuple(plain)))
    cache.load_tables.cache_clear()
    try:
        loaded = cache.load_tables()
        assert loaded.checksum == checksum
        assert loaded.nodes[0].xid != "FORGED"
        # and the stale file was replaced by the right tables
        again = cache.Tables.from_plain(marshal.loads((tmp_path / cache.cache_name(checksum)).read_bytes()))
        assert again.checksum == checksum
    finally:
        cache.load_tables.cache_clear()


def test_a_changed_map_file_changes_the_checksum(monkeypatch: pytest.MonkeyPatch) -> None:
    real = maps.map_bytes

    def edited(name: str) -> bytes:
        data = real(name)
        return data.replace(b"<max_use>1</max_use>", b"<max_use>2</max_use>", 1) if name == maps.MAP_837 else data

    maps.maps_sha256.cache_clear()
    monkeypatch.setattr(maps, "map_bytes", edited)
    try:
        assert maps.maps_sha256() != maps.REVIEWED_MAPS_SHA256
        assert not maps.reviewed()
    finally:
        monkeypatch.undo()
        maps.maps_sha256.cache_clear()
