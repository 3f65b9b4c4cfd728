"""The manipulation and telehealth pack tables: shipped as the CPT descriptors and CMS code sets say, and
refused, with file and line, when a person writes a count or a code that cannot be right."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi837.errors import RulePackError
from edi837.packs import REGIONS, load_packs

SPINAL = {"cervical", "thoracic", "lumbar", "sacral", "pelvic"}
EXTRASPINAL = {"head", "upper_extremity", "lower_extremity", "rib_cage", "abdomen"}


def test_shipped_manipulation_codes_are_the_cpt_descriptors() -> None:
    """98940 spinal 1-2 regions, 98941 3-4, 98942 5, 98943 extraspinal 1 or more; OMT 98925 1-2 ... 98929 9-10 of
    ten body regions (CPT, as the sources in manipulation.toml quote it)."""
    codes = load_packs().manipulation
    expected = {"98940": (SPINAL, 1, 2), "98941": (SPINAL, 3, 4), "98942": (SPINAL, 5, 5),
                "98943": (EXTRASPINAL, 1, 5), "98925": (set(REGIONS), 1, 2), "98926": (set(REGIONS), 3, 4),
                "98927": (set(REGIONS), 5, 6), "98928": (set(REGIONS), 7, 8), "98929": (set(REGIONS), 9, 10)}
    assert {code: (set(c.regions), c.least, c.most) for code, c in codes.items()} == expected
    assert all(c.source for c in codes.values())
    assert (codes["98940"].count_words, codes["98942"].count_words, codes["98943"].count_words) == ("1-2", "5",
                                                                                                    "1 or more")


def test_shipped_telehealth_codes() -> None:
    """CMS POS 02 and 10; CPT 95 and 93, HCPCS GT, GQ and FQ."""
    telehealth = load_packs().telehealth
    assert set(telehealth.places) == {"02", "10"}
    assert set(telehealth.modifiers) == {"95", "93", "GT", "GQ", "FQ"}


@pytest.mark.parametrize("name, text, words", [
    ("manipulation.toml", '[families.x]\nkind = "spinal"\nregions = ["lumbar", "neck"]\nsource = "s"\n',
     "families.x.regions: each must be one of"),
    ("manipulation.toml", '[families.x]\nkind = "spinal"\nregions = ["lumbar"]\nsource = "s"\n'
                          '[families.x.codes]\n"98999" = { least = 2, most = 1, source = "s" }\n',
     "need 1 <= least <= most <= 1"),
    ("manipulation.toml", '[families.x]\nkind = "spinal"\nregions = ["lumbar"]\nsource = "s"\n'
                          '[families.x.codes]\n"98999" = { least = 1, most = 1 }\n',
     "must be text in quotes"),
    ("manipulation.toml", '[families.omt.codes]\n"98940" = { least = 1, most = 2, source = "s" }\n',
     "already in family"),
    ("telehealth.toml", '[places_of_service]\n"2" = { name = "x", source = "s" }\n', "not a 2-digit place of service"),
    ("telehealth.toml", '[modifiers]\n"95" = { name = "x", sorce = "s" }\n', "did you mean 'source'?"),
])
def test_a_wrong_table_is_refused_with_its_line(tmp_path: Path, name: str, text: str, words: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(RulePackError) as error:
        load_packs(tmp_path)
    assert words in str(error.value) and name in str(error.value) and " line " in str(error.value)
