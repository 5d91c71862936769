"""GraphQL over HTTP: media types, status codes, error codes, masking, guards, page caps."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import gql


async def test_graphql_response_json_is_served_with_400_for_invalid_requests(
    client: httpx.AsyncClient, kaltim: Any
) -> None:
    accept = {"accept": "application/graphql-response+json, application/json;q=0.9"}
    ok = await client.post("/graphql", json={"query": "{ provinces { code } }"}, headers=accept)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    invalid = await client.post("/graphql", json={"query": "{ nope }"}, headers=accept)
    assert invalid.status_code == 400
    assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    broken = await client.post("/graphql", json={"query": "{ provinces { "}, headers=accept)
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    legacy = await client.post("/graphql", json={"query": "{ nope }"})
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")


async def test_queries_work_over_get(client: httpx.AsyncClient, kaltim: Any) -> None:
    response = await client.get("/graphql", params={"query": '{ region(code: "64") { name } }'})
    assert response.json()["data"]["region"]["name"] == "Kalimantan Timur"


async def test_unexpected_errors_are_masked_and_carry_the_request_id(
    client: httpx.AsyncClient,
    kaltim: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import api.loaders

    async def broken(_ctx: Any, _codes: list[str]) -> list[Any]:
        raise RuntimeError("secret connection string postgres://user:pw@db")

    monkeypatch.setattr(api.loaders, "_coverage", broken)
    response = await client.post(
        "/graphql",
        json={"query": "{ nationalCoverage { activeVillages } }"},
        headers={"x-request-id": "req-42"},
    )
    error = response.json()["errors"][0]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
    assert "secret" not in response.text
    assert any("req-42" in r.getMessage() for r in caplog.records)


async def test_page_size_cap_and_foreign_cursors_are_bad_user_input(
    client: httpx.AsyncClient, kaltim: Any
) -> None:
    too_big = await gql(client, "{ regions(first: 100000) { totalCount } }", expect_errors=True)
    assert too_big["errors"][0]["extensions"]["code"] in {"BAD_USER_INPUT", "QUERY_TOO_COSTLY"}
    capped = await gql(client, "{ regions(first: 501) { edges { cursor } } }", expect_errors=True)
    assert capped["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 500" in capped["errors"][0]["message"]
    cursor = await gql(client, '{ regions(after: "garbage!") { totalCount } }', expect_errors=True)
    assert cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_id = await gql(client, '{ cooperative(id: "xyz") { name } }', expect_errors=True)
    assert bad_id["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_guards_refuse_deep_and_aliased_queries_before_running(
    client: httpx.AsyncClient, kaltim: Any
) -> None:
    deep = '{ region(code: "64") { ' + "parent { " * 14 + "code" + " }" * 14 + " } }"
    body = await gql(client, deep, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "depth" in body["errors"][0]["message"]
    aliases = "{ " + " ".join(f"a{i}: nationalCoverage {{ stale }}" for i in range(40)) + " }"
    body = await gql(client, aliases, expect_errors=True)
    assert "aliases" in body["errors"][0]["message"].lower()


async def test_every_type_and_field_has_a_description(client: httpx.AsyncClient) -> None:
    query = """{ __schema { types { name kind description
                 fields { name description } inputFields { name description } } } }"""
    body = await gql(client, query)
    missing = []
    for t in body["data"]["__schema"]["types"]:
        if t["name"].startswith("__") or t["kind"] == "SCALAR":
            continue
        if not t["description"]:
            missing.append(t["name"])
        for f in (t["fields"] or []) + (t["inputFields"] or []):
            if not f["description"]:
                missing.append(f"{t['name']}.{f['name']}")
    assert missing == []


def test_exported_schema_file_is_current(repo_root: Any) -> None:
    from api.schema import schema

    exported = (repo_root / "schema.graphql").read_text(encoding="utf-8")
    assert exported == schema.as_str() + "\n", "run `kopdes schema export` (make schema)"


async def test_graphql_answers_other_methods_and_bodies_as_the_router_does(
    client: httpx.AsyncClient,
) -> None:
    # GET and JSON POST take the lean path's own way in (api.app.GraphQLFirst); the rest
    # still get the router's answers, with the request id like any answer.
    answered = await client.post("/graphql", json={"query": "{ __typename }"})
    assert answered.json()["data"] == {"__typename": "Query"}
    assert answered.headers["x-request-id"]
    put = await client.put("/graphql", json={"query": "{ __typename }"})
    assert put.status_code == 405
    assert set(put.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert put.headers["x-request-id"]
    broken = await client.post(
        "/graphql",
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--\r\n",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert broken.status_code == 400
    assert broken.headers["x-request-id"]
