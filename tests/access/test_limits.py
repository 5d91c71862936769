"""Abuse limits: body size, query cost budgets per role, introspection and GraphiQL switches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from api.guards import LIST_ESTIMATE, estimate_cost
from api.schema import schema
from tests.access.support import Callers, app_client
from tests.support import gql


async def test_oversized_bodies_answer_413(db: Any) -> None:
    async with app_client(request_max_bytes=2048, upload_max_bytes=4096) as client:
        padding = "x" * 3000
        response = await client.post(
            "/graphql", json={"query": "{ __typename }", "variables": {"pad": padding}}
        )
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

        async def chunks() -> AsyncIterator[bytes]:
            # No Content-Length: the limit counts what is actually read.
            yield b'{"query": "{ __typename }", "variables": {"pad": "'
            for _ in range(10):
                yield b"y" * 500
            yield b'"}}'

        streamed = await client.post(
            "/graphql", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        small = await client.post("/graphql", json={"query": "{ __typename }"})
        assert small.status_code == 200


async def test_uploads_have_their_own_larger_limit(db: Any) -> None:
    async with app_client(request_max_bytes=1024, upload_max_bytes=8192) as client:
        files = {"0": ("a.csv", b"z" * 3000, "text/csv")}
        data = {
            "operations": '{"query": "{ __typename }", "variables": {}}',
            "map": "{}",
        }
        within = await client.post("/graphql", data=data, files=files)
        assert within.status_code != 413
        files = {"0": ("a.csv", b"z" * 9000, "text/csv")}
        beyond = await client.post("/graphql", data=data, files=files)
        assert beyond.status_code == 413


def _cost(query: str, variables: dict[str, Any] | None = None) -> int:
    from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return estimate_cost(schema._schema, operation, fragments, variables or {}, max_page=500)


def test_cost_counts_objects_times_page_sizes_and_list_estimates() -> None:
    page = "query($n: Int) { auditLog(first: $n) { edges { node { id operation } } } }"
    # The connection is one object; its edges hold the page, each with its node. Scalars
    # are part of their object.
    assert _cost(page, {"n": 10}) == 1 + 10 * (1 + 1)
    assert _cost(page, {"n": 100}) > _cost(page, {"n": 10})
    literal = "{ auditLog(first: 20) { edges { node { id } } } }"
    assert _cost(literal) == 1 + 20 * 2
    via_fragment = "{ ...F } fragment F on Query { apiKeys { id name } }"
    assert _cost(via_fragment) == LIST_ESTIMATE
    assert _cost("{ __typename }") == 0


async def test_queries_over_the_role_budget_are_refused_before_running(
    db: Any, callers: Callers
) -> None:
    query = "{ a: auditLog(first: 100) { edges { node { id operation actor } } } }"
    async with app_client(query_cost_admin=200) as client:
        body = await gql(client, query, headers=callers.headers("admin"), expect_errors=True)
        assert body.get("data") is None
        error = body["errors"][0]
        assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
        assert error["extensions"]["budget"] == 200
        assert error["extensions"]["cost"] == 1 + 100 * 2
    async with app_client(query_cost_admin=100_000) as client:
        body = await gql(client, query, headers=callers.headers("admin"))
        assert body["data"]["a"]["edges"]


async def test_anonymous_budget_is_its_own(db: Any) -> None:
    async with app_client(query_cost_anonymous=1) as client:
        body = await gql(client, "{ a: __typename apiKeys { id } }", expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_introspection_can_be_switched_off(db: Any) -> None:
    async with app_client(introspection=True) as client:
        assert (await gql(client, INTROSPECTION))["data"]["__schema"]["queryType"]["name"]
    async with app_client(introspection=False) as client:
        body = await gql(client, INTROSPECTION, expect_errors=True)
        assert body.get("data") is None
        assert "introspection" in body["errors"][0]["message"].lower()
        assert (await gql(client, "{ __typename }"))["data"] == {"__typename": "Query"}


async def test_graphiql_can_be_switched_off(db: Any) -> None:
    async with app_client(graphiql=False) as client:
        response = await client.get("/graphql", headers={"accept": "text/html"})
        assert "graphiql" not in response.text.lower()
