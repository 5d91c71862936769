"""Automatic persisted queries (Apollo's protocol) over POST and GET: register, hit, miss,
and a hash that does not match its query."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

import httpx
import pytest

QUERY = '{ region(code: "64") { name } }'
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()


def _unique_query() -> tuple[str, str]:
    """A query no other test registered (on Redis, persisted queries outlive a test)."""
    query = f'{{ r{secrets.token_hex(8)}: region(code: "64") {{ name }} }}'
    return query, hashlib.sha256(query.encode()).hexdigest()


def _extensions(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def _send(
    client: httpx.AsyncClient, method: str, digest: str, query: str | None = None
) -> httpx.Response:
    if method == "POST":
        body: dict[str, Any] = {"extensions": _extensions(digest)}
        if query is not None:
            body["query"] = query
        return await client.post("/graphql", json=body)
    params = {"extensions": json.dumps(_extensions(digest))}
    if query is not None:
        params["query"] = query
    return await client.get("/graphql", params=params)


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_persisted_query_is_missed_registered_then_hit(
    client: httpx.AsyncClient, kaltim: Any, method: str
) -> None:
    query, digest = _unique_query()
    alias = query.split(":")[0].strip("{ ")
    missed = await _send(client, method, digest)
    assert missed.status_code == 200
    assert missed.json() == {
        "data": None,
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ],
    }
    registered = await _send(client, method, digest, query)
    assert registered.json()["data"] == {alias: {"name": "Kalimantan Timur"}}
    hit = await _send(client, method, digest)
    assert hit.status_code == 200
    assert hit.json()["data"] == {alias: {"name": "Kalimantan Timur"}}
    # Registered over one method, found over the other.
    other = await _send(client, "GET" if method == "POST" else "POST", digest)
    assert other.json()["data"] == {alias: {"name": "Kalimantan Timur"}}


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_hash_that_does_not_match_its_query_is_refused_and_not_kept(
    client: httpx.AsyncClient, kaltim: Any, method: str
) -> None:
    wrong = hashlib.sha256(secrets.token_bytes(16)).hexdigest()
    refused = await _send(client, method, wrong, QUERY)
    assert refused.status_code == 200
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    assert refused.json()["data"] is None
    still_missing = await _send(client, method, wrong)
    assert still_missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_an_invalid_query_is_not_registered_and_bad_versions_are_refused(
    client: httpx.AsyncClient, kaltim: Any
) -> None:
    invalid = f"{{ nope{secrets.token_hex(4)} }}"
    digest = hashlib.sha256(invalid.encode()).hexdigest()
    refused = await _send(client, "POST", digest, invalid)
    assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    missing = await _send(client, "POST", digest)
    assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    version_2 = await client.post(
        "/graphql",
        json={"extensions": {"persistedQuery": {"version": 2, "sha256Hash": DIGEST}}},
        headers={"accept": "application/graphql-response+json"},
    )
    assert version_2.status_code == 400
    assert "data" not in version_2.json()
    assert version_2.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


async def test_a_persisted_mutation_runs_over_post_and_is_refused_over_get(
    client: httpx.AsyncClient, kaltim: Any
) -> None:
    mutation = f"mutation M{secrets.token_hex(4)} {{ recomputeCoverage {{ __typename }} }}"
    digest = hashlib.sha256(mutation.encode()).hexdigest()
    # Registered with its text; the view runs it (and refuses an anonymous caller).
    registered = await _send(client, "POST", digest, mutation)
    assert registered.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    by_hash = await _send(client, "POST", digest)
    assert by_hash.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    over_get = await _send(client, "GET", digest)
    assert over_get.status_code == 405
    assert over_get.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
