"""The gazetteer of the bundled edition, and the tables shipped beside the reconciler."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from shared.models import RegionLevel
from shared.places import ALIASES_PATH, AliasTable, Gazetteer, PlaceTableError
from shared.places.names import ABBREVIATIONS_PATH, read_abbreviations


def test_the_bundled_edition_loads_every_region_with_its_parent(gazetteer: Gazetteer) -> None:
    levels = Counter(place.level for place in gazetteer.places.values())
    assert levels == {
        RegionLevel.province: 38,
        RegionLevel.regency: 514,
        RegionLevel.district: 7_285,
        RegionLevel.village: 83_762,
    }
    assert gazetteer.edition == "2025"
    lempake = gazetteer.places["64.72.05.1003"]
    assert (lempake.name, lempake.parent_code, lempake.key) == ("Lempake", "64.72.05", "LEMPAKE")
    for place in gazetteer.places.values():
        if place.level is not RegionLevel.province:
            assert place.parent_code in gazetteer.places


def test_a_misfiled_name_is_looked_for_one_level_above_its_parent(gazetteer: Gazetteer) -> None:
    villages = gazetteer.scope(RegionLevel.village, "64.72.04")  # Samarinda Ilir
    assert {p.code[:5] for p in villages.places} == {"64.72"}
    districts = gazetteer.scope(RegionLevel.district, "64.72")
    assert {p.code[:2] for p in districts.places} == {"64"}
    assert len(gazetteer.scope(RegionLevel.regency, "95").places) == 514


def test_the_shipped_tables_load(aliases: AliasTable) -> None:
    assert ALIASES_PATH.is_file()
    assert len(aliases) >= 40
    table = read_abbreviations(ABBREVIATIONS_PATH)
    assert table["KEP"] == ("KEPULAUAN",)
    assert table["SEI"] == ("SUNGAI",)


def test_a_bad_abbreviation_row_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "abbreviations.csv"
    path.write_text("abbreviation,expansion\nTG,TANJUNG\nTG BARU,X\nKP,\n", encoding="utf-8")
    with pytest.raises(PlaceTableError) as caught:
        read_abbreviations(path)
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (3, "abbreviation"),
        (4, "expansion"),
    ]
