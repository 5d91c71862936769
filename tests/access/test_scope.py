"""Province scope: a partner key for Kaltim cannot tell a cooperative elsewhere from none."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.schema.common import global_id
from shared.coverage.schedule import request_coverage_recompute
from tests.access.support import Callers
from tests.support import gql

PROFILE = """query($id: ID!) { cooperative(id: $id) {
  name officers { name } legalIdentifiers { npwp } financingReadiness { ready } } }"""


@pytest.fixture
def places(db: Any) -> dict[str, int]:
    from shared.villages.service import EditionInfo, import_now
    from tests.api.conftest import DATA
    from tests.api.support import add_outside_province, seed_cooperatives

    job = import_now(db, [DATA / "2025-64"], edition=EditionInfo(label="2025"))
    assert job.status == "succeeded", job.message
    seeded = seed_cooperatives(db)
    return {"inside": seeded["lempake"], "outside": add_outside_province(db)}


async def test_scoped_partner_sees_profiles_in_its_province_only(
    client: httpx.AsyncClient, callers: Callers, places: dict[str, int]
) -> None:
    scoped = callers.headers("partner64")

    async def profile(headers: dict[str, str], cooperative_id: Any) -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={"query": PROFILE, "variables": {"id": str(cooperative_id)}},
            headers=headers,
        )
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]

    inside = await profile(scoped, places["inside"])
    assert inside["data"]["cooperative"]["legalIdentifiers"]["npwp"]
    outside = await profile(scoped, places["outside"])
    missing = await profile(scoped, 987654)
    assert outside == missing
    assert outside["data"] == {"cooperative": None}
    nationwide = await profile(callers.headers("partner"), places["outside"])
    assert nationwide["data"]["cooperative"]["name"] == "Koperasi Desa Merah Putih Luar"

    listing = "{ cooperatives(first: 50) { totalCount edges { node { databaseId } } } }"
    scoped_list = await gql(client, listing, headers=scoped)
    ids = {e["node"]["databaseId"] for e in scoped_list["data"]["cooperatives"]["edges"]}
    assert places["inside"] in ids
    assert places["outside"] not in ids
    assert scoped_list["data"]["cooperatives"]["totalCount"] == len(ids)
    everyone = await gql(client, listing, headers=callers.headers("partner"))
    all_ids = {e["node"]["databaseId"] for e in everyone["data"]["cooperatives"]["edges"]}
    assert places["outside"] in all_ids


async def test_jobs_behind_the_node_field_still_need_operations(
    client: httpx.AsyncClient, callers: Callers, db: Any
) -> None:
    job = request_coverage_recompute(db, requested_by="test")
    query = "query($id: ID!) { node(id: $id) { __typename } }"
    variables = {"id": global_id("ImportJob", job.id)}
    for caller, code in (("anonymous", "UNAUTHENTICATED"), ("partner", "FORBIDDEN")):
        body = await gql(
            client, query, variables, headers=callers.headers(caller), expect_errors=True
        )
        assert body["data"]["node"] is None
        assert body["errors"][0]["extensions"]["code"] == code
    allowed = await gql(client, query, variables, headers=callers.headers("operations"))
    assert allowed["data"]["node"]["__typename"] == "ImportJob"
