"""The national demo's registry: the shipped SIMKOPDES regency snapshot, reconciled against
the bundled 2025 edition, placed on each regency's villages.

Province totals equal the snapshot's minus only the rows the reconciler reported; every
regency gets exactly its count, with its NPWP and NIB counts; a second cooperative in a
village only where the regency counts more cooperatives than villages; Kaltim is the seed.
"""

from __future__ import annotations

import csv
from collections import Counter
from typing import Any

import pytest

from shared.models import RegionLevel
from shared.places import (
    AliasTable,
    Gazetteer,
    PlaceRow,
    Reconciler,
    load_aliases,
    load_edition_archive,
)
from shared.registry.datasets import KALTIM_REGISTRY, Village
from shared.registry.national import SNAPSHOT, NationalPlan, national_plan


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_edition_archive()


@pytest.fixture(scope="module")
def aliases(gazetteer: Gazetteer) -> AliasTable:
    return load_aliases(gazetteer)


@pytest.fixture(scope="module")
def snapshot() -> list[dict[str, str]]:
    with SNAPSHOT.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def placed(
    gazetteer: Gazetteer, aliases: AliasTable, snapshot: list[dict[str, str]]
) -> tuple[dict[str, dict[str, int]], list[tuple[dict[str, str], str]]]:
    """The regions as the summary import keeps them, and the rows it reports (with their
    province as filed)."""
    rows = [
        PlaceRow.of(
            r["province"],
            r["district"],
            province_id=r["province_id"],
            regency_id=r["district_id"],
            ref=i,
        )
        for i, r in enumerate(snapshot, start=2)
    ]
    result = Reconciler(gazetteer, aliases=aliases).reconcile_all(rows)
    regions: dict[str, dict[str, int]] = {}
    reported: list[tuple[dict[str, str], str]] = []
    for row, match in zip(snapshot, result.matches, strict=True):
        if match.code is None:
            reported.append((row, match.outcome.value))
            continue
        assert match.code not in regions
        regions[match.code] = {
            "cooperatives": int(row["cooperatives"]),
            "npwp_count": int(row["npwp_count"]),
            "nib_count": int(row["nib_count"]),
        }
    return regions, reported


@pytest.fixture(scope="module")
def villages(gazetteer: Gazetteer) -> list[Village]:
    return [
        Village(p.code, p.name, p.kind.value if p.kind else "desa")
        for p in gazetteer.at_level(RegionLevel.village)
    ]


@pytest.fixture(scope="module")
def plan(placed: Any, villages: list[Village]) -> NationalPlan:
    return national_plan(placed[0], villages, seed=2025)


def test_province_totals_are_the_snapshots_minus_only_the_reported_rows(
    plan: NationalPlan, placed: Any, snapshot: list[dict[str, str]], gazetteer: Gazetteer
) -> None:
    _, reported = placed
    assert [(r["province"], r["district"], outcome) for r, outcome in reported] == [
        ("PAPUA", "Akaiwa", "unknown"),
        ("PAPUA", "Asakuchi", "unknown"),
        ("PAPUA", "KAB. MAPPI", "misfiled"),
        ("PAPUA BARAT DAYA", "KAB. NIAS SELATAN", "misfiled"),
        ("PAPUA BARAT DAYA", "KAB. TOLIKARA", "misfiled"),
        ("PAPUA PEGUNUNGAN", "KAB. RAJA AMPAT", "misfiled"),
        ("PAPUA PEGUNUNGAN", "KAB. TEBO", "misfiled"),
        ("PAPUA PEGUNUNGAN", "Kobayashi, Miyazaki", "unknown"),
        ("PAPUA PEGUNUNGAN", "Sak Lek", "unknown"),
        ("PAPUA SELATAN", "Fukuoka", "unknown"),
        ("PAPUA SELATAN", "Khun Yuam", "unknown"),
    ]
    assert plan.without_villages == []
    # Filed per province (by the province the snapshot names), minus the rows reported.
    province_code = {p.name.upper(): p.code for p in gazetteer.at_level(RegionLevel.province)}
    province_code["DKI JAKARTA"] = "31"
    filed: Counter[str] = Counter()
    for row in snapshot:
        filed[province_code[row["province"]]] += int(row["cooperatives"])
    for row, _ in reported:
        filed[province_code[row["province"]]] -= int(row["cooperatives"])
    generated = Counter(r["village_codes"].split(";")[0][:2] for r in plan.rows)
    assert generated == filed
    assert dict(plan.per_province) == dict(filed)
    assert sum(generated.values()) == 83_371
    assert generated["64"] == 1_037


def test_each_regency_gets_its_count_with_its_npwp_and_nib_and_shares_villages_only_when_over(
    plan: NationalPlan, placed: Any, villages: list[Village]
) -> None:
    regions, _ = placed
    in_regency = Counter(v.code[:5] for v in villages)
    rows_of: dict[str, list[dict[str, Any]]] = {}
    for row in plan.rows:
        rows_of.setdefault(row["village_codes"][:5], []).append(row)
    assert set(rows_of) == set(regions)
    shared_regencies = 0
    for regency, counts in regions.items():
        rows = rows_of[regency]
        assert len(rows) == counts["cooperatives"], regency
        claims = Counter(c for r in rows for c in r["village_codes"].split(";"))
        if regency.startswith("64."):
            continue  # the seed, below
        assert sum(1 for r in rows if r.get("npwp")) == counts["npwp_count"], regency
        assert sum(1 for r in rows if r.get("nib")) == counts["nib_count"], regency
        over = counts["cooperatives"] - in_regency[regency]
        if over <= 0:
            assert max(claims.values()) == 1, regency  # one per village at most
            assert len(claims) == counts["cooperatives"]
        else:
            shared_regencies += 1
            assert len(claims) == in_regency[regency], regency  # every village first
            assert sum(1 for n in claims.values() if n == 2) == over, regency
    assert shared_regencies == 96
    pidie = rows_of["11.07"]
    assert (len(pidie), len({r["village_codes"] for r in pidie})) == (751, 730)


def test_kaltim_is_the_seed_exactly_and_the_plan_is_deterministic(
    plan: NationalPlan, placed: Any, villages: list[Village]
) -> None:
    with KALTIM_REGISTRY.open(encoding="utf-8", newline="") as handle:
        seed_rows = list(csv.DictReader(handle))
    kaltim = [r for r in plan.rows if r["village_codes"].startswith("64.")]
    assert kaltim == seed_rows
    assert len(kaltim) == 1_037
    again = national_plan(placed[0], villages, seed=2025)
    assert again.rows == plan.rows
    other = national_plan(placed[0], villages, seed=7)
    assert [r["village_codes"] for r in other.rows] != [r["village_codes"] for r in plan.rows]
    ids = [r["registry_id"] for r in plan.rows]
    assert len(ids) == len(set(ids))
    for number in ("sk_ahu_number", "npwp", "nib", "nik_koperasi"):
        values = [r[number] for r in plan.rows if r.get(number)]
        assert len(values) == len(set(values)), number
