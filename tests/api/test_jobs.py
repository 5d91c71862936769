"""Operations over HTTP and websockets: uploads start jobs, jobs stream their progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from tests.api.support import Keys, make_keys
from tests.support import edition_zip, gql, wait_for_job

DATA = Path(__file__).resolve().parent.parent / "data" / "wilayah"

START_VILLAGES = """
mutation($file: Upload!, $edition: EditionInput!, $dryRun: Boolean!) {
  startVillageImport(file: $file, edition: $edition, dryRun: $dryRun) {
    job { id kind status dryRun sourceName }
    userErrors { code field message }
  }
}"""


async def _upload(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    content: bytes,
    name: str,
    headers: dict[str, str],
) -> dict[str, Any]:
    """A request by the GraphQL multipart request spec."""
    operations = json.dumps({"query": query, "variables": {**variables, "file": None}})
    response = await client.post(
        "/graphql",
        data={"operations": operations, "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, content, "application/octet-stream")},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _keys(db: Any) -> Keys:
    return make_keys(db)


async def test_village_upload_queues_an_import_that_streams_progress_over_websockets(
    client: httpx.AsyncClient, db: Any, worker: Any
) -> None:
    keys = _keys(db)
    operations = keys.headers("operations")
    body = await _upload(
        client,
        START_VILLAGES,
        {"edition": {"label": "2025"}, "dryRun": False},
        edition_zip(DATA / "2025-64"),
        "wilayah-2025-64.zip",
        operations,
    )
    payload = body["data"]["startVillageImport"]
    assert payload["userErrors"] == []
    job = payload["job"]
    assert (job["kind"], job["sourceName"]) == ("villages", "wilayah-2025-64.zip")

    from api.app import create_app

    app = create_app(start_embedded_worker=False)
    transport = ASGIWebSocketTransport(app=app)
    frames: list[dict[str, Any]] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as ws_client:
        # httpx-ws leaves its session type generic; Any keeps mypy quiet about it.
        connection: Any = aconnect_ws(
            "http://testserver/graphql",
            ws_client,
            subprotocols=["graphql-transport-ws"],
            headers=operations,
        )
        async with connection as ws:
            await ws.send_json({"type": "connection_init"})
            assert (await ws.receive_json())["type"] == "connection_ack"
            await ws.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": "subscription($id: ID!) { importJob(id: $id) {"
                        " status finished progress { phase rowsDone } } }",
                        "variables": {"id": job["id"]},
                    },
                }
            )
            while True:
                message = await ws.receive_json(timeout=60)
                if message["type"] == "complete":
                    break
                assert message["type"] == "next", message
                frames.append(message["payload"]["data"]["importJob"])
    assert frames[-1]["finished"] is True
    assert frames[-1]["status"] == "succeeded"

    detail = await gql(
        client,
        """query($id: ID!) { importJob(id: $id) { status diff counts errorCount
             errors(first: 5) { totalCount edges { node { line field message } } } } }""",
        {"id": job["id"]},
        headers=operations,
    )
    assert detail["data"]["importJob"]["status"] == "succeeded"
    editions = await gql(client, "{ editions { label isCurrent } }")
    assert editions["data"]["editions"] == [{"label": "2025", "isCurrent": True}]
    denied = await gql(client, "{ importJobs { totalCount } }", expect_errors=True)
    assert denied["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    listed = await gql(client, "{ importJobs(kind: villages) { totalCount } }", headers=operations)
    assert listed["data"]["importJobs"]["totalCount"] == 1


async def test_a_bad_village_file_fails_with_paginated_errors(
    client: httpx.AsyncClient, db: Any, worker: Any
) -> None:
    keys = _keys(db)
    bad = b"code,district_code,name,kind\n64.01.01.2009,64.01.01,,desa\nxx,64.01.01,Y,desa\n"
    body = await _upload(
        client,
        START_VILLAGES,
        {"edition": {"label": "bad"}, "dryRun": True},
        bad,
        "villages.csv",
        keys.headers("operations"),
    )
    job_id = body["data"]["startVillageImport"]["job"]["id"]
    from api.schema.common import int_id

    wait_for_job(db, int_id(job_id, "ImportJob"))
    query = """query($id: ID!, $after: String) { importJob(id: $id) { status errorCount
                 errors(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor }
                   edges { node { line field code message } } } } }"""
    first = await gql(client, query, {"id": job_id}, headers=keys.headers("operations"))
    job = first["data"]["importJob"]
    assert job["status"] == "failed"
    assert job["errorCount"] >= 2
    page = job["errors"]
    assert len(page["edges"]) == 1
    assert page["pageInfo"]["hasNextPage"] is True
    second = await gql(
        client,
        query,
        {"id": job_id, "after": page["pageInfo"]["endCursor"]},
        headers=keys.headers("operations"),
    )
    assert second["data"]["importJob"]["errors"]["edges"][0] != page["edges"][0]


async def test_recompute_coverage_runs_on_the_worker(
    client: httpx.AsyncClient, kaltim: Any, worker: Any
) -> None:
    keys = _keys(kaltim)
    body = await gql(
        client,
        "mutation { recomputeCoverage { job { id kind } userErrors { code } } }",
        headers=keys.headers("operations"),
    )
    job = body["data"]["recomputeCoverage"]["job"]
    assert job["kind"] == "coverage"
    from api.schema.common import int_id

    assert wait_for_job(kaltim, int_id(job["id"], "ImportJob")).status == "succeeded"
    coverage = await gql(client, "{ nationalCoverage { activeVillages stale } }")
    assert coverage["data"]["nationalCoverage"] == {"activeVillages": 1038, "stale": False}
    partner = await gql(
        client,
        "mutation { recomputeCoverage { job { id } } }",
        headers=keys.headers("partner"),
        expect_errors=True,
    )
    assert partner["errors"][0]["extensions"]["code"] == "FORBIDDEN"


RESTORE = """mutation($label: String!) { restoreEdition(label: $label) {
  job { id kind } userErrors { code field message } } }"""


async def test_restore_edition_and_allow_mass_retirement_over_graphql(
    client: httpx.AsyncClient, db: Any, worker: Any
) -> None:
    from api.schema.common import int_id
    from shared.villages.service import EditionInfo, import_now

    assert import_now(db, [DATA / "2022-64"], edition=EditionInfo("2022")).status == "succeeded"
    keys = _keys(db)
    operations = keys.headers("operations")
    province_only = b"code,name\n64,Kalimantan Timur\n"
    upload = """mutation($file: Upload!) { startVillageImport(file: $file,
        edition: {label: "one"}, allowMassRetirement: ALLOW) { job { id } } }"""
    for allow, status in (("false", "failed"), ("true", "succeeded")):
        operations_doc = json.dumps(
            {"query": upload.replace("ALLOW", allow), "variables": {"file": None}}
        )
        response = await client.post(
            "/graphql",
            data={"operations": operations_doc, "map": json.dumps({"0": ["variables.file"]})},
            files={"0": ("one.csv", province_only, "text/csv")},
            headers=operations,
        )
        job_id = int_id(response.json()["data"]["startVillageImport"]["job"]["id"], "ImportJob")
        assert wait_for_job(db, job_id).status == status

    body = await gql(client, RESTORE, {"label": "2022"}, headers=operations)
    payload = body["data"]["restoreEdition"]
    assert payload["userErrors"] == []
    restored = wait_for_job(db, int_id(payload["job"]["id"], "ImportJob"))
    assert (restored.status, restored.params["restore"]) == ("succeeded", True)
    again = await gql(client, RESTORE, {"label": "2022"}, headers=operations)
    assert again["data"]["restoreEdition"] == {
        "job": None,
        "userErrors": [
            {
                "code": "INVALID",
                "field": "label",
                "message": "edition 2022 is already the current edition",
            }
        ],
    }
    partner = await gql(
        client, RESTORE, {"label": "2022"}, headers=keys.headers("partner"), expect_errors=True
    )
    assert partner["errors"][0]["extensions"]["code"] == "FORBIDDEN"
