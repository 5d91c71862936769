"""Dashboards over HTTP: coverage, regions, drill-down, at a fixed number of statements."""

from __future__ import annotations

from typing import Any

import httpx

from shared.models import Region, RegionKind, RegionLevel
from tests.api.support import LEMPAKE, recompute
from tests.support import gql

DASHBOARD = """
query Dashboard {
  nationalCoverage { activeVillages coveredVillages coveragePercent stale }
  provinces {
    id code name level
    coverage { activeVillages desaCount kelurahanCount coveredVillages coveragePercent
               cooperatives kdmp kkmp mergers mockups stale computedAt
               funnel { covered formed legalEntity operational }
               proposals { total submitted approved rejected formed }
               outlets { type count } }
    children(first: 50) {
      totalCount
      edges { node { code name ... on Regency { kind }
                     coverage { activeVillages coveredVillages coveragePercent } } }
    }
  }
}
"""


async def test_national_dashboard_shows_kaltim_coverage_by_regency(
    client: httpx.AsyncClient, kaltim: Any, coops: dict[str, int]
) -> None:
    recompute(kaltim)
    body = await gql(client, DASHBOARD)
    nation = body["data"]["nationalCoverage"]
    assert nation["activeVillages"] == 1038
    assert nation["coveredVillages"] == 4  # Lempake, Pasir Belengkong, and the Berau merger
    assert nation["stale"] is False
    (kaltim_row,) = body["data"]["provinces"]
    assert kaltim_row["code"] == "64"
    coverage = kaltim_row["coverage"]
    assert (coverage["desaCount"], coverage["kelurahanCount"]) == (841, 197)
    assert coverage["coveragePercent"] == round(100 * 4 / 1038, 2)
    regencies = kaltim_row["children"]
    assert regencies["totalCount"] == 10
    by_code = {e["node"]["code"]: e["node"] for e in regencies["edges"]}
    assert by_code["64.03"]["coverage"]["activeVillages"] == 110
    assert by_code["64.03"]["coverage"]["coveredVillages"] == 2
    assert by_code["64.72"]["kind"] == "kota"


async def test_coverage_turns_stale_when_data_changes_and_fresh_after_recompute(
    client: httpx.AsyncClient, kaltim: Any, coops: dict[str, int], worker: Any
) -> None:
    from shared.coverage.schedule import note_change

    recompute(kaltim)
    query = '{ region(code: "64") { coverage { stale dataVersion } } }'
    before = (await gql(client, query))["data"]["region"]["coverage"]
    assert before["stale"] is False
    with kaltim.transaction() as session:
        note_change(session)
    after = (await gql(client, query))["data"]["region"]["coverage"]
    assert after["stale"] is True


def _add_provinces(db: Any, count: int, regencies_each: int) -> None:
    """Extra provinces with regencies and one village each, to grow the dashboard."""
    from shared.models import Edition

    with db.transaction() as session:
        edition = session.query(Edition).filter_by(is_current=True).one()
        for p in range(count):
            pcode = f"{70 + p}"
            province = Region(
                code=pcode,
                level=RegionLevel.province,
                name=f"P {pcode}",
                province_code=pcode,
                first_edition_id=edition.id,
            )
            session.add(province)
            session.flush()
            for r in range(regencies_each):
                rcode = f"{pcode}.{r + 1:02d}"
                session.add(
                    Region(
                        code=rcode,
                        level=RegionLevel.regency,
                        name=f"R {rcode}",
                        kind=RegionKind.kabupaten,
                        parent_id=province.id,
                        province_code=pcode,
                        regency_code=rcode,
                        first_edition_id=edition.id,
                    )
                )


async def test_dashboard_statement_count_does_not_grow_with_regions(
    client: httpx.AsyncClient, kaltim: Any, statements: list[str]
) -> None:
    recompute(kaltim)
    statements.clear()
    await gql(client, DASHBOARD)
    small = len(statements)

    _add_provinces(kaltim, count=6, regencies_each=12)
    recompute(kaltim)
    statements.clear()
    body = await gql(client, DASHBOARD)
    assert len(body["data"]["provinces"]) == 7
    assert len(statements) == small, statements
    # Versions, provinces, national + province coverage, children, counts, regency coverage.
    assert small <= 8, statements


async def test_polling_dashboards_are_answered_from_the_version_keyed_cache(
    client: httpx.AsyncClient, kaltim: Any, coops: dict[str, int], statements: list[str]
) -> None:
    recompute(kaltim)
    first = await gql(client, DASHBOARD)
    statements.clear()
    again = await gql(client, DASHBOARD)
    assert again == first
    if kaltim.async_engine.dialect.name == "postgresql":
        # The versions are read on a connection of their own (api/versions.py), not the pool.
        assert statements == []
    else:
        assert len(statements) == 1, statements  # the versions in data_state, nothing else
        assert "data_state" in statements[0]

    # A change in the data (here a cooperative linked) makes the next answer fresh.
    from shared.cooperatives import service
    from tests.api.support import STEWARD

    with kaltim.transaction() as session:
        service.register_cooperative(
            session, STEWARD, name="Koperasi Baru", village_codes=["64.72.05.1002"]
        )
    recompute(kaltim)
    fresh = await gql(client, DASHBOARD)
    assert fresh["data"]["nationalCoverage"]["coveredVillages"] == 5


async def test_region_drill_down_from_village_to_province(
    client: httpx.AsyncClient, kaltim: Any, coops: dict[str, int]
) -> None:
    query = """
    query($code: String!) {
      region(code: $code) {
        __typename id code name level
        parent { code }
        ancestors { __typename code name }
        ... on Village { kind customary cooperatives { name kind isMockup } }
      }
    }"""
    body = await gql(client, query, {"code": LEMPAKE})
    village = body["data"]["region"]
    assert village["__typename"] == "Village"
    assert village["kind"] == "kelurahan"
    assert village["parent"] == {"code": "64.72.05"}
    assert [a["code"] for a in village["ancestors"]] == ["64", "64.72", "64.72.05"]
    assert [a["__typename"] for a in village["ancestors"]] == ["Province", "Regency", "District"]
    assert village["cooperatives"][0]["kind"] == "kkmp"

    node = await gql(
        client,
        "query($id: ID!) { node(id: $id) { id ... on Village { code } } }",
        {"id": village["id"]},
    )
    assert node["data"]["node"]["code"] == LEMPAKE
    missing = await gql(client, '{ region(code: "64.99") { code } }')
    assert missing["data"]["region"] is None


async def test_regions_list_filters_and_pages_by_keyset(
    client: httpx.AsyncClient, kaltim: Any
) -> None:
    query = """
    query($after: String) {
      regions(level: district, parentCode: "64.72", first: 4, after: $after) {
        totalCount pageInfo { hasNextPage endCursor hasPreviousPage }
        edges { node { code } }
      }
    }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await gql(client, query, {"after": after}))["data"]["regions"]
        seen += [e["node"]["code"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert page["totalCount"] == len(seen) == 10  # Kota Samarinda has 10 kecamatan
    assert seen == sorted(seen)
    search = await gql(client, '{ regions(search: "lempake") { edges { node { code } } } }')
    found = [e["node"]["code"] for e in search["data"]["regions"]["edges"]]
    assert LEMPAKE in found
    assert all(code.count(".") == 3 for code in found)  # only villages are named Lempake


async def test_coverage_history_lists_each_recalculation(
    client: httpx.AsyncClient, kaltim: Any, coops: dict[str, int]
) -> None:
    recompute(kaltim)
    recompute(kaltim)
    body = await gql(client, '{ coverageHistory(code: "64") { coveredVillages computedAt } }')
    history = body["data"]["coverageHistory"]
    assert len(history) == 2
    assert history[0]["computedAt"] <= history[1]["computedAt"]
    bad = await gql(
        client,
        '{ coverageHistory(from: "2026-02-01", to: "2026-01-01") { computedAt } }',
        expect_errors=True,
    )
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


VILLAGE_COVERAGE = """
query($code: String!) {
  region(code: $code) {
    coverage { coveredVillages stale }
    children(first: 100) {
      edges { node { code coverage {
        activeVillages coveredVillages coveragePercent cooperatives mergers mockups stale
        dataVersion funnel { legalEntity operational } outlets { type count } } } }
    }
  }
}"""


async def test_village_coverage_is_read_live_at_the_current_data_version(
    client: httpx.AsyncClient, kaltim: Any, coops: dict[str, int], statements: list[str]
) -> None:
    from shared.cooperatives import service
    from tests.api.support import STEWARD

    recompute(kaltim)
    statements.clear()
    body = await gql(client, VILLAGE_COVERAGE, {"code": "64.72.05"})
    villages = {
        e["node"]["code"]: e["node"]["coverage"]
        for e in body["data"]["region"]["children"]["edges"]
    }
    # One statement for the whole page of villages (batched), none per village.
    assert sum("facts" in s for s in statements) == 1, statements
    lempake = villages[LEMPAKE]
    assert lempake["coveredVillages"] == 1
    assert lempake["coveragePercent"] == 100.0
    assert (lempake["cooperatives"], lempake["mockups"], lempake["mergers"]) == (1, 1, 0)
    assert lempake["funnel"] == {"legalEntity": 1, "operational": 1}
    assert {o["type"]: o["count"] for o in lempake["outlets"]} == {"grocery": 1, "pharmacy": 1}
    assert villages["64.72.05.1002"]["coveredVillages"] == 0
    assert villages["64.72.05.1002"]["coveragePercent"] == 0.0
    assert sum(v["coveredVillages"] for v in villages.values()) == 1
    assert all(v["activeVillages"] == 1 and not v["stale"] for v in villages.values())

    # The merger: counted once, at its lower village code; both villages covered.
    merger = await gql(client, VILLAGE_COVERAGE, {"code": "64.03.04"})
    berau = {
        e["node"]["code"]: e["node"]["coverage"]
        for e in merger["data"]["region"]["children"]["edges"]
    }
    home, other = sorted(c for c, v in berau.items() if v["coveredVillages"])
    assert (berau[home]["cooperatives"], berau[home]["mergers"]) == (1, 1)
    assert (berau[other]["cooperatives"], berau[other]["mergers"]) == (0, 0)

    # A change: the district's stored figures turn stale; its villages' figures are current.
    with kaltim.transaction() as session:
        service.register_cooperative(
            session, STEWARD, name="Koperasi Baru", village_codes=["64.72.05.1002"]
        )
    after = await gql(client, VILLAGE_COVERAGE, {"code": "64.72.05"})
    assert after["data"]["region"]["coverage"] == {"coveredVillages": 1, "stale": True}
    fresh = {
        e["node"]["code"]: e["node"]["coverage"]
        for e in after["data"]["region"]["children"]["edges"]
    }
    assert fresh["64.72.05.1002"]["coveredVillages"] == 1
    assert fresh["64.72.05.1002"]["stale"] is False
    assert fresh["64.72.05.1002"]["dataVersion"] > lempake["dataVersion"]
