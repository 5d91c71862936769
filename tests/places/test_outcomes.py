"""Each outcome of the reconciler, on the bundled 2025 edition and the domain's known cases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.models import RegionKind, RegionLevel
from shared.places import (
    LEVELS,
    AliasTable,
    Gazetteer,
    MatchPolicy,
    Outcome,
    Place,
    PlaceMatch,
    PlaceRow,
    Reconciler,
)


@pytest.fixture(scope="module")
def reconciler(gazetteer: Gazetteer, aliases: AliasTable) -> Reconciler:
    return Reconciler(gazetteer, aliases=aliases)


def reconcile(reconciler: Reconciler, *names: str) -> PlaceMatch:
    return reconciler.reconcile(PlaceRow(names))


def test_an_exact_name_matches_whatever_its_case_prefix_and_spacing(reconciler: Reconciler) -> None:
    match = reconcile(
        reconciler, "KALIMANTAN TIMUR", "KOTA SAMARINDA", "KEC. SAMARINDA UTARA", "KEL. LEMPAKE"
    )
    assert (match.outcome, match.code) == (Outcome.matched, "64.72.05.1003")
    assert [m.code for m in match.levels] == ["64", "64.72", "64.72.05", "64.72.05.1003"]
    assert all(m.outcome is Outcome.matched and m.score == 100.0 for m in match.levels)
    assert match.complete


def test_a_known_alias_matches_and_says_so(reconciler: Reconciler) -> None:
    match = reconcile(reconciler, "SUMATERA SELATAN", "KAB. OKU TIMUR")
    assert (match.outcome, match.code) == (Outcome.matched_alias, "16.08")
    assert "Ogan Komering Ulu Timur" in match.reason
    jakarta = reconcile(reconciler, "DKI JAKARTA", "KOTA ADM. JAKARTA BARAT")
    assert jakarta.levels[0].outcome is Outcome.matched_alias
    assert jakarta.levels[0].code == "31"
    assert (jakarta.outcome, jakarta.code) == (Outcome.matched_alias, "31.73")


@pytest.mark.parametrize(
    ("names", "code", "score"),
    [
        # The news' spellings of the Berau merger villages and of the Kab. Paser mockup.
        (("KALIMANTAN TIMUR", "KAB. BERAU", "SEGAH", "SINDUNG INDAH"), "64.03.04.2013", 83.3),
        (("KALIMANTAN TIMUR", "KAB. BERAU", "SEGAH", "BATU RAJA"), "64.03.04.2012", 80.0),
        (
            ("KALIMANTAN TIMUR", "KAB. PASER", "PASER BELENGKONG", "DESA PASER BELENGKONG"),
            "64.01.03.2006",
            93.3,
        ),
    ],
)
def test_a_misspelt_name_matches_its_closest_official_name_with_its_score(
    reconciler: Reconciler, names: tuple[str, ...], code: str, score: float
) -> None:
    match = reconciler.reconcile(PlaceRow(names))
    assert (match.outcome, match.code, match.decisive.score) == (Outcome.matched_fuzzy, code, score)
    assert f"score {score}" in match.reason


def test_the_fuzzy_threshold_is_the_policys(gazetteer: Gazetteer, aliases: AliasTable) -> None:
    strict = Reconciler(gazetteer, aliases=aliases, policy=MatchPolicy(min_score=85))
    match = reconcile(strict, "KALIMANTAN TIMUR", "KAB. BERAU", "SEGAH", "BATU RAJA")
    assert match.outcome is Outcome.unknown
    assert match.code is None
    with pytest.raises(ValueError, match="min_score"):
        MatchPolicy(min_score=0)


def test_a_fuzzy_match_never_crosses_a_number(reconciler: Reconciler) -> None:
    # Lubuk Pakam III exists in 12.07.28; "Lubuk Pakam IV" is one letter from it but not it.
    match = reconcile(
        reconciler, "SUMATERA UTARA", "KAB. DELI SERDANG", "LUBUK PAKAM", "LUBUK PAKAM IV"
    )
    assert match.outcome is Outcome.unknown


def test_two_villages_of_one_name_in_one_district_are_ambiguous(reconciler: Reconciler) -> None:
    match = reconcile(reconciler, "PAPUA TENGAH", "KAB. PANIAI", "PANIAI TIMUR", "DESA KOGEKOTU")
    assert match.outcome is Outcome.ambiguous
    assert match.code is None
    assert [(c.code, c.score) for c in match.decisive.candidates] == [
        ("94.03.01.2011", 100.0),
        ("94.03.01.2018", 100.0),
    ]
    assert "a source id or an override decides" in match.reason


def test_a_stated_kind_tells_apart_a_desa_and_a_kelurahan_of_one_name(
    reconciler: Reconciler,
) -> None:
    names = ("RIAU", "KAB. ROKAN HILIR", "PASIR LIMAU KAPAS")
    assert reconcile(reconciler, *names, "PANIPAHAN").outcome is Outcome.ambiguous
    assert reconcile(reconciler, *names, "KEL. PANIPAHAN").code == "14.07.06.1007"
    assert reconcile(reconciler, *names, "DESA PANIPAHAN").code == "14.07.06.2001"


def test_a_regency_without_its_kind_is_ambiguous_unless_its_district_decides(
    reconciler: Reconciler,
) -> None:
    alone = reconcile(reconciler, "JAWA BARAT", "BEKASI")
    assert alone.outcome is Outcome.ambiguous
    assert {c.code for c in alone.decisive.candidates} == {"32.16", "32.75"}
    with_district = reconcile(reconciler, "JAWA BARAT", "BEKASI", "TAMBUN SELATAN")
    assert (with_district.outcome, with_district.code) == (Outcome.matched, "32.16.06")
    assert "Tambun Selatan" in with_district.levels[1].reason


def test_a_kabupaten_and_a_kota_of_one_name_are_never_confused(
    reconciler: Reconciler, gazetteer: Gazetteer
) -> None:
    twins = 0
    for province in gazetteer.children(RegionLevel.province, None).places:
        regencies = gazetteer.children(RegionLevel.regency, province.code)
        for key, places in regencies.by_key.items():
            if len(places) < 2:
                continue
            twins += 1
            for place in places:
                prefix = "KOTA" if place.kind is RegionKind.kota else "KAB."
                match = reconcile(reconciler, province.name.upper(), f"{prefix} {key}")
                assert (match.outcome, match.code) == (Outcome.matched, place.code), place
                misspelt = reconcile(reconciler, province.name.upper(), f"{prefix} {key}X")
                assert misspelt.code in (None, place.code)
    assert twins >= 20  # Bekasi, Bogor, Malang, Kupang, ...
    tebo = reconcile(reconciler, "JAMBI", "KOTA TEBO")
    assert tebo.outcome is Outcome.unknown
    assert [c.code for c in tebo.decisive.candidates] == ["15.09"]
    assert "Kabupaten Tebo (15.09)" in tebo.reason


def test_a_name_under_the_wrong_parent_is_misfiled_naming_the_right_one(
    reconciler: Reconciler,
) -> None:
    regency = reconcile(reconciler, "PAPUA PEGUNUNGAN", "KAB. TEBO")
    assert (regency.outcome, regency.code) == (Outcome.misfiled, None)
    [candidate] = regency.decisive.candidates
    assert (candidate.code, candidate.parent_code, candidate.parent_name) == (
        "15.09",
        "15",
        "Jambi",
    )
    assert "Kabupaten Tebo (15.09) in Jambi (15)" in regency.reason
    village = reconcile(
        reconciler, "KALIMANTAN TIMUR", "KOTA SAMARINDA", "SAMARINDA ILIR", "LEMPAKE"
    )
    assert village.outcome is Outcome.misfiled
    assert village.decisive.level is RegionLevel.village
    assert [(c.code, c.parent_name) for c in village.decisive.candidates] == [
        ("64.72.05.1003", "Samarinda Utara")
    ]
    # The levels above were matched; the row stops at the misfiled one.
    assert [m.outcome for m in village.levels] == [Outcome.matched] * 3 + [Outcome.misfiled]


def test_a_name_that_is_nowhere_is_unknown(reconciler: Reconciler) -> None:
    match = reconcile(reconciler, "PAPUA SELATAN", "Fukuoka")
    assert (match.outcome, match.code, match.decisive.candidates) == (Outcome.unknown, None, ())
    assert "Papua Selatan (93)" in match.reason
    empty = reconcile(reconciler, "PAPUA SELATAN", "-")
    assert empty.outcome is Outcome.unknown
    assert "no letters" in empty.reason


def test_a_row_stops_at_its_first_failing_level(reconciler: Reconciler) -> None:
    match = reconcile(reconciler, "ATLANTIS", "KAB. BERAU", "SEGAH", "BATU RAJANG")
    assert len(match.levels) == 1
    assert match.outcome is Outcome.unknown
    summary = reconciler.reconcile_all([match.row]).summary
    assert summary.levels[RegionLevel.village].not_reached == 1


def test_the_summary_gives_match_rates_per_level_and_counts_per_outcome(
    reconciler: Reconciler,
) -> None:
    rows = [
        PlaceRow(("KALIMANTAN TIMUR", "KOTA SAMARINDA", "SAMARINDA UTARA", "LEMPAKE")),
        PlaceRow(("KALIMANTAN TIMUR", "KAB. BERAU", "SEGAH", "BATU RAJA")),
        PlaceRow(("KALIMANTAN TIMUR", "KOTA SAMARINDA", "SAMARINDA ILIR", "LEMPAKE")),
        PlaceRow(("PAPUA SELATAN", "Fukuoka")),
    ]
    summary = reconciler.reconcile_all(rows).summary
    assert summary.rows == 4
    assert summary.matched == 2
    assert summary.outcomes == {
        Outcome.matched: 1,
        Outcome.matched_fuzzy: 1,
        Outcome.misfiled: 1,
        Outcome.unknown: 1,
    }
    assert summary.levels[RegionLevel.province].match_rate == 1.0
    assert summary.levels[RegionLevel.regency].match_rate == 0.75
    village = summary.levels[RegionLevel.village]
    assert (village.rows, village.matched, village.match_rate) == (3, 2, 2 / 3)
    as_dict = summary.as_dict()
    assert as_dict["outcomes"] == {o.value: summary.outcomes.get(o, 0) for o in Outcome}
    assert as_dict["levels"]["regency"]["outcomes"]["unknown"] == 1  # type: ignore[index]


def test_a_row_must_name_its_levels_from_the_province_down() -> None:
    with pytest.raises(ValueError, match="district name: empty"):
        PlaceRow(("KALIMANTAN TIMUR", "KOTA SAMARINDA", " ", "LEMPAKE"), ref=7)
    with pytest.raises(ValueError, match="1 to 4 levels"):
        PlaceRow(())
    row = PlaceRow.of("KALIMANTAN TIMUR", "KOTA SAMARINDA", "", None, regency_id=" 356 ")
    assert row.names == ("KALIMANTAN TIMUR", "KOTA SAMARINDA")
    assert (row.source_ids, row.level) == ((None, "356"), RegionLevel.regency)
    with pytest.raises(ValueError, match="row 9: district name: empty, while the village name"):
        PlaceRow.of("KALIMANTAN TIMUR", "KOTA SAMARINDA", "", "LEMPAKE", ref=9)
    with pytest.raises(ValueError, match="regency name: empty, while the regency id is given"):
        PlaceRow.of("KALIMANTAN TIMUR", None, regency_id="356")


def official_row(gazetteer: Gazetteer, place: Place) -> tuple[str, ...]:
    chain = [place]
    while (parent := gazetteer.parent(chain[-1])) is not None:
        chain.append(parent)
    return tuple(p.name for p in reversed(chain))


@pytest.fixture(scope="module")
def places_by_level(gazetteer: Gazetteer) -> dict[RegionLevel, list[Place]]:
    return {level: sorted(gazetteer.at_level(level)) for level in LEVELS}


SPELLINGS: list[Callable[[str], str]] = [str, str.upper, str.lower, str.title]


@given(data=st.data(), spelling=st.sampled_from(SPELLINGS))
@settings(max_examples=300, deadline=None)
def test_a_name_of_the_official_list_always_matches_itself_exactly(
    gazetteer: Gazetteer,
    reconciler: Reconciler,
    places_by_level: dict[RegionLevel, list[Place]],
    data: st.DataObject,
    spelling: Callable[[str], str],
) -> None:
    level = data.draw(st.sampled_from(LEVELS))
    place = data.draw(st.sampled_from(places_by_level[level]))
    names = tuple(spelling(n) for n in official_row(gazetteer, place))
    match = reconciler.reconcile(PlaceRow(names))
    namesakes = gazetteer.children(level, place.parent_code).by_key[place.key]
    if len(namesakes) == 1 or (place.kind is not None and level is RegionLevel.regency):
        assert (match.outcome, match.code) == (Outcome.matched, place.code)
    else:  # one of the 17 pairs of namesake villages in one district
        assert match.outcome is Outcome.ambiguous
        assert place.code in {c.code for c in match.decisive.candidates}
