"""The service skeleton over HTTP: health, readiness, GraphQL, metrics, request ids."""

from __future__ import annotations

import httpx

from api.app import create_app
from shared.config import Settings
from shared.db import Database
from tests.support import gql


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_graphql_typename_over_post_and_get(client: httpx.AsyncClient) -> None:
    body = await gql(client, "{ __typename }")
    assert body == {"data": {"__typename": "Query"}, "extensions": {"cost": 0}}
    response = await client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


async def test_graphiql_is_served_to_browsers(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_readyz_reports_database_and_broker(
    client: httpx.AsyncClient, worker: object
) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["database"] == "ok"


async def test_readyz_is_503_with_the_reason_when_the_database_is_down(db: Database) -> None:
    settings = Settings(database_url="postgresql://nobody@127.0.0.1:1/nothing")
    broken = Database(settings)
    app = create_app(settings, broken, start_embedded_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get("/readyz")
    await broken.dispose()
    assert response.status_code == 503
    assert "database" in response.json()["problems"]
    assert "unreachable" in response.json()["problems"]["database"]


async def test_request_id_is_kept_or_made(client: httpx.AsyncClient) -> None:
    kept = await client.get("/healthz", headers={"x-request-id": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz", headers={"x-request-id": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32


async def test_metrics_count_requests(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert 'kopdes_http_requests_total{method="GET",route="/healthz",status="200"}' in response.text
    assert "kopdes_http_request_duration_seconds_bucket" in response.text
