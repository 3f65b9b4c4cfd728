"""Pack files are parsed once per process for the same text (packs/files.py), and never served stale."""

from __future__ import annotations

from pathlib import Path

from edi837.packs import load_packs
from edi837.packs.files import PackFile


def test_an_edited_pack_is_seen_by_the_next_load(tmp_path: Path) -> None:
    # A watcher or a batch loads the packs for every file: an edit between two files must take effect.
    payers = tmp_path / "payers"
    payers.mkdir()
    profile = payers / "medicare.toml"
    profile.write_text('[payer]\ndistinct_modifier = "XS"\n')
    assert load_packs(tmp_path).profile_for("X", "MB").distinct_modifier == "XS"
    profile.write_text('[payer]\ndistinct_modifier = "XU"\n')
    assert load_packs(tmp_path).profile_for("X", "MB").distinct_modifier == "XU"
    profile.write_text('[payer]\ndistinct_modifier = "XS"\n')  # back to a text parsed before
    assert load_packs(tmp_path).profile_for("X", "MB").distinct_modifier == "XS"


def test_each_load_gets_its_own_copy_of_the_data(tmp_path: Path) -> None:
    pack = tmp_path / "config.toml"
    pack.write_text('select = ["NC001"]\n[rules.TU001]\nunit_method = "cms-total"\n')
    first = PackFile(pack, tmp_path)
    first.data["select"].append("changed by a caller")
    first.data["rules"]["TU001"]["unit_method"] = "changed too"
    second = PackFile(pack, tmp_path)
    assert second.data == {"select": ["NC001"], "rules": {"TU001": {"unit_method": "cms-total"}}}
