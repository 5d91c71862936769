"""Steward writes over HTTP: payloads, user errors, audit, data version, permissions."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from shared.models import AuditEntry, Cooperative, DataState
from tests.api.support import BATU_RAJANG, LEMPAKE, PASIR_BELENGKONG, Keys, global_id
from tests.support import gql

REGISTER = """
mutation($input: RegisterCooperativeInput!) {
  registerCooperative(input: $input) {
    cooperative { id databaseId name kind stage version villages { code } }
    userErrors { code field message }
  }
}"""


def _count(db: Any, model: Any) -> int:
    with db.sync_session() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _data_version(db: Any) -> int:
    with db.sync_session() as session:
        return int(session.execute(select(DataState.data_version)).scalar_one())


async def test_admin_registers_a_cooperative_with_audit_and_a_data_version_bump(
    client: httpx.AsyncClient, keys: Keys, kaltim: Any
) -> None:
    version = _data_version(kaltim)
    body = await gql(
        client,
        REGISTER,
        {
            "input": {
                "name": "Koperasi Kelurahan Merah Putih Lempake",
                "villageCodes": [LEMPAKE],
                "isMockup": True,
            }
        },
        headers=keys.headers("admin"),
    )
    payload = body["data"]["registerCooperative"]
    assert payload["userErrors"] == []
    assert payload["cooperative"]["kind"] == "kkmp"
    assert payload["cooperative"]["villages"] == [{"code": LEMPAKE}]
    assert _data_version(kaltim) == version + 1
    with kaltim.sync_session() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.operation == "cooperative.register")
        ).scalar_one()
    assert entry.actor == "key:admin"
    assert entry.target_id == str(payload["cooperative"]["databaseId"])


async def test_refusals_name_the_field_and_write_nothing(
    client: httpx.AsyncClient, keys: Keys, coops: dict[str, int]
) -> None:
    admin = keys.headers("admin")
    before = _count(client_db(), Cooperative)
    taken = await gql(
        client, REGISTER, {"input": {"name": "Dup", "villageCodes": [LEMPAKE]}}, headers=admin
    )
    err = taken["data"]["registerCooperative"]["userErrors"][0]
    assert (err["code"], err["field"]) == ("CONFLICT", "villageCodes[0]")
    assert "already has cooperative" in err["message"]
    bad = await gql(
        client, REGISTER, {"input": {"name": "X", "villageCodes": ["64.01.99.9999"]}}, headers=admin
    )
    assert bad["data"]["registerCooperative"]["userErrors"][0]["code"] == "NOT_FOUND"
    mixed = await gql(
        client,
        REGISTER,
        {"input": {"name": "X", "villageCodes": ["64.72.05.1002", "64.01.01.2009"]}},
        headers=admin,
    )
    assert mixed["data"]["registerCooperative"]["userErrors"][0]["field"] == "villageCodes"
    assert _count(client_db(), Cooperative) == before


def client_db() -> Any:
    from shared.db import get_database

    return get_database()


async def test_roles_below_admin_cannot_write(
    client: httpx.AsyncClient, keys: Keys, kaltim: Any
) -> None:
    variables = {"input": {"name": "X", "villageCodes": [LEMPAKE]}}
    anonymous = await gql(client, REGISTER, variables, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    operations = await gql(
        client, REGISTER, variables, headers=keys.headers("operations"), expect_errors=True
    )
    assert operations["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert _count(kaltim, Cooperative) == 0


async def test_update_checks_the_expected_version(
    client: httpx.AsyncClient, keys: Keys, coops: dict[str, int]
) -> None:
    mutation = """
    mutation($input: UpdateCooperativeInput!) {
      updateCooperative(input: $input) {
        cooperative { version legalIdentifiers { nib npwp } }
        userErrors { code field }
      }
    }"""
    coop_id = global_id("Cooperative", coops["paser"])
    admin = keys.headers("admin")
    read = await gql(
        client, "query($id: ID!) { cooperative(id: $id) { version } }", {"id": coop_id}
    )
    version = read["data"]["cooperative"]["version"]
    ok = await gql(
        client,
        mutation,
        {"input": {"id": coop_id, "expectedVersion": version, "nib": "9120001234567"}},
        headers=admin,
    )
    updated = ok["data"]["updateCooperative"]["cooperative"]
    assert updated["legalIdentifiers"]["nib"] == "9120001234567"
    assert updated["version"] == version + 1
    stale = await gql(
        client,
        mutation,
        {"input": {"id": coop_id, "expectedVersion": version, "npwp": "1"}},
        headers=admin,
    )
    assert stale["data"]["updateCooperative"]["userErrors"] == [
        {"code": "STALE_VERSION", "field": "expectedVersion"}
    ]
    clash = await gql(
        client,
        mutation,
        {"input": {"id": global_id("Cooperative", coops["merger"]), "nib": "9120001234567"}},
        headers=admin,
    )
    assert clash["data"]["updateCooperative"]["userErrors"] == [
        {"code": "CONFLICT", "field": "nib"}
    ]


async def test_stage_outlet_and_village_links(
    client: httpx.AsyncClient, keys: Keys, coops: dict[str, int]
) -> None:
    admin = keys.headers("admin")
    coop_id = global_id("Cooperative", coops["paser"])
    stage = await gql(
        client,
        """mutation($input: RecordStageInput!) { recordStage(input: $input) {
             cooperative { stage stageHistory { stage reachedOn } } userErrors { field } } }""",
        {"input": {"cooperativeId": coop_id, "stage": "bank_account", "reachedOn": "2025-08-01"}},
        headers=admin,
    )
    coop = stage["data"]["recordStage"]["cooperative"]
    assert coop["stage"] == "bank_account"
    assert [s["stage"] for s in coop["stageHistory"]] == ["legal_entity", "bank_account"]
    earlier = await gql(
        client,
        """mutation($input: RecordStageInput!) { recordStage(input: $input) {
             cooperative { stage } } }""",
        {"input": {"cooperativeId": coop_id, "stage": "deliberation"}},
        headers=admin,
    )
    assert earlier["data"]["recordStage"]["cooperative"]["stage"] == "bank_account"

    outlet = """mutation($input: AddOutletInput!) { addOutlet(input: $input) {
                  outlet { type kbli } cooperative { outletTypes } userErrors { code field } } }"""
    wrong = await gql(
        client,
        outlet,
        {"input": {"cooperativeId": coop_id, "type": "clinic", "kbli": "47111"}},
        headers=admin,
    )
    assert wrong["data"]["addOutlet"]["userErrors"] == [{"code": "INVALID", "field": "kbli"}]
    right = await gql(
        client, outlet, {"input": {"cooperativeId": coop_id, "type": "clinic"}}, headers=admin
    )
    assert right["data"]["addOutlet"]["outlet"] == {"type": "clinic", "kbli": "86105"}
    assert right["data"]["addOutlet"]["cooperative"]["outletTypes"] == ["clinic"]

    link = """mutation($input: LinkCooperativeVillagesInput!) {
                linkCooperativeVillages(input: $input) {
                cooperative { villages { code } } userErrors { code field } } }"""
    merger = global_id("Cooperative", coops["merger"])
    taken = await gql(
        client,
        link,
        {"input": {"cooperativeId": merger, "link": [PASIR_BELENGKONG]}},
        headers=admin,
    )
    assert taken["data"]["linkCooperativeVillages"]["userErrors"] == [
        {"code": "CONFLICT", "field": "link[0]"}
    ]
    unlinked = await gql(
        client, link, {"input": {"cooperativeId": merger, "unlink": [BATU_RAJANG]}}, headers=admin
    )
    assert len(unlinked["data"]["linkCooperativeVillages"]["cooperative"]["villages"]) == 1
    last = await gql(
        client,
        link,
        {"input": {"cooperativeId": merger, "unlink": ["64.03.04.2013"]}},
        headers=admin,
    )
    assert last["data"]["linkCooperativeVillages"]["userErrors"][0]["field"] == "unlink"


async def test_proposals_are_submitted_decided_and_counted(
    client: httpx.AsyncClient, keys: Keys, coops: dict[str, int]
) -> None:
    from tests.api.support import recompute

    admin = keys.headers("admin")
    submit = """mutation($input: SubmitProposalInput!) { submitProposal(input: $input) {
                  proposal { id status region { code } } userErrors { code field } } }"""
    ids = []
    for name in ("Kopdes Berau Baru 1", "Kopdes Berau Baru 2"):
        body = await gql(
            client, submit, {"input": {"regionCode": "64.03", "proposedName": name}}, headers=admin
        )
        proposal = body["data"]["submitProposal"]["proposal"]
        assert proposal["status"] == "submitted"
        assert proposal["region"]["code"] == "64.03"
        ids.append(proposal["id"])
    decide = """mutation($input: DecideProposalInput!) { decideProposal(input: $input) {
                  proposal { status cooperative { name } } userErrors { code field message } } }"""
    approved = await gql(
        client, decide, {"input": {"id": ids[0], "decision": "approved"}}, headers=admin
    )
    assert approved["data"]["decideProposal"]["proposal"]["status"] == "approved"
    formed = await gql(
        client,
        decide,
        {
            "input": {
                "id": ids[0],
                "decision": "formed",
                "cooperativeId": global_id("Cooperative", coops["merger"]),
            }
        },
        headers=admin,
    )
    assert formed["data"]["decideProposal"]["proposal"]["cooperative"]["name"].startswith("Kop")
    invalid = await gql(
        client, decide, {"input": {"id": ids[0], "decision": "rejected"}}, headers=admin
    )
    assert invalid["data"]["decideProposal"]["userErrors"][0]["field"] == "decision"

    listed = await gql(
        client,
        '{ proposals(filter: {regionCode: "64"}) { totalCount } }',
        headers=keys.headers("partner"),
    )
    assert listed["data"]["proposals"]["totalCount"] == 2
    anonymous = await gql(client, "{ proposals { totalCount } }", expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    recompute(client_db())
    counts = await gql(client, '{ region(code: "64.03") { coverage { proposals { total } } } }')
    assert counts["data"]["region"]["coverage"]["proposals"]["total"] == 2
