"""Cooperative directory and partner profiles over HTTP, by role and scope."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from shared.models import Officer, OfficerRole, OutletType
from tests.api.support import (
    BATU_RAJANG,
    LEMPAKE,
    STEWARD,
    Keys,
    global_id,
)
from tests.support import gql

PROFILE = """
query($id: ID!) {
  cooperative(id: $id) {
    id name kind stage isMockup outletTypes
    villages { code name kind }
    legalIdentifiers { skAhuNumber nikKoperasi npwp nib bankAccountNumber }
    officers { role name termStart termEnd }
    memberCount
    outlets { type kbli status }
    stageHistory { stage }
    financingReadiness { ready missing }
  }
}"""


async def test_anonymous_sees_the_directory_but_not_the_profile(
    client: httpx.AsyncClient, coops: dict[str, int]
) -> None:
    body = await gql(
        client, PROFILE, {"id": global_id("Cooperative", coops["lempake"])}, expect_errors=True
    )
    coop = body["data"]["cooperative"]
    assert coop["name"] == "Koperasi Kelurahan Merah Putih Lempake"
    assert coop["villages"] == [{"code": LEMPAKE, "name": "Lempake", "kind": "kelurahan"}]
    assert coop["outletTypes"] == ["grocery", "pharmacy"]
    assert coop["legalIdentifiers"] is None
    assert coop["officers"] is None
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"UNAUTHENTICATED"}


async def test_partner_reads_the_full_profile_with_financing_readiness(
    client: httpx.AsyncClient, coops: dict[str, int], keys: Keys
) -> None:
    body = await gql(
        client,
        PROFILE,
        {"id": global_id("Cooperative", coops["lempake"])},
        headers=keys.headers("partner"),
    )
    coop = body["data"]["cooperative"]
    assert coop["legalIdentifiers"]["nikKoperasi"] == "6472050001"
    assert [o["role"] for o in coop["officers"]] == ["chair", "treasurer"]
    assert coop["officers"][0]["termEnd"] == "2030-05-31"
    assert coop["memberCount"] == 120
    assert {o["kbli"] for o in coop["outlets"]} == {"47111", "47721"}
    assert coop["financingReadiness"] == {"ready": True, "missing": []}

    merger = await gql(
        client,
        PROFILE,
        {"id": global_id("Cooperative", coops["merger"])},
        headers=keys.headers("partner"),
    )
    readiness = merger["data"]["cooperative"]["financingReadiness"]
    assert readiness["ready"] is False
    assert "legal_entity" in readiness["missing"]
    assert len(merger["data"]["cooperative"]["villages"]) == 2


def client_db(_coops: dict[str, int]) -> Any:
    from shared.db import get_database

    return get_database()


LIST = """
query($filter: CooperativeFilter, $first: Int, $after: String, $order: CooperativeOrder) {
  cooperatives(filter: $filter, first: $first, after: $after, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { name registryId } }
  }
}"""


async def _names(client: httpx.AsyncClient, filter: dict[str, Any], **kw: Any) -> list[str]:
    body = await gql(client, LIST, {"filter": filter}, **kw)
    return [e["node"]["name"] for e in body["data"]["cooperatives"]["edges"]]


async def test_cooperative_filters_at_every_region_level_and_by_facts(
    client: httpx.AsyncClient, coops: dict[str, int], keys: Keys
) -> None:
    assert len(await _names(client, {"regionCode": "64"})) == 3
    assert await _names(client, {"regionCode": "64.03"}) == ["Koperasi Merah Putih Sindu Batu Raja"]
    assert len(await _names(client, {"regionCode": "64.03.04"})) == 1
    assert len(await _names(client, {"regionCode": LEMPAKE})) == 1
    assert await _names(client, {"regionCode": "64.71"}) == []
    assert len(await _names(client, {"isMockup": True})) == 2
    assert len(await _names(client, {"kind": "kkmp"})) == 1
    assert len(await _names(client, {"stage": "legal_entity"})) == 1
    assert len(await _names(client, {"outletType": "pharmacy"})) == 1
    assert len(await _names(client, {"financingReady": True})) == 1
    assert len(await _names(client, {"financingReady": False})) == 2
    assert len(await _names(client, {"search": "batu raja"})) == 1
    assert len(await _names(client, {"search": "REG-LEMPAKE"})) == 1
    assert len(await _names(client, {"search": "100%"})) == 0


# The same list with the villages: read in the page's own statement (a join on the page).
LIST_WITH_VILLAGES = LIST.replace("node { name registryId }", "node { name villages { code } }")


async def test_cooperative_pages_follow_keyset_cursors_in_every_order(
    client: httpx.AsyncClient, coops: dict[str, int]
) -> None:
    for order in ("ID", "NAME", "UPDATED_AT"):
        for query in (LIST, LIST_WITH_VILLAGES):
            seen: list[str] = []
            villages: list[list[str]] = []
            after = None
            while True:
                body = await gql(client, query, {"first": 2, "after": after, "order": order})
                page = body["data"]["cooperatives"]
                seen += [e["node"]["name"] for e in page["edges"]]
                villages += [
                    [v["code"] for v in e["node"].get("villages", [])] for e in page["edges"]
                ]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            assert len(seen) == len(set(seen)) == 3, order
            if order == "NAME":
                assert seen == sorted(seen)
            if query is LIST_WITH_VILLAGES:
                merger = seen.index("Koperasi Merah Putih Sindu Batu Raja")
                assert villages[merger] == [BATU_RAJANG, "64.03.04.2013"], order
                assert all(len(v) == 1 for i, v in enumerate(villages) if i != merger)


async def test_cooperative_by_registry_id_and_node(
    client: httpx.AsyncClient, coops: dict[str, int]
) -> None:
    body = await gql(client, '{ cooperativeByRegistryId(registryId: "REG-LEMPAKE") { id name } }')
    coop = body["data"]["cooperativeByRegistryId"]
    node = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Cooperative { name } } }",
        {"id": coop["id"]},
    )
    assert node["data"]["node"]["name"] == coop["name"]
    none = await gql(client, '{ cooperativeByRegistryId(registryId: "nope") { id } }')
    assert none["data"]["cooperativeByRegistryId"] is None


def _many_cooperatives(db: Any, count: int) -> None:
    """``count`` more cooperatives in unused Kaltim villages, each with outlets and officers."""
    from sqlalchemy import select

    from shared.cooperatives import service
    from shared.models import CooperativeVillage, Region, RegionKind, RegionLevel

    with db.transaction() as session:
        taken = select(CooperativeVillage.village_id)
        villages = session.execute(
            select(Region.code)
            .where(Region.level == RegionLevel.village, Region.kind == RegionKind.desa)
            .where(Region.id.not_in(taken))
            .order_by(Region.code)
            .limit(count)
        ).scalars()
        for code in villages:
            coop = service.register_cooperative(
                session, STEWARD, name=f"Koperasi Desa Merah Putih {code}", village_codes=[code]
            )
            service.add_outlet(session, STEWARD, coop.id, OutletType.grocery, kbli="47112")
            session.add(Officer(cooperative_id=coop.id, role=OfficerRole.chair, name="Ketua"))


PAGE = """
query($first: Int) {
  cooperatives(first: $first) {
    totalCount
    edges { node { name villages { code name } outlets { type } officers { name role } } }
  }
}"""


async def test_a_page_of_cooperatives_costs_the_same_statements_for_10_or_100(
    client: httpx.AsyncClient, coops: dict[str, int], keys: Keys, statements: list[str]
) -> None:
    db = client_db(coops)
    _many_cooperatives(db, 7)
    statements.clear()
    small = await gql(client, PAGE, {"first": 100}, headers=keys.headers("partner"))
    small_count = len(statements)
    assert len(small["data"]["cooperatives"]["edges"]) == 10

    _many_cooperatives(db, 100)
    statements.clear()
    big = await gql(client, PAGE, {"first": 100}, headers=keys.headers("partner"))
    assert len(big["data"]["cooperatives"]["edges"]) == 100
    assert len(statements) == small_count, statements
    assert small_count <= 6, statements  # page, count, villages, outlets, officers


PROPOSALS = """
query($first: Int) {
  proposals(first: $first) {
    totalCount
    edges { node { proposedName region { code } cooperative { name villages { code } } } }
  }
}"""


def _formed_proposals(db: Any, cooperative_ids: list[int]) -> None:
    """One proposal per cooperative, proposed by its regency and marked formed by it."""
    from shared.models import ProposalStatus
    from shared.proposals import service as proposals

    for coop_id in cooperative_ids:
        with db.transaction() as session:
            proposal = proposals.submit_proposal(
                session, STEWARD, region_code="64.01", proposed_name=f"Usulan {coop_id}"
            )
            proposals.decide_proposal(session, STEWARD, proposal.id, ProposalStatus.approved)
            proposals.decide_proposal(
                session, STEWARD, proposal.id, ProposalStatus.formed, cooperative_id=coop_id
            )


async def test_a_page_of_proposals_reads_their_cooperatives_in_one_statement(
    client: httpx.AsyncClient, coops: dict[str, int], keys: Keys, statements: list[str]
) -> None:
    db = client_db(coops)
    _formed_proposals(db, [coops["paser"], coops["merger"]])
    statements.clear()
    few = await gql(client, PROPOSALS, {"first": 100}, headers=keys.headers("partner"))
    few_statements = list(statements)
    assert [e["node"]["cooperative"]["name"] for e in few["data"]["proposals"]["edges"]] == [
        "Koperasi Desa Merah Putih Pasir Belengkong",
        "Koperasi Merah Putih Sindu Batu Raja",
    ]

    _many_cooperatives(db, 30)
    from shared.models import Cooperative

    with db.sync_session() as session:
        others = session.scalars(
            select(Cooperative.id).where(Cooperative.id.not_in(list(coops.values())))
        ).all()
    _formed_proposals(db, list(others))
    statements.clear()
    many = await gql(client, PROPOSALS, {"first": 100}, headers=keys.headers("partner"))
    edges = many["data"]["proposals"]["edges"]
    assert len(edges) == 32
    assert all(e["node"]["cooperative"]["villages"] for e in edges)
    cooperative_reads = [s for s in statements if "FROM cooperatives" in s]
    assert len(cooperative_reads) == 1, cooperative_reads
    # The page, its count, the regions, the cooperatives and their villages: whatever N.
    assert len(statements) == len(few_statements) <= 5, statements


async def test_a_profile_with_its_villages_is_one_statement(
    client: httpx.AsyncClient, coops: dict[str, int], keys: Keys, statements: list[str]
) -> None:
    query = "query($id: ID!) { cooperative(id: $id) { name villages { code name kind } } }"
    statements.clear()
    body = await gql(client, query, {"id": global_id("Cooperative", coops["merger"])})
    assert body["data"]["cooperative"]["villages"] == [
        {"code": BATU_RAJANG, "name": "Batu Rajang", "kind": "desa"},
        {"code": "64.03.04.2013", "name": "Siduung Indah", "kind": "desa"},
    ]
    reads = [s for s in statements if "FROM cooperatives" in s or "cooperative_villages" in s]
    assert len(reads) == 1, reads
    # Through a fragment of `node`, the same.
    statements.clear()
    node = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Cooperative { villages { code } } } }",
        {"id": global_id("Cooperative", coops["merger"])},
    )
    assert [v["code"] for v in node["data"]["node"]["villages"]] == [BATU_RAJANG, "64.03.04.2013"]
    assert len([s for s in statements if "cooperative_villages" in s]) == 1
