"""Hostile requests to /graphql: each is answered with a clear client error (HTTP 4xx, or a
GraphQL error with a stable extensions.code and a message), never a 500 or a masked error."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from shared.models import Role
from tests.hostile.support import assert_client_error, bearer, error_codes, token

pytestmark = pytest.mark.timeout(60)

GRAPHQL_JSON = {"Content-Type": "application/json"}


async def post(client: httpx.AsyncClient, body: bytes | str, **headers: str) -> httpx.Response:
    return await client.post("/graphql", content=body, headers={**GRAPHQL_JSON, **headers})


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"query": "{ nationalCoverage { villages } }"',
        b"not json at all",
        b"\xff\xfe\x00garbage",
        b"",
        b"null",
        b"[]",
        b"42",
        b'"{ __typename }"',
        b'{"query": 42}',
        b'{"query": null}',
        b'{"query": ["{ __typename }"]}',
        b'{"query": "{ __typename }", "variables": "not an object"}',
        b'{"query": "{ __typename }", "variables": [1, 2]}',
        b'{"query": "{ __typename }", "operationName": 7}',
        b'{"query": "{ __typename }", "extensions": "x"}',
        b'{"variables": {}}',
        b'[{"query": "{ __typename }"}]',
    ],
    ids=lambda b: b[:30].decode("utf-8", "replace"),
)
async def test_malformed_request_bodies_are_client_errors(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await post(client, body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])


async def test_wrong_content_type_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b"{ __typename }", headers={"Content-Type": "text/plain"}
    )
    assert 400 <= response.status_code < 500, response.text[:300]


async def test_syntax_error_names_the_problem(client: httpx.AsyncClient) -> None:
    response = await post(client, json.dumps({"query": "{ nationalCoverage { villages "}))
    body = assert_client_error(response, "GRAPHQL_PARSE_FAILED")
    assert "Syntax Error" in body["errors"][0]["message"]


QUERY_REGION = "query($code: String!) { region(code: $code) { code name } }"


@pytest.mark.parametrize(
    "variables",
    [
        {"code": 64},
        {"code": None},
        {"code": ["64"]},
        {"code": {"nested": "64"}},
        {"code": True},
        {},
        {"code": "64", "unknown": 1},
    ],
)
async def test_wrong_variable_types_are_bad_input(
    client: httpx.AsyncClient, variables: dict[str, Any]
) -> None:
    response = await post(client, json.dumps({"query": QUERY_REGION, "variables": variables}))
    if variables == {"code": "64", "unknown": 1}:
        # Extra variables are ignored by the spec; the query runs (no region 64 here).
        assert response.status_code == 200, response.text
        return
    assert_client_error(response, "BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED")


@pytest.mark.parametrize(
    "value",
    ["x" * 200_000, "٦٤", "64\n", "\x00", "64.72.05.1003" * 1000, "' OR 1=1 --"],
    ids=["200k", "arabic-digits", "newline", "nul", "long", "sql"],
)
async def test_hostile_strings_in_variables_answer_without_server_error(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await post(client, json.dumps({"query": QUERY_REGION, "variables": {"code": value}}))
    assert response.status_code < 500, response.text[:300]
    body = response.json()
    assert "INTERNAL_SERVER_ERROR" not in error_codes(body), body
    if response.status_code == 200 and "errors" not in body:
        assert body["data"]["region"] is None
    if value == "\x00":
        assert_client_error(response, "BAD_USER_INPUT")


async def test_escaped_nul_in_a_query_literal_is_bad_input(client: httpx.AsyncClient) -> None:
    query = '{ region(code: "6\\u00004") { code } }'
    response = await post(client, json.dumps({"query": query}))
    body = assert_client_error(response, "BAD_USER_INPUT")
    assert "NUL" in body["errors"][0]["message"]


async def test_huge_variables_are_refused_before_parsing(client: httpx.AsyncClient) -> None:
    variables = {"code": "6" * (2 * 1024 * 1024)}
    response = await post(client, json.dumps({"query": QUERY_REGION, "variables": variables}))
    assert response.status_code == 413
    assert_client_error(response, "PAYLOAD_TOO_LARGE")


async def test_huge_list_variable_is_refused(client: httpx.AsyncClient) -> None:
    query = "query($ids: [ID!]) { __typename }"
    variables = {"ids": [str(i) for i in range(200_000)]}
    response = await post(client, json.dumps({"query": query, "variables": variables}))
    assert_client_error(response, "PAYLOAD_TOO_LARGE", "GRAPHQL_VALIDATION_FAILED")


async def test_deeply_nested_json_body_is_a_client_error(client: httpx.AsyncClient) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    body = '{"query": "{ __typename }", "variables": {"x": ' + nested + "}}"
    response = await post(client, body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])


async def test_deep_query_is_refused_by_the_depth_limit(client: httpx.AsyncClient) -> None:
    depth = 40
    query = "{ provinces { " + "children { " * depth + "code" + " }" * depth + " } }"
    response = await post(client, json.dumps({"query": query}))
    body = assert_client_error(response, "GRAPHQL_VALIDATION_FAILED")
    assert "depth" in body["errors"][0]["message"].lower()


async def test_deep_parser_nesting_is_refused_without_recursion_error(
    client: httpx.AsyncClient,
) -> None:
    # Deep enough to blow Python's recursion if the parser got that far; within the body limit.
    query = "{ a" + " { a" * 5000 + " }" * 5001
    response = await post(client, json.dumps({"query": query}))
    assert_client_error(response, "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED")


async def test_thousands_of_aliases_are_refused(client: httpx.AsyncClient) -> None:
    query = "{ " + " ".join(f"a{i}: nationalCoverage {{ villages }}" for i in range(3000)) + " }"
    response = await post(client, json.dumps({"query": query}))
    # The token limit stops the parser first; the alias limit catches what fits under it.
    body = assert_client_error(response, "GRAPHQL_PARSE_FAILED")
    assert "tokens" in body["errors"][0]["message"]
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(100)) + " }"
    response = await post(client, json.dumps({"query": query}))
    body = assert_client_error(response, "GRAPHQL_VALIDATION_FAILED")
    assert "aliases" in body["errors"][0]["message"].lower()


async def test_thousands_of_fragments_and_directives_are_refused(
    client: httpx.AsyncClient,
) -> None:
    fragments = " ".join(f"fragment f{i} on Query {{ __typename }}" for i in range(2000))
    spreads = " ".join(f"...f{i}" for i in range(2000))
    response = await post(client, json.dumps({"query": f"{{ {spreads} }} {fragments}"}))
    assert_client_error(response, "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED")
    directives = " ".join("@include(if: true)" for _ in range(3000))
    response = await post(client, json.dumps({"query": f"{{ __typename {directives} }}"}))
    assert_client_error(response, "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED")


async def test_recursive_fragments_are_refused(client: httpx.AsyncClient) -> None:
    query = (
        "{ provinces { ...A } } fragment A on Province { code ...B }"
        " fragment B on Province { name ...A }"
    )
    response = await post(client, json.dumps({"query": query}))
    assert_client_error(response, "GRAPHQL_VALIDATION_FAILED")


@pytest.mark.parametrize(
    "node_id",
    [
        "²",
        "9" * 30,
        "Q29vcGVyYXRpdmU6wrI=",
        "Q29vcGVyYXRpdmU6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ==",
        "%%%",
        "",
    ],
    ids=["superscript", "bigint", "coop-superscript", "coop-bigint", "garbage", "empty"],
)
async def test_hostile_ids_are_not_server_errors(
    client: httpx.AsyncClient, db: Any, node_id: str
) -> None:
    ops = bearer(token(db, Role.admin))
    for query, variables in (
        ("query($id: ID!) { node(id: $id) { id } }", {"id": node_id}),
        ("query($id: ID!) { cooperative(id: $id) { id } }", {"id": node_id}),
        ("mutation($id: ID!) { revokeApiKey(id: $id) { id } }", {"id": node_id}),
    ):
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=ops
        )
        assert response.status_code < 500, response.text
        body = response.json()
        assert "INTERNAL_SERVER_ERROR" not in error_codes(body), (query, node_id, body)
