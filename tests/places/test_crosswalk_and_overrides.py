"""Source ids: the crosswalk one snapshot teaches the next, and operations' overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.models import RegionLevel
from shared.places import (
    AliasTable,
    Crosswalk,
    CrosswalkEntry,
    CsvCrosswalkStore,
    Gazetteer,
    Outcome,
    PlaceRow,
    PlaceTableError,
    Reconciler,
    load_aliases,
    load_crosswalk,
    read_overrides,
    save_crosswalk,
)


def simkopdes_row(province: str, regency: str, province_id: str, regency_id: str) -> PlaceRow:
    return PlaceRow.of(province, regency, province_id=province_id, regency_id=regency_id)


FIRST = [
    simkopdes_row("SUMATERA SELATAN", "KAB. OKU TIMUR", "6", "105"),
    simkopdes_row("KALIMANTAN TIMUR", "KOTA SAMARINDA", "23", "356"),
    simkopdes_row("PAPUA BARAT DAYA", "KAB. RAJA AMPAT", "38", "499"),
    simkopdes_row("PAPUA PEGUNUNGAN", "KAB. RAJA AMPAT", "37", "499"),  # misfiled
    simkopdes_row("PAPUA PEGUNUNGAN", "KAB. JAYAWIJAYA", "37", "490"),
    simkopdes_row("PAPUA SELATAN", "Fukuoka", "35", "6229"),  # unknown
]


def test_a_second_snapshot_is_matched_by_the_ids_the_first_taught(
    gazetteer: Gazetteer, aliases: AliasTable, tmp_path: Path
) -> None:
    store = CsvCrosswalkStore(tmp_path / "crosswalks")
    crosswalk = load_crosswalk(store, "simkopdes")
    assert len(crosswalk) == 0
    first = Reconciler(gazetteer, aliases=aliases, crosswalk=crosswalk).reconcile_all(FIRST)
    learned = crosswalk.learn(first.matches)
    # Provinces 6, 23, 38, 37, 35 and regencies 105, 356, 499, 490: the misfiled level and
    # the unknown one teach nothing.
    assert learned.added == 9
    assert crosswalk.code(RegionLevel.regency, "105") == "16.08"
    assert crosswalk.code(RegionLevel.regency, "499") == "96.03"
    assert crosswalk.code(RegionLevel.regency, "6229") is None
    assert crosswalk[RegionLevel.regency, "105"].outcome is Outcome.matched_alias
    save_crosswalk(store, "simkopdes", crosswalk)

    # The next snapshot respells names beyond any fuzzy match; the ids still hold.
    reloaded = load_crosswalk(store, "simkopdes")
    assert dict(reloaded) == dict(crosswalk)
    second = Reconciler(gazetteer, aliases=aliases, crosswalk=reloaded).reconcile_all(
        [
            simkopdes_row("SUMSEL", "KAB. O.K.U. TIMUR (BATURAJA)", "6", "105"),
            simkopdes_row("KALTIM", "SAMARINDA KOTA", "23", "356"),
            simkopdes_row("PAPUA PEGUNUNGAN", "RAJA AMPAT", "37", "499"),
            simkopdes_row("PAPUA PEGUNUNGAN", "KAB. JAYAWIJAYA", "37", "490"),
        ]
    )
    codes = [(m.outcome, m.code) for m in second.matches]
    assert codes[:2] == [(Outcome.matched_crosswalk, "16.08"), (Outcome.matched_crosswalk, "64.72")]
    # An id that belongs to another parent still makes the row misfiled, naming the parent.
    assert codes[2] == (Outcome.misfiled, None)
    assert "Papua Barat Daya (96)" in second.matches[2].reason
    assert codes[3] == (Outcome.matched_crosswalk, "95.01")
    # Learning from a snapshot matched by the crosswalk keeps how each id was first decided.
    again = reloaded.learn(second.matches)
    assert (again.added, again.changed, again.conflicts) == (0, [], {})
    assert reloaded[RegionLevel.regency, "105"].outcome is Outcome.matched_alias


def test_an_id_matched_to_two_codes_is_a_conflict_and_is_not_learned(
    gazetteer: Gazetteer, aliases: AliasTable
) -> None:
    rows = [
        simkopdes_row("JAWA BARAT", "KAB. BOGOR", "12", "154"),
        simkopdes_row("JAWA BARAT", "KOTA BOGOR", "12", "154"),
    ]
    crosswalk = Crosswalk()
    result = Reconciler(gazetteer, aliases=aliases).reconcile_all(rows)
    learned = crosswalk.learn(result.matches)
    assert learned.conflicts == {(RegionLevel.regency, "154"): {"32.01", "32.71"}}
    assert crosswalk.code(RegionLevel.regency, "154") is None
    assert crosswalk.code(RegionLevel.province, "12") == "32"


def test_a_crosswalk_code_the_edition_no_longer_has_falls_back_to_names(
    gazetteer: Gazetteer, aliases: AliasTable
) -> None:
    stale = Crosswalk([CrosswalkEntry(RegionLevel.regency, "356", "64.99", "KOTA SAMARINDA")])
    match = Reconciler(gazetteer, aliases=aliases, crosswalk=stale).reconcile(
        simkopdes_row("KALIMANTAN TIMUR", "KOTA SAMARINDA", "23", "356")
    )
    assert (match.outcome, match.code) == (Outcome.matched, "64.72")
    assert "64.99" in match.reason


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_an_override_wins_over_names_crosswalk_and_parents(
    gazetteer: Gazetteer, aliases: AliasTable, tmp_path: Path
) -> None:
    overrides = read_overrides(
        write(tmp_path / "overrides.csv", "source_id,code\n480,93.03\n6229,93.01\n356,64.74\n")
    )
    assert overrides == {
        (RegionLevel.regency, "480"): "93.03",
        (RegionLevel.regency, "6229"): "93.01",
        (RegionLevel.regency, "356"): "64.74",
    }
    crosswalk = Crosswalk([CrosswalkEntry(RegionLevel.regency, "356", "64.72", "KOTA SAMARINDA")])
    reconciler = Reconciler(gazetteer, aliases=aliases, crosswalk=crosswalk, overrides=overrides)
    mappi = reconciler.reconcile(simkopdes_row("PAPUA", "KAB. MAPPI", "33", "480"))
    fukuoka = reconciler.reconcile(simkopdes_row("PAPUA SELATAN", "Fukuoka", "35", "6229"))
    samarinda = reconciler.reconcile(
        simkopdes_row("KALIMANTAN TIMUR", "KOTA SAMARINDA", "23", "356")
    )
    assert (mappi.outcome, mappi.code) == (Outcome.matched_override, "93.03")
    # The override fixes the levels above it too: the row said Papua, the override says 93.
    assert [(m.code, m.outcome) for m in mappi.levels] == [
        ("93", Outcome.matched_override),
        ("93.03", Outcome.matched_override),
    ]
    assert "implied by the override of regency id 480" in mappi.levels[0].reason
    assert (fukuoka.outcome, fukuoka.code) == (Outcome.matched_override, "93.01")
    assert (samarinda.outcome, samarinda.code) == (Outcome.matched_override, "64.74")
    # Levels below an override are matched by name under the overridden place.
    below = reconciler.reconcile(PlaceRow(("X", "Y", "Bontang Utara"), (None, "356", None)))
    assert [m.code for m in below.levels] == ["64", "64.74", "64.74.01"]
    assert below.outcome is Outcome.matched_override


def test_an_override_to_a_code_the_edition_lacks_leaves_the_row_unknown(
    gazetteer: Gazetteer, aliases: AliasTable
) -> None:
    reconciler = Reconciler(
        gazetteer, aliases=aliases, overrides={(RegionLevel.regency, "356"): "64.99"}
    )
    match = reconciler.reconcile(simkopdes_row("KALIMANTAN TIMUR", "KOTA SAMARINDA", "23", "356"))
    assert [m.outcome for m in match.levels] == [Outcome.matched, Outcome.unknown]
    assert "64.99" in match.reason


def test_a_bad_overrides_file_is_refused_naming_every_line_field_and_reason(tmp_path: Path) -> None:
    path = write(
        tmp_path / "overrides.csv",
        "Source_ID,Code\n480,93.03\n,93.01\n12,64.7\n480,93.04\n\n7,64.72.05.1003\n",
    )
    with pytest.raises(PlaceTableError) as caught:
        read_overrides(path)
    assert [(p.line, p.field, p.value) for p in caught.value.problems] == [
        (3, "source_id", ""),
        (4, "code", "64.7"),
        (5, "code", "93.04"),
    ]
    assert "line 2 gives this regency id the code 93.03" in caught.value.problems[2].reason
    assert "overrides.csv line 4, code '64.7': not an official code" in str(caught.value)
    with pytest.raises(PlaceTableError, match="missing column"):
        read_overrides(write(tmp_path / "no-code.csv", "source_id\n480\n"))
    with pytest.raises(PlaceTableError, match="does not exist"):
        read_overrides(tmp_path / "absent.csv")


def test_a_crosswalk_file_is_written_whole_and_checked_when_read(tmp_path: Path) -> None:
    store = CsvCrosswalkStore(tmp_path)
    entries = [
        CrosswalkEntry(
            RegionLevel.regency, "105", "16.08", "KAB. OKU TIMUR", Outcome.matched_alias
        ),
        CrosswalkEntry(RegionLevel.province, "6", "16", "SUMATERA SELATAN"),
    ]
    save_crosswalk(store, "simkopdes", Crosswalk(entries))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["simkopdes.csv"]
    assert store.path("simkopdes").read_text().splitlines() == [
        "level,source_id,code,name,outcome",
        "province,6,16,SUMATERA SELATAN,matched",
        "regency,105,16.08,KAB. OKU TIMUR,matched_alias",
    ]
    with pytest.raises(ValueError, match="source name"):
        load_crosswalk(store, "../elsewhere")
    write(
        store.path("broken"),
        "level,source_id,code,name,outcome\nregency,1,16,X,matched\ncity,2,16.08,Y,matched\n",
    )
    with pytest.raises(PlaceTableError) as caught:
        load_crosswalk(store, "broken")
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "code"), (3, "level/outcome")]


def test_the_alias_table_is_checked_against_the_edition(
    gazetteer: Gazetteer, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "aliases.csv",
        "level,alias,official,note\n"
        "regency,KAB. OKU TIMUR,16.08,ok\n"
        "regency,BEKASI RAYA,Bekasi,two places have this name\n"
        "regency,KOTA PATRIOT,Kota Bekasi,by name\n"
        "city,X,16.08,\n"
        "district,KEC. X,16.08,a regency code\n",
    )
    with pytest.raises(PlaceTableError) as caught:
        load_aliases(gazetteer, path)
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (3, "official"),
        (5, "level"),
        (6, "official"),
    ]
    good = write(tmp_path / "good.csv", "level,alias,official\nregency,KOTA PATRIOT,Kota Bekasi\n")
    table = load_aliases(gazetteer, good)
    match = Reconciler(gazetteer, aliases=table).reconcile(PlaceRow(("JAWA BARAT", "KOTA PATRIOT")))
    assert (match.outcome, match.code) == (Outcome.matched_alias, "32.75")
