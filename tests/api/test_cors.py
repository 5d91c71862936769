"""Browsers on other origins: CORS preflight and simple requests (keys are bearer tokens,
never cookies, so credentials are never allowed), and the origins setting."""

from __future__ import annotations

from typing import Any

import httpx

from tests.access.support import app_client

PREFLIGHT = {
    "origin": "https://dashboard.example",
    "access-control-request-method": "POST",
    "access-control-request-headers": "content-type, authorization",
}


async def test_any_origin_may_call_by_default(client: httpx.AsyncClient, kaltim: Any) -> None:
    preflight = await client.options("/graphql", headers=PREFLIGHT)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    allowed = {h.strip() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "authorization"} <= {h.lower() for h in allowed}
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in preflight.headers
    simple = await client.post(
        "/graphql",
        json={"query": '{ region(code: "64") { name } }'},
        headers={"origin": "https://dashboard.example"},
    )
    assert simple.status_code == 200
    assert simple.headers["access-control-allow-origin"] == "*"
    exposed = simple.headers["access-control-expose-headers"].lower()
    assert "etag" in exposed
    assert "x-request-id" in exposed
    # Refusals before GraphQL carry the headers too, so the page can read them.
    refused = await client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"origin": "https://dashboard.example", "authorization": "Bearer nonsense"},
    )
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == "*"


async def test_configured_origins_are_the_only_ones(db: Any) -> None:
    async with app_client(cors_origins="https://a.example, https://b.example") as client:
        ok = await client.options("/graphql", headers={**PREFLIGHT, "origin": "https://b.example"})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "https://b.example"
        other = await client.options("/graphql", headers=PREFLIGHT)
        assert other.status_code == 400
        assert "access-control-allow-origin" not in other.headers
        simple = await client.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"origin": "https://dashboard.example"},
        )
        assert simple.status_code == 200  # served, but the browser keeps it from the page
        assert "access-control-allow-origin" not in simple.headers
