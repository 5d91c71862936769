"""Province scope adds, never hides: a partner key for Kaltim (64) reads, outside 64, exactly
what a caller without a key reads (data and error codes), and inside 64 the protected profile
too. Coverage figures and lists agree for every role."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from api.schema.common import global_id
from shared.coverage.schedule import request_coverage_recompute
from shared.models import Cooperative
from shared.proposals import service as proposals
from tests.access.support import TEST_ACTOR, Callers
from tests.support import gql

OUTSIDE_VILLAGE = "99.01.01.2001"
LEMPAKE = "64.72.05.1003"
PROFILE = """name kind stage villages { code name } outletTypes
  legalIdentifiers { npwp nib } officers { name } outlets { type } stageHistory { stage }
  memberCount memberCounts { members } financingReadiness { ready missing }"""
ROLES = ("anonymous", "partner", "partner64", "operations", "admin")


@pytest.fixture
def places(db: Any) -> dict[str, Any]:
    from shared.villages.service import EditionInfo, import_now
    from tests.api.conftest import DATA
    from tests.api.support import add_outside_province, recompute, seed_cooperatives

    job = import_now(db, [DATA / "2025-64"], edition=EditionInfo(label="2025"))
    assert job.status == "succeeded", job.message
    seeded = seed_cooperatives(db)
    outside = add_outside_province(db)
    with db.transaction() as session:
        session.execute(
            update(Cooperative).where(Cooperative.id == outside).values(registry_id="REG-LUAR")
        )
        far = proposals.submit_proposal(
            session, TEST_ACTOR, region_code="99.01", proposed_name="Koperasi Usulan Luar"
        )
        near = proposals.submit_proposal(
            session, TEST_ACTOR, region_code="64.72", proposed_name="Koperasi Usulan Samarinda"
        )
        far_id, near_id = far.id, near.id
    recompute(db)
    return {
        "inside": seeded["lempake"],
        "outside": outside,
        "far_proposal": far_id,
        "near_proposal": near_id,
    }


async def ask(
    client: httpx.AsyncClient, callers: Callers, who: str, query: str, **variables: Any
) -> dict[str, Any]:
    return await gql(client, query, variables, headers=callers.headers(who), expect_errors=True)


def without_messages(body: dict[str, Any]) -> dict[str, Any]:
    """The answer as the tests compare it: data, and each error's path and code."""
    errors = sorted(
        (tuple(map(str, e.get("path") or [])), e["extensions"]["code"])
        for e in body.get("errors", [])
    )
    return {"data": body.get("data"), "errors": errors}


# Every root query, asked about what lies outside province 64.
OUTSIDE_QUERIES: dict[str, tuple[str, dict[str, Any]]] = {
    "cooperative": (
        f"query($id: ID!) {{ cooperative(id: $id) {{ {PROFILE} }} }}",
        {"id": "outside"},
    ),
    "cooperativeByRegistryId": (
        f'{{ cooperativeByRegistryId(registryId: "REG-LUAR") {{ {PROFILE} }} }}',
        {},
    ),
    "cooperatives": (
        f"""{{ cooperatives(filter: {{regionCode: "99"}}) {{ totalCount
             edges {{ node {{ {PROFILE} }} }} }} }}""",
        {},
    ),
    "proposals": (
        '{ proposals(filter: {regionCode: "99.01"})'
        " { totalCount edges { node { proposedName } } } }",
        {},
    ),
    "node": (
        f"query($id: ID!) {{ node(id: $id) {{ ... on Cooperative {{ {PROFILE} }} }} }}",
        {"id": "outside"},
    ),
    "node (proposal)": (
        "query($id: ID!) { node(id: $id) { ... on Proposal { proposedName"
        " cooperative { name } region { code } } } }",
        {"id": "far_proposal"},
    ),
    "region": (
        f"""{{ region(code: "{OUTSIDE_VILLAGE}") {{ code name coverage {{ cooperatives }}
             ... on Village {{ cooperatives {{ {PROFILE} }} }} }} }}""",
        {},
    ),
    "regions": ('{ regions(parentCode: "99") { totalCount edges { node { code } } } }', {}),
    "provinces": ("{ provinces { code name coverage { cooperatives } } }", {}),
    "nationalCoverage": ("{ nationalCoverage { cooperatives coveredVillages } }", {}),
    "coverageHistory": ('{ coverageHistory(code: "99") { cooperatives } }', {}),
    "retiredVillagesWithCooperatives": (
        "{ retiredVillagesWithCooperatives { totalCount } }",
        {},
    ),
    "editions": ("{ editions { label } }", {}),
    "dataQualityFindings": (
        "{ dataQualityFindings { sharedVillagesCount unplacedRowsCount byRegion { code } } }",
        {},
    ),
}


def _variables(given: dict[str, Any], places: dict[str, Any]) -> dict[str, Any]:
    types = {"outside": "Cooperative", "far_proposal": "Proposal"}
    return {name: global_id(types[value], places[value]) for name, value in given.items()}


@pytest.mark.parametrize("root", sorted(OUTSIDE_QUERIES))
async def test_outside_its_province_a_partner_reads_what_anonymous_reads(
    client: httpx.AsyncClient, callers: Callers, places: dict[str, Any], root: str
) -> None:
    query, given = OUTSIDE_QUERIES[root]
    variables = _variables(given, places)
    anonymous = without_messages(await ask(client, callers, "anonymous", query, **variables))
    scoped = without_messages(await ask(client, callers, "partner64", query, **variables))
    assert scoped == anonymous
    if root == "proposals":  # the list is partners': no key, no list
        assert anonymous == {"data": None, "errors": [(("proposals",), "UNAUTHENTICATED")]}
    else:
        assert anonymous["data"] is not None


async def test_the_comparison_sees_real_data_and_real_refusals(
    client: httpx.AsyncClient, callers: Callers, places: dict[str, Any]
) -> None:
    """What the equality above compares: the cooperative outside 64 is there, its public
    fields answered, every protected field refused UNAUTHENTICATED; a partner key without a
    scope reads the profile."""
    query, given = OUTSIDE_QUERIES["cooperative"]
    variables = _variables(given, places)
    body = await ask(client, callers, "partner64", query, **variables)
    coop = body["data"]["cooperative"]
    assert coop["name"] == "Koperasi Desa Merah Putih Luar"
    assert coop["villages"] == [{"code": OUTSIDE_VILLAGE, "name": f"Test {OUTSIDE_VILLAGE}"}]
    refused = {e["path"][-1]: e["extensions"]["code"] for e in body["errors"]}
    assert refused == dict.fromkeys(
        [
            "legalIdentifiers",
            "officers",
            "outlets",
            "stageHistory",
            "memberCount",
            "memberCounts",
            "financingReadiness",
        ],
        "UNAUTHENTICATED",
    )
    assert "province scope (64)" in body["errors"][0]["message"]
    nationwide = await ask(client, callers, "partner", query, **variables)
    assert "errors" not in nationwide
    assert nationwide["data"]["cooperative"]["stageHistory"] == [{"stage": "deliberation"}]

    listed = await ask(client, callers, "partner64", OUTSIDE_QUERIES["proposals"][0])
    assert listed["data"] is None
    assert [e["extensions"]["code"] for e in listed["errors"]] == ["UNAUTHENTICATED"]


async def test_inside_its_province_a_partner_reads_the_profile(
    client: httpx.AsyncClient, callers: Callers, places: dict[str, Any]
) -> None:
    listing = f"{{ cooperatives(first: 50) {{ totalCount edges {{ node {{ databaseId {PROFILE}"
    listing += " } } } }"
    body = await ask(client, callers, "partner64", listing)
    nodes = {e["node"]["databaseId"]: e["node"] for e in body["data"]["cooperatives"]["edges"]}
    # Every cooperative is listed, inside the scope or not, and counted.
    assert set(nodes) == {places["inside"], places["outside"], *_kaltim_others(nodes, places)}
    assert body["data"]["cooperatives"]["totalCount"] == len(nodes) == 4
    assert nodes[places["inside"]]["legalIdentifiers"]["npwp"] == "01.234.567.8-722.000"
    assert [o["name"] for o in nodes[places["inside"]]["officers"]] == ["Siti Aminah", "Budi"]
    assert nodes[places["outside"]]["legalIdentifiers"] is None
    refused_rows = {e["path"][2] for e in body["errors"]}
    outside_index = list(nodes).index(places["outside"])
    assert refused_rows == {outside_index}

    proposals_64 = await ask(
        client, callers, "partner64", "{ proposals { totalCount edges { node { proposedName } } } }"
    )
    assert proposals_64["data"]["proposals"] == {
        "totalCount": 1,
        "edges": [{"node": {"proposedName": "Koperasi Usulan Samarinda"}}],
    }
    everywhere = await ask(client, callers, "partner", "{ proposals { totalCount } }")
    assert everywhere["data"]["proposals"]["totalCount"] == 2


def _kaltim_others(nodes: dict[int, Any], places: dict[str, Any]) -> set[int]:
    return {i for i in nodes if i not in (places["inside"], places["outside"])}


COVERAGE_AND_LISTS = """query($village: String!, $regency: String!) {
  village: region(code: $village) {
    coverage { cooperatives } ... on Village { cooperatives { databaseId } } }
  regency: region(code: $regency) { coverage { cooperatives } }
  listed: cooperatives(filter: {regionCode: $regency}) { totalCount edges { node { databaseId } } }
}"""


@pytest.mark.parametrize("role", ROLES)
async def test_coverage_figures_and_lists_agree_for_every_role(
    client: httpx.AsyncClient, callers: Callers, places: dict[str, Any], role: str
) -> None:
    for village, regency, expected in (
        (OUTSIDE_VILLAGE, "99.01", places["outside"]),
        (LEMPAKE, "64.72", places["inside"]),
    ):
        body = await gql(
            client,
            COVERAGE_AND_LISTS,
            {"village": village, "regency": regency},
            headers=callers.headers(role),
        )
        data = body["data"]
        assert data["village"]["coverage"]["cooperatives"] == 1
        assert data["village"]["cooperatives"] == [{"databaseId": expected}]
        assert data["regency"]["coverage"]["cooperatives"] == data["listed"]["totalCount"] == 1
        assert data["listed"]["edges"] == [{"node": {"databaseId": expected}}]


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
