"""The shipped SIMKOPDES regency snapshot (August 2026) reconciled against the 2025 edition.

525 rows for 514 regencies: every regency of the official list once under its province
(514 rows), the same regency a second time under a wrong province (5 rows, one cooperative
each, same SIMKOPDES id as the right row), and place names that are not Indonesian
(6 rows, one cooperative each). Nothing is absorbed: the 11 extra rows are reported.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from shared.models import RegionLevel
from shared.places import (
    AliasTable,
    Crosswalk,
    Gazetteer,
    Outcome,
    PlaceMatch,
    PlaceRow,
    Reconciler,
    Reconciliation,
)

SNAPSHOT = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "registry"
    / "simkopdes_regencies_2026-08.csv"
)


@pytest.fixture(scope="module")
def snapshot() -> list[dict[str, str]]:
    with SNAPSHOT.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def rows_of(snapshot: list[dict[str, str]]) -> list[PlaceRow]:
    return [
        PlaceRow.of(
            row["province"],
            row["district"],  # SIMKOPDES calls its regencies "districts"
            province_id=row["province_id"],
            regency_id=row["district_id"],
            ref=line,
        )
        for line, row in enumerate(snapshot, start=2)
    ]


@pytest.fixture(scope="module")
def reconciled(
    gazetteer: Gazetteer, aliases: AliasTable, snapshot: list[dict[str, str]]
) -> Reconciliation:
    return Reconciler(gazetteer, aliases=aliases).reconcile_all(rows_of(snapshot))


def by_name(reconciled: Reconciliation, province: str, regency: str) -> PlaceMatch:
    [match] = [m for m in reconciled.matches if m.row.names == (province, regency)]
    return match


def test_the_snapshot_ships_with_its_source_and_totals(snapshot: list[dict[str, str]]) -> None:
    assert len(snapshot) == 525
    assert sum(int(r["cooperatives"]) for r in snapshot) == 83_382
    assert sum(int(r["npwp_count"]) for r in snapshot) == 80_977
    assert sum(int(r["nib_count"]) for r in snapshot) == 60_806
    kaltim = [r for r in snapshot if r["province"] == "KALIMANTAN TIMUR"]
    assert (len(kaltim), sum(int(r["cooperatives"]) for r in kaltim)) == (10, 1_037)
    source = (SNAPSHOT.parent / "SOURCE.md").read_text(encoding="utf-8")
    assert "kopdes-report" in source
    assert "SIMKOPDES" in source


def test_every_row_lands_on_its_regency_or_is_reported_with_its_reason(
    reconciled: Reconciliation, gazetteer: Gazetteer
) -> None:
    summary = reconciled.summary
    assert summary.outcomes == {
        Outcome.matched: 504,
        Outcome.matched_alias: 10,  # 6 under DKI JAKARTA, 4 regencies by their own alias
        Outcome.misfiled: 5,
        Outcome.unknown: 6,
    }
    assert summary.levels[RegionLevel.province].match_rate == 1.0
    assert summary.levels[RegionLevel.regency].matched == 514
    placed = [m.code for m in reconciled.matches if m.code is not None]
    regencies = {p.code for p in gazetteer.at_level(RegionLevel.regency)}
    assert sorted(placed) == sorted(regencies)  # each of the 514 exactly once
    for match in reconciled.matches:
        assert match.complete or match.outcome in (Outcome.misfiled, Outcome.unknown)
        assert match.reason


@pytest.mark.parametrize(
    ("province", "regency", "outcome", "code"),
    [
        ("DKI JAKARTA", "KAB. ADM. KEP. SERIBU", Outcome.matched_alias, "31.01"),
        ("DKI JAKARTA", "KOTA ADM. JAKARTA UTARA", Outcome.matched_alias, "31.72"),
        ("SUMATERA SELATAN", "KAB. OKU TIMUR", Outcome.matched_alias, "16.08"),
        ("SUMATERA SELATAN", "KAB. OKU SELATAN", Outcome.matched_alias, "16.09"),
        ("SULAWESI SELATAN", "KAB. PANGKAJENE KEPULAUAN", Outcome.matched_alias, "73.10"),
        ("SUMATERA UTARA", "KOTA PADANG SIDEMPUAN", Outcome.matched_alias, "12.77"),
        ("JAWA BARAT", "KAB. BEKASI", Outcome.matched, "32.16"),
        ("JAWA BARAT", "KOTA BEKASI", Outcome.matched, "32.75"),
        ("KALIMANTAN TENGAH", "KOTA PALANGKARAYA", Outcome.matched, "62.71"),
        ("SULAWESI TENGAH", "KAB. TOLI-TOLI", Outcome.matched, "72.04"),
        ("SULAWESI UTARA", "KAB. KEP. SIAU TAGULANDANG BIARO", Outcome.matched, "71.09"),
        ("DAERAH ISTIMEWA YOGYAKARTA", "KAB. GUNUNG KIDUL", Outcome.matched, "34.03"),
        ("PAPUA SELATAN", "KAB. MAPPI", Outcome.matched, "93.03"),
    ],
)
def test_known_spellings_land_on_their_regency(
    reconciled: Reconciliation, province: str, regency: str, outcome: Outcome, code: str
) -> None:
    match = by_name(reconciled, province, regency)
    assert (match.outcome, match.code) == (outcome, code)


@pytest.mark.parametrize(
    ("province", "regency", "code", "right_province"),
    [
        ("PAPUA", "KAB. MAPPI", "93.03", "Papua Selatan"),
        ("PAPUA BARAT DAYA", "KAB. NIAS SELATAN", "12.14", "Sumatera Utara"),
        ("PAPUA BARAT DAYA", "KAB. TOLIKARA", "95.04", "Papua Pegunungan"),
        ("PAPUA PEGUNUNGAN", "KAB. RAJA AMPAT", "96.03", "Papua Barat Daya"),
        ("PAPUA PEGUNUNGAN", "KAB. TEBO", "15.09", "Jambi"),
    ],
)
def test_a_regency_filed_under_another_province_is_misfiled_naming_its_province(
    reconciled: Reconciliation, province: str, regency: str, code: str, right_province: str
) -> None:
    match = by_name(reconciled, province, regency)
    assert (match.outcome, match.code) == (Outcome.misfiled, None)
    [candidate] = match.decisive.candidates
    assert (candidate.code, candidate.parent_name) == (code, right_province)
    assert right_province in match.reason


@pytest.mark.parametrize(
    ("province", "name"),
    [
        ("PAPUA", "Akaiwa"),
        ("PAPUA", "Asakuchi"),
        ("PAPUA PEGUNUNGAN", "Kobayashi, Miyazaki"),
        ("PAPUA PEGUNUNGAN", "Sak Lek"),
        ("PAPUA SELATAN", "Fukuoka"),
        ("PAPUA SELATAN", "Khun Yuam"),
    ],
)
def test_a_place_name_that_is_not_indonesian_is_unknown(
    reconciled: Reconciliation, province: str, name: str
) -> None:
    match = by_name(reconciled, province, name)
    assert (match.outcome, match.code, match.decisive.candidates) == (Outcome.unknown, None, ())
    assert match.levels[0].outcome is Outcome.matched  # the province itself is real


def test_province_totals_are_the_snapshots_minus_only_the_rows_reported(
    reconciled: Reconciliation, snapshot: list[dict[str, str]]
) -> None:
    filed: Counter[str] = Counter()  # by the province column, as published
    reported: Counter[str] = Counter()
    placed: Counter[str] = Counter()  # by the province of the regency found
    province_code: dict[str, str] = {}
    for match, row in zip(reconciled.matches, snapshot, strict=True):
        cooperatives = int(row["cooperatives"])
        filed[row["province"]] += cooperatives
        province_code[row["province"]] = match.levels[0].code or ""
        if match.code is None:
            reported[row["province"]] += cooperatives
        else:
            placed[match.code[:2]] += cooperatives
    assert len(province_code) == 38
    for province, code in province_code.items():
        assert placed[code] == filed[province] - reported[province], province
    assert sum(reported.values()) == 11
    assert reported == {
        "PAPUA": 3,
        "PAPUA BARAT DAYA": 2,
        "PAPUA PEGUNUNGAN": 4,
        "PAPUA SELATAN": 2,
    }
    assert sum(placed.values()) == 83_371
    assert placed["64"] == 1_037  # Kalimantan Timur, as announced


def test_the_registry_counts_more_cooperatives_than_villages_in_96_regencies(
    reconciled: Reconciliation, snapshot: list[dict[str, str]], gazetteer: Gazetteer
) -> None:
    villages = Counter(p.code[:5] for p in gazetteer.at_level(RegionLevel.village))
    over = {
        match.code: (int(row["cooperatives"]), villages[match.code])
        for match, row in zip(reconciled.matches, snapshot, strict=True)
        if match.code is not None and int(row["cooperatives"]) > villages[match.code]
    }
    assert len(over) == 96
    assert over["11.07"] == (751, 730)  # Kabupaten Pidie


def test_a_second_snapshot_with_the_learned_crosswalk_decides_alike_by_id(
    gazetteer: Gazetteer,
    aliases: AliasTable,
    reconciled: Reconciliation,
    snapshot: list[dict[str, str]],
) -> None:
    crosswalk = Crosswalk()
    learned = crosswalk.learn(reconciled.matches)
    assert learned.conflicts == {}
    # Every province id and every regency id: the misfiled rows carry the ids of right rows.
    assert learned.added == 38 + 514
    again = Reconciler(gazetteer, aliases=aliases, crosswalk=crosswalk).reconcile_all(
        rows_of(snapshot)
    )
    assert again.summary.outcomes == {
        Outcome.matched_crosswalk: 514,
        Outcome.misfiled: 5,
        Outcome.unknown: 6,
    }
    for first, second in zip(reconciled.matches, again.matches, strict=True):
        assert first.code == second.code
